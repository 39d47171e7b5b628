/*
 * model.c — see model.h for what is held and why.
 *
 * Record handlers run in dump order: the small kinds fill the joins; the
 * call before the first package document (record == NULL) checks that
 * every expected per-item answer is present and writes teams; each package
 * document then becomes its package entity and relationships at once;
 * model_finish() writes packages without a document, users and the account.
 *
 * Property rules (JupiterOne data model 0.64): values are strings, numbers,
 * booleans, null or arrays of those, except _rawData; an optional property
 * whose value is unknown is left out rather than set to null (a null fails
 * a typed schema property), but User's required properties are always
 * present (null when unknown). Times are epoch milliseconds. Emails are
 * lower-cased, deduplicated and kept only when they are valid addresses.
 */
#include "model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "buf.h"
#include "json.h"
#include "log.h"
#include "packument.h"
#include "repo.h"
#include "schema.h"
#include "strset.h"
#include "timeutil.h"

struct strvec {
    char **v;
    size_t n, cap;
};

struct user {
    uint32_t id;     /* for access.c: dense from 0 */
    uint32_t listed; /* the last list (model.nlists) that named this user */
    char *name;
    char *role; /* org role, NULL when not a member or unknown */
    bool member;
    struct strvec emails;
    char *profile; /* raw JSON of the profile answer */
    bool profile_seen;
};

struct team {
    uint32_t id; /* for access.c */
    char *full; /* "org:team" */
    char *org, *name;
    bool members_seen, members_known;
    struct strvec members;
    bool perms_seen, perms_known;
    struct strvec perm_pkg, perm_val; /* parallel */
};

struct package {
    char *name;
    char *access;
    int visibility; /* -1 unknown, 0 private, 1 public */
    bool vis_seen, collab_seen, collab_known, doc_seen, emitted;
    /* Collaborators are counted, not held: the ones the teams do not
     * explain become edges as their list is read (see on_collaborators). */
    uint32_t n_collab, n_write, n_read, n_outside, n_direct;
};

struct model {
    struct model_opts o;
    struct graph *g;
    char *org;
    char *whoami;
    bool roster_known;
    bool seen[K_COUNT]; /* a record of this kind was read */
    struct strset users, teams, packages;
    struct access *access; /* team members and grants, for on_collaborators */
    uint32_t nteams;       /* team ids handed out */
    uint32_t nusers;       /* user ids handed out */
    const char *where;     /* the record being read ("file:line"), for messages */
    uint32_t nlists;       /* user lists read (read_names), for their dedupe */
    bool teams_known;      /* the org's team list was read */
    int teams_complete;    /* -1 not yet decided; else every team list was read */
    unsigned partial;
    bool small_done;
    struct pkgdoc doc;
    struct buf obj, s1, s2;
    struct strset warned;
    uint64_t skipped_rels;
};

/* ---- small helpers ---------------------------------------------------------- */

static int sv_add(struct strvec *v, const char *s, size_t n)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 4;
        char **nv = realloc(v->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        v->v = nv;
        v->cap = nc;
    }
    if (!(v->v[v->n] = strndup(s, n)))
        return -1;
    v->n++;
    return 0;
}

static bool sv_has(const struct strvec *v, const char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i], s) == 0)
            return true;
    return false;
}

static int sv_add_unique(struct strvec *v, const char *s)
{
    return sv_has(v, s) ? 0 : sv_add(v, s, strlen(s));
}

