/*
 * plan.h — objects in, batches out: reads the source, checks each object
 * (check.h) and packs the good ones, minified, into batches of at most
 * --batch-bytes of JSON (batch.h), entities first, then relationships.
 *
 * An object too large for a batch on its own is sent without its _rawData
 * (the SDK does the same); one still too large without it, one that is not
 * a valid graph object, or one whose _key repeats is not sent: it is
 * reported by _key, and its _type joins the partial datasets given to
 * finalize, so that JupiterOne keeps its old copy instead of deleting it.
 * The job layer reports the objects a 413 proves too large the same way
 * (planner_drop). Nothing is dropped silently: the caller ends with exit 3.
 *
 * Memory: the object being placed and the batch being built (compressed).
 */
#ifndef J1NPM_UPLOAD_PLAN_H
#define J1NPM_UPLOAD_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "check.h"
#include "err.h"
#include "source.h"

struct plan_stats {
    uint64_t objects[2]; /* accepted for sending, by enum gobj_kind */
    uint64_t batches[2];
    uint64_t dropped;   /* not sent, for any reason (also via planner_drop) */
    uint64_t too_large; /* of which: too large even without _rawData */
    uint64_t stripped;  /* sent without their _rawData */
    uint64_t json_bytes, gz_bytes;
};

struct planner;

/* Never fails (memory follows alloc.h). */
struct planner *planner_new(struct source *src, size_t batch_bytes);
/* 1: *out is the next batch (the caller owns it); 0: no more (the input
 * ended whole); -1: the input is broken (e says why) and the job must not be
 * finalized. */
int planner_next(struct planner *p, struct batch **out, struct err *e);
/* Like planner_next, but returns 2 once about `budget` bytes of JSON went
 * into the batch being built without finishing it: the caller can let its
 * transfers progress and call again. A 5 MB batch takes tens of ms of CPU to
 * read, check and compress; built in one go, it would stall every upload in
 * flight that long. */
int planner_step(struct planner *p, struct batch **out, size_t budget, struct err *e);
/* At most this many objects of each kind in one batch (0: no cap). */
void planner_set_max_objects(struct planner *p, size_t entities, size_t relationships);
/* The zlib level (0..BATCH_GZIP_MAX) of the batches started from now on;
 * BATCH_GZIP_LEVEL until set. */
void planner_set_level(struct planner *p, int level);
/* An object that will not be sent: logged with why, counted, and its _type
 * (may be NULL or "") marked partial. */
void planner_drop(struct planner *p, const char *why, const char *type);
/* The partial datasets for finalize: the summary's, then the dropped
 * objects' types. Complete once planner_next gave 0. */
size_t planner_partial_count(const struct planner *p);
const char *planner_partial_type(const struct planner *p, size_t i);
/* The finalize request's body, {"partialDatasets": {"types": [...]}}, into
 * out (reset first): what upload sends and what --dry-run shows. */
void planner_finalize_body(const struct planner *p, struct buf *out);
const struct plan_stats *planner_stats(const struct planner *p);
const struct check_stats *planner_check_stats(const struct planner *p);
size_t planner_batch_bytes(const struct planner *p);
/* The input, for the progress display (bytes read, of how many). */
const struct source *planner_source(const struct planner *p);
void planner_free(struct planner *p);

#endif
