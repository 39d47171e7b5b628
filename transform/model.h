/*
 * model.h — turn dump records into JupiterOne entities and relationships.
 *
 * What is held in memory (the joins, and nothing else):
 *   - users: name, org role, emails (from profiles and from maintainer
 *     records), the profile document (small) — for members and for outside
 *     maintainers and collaborators;
 *   - teams: members and package permissions, and (access.h) the join
 *     that tells which collaborator access a team explains;
 *   - packages: name, access, visibility and collaborator counts — never
 *     the collaborators themselves: the access no team explains becomes an
 *     edge as the list is read, the rest only a count;
 * all keyed by name. Package documents are never held: each is read,
 * turned into its entity and relationships (handed to graph.c, which
 * spools them to disk), and dropped. Users are written last, because
 * package documents add emails to them.
 *
 * Partial data: every fetch that failed, answered with an error status, or
 * is missing from the dump marks the types it feeds (schema.h) as partial,
 * so JupiterOne deletes nothing it could not see. Entities are still made
 * from what is known.
 *
 * The model is several files, one concern each (modelint.h lists them):
 * its life (model.c), the record handlers (records.c), the join tables
 * (join.c), the entity emitters (emit*.c) and the package facts
 * (packument.c).
 */
#ifndef J1NPM_TRANSFORM_MODEL_H
#define J1NPM_TRANSFORM_MODEL_H

#include <stddef.h>

#include "err.h"
#include "graph.h"
#include "input.h"

struct model_tag {
    const char *key;
    const char *value;
};

struct model_opts {
    const char *account_name; /* NULL: none */
    const struct model_tag *tags;
    size_t ntags;
};

struct model;

/* Never fails (memory follows alloc.h). */
struct model *model_new(const struct model_opts *o, struct graph *g);
/* The input_read() callback. */
int model_record(void *ctx, const struct record *r, struct err *e);
/* After the input: makes the remaining objects; *partial gets the bit set
 * of partial types. */
int model_finish(struct model *m, const struct input_info *info, unsigned *partial, struct err *e);
void model_free(struct model *m);

#endif
