/*
 * prev.c — see prev.h.
 *
 * Memory: the index (per revalidatable record: its subject, its header
 * line and a few numbers, some hundred bytes) and, while a file is read,
 * fixed buffers: the files are read in pieces (ndr_next_piece), not lines,
 * since a package document is one line of tens of MB. Of each record only
 * its head is kept whole (up to HEAD_MAX: kind, subject, status, headers,
 * times — everything before the body, which collect writes last); the body
 * goes through a streaming validator (jpush) and, when carried, straight
 * to the new dump. Bodies are never kept: a carried record is copied from
 * the earlier file when its kind is closed, not when its 304 arrives.
 *
 * Why one pass per kind at the end: a gzip file cannot be read from the
 * middle, so copying each record when its 304 arrives would mean either
 * holding the bodies (tens of MB each) or reading the file from its start
 * again and again. Marks are cheap; one sequential pass per kind file at
 * close reads each earlier file twice in all (once to check and index it,
 * once to copy), whatever the number of 304s. Carried records come after
 * the ones fetched in this run in each kind file; the order of records in
 * a kind file carries no meaning (fetches finish in any order too).
 *
 * The earlier files are checked against the manifest when opened and again
 * (their SHA-256) when copied: a file changed in between fails the carry,
 * and the dump is not committed, rather than holding records the check did
 * not see.
 */
#include "prev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "fsutil.h"
#include "json.h"
#include "ndjson.h"
#include "strset.h"
#include "timeutil.h"
#include "work.h"

#define MANIFEST_MAX (16 << 20)
/* A record's head (everything before its body) is read whole up to this;
 * collect writes heads of under 2 KiB. */
#define HEAD_MAX ((size_t)64 << 10)

struct entry {
    uint64_t line; /* 1-based line number in the kind file */
    char *cond;    /* the header line */
    int64_t revalidated_ms;
    short status;
    bool marked;
};

struct kindidx {
    struct strset by_subject; /* subject -> index into v, plus 1 */
    struct entry *v;          /* run by run (newest first), each in line order */
    size_t n, cap;
    size_t *run_start; /* a work area: run r's entries are v[run_start[r] .. run_start[r+1]) */
    uint64_t records, bytes;
    char sha256[65];
};

struct prev {
    char *dir;
    char **runs; /* a work area: its run directories, newest first; else {dir} */
    size_t nruns;
    struct kindidx k[K_COUNT];
    uint64_t indexed;
    bool work; /* a work area (prev_open_work): no manifest, carried verbatim */
};

/* ---- pure parts ------------------------------------------------------- */

static bool header_value_ok(const char *v, size_t *n)
{
    *n = v ? strlen(v) : 0;
    if (*n == 0 || *n > PREV_VALIDATOR_MAX)
        return false;
    for (size_t i = 0; i < *n; i++)
        if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
            return false;
    return true;
}

bool prev_condition_header(const char *etag, const char *last_modified, char *out, size_t outsz)
{
    size_t n;
    int w;
    if (header_value_ok(etag, &n))
        w = snprintf(out, outsz, "If-None-Match: %s", etag);
    else if (header_value_ok(last_modified, &n))
        w = snprintf(out, outsz, "If-Modified-Since: %s", last_modified);
    else
        return false;
    return w > 0 && (size_t)w < outsz;
}

/* A JSON string value [v, v+vn) (quotes included), decoded into out. */
static bool take_str(const char *v, size_t vn, char *out, size_t outsz)
{
    if (vn < 2 || v[0] != '"')
        return false;
    struct buf b = BUF_INIT;
    bool ok =
        json_unescape(&b, v + 1, vn - 2) == 0 && b.len > 0 && b.len < outsz && strlen(b.p) == b.len;
    if (ok)
        memcpy(out, b.p, b.len + 1);
    buf_free(&b);
    return ok;
}

static int header_member(void *vctx, const char *k, size_t kl, const char *v, size_t vn)
{
    struct prev_rec *r = vctx;
    if (json_key_is(k, kl, DF_H_ETAG) && !take_str(v, vn, r->etag, sizeof r->etag))
        r->etag[0] = '\0';
    if (json_key_is(k, kl, DF_H_LAST_MODIFIED) &&
        !take_str(v, vn, r->last_modified, sizeof r->last_modified))
        r->last_modified[0] = '\0';
    return 0;
}

