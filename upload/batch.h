/*
 * batch.h — one upload request's body, {"entities":[...]} or
 * {"relationships":[...]}, gzip-compressed while it is built.
 *
 * Only the compressed bytes are kept: a batch of ~1.5 MB of JSON waits
 * and flies as ~192 KB (BATCH_GZ_TARGET), and the job keeps at most 768 KB
 * of them unacknowledged. With a deflater (deflater.h) the compressing
 * runs on its own thread, fed in chunks. The JSON is needed again
 * only when the API refuses a batch as too large (413): batch_split()
 * inflates it, cuts it in two halves by object count and compresses each;
 * a batch of one object is instead rebuilt without that object's _rawData
 * (batch_strip_lone), as the SDK's own limit handling drops it.
 *
 * Sizes are counted exactly as sent: the wrapper, the commas and the
 * objects, which are minified (whitespace outside strings removed, so the
 * SDK's pretty-printed files cost no more than compact ones).
 */
#ifndef J1NPM_UPLOAD_BATCH_H
#define J1NPM_UPLOAD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <zlib.h>

#include "buf.h"
#include "err.h"
#include "graphobj.h"

/* zlib level for batch bodies, where nothing better is known (the dry run,
 * splits, the first batches of a job; sched.c then follows the link).
 * Measured on 94 MB of npm graph JSON: level 1 shrinks it 8x at ~300 MB/s;
 * level 6 deflates ~3x slower for bodies ~10% smaller; level 0 stores
 * (still gzip, at memcpy speed) for a link faster than the compressor. */
#define BATCH_GZIP_LEVEL 1
#define BATCH_GZIP_MIN 1
#define BATCH_GZIP_MAX 6

/* Batches aim at this many compressed bytes, whatever --batch-bytes allows:
 * the batches in flight are kept for retries and are most of the
 * uploader's memory, and smaller ones keep a slow link evenly busy. The
 * planner closes a batch at the JSON size that, at the last batch's
 * compression ratio, makes this much (a rule of the data alone, so a dry
 * run plans the same batches every time). At level 1 it is about 1.5 MB of
 * JSON; the SDK's own batches are ~120 KB. */
#define BATCH_GZ_TARGET ((size_t)192 << 10)

struct batch {
    enum gobj_kind kind;
    size_t nobj;
    size_t json_len;   /* bytes of JSON before compression */
    struct buf gz;     /* the body as sent */
    bool stripped;     /* a lone object rebuilt without its _rawData */
    unsigned long seq; /* set by the caller, for messages */
};

struct deflater;

/* Zero it before its first bb_start; bb_discard when done with it. */
struct batch_builder {
    z_stream z;
    bool z_ready; /* z is set up (kept across batches) */
    bool active;  /* a batch is being built */
    struct batch *b;
    struct deflater *w;  /* compresses on its thread; NULL: in the caller */
    struct buf chunk[2]; /* with w: JSON for it; chunk[cur] is being filled */
    int cur;
};

/* Bytes of the wrapper around the objects: {"entities":[ and ]}. */
size_t batch_overhead(enum gobj_kind kind);
const char *batch_member(enum gobj_kind kind); /* "entities" | "relationships" */

/* From now on compress on w's thread (deflater.h); w outlives bb's use. */
void bb_use_deflater(struct batch_builder *bb, struct deflater *w);
int bb_start(struct batch_builder *bb, enum gobj_kind kind, int level, struct err *e);
bool bb_active(const struct batch_builder *bb);
size_t bb_objects(const struct batch_builder *bb);
/* JSON bytes of the batch if an object of n bytes were added and it closed. */
size_t bb_size_with(const struct batch_builder *bb, size_t n);
int bb_add(struct batch_builder *bb, const char *obj, size_t n, struct err *e);
/* Closes the batch and hands it over (NULL on error); the builder can
 * start the next one. */
struct batch *bb_finish(struct batch_builder *bb, struct err *e);
/* Drops the batch being built, if any, and the zlib stream. */
void bb_discard(struct batch_builder *bb);

void batch_free(struct batch *b);

/* The JSON text of b. */
int batch_inflate(const struct batch *b, struct buf *out, struct err *e);
/* Two batches holding the first and the second half of b's objects (b has >= 2). */
int batch_split(const struct batch *b, struct batch **first, struct batch **second, struct err *e);
/* b holds one object. *out: that object without _rawData, or NULL when it
 * has none; key and type receive its decoded _key and _type. */
int batch_strip_lone(const struct batch *b, struct batch **out, struct buf *key, struct buf *type,
                     struct err *e);

/* Appends a valid JSON text without the whitespace outside strings. */
void batch_minify(const char *p, size_t n, struct buf *out);
/* Appends a valid JSON object without its "_rawData" member; -1 when p is
 * not a JSON object (then out holds a part of it). */
int batch_strip_raw_data(const char *p, size_t n, struct buf *out);

#endif
