/*
 * orgfacts.h — the compact copy of a graph that the org report, its
 * picture and --compare need: names and small facts, never documents.
 *
 * It is filled from graph objects (the JSON text of one entity or
 * relationship, as transform writes them), so the same code reads the
 * current run (graph.c hands each object over as it writes it), a previous
 * graph directory, and a previous dump (transformed in process, no file
 * written). What is kept: the account's name and collector facts; each
 * user's name, role and membership; each team's id and name; each
 * package's name and the handful of properties the report shows
 * (visibility, version, deprecation, publish time, publisher and the
 * supply-chain properties of issue 12); each advisory's id, title and
 * severity; and the edges between them as pairs of names (team has user,
 * team allows package + permission, package allows user + permission,
 * user manages package, package has advisory). About 100 bytes a
 * package plus its names: 10,000 packages and 100,000 edges stay well
 * under 20 MB; edges hold interned names (about 40 bytes an edge), so a
 * million direct grants take some 40 MB. Everything else in an object (raw data, emails,
 * descriptions) is skipped while it is read.
 *
 * A property the graph does not carry is kept as absent (OF_ABSENT), not as
 * false: the report tells "no provenance" from "provenance unknown".
 * ofacts_finish() sorts every list by name (bytewise), and drops repeats
 * (the first one read wins), so whatever order the objects came in, the
 * report is the same bytes.
 */
#ifndef J1NPM_TRANSFORM_ORGFACTS_H
#define J1NPM_TRANSFORM_ORGFACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "strset.h"

#define OF_ABSENT (-1)
#define OF_NONE (-1LL) /* an absent number */

/* A tri-state: OF_ABSENT, 0 or 1. */
typedef signed char ofbool;

struct of_user {
    char *name;
    char *role; /* "owner" | "admin" | "developer"; NULL when null or absent */
    ofbool member;
};

struct of_team {
    char *id;   /* "org:team", as in the _key */
    char *name; /* "team" */
};

struct of_pkg {
    char *name, *version, *publisher, *latest_trust, *install_scripts;
    ofbool pub, deprecated, provenance, trusted, downgrade, install, first_time, publisher_member,
        latest_affected, mismatch, self_hosted;
    long long published_on, adv, crit, high, moderate, low; /* OF_NONE: absent */
};

struct of_adv {
    char *id; /* the _key after "npm-advisory:" */
    char *title, *severity;
};

/* An edge between two names; perm for the permission-carrying kinds. The
 * strings are interned (ofacts.names): a name a thousand edges share is
 * held once. */
struct of_edge {
    const char *a, *b, *perm;
    ofbool member; /* OE_PKG_USER: the user's orgMember */
};

enum of_edge_kind {
    OE_TEAM_USER, /* a = team id, b = user */
    OE_TEAM_PKG,  /* a = team id, b = package, perm */
    OE_PKG_USER,  /* a = package, b = user, perm, member (direct grants) */
    OE_USER_PKG,  /* a = user, b = package (maintainer) */
    OE_ADV_PKG,   /* a = advisory id, b = package */
    OE_COUNT
};

struct ofacts {
    char *org, *collected_as, *tfa_mode;
    ofbool token_read_only;
    long long token_age_days;
    struct of_user *users;
    size_t nusers, capusers;
    struct of_team *teams;
    size_t nteams, capteams;
    struct of_pkg *pkgs;
    size_t npkgs, cappkgs;
    struct of_adv *advs;
    size_t nadvs, capadvs;
    struct of_edge *edges[OE_COUNT];
    size_t nedges[OE_COUNT], capedges[OE_COUNT];
    struct strset names;                   /* the edges' strings */
    const struct of_edge **grants_by_user; /* OE_PKG_USER sorted by (b, a) */
    bool have_supply_chain;                /* some package carries an issue-12 property */
};

void ofacts_init(struct ofacts *f);
void ofacts_free(struct ofacts *f);
/* One graph object of _type `type`: json is its whole text. Objects of
 * types the report does not use are ignored. -1 (e set) for text that is
 * not a JSON object. */
int ofacts_add(struct ofacts *f, const char *type, const char *json, size_t n, struct err *e);
/* Sorts and deduplicates; call once, after the last ofacts_add. */
void ofacts_finish(struct ofacts *f);

/* Lookups in a finished ofacts (binary search); NULL when absent. */
const struct of_user *ofacts_user(const struct ofacts *f, const char *name);
const struct of_team *ofacts_team(const struct ofacts *f, const char *id);
const struct of_pkg *ofacts_pkg(const struct ofacts *f, const char *name);
const struct of_adv *ofacts_adv(const struct ofacts *f, const char *id);
/* The first edge of kind k whose a equals `a` (edges are sorted by a, b):
 * iterate while the next one's a still equals. NULL when none. */
const struct of_edge *ofacts_edges_from(const struct ofacts *f, enum of_edge_kind k, const char *a,
                                        size_t *count);
/* The direct grants (OE_PKG_USER edges) of a user: *count pointers, in
 * package order; NULL when none. */
const struct of_edge *const *ofacts_grants_of(const struct ofacts *f, const char *user,
                                              size_t *count);
/* The team's name for a team id (the id itself when the team is unknown). */
const char *ofacts_team_name(const struct ofacts *f, const char *id);

/* Fills f from a previous run: a graph directory as transform writes it
 * (or a project directory holding .j1-integration/), or a dump directory
 * (transformed in process; nothing is written). f is finished. */
int ofacts_read_prev(struct ofacts *f, const char *path, struct err *e);

#endif
