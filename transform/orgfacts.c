/*
 * orgfacts.c — see orgfacts.h. Reading a previous run is in orgfacts_read.c.
 */
#include "orgfacts.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "json.h"

void ofacts_init(struct ofacts *f)
{
    memset(f, 0, sizeof *f);
    f->token_read_only = OF_ABSENT;
    f->token_age_days = OF_NONE;
}

static void free_pkg(struct of_pkg *p)
{
    free(p->name);
    free(p->version);
    free(p->publisher);
    free(p->latest_trust);
    free(p->install_scripts);
}

void ofacts_free(struct ofacts *f)
{
    free(f->org);
    free(f->collected_as);
    free(f->tfa_mode);
    for (size_t i = 0; i < f->nusers; i++) {
        free(f->users[i].name);
        free(f->users[i].role);
    }
    free(f->users);
    for (size_t i = 0; i < f->nteams; i++) {
        free(f->teams[i].id);
        free(f->teams[i].name);
    }
    free(f->teams);
    for (size_t i = 0; i < f->npkgs; i++)
        free_pkg(&f->pkgs[i]);
    free(f->pkgs);
    for (size_t i = 0; i < f->nadvs; i++) {
        free(f->advs[i].id);
        free(f->advs[i].title);
        free(f->advs[i].severity);
    }
    free(f->advs);
    for (int k = 0; k < OE_COUNT; k++)
        free(f->edges[k]);
    free((void *)f->grants_by_user);
    strset_free(&f->names, NULL);
    ofacts_init(f);
}

/* ---- reading one object --------------------------------------------------- */

/* A string member, decoded; NULL when absent or not a string. Strings are
 * cut at 1024 bytes: a report shows names, and a hostile graph must not
 * make it hold documents. */
static char *str(const struct jdoc *d, const char *k)
{
    int i = jdoc_get(d, 0, k);
    if (i < 0 || !jdoc_is(d, i, JT_STRING))
        return NULL;
    struct buf b = BUF_INIT;
    if (jdoc_str(d, i, &b) < 0) {
        buf_free(&b);
        return NULL;
    }
    if (b.len > 1024) {
        b.len = 1024;
        b.p[b.len] = '\0';
    }
    return buf_detach(&b);
}

static ofbool boolean(const struct jdoc *d, const char *k)
{
    int i = jdoc_get(d, 0, k);
    bool v;
    if (i < 0 || jdoc_bool(d, i, &v) < 0)
        return OF_ABSENT;
    return v ? 1 : 0;
}

static long long num(const struct jdoc *d, const char *k)
{
    int i = jdoc_get(d, 0, k);
    long long v;
    if (i < 0 || jdoc_i64(d, i, &v) < 0)
        return OF_NONE;
    return v;
}

/* A string array member joined with ", " (install script names). */
static char *joined(const struct jdoc *d, const char *k)
{
    int a = jdoc_get(d, 0, k);
    if (a < 0 || !jdoc_is(d, a, JT_ARRAY))
        return NULL;
    struct buf b = BUF_INIT;
    buf_puts(&b, "");
    for (int x = jdoc_first(d, a); x > 0 && b.len < 1024; x = jdoc_after_elem(d, a, x)) {
        if (!jdoc_is(d, x, JT_STRING))
            continue;
        if (b.len)
            buf_puts(&b, ", ");
        jdoc_str(d, x, &b);
    }
    return buf_detach(&b);
}

/* The _key-style reference after its prefix, or NULL. */
static char *after(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    if (!key || strncmp(key, prefix, n) != 0 || !key[n])
        return NULL;
    return xstrdup(key + n);
}

/* The set's copy of s (freed), or NULL for NULL. */
static const char *intern(struct ofacts *f, char *s)
{
    struct strset_entry *en;
    if (!s)
        return NULL;
    strset_add(&f->names, s, strlen(s), &en);
    free(s);
    return en->key;
}