struct parse_ctx {
    struct prev_rec *r;
    bool bad;
};

static int record_member(void *vctx, const char *k, size_t kl, const char *v, size_t vn)
{
    struct parse_ctx *pc = vctx;
    struct prev_rec *r = pc->r;
    if (json_key_is(k, kl, DF_KIND)) {
        char name[64];
        r->kind = take_str(v, vn, name, sizeof name) ? dump_kind_from_name(name, strlen(name)) : -1;
    } else if (json_key_is(k, kl, DF_SUBJECT)) {
        if (!take_str(v, vn, r->subject, sizeof r->subject))
            pc->bad = true;
    } else if (json_key_is(k, kl, DF_STATUS)) {
        char tmp[8];
        char *ep;
        if (vn >= sizeof tmp)
            return 0;
        memcpy(tmp, v, vn);
        tmp[vn] = '\0';
        long st = strtol(tmp, &ep, 10);
        r->status = *ep == '\0' && st >= 100 && st <= 599 ? st : 0;
    } else if (json_key_is(k, kl, DF_HEADERS)) {
        const char *bad = NULL;
        if (!json_each_member(v, v + vn, header_member, r, &bad))
            pc->bad = true;
    } else if (json_key_is(k, kl, DF_BODY) || json_key_is(k, kl, DF_BODY_TEXT)) {
        r->has_body = true;
    } else if (json_key_is(k, kl, DF_ERROR)) {
        pc->bad = true; /* not an answer */
    }
    return 0;
}

/* Walks the members of a record's head — those before its "body" or
 * "body_text", which collect writes last but for "redacted" — in the prefix
 * [p, p+n), calling fn on each; *body_off: where the body's key starts.
 * False when the prefix does not open a JSON object whose head is whole in
 * it, followed by a body. */
static bool head_scan(const char *p, size_t n, json_member_fn fn, void *ctx, size_t *body_off)
{
    const char *s = p, *end = p + n, *bad = NULL;
    p = json_skip_ws(p, end);
    if (p >= end || *p != '{')
        return false;
    p++;
    for (;;) {
        p = json_skip_ws(p, end);
        if (p >= end || *p != '"')
            return false;
        const char *k = p + 1, *q = json_skip(p, end, &bad);
        if (!q)
            return false;
        size_t kl = (size_t)(q - 1 - k);
        p = json_skip_ws(q, end);
        if (p >= end || *p != ':')
            return false;
        if (json_key_is(k, kl, DF_BODY) || json_key_is(k, kl, DF_BODY_TEXT)) {
            *body_off = (size_t)(k - 1 - s);
            return true;
        }
        const char *v = json_skip_ws(p + 1, end);
        if (!(q = json_skip(v, end, &bad)) || fn(ctx, k, kl, v, (size_t)(q - v)) < 0)
            return false;
        p = json_skip_ws(q, end);
        if (p >= end || *p != ',')
            return false;
        p++;
    }
}

/* One record line read in pieces: its first HEAD_MAX bytes (the head) and
 * a validator over all of it. */
struct rec_reader {
    struct buf head;
    struct jpush v;
};

static void rr_begin(struct rec_reader *rr)
{
    buf_reset(&rr->head);
    jpush_init(&rr->v);
}

/* How many of the n bytes went into the head. */
static size_t rr_feed(struct rec_reader *rr, const char *p, size_t n)
{
    jpush_feed(&rr->v, p, n);
    size_t room = HEAD_MAX - rr->head.len, take = n < room ? n : room;
    buf_append(&rr->head, p, take);
    return take;
}

/* What the head says; false when it is not usable. */
static bool rr_head(struct rec_reader *rr, struct prev_rec *r, size_t *body_off)
{
    memset(r, 0, sizeof *r);
    r->kind = -1;
    struct parse_ctx pc = {r, false};
    r->has_body =
        head_scan(rr->head.p ? rr->head.p : "", rr->head.len, record_member, &pc, body_off);
    return r->has_body && !pc.bad && r->kind >= 0 && r->subject[0] && r->status;
}

