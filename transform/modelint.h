/*
 * modelint.h — the model's insides, shared by the files that make it up
 * (model.h is its public face and says what is held and why):
 *
 *   model.c       the model's life: made, finished (the objects written
 *                 last), freed; what "complete" means for the team lists;
 *   records.c     one handler per dump kind, filling the joins;
 *   join.c        the join tables (users, teams, packages);
 *   emit*.c       the objects of each entity kind and their relationships;
 *   packument.c   the facts of one package document.
 */
#ifndef J1NPM_TRANSFORM_MODELINT_H
#define J1NPM_TRANSFORM_MODELINT_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "dumpfmt.h"
#include "join.h"
#include "model.h"
#include "packument.h"
#include "schema.h"
#include "strset.h"

struct model {
    struct model_opts o;
    struct graph *g;
    char *org;
    char *whoami;
    bool roster_known;
    bool seen[K_COUNT]; /* a record of this kind was read */
    struct joins j;
    const char *where;  /* the record being read ("file:line"), for messages */
    uint32_t nlists;    /* user lists read, for their dedupe (user.listed) */
    bool teams_known;   /* the org's team list was read */
    int teams_complete; /* -1 not yet decided; else every team list was read */
    unsigned partial;   /* bit set of partial types (schema.h) */
    bool small_done;    /* the kinds before package documents are all read */
    struct pkgdoc doc;  /* reused for every package document */
    struct buf obj, s1, s2;
    struct strset warned; /* unknown org roles already warned about */
    uint64_t skipped_rels;
};

/* A fetch of kind k failed or is missing: the types it feeds are partial. */
static inline void model_mark(struct model *m, enum dump_kind k)
{
    m->partial |= kind_feeds[k];
}

/* model.c: the call before the first package document — checks that every
 * expected answer is present and writes the teams. */
int model_small_done(struct model *m, struct err *e);
/* model.c: whether every team list was read, so that "no team grants this"
 * is a fact. */
bool model_teams_complete(struct model *m);

#endif