static void add_edge(struct ofacts *f, enum of_edge_kind k, char *a, char *b, char *perm,
                     ofbool member)
{
    if (!a || !b) {
        free(a);
        free(b);
        free(perm);
        return;
    }
    GROW(f->edges[k], f->nedges[k] + 1, f->capedges[k]);
    f->edges[k][f->nedges[k]++] =
        (struct of_edge){intern(f, a), intern(f, b), intern(f, perm), member};
}

static void add_pkg(struct ofacts *f, const struct jdoc *d, char *name)
{
    struct of_pkg p = {.name = name};
    p.version = str(d, "version");
    p.publisher = str(d, "publisher");
    p.latest_trust = str(d, "latestTrust");
    p.install_scripts = joined(d, "installScripts");
    p.pub = boolean(d, "public");
    p.deprecated = boolean(d, "deprecated");
    p.provenance = boolean(d, "provenance");
    p.trusted = boolean(d, "trustedPublishing");
    p.downgrade = boolean(d, "trustDowngrade");
    p.install = boolean(d, "hasInstallScript");
    p.first_time = boolean(d, "firstTimePublisher");
    p.publisher_member = boolean(d, "publisherIsOrgMember");
    p.latest_affected = boolean(d, "latestVersionAffected");
    p.mismatch = boolean(d, "repositoryMismatch");
    p.self_hosted = boolean(d, "provenanceSelfHostedRunner");
    p.published_on = num(d, "publishedOn");
    p.adv = num(d, "advisoryCount");
    p.crit = num(d, "criticalAdvisoryCount");
    p.high = num(d, "highAdvisoryCount");
    p.moderate = num(d, "moderateAdvisoryCount");
    p.low = num(d, "lowAdvisoryCount");
    if (p.provenance != OF_ABSENT || p.latest_trust || p.downgrade != OF_ABSENT ||
        p.install != OF_ABSENT || p.first_time != OF_ABSENT || p.adv != OF_NONE)
        f->have_supply_chain = true;
    GROW(f->pkgs, f->npkgs + 1, f->cappkgs);
    f->pkgs[f->npkgs++] = p;
}

static int add_doc(struct ofacts *f, const char *type, const struct jdoc *d)
{
    char *key = str(d, "_key");
    if (!key)
        return 0;
    if (!strcmp(type, "npm_account")) {
        if (!f->org) {
            f->org = str(d, "name");
            f->collected_as = str(d, "collectedAs");
            f->tfa_mode = str(d, "collectorTfaMode");
            f->token_read_only = boolean(d, "collectorTokenReadOnly");
            f->token_age_days = num(d, "collectorTokenAgeDays");
        }
    } else if (!strcmp(type, "npm_user")) {
        char *name = after(key, "npm-user:");
        if (name) {
            GROW(f->users, f->nusers + 1, f->capusers);
            f->users[f->nusers++] = (struct of_user){name, str(d, "role"), boolean(d, "orgMember")};
        }
    } else if (!strcmp(type, "npm_team")) {
        char *id = after(key, "npm-team:");
        if (id) {
            char *name = str(d, "name");
            GROW(f->teams, f->nteams + 1, f->capteams);
            f->teams[f->nteams++] = (struct of_team){id, name ? name : xstrdup(id)};
        }
    } else if (!strcmp(type, "npm_package")) {
        char *name = after(key, "npm-package:");
        if (name)
            add_pkg(f, d, name);
    } else if (!strcmp(type, "npm_advisory")) {
        char *id = after(key, "npm-advisory:");
        if (id) {
            char *title = str(d, "name");
            if (!title)
                title = str(d, "displayName");
            GROW(f->advs, f->nadvs + 1, f->capadvs);
            f->advs[f->nadvs++] = (struct of_adv){id, title, str(d, "severity")};
        }
    } else {
        char *from = str(d, "_fromEntityKey"), *to = str(d, "_toEntityKey");
        if (!strcmp(type, "npm_team_has_user"))
            add_edge(f, OE_TEAM_USER, after(from, "npm-team:"), after(to, "npm-user:"), NULL,
                     OF_ABSENT);
        else if (!strcmp(type, "npm_team_allows_package"))
            add_edge(f, OE_TEAM_PKG, after(from, "npm-team:"), after(to, "npm-package:"),
                     str(d, "permission"), OF_ABSENT);
        else if (!strcmp(type, "npm_package_allows_user"))
            add_edge(f, OE_PKG_USER, after(from, "npm-package:"), after(to, "npm-user:"),
                     str(d, "permission"), boolean(d, "orgMember"));
        else if (!strcmp(type, "npm_user_manages_package"))
            add_edge(f, OE_USER_PKG, after(from, "npm-user:"), after(to, "npm-package:"), NULL,
                     OF_ABSENT);
        else if (from && to && !strncmp(to, "npm-advisory:", 13)) /* package has advisory */
            add_edge(f, OE_ADV_PKG, after(to, "npm-advisory:"), after(from, "npm-package:"), NULL,
                     OF_ABSENT);
        free(from);
        free(to);
    }
    free(key);
    return 0;
}

