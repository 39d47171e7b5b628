/*
 * records.c — one handler per dump kind: model_record() (model.h).
 *
 * Records come in dump order (dumpfmt.h): the small kinds fill the joins
 * (join.h); the call before the first package document (record == NULL)
 * checks that every expected per-item answer is present and writes teams
 * (model.c); each package document then becomes its package entity and
 * relationships at once (emit_package.c).
 *
 * Six kinds are lists of names (names.h reads them all); one table says
 * for each what its body looks like, what a name in it means, and which
 * subject's flags it sets. A list about one subject (a team's members, a
 * package's collaborators) counts once: a second one is warned about and
 * ignored, and a 404 says the subject is gone, so the list is known empty.
 * Any other failure marks the types the kind feeds as partial (schema.h).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "emit.h"
#include "json.h"
#include "log.h"
#include "modelint.h"
#include "names.h"
#include "npmvalue.h"

static bool ok2xx(const struct record *r)
{
    return !r->failed && r->status >= 200 && r->status < 300 && r->body;
}

static bool is404(const struct record *r)
{
    return !r->failed && r->status == 404;
}

static int parse_body(const struct record *r, struct jdoc *d, struct err *e)
{
    if (jdoc_parse(d, r->body, r->body_len, e) < 0)
        return err_wrap(e, "%s", r->where);
    return 0;
}

static int bad_shape(const struct record *r, struct err *e, const char *what)
{
    return err_set(e, ERR_FAIL, "%s: unexpected shape: %s", r->where, what);
}

/* ---- what one name in a list means --------------------------------------------- */

/* u: the named user (made if new) in a list of users, else NULL. */
typedef int (*name_fn)(struct model *m, void *ctx, const char *name, size_t n, const char *value,
                       struct user *u, struct err *e);

static int roster_member(struct model *m, void *ctx, const char *name, size_t n, const char *role,
                         struct user *u, struct err *e)
{
    (void)ctx, (void)n, (void)e;
    u->member = true;
    free(u->role);
    u->role = xstrdup(role);
    if (strcmp(role, "developer") != 0 && strcmp(role, "admin") != 0 &&
        strcmp(role, "owner") != 0 && strset_add(&m->warned, role, strlen(role), NULL) == 1)
        log_warn("unknown org role '%s' (of '%s'; kept as is, and admin is set as for any role "
                 "other than developer)",
                 role, name);
    return 0;
}

static int org_team(struct model *m, void *ctx, const char *name, size_t n, const char *v,
                    struct user *u, struct err *e)
{
    (void)ctx, (void)n, (void)v, (void)u, (void)e;
    join_team(&m->j, name, m->org);
    return 0;
}

static int org_package(struct model *m, void *ctx, const char *name, size_t n, const char *access,
                       struct user *u, struct err *e)
{
    (void)ctx, (void)n, (void)u, (void)e;
    struct package *p = join_package(&m->j, name);
    free(p->access);
    p->access = xstrdup(npm_perm_normalize(access));
    return 0;
}

static int team_member(struct model *m, void *ctx, const char *name, size_t n, const char *v,
                       struct user *u, struct err *e)
{
    struct team *t = ctx;
    (void)v, (void)e;
    strlist_add(&t->members, name, n);
    access_member(m->j.access, t->id, u->id);
    return 0;
}

static int team_permission(struct model *m, void *ctx, const char *name, size_t n, const char *perm,
                           struct user *u, struct err *e)
{
    struct team *t = ctx;
    (void)u, (void)e;
    const char *pv = npm_perm_normalize(perm);
    int rank = perm_parse(pv);
    strlist_add(&t->perm_pkg, name, n);
    strlist_add(&t->perm_val, pv, strlen(pv));
    /* A permission spelled some other way grants nothing we can compare:
     * the collaborators it might explain keep their edges. */
    if (rank >= 0)
        access_grant(m->j.access, t->id, name, n, (enum perm)rank);
    return 0;
}

