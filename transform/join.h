/*
 * join.h — the join tables: the users, teams and packages the dump names,
 * each made the first time a record names it and looked up by name after.
 *
 * What each holds is what a later record or the output needs and nothing
 * more (model.h says why): a user's org role, emails and profile; a team's
 * members and package permissions; a package's access, visibility and
 * collaborator counts. Users and teams get small dense ids for access.c,
 * which holds the team/member/grant join that collaborator lists are
 * checked against. Memory follows alloc.h: a lookup that makes an entry
 * never fails.
 */
#ifndef J1NPM_TRANSFORM_JOIN_H
#define J1NPM_TRANSFORM_JOIN_H

#include <stdbool.h>
#include <stdint.h>

#include "access.h"
#include "strlist.h"
#include "strset.h"

struct user {
    uint32_t id;     /* for access.c: dense from 0 */
    uint32_t listed; /* the last list (names.h) that named this user */
    char *name;
    char *role; /* org role, NULL when not a member or unknown */
    bool member;
    struct strlist emails; /* unique, normalized (npmvalue.h) */
    char *profile;         /* raw JSON of the profile answer */
    bool profile_seen;
};

struct team {
    uint32_t id; /* for access.c */
    char *full;  /* "org:team" */
    char *org, *name;
    bool members_seen, members_known;
    struct strlist members;
    bool perms_seen, perms_known;
    struct strlist perm_pkg, perm_val; /* parallel */
};

struct package {
    char *name;
    char *access;
    int visibility; /* -1 unknown, 0 private, 1 public */
    bool vis_seen, collab_seen, collab_known, doc_seen, emitted;
    /* Collaborators are counted, not held: the ones the teams do not
     * explain become edges as their list is read. */
    uint32_t n_collab, n_write, n_read, n_outside, n_direct;
    /* Supply chain: facts that come after the package's document (its
     * attestation, its advisories) and what of the document they need.
     * They are added to the entity as it is written out (graph.h's
     * amend), so only these few words are held per package. */
    char *latest;                             /* the latest version, from the document */
    char *repo_host, *repo_owner, *repo_name; /* `repository`, when it maps */
    unsigned char repo_kind;                  /* enum repo_kind of `repository` */
    bool published_decided;                   /* the document (or its 404) was read */
    bool att_expected, att_seen;              /* the latest has dist.attestations; answered */
    char *prov_url, *prov_owner, *prov_name, *prov_host, *prov_commit, *prov_workflow,
        *prov_builder, *prov_trigger; /* from the attestation; NULL: absent */
    signed char prov_self_hosted;     /* -1 unknown */
    bool adv_asked, adv_failed;       /* named in an advisories request; in a failed one */
    bool adv_unreadable;              /* an advisory of it could not be read */
    uint32_t adv[5];                  /* critical, high, moderate, low, info */
    uint32_t n_adv;                   /* every advisory, whatever its severity */
    signed char latest_affected;      /* -1 unknown */
};

struct joins {
    struct strset users, teams, packages; /* name -> struct user/team/package */
    struct access *access;                /* team members and grants */
    uint32_t nusers, nteams;              /* ids handed out */
};

void join_init(struct joins *j);
void join_free(struct joins *j);

/* The entry named `name`, made if new. */
struct user *join_user(struct joins *j, const char *name);
struct package *join_package(struct joins *j, const char *name);
/* "org:team" as the registry spells it; a bare name belongs to `org`. */
struct team *join_team(struct joins *j, const char *full, const char *org);

/* The entry named `name`, or NULL. */
struct user *join_find_user(const struct joins *j, const char *name);
struct package *join_find_package(const struct joins *j, const char *name);

/* The value in slot i of one of the sets, or NULL for an empty slot:
 *     for (size_t i = 0; i < j->users.cap; i++)
 *         if ((u = join_slot(&j->users, i))) ... */
void *join_slot(const struct strset *set, size_t i);

#endif
