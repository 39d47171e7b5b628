/*
 * check.h — what upload checks about each object before it is batched.
 *
 * Per object (graphobj.h): a well-formed entity or relationship as the API
 * takes it. Across the input:
 *  - unique `_key`s: entities and relationships share one key space, as in
 *    the SDK (which throws on a repeated key while collecting). A repeated
 *    key is not sent (JupiterOne refuses duplicates within a job).
 *  - relationship classes: one outside @jupiterone/data-model's list is a
 *    warning (the SDK would not have made it; the API is not known to care).
 *  - direct relationships whose _fromEntityKey or _toEntityKey is not among
 *    this input's entities: a warning ("dangling"); mapped relationships and
 *    those by _id are not checked. Every entity has been seen by then: the
 *    source hands out all entities first.
 *
 * Memory: a set of keyed digests (SipHash-128, random key per run) of the
 * _keys, not the keys: 7 bytes a key, 67 bits of the digest compared, in
 * segments 75-85% full: about 1.8 MB for 200,000 objects. A false
 * "repeated key" would need a 67-bit collision under a secret key (for
 * 200,000 keys, odds of about 1 in 10^10 a run); it would be reported like
 * a real one.
 */
#ifndef J1NPM_UPLOAD_CHECK_H
#define J1NPM_UPLOAD_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "graphobj.h"
#include "source.h"

enum check_verdict {
    CHECK_OK,    /* send it */
    CHECK_DROP,  /* do not send it (invalid, or its _key repeats); g->type is usable */
    CHECK_FATAL, /* invalid, and without a usable _type it cannot be dropped safely */
};

struct check_stats {
    uint64_t invalid, duplicates, dangling, unknown_class;
};

struct checker;

struct checker *checker_new(void);
/* why: for DROP and FATAL, "FILE entities[3] (_key "..."): reason". */
enum check_verdict checker_check(struct checker *c, const struct source_obj *o, struct gobj *g,
                                 struct buf *why);
const struct check_stats *checker_stats(const struct checker *c);
/* "graph/x.json entities[3] (_key "k")" or "stdin:12 (_key "k")" into out. */
void checker_where(const struct source_obj *o, const struct gobj *g, struct buf *out);
void checker_free(struct checker *c);

#endif