static void sv_free(struct strvec *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
    memset(v, 0, sizeof *v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sv_sort(struct strvec *v)
{
    if (v->n > 1)
        qsort(v->v, v->n, sizeof *v->v, cmp_str);
}

static int oom(struct err *e)
{
    return err_set(e, ERR_FAIL, "out of memory");
}

static void mark(struct model *m, enum dump_kind k)
{
    m->partial |= kind_feeds[k];
}

static bool ok2xx(const struct record *r)
{
    return !r->failed && r->status >= 200 && r->status < 300 && r->body;
}

static bool is404(const struct record *r)
{
    return !r->failed && r->status == 404;
}

static bool plausible_name(const char *s, size_t n)
{
    if (n == 0 || n > 428)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* A valid address as JSON Schema's "email" format (ajv-formats) accepts it,
 * lower-cased into out. */
static bool normalize_email(const char *s, size_t n, struct buf *out)
{
    static const char local_ok[] = "!#$%&'*+/=?^_`{|}~-";
    buf_reset(out);
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    const char *at = memchr(s, '@', n);
    if (!at || at == s || n > 254)
        return false;
    size_t ll = (size_t)(at - s), dl = n - ll - 1;
    if (ll > 64 || dl == 0)
        return false;
    for (size_t i = 0; i < ll; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (i == 0 || i == ll - 1 || s[i - 1] == '.')
                return false;
        } else if (!isalnum(c) && !strchr(local_ok, c)) {
            return false;
        }
    }
    /* domain: at least two labels of [A-Za-z0-9-], none starting or ending with '-' */
    const char *d = at + 1;
    size_t label = 0, labels = 0;
    for (size_t i = 0; i <= dl; i++) {
        if (i == dl || d[i] == '.') {
            if (label == 0 || label > 63 || d[i - 1] == '-')
                return false;
            labels++;
            label = 0;
            continue;
        }
        unsigned char c = (unsigned char)d[i];
        if (!(isalnum(c) || c == '-') || (label == 0 && c == '-'))
            return false;
        label++;
    }
    if (labels < 2)
        return false;
    for (size_t i = 0; i < n; i++)
        if (buf_putc(out, (char)tolower((unsigned char)s[i])) < 0)
            return false;
    return true;
}

/* Decodes a JSON string value [p, p+n) (with its quotes) into out. */
static bool span_str(const char *p, size_t n, struct buf *out)
{
    buf_reset(out);
    if (!p || n < 2 || p[0] != '"')
        return false;
    return json_unescape(out, p + 1, n - 2) == 0 && out->p && strlen(out->p) == out->len;
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

/* "read"/"write" (the registry's cli spelling) -> "read-only"/"read-write". */
static const char *norm_perm(const char *p)
{
    if (strcmp(p, "read") == 0)
        return "read-only";
    if (strcmp(p, "write") == 0)
        return "read-write";
    return p;
}

/* ---- the join tables ----------------------------------------------------- */

static struct user *find_user(struct model *m, const char *name)
{
    struct strset_entry *en = strset_get(&m->users, name, strlen(name));
    return en ? en->val : NULL;
}

/* The value for name in set, made by make() the first time it is asked for. */
static void *intern(struct model *m, struct strset *set, const char *name,
                    void *(*make)(struct model *m, const char *name), struct err *e)
{
    struct strset_entry *en = NULL;
    if (strset_add(set, name, strlen(name), &en) < 0 || (!en->val && !(en->val = make(m, name)))) {
        oom(e);
        return NULL;
    }
    return en->val;
}

static void *make_user(struct model *m, const char *name)
{
    struct user *u = calloc(1, sizeof *u);
    if (u && !(u->name = strdup(name))) {
        free(u);
        u = NULL;
    }
    if (u)
        u->id = m->nusers++;
    return u;
}

static void *make_package(struct model *m, const char *name)
{
    (void)m;
    struct package *p = calloc(1, sizeof *p);
    if (p && !(p->name = strdup(name))) {
        free(p);
        p = NULL;
    }
    if (p)
        p->visibility = -1;
    return p;
}

/* "org:team" as the registry spells it; a bare name belongs to the org. */
static void *make_team(struct model *m, const char *full)
{
    struct team *t = calloc(1, sizeof *t);
    const char *colon = strchr(full, ':');
    if (!t)
        return NULL;
    t->full = strdup(full);
    t->org = colon ? strndup(full, (size_t)(colon - full)) : strdup(m->org ? m->org : "");
    t->name = strdup(colon ? colon + 1 : full);
    t->id = m->nteams++;
    if (!t->full || !t->org || !t->name) {
        free(t->full);
        free(t->org);
        free(t->name);
        free(t);
        return NULL;
    }
    return t;
}

static struct user *get_user(struct model *m, const char *name, struct err *e)
{
    return intern(m, &m->users, name, make_user, e);
}

static struct package *find_package(struct model *m, const char *name)
{
    struct strset_entry *en = strset_get(&m->packages, name, strlen(name));
    return en ? en->val : NULL;
}

static struct package *get_package(struct model *m, const char *name, struct err *e)
{
    return intern(m, &m->packages, name, make_package, e);
}

static struct team *get_team(struct model *m, const char *full, struct err *e)
{
    return intern(m, &m->teams, full, make_team, e);
}

/* ---- writing objects ---------------------------------------------------- */

static void ent_begin(struct model *m, struct jw *w, const char *key, const char *type,
                      const char *cls)
{
    buf_reset(&m->obj);
    jw_init(w, &m->obj);
    jw_obj(w);
    jw_kstr(w, "_key", key);
    jw_kstr(w, "_type", type);
    jw_key(w, "_class");
    jw_arr(w);
    jw_str(w, cls);
    jw_arr_end(w);
}

static void ent_tags(struct model *m, struct jw *w)
{
    if (m->o.account_name)
        jw_kstr(w, "tag.AccountName", m->o.account_name);
    for (size_t i = 0; i < m->o.ntags; i++) {
        struct buf k = BUF_INIT;
        if (buf_printf(&k, "tag.%s", m->o.tags[i].key) < 0)
            w->err = true;
        else
            jw_kstr(w, k.p, m->o.tags[i].value);
        buf_free(&k);
    }
}

static void raw_begin(struct jw *w, const char *name)
{
    jw_obj(w);
    jw_kstr(w, "name", name);
    jw_key(w, "rawData");
}

static int obj_finish(struct model *m, struct jw *w, enum gtype t, const char *key, struct err *e)
{
    jw_obj_end(w);
    if (w->err)
        return oom(e);
    return graph_add(m->g, t, key, strlen(key), m->obj.p, m->obj.len, e);
}

static void str_array(struct jw *w, const struct strvec *v)
{
    jw_arr(w);
    for (size_t i = 0; i < v->n; i++)
        jw_str(w, v->v[i]);
    jw_arr_end(w);
}

/* https://www.npmjs.com/ + prefix + name, the name percent-encoded except
 * for the characters npm names use ('@' and '/' of a scope included). */
static void weblink(struct jw *w, const char *prefix, const char *name)
{
    struct buf b = BUF_INIT;
    int rc = buf_printf(&b, "https://www.npmjs.com/%s", prefix);
    for (const unsigned char *p = (const unsigned char *)name; *p && rc == 0; p++) {
        if (isalnum(*p) || strchr("-._~@/", *p))
            rc = buf_putc(&b, (char)*p);
        else
            rc = buf_printf(&b, "%%%02X", *p);
    }
    if (rc < 0)
        w->err = true;
    else
        jw_kstr(w, "webLink", b.p);
    buf_free(&b);
}

static void key_of(struct buf *b, const char *prefix, const char *name)
{
    buf_reset(b);
    buf_printf(b, "%s%s", prefix, name);
}

/* The SDK's createDirectRelationship: _key "<from>|<class in lower case>|<to>".
 * Begins the object in m->obj with the properties every direct relationship
 * has; the caller adds its own and ends with obj_finish(..., key->p, ...). */
static int rel_begin(struct model *m, struct jw *w, struct buf *key, enum gtype t, const char *from,
                     const char *to, struct err *e)
{
    const char *cls = gtypes[t].cls;
    buf_reset(key);
    if (buf_printf(key, "%s|%s|%s", from, gtypes[t].verb, to) < 0)
        return oom(e);
    buf_reset(&m->obj);
    jw_init(w, &m->obj);
    jw_obj(w);
    jw_kstr(w, "_key", key->p);
    jw_kstr(w, "_type", gtypes[t].type);
    jw_kstr(w, "_class", cls);
    jw_kstr(w, "_fromEntityKey", from);
    jw_kstr(w, "_toEntityKey", to);
    jw_kstr(w, "displayName", cls);
    return 0;
}

static int rel_direct(struct model *m, enum gtype t, const char *from, const char *to,
                      const char *permission, struct err *e)
{
    struct buf key = BUF_INIT;
    struct jw w;
    int rc = rel_begin(m, &w, &key, t, from, to, e);
    if (rc == 0) {
        if (permission)
            jw_kstr(&w, "permission", permission);
        rc = obj_finish(m, &w, t, key.p, e);
    }
    buf_free(&key);
    return rc;
}

static int rel_published(struct model *m, const char *pkg_key, const char *owner, const char *name,
                         struct err *e)
{
    struct buf key = BUF_INIT;
    if (buf_printf(&key, "repo:published:%s", pkg_key) < 0)
        return oom(e);
    struct jw w;
    buf_reset(&m->obj);
    jw_init(&w, &m->obj);
    jw_obj(&w);
    jw_kstr(&w, "_key", key.p);
    jw_kstr(&w, "_type", gtypes[T_REPO_PUBLISHED_PACKAGE].type);
    jw_kstr(&w, "_class", "PUBLISHED");
    jw_kstr(&w, "displayName", "PUBLISHED");
    jw_key(&w, "_mapping");
    jw_obj(&w);
    jw_kstr(&w, "relationshipDirection", "REVERSE");
    jw_kstr(&w, "sourceEntityKey", pkg_key);
    jw_key(&w, "targetFilterKeys");
    jw_arr(&w);
    jw_arr(&w);
    jw_str(&w, "_class");
    jw_str(&w, "name");
    jw_str(&w, "owner");
    jw_arr_end(&w);
    jw_arr_end(&w);
    jw_key(&w, "targetEntity");
    jw_obj(&w);
    jw_kstr(&w, "_class", "CodeRepo");
    jw_kstr(&w, "name", name);
    jw_kstr(&w, "owner", owner);
    jw_obj_end(&w);
    jw_kbool(&w, "skipTargetCreation", true);
    jw_obj_end(&w);
    int rc = obj_finish(m, &w, T_REPO_PUBLISHED_PACKAGE, key.p, e);
    buf_free(&key);
    return rc;
}

/* ---- small kinds ---------------------------------------------------------- */

/* The list-shaped answers. A body must be an object {name: string} (the
 * roster, the package list, permissions) or an array of names (teams, team
 * members); each distinct, plausible name is handed to fn once, in document
 * order. Anything else is bad input, reported with the record's file and
 * line. shape says what the body should be; vname what its values are. */
typedef int (*name_fn)(struct model *m, void *ctx, const char *name, size_t n, const char *value,
                       struct user *u, struct err *e);

/* A list may name an entry twice; the first one counts. A list of users
 * (of_users) hands each callback its user, made if new, and is deduplicated
 * through the user itself (user.listed), without a set: collaborator lists
 * name thousands per package (with npm's developers team, every member on
 * every package: half a realistic dump's bytes). Other lists (teams,
 * packages: short) go through a set of the names seen.
 *
 * An object is read in one pass (json_each_member validates as it goes, and
 * a name without escapes is taken as it stands); invalid JSON found after
 * some names were handed out fails the record, and so the run, all the
 * same. An array (team lists and members: short) goes through jdoc. */
struct names {
    struct model *m;
    const struct record *r;
    const char *shape, *vname;
    name_fn fn;
    void *ctx;
    bool of_users, warned_empty;
    uint32_t list;
    struct strset seen;
    struct buf name, val;
    struct err *e;
};

/* Raw JSON string content [p, p+n) (between the quotes) into out, decoded. */
static int raw_str(struct buf *out, const char *p, size_t n)
{
    buf_reset(out);
    if (!memchr(p, '\\', n))
        return buf_append(out, p, n) < 0 || !out->p ? -1 : 0;
    return json_unescape(out, p, n) < 0 || !out->p ? -1 : 0;
}

static int take_name(struct names *ns)
{
    struct model *m = ns->m;
    if (ns->name.len == 0) {
        /* No user, team or package is named "": absent, not a fact. */
        if (!ns->warned_empty)
            log_warn("%s: an empty name in the list; ignored", ns->r->where);
        ns->warned_empty = true;
        return 0;
    }
    if (!plausible_name(ns->name.p, ns->name.len)) /* also refuses an embedded NUL */
        return bad_shape(ns->r, ns->e, ns->shape);
    struct user *u = NULL;
    if (ns->of_users) {
        if (!(u = get_user(m, ns->name.p, ns->e)))
            return -1;
        if (u->listed == ns->list)
            return 0;
        u->listed = ns->list;
    } else {
        int fresh = strset_add(&ns->seen, ns->name.p, ns->name.len, NULL);
        if (fresh < 0)
            return oom(ns->e);
        if (!fresh)
            return 0;
    }
    return ns->fn(m, ns->ctx, ns->name.p, ns->name.len, ns->val.p ? ns->val.p : "", u, ns->e);
}

static int names_member(void *vctx, const char *k, size_t kl, const char *v, size_t vn)
{
    struct names *ns = vctx;
    if (raw_str(&ns->name, k, kl) < 0)
        return oom(ns->e);
    if (vn < 2 || v[0] != '"') {
        err_set(ns->e, ERR_FAIL, "%s: unexpected shape: the %s of '%s' is not a string",
                ns->r->where, ns->vname, ns->name.p);
        return -1;
    }
    if (raw_str(&ns->val, v + 1, vn - 2) < 0)
        return oom(ns->e);
    return take_name(ns);
}

static int read_names(struct model *m, const struct record *r, bool with_values, bool of_users,
                      const char *shape, const char *vname, name_fn fn, void *ctx, struct err *e)
{
    struct names ns = {m, r, shape, vname, fn, ctx, of_users, false, ++m->nlists, STRSET_INIT,
                       BUF_INIT, BUF_INIT, e};
    struct jdoc d = JDOC_INIT;
    int rc = -1;
    if (with_values) {
        const char *p = json_skip_ws(r->body, r->body + r->body_len), *end = r->body + r->body_len;
        const char *bad = p;
        if (p >= end || *p != '{') {
            /* Not an object: invalid JSON is still reported as such. */
            if (json_validate(r->body, r->body_len, NULL))
                bad_shape(r, e, shape);
            else
                parse_body(r, &d, e);
            goto out;
        }
        const char *q = json_each_member(p, end, names_member, &ns, &bad);
        if (q && json_skip_ws(q, end) != end)
            bad = json_skip_ws(q, end), q = NULL;
        if (!q) {
            if (bad) /* else a callback failed and said why */
                err_set(e, ERR_FAIL, "%s: invalid JSON at byte %zu", r->where,
                        (size_t)(bad - r->body));
            goto out;
        }
    } else {
        if (parse_body(r, &d, e) < 0)
            goto out;
        if (!jdoc_is(&d, 0, JT_ARRAY)) {
            bad_shape(r, e, shape);
            goto out;
        }
        for (int k = jdoc_first(&d, 0); k > 0; k = jdoc_after_elem(&d, 0, k)) {
            buf_reset(&ns.name);
            if (jdoc_str(&d, k, &ns.name) < 0 || !ns.name.p) {
                bad_shape(r, e, shape);
                goto out;
            }
            if (take_name(&ns) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    jdoc_free(&d);
    buf_free(&ns.name);
    buf_free(&ns.val);
    strset_free(&ns.seen, NULL);
    return rc;
}

static int roster_member(struct model *m, void *ctx, const char *name, size_t n, const char *role,
                         struct user *u, struct err *e)
{
    (void)ctx;
    (void)n;
    u->member = true;
    free(u->role);
    if (!(u->role = strdup(role)))
        return oom(e);
    if (strcmp(role, "developer") != 0 && strcmp(role, "admin") != 0 &&
        strcmp(role, "owner") != 0 && strset_add(&m->warned, role, strlen(role), NULL) == 1)
        log_warn("unknown org role '%s' (of '%s'; kept as is, and admin is set as for any role "
                 "other than developer)",
                 role, name);
    return 0;
}

static int on_roster(struct model *m, const struct record *r, struct err *e)
{
    if (!ok2xx(r)) {
        mark(m, r->kind);
        return 0;
    }
    if (read_names(m, r, true, true, "the org roster must be an object {user: role}", "role",
                   roster_member, NULL, e) < 0)
        return -1;
    m->roster_known = true;
    return 0;
}

static int org_team(struct model *m, void *ctx, const char *name, size_t n, const char *v,
                    struct user *u, struct err *e)
{
    (void)ctx, (void)n, (void)v, (void)u;
    return get_team(m, name, e) ? 0 : -1;
}

static int on_teams(struct model *m, const struct record *r, struct err *e)
{
    if (!ok2xx(r)) {
        mark(m, r->kind);
        return 0;
    }
    if (read_names(m, r, false, false, "the team list must be an array of \"org:team\" strings", "",
                   org_team, NULL, e) < 0)
        return -1;
    m->teams_known = true;
    return 0;
}

static int org_package(struct model *m, void *ctx, const char *name, size_t n, const char *access,
                       struct user *u, struct err *e)
{
    (void)ctx, (void)n, (void)u;
    struct package *p = get_package(m, name, e);
    if (!p)
        return -1;
    free(p->access);
    return (p->access = strdup(norm_perm(access))) ? 0 : oom(e);
}

static int on_packages(struct model *m, const struct record *r, struct err *e)
{
    if (!ok2xx(r)) {
        mark(m, r->kind);
        return 0;
    }
    return read_names(m, r, true, false, "the package list must be an object {package: access}",
                      "access", org_package, NULL, e);
}

static int team_member(struct model *m, void *ctx, const char *name, size_t n, const char *v,
                       struct user *u, struct err *e)
{
    struct team *t = ctx;
    (void)v;
    if (sv_add(&t->members, name, n) < 0 || access_member(m->access, t->id, u->id) < 0)
        return oom(e);
    return 0;
}

static int on_team_users(struct model *m, const struct record *r, struct err *e)
{
    struct team *t = get_team(m, r->subject, e);
    if (!t)
        return -1;
    if (t->members_seen) {
        log_warn("%s: a second member list for team '%s'; ignored", r->where, r->subject);
        return 0;
    }
    t->members_seen = true;
    if (is404(r)) {
        t->members_known = true; /* the team is gone: no members */
        return 0;
    }
    if (!ok2xx(r)) {
        mark(m, r->kind);
        return 0;
    }
    if (read_names(m, r, false, true, "a team's member list must be an array of user names", "",
                   team_member, t, e) < 0)
        return -1;
    t->members_known = true;
    return 0;
}

static int team_permission(struct model *m, void *ctx, const char *name, size_t n, const char *perm,
                           struct user *u, struct err *e)
{
    struct team *t = ctx;
    (void)u;
    const char *pv = norm_perm(perm);
    int rank = perm_parse(pv);
    if (sv_add(&t->perm_pkg, name, n) < 0 || sv_add(&t->perm_val, pv, strlen(pv)) < 0)
        return oom(e);
    /* A permission spelled some other way grants nothing we can compare:
     * the collaborators it might explain keep their edges. */
    if (rank >= 0 && access_grant(m->access, t->id, name, n, (enum perm)rank) < 0)
        return oom(e);
    return 0;
}

static int on_team_packages(struct model *m, const struct record *r, struct err *e)
{
    struct team *t = get_team(m, r->subject, e);
    if (!t)
        return -1;
    if (t->perms_seen) {
        log_warn("%s: a second permission list for team '%s'; ignored", r->where, r->subject);
        return 0;
    }
    t->perms_seen = true;
    if (is404(r)) {
        t->perms_known = true;
        return 0;
    }
    if (!ok2xx(r)) {
        mark(m, r->kind);
        return 0;
    }
    if (read_names(m, r, true, false,
                   "a team's package permissions must be an object {package: permission}",
                   "permission", team_permission, t, e) < 0)
        return -1;
    t->perms_known = true;
    return 0;
}

static int on_profile(struct model *m, const struct record *r, struct err *e)
{
    /* Profiles of outside collaborators come before the collaborator lists
     * that name them: the user is made here, a member only if the roster says so. */
    struct user *u = get_user(m, r->subject, e);
    if (!u)
        return -1;
    u->profile_seen = true;
    if (is404(r))
        return 0;
    if (!ok2xx(r)) {
        mark(m, r->kind);
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
        if (normalize_email(m->s1.p, m->s1.len, &m->s2) && sv_add_unique(&u->emails, m->s2.p) < 0) {
            oom(e);
            goto out;
        }
    }
    free(u->profile);
    if (!(u->profile = strndup(r->body, r->body_len))) {
        oom(e);
        goto out;
    }
    rc = 0;
out:
    jdoc_free(&d);
    return rc;
}

static int on_visibility(struct model *m, const struct record *r, struct err *e)
{
    struct package *p = find_package(m, r->subject);
    if (!p)
        return 0;
    p->vis_seen = true;
    if (is404(r))
        return 0;
    if (!ok2xx(r)) {
        mark(m, r->kind);
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

/* Whether every team list was read, so that "no team grants this" is a
 * fact. Decided once, at the first collaborator list: the dump's kind order
 * puts every team record before it. */
static bool teams_complete(struct model *m)
{
    if (m->teams_complete < 0) {
        m->teams_complete = m->teams_known;
        for (size_t i = 0; i < m->teams.cap; i++) {
            const struct team *t = m->teams.e[i].key ? m->teams.e[i].val : NULL;
            if (t && (!t->members_known || !t->perms_known))
                m->teams_complete = 0;
        }
    }
    return m->teams_complete;
}

/* package ALLOWS user, for access the user's teams do not explain:
 *   permission      what the collaborator list says;
 *   grant           "direct" — no team of the user grants this much (only
 *                   when every team list was read; unknown otherwise);
 *   teamPermission  the lower permission the user's teams do grant;
 *   orgMember       false for a collaborator from outside the org (only
 *                   when the roster was read). */
static int rel_allows_user(struct model *m, const struct package *p, const struct user *u,
                           const char *perm, enum perm team, struct err *e)
{
    struct buf from = BUF_INIT, to = BUF_INIT, key = BUF_INIT;
    struct jw w;
    key_of(&from, "npm-package:", p->name);
    key_of(&to, "npm-user:", u->name);
    int rc = rel_begin(m, &w, &key, T_PACKAGE_ALLOWS_USER, from.p, to.p, e);
    if (rc == 0) {
        jw_kstr(&w, "permission", perm);
        if (teams_complete(m))
            jw_kstr(&w, "grant", "direct");
        if (team == PERM_READ)
            jw_kstr(&w, "teamPermission", "read-only");
        if (m->roster_known)
            jw_kbool(&w, "orgMember", u->member);
        rc = obj_finish(m, &w, T_PACKAGE_ALLOWS_USER, key.p, e);
    }
    buf_free(&from);
    buf_free(&to);
    buf_free(&key);
    return rc;
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
    const char *pv = norm_perm(perm);
    int want = perm_parse(pv);
    (void)name, (void)n;
    p->n_collab++;
    if (want == PERM_WRITE)
        p->n_write++;
    else if (want == PERM_READ)
        p->n_read++;
    if (m->roster_known && !u->member)
        p->n_outside++;
    enum perm team = access_team_perm(m->access, cl->grants, u->id);
    if (want >= 0 && (enum perm)want <= team)
        return 0; /* a team of theirs grants this: team HAS user + team ALLOWS package say it */
    p->n_direct++;
    return rel_allows_user(m, p, u, pv, team, e);
}

static int on_collaborators(struct model *m, const struct record *r, struct err *e)
{
    struct package *p = find_package(m, r->subject);
    if (!p)
        return 0;
    if (p->collab_seen) {
        log_warn("%s: a second collaborator list for '%s'; ignored", r->where, r->subject);
        return 0;
    }
    p->collab_seen = true;
    if (is404(r)) {
        p->collab_known = true;
        return 0;
    }
    if (!ok2xx(r)) {
        mark(m, r->kind);
        return 0;
    }
    struct collab_list cl = {p, access_package(m->access, p->name)};
    if (read_names(m, r, true, true, "collaborators must be an object {user: permission}",
                   "permission", collaborator, &cl, e) < 0)
        return -1;
    p->collab_known = true;
    return 0;
}

/* ---- teams (written once the small kinds are all read) --------------------- */

static int emit_team(struct model *m, struct team *t, struct err *e)
{
    struct buf key = BUF_INIT, other = BUF_INIT, link = BUF_INIT;
    struct jw w;
    int rc = -1;
    key_of(&key, "npm-team:", t->full);
    ent_begin(m, &w, key.p, "npm_team", "UserGroup");
    jw_kstr(&w, "id", t->full);
    jw_kstr(&w, "name", t->name);
    jw_kstr(&w, "displayName", t->full);
    jw_kstr(&w, "org", t->org);
    if (t->members_known)
        jw_kint(&w, "memberCount", (long long)t->members.n);
    if (t->perms_known)
        jw_kint(&w, "packageCount", (long long)t->perm_pkg.n);
    buf_printf(&link, "settings/%s/teams/team/", t->org);
    weblink(&w, link.p ? link.p : "", t->name);
    ent_tags(m, &w);
    jw_key(&w, "_rawData");
    jw_arr(&w);
    raw_begin(&w, "default");
    jw_obj(&w);
    jw_kstr(&w, "team", t->full);
    jw_key(&w, "users");
    if (t->members_known)
        str_array(&w, &t->members);
    else
        jw_null(&w);
    jw_key(&w, "packages");
    if (t->perms_known) {
        jw_obj(&w);
        for (size_t i = 0; i < t->perm_pkg.n; i++)
            jw_kstr(&w, t->perm_pkg.v[i], t->perm_val.v[i]);
        jw_obj_end(&w);
    } else {
        jw_null(&w);
    }
    jw_obj_end(&w);
    jw_obj_end(&w);
    jw_arr_end(&w);
    if (obj_finish(m, &w, T_TEAM, key.p, e) < 0)
        goto out;
    for (size_t i = 0; i < t->members.n; i++) {
        key_of(&other, "npm-user:", t->members.v[i]);
        if (rel_direct(m, T_TEAM_HAS_USER, key.p, other.p, NULL, e) < 0)
            goto out;
    }
    for (size_t i = 0; i < t->perm_pkg.n; i++) {
        if (!find_package(m, t->perm_pkg.v[i])) {
            m->skipped_rels++;
            continue;
        }
        key_of(&other, "npm-package:", t->perm_pkg.v[i]);
        if (rel_direct(m, T_TEAM_ALLOWS_PACKAGE, key.p, other.p, t->perm_val.v[i], e) < 0)
            goto out;
    }
    key_of(&other, "npm-account:", m->org);
    if (rel_direct(m, T_ACCOUNT_HAS_TEAM, other.p, key.p, NULL, e) < 0)
        goto out;
    rc = 0;
out:
    buf_free(&key);
    buf_free(&other);
    buf_free(&link);
    return rc;
}

/* The value in slot i of a strset, or NULL for an empty slot. */
static void *slot(const struct strset *set, size_t i)
{
    return set->e[i].key ? set->e[i].val : NULL;
}

/* Every list, and every per-item answer the lists call for, must be in the dump. */
static void check_expected(struct model *m)
{
    static const enum dump_kind lists[] = {K_ORG_USERS, K_ORG_TEAMS, K_ORG_PACKAGES};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (!m->seen[lists[i]])
            mark(m, lists[i]);
    for (size_t i_ = 0; i_ < m->teams.cap; i_++) {
        struct team *t = slot(&m->teams, i_);
        if (!t)
            continue;
        if (!t->members_seen)
            mark(m, K_TEAM_USERS);
        if (!t->perms_seen)
            mark(m, K_TEAM_PACKAGES);
    }
    for (size_t i_ = 0; i_ < m->users.cap; i_++) {
        struct user *u = slot(&m->users, i_);
        if (!u)
            continue;
        if (u->member && !u->profile_seen)
            mark(m, K_USER_PROFILES);
    }
    for (size_t i_ = 0; i_ < m->packages.cap; i_++) {
        struct package *p = slot(&m->packages, i_);
        if (!p)
            continue;
        if (!p->vis_seen)
            mark(m, K_PACKAGE_VISIBILITY);
        if (!p->collab_seen)
            mark(m, K_PACKAGE_COLLABORATORS);
    }
}

static int small_kinds_done(struct model *m, struct err *e)
{
    m->small_done = true;
    if (!m->org)
        return err_set(e, ERR_FAIL, "the dump holds no org-level record: nothing to transform");
    check_expected(m);
    for (size_t i_ = 0; i_ < m->teams.cap; i_++) {
        struct team *t = slot(&m->teams, i_);
        if (!t)
            continue;
        if (emit_team(m, t, e) < 0)
            return -1;
    }
    return 0;
}

/* ---- packages ------------------------------------------------------------- */

/* A field of the package document being read (m->where) has the wrong
 * shape: said once per field and record, and the package's facts are
 * incomplete, so npm_package is partial (JupiterOne keeps what it has). */
static void malformed(struct model *m, const char *field, const char *want)
{
    log_warn("%s: package document field '%s' is not %s; the facts it gives are left out",
             m->where ? m->where : "?", field, want);
    m->partial |= TB(T_PACKAGE);
}

struct pkgfacts {
    struct buf description, homepage, license, repo_url, repo_dir, deprecation, publisher,
        publisher_email;
    bool deprecated, have_repo_url;
    /* A field present with the wrong shape: what it would have said is not
     * known, so it says nothing (absent and malformed are different). */
    bool versions_bad, maintainers_bad, deprecated_bad;
    int64_t created, modified, published; /* -1: unknown */
    struct strvec maintainers, maintainer_emails, keywords;
    struct repo repo; /* repo.kind REPO_NONE: the document names no repository */
    bool repo_redacted, repo_bad_shape;
};

static void facts_free(struct pkgfacts *f)
{
    buf_free(&f->description);
    buf_free(&f->homepage);
    buf_free(&f->license);
    buf_free(&f->repo_url);
    buf_free(&f->repo_dir);
    buf_free(&f->deprecation);
    buf_free(&f->publisher);
    buf_free(&f->publisher_email);
    sv_free(&f->maintainers);
    sv_free(&f->maintainer_emails);
    sv_free(&f->keywords);
}

/* The three entries of a document's "time" map that matter: created,
 * modified and the latest version's. The map has one entry per version ever
 * published, so it is walked, not tokenised. */
struct time_pick {
    const struct pkgdoc *doc;
    struct member pick[3]; /* created, modified, latest */
};

static bool raw_key_is(const char *k, size_t kl, const char *s, size_t n)
{
    if (!memchr(k, '\\', kl))
        return kl == n && memcmp(k, s, n) == 0;
    struct buf b = BUF_INIT;
    bool eq = json_unescape(&b, k, kl) == 0 && b.len == n && memcmp(b.p, s, n) == 0;
    buf_free(&b);
    return eq;
}

static int on_time(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct time_pick *tp = ctx;
    int which =
        json_key_is(k, kl, "created")    ? 0
        : json_key_is(k, kl, "modified") ? 1
        : tp->doc->latest && raw_key_is(k, kl, tp->doc->latest_name.p, tp->doc->latest_name.len)
            ? 2
            : -1;
    if (which >= 0) {
        tp->pick[which].key.p = k;
        tp->pick[which].key.n = kl;
        tp->pick[which].val.p = v;
        tp->pick[which].val.n = vl;
    }
    return 0;
}

static void pick_times(const struct pkgdoc *doc, struct time_pick *tp)
{
    memset(tp, 0, sizeof *tp);
    tp->doc = doc;
    if (doc->time.p && doc->time.n && doc->time.p[0] == '{')
        json_each_member(doc->time.p, doc->time.p + doc->time.n, on_time, tp, NULL);
}

static int64_t time_ms(const struct member *m)
{
    int64_t ms;
    if (!m->val.p || m->val.n < 2 || m->val.p[0] != '"')
        return -1;
    return time_parse_iso8601(m->val.p + 1, m->val.n - 2, &ms) ? ms : -1;
}

/* repository: "url" or {"url": ..., "directory": ...}; the first one that
 * names a repository wins. Of any other shape it names one we cannot read,
 * and what it would have said is unknown. The URL is kept without its
 * credentials. */
static void take_repository(struct pkgfacts *f, const char *p, size_t n)
{
    struct jdoc d = JDOC_INIT;
    struct buf url = BUF_INIT;
    if (f->repo.kind != REPO_NONE || !p || jdoc_parse(&d, p, n, NULL) < 0 || jdoc_is_null(&d, 0))
        goto out;
    int u = jdoc_is(&d, 0, JT_STRING) ? 0 : jdoc_is(&d, 0, JT_OBJECT) ? jdoc_get(&d, 0, "url") : -2;
    if (u == -2 || (u >= 0 && !jdoc_is(&d, u, JT_STRING))) {
        f->repo.kind = REPO_UNKNOWN;
        f->repo.why = "is neither a URL nor an object with one";
        f->repo_bad_shape = true;
    } else if (u >= 0 && jdoc_str(&d, u, &url) == 0 &&
               repo_parse(url.p, url.len, &f->repo) != REPO_NONE) {
        f->have_repo_url = true;
        buf_reset(&f->repo_url);
        f->repo_redacted = repo_redact(url.p, url.len, &f->repo_url) != 0;
        int dir = jdoc_get(&d, 0, "directory");
        buf_reset(&f->repo_dir);
        if (dir >= 0)
            jdoc_str(&d, dir, &f->repo_dir);
    }
out:
    buf_free(&url);
    jdoc_free(&d);
}

static void take_license(struct pkgfacts *f, const struct jdoc *d, int i)
{
    if (f->license.len || i < 0)
        return;
    if (jdoc_is(d, i, JT_OBJECT))
        i = jdoc_get(d, i, "type");
    if (i >= 0)
        jdoc_str(d, i, &f->license);
}

/* npm's person string: "name <email> (url)", email and url optional. */
static int person_string(const char *s, struct buf *name, struct buf *email)
{
    const char *lt = strchr(s, '<'), *paren = strchr(s, '(');
    const char *end = lt ? lt : paren ? paren : s + strlen(s);
    while (end > s && end[-1] == ' ')
        end--;
    if (buf_append(name, s, (size_t)(end - s)) < 0 || !plausible_name(name->p, name->len))
        return -1;
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (gt && !normalize_email(lt + 1, (size_t)(gt - lt - 1), email))
        buf_reset(email);
    return 0;
}

/* A person: {name, email} or "name <email>"; name required, email kept only
 * if valid. */
static int take_person(const struct jdoc *d, int i, struct buf *name, struct buf *email)
{
    buf_reset(name);
    buf_reset(email);
    if (jdoc_is(d, i, JT_STRING)) {
        struct buf raw = BUF_INIT;
        int rc = jdoc_str(d, i, &raw) == 0 && raw.p ? person_string(raw.p, name, email) : -1;
        buf_free(&raw);
        return rc;
    }
    if (!jdoc_is(d, i, JT_OBJECT))
        return -1;
    int n = jdoc_get(d, i, "name"), em = jdoc_get(d, i, "email");
    if (n < 0 || jdoc_str(d, n, name) < 0 || !plausible_name(name->p, name->len))
        return -1;
    if (em >= 0) {
        struct buf raw = BUF_INIT;
        if (jdoc_str(d, em, &raw) < 0 || !normalize_email(raw.p, raw.len, email))
            buf_reset(email);
        buf_free(&raw);
    }
    return 0;
}

static int read_doc(struct model *m, struct pkgdoc *doc, struct pkgfacts *f, struct err *e)
{
    struct jdoc d = JDOC_INIT;
    struct buf name = BUF_INIT, email = BUF_INIT;
    int rc = -1;
    span_str(doc->description.p, doc->description.n, &f->description);
    span_str(doc->homepage.p, doc->homepage.n, &f->homepage);
    take_repository(f, doc->repository.p, doc->repository.n);
    if (doc->license.p && jdoc_parse(&d, doc->license.p, doc->license.n, NULL) == 0)
        take_license(f, &d, 0);
    if (doc->keywords.p && jdoc_parse(&d, doc->keywords.p, doc->keywords.n, NULL) == 0 &&
        jdoc_is(&d, 0, JT_ARRAY))
        for (int x = jdoc_first(&d, 0); x > 0 && f->keywords.n < 100;
             x = jdoc_after_elem(&d, 0, x)) {
            buf_reset(&name);
            if (jdoc_str(&d, x, &name) == 0 && name.len && !sv_has(&f->keywords, name.p) &&
                sv_add(&f->keywords, name.p, name.len) < 0)
                goto oom_out;
        }
    struct time_pick tp;
    pick_times(doc, &tp);
    f->created = time_ms(&tp.pick[0]);
    f->modified = time_ms(&tp.pick[1]);
    f->published = time_ms(&tp.pick[2]);
    if (doc->versions.p && doc->versions.p[0] != '{') {
        f->versions_bad = true;
        malformed(m, "versions", "an object {version: manifest}");
    }
    /* Current maintainers: the document's top-level list. */
    if (doc->maintainers.p && (jdoc_parse(&d, doc->maintainers.p, doc->maintainers.n, NULL) < 0 ||
                               !jdoc_is(&d, 0, JT_ARRAY))) {
        f->maintainers_bad = true;
        malformed(m, "maintainers", "an array of people");
    } else if (doc->maintainers.p) {
        for (int x = jdoc_first(&d, 0); x > 0; x = jdoc_after_elem(&d, 0, x)) {
            if (take_person(&d, x, &name, &email) < 0) {
                if (!f->maintainers_bad)
                    malformed(m, "maintainers", "people: {name, email} or \"name <email>\"");
                f->maintainers_bad = true;
                continue;
            }
            if (sv_has(&f->maintainers, name.p))
                continue;
            if (sv_add(&f->maintainers, name.p, name.len) < 0)
                goto oom_out;
            struct user *u = get_user(m, name.p, e);
            if (!u)
                goto out;
            if (email.len && (sv_add_unique(&f->maintainer_emails, email.p) < 0 ||
                              sv_add_unique(&u->emails, email.p) < 0))
                goto oom_out;
        }
    }
    /* The latest version: deprecation, publisher, and fallbacks. */
    if (doc->latest && (jdoc_parse(&d, doc->latest->val.p, doc->latest->val.n, NULL) < 0 ||
                        !jdoc_is(&d, 0, JT_OBJECT))) {
        f->deprecated_bad = true;
        malformed(m, "the latest version", "an object (a manifest)");
    } else if (doc->latest) {
        int dep = jdoc_get(&d, 0, "deprecated");
        bool b;
        if (dep >= 0 && jdoc_str(&d, dep, &f->deprecation) == 0) {
            f->deprecated = f->deprecation.len > 0;
        } else if (dep >= 0 && jdoc_bool(&d, dep, &b) == 0) {
            f->deprecated = b;
        } else if (dep >= 0) {
            f->deprecated_bad = true;
            malformed(m, "deprecated (of the latest version)", "a string or a boolean");
        }
        int pub = jdoc_get(&d, 0, "_npmUser");
        if (pub >= 0 && take_person(&d, pub, &name, &email) == 0) {
            buf_puts(&f->publisher, name.p);
            if (email.len) {
                buf_puts(&f->publisher_email, email.p);
                struct user *u = find_user(m, name.p);
                if (u && sv_add_unique(&u->emails, email.p) < 0)
                    goto oom_out;
            }
        }
        if (!f->description.len) {
            int de = jdoc_get(&d, 0, "description");
            if (de >= 0)
                jdoc_str(&d, de, &f->description);
        }
        if (!f->homepage.len) {
            int h = jdoc_get(&d, 0, "homepage");
            if (h >= 0)
                jdoc_str(&d, h, &f->homepage);
        }
        take_license(f, &d, jdoc_get(&d, 0, "license"));
        int rp = jdoc_get(&d, 0, "repository");
        if (rp >= 0) {
            size_t n;
            const char *t = jdoc_text(&d, rp, &n);
            take_repository(f, t, n);
        }
    }
    rc = 0;
    goto out;
oom_out:
    oom(e);
out:
    jdoc_free(&d);
    buf_free(&name);
    buf_free(&email);
    return rc;
}

/* A repository URL (raw JSON string), written without its credentials. */
static void copy_repo_url(struct jw *w, const char *v, size_t n)
{
    struct buf url = BUF_INIT, clean = BUF_INIT;
    if (json_unescape(&url, v + 1, n - 2) == 0 && repo_redact(url.p, url.len, &clean) >= 0)
        jw_strn(w, clean.p, clean.len);
    else
        jw_null(w);
    buf_free(&url);
    buf_free(&clean);
}

static bool is_url_member(const char *k, size_t kl, const char *v, size_t vl)
{
    return raw_key_is(k, kl, "url", 3) && vl >= 2 && v[0] == '"';
}

/* *ctx: 1 once a URL would lose something, -1 if memory ran out. */
static int url_loses(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    int *rc = ctx;
    if (k && !is_url_member(k, kl, v, vl))
        return 0;
    struct buf url = BUF_INIT, clean = BUF_INIT;
    int r = json_unescape(&url, v + 1, vl - 2) == 0 ? repo_redact(url.p, url.len, &clean) : -1;
    if (r < 0 || (r > 0 && *rc == 0))
        *rc = r;
    buf_free(&url);
    buf_free(&clean);
    return 0;
}

static int copy_repo_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct jw *w = ctx;
    jw_key_raw(w, k, kl);
    if (is_url_member(k, kl, v, vl))
        copy_repo_url(w, v, vl);
    else
        jw_raw(w, v, vl);
    return 0;
}

/* A `repository` value as the document has it, but its URLs without
 * credentials: _rawData is sent to JupiterOne too. Copied as is (the common
 * case) unless a URL loses something. */
static void copy_repository(struct jw *w, const char *v, size_t n)
{
    int rc = 0;
    if (n >= 2 && (memchr(v, '@', n) || memchr(v, '?', n) || memchr(v, '\\', n))) {
        if (v[0] == '"')
            url_loses(&rc, NULL, 0, v, n);
        else if (v[0] == '{')
            json_each_member(v, v + n, url_loses, &rc, NULL);
    }
    if (rc < 0)
        jw_null(w);
    else if (rc == 0)
        jw_raw(w, v, n);
    else if (v[0] == '"')
        copy_repo_url(w, v, n);
    else {
        jw_obj(w);
        json_each_member(v, v + n, copy_repo_member, w, NULL);
        jw_obj_end(w);
    }
}

static int copy_member_except_readme(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct jw *w = ctx;
    if (json_key_is(k, kl, "readme"))
        return 0;
    jw_key_raw(w, k, kl);
    if (json_key_is(k, kl, "repository"))
        copy_repository(w, v, vl);
    else
        jw_raw(w, v, vl);
    return 0;
}

/* The package document without readme and stars ("users"), without every
 * version object but the latest, and with time cut to created, modified and
 * the latest. */
static void trimmed_doc(struct jw *w, const struct pkgdoc *doc)
{
    jw_obj(w);
    for (size_t i = 0; i < doc->ntop; i++) {
        const struct member *mb = &doc->top[i];
        if (json_key_is(mb->key.p, mb->key.n, "readme") ||
            json_key_is(mb->key.p, mb->key.n, "users"))
            continue; /* readme and stars: the bulk of many documents */
        jw_key_raw(w, mb->key.p, mb->key.n);
        if (json_key_is(mb->key.p, mb->key.n, "versions") && mb->val.n && mb->val.p[0] == '{') {
            jw_obj(w);
            if (doc->latest) {
                jw_key_raw(w, doc->latest->key.p, doc->latest->key.n);
                if (doc->latest->val.n && doc->latest->val.p[0] == '{') {
                    jw_obj(w);
                    json_each_member(doc->latest->val.p, doc->latest->val.p + doc->latest->val.n,
                                     copy_member_except_readme, w, NULL);
                    jw_obj_end(w);
                } else {
                    jw_raw(w, doc->latest->val.p, doc->latest->val.n);
                }
            }
            jw_obj_end(w);
        } else if (json_key_is(mb->key.p, mb->key.n, "time") && mb->val.n && mb->val.p[0] == '{') {
            struct time_pick tp;
            pick_times(doc, &tp);
            jw_obj(w);
            for (int k = 0; k < 3; k++) {
                if (!tp.pick[k].key.p || (k == 2 && (tp.pick[2].key.p == tp.pick[0].key.p ||
                                                     tp.pick[2].key.p == tp.pick[1].key.p)))
                    continue;
                jw_key_raw(w, tp.pick[k].key.p, tp.pick[k].key.n);
                jw_raw(w, tp.pick[k].val.p, tp.pick[k].val.n);
            }
            jw_obj_end(w);
        } else if (json_key_is(mb->key.p, mb->key.n, "repository")) {
            copy_repository(w, mb->val.p, mb->val.n);
        } else {
            jw_raw(w, mb->val.p, mb->val.n);
        }
    }
    jw_obj_end(w);
}

/* doc: the scanned document, or NULL when there is none; doc_absent: the
 * registry answered 404 for it (an answer: the package is unpublished). */
static int emit_package(struct model *m, struct package *p, struct pkgdoc *doc, bool doc_absent,
                        struct err *e)
{
    struct pkgfacts f;
    struct buf key = BUF_INIT, other = BUF_INIT;
    struct jw w;
    int rc = -1;
    memset(&f, 0, sizeof f);
    f.created = f.modified = f.published = -1;
    p->emitted = true;
    if (doc && read_doc(m, doc, &f, e) < 0)
        goto out;

    const char *full = p->name;
    const char *slash = full[0] == '@' ? strchr(full, '/') : NULL;
    const char *bare = slash ? slash + 1 : full;
    key_of(&key, "npm-package:", full);
    ent_begin(m, &w, key.p, "npm_package", "CodeModule");
    jw_kstr(&w, "id", full);
    jw_kstr(&w, "name", bare);
    jw_kstr(&w, "displayName", full);
    if (slash) {
        jw_key(&w, "scope");
        jw_strn(&w, full + 1, (size_t)(slash - full - 1));
    }
    if (p->access)
        jw_kstr(&w, "access", p->access);
    if (p->visibility >= 0)
        jw_kbool(&w, "public", p->visibility == 1);
    if (doc && doc->latest)
        jw_kstr(&w, "version", doc->latest_name.p);
    if (f.description.len)
        jw_kstr(&w, "description", f.description.p);
    if (f.license.len)
        jw_kstr(&w, "license", f.license.p);
    if (f.homepage.len)
        jw_kstr(&w, "homepage", f.homepage.p);
    if (f.keywords.n) {
        jw_key(&w, "keywords");
        str_array(&w, &f.keywords);
    }
    if (f.have_repo_url) {
        jw_key(&w, "repository");
        jw_strn(&w, f.repo_url.p, f.repo_url.len);
    }
    if (f.repo.kind == REPO_MAPPED) {
        jw_kstr(&w, "repositoryHost", f.repo.host);
        jw_kstr(&w, "repositoryOwner", f.repo.owner);
        jw_kstr(&w, "repositoryName", f.repo.name);
    }
    if (f.repo_dir.len)
        jw_kstr(&w, "repositoryDirectory", f.repo_dir.p);
    if (f.created >= 0)
        jw_kint(&w, "createdOn", f.created);
    if (f.modified >= 0)
        jw_kint(&w, "updatedOn", f.modified);
    if (f.published >= 0)
        jw_kint(&w, "publishedOn", f.published);
    if (doc) {
        if (!f.deprecated_bad && !f.versions_bad) {
            jw_kbool(&w, "deprecated", f.deprecated);
            if (f.deprecated && f.deprecation.len)
                jw_kstr(&w, "deprecationMessage", f.deprecation.p);
        }
        if (!f.versions_bad)
            jw_kint(&w, "versionCount", (long long)doc->nvers);
        if (!f.maintainers_bad) {
            sv_sort(&f.maintainers);
            jw_key(&w, "maintainers");
            str_array(&w, &f.maintainers);
            sv_sort(&f.maintainer_emails);
            jw_key(&w, "maintainerEmails");
            str_array(&w, &f.maintainer_emails);
        } else {
            /* The MANAGES edges made are true, the missing ones unknown. */
            m->partial |= TB(T_USER_MANAGES_PACKAGE);
        }
        if (f.publisher.len)
            jw_kstr(&w, "publisher", f.publisher.p);
        if (f.publisher_email.len)
            jw_kstr(&w, "publisherEmail", f.publisher_email.p);
    }
    /* 404, or a document without versions (npm keeps a stub with
     * time.unpublished when a package is unpublished). */
    if (doc_absent || (doc && doc->nvers == 0 && !f.versions_bad))
        jw_kbool(&w, "unpublished", true);
    if (p->collab_known) {
        jw_kint(&w, "collaboratorCount", p->n_collab);
        jw_kint(&w, "readWriteCollaboratorCount", p->n_write);
        jw_kint(&w, "readOnlyCollaboratorCount", p->n_read);
        jw_kint(&w, "directCollaboratorCount", p->n_direct);
        if (m->roster_known)
            jw_kint(&w, "outsideCollaboratorCount", p->n_outside);
    }
    weblink(&w, "package/", full);
    ent_tags(m, &w);
    jw_key(&w, "_rawData");
    jw_arr(&w);
    raw_begin(&w, "default");
    jw_obj(&w);
    jw_kstr(&w, "name", full);
    jw_key(&w, "access");
    jw_str(&w, p->access);
    jw_key(&w, "public");
    if (p->visibility >= 0)
        jw_bool(&w, p->visibility == 1);
    else
        jw_null(&w);
    jw_obj_end(&w);
    jw_obj_end(&w);
    if (doc) {
        raw_begin(&w, "packument");
        trimmed_doc(&w, doc);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    if (obj_finish(m, &w, T_PACKAGE, key.p, e) < 0)
        goto out;

    key_of(&other, "npm-account:", m->org);
    if (rel_direct(m, T_ACCOUNT_HAS_PACKAGE, other.p, key.p, NULL, e) < 0)
        goto out;
    for (size_t i = 0; i < f.maintainers.n; i++) {
        key_of(&other, "npm-user:", f.maintainers.v[i]);
        if (rel_direct(m, T_USER_MANAGES_PACKAGE, other.p, key.p, NULL, e) < 0)
            goto out;
    }
    /* The repository that published it: from the document; the official
     * integration's guess (bare name, owner = org) only when the document
     * names none — one it names but we cannot read gets no mapping, since a
     * wrong one is believed. Without the document we cannot know: nothing is
     * written and the type is partial. */
    if (f.repo_redacted)
        log_warn("package '%s': its repository URL holds credentials or a query; they are left out",
                 full);
    if (f.repo.kind == REPO_UNKNOWN || f.repo.kind == REPO_GIST)
        log_warn("package '%s': its repository %s; no repository mapping%s", full, f.repo.why,
                 f.repo_bad_shape ? " (marked partial)" : "");
    if (f.repo_bad_shape) /* the field is malformed: its mapping is not known to be absent */
        m->partial |= TB(T_PACKAGE) | TB(T_REPO_PUBLISHED_PACKAGE);
    if ((doc || doc_absent) && (f.repo.kind == REPO_MAPPED || f.repo.kind == REPO_NONE)) {
        if (f.repo.kind == REPO_MAPPED)
            rc = rel_published(m, key.p, f.repo.owner, f.repo.name, e);
        else
            rc = rel_published(m, key.p, m->org, bare, e);
        if (rc < 0)
            goto out;
    }
    rc = 0;
out:
    facts_free(&f);
    buf_free(&key);
    buf_free(&other);
    return rc;
}

static int on_packument(struct model *m, const struct record *r, struct err *e)
{
    struct package *p = find_package(m, r->subject);
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
        mark(m, r->kind);
        return emit_package(m, p, NULL, false, e);
    }
    if (pkgdoc_scan(&m->doc, r->body, r->body_len, e) < 0)
        return err_wrap(e, "%s", r->where);
    if (m->doc.empty_versions)
        log_warn("%s: package '%s' has %zu version(s) with an empty name; ignored", r->where,
                 p->name, m->doc.empty_versions);
    return emit_package(m, p, &m->doc, false, e);
}

/* ---- dispatch -------------------------------------------------------------------- */

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
                m->whoami = strdup(m->s1.p);
            else
                log_warn("%s: whoami answered an empty or unusable username; collectedAs is "
                         "left out",
                         r->where);
        }
    }
    jdoc_free(&d);
    return 0;
}

int model_record(void *ctx, const struct record *r, struct err *e)
{
    struct model *m = ctx;
    if (!r)
        return small_kinds_done(m, e);
    m->where = r->where;
    if (!m->org && (r->kind == K_WHOAMI || r->kind == K_ORG_USERS || r->kind == K_ORG_TEAMS ||
                    r->kind == K_ORG_PACKAGES)) {
        if (!(m->org = strdup(r->subject)))
            return oom(e);
    }
    m->seen[r->kind] = true;
    if (r->failed)
        mark(m, r->kind);
    switch (r->kind) {
    case K_WHOAMI: return on_whoami(m, r);
    case K_ORG_USERS: return on_roster(m, r, e);
    case K_ORG_TEAMS: return on_teams(m, r, e);
    case K_TEAM_USERS: return on_team_users(m, r, e);
    case K_TEAM_PACKAGES: return on_team_packages(m, r, e);
    case K_ORG_PACKAGES: return on_packages(m, r, e);
    case K_USER_PROFILES: return on_profile(m, r, e);
    case K_PACKAGE_VISIBILITY: return on_visibility(m, r, e);
    case K_PACKAGE_COLLABORATORS: return on_collaborators(m, r, e);
    case K_PACKUMENTS: return on_packument(m, r, e);
    default: return 0;
    }
}

/* ---- users, the account ------------------------------------------------------- */

static int emit_user(struct model *m, struct user *u, struct err *e)
{
    struct buf key = BUF_INIT, acct = BUF_INIT;
    struct strvec domains = {0};
    struct jw w;
    int rc = -1;
    key_of(&key, "npm-user:", u->name);
    sv_sort(&u->emails);
    for (size_t i = 0; i < u->emails.n; i++) {
        const char *at = strrchr(u->emails.v[i], '@');
        if (at && sv_add_unique(&domains, at + 1) < 0) {
            oom(e);
            goto out;
        }
    }
    sv_sort(&domains);
    bool admin = u->member && u->role && strcmp(u->role, "developer") != 0;
    ent_begin(m, &w, key.p, "npm_user", "User");
    jw_kstr(&w, "id", u->name);
    jw_kstr(&w, "name", u->name);
    jw_kstr(&w, "displayName", u->name);
    jw_key(&w, "username");
    jw_arr(&w);
    jw_str(&w, u->name);
    jw_arr_end(&w);
    jw_key(&w, "shortLoginId");
    jw_arr(&w);
    jw_str(&w, u->name);
    jw_arr_end(&w);
    jw_key(&w, "firstName");
    jw_null(&w);
    jw_key(&w, "lastName");
    jw_null(&w);
    jw_key(&w, "email");
    if (u->emails.n)
        str_array(&w, &u->emails);
    else
        jw_null(&w);
    jw_key(&w, "emailDomain");
    if (domains.n)
        str_array(&w, &domains);
    else
        jw_null(&w);
    jw_key(&w, "role");
    jw_str(&w, u->member ? u->role : NULL);
    jw_kbool(&w, "admin", admin);
    jw_kbool(&w, "isAdmin", admin);
    jw_key(&w, "orgMember");
    if (u->member || m->roster_known)
        jw_bool(&w, u->member);
    else
        jw_null(&w);
    if (u->member) { /* for outsiders it is unknown, not false */
        jw_kbool(&w, "active", true);
        jw_kbool(&w, "isActive", true);
    }
    weblink(&w, "~", u->name);
    ent_tags(m, &w);
    jw_key(&w, "_rawData");
    jw_arr(&w);
    raw_begin(&w, "default");
    jw_obj(&w);
    jw_kstr(&w, "username", u->name);
    jw_key(&w, "organizationRole");
    jw_str(&w, u->member ? u->role : NULL);
    jw_obj_end(&w);
    jw_obj_end(&w);
    if (u->profile) {
        raw_begin(&w, "profile");
        jw_raw(&w, u->profile, strlen(u->profile));
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    if (obj_finish(m, &w, T_USER, key.p, e) < 0)
        goto out;
    if (u->member) {
        key_of(&acct, "npm-account:", m->org);
        if (rel_direct(m, T_ACCOUNT_HAS_USER, acct.p, key.p, NULL, e) < 0)
            goto out;
    }
    rc = 0;
out:
    sv_free(&domains);
    buf_free(&key);
    buf_free(&acct);
    return rc;
}

static int emit_account(struct model *m, const struct input_info *info, struct err *e)
{
    struct buf key = BUF_INIT;
    struct jw w;
    long long members = 0;
    for (size_t i_ = 0; i_ < m->users.cap; i_++) {
        struct user *u = slot(&m->users, i_);
        if (!u)
            continue;
        if (u->member)
            members++;
    }
    key_of(&key, "npm-account:", m->org);
    ent_begin(m, &w, key.p, "npm_account", "Account");
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
    jw_kint(&w, "teamCount", (long long)m->teams.n);
    jw_kint(&w, "packageCount", (long long)m->packages.n);
    weblink(&w, "org/", m->org);
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

int model_finish(struct model *m, const struct input_info *info, unsigned *partial, struct err *e)
{
    if (!m->small_done && small_kinds_done(m, e) < 0)
        return -1;
    if (info->org[0] && strcmp(info->org, m->org) != 0)
        return err_set(e, ERR_FAIL, "the manifest is for org '%s' but the records are for '%s'",
                       info->org, m->org);
    for (size_t i_ = 0; i_ < m->packages.cap; i_++) {
        struct package *p = slot(&m->packages, i_);
        if (!p)
            continue;
        if (p->emitted)
            continue;
        if (!p->doc_seen)
            mark(m, K_PACKUMENTS);
        if (emit_package(m, p, NULL, false, e) < 0)
            return -1;
    }
    /* Without the roster, no user's membership or role is known: writing
     * users would overwrite what JupiterOne has with worse values. They are
     * left out instead, and npm_user is partial, so JupiterOne keeps its own. */
    if (!m->roster_known && m->users.n)
        log_warn("the org roster is not in the dump: %zu user entities are left out (JupiterOne "
                 "keeps the ones it has)",
                 m->users.n);
    for (size_t i_ = 0; m->roster_known && i_ < m->users.cap; i_++) {
        struct user *u = slot(&m->users, i_);
        if (!u)
            continue;
        if (emit_user(m, u, e) < 0)
            return -1;
    }
    if (emit_account(m, info, e) < 0)
        return -1;
    if (m->skipped_rels)
        log_warn("%llu team permission(s) name packages outside the org's package list; those "
                 "relationships were left out",
                 (unsigned long long)m->skipped_rels);
    /* The manifest's own word on completeness. */
    if (!info->have_manifest || info->stopped) {
        m->partial = (1u << T_COUNT) - 1;
    } else if (!info->complete) {
        bool any = false;
        for (int k = 0; k < K_COUNT; k++)
            if (info->failed[k]) {
                mark(m, (enum dump_kind)k);
                any = true;
            }
        if (!any)
            m->partial = (1u << T_COUNT) - 1;
    }
    *partial = m->partial;
    return 0;
}

/* ---- lifetime -------------------------------------------------------------------- */

struct model *model_new(const struct model_opts *o, struct graph *g, struct err *e)
{
    struct model *m = calloc(1, sizeof *m);
    if (!m) {
        oom(e);
        return NULL;
    }
    m->o = *o;
    m->g = g;
    m->teams_complete = -1;
    if (!(m->access = access_new())) {
        free(m);
        oom(e);
        return NULL;
    }
    return m;
}

static void free_user(void *v)
{
    struct user *u = v;
    free(u->name);
    free(u->role);
    free(u->profile);
    sv_free(&u->emails);
    free(u);
}

static void free_team(void *v)
{
    struct team *t = v;
    free(t->full);
    free(t->org);
    free(t->name);
    sv_free(&t->members);
    sv_free(&t->perm_pkg);
    sv_free(&t->perm_val);
    free(t);
}

static void free_package(void *v)
{
    struct package *p = v;
    free(p->name);
    free(p->access);
    free(p);
}

void model_free(struct model *m)
{
    if (!m)
        return;
    strset_free(&m->users, free_user);
    strset_free(&m->teams, free_team);
    strset_free(&m->packages, free_package);
    strset_free(&m->warned, NULL);
    access_free(m->access);
    pkgdoc_free(&m->doc);
    buf_free(&m->obj);
    buf_free(&m->s1);
    buf_free(&m->s2);
    free(m->org);
    free(m->whoami);
    free(m);
}
