/*
 * job.c — see job.h.
 *
 * Create, finalize, abort and status reads outside the upload phase are
 * one request at a time (call_sync). In the upload phase the planner builds
 * the next batch whenever a slot is free, one batch per turn of the
 * engine's loop (its idle hook), so building overlaps the transfers and at
 * most --concurrency batches are in flight — the input is read only as fast
 * as JupiterOne takes it. Relationship batches wait until no entity batch is
 * outstanding (`held`: a couple are built ahead, the rest follow at once).
 *
 * Every batch lives in a struct call from the moment it is planned until it
 * is acknowledged, reported too large, or the run stops; the queues (ready,
 * doubts) and `held` own the calls not in flight, the engine the rest.
 */
#include "job.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cli.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "progress.h"
#include "timeutil.h"
#include "url.h"

#define MAX_ANSWER ((size_t)1 << 20)
#define MAX_SUBSET_DOUBTS 16
#define MAX_FLYING 64                  /* --concurrency's upper bound */
#define MAX_SUM_BITS ((size_t)1 << 24) /* past this, the distinct-sums rule is not enforced */
#define MAX_HELD 2 /* relationship batches built ahead while entity batches drain */
#define BUILD_SLICE ((size_t)256 << 10) /* JSON bytes placed between two turns of the engine */
/* No new batch is built while the batches built and not yet acknowledged
 * hold this many compressed bytes (unless none is in flight). They are
 * most of the uploader's memory; this is four batches of BATCH_GZ_TARGET,
 * several bandwidth-delay products of a 100 Mbit/s link at 30 ms. */
#define GZ_BUDGET ((size_t)768 << 10)

enum call_kind { CK_CREATE, CK_UPLOAD, CK_RECONCILE, CK_STATUS, CK_FINALIZE, CK_ABORT };

struct call {
    struct http_req req;
    enum call_kind kind;
    struct batch *b;
    struct buf body;
    char corr[80]; /* "JupiterOne-Correlation-Id: <uuid>" */
    const char *hdrs[3];
    int sends;
    bool done;    /* sync calls: finished */
    size_t *held; /* uploads: the job's gz_held, which counts b */
    struct call *next;
};

enum stop { ST_NONE, ST_ABORT, ST_AUTH, ST_ENDED };

struct job {
    const struct job_opts *o;
    struct planner *pl;
    struct job_result *r;
    struct http_client *http;
    struct progress prog;
    int ph[2], ph_batches;
    char acct_hdr[160];
    struct buf url_jobs, url_job, url_up[2], url_finalize, url_abort;
    /* upload phase */
    struct call *ready, *ready_tail;
    struct call *held; /* relationship batches waiting for the entity batches */
    unsigned nheld;
    bool uploading;
    struct call *doubts;
    unsigned ndoubts;
    unsigned inflight;
    struct call *flying[MAX_FLYING]; /* uploads submitted and not yet done */
    unsigned nflying;
    uint64_t ent_unacked;
    size_t gz_held; /* compressed bytes of the batches of all upload calls */
    /* how hard to compress (see pace()) */
    int level;
    int64_t blocked_since, wait_us, build_us; /* for the batch being built */
    unsigned hist, nhist; /* one bit a batch, newest lowest: it waited for the link */
    uint64_t acked[2];    /* objects the server should count for us */
    bool input_done, status_inflight, logged_split;
    enum stop stop;
    struct err stop_err;
    char reason[1024];
};

/* What an answer says: {"job": {...}} or {"error": {"code", "message"}}. */
struct answer {
    char status[64];
    char id[130];
    char code[80];
    char message[400];
    bool counters;
    long long uploaded[2];
};

/* ---- answers ------------------------------------------------------------------ */

static void copy_str(const struct jdoc *d, int t, char *dst, size_t dsz)
{
    struct buf s = BUF_INIT;
    dst[0] = '\0';
    if (t >= 0 && jdoc_str(d, t, &s) == 0 && s.p) {
        size_t n = s.len < dsz - 1 ? s.len : dsz - 1;
        for (size_t i = 0; i < n; i++)
            dst[i] = (unsigned char)s.p[i] < 0x20 ? ' ' : s.p[i];
        dst[n] = '\0';
    }
    buf_free(&s);
}

static void read_answer(struct http_req *r, struct answer *a)
{
    memset(a, 0, sizeof *a);
    struct buf body = BUF_INIT;
    struct jdoc d = JDOC_INIT;
    struct err e = {0};
    if (http_body_load(&r->body, &body, MAX_ANSWER, &e) < 0 ||
        jdoc_parse(&d, body.p ? body.p : "", body.len, &e) < 0 || !jdoc_is(&d, 0, JT_OBJECT))
        goto out;
    int job = jdoc_get(&d, 0, "job");
    if (job >= 0 && jdoc_is(&d, job, JT_OBJECT)) {
        copy_str(&d, jdoc_get(&d, job, "status"), a->status, sizeof a->status);
        copy_str(&d, jdoc_get(&d, job, "id"), a->id, sizeof a->id);
        int en = jdoc_get(&d, job, "numEntitiesUploaded");
        int rn = jdoc_get(&d, job, "numRelationshipsUploaded");
        a->counters = en >= 0 && rn >= 0 && jdoc_i64(&d, en, &a->uploaded[0]) == 0 &&
                      jdoc_i64(&d, rn, &a->uploaded[1]) == 0 && a->uploaded[0] >= 0 &&
                      a->uploaded[1] >= 0;
    }
    int err = jdoc_get(&d, 0, "error");
    if (err >= 0 && jdoc_is(&d, err, JT_OBJECT)) {
        copy_str(&d, jdoc_get(&d, err, "code"), a->code, sizeof a->code);
        copy_str(&d, jdoc_get(&d, err, "message"), a->message, sizeof a->message);
    }
out:
    jdoc_free(&d);
    buf_free(&body);
}