bool prev_parse_record(const char *line, size_t n, struct prev_rec *r)
{
    struct rec_reader rr = {BUF_INIT, {0}};
    size_t off;
    rr_begin(&rr);
    rr_feed(&rr, line, n);
    bool ok = rr_head(&rr, r, &off) && jpush_finish(&rr.v);
    buf_free(&rr.head);
    return ok;
}

/* Copies one marked record, piece by piece: the head rewritten once it is
 * whole (HEAD_MAX bytes, or the line ended), the rest verbatim. */
struct carrier {
    struct rec_reader rr;
    const char *revalidated_at;
    char revalidated_at_buf[32];
    prev_out_fn out;
    void *octx;
    bool head_out;
    uint64_t body_bytes;
};

struct rewrite_ctx {
    struct carrier *c;
    struct err *e;
    bool first;
    int rc;
};

static int emit(struct rewrite_ctx *rw, const char *p, size_t n)
{
    if (rw->rc == 0 && n)
        rw->rc = rw->c->out(rw->c->octx, p, n, rw->e);
    return rw->rc;
}

static int rewrite_member(void *vctx, const char *k, size_t kl, const char *v, size_t vn)
{
    struct rewrite_ctx *rw = vctx;
    if (json_key_is(k, kl, DF_REVALIDATED) || json_key_is(k, kl, DF_REVALIDATED_AT))
        return 0;
    emit(rw, rw->first ? "\"" : ",\"", rw->first ? 1 : 2);
    emit(rw, k, kl);
    emit(rw, "\":", 2);
    emit(rw, v, vn);
    rw->first = false;
    return rw->rc;
}

static int carry_head(struct carrier *c, struct err *e)
{
    struct prev_rec r;
    size_t off;
    if (!rr_head(&c->rr, &r, &off))
        return err_set(e, ERR_FAIL, "a record to carry is not a readable answer");
    struct rewrite_ctx rw = {c, e, true, 0};
    char pair[128];
    emit(&rw, "{", 1);
    head_scan(c->rr.head.p, c->rr.head.len, rewrite_member, &rw, &off);
    int w = snprintf(pair, sizeof pair,
                     "%s\"" DF_REVALIDATED "\":true,\"" DF_REVALIDATED_AT "\":\"%s\",",
                     rw.first ? "" : ",", c->revalidated_at);
    emit(&rw, pair, (size_t)w);
    emit(&rw, c->rr.head.p + off, c->rr.head.len - off);
    c->body_bytes += c->rr.head.len - off;
    c->head_out = true;
    return rw.rc;
}

static int carry_piece(struct carrier *c, const char *p, size_t n, bool eol, struct err *e)
{
    size_t took = c->head_out ? 0 : rr_feed(&c->rr, p, n);
    if (c->head_out)
        jpush_feed(&c->rr.v, p, n);
    if (!c->head_out && (c->rr.head.len == HEAD_MAX || eol) && carry_head(c, e) < 0)
        return -1;
    if (c->head_out && n > took) {
        if (c->out(c->octx, p + took, n - took, e) < 0)
            return -1;
        c->body_bytes += n - took;
    }
    if (!eol)
        return 0;
    if (!jpush_finish(&c->rr.v))
        return err_set(e, ERR_FAIL, "a record to carry is not valid JSON");
    return c->out(c->octx, "\n", 1, e);
}

int prev_rewrite_record(const char *line, size_t n, const char *revalidated_at, prev_out_fn out,
                        void *ctx, struct err *e)
{
    struct carrier c;
    memset(&c, 0, sizeof c);
    c.revalidated_at = revalidated_at;
    c.out = out;
    c.octx = ctx;
    rr_begin(&c.rr);
    int rc = carry_piece(&c, line, n, true, e);
    buf_free(&c.rr.head);
    return rc;
}

/* ---- the manifest ------------------------------------------------------- */

static int refuse(struct err *e, const char *dir, const char *why)
{
    return err_set(e, ERR_USAGE,
                   "--since %s: %s; collect without --since, or name a finished "
                   "dump of this org",
                   dir, why);
}

