/*
 * fuzz.h — what every fuzz target shares.
 *
 * A target is one file fuzz/<name>.c defining LLVMFuzzerTestOneInput and
 * nothing libFuzzer-specific, so that the same file builds two ways:
 * with clang and -fsanitize=fuzzer (make fuzz) and with the normal compiler
 * and replay.c's main() (make test replays fuzz/corpus/ and fuzz/crashes/).
 *
 * An invariant is checked with FUZZ_CHECK: when it fails it says which and
 * where, then aborts, which both libFuzzer and the replay report as a crash.
 * Inputs that need a file descriptor (the NDJSON reader, the programs'
 * stdin) get an anonymous in-memory file, so no run touches the disk.
 */
#ifndef J1NPM_FUZZ_H
#define J1NPM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A read-only view of [data, data+n) as a file descriptor positioned at 0
 * (an anonymous memory file); -1 on failure. The caller closes it. */
int fuzz_memfd(const void *data, size_t n);
/* Puts [data, data+n) on standard input (fd 0) for code that reads "-". */
int fuzz_stdin(const void *data, size_t n);
/* Reads the whole of fd from offset 0 into a malloc'd buffer (*n bytes). */
char *fuzz_slurp(int fd, size_t *n);
/* Logs at error level only (FUZZ_VERBOSE=1 in the environment: all): the
 * code under test warns about bad input, which is the point of the input. */
void fuzz_quiet(void);

#endif
