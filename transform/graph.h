/*
 * graph.h — collect graph objects as they are made, then write them sorted,
 * in the JupiterOne SDK's storage layout or as one stream.
 *
 * Objects arrive in whatever order the dump holds them (collect writes
 * package documents in completion order), but the output must be the same
 * bytes for the same dump. So each object's JSON is appended to an unlinked
 * spool file and only an index entry (type, _key, offset, length) is kept;
 * graph_write() copies the objects out sorted by (entities before
 * relationships, type, _key). This is the one second pass in transform, and
 * it reads the spool, never the dump.
 *
 * The index itself is sorted externally: entries collect in memory up to
 * GRAPH_RUN_BUDGET bytes, are then sorted and spilled as a run to a second
 * temporary file, and graph_write() merges the runs. Every GRAPH_MAX_RUNS
 * runs are merged into one as they come, so the final merge never reads
 * more than that many at once. So memory stays at the budget plus
 * GRAPH_MAX_RUNS read buffers (about 12 MB) however many objects there are:
 * a dump whose packages each have thousands of direct collaborators makes
 * millions of relationships (the test with a million runs under 64 MB).
 *
 * Facts that arrive after an object was made (a package's provenance and
 * advisories come after every package document) are not patched into the
 * spool: an amend callback (graph_set_amend) is asked, as each object is
 * copied out, for members to add to it, which are spliced in before its
 * closing brace. So an object is still written once and read once, and
 * only the late facts themselves are held (by the caller) until then.
 *
 * Directory output replaces an existing --out only when the new tree is
 * complete: it is built beside it and swapped in by rename. Like the dump,
 * it is readable by its owner only (0700 directories, 0600 files): it
 * carries the same emails.
 */
#ifndef J1NPM_TRANSFORM_GRAPH_H
#define J1NPM_TRANSFORM_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "schema.h"

#define GRAPH_FILE_MAX_OBJECTS 1000
#define GRAPH_FILE_MAX_BYTES 5000000
#define GRAPH_RUN_BUDGET ((size_t)8 << 20)
/* At most this many runs wait for the merge (each is read through a buffer
 * of GRAPH_RUN_READ_BUF bytes); the next spill merges them into one. */
#define GRAPH_MAX_RUNS 64
#define GRAPH_RUN_READ_BUF 65536

struct graph;

struct graph *graph_new(struct err *e);
/* json: one complete object whose "_key" is key. */
int graph_add(struct graph *g, enum gtype t, const char *key, size_t klen, const char *json,
              size_t n, struct err *e);
/* out: a directory, or "-" for a gzip NDJSON stream on stdout.
 * partial: bit set of enum gtype (TB()) that are partial datasets. */
int graph_write(struct graph *g, const char *out, unsigned partial, struct err *e);
/* Appends to `extra` the members (`"k":v,"k2":v2`, no leading comma) to
 * add to object `key` of type t, or nothing. */
typedef void (*graph_amend_fn)(void *ctx, enum gtype t, const char *key, size_t klen,
                               struct buf *extra);
void graph_set_amend(struct graph *g, graph_amend_fn fn, void *ctx);
/* Sees each object as it is written, in output order, once (repeats are
 * already dropped): how the org report (orgfacts.h) takes its copy of the
 * graph without reading the output back. Set before graph_write. */
typedef int (*graph_fn)(void *ctx, enum gtype t, const char *json, size_t n, struct err *e);
void graph_observe(struct graph *g, graph_fn fn, void *ctx);
/* Hands every object to fn in output order and writes nothing (--compare
 * with a previous dump). */
int graph_each(struct graph *g, graph_fn fn, void *ctx, struct err *e);
/* Tests: a small run budget and fan-in force many runs and merges. */
void graph_tune(struct graph *g, size_t run_budget, size_t max_runs);
uint64_t graph_count(const struct graph *g, enum gtype t);
uint64_t graph_duplicates(const struct graph *g);
void graph_free(struct graph *g);

#endif