static int read_manifest(struct prev *p, const char *org, const char *registry, struct err *e)
{
    struct buf m = BUF_INIT, s = BUF_INIT;
    struct jdoc d = JDOC_INIT;
    struct err fe = {0};
    char why[600];
    int rc = -1;
    char *mp = path_join(p->dir, DUMP_MANIFEST);
    struct stat st;
    if (stat(p->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, sizeof why, "%s",
                 stat(p->dir, &st) < 0 ? strerror(errno)
                                       : "not a directory (a stream dump cannot be revalidated "
                                         "against: name a dump directory)");
        refuse(e, p->dir, why);
        goto out;
    }
    if (read_file(mp, MANIFEST_MAX, &m, &fe) < 0) {
        refuse(e, p->dir, "it has no manifest.json, so it is not a finished dump");
        goto out;
    }
    if (jdoc_parse(&d, m.p, m.len, &fe) < 0 || !jdoc_is(&d, 0, JT_OBJECT) ||
        !jdoc_streq(&d, jdoc_get(&d, 0, DM_FORMAT), DUMP_FORMAT)) {
        refuse(e, p->dir, "its manifest.json is not a " DUMP_FORMAT " manifest");
        goto out;
    }
    bool complete = false;
    if (jdoc_bool(&d, jdoc_get(&d, 0, DM_COMPLETE), &complete) < 0 || !complete) {
        refuse(e, p->dir, "the dump is incomplete (its manifest says complete: false)");
        goto out;
    }
    if (jdoc_str(&d, jdoc_get(&d, 0, DM_ORG), &s) < 0 || strcmp(s.p, org) != 0) {
        snprintf(why, sizeof why, "it is a dump of org '%.200s', not '%.200s'", s.p ? s.p : "?",
                 org);
        refuse(e, p->dir, why);
        goto out;
    }
    buf_reset(&s);
    if (jdoc_str(&d, jdoc_get(&d, 0, DM_REGISTRY), &s) < 0 || strcmp(s.p, registry) != 0) {
        snprintf(why, sizeof why, "it was collected from %.250s, not %.250s", s.p ? s.p : "?",
                 registry);
        refuse(e, p->dir, why);
        goto out;
    }
    int files = jdoc_get(&d, 0, DM_FILES);
    bool seen[K_COUNT] = {false};
    for (int x = jdoc_is(&d, files, JT_ARRAY) ? jdoc_first(&d, files) : -1; x > 0;
         x = jdoc_after_elem(&d, files, x)) {
        int kk = jdoc_get(&d, x, DF_KIND);
        size_t kl;
        const char *kn = jdoc_is(&d, kk, JT_STRING) ? jdoc_raw(&d, kk, &kl) : NULL;
        int kind = kn ? dump_kind_from_name(kn, kl) : -1;
        long long rv, bv;
        buf_reset(&s);
        if (kind < 0 || jdoc_i64(&d, jdoc_get(&d, x, DM_RECORDS), &rv) < 0 ||
            jdoc_i64(&d, jdoc_get(&d, x, DM_BYTES), &bv) < 0 || rv < 0 || bv < 0 ||
            jdoc_str(&d, jdoc_get(&d, x, DM_SHA256), &s) < 0 || s.len != 64)
            continue;
        seen[kind] = true;
        p->k[kind].records = (uint64_t)rv;
        p->k[kind].bytes = (uint64_t)bv;
        memcpy(p->k[kind].sha256, s.p, 65);
    }
    for (int k = 0; k < K_COUNT; k++)
        if (!seen[k]) {
            snprintf(why, sizeof why, "its manifest lists no well-formed entry for %s",
                     dump_kind_files[k]);
            refuse(e, p->dir, why);
            goto out;
        }
    rc = 0;
out:
    free(mp);
    jdoc_free(&d);
    buf_free(&m);
    buf_free(&s);
    return rc;
}

/* ---- reading a kind file ------------------------------------------------ */

/* A piece of line lineno (1-based); eol: the piece ends the line. */
typedef int (*piece_fn)(struct prev *p, enum dump_kind k, uint64_t lineno, const char *piece,
                        size_t n, bool eol, void *ctx, struct err *e);

/* Reads kind k's file in pieces (ndjson.h: memory stays fixed however long
 * a line) and checks it against the manifest.
 * bad_cls: the class of a mismatch (a refusal when opening, a failure when
 * carrying). */
