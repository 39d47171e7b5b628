/*
 * emit_team.c — the npm_team entity, team HAS user, team ALLOWS package and
 * account HAS team.
 *
 * Teams are written once the small kinds are all read (before the first
 * package document): by then their members and permissions are known. A
 * permission on a package outside the org's package list names no entity
 * of this graph: that edge is left out and counted (model_finish warns).
 */
#include "emit.h"

static void team_raw(struct jw *w, const struct team *t)
{
    jw_key(w, "_rawData");
    jw_arr(w);
    raw_begin(w, "default");
    jw_obj(w);
    jw_kstr(w, "team", t->full);
    jw_key(w, "users");
    if (t->members_known)
        str_array(w, &t->members);
    else
        jw_null(w);
    jw_key(w, "packages");
    if (t->perms_known) {
        jw_obj(w);
        for (size_t i = 0; i < t->perm_pkg.n; i++)
            jw_kstr(w, t->perm_pkg.v[i], t->perm_val.v[i]);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_obj_end(w);
    jw_obj_end(w);
    jw_arr_end(w);
}

static int team_rels(struct model *m, const struct team *t, const char *key, struct err *e)
{
    struct buf other = BUF_INIT;
    int rc = -1;
    for (size_t i = 0; i < t->members.n; i++) {
        emit_key(&other, T_USER, t->members.v[i]);
        if (rel_direct(m, T_TEAM_HAS_USER, key, other.p, NULL, e) < 0)
            goto out;
    }
    for (size_t i = 0; i < t->perm_pkg.n; i++) {
        if (!join_find_package(&m->j, t->perm_pkg.v[i])) {
            m->skipped_rels++;
            continue;
        }
        emit_key(&other, T_PACKAGE, t->perm_pkg.v[i]);
        if (rel_direct(m, T_TEAM_ALLOWS_PACKAGE, key, other.p, t->perm_val.v[i], e) < 0)
            goto out;
    }
    emit_key(&other, T_ACCOUNT, m->org);
    rc = rel_direct(m, T_ACCOUNT_HAS_TEAM, other.p, key, NULL, e);
out:
    buf_free(&other);
    return rc;
}

int emit_team(struct model *m, struct team *t, struct err *e)
{
    struct buf key = BUF_INIT, link = BUF_INIT;
    struct jw w;
    emit_key(&key, T_TEAM, t->full);
    ent_begin(m, &w, T_TEAM, key.p);
    jw_kstr(&w, "id", t->full);
    jw_kstr(&w, "name", t->name);
    jw_kstr(&w, "displayName", t->full);
    jw_kstr(&w, "org", t->org);
    if (t->members_known)
        jw_kint(&w, "memberCount", (long long)t->members.n);
    if (t->perms_known)
        jw_kint(&w, "packageCount", (long long)t->perm_pkg.n);
    buf_printf(&link, "settings/%s/teams/team/", t->org);
    ent_weblink(&w, link.p, t->name);
    ent_tags(m, &w);
    team_raw(&w, t);
    int rc = obj_finish(m, &w, T_TEAM, key.p, e);
    if (rc == 0)
        rc = team_rels(m, t, key.p, e);
    buf_free(&key);
    buf_free(&link);
    return rc;
}
