/*
 * pipeline.h — transform, then upload's reading, in one process, for the
 * targets that feed whole programs' inputs (see pipeline.c).
 */
#ifndef J1NPM_FUZZ_PIPELINE_H
#define J1NPM_FUZZ_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

/* Runs transform as main.c wires it (input_read on "-" with the model,
 * model_finish, graph_write to a stream) on the dump stream [p, p+n). When
 * it succeeds, its output stream is read back through upload's source,
 * checker and planner, which must take every object: what transform writes
 * is valid for JupiterOne whatever the dump held. Returns true if transform
 * accepted the dump. */
bool fuzz_transform(const char *p, size_t n, bool allow_incomplete);

/* Reads the graph stream or directory `in` ("-": [p, p+n) on stdin)
 * through upload's source and planner, splitting and stripping every batch
 * as a 413 would; checks the batches. Returns the planner's verdict
 * (0 the input ended whole, -1 broken) and the dropped count in *dropped. */
int fuzz_upload(const char *in, const char *p, size_t n, size_t batch_bytes,
                unsigned long long *dropped);

#endif