static int read_kind(struct prev *p, const char *base, enum dump_kind k, piece_fn fn, void *ctx,
                     enum err_class bad_cls, struct err *e)
{
    struct kindidx *ki = &p->k[k];
    char *path = path_join(base, dump_kind_files[k]);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = -1;
    if (fd < 0 && p->work && errno == ENOENT) {
        free(path);
        return 0; /* a work area may lack a kind nothing was written for */
    }
    if (fd < 0) {
        err_set(e, bad_cls, "%s %s: cannot open %s: %s", p->work ? "--resume" : "--since", p->dir,
                path, strerror(errno));
        free(path);
        return -1;
    }
    struct ndr *nr = ndr_new(fd, path, 0, e);
    if (!nr) {
        free(path);
        return -1;
    }
    const char *piece;
    size_t n;
    bool eol;
    int got;
    uint64_t lines = 0;
    while ((got = ndr_next_piece(nr, &piece, &n, &eol, e)) > 0) {
        if (fn(p, k, lines + 1, piece, n, eol, ctx, e) < 0)
            goto out;
        lines += eol;
    }
    if (got < 0 && p->work) {
        /* a work area left by a crash: its last record may be cut short */
        rc = 0;
        ki->records = lines;
        goto out;
    }
    if (got < 0) {
        err_wrap(e, "%s %s", p->work ? "--resume" : "--since", p->dir);
        e->cls = bad_cls;
        goto out;
    }
    char sha[65];
    if (p->work) {
        ki->records = lines;
        rc = 0;
        goto out;
    }
    ndr_sha256(nr, sha);
    if (ndr_bytes_in(nr) != ki->bytes || strcmp(sha, ki->sha256) != 0)
        err_set(e, bad_cls,
                "--since %s: %s does not match its manifest (size or SHA-256 differ): the file "
                "was damaged or replaced%s",
                p->dir, path, bad_cls == ERR_USAGE ? "" : " during this run");
    else if (lines != ki->records)
        err_set(e, bad_cls, "--since %s: %s holds %llu records, its manifest says %llu", p->dir,
                path, (unsigned long long)lines, (unsigned long long)ki->records);
    else
        rc = 0;
out:
    ndr_close(nr);
    free(path);
    return rc;
}

/* A collaborator list's body, for a work area: the crawl reads its names
 * (outside collaborators' profiles are fetched too). NULL when the record
 * is not whole in the head buffer or its body is not JSON: then it is
 * fetched again. */
static char *work_body(const struct rec_reader *rr, size_t off)
{
    const char *s = rr->head.p, *end = s + rr->head.len, *bad = NULL;
    if (rr->head.len >= HEAD_MAX)
        return NULL;
    const char *k = s + off, *q = json_skip(k, end, &bad);
    if (!q || !json_key_is(k + 1, (size_t)(q - 1 - (k + 1)), DF_BODY))
        return NULL;
    q = json_skip_ws(q, end);
    if (q >= end || *q != ':')
        return NULL;
    const char *v = json_skip_ws(q + 1, end), *ve = json_skip(v, end, &bad);
    if (!ve)
        return NULL;
    char *b = xmalloc((size_t)(ve - v) + 1);
    memcpy(b, v, (size_t)(ve - v));
    b[ve - v] = '\0';
    return b;
}

static int index_piece(struct prev *p, enum dump_kind k, uint64_t lineno, const char *piece,
                       size_t n, bool eol, void *ctx, struct err *e)
{
    (void)e;
    struct rec_reader *rr = ctx;
    rr_feed(rr, piece, n);
    if (!eol)
        return 0;
    struct prev_rec r;
    size_t off;
    char cond[PREV_VALIDATOR_MAX + 32];
    char *held = NULL; /* the entry's cond: a header line, or a work area's body */
    struct kindidx *ki = &p->k[k];
    struct strset_entry *se;
    bool ok = rr_head(rr, &r, &off) && jpush_finish(&rr->v) && r.kind == (int)k;
    if (ok && p->work)
        ok = prev_definitive(r.status) &&
             (k != K_PACKAGE_COLLABORATORS || r.status == 404 || (held = work_body(rr, off)));
    else if (ok && k == K_ATTESTATIONS) /* never changes: carried without a condition */
        ok = r.status == 200 && (held = xstrdup(""));
    else if (ok)
        ok = r.status == 200 && prev_condition_header(r.etag, r.last_modified, cond, sizeof cond) &&
             (held = xstrdup(cond));
    rr_begin(rr); /* for the next line */
    if (!ok)
        return 0; /* fetched again (unconditionally) */
    if (strset_add(&ki->by_subject, r.subject, strlen(r.subject), &se) == 0) {
        free(held);
        return 0; /* a second record of one subject: the first one counts */
    }
    GROW(ki->v, ki->n + 1, ki->cap);
    ki->v[ki->n] = (struct entry){lineno, held, 0, (short)r.status, false};
    se->val = (void *)(uintptr_t)(ki->n + 1);
    ki->n++;
    p->indexed++;
    return 0;
}

