/*
 * packument.c — see packument.h.
 *
 * Scanning: arrays in pkgdoc are reused between documents, so steady-state
 * scanning allocates nothing. Facts: every member read here was located by
 * the scan; only small members and the latest version are tokenised, and
 * the "time" map (one entry per version ever published) is walked.
 */
#include "packument.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "npmvalue.h"
#include "timeutil.h"

/* ---- scanning ---------------------------------------------------------------- */

static void push(struct member **v, size_t *n, size_t *cap, const char *k, size_t kl,
                 const char *val, size_t vl)
{
    GROW(*v, *n + 1, *cap);
    (*v)[*n].key.p = k;
    (*v)[*n].key.n = kl;
    (*v)[*n].val.p = val;
    (*v)[*n].val.n = vl;
    (*n)++;
}

/* A JSON value is "set" as JavaScript would test it: not null, false, 0
 * or "" (pnpm's checks are truthiness tests). */
static bool truthy(const char *v, size_t n)
{
    if (n == 0)
        return false;
    if ((n == 4 && memcmp(v, "null", 4) == 0) || (n == 5 && memcmp(v, "false", 5) == 0) ||
        (n == 2 && memcmp(v, "\"\"", 2) == 0))
        return false;
    if (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
        for (size_t i = 0; i < n; i++)
            if (v[i] >= '1' && v[i] <= '9')
                return true; /* a digit other than 0 (in the mantissa or not: 0e5 is rare) */
        return false;
    }
    return true;
}

/* Descends into dist.attestations: is its `provenance` set? */
static const char *on_attest(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                             const char **bad)
{
    struct vfacts *f = ctx;
    const char *q = json_skip(v, end, bad);
    if (q && json_key_is(k, kl, "provenance"))
        f->provenance = truthy(v, (size_t)(q - v));
    return q;
}

static const char *on_dist(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                           const char **bad)
{
    struct vfacts *f = ctx;
    if (!json_key_is(k, kl, "attestations"))
        return json_skip(v, end, bad);
    const char *q =
        *v == '{' ? json_walk_members(v, end, on_attest, f, bad) : json_skip(v, end, bad);
    if (q)
        f->attestations = truthy(v, (size_t)(q - v));
    if (q && *v != '{')
        f->provenance = false;
    return q;
}

static const char *on_npm_user(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                               const char **bad)
{
    struct vfacts *f = ctx;
    const char *q = json_skip(v, end, bad);
    if (!q)
        return NULL;
    if (json_key_is(k, kl, "name") && *v == '"') {
        f->user.p = v + 1;
        f->user.n = (size_t)(q - v) - 2;
    } else if (json_key_is(k, kl, "trustedPublisher")) {
        f->trusted = truthy(v, (size_t)(q - v));
    }
    return q;
}

static const char *on_version_member(void *ctx, const char *k, size_t kl, const char *v,
                                     const char *end, const char **bad)
{
    struct vfacts *f = ctx;
    if (json_key_is(k, kl, "dist") && *v == '{')
        return json_walk_members(v, end, on_dist, f, bad);
    if (json_key_is(k, kl, "_npmUser") && *v == '{')
        return json_walk_members(v, end, on_npm_user, f, bad);
    const char *q = json_skip(v, end, bad);
    if (q && json_key_is(k, kl, "_npmUser") && *v == '"') {
        f->user.p = v + 1;
        f->user.n = (size_t)(q - v) - 2;
        f->user_is_person = true;
    }
    return q;
}

/* One version: its facts read as it is validated (each byte once). */
static const char *on_version(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                              const char **bad)
{
    struct pkgdoc *d = ctx;
    struct vfacts f;
    memset(&f, 0, sizeof f);
    const char *q =
        *v == '{' ? json_walk_members(v, end, on_version_member, &f, bad) : json_skip(v, end, bad);
    if (!q)
        return NULL;
    if (kl == 0) {
        d->empty_versions++;
        return q;
    }
    push(&d->vers, &d->nvers, &d->capvers, k, kl, v, (size_t)(q - v));
    GROW(d->vf, d->nvers, d->capvf);
    d->vf[d->nvers - 1] = f;
    return q;
}

static int on_time_entry(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct pkgdoc *d = ctx;
    push(&d->times, &d->ntimes, &d->captimes, k, kl, v, vl);
    return 0;
}