struct collab_list {
    struct package *p;
    const struct access_grants *grants; /* the package's team grants */
};

static int collaborator(struct model *m, void *ctx, const char *name, size_t n, const char *perm,
                        struct user *u, struct err *e)
{
    const struct collab_list *cl = ctx;
    struct package *p = cl->p;
    const char *pv = npm_perm_normalize(perm);
    int want = perm_parse(pv);
    (void)name, (void)n;
    p->n_collab++;
    if (want == PERM_WRITE)
        p->n_write++;
    else if (want == PERM_READ)
        p->n_read++;
    if (m->roster_known && !u->member)
        p->n_outside++;
    enum perm team = access_team_perm(m->j.access, cl->grants, u->id);
    if (want >= 0 && (enum perm)want <= team)
        return 0; /* a team of theirs grants this: team HAS user + team ALLOWS package say it */
    p->n_direct++;
    return emit_allows_user(m, p, u, pv, team, e);
}

/* ---- the lists' subjects ---------------------------------------------------------- */

/* What a list is about: the flags it sets, and the context its names get. */
struct list_subject {
    bool *seen;  /* per-subject lists: read once; NULL for a list of the org */
    bool *known; /* set once the list is read (or known empty); may be NULL */
    void *ctx;
    struct collab_list collab; /* the ctx of a collaborator list */
};

/* Each returns false when the record is to be ignored. */
typedef bool (*subject_fn)(struct model *m, const struct record *r, struct list_subject *s);

static bool subject_roster(struct model *m, const struct record *r, struct list_subject *s)
{
    (void)r;
    s->known = &m->roster_known;
    return true;
}

static bool subject_teams(struct model *m, const struct record *r, struct list_subject *s)
{
    (void)r;
    s->known = &m->teams_known;
    return true;
}

static bool subject_packages(struct model *m, const struct record *r, struct list_subject *s)
{
    (void)m, (void)r, (void)s;
    return true;
}

static bool subject_team_users(struct model *m, const struct record *r, struct list_subject *s)
{
    struct team *t = join_team(&m->j, r->subject, m->org);
    s->seen = &t->members_seen;
    s->known = &t->members_known;
    s->ctx = t;
    return true;
}

static bool subject_team_packages(struct model *m, const struct record *r, struct list_subject *s)
{
    struct team *t = join_team(&m->j, r->subject, m->org);
    s->seen = &t->perms_seen;
    s->known = &t->perms_known;
    s->ctx = t;
    return true;
}

static bool subject_collaborators(struct model *m, const struct record *r, struct list_subject *s)
{
    struct package *p = join_find_package(&m->j, r->subject);
    if (!p)
        return false; /* not one of the org's packages */
    s->seen = &p->collab_seen;
    s->known = &p->collab_known;
    s->collab.p = p;
    s->collab.grants = access_package(m->j.access, p->name);
    s->ctx = &s->collab;
    return true;
}

/* ---- the list skeleton ------------------------------------------------------------ */

struct list_kind {
    enum npm_shape shape;
    bool of_users; /* names are users: each is made a user */
    name_fn fn;
    subject_fn subject;
    const char *second; /* "a second <this> '<subject>'" */
};

static const struct list_kind list_kinds[K_COUNT] = {
    [K_ORG_USERS] = {NPM_ROSTER, true, roster_member, subject_roster, NULL},
    [K_ORG_TEAMS] = {NPM_TEAMS, false, org_team, subject_teams, NULL},
    [K_ORG_PACKAGES] = {NPM_PACKAGES, false, org_package, subject_packages, NULL},
    [K_TEAM_USERS] = {NPM_TEAM_MEMBERS, true, team_member, subject_team_users,
                      "member list for team"},
    [K_TEAM_PACKAGES] = {NPM_TEAM_PACKAGES, false, team_permission, subject_team_packages,
                         "permission list for team"},
    [K_PACKAGE_COLLABORATORS] = {NPM_COLLABORATORS, true, collaborator, subject_collaborators,
                                 "collaborator list for"},
};