static struct entry *find(const struct prev *p, enum dump_kind k, const char *subject);

bool prev_definitive(long status)
{
    return (status >= 200 && status < 300) || status == 404;
}

/* Newest run first: a subject's first definitive answer is the one kept. */
static struct prev *index_all(struct prev *p, struct err *e)
{
    struct rec_reader rr = {BUF_INIT, {0}};
    for (int k = 0; k < K_COUNT; k++) {
        struct kindidx *ki = &p->k[k];
        ki->run_start = xcalloc(p->nruns + 1, sizeof *ki->run_start);
        for (size_t r = 0; r < p->nruns; r++) {
            ki->run_start[r] = ki->n;
            rr_begin(&rr);
            if (read_kind(p, p->runs[r], (enum dump_kind)k, index_piece, &rr, ERR_USAGE, e) < 0) {
                buf_free(&rr.head);
                prev_free(p);
                return NULL;
            }
        }
        ki->run_start[p->nruns] = ki->n;
    }
    buf_free(&rr.head);
    return p;
}

struct prev *prev_open(const char *dir, const char *org, const char *registry, struct err *e)
{
    struct prev *p = xcalloc(1, sizeof *p);
    p->dir = xstrdup(dir);
    p->runs = xcalloc(1, sizeof *p->runs);
    p->runs[0] = xstrdup(dir);
    p->nruns = 1;
    if (read_manifest(p, org, registry, e) < 0) {
        prev_free(p);
        return NULL;
    }
    return index_all(p, e);
}

struct prev *prev_open_work(const char *dir, struct err *e)
{
    struct prev *p = xcalloc(1, sizeof *p);
    p->dir = xstrdup(dir);
    p->work = true;
    if (work_runs(dir, &p->runs, &p->nruns, e) < 0) {
        prev_free(p);
        return NULL;
    }
    return index_all(p, e);
}

bool prev_has(const struct prev *p, enum dump_kind k, const char *subject, const char **body)
{
    const struct entry *en = find(p, k, subject);
    if (body)
        *body = en ? en->cond : NULL;
    return en != NULL;
}

void prev_mark_all(struct prev *p)
{
    for (int k = 0; k < K_COUNT; k++)
        for (size_t i = 0; i < p->k[k].n; i++)
            p->k[k].v[i].marked = true;
}

void prev_free(struct prev *p)
{
    if (!p)
        return;
    for (int k = 0; k < K_COUNT; k++) {
        for (size_t i = 0; i < p->k[k].n; i++)
            free(p->k[k].v[i].cond);
        free(p->k[k].v);
        free(p->k[k].run_start);
        strset_free(&p->k[k].by_subject, NULL);
    }
    work_runs_free(p->runs, p->nruns);
    free(p->dir);
    free(p);
}

const char *prev_dir(const struct prev *p)
{
    return p->dir;
}

size_t prev_nruns(const struct prev *p)
{
    return p->nruns;
}

const char *prev_run(const struct prev *p, size_t r)
{
    return r < p->nruns ? p->runs[r] : NULL;
}

bool prev_is_work(const struct prev *p)
{
    return p->work;
}

uint64_t prev_indexed(const struct prev *p)
{
    return p->indexed;
}

static struct entry *find(const struct prev *p, enum dump_kind k, const char *subject)
{
    const struct kindidx *ki = &p->k[k];
    struct strset_entry *se = strset_get(&ki->by_subject, subject, strlen(subject));
    return se ? &ki->v[(uintptr_t)se->val - 1] : NULL;
}