int ofacts_add(struct ofacts *f, const char *type, const char *json, size_t n, struct err *e)
{
    struct jdoc d = JDOC_INIT;
    int rc = jdoc_parse(&d, json, n, e);
    if (rc == 0 && !jdoc_is(&d, 0, JT_OBJECT))
        rc = err_set(e, ERR_FAIL, "a graph object is not a JSON object");
    if (rc == 0)
        rc = add_doc(f, type, &d);
    jdoc_free(&d);
    return rc;
}

/* ---- sorting and lookups ---------------------------------------------------- */

/* Ties keep the order of arrival (the index breaks them), so "the first
 * read wins" holds for repeats whatever qsort does. */
struct tagged {
    const char *k1, *k2;
    size_t i;
};

static int cmp_tagged(const void *a, const void *b)
{
    const struct tagged *x = a, *y = b;
    int c = strcmp(x->k1, y->k1);
    if (!c && x->k2 && y->k2)
        c = strcmp(x->k2, y->k2);
    if (c)
        return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Sorts n elements of size sz by their keys (k1, k2 from key()), drops
 * repeats (freeing them with drop()), and returns the new count. */
static size_t sort_unique(void *base, size_t n, size_t sz,
                          void (*key)(const void *el, const char **k1, const char **k2),
                          void (*drop)(void *el))
{
    if (n == 0)
        return 0;
    struct tagged *t = xcalloc(n, sizeof *t);
    for (size_t i = 0; i < n; i++) {
        key((char *)base + i * sz, &t[i].k1, &t[i].k2);
        t[i].i = i;
    }
    qsort(t, n, sizeof *t, cmp_tagged);
    char *out = xcalloc(n, sz);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        char *el = (char *)base + t[i].i * sz;
        if (m && !strcmp(t[i].k1, t[i - 1].k1) &&
            (!t[i].k2 || !t[i - 1].k2 || !strcmp(t[i].k2, t[i - 1].k2))) {
            drop(el);
            continue;
        }
        memcpy(out + m++ * sz, el, sz);
    }
    memcpy(base, out, m * sz);
    free(out);
    free(t);
    return m;
}

static void key_user(const void *el, const char **k1, const char **k2)
{
    *k1 = ((const struct of_user *)el)->name;
    *k2 = NULL;
}
static void drop_user(void *el)
{
    free(((struct of_user *)el)->name);
    free(((struct of_user *)el)->role);
}
static void key_team(const void *el, const char **k1, const char **k2)
{
    *k1 = ((const struct of_team *)el)->id;
    *k2 = NULL;
}
static void drop_team(void *el)
{
    free(((struct of_team *)el)->id);
    free(((struct of_team *)el)->name);
}
static void key_pkg(const void *el, const char **k1, const char **k2)
{
    *k1 = ((const struct of_pkg *)el)->name;
    *k2 = NULL;
}
static void drop_pkg(void *el)
{
    free_pkg(el);
}
static void key_adv(const void *el, const char **k1, const char **k2)
{
    *k1 = ((const struct of_adv *)el)->id;
    *k2 = NULL;
}
static void drop_adv(void *el)
{
    struct of_adv *a = el;
    free(a->id);
    free(a->title);
    free(a->severity);
}
static void key_edge(const void *el, const char **k1, const char **k2)
{
    *k1 = ((const struct of_edge *)el)->a;
    *k2 = ((const struct of_edge *)el)->b;
}
static void drop_edge(void *el)
{
    (void)el; /* its strings belong to the names set */
}

