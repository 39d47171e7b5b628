/*
 * modelint.h — the model's insides, shared by the files that make it up
 * (model.h is its public face and says what is held and why):
 *
 *   model.c       the model's life: made, finished (the objects written
 *                 last), freed; what "complete" means for the team lists;
 *   records.c     one handler per dump kind, filling the joins;
 *   join.c        the join tables (users, teams, packages);
 *   emit*.c       the objects of each entity kind and their relationships;
 *   packument.c   the facts of one package document;
 *   supply.c      the supply-chain kinds (the collecting account, the
 *                 attestations, the advisories): their handlers, the
 *                 advisory entities, and the late package facts.
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
    /* supply.c: advisories by id (struct advisory), and the collector. */
    struct strset advisories;
    struct collector {
        char *tfa_mode;   /* "auth-and-writes" | "auth-only" | "disabled"; NULL unknown */
        bool token_found; /* the collecting token was found in its list */
        bool readonly;
        bool cidr_null; /* cidr_whitelist null: no limit */
        struct strlist cidr;
        int64_t created;   /* epoch ms; -1 unknown */
        int64_t fetched;   /* the token list's fetched_at; -1 unknown */
        bool no_token_key; /* a token list without token_key was read */
    } coll;
};

/* A fetch of kind k failed or is missing: the types it feeds are partial. */
static inline void model_mark(struct model *m, enum dump_kind k)
{
    m->partial |= kind_feeds[k];
}

/* supply.c: the handlers of the four supply-chain kinds. */
int supply_record(struct model *m, const struct record *r, struct err *e);
/* supply.c: the checks at the end (an expected answer missing marks its
 * kind partial; a kind the collect did not know, as in a dump made before
 * it, is not expected) and the advisory entities. */
int supply_finish(struct model *m, const struct input_info *info, struct err *e);
/* supply.c: graph.h's amend callback: an npm_package's late facts. */
void supply_amend(void *ctx, enum gtype t, const char *key, size_t klen, struct buf *extra);
void supply_free(struct model *m);

/* model.c: the call before the first package document — checks that every
 * expected answer is present and writes the teams. */
int model_small_done(struct model *m, struct err *e);
/* model.c: whether every team list was read, so that "no team grants this"
 * is a fact. */
bool model_teams_complete(struct model *m);

#endif