/* One list being read: a list may name an entry twice; the first one
 * counts. A list of users is deduplicated through the user itself
 * (user.listed), without a set: collaborator lists name thousands per
 * package (with npm's developers team, every member on every package: half
 * a realistic dump's bytes). Other lists (teams, packages: short) go
 * through a set of the names seen. */
struct list_read {
    struct model *m;
    const struct list_kind *lk;
    void *ctx;
    uint32_t list;
    struct strset seen;
};

static int list_name(void *vctx, const char *name, size_t n, const char *value, struct err *e)
{
    struct list_read *lr = vctx;
    struct user *u = NULL;
    if (lr->lk->of_users) {
        u = join_user(&lr->m->j, name);
        if (u->listed == lr->list)
            return 0;
        u->listed = lr->list;
    } else if (strset_add(&lr->seen, name, n, NULL) == 0) {
        return 0;
    }
    return lr->lk->fn(lr->m, lr->ctx, name, n, value, u, e);
}

static int read_names(struct model *m, const struct record *r, const struct list_kind *lk,
                      void *ctx, struct err *e)
{
    struct list_read lr = {m, lk, ctx, ++m->nlists, STRSET_INIT};
    int rc = names_walk(r->body, r->body_len, r->where, lk->shape, list_name, &lr, e);
    strset_free(&lr.seen, NULL);
    return rc;
}

static int on_list(struct model *m, const struct record *r, struct err *e)
{
    const struct list_kind *lk = &list_kinds[r->kind];
    struct list_subject s = {0};
    if (!lk->subject(m, r, &s))
        return 0;
    if (s.seen) {
        if (*s.seen) {
            log_warn("%s: a second %s '%s'; ignored", r->where, lk->second, r->subject);
            return 0;
        }
        *s.seen = true;
        if (is404(r)) { /* the subject is gone: the list is empty */
            *s.known = true;
            return 0;
        }
    }
    if (!ok2xx(r)) {
        model_mark(m, r->kind);
        return 0;
    }
    if (read_names(m, r, lk, s.ctx, e) < 0)
        return -1;
    if (s.known)
        *s.known = true;
    return 0;
}

/* ---- the other kinds -------------------------------------------------------------- */

static int on_whoami(struct model *m, const struct record *r)
{
    if (!ok2xx(r))
        return 0;
    struct jdoc d = JDOC_INIT;
    if (jdoc_parse(&d, r->body, r->body_len, NULL) == 0) {
        int u = jdoc_get(&d, 0, "username");
        buf_reset(&m->s1);
        if (u >= 0 && jdoc_str(&d, u, &m->s1) == 0 && !m->whoami) {
            if (m->s1.len && strlen(m->s1.p) == m->s1.len)
                m->whoami = xstrdup(m->s1.p);
            else
                log_warn("%s: whoami answered an empty or unusable username; collectedAs is "
                         "left out",
                         r->where);
        }
    }
    jdoc_free(&d);
    return 0;
}

static int on_profile(struct model *m, const struct record *r, struct err *e)
{
    /* Profiles of outside collaborators come before the collaborator lists
     * that name them: the user is made here, a member only if the roster says so. */
    struct user *u = join_user(&m->j, r->subject);
    u->profile_seen = true;
    if (is404(r))
        return 0;
    if (!ok2xx(r)) {
        model_mark(m, r->kind);
        return 0;
    }
    struct jdoc d = JDOC_INIT;
    int rc = -1;
    if (parse_body(r, &d, e) < 0)
        goto out;
    if (!jdoc_is(&d, 0, JT_OBJECT)) {
        bad_shape(r, e, "a user profile must be an object");
        goto out;
    }
    int em = jdoc_get(&d, 0, "email");
    if (em >= 0 && !jdoc_is_null(&d, em)) {
        buf_reset(&m->s1);
        if (jdoc_str(&d, em, &m->s1) < 0) {
            bad_shape(r, e, "a profile's email is not a string");
            goto out;
        }
        if (npm_email_normalize(m->s1.p, m->s1.len, &m->s2)) /* ends at a NUL it holds */
            strlist_add_unique(&u->emails, m->s2.p, strlen(m->s2.p));
    }
    free(u->profile);
    u->profile = xmemdup0(r->body, r->body_len);
    rc = 0;
out:
    jdoc_free(&d);
    return rc;
}