static int cmp_by_user(const void *a, const void *b)
{
    const struct of_edge *x = *(const struct of_edge *const *)a,
                         *y = *(const struct of_edge *const *)b;
    int c = strcmp(x->b, y->b);
    return c ? c : strcmp(x->a, y->a);
}

void ofacts_finish(struct ofacts *f)
{
    f->nusers = sort_unique(f->users, f->nusers, sizeof *f->users, key_user, drop_user);
    f->nteams = sort_unique(f->teams, f->nteams, sizeof *f->teams, key_team, drop_team);
    f->npkgs = sort_unique(f->pkgs, f->npkgs, sizeof *f->pkgs, key_pkg, drop_pkg);
    f->nadvs = sort_unique(f->advs, f->nadvs, sizeof *f->advs, key_adv, drop_adv);
    for (int k = 0; k < OE_COUNT; k++)
        f->nedges[k] =
            sort_unique(f->edges[k], f->nedges[k], sizeof *f->edges[k], key_edge, drop_edge);
    size_t n = f->nedges[OE_PKG_USER];
    free((void *)f->grants_by_user);
    f->grants_by_user = xcalloc(n + 1, sizeof(const struct of_edge *));
    for (size_t i = 0; i < n; i++)
        f->grants_by_user[i] = &f->edges[OE_PKG_USER][i];
    if (n > 1)
        qsort((void *)f->grants_by_user, n, sizeof(const struct of_edge *), cmp_by_user);
}

const struct of_edge *const *ofacts_grants_of(const struct ofacts *f, const char *user,
                                              size_t *count)
{
    size_t lo = 0, hi = f->nedges[OE_PKG_USER];
    const struct of_edge *const *v = f->grants_by_user;
    *count = 0;
    if (!v)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid]->b, user) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < f->nedges[OE_PKG_USER] && !strcmp(v[end]->b, user))
        end++;
    *count = end - lo;
    return end > lo ? &v[lo] : NULL;
}

/* Binary search over an array sorted by a leading char * member. */
static const void *find(const void *base, size_t n, size_t sz, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *k = *(char *const *)(const void *)((const char *)base + mid * sz);
        int c = strcmp(k, name);
        if (!c)
            return (const char *)base + mid * sz;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct of_user *ofacts_user(const struct ofacts *f, const char *name)
{
    return find(f->users, f->nusers, sizeof *f->users, name);
}

const struct of_team *ofacts_team(const struct ofacts *f, const char *id)
{
    return find(f->teams, f->nteams, sizeof *f->teams, id);
}

const struct of_pkg *ofacts_pkg(const struct ofacts *f, const char *name)
{
    return find(f->pkgs, f->npkgs, sizeof *f->pkgs, name);
}

const struct of_adv *ofacts_adv(const struct ofacts *f, const char *id)
{
    return find(f->advs, f->nadvs, sizeof *f->advs, id);
}

const char *ofacts_team_name(const struct ofacts *f, const char *id)
{
    const struct of_team *t = ofacts_team(f, id);
    return t ? t->name : id;
}

const struct of_edge *ofacts_edges_from(const struct ofacts *f, enum of_edge_kind k, const char *a,
                                        size_t *count)
{
    const struct of_edge *v = f->edges[k];
    size_t lo = 0, hi = f->nedges[k];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].a, a) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < f->nedges[k] && !strcmp(v[end].a, a))
        end++;
    *count = end - lo;
    return end > lo ? &v[lo] : NULL;
}
