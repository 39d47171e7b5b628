/*
 * emit_user.c — the npm_user entity and account HAS user.
 *
 * Users are written last (model_finish), because package documents add
 * emails to them. Emails are lower-cased, deduplicated and kept only when
 * they are valid addresses (npmvalue.h); they are written sorted, with
 * their domains. An outsider's membership is false only when the roster
 * was read, and `active` is not said of them at all: unknown, not false.
 */
#include "emit.h"

#include <string.h>

static void str_array_or_null(struct jw *w, const char *k, const struct strlist *v)
{
    jw_key(w, k);
    if (v->n)
        str_array(w, v);
    else
        jw_null(w);
}

static void user_props(struct model *m, struct jw *w, const struct user *u,
                       const struct strlist *domains)
{
    bool admin = u->member && u->role && strcmp(u->role, "developer") != 0;
    jw_kstr(w, "id", u->name);
    jw_kstr(w, "name", u->name);
    jw_kstr(w, "displayName", u->name);
    jw_key(w, "username");
    jw_arr(w);
    jw_str(w, u->name);
    jw_arr_end(w);
    jw_key(w, "shortLoginId");
    jw_arr(w);
    jw_str(w, u->name);
    jw_arr_end(w);
    jw_key(w, "firstName");
    jw_null(w);
    jw_key(w, "lastName");
    jw_null(w);
    str_array_or_null(w, "email", &u->emails);
    str_array_or_null(w, "emailDomain", domains);
    jw_key(w, "role");
    jw_str(w, u->member ? u->role : NULL);
    jw_kbool(w, "admin", admin);
    jw_kbool(w, "isAdmin", admin);
    jw_key(w, "orgMember");
    if (u->member || m->roster_known)
        jw_bool(w, u->member);
    else
        jw_null(w);
    if (u->member) { /* for outsiders it is unknown, not false */
        jw_kbool(w, "active", true);
        jw_kbool(w, "isActive", true);
    }
}

static void user_raw(struct jw *w, const struct user *u)
{
    jw_key(w, "_rawData");
    jw_arr(w);
    raw_begin(w, "default");
    jw_obj(w);
    jw_kstr(w, "username", u->name);
    jw_key(w, "organizationRole");
    jw_str(w, u->member ? u->role : NULL);
    jw_obj_end(w);
    jw_obj_end(w);
    if (u->profile) {
        raw_begin(w, "profile");
        jw_raw(w, u->profile, strlen(u->profile));
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

int emit_user(struct model *m, struct user *u, struct err *e)
{
    struct buf key = BUF_INIT, acct = BUF_INIT;
    struct strlist domains = STRLIST_INIT;
    struct jw w;
    int rc = -1;
    emit_key(&key, T_USER, u->name);
    emit_sort(&u->emails);
    for (size_t i = 0; i < u->emails.n; i++) {
        const char *at = strrchr(u->emails.v[i], '@');
        if (at)
            strlist_add_unique(&domains, at + 1, strlen(at + 1));
    }
    emit_sort(&domains);
    ent_begin(m, &w, T_USER, key.p);
    user_props(m, &w, u, &domains);
    ent_weblink(&w, "~", u->name);
    ent_tags(m, &w);
    user_raw(&w, u);
    if (obj_finish(m, &w, T_USER, key.p, e) < 0)
        goto out;
    if (u->member) {
        emit_key(&acct, T_ACCOUNT, m->org);
        if (rel_direct(m, T_ACCOUNT_HAS_USER, acct.p, key.p, NULL, e) < 0)
            goto out;
    }
    rc = 0;
out:
    strlist_free(&domains);
    buf_free(&key);
    buf_free(&acct);
    return rc;
}