/* "HTTP 400 CODE: message" / "no answer: ..." */
static void describe(const struct http_req *r, const struct answer *a, char *out, size_t n)
{
    if (r->outcome != HTTP_ANSWER)
        snprintf(out, n, "no answer after %d attempt(s): %s", r->attempts, r->error);
    else if (a->code[0] || a->message[0])
        snprintf(out, n, "HTTP %ld%s%s: %s", r->status, a->code[0] ? " " : "", a->code,
                 a->message[0] ? a->message : "(no message)");
    else
        snprintf(out, n, "HTTP %ld", r->status);
}

static void note_job(struct job *j, const struct answer *a)
{
    if (a->status[0])
        snprintf(j->r->status, sizeof j->r->status, "%s", a->status);
    if (a->counters) {
        j->r->have_counters = true;
        for (int k = 0; k < 2; k++)
            if ((uint64_t)a->uploaded[k] > j->r->uploaded[k])
                j->r->uploaded[k] = (uint64_t)a->uploaded[k];
    }
}

/* ---- calls ---------------------------------------------------------------------- */

static struct call *call_new(enum call_kind k)
{
    struct call *c = calloc(1, sizeof *c);
    if (c) {
        c->kind = k;
        c->req.ud = c;
    }
    return c;
}

static void call_free(struct call *c)
{
    if (!c)
        return;
    http_req_release(&c->req);
    if (c->held && c->b)
        *c->held -= c->b->gz.len;
    batch_free(c->b);
    buf_free(&c->body);
    free(c);
}

static void free_list(struct call *c)
{
    while (c) {
        struct call *n = c->next;
        call_free(c);
        c = n;
    }
}

static void uuid4(char out[37])
{
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint64_t t = (uint64_t)time_mono_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)time_wall_ms();
        static uint64_t ctr;
        t ^= ++ctr * 0xbf58476d1ce4e5b9ULL;
        for (int i = 0; i < 16; i++)
            r[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)(ctr * (uint64_t)i);
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
             r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
             r[14], r[15]);
}

static void on_done(struct http_req *r, void *ctx);

static void submit(struct job *j, struct call *c, const char *method, const char *url)
{
    c->req.method = method;
    c->req.url = url;
    c->req.req_body = c->body.p;
    c->req.req_body_len = c->body.len;
    c->done = false;
    http_submit(j->http, &c->req);
}

/* One request, run to its end. stop: &cli_interrupted, or NULL when the
 * request must go out even now (an abort after Ctrl-C). */
static int call_sync(struct job *j, struct http_client *http, struct call *c, const char *method,
                     const char *url, volatile sig_atomic_t *stop, struct err *e)
{
    struct http_client *saved = j->http;
    j->http = http;
    submit(j, c, method, url);
    int rc = http_run(http, stop, NULL, e);
    j->http = saved;
    if (rc < 0)
        j->r->interrupted = true;
    return rc;
}

/* ---- upload phase --------------------------------------------------------------- */