const char *prev_condition(const struct prev *p, enum dump_kind k, const char *subject)
{
    const struct entry *en = find(p, k, subject);
    return en ? en->cond : NULL;
}

bool prev_mark(struct prev *p, enum dump_kind k, const char *subject, int64_t revalidated_ms)
{
    struct entry *en = find(p, k, subject);
    if (!en)
        return false;
    en->marked = true;
    en->revalidated_ms = revalidated_ms;
    return true;
}

/* ---- carrying ------------------------------------------------------------ */

struct carry_ctx {
    size_t next, end; /* the next index entry of this run, in line order; past its last */
    struct carrier c;
    bool in_record; /* the line being read is marked */
    uint64_t records;
    uint64_t *by_class; /* [6]: the carried records' status classes */
};

static void count_class(struct carry_ctx *cc, const struct entry *en)
{
    cc->records++;
    if (cc->by_class)
        cc->by_class[en->status >= 100 && en->status <= 599 ? en->status / 100 : 0]++;
}

static int carry_line_piece(struct prev *p, enum dump_kind k, uint64_t lineno, const char *piece,
                            size_t n, bool eol, void *vctx, struct err *e)
{
    struct carry_ctx *cc = vctx;
    struct kindidx *ki = &p->k[k];
    if (!cc->in_record) {
        while (cc->next < cc->end && ki->v[cc->next].line < lineno)
            cc->next++;
        if (cc->next >= cc->end || ki->v[cc->next].line != lineno || !ki->v[cc->next].marked)
            return 0;
        if (p->work) { /* a work area's record goes on as it was */
            cc->in_record = !eol;
            if (cc->c.out(cc->c.octx, piece, n, e) < 0 ||
                (eol && cc->c.out(cc->c.octx, "\n", 1, e) < 0))
                return -1;
            if (eol)
                count_class(cc, &ki->v[cc->next++]);
            return 0;
        }
        /* the first piece of a marked line (later ones find in_record set) */
        time_iso8601(ki->v[cc->next].revalidated_ms, cc->c.revalidated_at_buf);
        rr_begin(&cc->c.rr);
        cc->c.head_out = false;
        cc->in_record = true;
    }
    if (p->work) {
        if (cc->c.out(cc->c.octx, piece, n, e) < 0 ||
            (eol && cc->c.out(cc->c.octx, "\n", 1, e) < 0))
            return -1;
        if (eol) {
            cc->in_record = false;
            count_class(cc, &ki->v[cc->next++]);
        }
        return 0;
    }
    if (carry_piece(&cc->c, piece, n, eol, e) < 0)
        return err_wrap(e, "--since %s: %s line %llu changed during this run", p->dir,
                        dump_kind_files[k], (unsigned long long)lineno);
    if (eol) {
        cc->in_record = false;
        count_class(cc, &ki->v[cc->next++]);
        rr_begin(&cc->c.rr);
    }
    return 0;
}

int prev_carry(struct prev *p, enum dump_kind k, prev_out_fn out, void *ctx, uint64_t *records,
               uint64_t by_class[6], uint64_t *body_bytes, struct err *e)
{
    struct kindidx *ki = &p->k[k];
    int rc = 0;
    for (size_t r = 0; r < p->nruns && rc == 0; r++) {
        bool any = false;
        for (size_t i = ki->run_start[r]; i < ki->run_start[r + 1] && !any; i++)
            any = ki->v[i].marked;
        if (!any)
            continue;
        struct carry_ctx cc;
        memset(&cc, 0, sizeof cc);
        cc.next = ki->run_start[r];
        cc.end = ki->run_start[r + 1];
        cc.by_class = by_class;
        cc.c.out = out;
        cc.c.octx = ctx;
        cc.c.revalidated_at = cc.c.revalidated_at_buf;
        rr_begin(&cc.c.rr);
        rc = read_kind(p, p->runs[r], k, carry_line_piece, &cc, ERR_FAIL, e);
        buf_free(&cc.c.rr.head);
        *records += cc.records;
        *body_bytes += cc.c.body_bytes;
    }
    return rc;
}
