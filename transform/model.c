/*
 * model.c — see model.h for what is held and why; modelint.h for how the
 * model's files divide the work. This file holds its life: made, the
 * check made once the small kinds are read, finished, freed.
 *
 * model_finish() writes what could not be written earlier: packages
 * without a document, users (package documents add emails to them) and
 * the account (it counts the others).
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "emit.h"
#include "log.h"
#include "modelint.h"

bool model_teams_complete(struct model *m)
{
    /* Decided once, at the first collaborator list: the dump's kind order
     * puts every team record before it. */
    if (m->teams_complete < 0) {
        m->teams_complete = m->teams_known;
        for (size_t i = 0; i < m->j.teams.cap; i++) {
            const struct team *t = join_slot(&m->j.teams, i);
            if (t && (!t->members_known || !t->perms_known))
                m->teams_complete = 0;
        }
    }
    return m->teams_complete;
}

/* Every list, and every per-item answer the lists call for, must be in the dump. */
static void check_expected(struct model *m)
{
    static const enum dump_kind lists[] = {K_ORG_USERS, K_ORG_TEAMS, K_ORG_PACKAGES};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (!m->seen[lists[i]])
            model_mark(m, lists[i]);
    for (size_t i = 0; i < m->j.teams.cap; i++) {
        const struct team *t = join_slot(&m->j.teams, i);
        if (t && !t->members_seen)
            model_mark(m, K_TEAM_USERS);
        if (t && !t->perms_seen)
            model_mark(m, K_TEAM_PACKAGES);
    }
    for (size_t i = 0; i < m->j.users.cap; i++) {
        const struct user *u = join_slot(&m->j.users, i);
        if (u && u->member && !u->profile_seen)
            model_mark(m, K_USER_PROFILES);
    }
    for (size_t i = 0; i < m->j.packages.cap; i++) {
        const struct package *p = join_slot(&m->j.packages, i);
        if (p && !p->vis_seen)
            model_mark(m, K_PACKAGE_VISIBILITY);
        if (p && !p->collab_seen)
            model_mark(m, K_PACKAGE_COLLABORATORS);
    }
}

int model_small_done(struct model *m, struct err *e)
{
    m->small_done = true;
    if (!m->org)
        return err_set(e, ERR_FAIL, "the dump holds no org-level record: nothing to transform");
    check_expected(m);
    for (size_t i = 0; i < m->j.teams.cap; i++) {
        struct team *t = join_slot(&m->j.teams, i);
        if (t && emit_team(m, t, e) < 0)
            return -1;
    }
    return 0;
}

/* The manifest's own word on completeness. */
static void manifest_partial(struct model *m, const struct input_info *info)
{
    if (!info->have_manifest || info->stopped) {
        m->partial = (1u << T_COUNT) - 1;
    } else if (!info->complete) {
        bool any = false;
        for (int k = 0; k < K_COUNT; k++)
            if (info->failed[k]) {
                model_mark(m, (enum dump_kind)k);
                any = true;
            }
        if (!any)
            m->partial = (1u << T_COUNT) - 1;
    }
}

int model_finish(struct model *m, const struct input_info *info, unsigned *partial, struct err *e)
{
    if (!m->small_done && model_small_done(m, e) < 0)
        return -1;
    if (info->org[0] && strcmp(info->org, m->org) != 0)
        return err_set(e, ERR_FAIL, "the manifest is for org '%s' but the records are for '%s'",
                       info->org, m->org);
    for (size_t i = 0; i < m->j.packages.cap; i++) {
        struct package *p = join_slot(&m->j.packages, i);
        if (!p || p->emitted)
            continue;
        if (!p->doc_seen)
            model_mark(m, K_PACKUMENTS);
        if (emit_package(m, p, NULL, false, e) < 0)
            return -1;
    }
    if (supply_finish(m, info, e) < 0)
        return -1;
    /* Without the roster, no user's membership or role is known: writing
     * users would overwrite what JupiterOne has with worse values. They are
     * left out instead, and npm_user is partial, so JupiterOne keeps its own. */
    if (!m->roster_known && m->j.users.n)
        log_warn("the org roster is not in the dump: %zu user entities are left out (JupiterOne "
                 "keeps the ones it has)",
                 m->j.users.n);
    for (size_t i = 0; m->roster_known && i < m->j.users.cap; i++) {
        struct user *u = join_slot(&m->j.users, i);
        if (u && emit_user(m, u, e) < 0)
            return -1;
    }
    if (emit_account(m, info, e) < 0)
        return -1;
    if (m->skipped_rels)
        log_warn("%llu team permission(s) name packages outside the org's package list; those "
                 "relationships were left out",
                 (unsigned long long)m->skipped_rels);
    manifest_partial(m, info);
    *partial = m->partial;
    return 0;
}

struct model *model_new(const struct model_opts *o, struct graph *g)
{
    struct model *m = xcalloc(1, sizeof *m);
    m->o = *o;
    m->g = g;
    m->teams_complete = -1;
    join_init(&m->j);
    m->obj = m->s1 = m->s2 = (struct buf)BUF_INIT;
    m->doc.latest_name = (struct buf)BUF_INIT;
    m->coll.created = m->coll.fetched = -1;
    graph_set_amend(g, supply_amend, m);
    return m;
}

void model_free(struct model *m)
{
    if (!m)
        return;
    supply_free(m);
    join_free(&m->j);
    strset_free(&m->warned, NULL);
    pkgdoc_free(&m->doc);
    buf_free(&m->obj);
    buf_free(&m->s1);
    buf_free(&m->s2);
    free(m->org);
    free(m->whoami);
    free(m);
}
