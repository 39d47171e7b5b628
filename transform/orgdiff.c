/*
 * orgdiff.c — see orgdiff.h.
 *
 * Both sides are sorted by name (ofacts_finish), so each list is compared
 * in one merge walk: a name only on the left left, only on the right came,
 * on both may have changed.
 */
#include "orgdiff.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"

const struct od_class_info od_classes[OD_COUNT] = {
    [OD_MEMBER_JOINED] = {"member-joined", "a user became a member of the org"},
    [OD_MEMBER_LEFT] = {"member-left", "a member left the org"},
    [OD_ROLE_CHANGED] = {"role-changed", "a member's role changed"},
    [OD_NEW_OWNER] = {"new-owner", "a user is an owner who was not one"},
    [OD_NEW_ADMIN] = {"new-admin", "a user is an admin who was not one"},
    [OD_TEAM_CREATED] = {"team-created", "a team was created"},
    [OD_TEAM_DELETED] = {"team-deleted", "a team was deleted"},
    [OD_TEAM_MEMBER_ADDED] = {"team-member-added", "a user was added to a team"},
    [OD_TEAM_MEMBER_REMOVED] = {"team-member-removed", "a user was removed from a team"},
    [OD_TEAM_PERMISSION_CHANGED] = {"team-permission-changed",
                                    "a team got, lost or changed its permission on a package"},
    [OD_NEW_OUTSIDE_COLLABORATOR] = {"new-outside-collaborator",
                                     "a user outside the org got access to a package, or "
                                     "read-write where it had read-only"},
    [OD_NEW_MAINTAINER] = {"new-maintainer", "a user became a maintainer of a package"},
    [OD_PACKAGE_CREATED] = {"package-created", "a package appeared in the org"},
    [OD_PACKAGE_DELETED] = {"package-deleted", "a package left the org"},
    [OD_MADE_PUBLIC] = {"made-public", "a private package became public"},
    [OD_MADE_PRIVATE] = {"made-private", "a public package became private"},
    [OD_LOST_PROVENANCE] = {"lost-provenance",
                            "a package's latest version has no provenance, the previous "
                            "latest had"},
    [OD_TRUST_DOWNGRADE] = {"trust-downgrade",
                            "a package has a trust downgrade it did not have (trustDowngrade)"},
    [OD_NEW_INSTALL_SCRIPT] = {"new-install-script",
                               "a package's latest version has install scripts, the previous "
                               "latest had none"},
    [OD_NEW_ADVISORY] = {"new-advisory", "a package has more advisories than before"},
};

static void add(struct od_changes *c, enum od_class cls, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add(struct od_changes *c, enum od_class cls, const char *subject, const char *fmt, ...)
{
    if (c->count[cls]++ >= OD_MAX_LISTED) {
        c->unlisted++;
        return;
    }
    struct buf d = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&d, fmt, ap);
    va_end(ap);
    GROW(c->v, c->n + 1, c->cap);
    c->v[c->n++] = (struct od_change){cls, xstrdup(subject), buf_detach(&d)};
}

static const char *role_or(const char *r)
{
    return r ? r : "no role";
}

