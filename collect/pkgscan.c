/*
 * pkgscan.c — see pkgscan.h.
 *
 * The walk: top level -> "dist-tags" (the "latest" member decoded) and
 * "versions" (each key decoded; each value, when an object, walked for
 * "dist", whose members are walked for "attestations"). The attested
 * versions are listed while walking because "dist-tags" may come after
 * "versions" in a document; which one is latest is decided at the end.
 */
#include "pkgscan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dumpfmt.h"
#include "json.h"
#include "ndjson.h"

bool pkgscan_version_ok(const char *v, size_t n)
{
    if (n == 0 || n > PKGSCAN_VERSION_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              ch == '.' || ch == '-' || ch == '+'))
            return false;
    }
    return true;
}

void pkgscan_init(struct pkgscan *s)
{
    memset(s, 0, sizeof *s);
}

void pkgscan_free(struct pkgscan *s)
{
    buf_free(&s->latest);
    strlist_free(&s->versions);
    strlist_free(&s->attested);
    pkgscan_init(s);
}

struct walk {
    struct pkgscan *s;
    struct buf key; /* the version being walked, decoded */
    bool attested;  /* it has dist.attestations */
};

/* Decodes a raw (escaped) key or string body into out, replacing it. */
static void decode(struct buf *out, const char *p, size_t n)
{
    buf_reset(out);
    json_unescape(out, p, n);
}

static const char *on_dist(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                           const char **bad)
{
    struct walk *w = ctx;
    if (json_key_is(k, kl, "attestations") && *v == '{')
        w->attested = true;
    return json_skip(v, end, bad);
}

static const char *on_version_member(void *ctx, const char *k, size_t kl, const char *v,
                                     const char *end, const char **bad)
{
    if (json_key_is(k, kl, "dist") && *v == '{')
        return json_walk_members(v, end, on_dist, ctx, bad);
    return json_skip(v, end, bad);
}

static const char *on_version(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                              const char **bad)
{
    struct walk *w = ctx;
    struct pkgscan *s = w->s;
    w->attested = false;
    const char *q =
        *v == '{' ? json_walk_members(v, end, on_version_member, w, bad) : json_skip(v, end, bad);
    if (!q)
        return NULL;
    decode(&w->key, k, kl);
    if (!pkgscan_version_ok(w->key.p, w->key.len) || s->versions.n >= PKGSCAN_MAX_VERSIONS) {
        s->skipped++;
        return q;
    }
    if (strlist_add_unique(&s->versions, w->key.p, w->key.len) && w->attested)
        strlist_add_unique(&s->attested, w->key.p, w->key.len);
    return q;
}

static const char *on_tag(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                          const char **bad)
{
    struct walk *w = ctx;
    const char *q = json_skip(v, end, bad);
    if (q && json_key_is(k, kl, "latest") && *v == '"') {
        decode(&w->s->latest, v + 1, (size_t)(q - v) - 2);
        if (!pkgscan_version_ok(w->s->latest.p, w->s->latest.len))
            buf_reset(&w->s->latest);
    }
    return q;
}

static const char *on_top(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                          const char **bad)
{
    if (json_key_is(k, kl, "versions") && *v == '{')
        return json_walk_members(v, end, on_version, ctx, bad);
    if (json_key_is(k, kl, "dist-tags") && *v == '{')
        return json_walk_members(v, end, on_tag, ctx, bad);
    return json_skip(v, end, bad);
}

int pkgscan_mem(struct pkgscan *s, const char *p, size_t n, struct err *e)
{
    pkgscan_free(s);
    struct walk w = {s, BUF_INIT, false};
    const char *end = p + n, *bad = NULL;
    const char *q = json_skip_ws(p, end);
    int rc = 0;
    if (q >= end || *q != '{')
        rc = err_set(e, ERR_FAIL, "the package document is not a JSON object");
    else if (!json_walk_members(q, end, on_top, &w, &bad))
        rc = err_set(e, ERR_FAIL, "the package document is not valid JSON (at byte %zu)",
                     bad ? (size_t)(bad - p) : (size_t)0);
    buf_free(&w.key);
    if (rc < 0) {
        pkgscan_free(s);
        return -1;
    }
    if (s->latest.len)
        s->latest_attested = strlist_has(&s->attested, s->latest.p, s->latest.len);
    return 0;
}

int pkgscan_body(struct pkgscan *s, struct http_body *b, struct err *e)
{
    if (!b->spill)
        return pkgscan_mem(s, b->mem.p ? b->mem.p : "", b->mem.len, e);
    if (b->len == 0 || b->len > SIZE_MAX)
        return err_set(e, ERR_FAIL, "the package document is empty");
    if (fflush(b->spill) != 0)
        return err_set(e, ERR_FAIL, "cannot read back a spooled response: %s", strerror(errno));
    size_t n = (size_t)b->len;
    void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fileno(b->spill), 0);
    if (m == MAP_FAILED)
        return err_set(e, ERR_FAIL, "cannot map a spooled response: %s", strerror(errno));
    int rc = pkgscan_mem(s, m, n, e);
    munmap(m, n);
    return rc;
}

/* ---- an earlier dump's records ----------------------------------------- */

struct rec {
    struct buf subject;
    long status;
    const char *body;
    size_t body_n;
};

static const char *on_rec(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                          const char **bad)
{
    struct rec *r = ctx;
    const char *q = json_skip(v, end, bad);
    if (!q)
        return NULL;
    if (json_key_is(k, kl, DF_SUBJECT) && *v == '"')
        decode(&r->subject, v + 1, (size_t)(q - v) - 2);
    else if (json_key_is(k, kl, DF_STATUS) && *v >= '0' && *v <= '9')
        r->status = strtol(v, NULL, 10);
    else if (json_key_is(k, kl, DF_BODY) && *v == '{') {
        r->body = v;
        r->body_n = (size_t)(q - v);
    }
    return q;
}

int pkgscan_file(const char *path, const struct strset *wanted, pkgscan_fn fn, void *ctx,
                 struct err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "cannot open %s: %s", path, strerror(errno));
    struct ndr *nr = ndr_new(fd, path, 0, e);
    if (!nr)
        return -1;
    struct rec r = {BUF_INIT, 0, NULL, 0};
    struct pkgscan s;
    pkgscan_init(&s);
    const char *line;
    size_t n;
    int got;
    while ((got = ndr_next(nr, &line, &n, e)) > 0) {
        const char *bad = NULL, *p = json_skip_ws(line, line + n);
        buf_reset(&r.subject);
        r.status = 0;
        r.body = NULL;
        if (p >= line + n || *p != '{' || !json_walk_members(p, line + n, on_rec, &r, &bad))
            continue; /* not a record: its package's facts stay unknown */
        if (!r.body || r.status < 200 || r.status > 299 || !r.subject.len ||
            !strset_get(wanted, r.subject.p, r.subject.len))
            continue;
        struct err pe = {0};
        if (pkgscan_mem(&s, r.body, r.body_n, &pe) == 0)
            fn(ctx, r.subject.p, &s);
    }
    pkgscan_free(&s);
    buf_free(&r.subject);
    ndr_close(nr);
    return got < 0 ? -1 : 0;
}