static void stop_run(struct job *j, enum stop why, enum err_class cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void stop_run(struct job *j, enum stop why, enum err_class cls, const char *fmt, ...)
{
    if (j->stop == ST_NONE) {
        va_list ap;
        va_start(ap, fmt);
        err_vset(&j->stop_err, cls, fmt, ap);
        va_end(ap);
        j->stop = why;
    }
    http_cancel_all(j->http);
}

static void push_ready(struct job *j, struct call *c, bool front)
{
    c->next = NULL;
    if (front) {
        c->next = j->ready;
        j->ready = c;
        if (!j->ready_tail)
            j->ready_tail = c;
    } else {
        if (j->ready_tail)
            j->ready_tail->next = c;
        else
            j->ready = c;
        j->ready_tail = c;
    }
}

static struct call *upload_call(struct job *j, struct batch *b)
{
    struct call *c = call_new(CK_UPLOAD);
    if (!c)
        return NULL;
    c->b = b;
    c->held = &j->gz_held;
    j->gz_held += b->gz.len;
    char id[37];
    uuid4(id);
    snprintf(c->corr, sizeof c->corr, "JupiterOne-Correlation-Id: %s", id);
    c->hdrs[0] = "Content-Encoding: gzip";
    c->hdrs[1] = c->corr;
    c->hdrs[2] = NULL;
    c->req.headers = c->hdrs;
    c->req.once = true;
    return c;
}

static void send_upload(struct job *j, struct call *c)
{
    c->sends++;
    j->inflight++;
    if (j->nflying < MAX_FLYING)
        j->flying[j->nflying++] = c;
    c->req.method = "POST";
    c->req.url = j->url_up[c->b->kind].p;
    c->req.req_body = c->b->gz.p;
    c->req.req_body_len = c->b->gz.len;
    http_submit(j->http, &c->req);
    log_debug("sending %s batch #%lu: %zu objects, %zu bytes of JSON, %zu gzip (%s)",
              batch_member(c->b->kind), c->b->seq, c->b->nobj, c->b->json_len, c->b->gz.len,
              c->corr + 27);
}

static void update_totals(struct job *j)
{
    const struct plan_stats *ps = planner_stats(j->pl);
    for (int k = 0; k < 2; k++)
        progress_total(&j->prog, j->ph[k], ps->objects[k]);
    progress_total(&j->prog, j->ph_batches, j->r->batches_sent + j->r->splits);
}

/* The rule that makes lost answers resolvable: the batches of one kind
 * whose fate may be unknown at the same time (in flight, or in doubt) must
 * have distinct subset sums of their object counts, so that the job's
 * counter names exactly which of them arrived. May c join them? */
static bool sums_stay_distinct(const struct job *j, const struct call *c)
{
    size_t counts[MAX_FLYING + MAX_SUBSET_DOUBTS * 4], m = 0, total = 0;
    enum gobj_kind k = c->b->kind;
    for (unsigned i = 0; i < j->nflying; i++)
        if (j->flying[i]->b->kind == k && m < sizeof counts / sizeof counts[0])
            total += counts[m++] = j->flying[i]->b->nobj;
    for (const struct call *d = j->doubts; d; d = d->next)
        if (d->b->kind == k && m < sizeof counts / sizeof counts[0])
            total += counts[m++] = d->b->nobj;
    if (m == 0)
        return true;
    if (total + c->b->nobj >= MAX_SUM_BITS)
        return true; /* huge batches: sums hardly ever meet, and the fallback is safe */
    uint64_t *reach = calloc((total + c->b->nobj) / 64 + 1, sizeof *reach);
    if (!reach)
        return true;
    /* reach: the sums of the subsets of counts (0/1 knapsack, descending). */
    reach[0] = 1;
    size_t hi = 0;
    for (size_t i = 0; i < m; i++) {
        for (size_t s = hi + 1; s-- > 0;)
            if (reach[s / 64] >> (s % 64) & 1)
                reach[(s + counts[i]) / 64] |= (uint64_t)1 << ((s + counts[i]) % 64);
        hi += counts[i];
    }
    /* c may join iff no subset sum plus its count is a subset sum too. */
    size_t n = c->b->nobj;
    bool ok = true;
    for (size_t s = 0; s + n <= hi && ok; s++)
        if ((reach[s / 64] >> (s % 64) & 1) && (reach[(s + n) / 64] >> ((s + n) % 64) & 1))
            ok = false;
    free(reach);
    return ok;
}

/* ---- how hard to compress ---------------------------------------------------------
 *
 * Compressing pays only while the link is slower than the compressor.
 * Behind a real link (100 Mbit/s) level 1 makes 12 MB of 94 MB of JSON,
 * and the uploader mostly waits for room among the batches in flight: more
 * CPU on compression costs no time and saves bytes. On loopback or a fast
 * LAN the link waits for the uploader, and zlib is 40% of its CPU (and
 * inflating is most of the server's). So the level follows who waits for
 * whom: a batch "waited" when the time the planner was held back (all
 * slots busy, or GZ_BUDGET reached) while it was due is over a quarter of
 * the time spent building it. Three of the last four batches waited: one
 * level up (to BATCH_GZIP_MAX); none of the last eight: one level down (to
 * 0, stored: still gzip, at memcpy speed). It starts at BATCH_GZIP_LEVEL. */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The planner is due to build but held back. */
static void pace_blocked(struct job *j)
{
    if (!j->blocked_since && !j->input_done)
        j->blocked_since = now_us();
}

/* A batch was finished: score it and maybe change the level. */
static void pace(struct job *j)
{
    bool waited = j->wait_us * 4 > j->build_us;
    j->wait_us = j->build_us = 0;
    j->hist = j->hist << 1 | (waited ? 1u : 0u);
    j->nhist++;
    int level = j->level;
    if (j->nhist >= 4 && __builtin_popcount(j->hist & 0xf) >= 3 && level < BATCH_GZIP_MAX)
        level++;
    else if (j->nhist >= 8 && (j->hist & 0xff) == 0 && level > BATCH_GZIP_MIN)
        level--;
    if (level != j->level) {
        log_debug("compression level %d -> %d: %s", j->level, level,
                  level > j->level ? "batches wait for the link" : "the link waits for batches");
        j->level = level;
        j->hist = j->nhist = 0;
        planner_set_level(j->pl, level);
    }
}

/* Sends or builds at most one batch; true if it did either. Batches start
 * in order: the ready queue (splits, resends) first, then relationship
 * batches held until every entity batch is in, then new ones. While entity
 * batches drain, MAX_HELD relationship batches are built ahead, so the
 * relationships start at once. */
static bool feed_one(struct job *j)
{
    if (!j->uploading || j->stop != ST_NONE || cli_interrupted || j->ndoubts)
        return false;
    if (j->inflight >= (unsigned)j->o->concurrency) {
        pace_blocked(j);
        return false;
    }
    struct call **src = NULL;
    if (j->ready)
        src = &j->ready;
    else if (j->held && !j->ent_unacked)
        src = &j->held;
    if (src) {
        struct call *c = *src;
        if (!sums_stay_distinct(j, c))
            return false; /* waits for a batch in flight to finish */
        *src = c->next;
        c->next = NULL;
        if (src == &j->ready && !j->ready)
            j->ready_tail = NULL;
        if (src == &j->held)
            j->nheld--;
        send_upload(j, c);
        return true;
    }
    if (j->input_done)
        return false;
    if (j->nheld >= MAX_HELD || (j->gz_held >= GZ_BUDGET && j->inflight)) {
        pace_blocked(j);
        return false;
    }
    struct batch *b = NULL;
    struct err e = {0};
    int64_t t0 = now_us();
    if (j->blocked_since) {
        j->wait_us += t0 - j->blocked_since;
        j->blocked_since = 0;
    }
    int rc = planner_step(j->pl, &b, BUILD_SLICE, &e);
    j->build_us += now_us() - t0;
    update_totals(j);
    if (rc == 2)
        return true; /* part of a batch built; the engine runs transfers, then we go on */
    if (rc < 0) {
        stop_run(j, ST_ABORT, ERR_FAIL, "%s", e.msg);
        return false;
    }
    if (rc == 0) {
        j->input_done = true;
        return false;
    }
    pace(j);
    struct call *c = upload_call(j, b);
    if (!c) {
        batch_free(b);
        stop_run(j, ST_ABORT, ERR_FAIL, "out of memory");
        return false;
    }
    j->r->batches_sent++;
    if (b->kind == GOBJ_ENTITY)
        j->ent_unacked++;
    if (b->kind == GOBJ_RELATIONSHIP && j->ent_unacked) {
        struct call **pp = &j->held;
        while (*pp)
            pp = &(*pp)->next;
        *pp = c;
        j->nheld++;
        return true;
    }
    if (!sums_stay_distinct(j, c)) {
        push_ready(j, c, true);
        return true;
    }
    send_upload(j, c);
    return true;
}

/* Keeps the engine busy: when nothing is in flight, something must start
 * (or http_run ends); the rest is fed from the idle hook between transfers. */
static void keep_going(struct job *j)
{
    while (j->inflight == 0 && !j->status_inflight && feed_one(j))
        ;
}

static bool on_idle(void *ctx)
{
    return feed_one(ctx);
}

static void acked(struct job *j, struct call *c)
{
    struct batch *b = c->b;
    j->acked[b->kind] += b->nobj;
    j->r->sent[b->kind] += b->nobj;
    if (b->kind == GOBJ_ENTITY)
        j->ent_unacked--;
    progress_done(&j->prog, j->ph[b->kind], b->nobj);
    progress_done(&j->prog, j->ph_batches, 1);
    if (!j->ent_unacked && (j->held || j->input_done))
        progress_finish(&j->prog, j->ph[GOBJ_ENTITY]); /* relationships are next */
}

static void enqueue_batch(struct job *j, struct batch *b, bool front)
{
    struct call *c = upload_call(j, b);
    if (!c) {
        batch_free(b);
        stop_run(j, ST_ABORT, ERR_FAIL, "out of memory");
        return;
    }
    if (b->kind == GOBJ_ENTITY)
        j->ent_unacked++;
    push_ready(j, c, front);
}

/* 413: split, strip the lone object's _rawData, or give it up. Frees c. */
static void too_large(struct job *j, struct call *c)
{
    struct batch *b = c->b;
    struct err e = {0};
    if (b->kind == GOBJ_ENTITY)
        j->ent_unacked--;
    if (b->nobj >= 2) {
        struct batch *x, *y;
        if (batch_split(b, &x, &y, &e) < 0) {
            stop_run(j, ST_ABORT, ERR_FAIL, "cannot split a batch: %s", e.msg);
        } else {
            if (!j->logged_split)
                log_info("JupiterOne refused %s batch #%lu (%zu objects, %zu bytes of JSON, %zu "
                         "gzip) as too large (413); splitting it (further splits are counted in "
                         "the summary)",
                         batch_member(b->kind), b->seq, b->nobj, b->json_len, b->gz.len);
            j->logged_split = true;
            x->seq = y->seq = b->seq;
            j->r->splits++;
            enqueue_batch(j, y, true);
            enqueue_batch(j, x, true);
        }
        call_free(c);
        return;
    }
    struct buf key = BUF_INIT, type = BUF_INIT, why = BUF_INIT;
    struct batch *s = NULL;
    if (batch_strip_lone(b, &s, &key, &type, &e) < 0) {
        stop_run(j, ST_ABORT, ERR_FAIL, "cannot rebuild a batch: %s", e.msg);
    } else if (s) {
        s->seq = b->seq;
        j->r->stripped_413++;
        log_warn("%s \"%s\" is too large for JupiterOne (413, %zu bytes of JSON); sending it "
                 "without its _rawData",
                 b->kind == GOBJ_ENTITY ? "entity" : "relationship", key.p ? key.p : "?",
                 b->json_len);
        enqueue_batch(j, s, true);
    } else {
        buf_printf(&why,
                   "%s \"%s\" (_type %s): too large for JupiterOne (413 for it alone, %zu bytes of "
                   "JSON%s)",
                   b->kind == GOBJ_ENTITY ? "entity" : "relationship", key.p ? key.p : "?",
                   type.p ? type.p : "?", b->json_len, b->stripped ? " without its _rawData" : "");
        if (planner_drop(j->pl, why.p ? why.p : "an object too large", type.p) < 0)
            stop_run(j, ST_ABORT, ERR_FAIL, "out of memory");
    }
    buf_free(&key);
    buf_free(&type);
    buf_free(&why);
    call_free(c);
}

static void check_doubts(struct job *j)
{
    if (!j->ndoubts || j->inflight || j->status_inflight || j->stop != ST_NONE)
        return;
    struct call *c = call_new(CK_RECONCILE);
    if (!c) {
        stop_run(j, ST_ABORT, ERR_FAIL, "out of memory");
        return;
    }
    j->status_inflight = true;
    submit(j, c, "GET", j->url_job.p);
}

static void resend(struct job *j, struct call *c)
{
    if (c->sends > j->o->retries) {
        stop_run(j, ST_ABORT, ERR_FAIL,
                 "%s batch #%lu: no answer from JupiterOne after sending it %d times",
                 batch_member(c->b->kind), c->b->seq, c->sends);
        call_free(c);
        return;
    }
    j->r->resent++;
    push_ready(j, c, true);
}

/* Which doubtful batches of one kind arrived, given how many objects the
 * server counts beyond those acknowledged. */
static void resolve_kind(struct job *j, int kind, long long excess)
{
    struct call *v[MAX_SUBSET_DOUBTS];
    size_t n = 0;
    bool many = false;
    for (struct call *c = j->doubts; c; c = c->next)
        if ((int)c->b->kind == kind) {
            if (n < MAX_SUBSET_DOUBTS)
                v[n++] = c;
            else
                many = true;
        }
    if (n == 0)
        return;
    long long found = -1;
    int matches = 0;
    if (!many && excess >= 0) {
        for (unsigned long long m = 0; m < (1ull << n) && matches < 2; m++) {
            long long sum = 0;
            for (size_t i = 0; i < n; i++)
                if (m & (1ull << i))
                    sum += (long long)v[i]->b->nobj;
            if (sum == excess) {
                matches++;
                found = (long long)m;
            }
        }
    }
    /* Detach this kind's doubts, then settle each. */
    struct call **pp = &j->doubts, *mine = NULL, **tail = &mine;
    while (*pp) {
        struct call *c = *pp;
        if ((int)c->b->kind == kind) {
            *pp = c->next;
            c->next = NULL;
            *tail = c;
            tail = &c->next;
            j->ndoubts--;
        } else {
            pp = &c->next;
        }
    }
    if (matches != 1) {
        log_warn("cannot tell which of %zu %s batch(es) without an answer arrived (JupiterOne "
                 "counts %lld more objects than were acknowledged); sending them again, so up "
                 "to %lld objects may arrive twice",
                 n + (many ? 1 : 0), batch_member((enum gobj_kind)kind), excess,
                 excess > 0 ? excess : 0);
        if (excess > 0) {
            j->acked[kind] += (uint64_t)excess; /* arrived, just not attributable */
            j->r->maybe_twice += (uint64_t)excess;
        }
    }
    while (mine) {
        struct call *c = mine;
        mine = c->next;
        c->next = NULL;
        bool arrived = false;
        if (matches == 1)
            for (size_t i = 0; i < n; i++)
                if (v[i] == c && ((unsigned long long)found & (1ull << i)))
                    arrived = true;
        if (arrived) {
            log_info("%s batch #%lu had arrived (its answer was lost)", batch_member(c->b->kind),
                     c->b->seq);
            acked(j, c);
            call_free(c);
        } else {
            log_info("%s batch #%lu did not arrive; sending it again", batch_member(c->b->kind),
                     c->b->seq);
            resend(j, c);
        }
    }
}

static void on_status(struct job *j, struct call *c)
{
    struct http_req *r = &c->req;
    j->status_inflight = false;
    if (r->outcome == HTTP_CANCELLED) {
        call_free(c);
        return;
    }
    struct answer a;
    read_answer(r, &a);
    char d[600];
    describe(r, &a, d, sizeof d);
    if (r->outcome == HTTP_ANSWER && (r->status == 401 || r->status == 403)) {
        stop_run(j, ST_AUTH, ERR_AUTH, "JupiterOne refused the API key reading the job (%s)", d);
    } else if (r->outcome != HTTP_ANSWER || r->status < 200 || r->status > 299 || !a.counters) {
        stop_run(j, ST_ABORT, ERR_FAIL,
                 "cannot learn from JupiterOne whether %u batch(es) without an answer arrived: "
                 "reading the job gave %s",
                 j->ndoubts, a.counters || r->outcome != HTTP_ANSWER ? d : "no upload counters");
    } else {
        note_job(j, &a);
        for (int k = 0; k < 2; k++)
            resolve_kind(j, k, a.uploaded[k] - (long long)j->acked[k]);
    }
    call_free(c);
}

static void on_upload(struct job *j, struct call *c)
{
    struct http_req *r = &c->req;
    struct batch *b = c->b;
    j->inflight--;
    for (unsigned i = 0; i < j->nflying; i++)
        if (j->flying[i] == c) {
            j->flying[i] = j->flying[--j->nflying];
            break;
        }
    if (r->outcome == HTTP_CANCELLED) {
        call_free(c);
        return;
    }
    for (int i = 1; i < r->attempts; i++)
        progress_retry(&j->prog, j->ph_batches);
    struct answer a;
    char d[600];
    if (r->outcome == HTTP_ANSWER && r->status >= 200 && r->status <= 299) {
        read_answer(r, &a);
        note_job(j, &a);
        log_debug("%s batch #%lu: HTTP %ld after %d attempt(s), %lld ms", batch_member(b->kind),
                  b->seq, r->status, r->attempts, (long long)r->elapsed_ms);
        acked(j, c);
        call_free(c);
        return;
    }
    read_answer(r, &a);
    describe(r, &a, d, sizeof d);
    if (r->outcome == HTTP_ANSWER && r->status == 413) {
        too_large(j, c);
        return;
    }
    if (r->outcome == HTTP_FAILED && r->unsure) {
        log_info("%s batch #%lu: %s; asking JupiterOne whether it arrived before sending it "
                 "again",
                 batch_member(b->kind), b->seq, r->error);
        j->r->doubts++;
        http_req_release(r);
        c->next = j->doubts;
        j->doubts = c;
        j->ndoubts++;
        return;
    }
    if (r->outcome == HTTP_ANSWER && (r->status == 401 || r->status == 403))
        stop_run(j, ST_AUTH, ERR_AUTH, "JupiterOne refused the upload of %s batch #%lu (%s)",
                 batch_member(b->kind), b->seq, d);
    else if (r->outcome == HTTP_ANSWER && strcmp(a.code, "JOB_NOT_AWAITING_UPLOADS") == 0)
        stop_run(j, ST_ENDED, ERR_FAIL,
                 "JupiterOne says job %s is no longer awaiting uploads (%s): something else ended "
                 "it; nothing more was sent, and this run neither finalizes nor aborts it",
                 j->r->id, d);
    else
        stop_run(j, ST_ABORT, ERR_FAIL, "uploading %s batch #%lu (%zu objects) failed: %s",
                 batch_member(b->kind), b->seq, b->nobj, d);
    call_free(c);
}

static void on_done(struct http_req *r, void *ctx)
{
    struct job *j = ctx;
    struct call *c = r->ud;
    switch (c->kind) {
    case CK_UPLOAD: on_upload(j, c); break;
    case CK_RECONCILE: on_status(j, c); break;
    default:
        c->done = true; /* a sync call: the caller reads it */
        return;
    }
    check_doubts(j);
    keep_going(j);
}

static void tick(void *ctx)
{
    struct job *j = ctx;
    progress_draw(&j->prog, false);
}

/* ---- create, finalize, abort ---------------------------------------------------- */

static int create_job(struct job *j, struct err *e)
{
    struct call *c = call_new(CK_CREATE);
    if (!c)
        return err_set(e, ERR_FAIL, "out of memory");
    struct jw w;
    jw_init(&w, &c->body);
    jw_obj(&w);
    jw_kstr(&w, "source", j->o->source);
    if (j->o->scope)
        jw_kstr(&w, "scope", j->o->scope);
    if (j->o->instance_id)
        jw_kstr(&w, "integrationInstanceId", j->o->instance_id);
    jw_obj_end(&w);
    int rc = -1;
    if (w.err) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    if (call_sync(j, j->http, c, "POST", j->url_jobs.p, &cli_interrupted, e) < 0)
        goto out;
    struct answer a;
    read_answer(&c->req, &a);
    char d[600];
    describe(&c->req, &a, d, sizeof d);
    struct http_req *r = &c->req;
    if (r->outcome == HTTP_ANSWER && (r->status == 401 || r->status == 403)) {
        if (r->status == 401)
            err_set(e, ERR_AUTH,
                    "JupiterOne refused the API key when creating the job (%s): it is wrong, "
                    "expired or revoked. Check %s",
                    d, j->o->key->origin);
        else
            err_set(e, ERR_AUTH,
                    "JupiterOne refused access to account %s when creating the job (%s): %s "
                    "does not belong to that account, or may not run synchronization jobs",
                    j->o->account, d, j->o->key->origin);
        goto out;
    }
    if (r->outcome != HTTP_ANSWER) {
        err_set(e, ERR_FAIL, "cannot reach JupiterOne at %s: %s", j->o->base_url, r->error);
        goto out;
    }
    if (r->status < 200 || r->status > 299) {
        err_set(e, ERR_FAIL, "JupiterOne refused to create the synchronization job: %s", d);
        goto out;
    }
    size_t idl = strlen(a.id);
    if (idl == 0 || idl > 128) {
        err_set(e, ERR_FAIL, "JupiterOne created a job but its answer names no usable job id");
        goto out;
    }
    snprintf(j->r->id, sizeof j->r->id, "%s", a.id);
    j->r->created = true;
    note_job(j, &a);
    struct buf enc = BUF_INIT;
    if (url_encode(&enc, a.id) < 0 ||
        buf_printf(&j->url_job, "%s/%s", j->url_jobs.p, enc.p ? enc.p : "") < 0 ||
        buf_printf(&j->url_up[0], "%s/entities", j->url_job.p) < 0 ||
        buf_printf(&j->url_up[1], "%s/relationships", j->url_job.p) < 0 ||
        buf_printf(&j->url_finalize, "%s/finalize", j->url_job.p) < 0 ||
        buf_printf(&j->url_abort, "%s/abort", j->url_job.p) < 0) {
        buf_free(&enc);
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    buf_free(&enc);
    log_info("created synchronization job %s (source %s%s%s)", a.id, j->o->source,
             j->o->instance_id ? ", integration instance " : ", scope ",
             j->o->instance_id ? j->o->instance_id : j->o->scope);
    rc = 0;
out:
    call_free(c);
    return rc;
}

/* GET the job: 0 with a filled, or -1. */
static int read_job(struct job *j, struct http_client *http, volatile sig_atomic_t *stop,
                    struct answer *a, struct err *e)
{
    struct call *c = call_new(CK_STATUS);
    if (!c)
        return err_set(e, ERR_FAIL, "out of memory");
    int rc = call_sync(j, http, c, "GET", j->url_job.p, stop, e);
    if (rc == 0) {
        read_answer(&c->req, a);
        if (c->req.outcome != HTTP_ANSWER || c->req.status < 200 || c->req.status > 299) {
            char d[600];
            describe(&c->req, a, d, sizeof d);
            rc = err_set(e, c->req.status == 401 || c->req.status == 403 ? ERR_AUTH : ERR_FAIL,
                         "reading job %s: %s", j->r->id, d);
        } else {
            note_job(j, a);
        }
    }
    call_free(c);
    return rc;
}

/* A `once` control call (finalize, abort) whose answer may have been lost:
 * 1 if the job left AWAITING_UPLOADS (it took effect), 0 if not, -1 error. */
static int took_effect(struct job *j, struct http_client *http, volatile sig_atomic_t *stop,
                       struct err *e)
{
    struct answer a;
    if (read_job(j, http, stop, &a, e) < 0)
        return -1;
    return strcmp(a.status, "AWAITING_UPLOADS") != 0;
}

/* How an abort goes out: with the run's client and its retries; once,
 * on a fresh client (the key was refused: retrying will not help); or at
 * once after a signal — a fresh client (past any Retry-After gate the run's
 * client holds), one try, a 3 s timeout, so the program ends within a few
 * seconds and the job is still ended. */
enum abort_how { ABORT_RETRY, ABORT_ONCE, ABORT_NOW };

static void abort_job(struct job *j, const char *reason, enum abort_how how)
{
    struct err e = {0};
    struct http_client *http = j->http;
    struct http_client *once = NULL;
    bool one_try = how != ABORT_RETRY;
    if (one_try) {
        struct http_opts ho;
        memset(&ho, 0, sizeof ho);
        const char *hdrs[] = {"Content-Type: application/json", j->acct_hdr, NULL};
        ho.concurrency = 1;
        ho.timeout_s = how == ABORT_NOW ? 3 : 20;
        ho.retries = 0;
        ho.bearer = j->o->key;
        ho.headers = hdrs;
        ho.user_agent = "j1-npm-upload/" J1NPM_VERSION;
        once = http_client_new(&ho, on_done, j, &e);
        if (!once) {
            log_error("could not abort job %s: %s", j->r->id, e.msg);
            return;
        }
        http = once;
    }
    struct buf red = BUF_INIT;
    log_redact(reason, strlen(reason), &red); /* a key never leaves in a reason either */
    for (int attempt = 0; attempt <= (one_try ? 0 : j->o->retries); attempt++) {
        struct call *c = call_new(CK_ABORT);
        if (!c)
            break;
        struct jw w;
        jw_init(&w, &c->body);
        jw_obj(&w);
        jw_key(&w, "reason");
        jw_strn(&w, red.p ? red.p : "", red.len > 4000 ? 4000 : red.len);
        jw_obj_end(&w);
        c->req.once = true;
        int rc = w.err ? -1 : call_sync(j, http, c, "POST", j->url_abort.p, NULL, &e);
        struct answer a;
        char d[600] = "";
        if (rc == 0) {
            read_answer(&c->req, &a);
            describe(&c->req, &a, d, sizeof d);
        }
        struct http_req *r = &c->req;
        bool ok = rc == 0 && r->outcome == HTTP_ANSWER && r->status >= 200 && r->status <= 299;
        bool ended =
            rc == 0 && r->outcome == HTTP_ANSWER && strcmp(a.code, "JOB_NOT_AWAITING_UPLOADS") == 0;
        bool unsure = rc == 0 && r->outcome == HTTP_FAILED && r->unsure;
        call_free(c);
        if (ok) {
            note_job(j, &a);
            j->r->aborted = true;
            log_info("aborted job %s: %s", j->r->id, red.p ? red.p : "");
            break;
        }
        if (ended) {
            log_warn("job %s had already ended; it was not aborted (%s)", j->r->id, d);
            break;
        }
        if (unsure && !one_try) {
            int t = took_effect(j, http, NULL, &e);
            if (t == 1) {
                j->r->aborted = strncmp(j->r->status, "ABORTED", 7) == 0;
                log_info("job %s is now %s", j->r->id, j->r->status);
                break;
            }
            if (t == 0)
                continue;
        }
        log_error("could not abort job %s (%s); JupiterOne will end it when it times out", j->r->id,
                  rc == 0 ? d : e.msg);
        break;
    }
    buf_free(&red);
    http_client_free(once);
}

/* *ended: the job left AWAITING_UPLOADS without us (nothing to abort). */
static int finalize_job(struct job *j, bool *ended, struct err *e)
{
    *ended = false;
    for (int attempt = 0; attempt <= j->o->retries; attempt++) {
        struct call *c = call_new(CK_FINALIZE);
        if (!c)
            return err_set(e, ERR_FAIL, "out of memory");
        struct jw w;
        jw_init(&w, &c->body);
        jw_obj(&w);
        jw_key(&w, "partialDatasets");
        jw_obj(&w);
        jw_key(&w, "types");
        jw_arr(&w);
        for (size_t i = 0; i < planner_partial_count(j->pl); i++)
            jw_str(&w, planner_partial_type(j->pl, i));
        jw_arr_end(&w);
        jw_obj_end(&w);
        jw_obj_end(&w);
        c->req.once = true;
        if (w.err) {
            call_free(c);
            return err_set(e, ERR_FAIL, "out of memory");
        }
        if (call_sync(j, j->http, c, "POST", j->url_finalize.p, &cli_interrupted, e) < 0) {
            call_free(c);
            return -1;
        }
        struct http_req *r = &c->req;
        struct answer a;
        char d[600];
        read_answer(r, &a);
        describe(r, &a, d, sizeof d);
        enum http_outcome oc = r->outcome;
        long st = r->status;
        bool unsure = r->unsure;
        call_free(c);
        if (oc == HTTP_ANSWER && st >= 200 && st <= 299) {
            note_job(j, &a);
            j->r->finalized = true;
            return 0;
        }
        if (oc == HTTP_ANSWER && (st == 401 || st == 403))
            return err_set(e, ERR_AUTH, "JupiterOne refused to finalize job %s (%s)", j->r->id, d);
        if (oc == HTTP_FAILED && unsure) {
            int t = took_effect(j, j->http, &cli_interrupted, e);
            if (t < 0)
                return -1;
            if (t == 1) {
                j->r->finalized = true;
                return 0;
            }
            log_info("finalizing job %s: %s; it is still awaiting uploads, trying again", j->r->id,
                     d);
            continue;
        }
        if (oc == HTTP_ANSWER && strcmp(a.code, "JOB_NOT_AWAITING_UPLOADS") == 0) {
            *ended = true;
            return err_set(e, ERR_FAIL, "job %s ended before it could be finalized (%s)", j->r->id,
                           d);
        }
        return err_set(e, ERR_FAIL, "finalizing job %s failed: %s", j->r->id, d);
    }
    return err_set(e, ERR_FAIL, "finalizing job %s: no answer after %d tries", j->r->id,
                   j->o->retries + 1);
}

/* ---- run ------------------------------------------------------------------------ */

static int upload_all(struct job *j, struct err *e)
{
    progress_init(&j->prog, j->o->progress);
    j->ph[GOBJ_ENTITY] = progress_add(&j->prog, "entities");
    j->ph[GOBJ_RELATIONSHIP] = progress_add(&j->prog, "relationships");
    j->ph_batches = progress_add(&j->prog, "batches");
    for (int k = 0; k < 2; k++)
        if (j->ph[k] >= 0)
            j->prog.ph[j->ph[k]].unit = "obj/s";
    if (j->ph_batches >= 0)
        j->prog.ph[j->ph_batches].unit = "batch/s";
    j->uploading = true;
    keep_going(j);
    int rc = http_run(j->http, &cli_interrupted, tick, e);
    j->uploading = false;
    if (rc == 0 && j->stop == ST_NONE &&
        !(j->input_done && !j->ready && !j->held && !j->ndoubts && !j->inflight))
        stop_run(j, ST_ABORT, ERR_FAIL, "internal error: the upload stopped with work left");
    for (int k = 0; k < 2; k++)
        if (j->stop == ST_NONE && rc == 0)
            progress_finish(&j->prog, j->ph[k]);
    if (j->stop == ST_NONE && rc == 0)
        progress_finish(&j->prog, j->ph_batches);
    progress_end(&j->prog);
    if (rc < 0) {
        j->r->interrupted = true;
        return -1;
    }
    return j->stop == ST_NONE ? 0 : -1;
}

int job_run(const struct job_opts *o, struct planner *pl, struct job_result *r, struct err *e)
{
    struct job j;
    memset(&j, 0, sizeof j);
    memset(r, 0, sizeof *r);
    j.o = o;
    j.pl = pl;
    j.r = r;
    j.level = BATCH_GZIP_LEVEL;
    int64_t t0 = time_mono_ms();
    snprintf(j.acct_hdr, sizeof j.acct_hdr, "JupiterOne-Account: %s", o->account);
    const char *hdrs[] = {"Content-Type: application/json", j.acct_hdr, NULL};
    struct http_opts ho = {
        .concurrency = o->concurrency,
        .timeout_s = o->timeout_s,
        .retries = o->retries,
        .max_retry_wait_s = o->max_retry_wait_s,
        .user_agent = "j1-npm-upload/" J1NPM_VERSION,
        .bearer = o->key,
        .headers = hdrs,
        .idle = on_idle,
    };
    int rc = -1;
    if (buf_printf(&j.url_jobs, "%spersister/synchronization/jobs", o->base_url) < 0) {
        err_set(e, ERR_FAIL, "out of memory");
        goto out;
    }
    j.http = http_client_new(&ho, on_done, &j, e);
    if (!j.http || create_job(&j, e) < 0)
        goto out;

    if (upload_all(&j, e) < 0) {
        if (r->interrupted) {
            err_set(e, ERR_FAIL, "interrupted");
            abort_job(&j, "j1-npm-upload was interrupted before every batch was uploaded",
                      ABORT_NOW);
        } else {
            *e = j.stop_err;
            if (j.stop == ST_AUTH)
                abort_job(&j, j.stop_err.msg, ABORT_ONCE);
            else if (j.stop == ST_ABORT)
                abort_job(&j, j.stop_err.msg, ABORT_RETRY);
        }
        goto out;
    }
    if (o->skip_finalize) {
        log_info("Skipping synchronization finalization. Job will remain in \"AWAITING_UPLOADS\" "
                 "state.");
        struct answer a;
        if (read_job(&j, j.http, &cli_interrupted, &a, e) < 0) {
            if (r->interrupted)
                err_set(e, ERR_FAIL, "interrupted");
            goto out;
        }
        rc = 0;
        goto out;
    }
    if (!o->allow_empty && r->sent[0] + r->sent[1] == 0 && planner_partial_count(pl) == 0) {
        /* A stream that held nothing: finalizing would delete everything. */
        err_set(e, ERR_FAIL,
                "the input held no object and declares no type partial: finalizing would make "
                "JupiterOne delete everything this integration instance holds; the job was "
                "aborted instead (pass --allow-empty if that is what you want)");
        abort_job(&j, "j1-npm-upload: empty input, not finalized", ABORT_RETRY);
        goto out;
    }
    bool ended;
    if (finalize_job(&j, &ended, e) < 0) {
        struct err saved = *e;
        if (r->interrupted) {
            err_set(&saved, ERR_FAIL, "interrupted");
            abort_job(&j, "j1-npm-upload was interrupted while finalizing", ABORT_NOW);
        } else if (!ended) {
            abort_job(&j, e->msg, e->cls == ERR_AUTH ? ABORT_ONCE : ABORT_RETRY);
        }
        *e = saved;
        goto out;
    }
    rc = 0;
out : {
    struct http_stats hs = j.http ? http_get_stats(j.http) : (struct http_stats){0};
    r->requests = hs.attempts;
    r->retries = hs.retries;
}
    http_client_free(j.http); /* cancels what is left: frees those calls */
    free_list(j.ready);
    free_list(j.doubts);
    free_list(j.held);
    buf_free(&j.url_jobs);
    buf_free(&j.url_job);
    buf_free(&j.url_up[0]);
    buf_free(&j.url_up[1]);
    buf_free(&j.url_finalize);
    buf_free(&j.url_abort);
    r->wall_ms = time_mono_ms() - t0;
    return rc;
}
