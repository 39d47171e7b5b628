/*
 * transform.c — the whole of j1-npm-transform on a dump stream (what
 * `j1-npm-transform --in -` reads), wired as transform/main.c wires it.
 *
 * Any bytes: transform refuses the dump with a message, or writes a graph
 * that upload's source, checker and planner take whole — no invalid
 * object, no repeated _key (pipeline.c). ASan and UBSan watch the model's
 * joins on the way. Also run with --allow-incomplete when the input's last
 * byte is odd, so streams without their manifest reach the model too.
 */
#include "fuzz.h"
#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool allow = size && (data[size - 1] & 1);
    (void)fuzz_transform((const char *)data, size, allow);
    return 0;
}