static bool is_member(const struct of_user *u)
{
    return u && u->member == 1;
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void users(const struct ofacts *p, const struct ofacts *q, struct od_changes *c)
{
    /* Only org members count here: an outsider appears and goes with the
     * packages it is a collaborator of (new-outside-collaborator). */
    size_t i = 0, j = 0;
    while (i < p->nusers || j < q->nusers) {
        const struct of_user *a = i < p->nusers ? &p->users[i] : NULL;
        const struct of_user *b = j < q->nusers ? &q->users[j] : NULL;
        int cmp = !a ? 1 : !b ? -1 : strcmp(a->name, b->name);
        const struct of_user *was = cmp <= 0 ? a : NULL, *now = cmp >= 0 ? b : NULL;
        i += cmp <= 0;
        j += cmp >= 0;
        if (!was && !now)
            break;
        const char *name = (now ? now : was)->name;
        bool m0 = is_member(was), m1 = is_member(now);
        const char *r0 = m0 ? was->role : NULL, *r1 = m1 ? now->role : NULL;
        if (!m0 && m1)
            add(c, OD_MEMBER_JOINED, name, "joined as %s", role_or(r1));
        else if (m0 && !m1)
            add(c, OD_MEMBER_LEFT, name, "left (was %s)", role_or(r0));
        else if (m0 && m1 && !same(r0, r1))
            add(c, OD_ROLE_CHANGED, name, "%s -> %s", role_or(r0), role_or(r1));
        if (m1 && r1 && !strcmp(r1, "owner") && !(r0 && !strcmp(r0, "owner")))
            add(c, OD_NEW_OWNER, name, "now owner (was %s)", m0 ? role_or(r0) : "not a member");
        if (m1 && r1 && !strcmp(r1, "admin") && !(r0 && !strcmp(r0, "admin")))
            add(c, OD_NEW_ADMIN, name, "now admin (was %s)", m0 ? role_or(r0) : "not a member");
    }
}

static void teams(const struct ofacts *p, const struct ofacts *q, struct od_changes *c)
{
    size_t i = 0, j = 0;
    while (i < p->nteams || j < q->nteams) {
        int cmp = i >= p->nteams ? 1 : j >= q->nteams ? -1 : strcmp(p->teams[i].id, q->teams[j].id);
        if (cmp < 0)
            add(c, OD_TEAM_DELETED, p->teams[i].name, "deleted");
        else if (cmp > 0)
            add(c, OD_TEAM_CREATED, q->teams[j].name, "created");
        i += cmp <= 0;
        j += cmp >= 0;
    }
}

static const char *perm_or(const char *perm)
{
    return perm ? perm : "unknown permission";
}

/* Edges of kind k on both sides, merged by (a, b). */
static void edges(const struct ofacts *p, const struct ofacts *q, enum of_edge_kind k,
                  struct od_changes *c)
{
    size_t i = 0, j = 0, np = p->nedges[k], nq = q->nedges[k];
    const struct of_edge *vp = p->edges[k], *vq = q->edges[k];
    while (i < np || j < nq) {
        int cmp = i >= np ? 1 : j >= nq ? -1 : strcmp(vp[i].a, vq[j].a);
        if (!cmp)
            cmp = strcmp(vp[i].b, vq[j].b);
        const struct of_edge *was = cmp <= 0 ? &vp[i] : NULL, *now = cmp >= 0 ? &vq[j] : NULL;
        i += cmp <= 0;
        j += cmp >= 0;
        const struct of_edge *x = now ? now : was;
        if (!x)
            break;
        switch (k) {
        case OE_TEAM_USER: {
            const char *team = ofacts_team_name(now ? q : p, x->a);
            if (!was)
                add(c, OD_TEAM_MEMBER_ADDED, team, "%s added", x->b);
            else if (!now)
                add(c, OD_TEAM_MEMBER_REMOVED, team, "%s removed", x->b);
            break;
        }
        case OE_TEAM_PKG: {
            const char *team = ofacts_team_name(now ? q : p, x->a);
            if (!was)
                add(c, OD_TEAM_PERMISSION_CHANGED, team, "%s: gained %s", x->b, perm_or(x->perm));
            else if (!now)
                add(c, OD_TEAM_PERMISSION_CHANGED, team, "%s: lost %s", x->b, perm_or(x->perm));
            else if (!same(was->perm, now->perm))
                add(c, OD_TEAM_PERMISSION_CHANGED, team, "%s: %s -> %s", x->b, perm_or(was->perm),
                    perm_or(now->perm));
            break;
        }
        case OE_PKG_USER:
            if (now && now->member == 0 &&
                (!was ||
                 (now->perm && !strcmp(now->perm, "read-write") && !same(was->perm, now->perm))))
                add(c, OD_NEW_OUTSIDE_COLLABORATOR, now->b, "%s: %s%s", now->a, perm_or(now->perm),
                    was ? " (was read-only)" : "");
            break;
        case OE_USER_PKG:
            if (!was) {
                const struct of_user *u = ofacts_user(q, x->a);
                add(c, OD_NEW_MAINTAINER, x->a, "%s%s", x->b,
                    u && u->member == 0 ? " (outside the org)" : "");
            }
            break;
        case OE_ADV_PKG:
            if (!was)
                add(c, OD_NEW_ADVISORY, x->b, "advisory %s", x->a);
            break;
        default: break;
        }
    }
}

static void packages(const struct ofacts *p, const struct ofacts *q, struct od_changes *c)
{
    size_t i = 0, j = 0;
    while (i < p->npkgs || j < q->npkgs) {
        int cmp = i >= p->npkgs ? 1 : j >= q->npkgs ? -1 : strcmp(p->pkgs[i].name, q->pkgs[j].name);
        const struct of_pkg *was = cmp <= 0 ? &p->pkgs[i] : NULL,
                            *now = cmp >= 0 ? &q->pkgs[j] : NULL;
        i += cmp <= 0;
        j += cmp >= 0;
        if (!was && !now)
            break;
        if (!was) {
            add(c, OD_PACKAGE_CREATED, now->name, "created%s",
                now->pub == 1   ? " (public)"
                : now->pub == 0 ? " (private)"
                                : "");
            continue;
        }
        if (!now) {
            add(c, OD_PACKAGE_DELETED, was->name, "deleted");
            continue;
        }
        if (was->pub == 0 && now->pub == 1)
            add(c, OD_MADE_PUBLIC, now->name, "private -> public");
        if (was->pub == 1 && now->pub == 0)
            add(c, OD_MADE_PRIVATE, now->name, "public -> private");
        if (was->provenance == 1 && now->provenance == 0)
            add(c, OD_LOST_PROVENANCE, now->name, "%s had provenance, %s has none",
                was->version ? was->version : "the previous latest",
                now->version ? now->version : "the latest");
        if (now->downgrade == 1 && was->downgrade == 0)
            add(c, OD_TRUST_DOWNGRADE, now->name, "latest %s: trust %s",
                now->version ? now->version : "version",
                now->latest_trust ? now->latest_trust : "lowered");
        if (now->install == 1 && was->install == 0)
            add(c, OD_NEW_INSTALL_SCRIPT, now->name, "%s: %s",
                now->version ? now->version : "latest",
                now->install_scripts ? now->install_scripts : "install scripts");
        if (now->adv != OF_NONE && was->adv != OF_NONE && now->adv > was->adv)
            add(c, OD_NEW_ADVISORY, now->name, "%lld -> %lld advisories", was->adv, now->adv);
    }
}

static int cmp_change(const void *a, const void *b)
{
    const struct od_change *x = a, *y = b;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    int c = strcmp(x->subject, y->subject);
    return c ? c : strcmp(x->detail, y->detail);
}

void od_diff(const struct ofacts *prev, const struct ofacts *cur, struct od_changes *out)
{
    memset(out, 0, sizeof *out);
    users(prev, cur, out);
    teams(prev, cur, out);
    for (int k = 0; k < OE_COUNT; k++)
        edges(prev, cur, (enum of_edge_kind)k, out);
    packages(prev, cur, out);
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_change);
}

void od_free(struct od_changes *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].subject);
        free(c->v[i].detail);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
}

int od_parse_classes(const char *list, unsigned long *mask, struct err *e)
{
    *mask = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        bool found = false;
        if (n == 3 && !strncmp(p, "any", 3)) {
            *mask |= (1ul << OD_COUNT) - 1;
            found = true;
        }
        for (int k = 0; k < OD_COUNT && !found; k++)
            if (strlen(od_classes[k].name) == n && !strncmp(p, od_classes[k].name, n)) {
                *mask |= 1ul << k;
                found = true;
            }
        if (!found) {
            struct buf known = BUF_INIT;
            for (int k = 0; k < OD_COUNT; k++)
                buf_printf(&known, "%s, ", od_classes[k].name);
            int rc = err_set(e, ERR_USAGE, "--fail-on: unknown class '%.*s' (known: %sany)",
                             (int)(n > 64 ? 64 : n), p, known.p);
            buf_free(&known);
            return rc;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (!*mask)
        return err_set(e, ERR_USAGE, "--fail-on needs at least one class");
    return 0;
}
