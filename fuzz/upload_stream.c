/*
 * upload_stream.c — j1-npm-upload's stream input (`--in -`:
 * upload/source_stream.c) through the checker and the batcher (check.c,
 * plan.c, batch.c), as upload/main.c and sched.c use them, without the
 * network.
 *
 * Any bytes: the planner ends whole or broken with a message; each batch
 * holds only valid objects of one kind, entities before relationships, no
 * larger than the batch size unless it is one object; inflated it is the
 * JSON it claims; split in halves (a 413) and stripped (a lone object) it
 * stays so (pipeline.c). The batch size comes from the input, from 1000
 * bytes (the smallest --batch-bytes) up, so objects too large are met.
 */
#include "fuzz.h"
#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    size_t batch = 1000 + (size ? (size_t)data[0] * 40 : 0);
    unsigned long long dropped;
    (void)fuzz_upload("-", (const char *)data, size, batch, &dropped);
    return 0;
}