static const char *on_top(void *ctx, const char *k, size_t kl, const char *v, const char *end,
                          const char **bad)
{
    struct pkgdoc *d = ctx;
    const char *q;
    if (json_key_is(k, kl, "versions") && v < end && *v == '{') {
        q = json_walk_members(v, end, on_version, d, bad);
    } else if (json_key_is(k, kl, "time") && v < end && *v == '{') {
        d->ntimes = 0; /* a repeated member: the last one counts, as for the others */
        q = json_each_member(v, end, on_time_entry, d, bad);
    } else
        q = json_skip(v, end, bad);
    if (!q)
        return NULL;
    struct span s = {v, (size_t)(q - v)};
    push(&d->top, &d->ntop, &d->captop, k, kl, v, s.n);
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

/* Raw keys in byte order (the time entries, for the versions' lookups). */
static int cmp_member_key(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    size_t n = x->key.n < y->key.n ? x->key.n : y->key.n;
    int c = memcmp(x->key.p, y->key.p, n);
    return c ? c : x->key.n < y->key.n ? -1 : x->key.n > y->key.n;
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

/* Whether a raw key [k, k+kl) (between the quotes) decodes to [s, s+n). */
static bool raw_key_is(const char *k, size_t kl, const char *s, size_t n)
{
    if (!memchr(k, '\\', kl))
        return kl == n && memcmp(k, s, n) == 0;
    struct buf b = BUF_INIT;
    bool eq = json_unescape(&b, k, kl) == 0 && b.len == n && memcmp(b.p, s, n) == 0;
    buf_free(&b);
    return eq;
}

int pkgdoc_scan(struct pkgdoc *d, const char *p, size_t n, struct err *e)
{
    struct member *top = d->top, *vers = d->vers, *times = d->times;
    struct vfacts *vf = d->vf;
    size_t captop = d->captop, capvers = d->capvers, captimes = d->captimes, capvf = d->capvf;
    struct buf ln = d->latest_name;
    memset(d, 0, sizeof *d);
    d->top = top;
    d->captop = captop;
    d->vers = vers;
    d->capvers = capvers;
    d->times = times;
    d->captimes = captimes;
    d->vf = vf;
    d->capvf = capvf;
    d->latest_name = ln;
    buf_reset(&d->latest_name);

    const char *bad = NULL, *end = p + n;
    const char *q = json_walk_members(p, end, on_top, d, &bad);
    if (!q || json_skip_ws(q, end) != end)
        return err_set(e, ERR_FAIL, "the package document is not a valid JSON object (byte %zu)",
                       (size_t)((q     ? q
                                 : bad ? bad
                                       : p) -
                                p));
    if (d->ntimes > 1) /* qsort of no array is undefined */
        qsort(d->times, d->ntimes, sizeof *d->times, cmp_member_key);
    if (latest_tag(d)) {
        for (size_t i = d->nvers; i-- > 0;)
            if (raw_key_is(d->vers[i].key.p, d->vers[i].key.n, d->latest_name.p,
                           d->latest_name.len)) {
                d->latest = &d->vers[i];
                break;
            }
    }
    if (!d->latest && d->nvers) {
        /* No usable dist-tags.latest: the last version listed (its key is
         * not empty, see on_version; it may still decode to nothing but a
         * NUL, which names no version either). */
        const struct member *last = &d->vers[d->nvers - 1];
        buf_reset(&d->latest_name);
        json_unescape(&d->latest_name, last->key.p, last->key.n);
        if (d->latest_name.len && strlen(d->latest_name.p) == d->latest_name.len)
            d->latest = last;
        else
            buf_reset(&d->latest_name);
    }
    return 0;
}

void pkgdoc_free(struct pkgdoc *d)
{
    free(d->top);
    free(d->vers);
    free(d->vf);
    free(d->times);
    buf_free(&d->latest_name);
    memset(d, 0, sizeof *d);
}

/* ---- the facts --------------------------------------------------------------- */

void pkgfacts_init(struct pkgfacts *f)
{
    memset(f, 0, sizeof *f);
    struct buf *bufs[] = {&f->description, &f->homepage,    &f->license,   &f->repo_url,
                          &f->repo_dir,    &f->deprecation, &f->publisher, &f->publisher_email};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        *bufs[i] = (struct buf)BUF_INIT;
    f->created = f->modified = f->published = -1;
    f->with_provenance = -1;
    f->downgrade = f->first_time_publisher = f->has_install_script = -1;
}

void pkgfacts_free(struct pkgfacts *f)
{
    buf_free(&f->description);
    buf_free(&f->homepage);
    buf_free(&f->license);
    buf_free(&f->repo_url);
    buf_free(&f->repo_dir);
    buf_free(&f->deprecation);
    buf_free(&f->publisher);
    buf_free(&f->publisher_email);
    strlist_free(&f->maintainers);
    strlist_free(&f->maintainer_email);
    strlist_free(&f->maintainer_emails);
    strlist_free(&f->keywords);
    strlist_free(&f->install_scripts);
}

/* A field of the document (at `where`) has the wrong shape: said once per
 * field and record. */
static void malformed(struct pkgfacts *f, const char *where, const char *field, const char *want)
{
    log_warn("%s: package document field '%s' is not %s; the facts it gives are left out",
             where ? where : "?", field, want);
    f->malformed = true;
}

/* Decodes a JSON string value [p, p+n) (with its quotes) into out. */
static bool span_str(const char *p, size_t n, struct buf *out)
{
    buf_reset(out);
    if (!p || n < 2 || p[0] != '"')
        return false;
    return json_unescape(out, p + 1, n - 2) == 0 && strlen(out->p) == out->len;
}

/* The three entries of a document's "time" map that matter: created,
 * modified and the latest version's. */
struct time_pick {
    const struct pkgdoc *doc;
    struct member pick[3]; /* created, modified, latest */
};

static int on_time(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
    struct time_pick *tp = ctx;
    const struct pkgdoc *doc = tp->doc;
    int which = json_key_is(k, kl, "created")                                                ? 0
                : json_key_is(k, kl, "modified")                                             ? 1
                : doc->latest && raw_key_is(k, kl, doc->latest_name.p, doc->latest_name.len) ? 2
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

/* The top level's strings: description, homepage, license, keywords, the
 * repository, and the times. */
static void read_top(const struct pkgdoc *doc, struct pkgfacts *f, struct jdoc *d)
{
    struct buf kw = BUF_INIT;
    span_str(doc->description.p, doc->description.n, &f->description);
    span_str(doc->homepage.p, doc->homepage.n, &f->homepage);
    take_repository(f, doc->repository.p, doc->repository.n);
    if (doc->license.p && jdoc_parse(d, doc->license.p, doc->license.n, NULL) == 0)
        take_license(f, d, 0);
    if (doc->keywords.p && jdoc_parse(d, doc->keywords.p, doc->keywords.n, NULL) == 0 &&
        jdoc_is(d, 0, JT_ARRAY))
        for (int x = jdoc_first(d, 0); x > 0 && f->keywords.n < 100; x = jdoc_after_elem(d, 0, x)) {
            buf_reset(&kw);
            /* a keyword ends at a NUL it holds */
            if (jdoc_str(d, x, &kw) == 0 && kw.len)
                strlist_add_unique(&f->keywords, kw.p, strlen(kw.p));
        }
    buf_free(&kw);
    struct time_pick tp;
    pick_times(doc, &tp);
    f->created = time_ms(&tp.pick[0]);
    f->modified = time_ms(&tp.pick[1]);
    f->published = time_ms(&tp.pick[2]);
}

/* The current maintainers: the document's top-level list. */
static void read_maintainers(const struct pkgdoc *doc, const char *where, struct pkgfacts *f,
                             struct jdoc *d)
{
    struct buf name = BUF_INIT, email = BUF_INIT;
    if (jdoc_parse(d, doc->maintainers.p, doc->maintainers.n, NULL) < 0 ||
        !jdoc_is(d, 0, JT_ARRAY)) {
        f->maintainers_bad = true;
        malformed(f, where, "maintainers", "an array of people");
        return;
    }
    for (int x = jdoc_first(d, 0); x > 0; x = jdoc_after_elem(d, 0, x)) {
        if (npm_person(d, x, &name, &email) < 0) {
            if (!f->maintainers_bad)
                malformed(f, where, "maintainers", "people: {name, email} or \"name <email>\"");
            f->maintainers_bad = true;
            continue;
        }
        if (!strlist_add_unique(&f->maintainers, name.p, name.len))
            continue; /* a repeat: the first entry counts */
        /* an email ends at a NUL it holds */
        strlist_add(&f->maintainer_email, email.p, strlen(email.p));
        if (email.len)
            strlist_add_unique(&f->maintainer_emails, email.p, strlen(email.p));
    }
    buf_free(&name);
    buf_free(&email);
}

static void take_string(const struct jdoc *d, const char *key, struct buf *out)
{
    int i = jdoc_get(d, 0, key);
    if (i >= 0)
        jdoc_str(d, i, out);
}

/* The latest version's install-time scripts: the ones npm runs on
 * install (npm's hasInstallScript). */
static void read_scripts(struct pkgfacts *f, const char *where, const struct jdoc *d)
{
    static const char *const names[] = {"preinstall", "install", "postinstall"};
    int sc = jdoc_get(d, 0, "scripts");
    if (sc >= 0 && !jdoc_is(d, sc, JT_OBJECT)) {
        malformed(f, where, "scripts (of the latest version)", "an object");
        return; /* unknown: has_install_script stays -1 */
    }
    for (size_t i = 0; sc >= 0 && i < sizeof names / sizeof names[0]; i++) {
        int x = jdoc_get(d, sc, names[i]);
        size_t n;
        if (x >= 0 && jdoc_is(d, x, JT_STRING) && jdoc_raw(d, x, &n) && n > 0)
            strlist_add(&f->install_scripts, names[i], strlen(names[i]));
    }
    f->has_install_script = f->install_scripts.n > 0;
}

/* The latest version: deprecation, publisher, and fallbacks. */
static void read_latest(const struct pkgdoc *doc, const char *where, struct pkgfacts *f,
                        struct jdoc *d)
{
    if (jdoc_parse(d, doc->latest->val.p, doc->latest->val.n, NULL) < 0 ||
        !jdoc_is(d, 0, JT_OBJECT)) {
        f->deprecated_bad = true;
        malformed(f, where, "the latest version", "an object (a manifest)");
        return;
    }
    int dep = jdoc_get(d, 0, "deprecated");
    bool b;
    if (dep >= 0 && jdoc_str(d, dep, &f->deprecation) == 0) {
        f->deprecated = f->deprecation.len > 0;
    } else if (dep >= 0 && jdoc_bool(d, dep, &b) == 0) {
        f->deprecated = b;
    } else if (dep >= 0) {
        f->deprecated_bad = true;
        malformed(f, where, "deprecated (of the latest version)", "a string or a boolean");
    }
    read_scripts(f, where, d);
    int pub = jdoc_get(d, 0, "_npmUser");
    struct buf name = BUF_INIT, email = BUF_INIT;
    if (pub >= 0 && npm_person(d, pub, &name, &email) == 0) {
        buf_puts(&f->publisher, name.p);
        if (email.len)
            buf_puts(&f->publisher_email, email.p);
    }
    buf_free(&name);
    buf_free(&email);
    if (!f->description.len)
        take_string(d, "description", &f->description);
    if (!f->homepage.len)
        take_string(d, "homepage", &f->homepage);
    take_license(f, d, jdoc_get(d, 0, "license"));
    int rp = jdoc_get(d, 0, "repository");
    if (rp >= 0) {
        size_t n;
        const char *t = jdoc_text(d, rp, &n);
        take_repository(f, t, n);
    }
}

const char *pkg_trust_name(int trust)
{
    return trust == 2 ? "trusted-publisher" : trust == 1 ? "provenance" : "none";
}

/* A version's publish time from the (sorted) time entries; -1 unknown. */
static int64_t version_time(const struct pkgdoc *doc, const struct member *v)
{
    struct member key = {v->key, {NULL, 0}};
    if (!doc->ntimes) /* bsearch of no array is undefined */
        return -1;
    const struct member *t =
        bsearch(&key, doc->times, doc->ntimes, sizeof *doc->times, cmp_member_key);
    return t ? time_ms(t) : -1;
}

/* A version's publisher name into out; false when none is readable. */
static bool version_user(const struct vfacts *vf, struct buf *out, struct buf *tmp)
{
    buf_reset(out);
    if (!vf->user.p)
        return false;
    buf_reset(tmp);
    if (json_unescape(tmp, vf->user.p, vf->user.n) < 0 || strlen(tmp->p) != tmp->len)
        return false;
    if (!vf->user_is_person) {
        buf_append(out, tmp->p, tmp->len);
    } else {
        struct buf email = BUF_INIT;
        int rc = npm_person_string(tmp->p, out, &email);
        buf_free(&email);
        if (rc < 0)
            return false;
    }
    return out->len > 0;
}

static int trust_of(const struct vfacts *vf)
{
    return vf->trusted ? 2 : vf->provenance ? 1 : 0;
}

/* The trust facts (packument.h): the latest version's trust against the
 * versions published before it, by publish time, as pnpm's no-downgrade
 * check compares them (a version without a time is not compared). */
static void read_trust(const struct pkgdoc *doc, struct pkgfacts *f)
{
    if (!doc->latest || f->versions_bad)
        return;
    size_t li = (size_t)(doc->latest - doc->vers);
    const struct vfacts *lv = &doc->vf[li];
    f->have_trust = true;
    f->provenance = lv->provenance;
    f->trusted = lv->trusted;
    f->attestations = lv->attestations;
    f->latest_trust = trust_of(lv);
    f->with_provenance = 0;
    for (size_t i = 0; i < doc->nvers; i++)
        f->with_provenance += doc->vf[i].provenance;
    int64_t tl = version_time(doc, doc->latest);
    if (tl < 0)
        return; /* "before the latest" means nothing: both left out */
    struct buf pub = BUF_INIT, other = BUF_INIT, tmp = BUF_INIT;
    bool have_pub = version_user(lv, &pub, &tmp);
    int best = 0;
    bool published_before = false;
    size_t earlier = 0;
    for (size_t i = 0; i < doc->nvers; i++) {
        if (i == li)
            continue;
        int64_t t = version_time(doc, &doc->vers[i]);
        if (t < 0 || t >= tl)
            continue;
        earlier++;
        if (trust_of(&doc->vf[i]) > best)
            best = trust_of(&doc->vf[i]);
        if (have_pub && !published_before && version_user(&doc->vf[i], &other, &tmp) &&
            strcmp(other.p, pub.p) == 0)
            published_before = true;
    }
    f->downgrade = f->latest_trust < best;
    /* The first release of a package has no earlier publisher to differ
     * from: its author is not "new" to it. */
    if (have_pub)
        f->first_time_publisher = earlier > 0 && !published_before;
    buf_free(&pub);
    buf_free(&other);
    buf_free(&tmp);
}

void pkgfacts_read(const struct pkgdoc *doc, const char *where, struct pkgfacts *f)
{
    struct jdoc d = JDOC_INIT;
    read_top(doc, f, &d);
    if (doc->versions.p && doc->versions.p[0] != '{') {
        f->versions_bad = true;
        malformed(f, where, "versions", "an object {version: manifest}");
    }
    if (doc->maintainers.p)
        read_maintainers(doc, where, f, &d);
    if (doc->latest)
        read_latest(doc, where, f, &d);
    read_trust(doc, f);
    jdoc_free(&d);
}

/* ---- the trimmed document ------------------------------------------------------ */

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

/* *ctx: 1 once a URL would lose something, -1 if one cannot be read. */
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

static void write_versions(struct jw *w, const struct pkgdoc *doc)
{
    jw_obj(w);
    if (doc->latest) {
        const struct member *l = doc->latest;
        jw_key_raw(w, l->key.p, l->key.n);
        if (l->val.n && l->val.p[0] == '{') {
            jw_obj(w);
            json_each_member(l->val.p, l->val.p + l->val.n, copy_member_except_readme, w, NULL);
            jw_obj_end(w);
        } else {
            jw_raw(w, l->val.p, l->val.n);
        }
    }
    jw_obj_end(w);
}

static void write_times(struct jw *w, const struct pkgdoc *doc)
{
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
}

void pkgdoc_write_trimmed(struct jw *w, const struct pkgdoc *doc)
{
    jw_obj(w);
    for (size_t i = 0; i < doc->ntop; i++) {
        const struct member *mb = &doc->top[i];
        const char *k = mb->key.p;
        size_t kl = mb->key.n;
        bool is_obj = mb->val.n && mb->val.p[0] == '{';
        if (json_key_is(k, kl, "readme") || json_key_is(k, kl, "users"))
            continue; /* readme and stars: the bulk of many documents */
        jw_key_raw(w, k, kl);
        if (json_key_is(k, kl, "versions") && is_obj)
            write_versions(w, doc);
        else if (json_key_is(k, kl, "time") && is_obj)
            write_times(w, doc);
        else if (json_key_is(k, kl, "repository"))
            copy_repository(w, mb->val.p, mb->val.n);
        else
            jw_raw(w, mb->val.p, mb->val.n);
    }
    jw_obj_end(w);
}
