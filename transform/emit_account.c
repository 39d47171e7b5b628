/*
 * emit_account.c — the npm_account entity: the org, who collected it, and
 * how many members, teams and packages it has, and the collecting
 * account's 2FA mode and token (read-only, CIDR limit, age at the time of
 * the collect: from the token list's fetched_at, so the same dump gives the
 * same age). Written last, when the counts are known.
 */
#include "emit.h"

/* The collecting account's 2FA and its token (supply.c reads them). */
static void collector_props(struct model *m, struct jw *w)
{
    const struct collector *c = &m->coll;
    if (c->tfa_mode)
        jw_kstr(w, "collectorTfaMode", c->tfa_mode);
    if (!c->token_found)
        return;
    jw_kbool(w, "collectorTokenReadOnly", c->readonly);
    jw_key(w, "collectorTokenCidrWhitelist");
    str_array(w, &c->cidr); /* [] when the token has no CIDR limit */
    if (c->created >= 0)
        jw_kint(w, "collectorTokenCreatedOn", c->created);
    if (c->created >= 0 && c->fetched >= c->created)
        jw_kint(w, "collectorTokenAgeDays", (c->fetched - c->created) / 86400000);
}

int emit_account(struct model *m, const struct input_info *info, struct err *e)
{
    struct buf key = BUF_INIT;
    struct jw w;
    long long members = 0;
    for (size_t i = 0; i < m->j.users.cap; i++) {
        const struct user *u = join_slot(&m->j.users, i);
        if (u && u->member)
            members++;
    }
    emit_key(&key, T_ACCOUNT, m->org);
    ent_begin(m, &w, T_ACCOUNT, key.p);
    jw_kstr(&w, "id", m->org);
    jw_kstr(&w, "name", m->org);
    jw_kstr(&w, "displayName", m->o.account_name ? m->o.account_name : m->org);
    jw_kstr(&w, "vendor", "npm");
    jw_kstr(&w, "org", m->org);
    if (info->registry[0])
        jw_kstr(&w, "registry", info->registry);
    if (m->whoami)
        jw_kstr(&w, "collectedAs", m->whoami);
    if (m->roster_known)
        jw_kint(&w, "memberCount", members);
    jw_kint(&w, "teamCount", (long long)m->j.teams.n);
    jw_kint(&w, "packageCount", (long long)m->j.packages.n);
    collector_props(m, &w);
    ent_weblink(&w, "org/", m->org);
    ent_tags(m, &w);
    jw_key(&w, "_rawData");
    jw_arr(&w);
    raw_begin(&w, "default");
    jw_obj(&w);
    jw_kstr(&w, "org", m->org);
    jw_key(&w, "registry");
    jw_str(&w, info->registry[0] ? info->registry : NULL);
    jw_key(&w, "whoami");
    jw_str(&w, m->whoami);
    jw_obj_end(&w);
    jw_obj_end(&w);
    jw_arr_end(&w);
    int rc = obj_finish(m, &w, T_ACCOUNT, key.p, e);
    buf_free(&key);
    return rc;
}