static int on_visibility(struct model *m, const struct record *r, struct err *e)
{
    struct package *p = join_find_package(&m->j, r->subject);
    if (!p)
        return 0;
    p->vis_seen = true;
    if (is404(r))
        return 0;
    if (!ok2xx(r)) {
        model_mark(m, r->kind);
        return 0;
    }
    struct jdoc d = JDOC_INIT;
    int rc = -1;
    bool pub;
    if (parse_body(r, &d, e) < 0)
        goto out;
    int pv = jdoc_get(&d, 0, "public");
    if (!jdoc_is(&d, 0, JT_OBJECT) || pv < 0 || jdoc_bool(&d, pv, &pub) < 0) {
        bad_shape(r, e, "visibility must be {\"public\": true|false}");
        goto out;
    }
    p->visibility = pub;
    rc = 0;
out:
    jdoc_free(&d);
    return rc;
}

static int on_packument(struct model *m, const struct record *r, struct err *e)
{
    struct package *p = join_find_package(&m->j, r->subject);
    if (!p) {
        log_warn("%s: a document for '%s', which is not in the org's package list; ignored",
                 r->where, r->subject);
        return 0;
    }
    if (p->doc_seen) {
        log_warn("%s: a second document for '%s'; ignored", r->where, r->subject);
        return 0;
    }
    p->doc_seen = true;
    if (is404(r))
        return emit_package(m, p, NULL, true, e);
    if (!ok2xx(r)) {
        model_mark(m, r->kind);
        return emit_package(m, p, NULL, false, e);
    }
    if (pkgdoc_scan(&m->doc, r->body, r->body_len, e) < 0)
        return err_wrap(e, "%s", r->where);
    if (m->doc.empty_versions)
        log_warn("%s: package '%s' has %zu version(s) with an empty name; ignored", r->where,
                 p->name, m->doc.empty_versions);
    return emit_package(m, p, &m->doc, false, e);
}

/* ---- dispatch ---------------------------------------------------------------------- */

int model_record(void *ctx, const struct record *r, struct err *e)
{
    struct model *m = ctx;
    if (!r)
        return model_small_done(m, e);
    m->where = r->where;
    if (!m->org && (r->kind == K_WHOAMI || r->kind == K_ORG_USERS || r->kind == K_ORG_TEAMS ||
                    r->kind == K_ORG_PACKAGES))
        m->org = xstrdup(r->subject);
    m->seen[r->kind] = true;
    if (r->failed)
        model_mark(m, r->kind);
    switch (r->kind) {
    case K_WHOAMI: return on_whoami(m, r);
    case K_ORG_USERS:
    case K_ORG_TEAMS:
    case K_TEAM_USERS:
    case K_TEAM_PACKAGES:
    case K_ORG_PACKAGES:
    case K_PACKAGE_COLLABORATORS: return on_list(m, r, e);
    case K_USER_PROFILES: return on_profile(m, r, e);
    case K_PACKAGE_VISIBILITY: return on_visibility(m, r, e);
    case K_PACKUMENTS: return on_packument(m, r, e);
    case K_COLLECTOR_PROFILE:
    case K_COLLECTOR_TOKENS:
    case K_ATTESTATIONS:
    case K_ADVISORIES: return supply_record(m, r, e);
    default: return 0;
    }
}
