/* packument.c — see packument.h. Arrays in pkgdoc are reused between
 * documents, so steady-state scanning allocates nothing. */
#include "packument.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

static int push(struct member **v, size_t *n, size_t *cap, const char *k, size_t kl,
                const char *val, size_t vl)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct member *nv = realloc(*v, nc * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[*n].key.p = k;
    (*v)[*n].key.n = kl;
    (*v)[*n].val.p = val;
    (*v)[*n].val.n = vl;
    (*n)++;
    return 0;
}

static int on_version(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct pkgdoc *d = ctx;
    if (kl == 0) {
        d->empty_versions++;
        return 0;
    }
    return push(&d->vers, &d->nvers, &d->capvers, k, kl, v, vl);
}

static const char *on_top(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                          const char **bad)
{
    struct pkgdoc *d = ctx;
    const char *q;
    if (json_key_is(k, kl, "versions") && v < end && *v == '{')
        q = json_each_member(v, end, on_version, d, bad);
    else
        q = json_skip(v, end, bad);
    if (!q)
        return NULL;
    struct span s = {v, (size_t)(q - v)};
    if (push(&d->top, &d->ntop, &d->captop, k, kl, v, s.n) < 0) {
        if (bad)
            *bad = NULL;
        return NULL;
    }
    static const struct {
        const char *name;
        size_t off;
    } known[] = {
        {"dist-tags", offsetof(struct pkgdoc, dist_tags)},
        {"versions", offsetof(struct pkgdoc, versions)},
        {"time", offsetof(struct pkgdoc, time)},
        {"maintainers", offsetof(struct pkgdoc, maintainers)},
        {"description", offsetof(struct pkgdoc, description)},
        {"homepage", offsetof(struct pkgdoc, homepage)},
        {"keywords", offsetof(struct pkgdoc, keywords)},
        {"repository", offsetof(struct pkgdoc, repository)},
        {"license", offsetof(struct pkgdoc, license)},
        {"readme", offsetof(struct pkgdoc, readme)},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (json_key_is(k, kl, known[i].name))
            *(struct span *)((char *)d + known[i].off) = s;
    return q;
}

/* dist-tags.latest, decoded into d->latest_name; false when absent. */
static bool latest_tag(struct pkgdoc *d)
{
    struct jdoc j = JDOC_INIT;
    bool ok = false;
    if (d->dist_tags.p && jdoc_parse(&j, d->dist_tags.p, d->dist_tags.n, NULL) == 0) {
        int l = jdoc_get(&j, 0, "latest");
        ok = l >= 0 && jdoc_str(&j, l, &d->latest_name) == 0 && d->latest_name.len > 0;
    }
    jdoc_free(&j);
    return ok;
}

static bool key_equals(const struct span *raw, const char *s, size_t n)
{
    if (!memchr(raw->p, '\\', raw->n))
        return raw->n == n && memcmp(raw->p, s, n) == 0;
    struct buf b = BUF_INIT;
    bool eq = json_unescape(&b, raw->p, raw->n) == 0 && b.len == n && memcmp(b.p, s, n) == 0;
    buf_free(&b);
    return eq;
}

int pkgdoc_scan(struct pkgdoc *d, const char *p, size_t n, struct err *e)
{
    struct member *top = d->top, *vers = d->vers;
    size_t captop = d->captop, capvers = d->capvers;
    struct buf ln = d->latest_name;
    memset(d, 0, sizeof *d);
    d->top = top;
    d->captop = captop;
    d->vers = vers;
    d->capvers = capvers;
    d->latest_name = ln;
    buf_reset(&d->latest_name);

    const char *bad = NULL, *end = p + n;
    const char *q = json_walk_members(p, end, on_top, d, &bad);
    if (!q || json_skip_ws(q, end) != end) {
        if (!q && !bad)
            return err_set(e, ERR_FAIL, "out of memory reading a package document");
        return err_set(e, ERR_FAIL, "the package document is not a valid JSON object (byte %zu)",
                       (size_t)((q ? q : bad) - p));
    }
    if (latest_tag(d)) {
        for (size_t i = d->nvers; i-- > 0;)
            if (key_equals(&d->vers[i].key, d->latest_name.p, d->latest_name.len)) {
                d->latest = &d->vers[i];
                break;
            }
    }
    if (!d->latest && d->nvers) {
        /* No usable dist-tags.latest: the last version listed (its key is
         * not empty, see on_version; it may still decode to nothing but a
         * NUL, which names no version either). */
        buf_reset(&d->latest_name);
        if (json_unescape(&d->latest_name, d->vers[d->nvers - 1].key.p,
                          d->vers[d->nvers - 1].key.n) < 0)
            return err_set(e, ERR_FAIL, "out of memory reading a package document");
        if (d->latest_name.len && strlen(d->latest_name.p) == d->latest_name.len)
            d->latest = &d->vers[d->nvers - 1];
        else
            buf_reset(&d->latest_name);
    }
    return 0;
}

void pkgdoc_free(struct pkgdoc *d)
{
    free(d->top);
    free(d->vers);
    buf_free(&d->latest_name);
    memset(d, 0, sizeof *d);
}
