/*
 * sched.c — the upload phase of a job: which batch goes when, and what
 * each upload's answer means (job.h says why; job_impl.h holds the state).
 *
 * The planner builds the next batch whenever a slot is free, one batch per
 * turn of the engine's loop (its idle hook), so building overlaps the
 * transfers and at most --concurrency batches are in flight — the input is
 * read only as fast as JupiterOne takes it. Relationship batches wait until
 * no entity batch is outstanding (`held`: a couple are built ahead, the
 * rest follow at once). A batch whose answer was lost is put in doubt; no
 * new batch starts until the job has been read and the doubts settled
 * (settle.h). The compression level follows who waits for whom (pace()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cli.h"
#include "job_impl.h"
#include "log.h"
#include "settle.h"
#include "timeutil.h"

#define MAX_HELD 2 /* relationship batches built ahead while entity batches drain */
#define BUILD_SLICE ((size_t)256 << 10) /* JSON bytes placed between two turns of the engine */
/* No new batch is built while the batches built and not yet acknowledged
 * hold this many compressed bytes (unless none is in flight). They are
 * most of the uploader's memory; this is four batches of BATCH_GZ_TARGET,
 * several bandwidth-delay products of a 100 Mbit/s link at 30 ms. */
#define GZ_BUDGET ((size_t)768 << 10)

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
    c->b = b;
    c->held = &j->gz_held;
    j->gz_held += b->gz.len;
    char id[37];
    uuid4(id);
    snprintf(c->corr, sizeof c->corr, CORR_HEADER "%s", id);
    c->hdrs[0] = "Content-Encoding: gzip";
    c->hdrs[1] = c->corr;
    c->hdrs[2] = NULL;
    c->req.headers = c->hdrs;
    c->req.once = true;
    return c;
}

static void send_upload(struct job *j, struct call *c)
{
    progress_start(&j->prog, j->ph[c->b->kind]);
    progress_start(&j->prog, j->ph_batches);
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
              c->corr + CORR_HEADER_LEN);
}

/* The totals grow as the input is read: final only once it has ended. */
static void update_totals(struct job *j)
{
    const struct plan_stats *ps = planner_stats(j->pl);
    void (*set)(struct progress *, int, uint64_t) =
        j->input_done ? progress_total : progress_total_so_far;
    for (int k = 0; k < 2; k++)
        set(&j->prog, j->ph[k], ps->objects[k]);
    set(&j->prog, j->ph_batches, j->r->batches_sent + j->r->splits);
    /* A directory's size is known from the start; the bytes read may pass
     * it by the head of a relationship file read in the first pass. */
    const struct source *src = planner_source(j->pl);
    uint64_t size = source_size(src), got = source_bytes(src);
    if (size)
        progress_total(&j->prog, j->ph_input, size);
    progress_set_done(&j->prog, j->ph_input, size && got > size ? size : got);
    if (j->input_done)
        progress_finish(&j->prog, j->ph_input);
}

/* The rule that makes lost answers resolvable (settle.h): may c join the
 * batches of its kind whose fate may be unknown (in flight, or in doubt)? */
static bool sums_stay_distinct(const struct job *j, const struct call *c)
{
    size_t counts[MAX_FLYING * 2], m = 0;
    enum gobj_kind k = c->b->kind;
    for (unsigned i = 0; i < j->nflying; i++)
        if (j->flying[i]->b->kind == k && m < sizeof counts / sizeof counts[0])
            counts[m++] = j->flying[i]->b->nobj;
    for (const struct call *d = j->doubts; d; d = d->next)
        if (d->b->kind == k && m < sizeof counts / sizeof counts[0])
            counts[m++] = d->b->nobj;
    return settle_may_join(counts, m, c->b->nobj);
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
        update_totals(j);
        return false;
    }
    pace(j);
    struct call *c = upload_call(j, b);
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

bool sched_on_idle(void *ctx)
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
                 b->kind == GOBJ_ENTITY ? "entity" : "relationship", key.len ? key.p : "?",
                 b->json_len);
        enqueue_batch(j, s, true);
    } else {
        buf_printf(&why,
                   "%s \"%s\" (_type %s): too large for JupiterOne (413 for it alone, %zu bytes of "
                   "JSON%s)",
                   b->kind == GOBJ_ENTITY ? "entity" : "relationship", key.len ? key.p : "?",
                   type.len ? type.p : "?", b->json_len,
                   b->stripped ? " without its _rawData" : "");
        planner_drop(j->pl, why.p, type.p);
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
    j->status_inflight = true;
    call_submit(j, c, "GET", j->url_job.p);
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

/* Detaches the doubtful batches of one kind, in their list order. */
static struct call *take_doubts(struct job *j, int kind, size_t *counts, size_t cap, size_t *n)
{
    struct call **pp = &j->doubts, *mine = NULL, **tail = &mine;
    *n = 0;
    while (*pp) {
        struct call *c = *pp;
        if ((int)c->b->kind != kind) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        c->next = NULL;
        *tail = c;
        tail = &c->next;
        j->ndoubts--;
        if (*n < cap)
            counts[*n] = c->b->nobj;
        (*n)++;
    }
    return mine;
}

/* Which doubtful batches of one kind arrived, given how many objects the
 * server counts beyond those acknowledged (settle.h): those acknowledged,
 * the rest sent again. */
static void resolve_kind(struct job *j, int kind, long long excess)
{
    size_t counts[SETTLE_MAX_DOUBTS], n;
    struct call *mine = take_doubts(j, kind, counts, SETTLE_MAX_DOUBTS, &n);
    if (n == 0)
        return;
    struct settle_verdict v = settle_doubts(counts, n, excess);
    if (!v.decided) {
        log_warn("cannot tell which of %zu %s batch(es) without an answer arrived (JupiterOne "
                 "counts %lld more objects than were acknowledged); sending them again, so up "
                 "to %lld objects may arrive twice",
                 n, batch_member((enum gobj_kind)kind), excess, excess > 0 ? excess : 0);
        j->acked[kind] += v.maybe_twice; /* arrived, just not attributable */
        j->r->maybe_twice += v.maybe_twice;
    }
    for (size_t i = 0; mine; i++) {
        struct call *c = mine;
        mine = c->next;
        c->next = NULL;
        if (v.decided && (v.arrived >> i & 1)) {
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

void sched_on_status(struct job *j, struct call *c)
{
    struct http_req *r = &c->req;
    j->status_inflight = false;
    if (r->outcome == HTTP_CANCELLED) {
        call_free(c);
        return;
    }
    struct answer a;
    answer_read(r, &a);
    char d[ANSWER_DESCRIBE_MAX];
    answer_describe(r, &a, d, sizeof d);
    if (answer_refused(r)) {
        stop_run(j, ST_AUTH, ERR_AUTH, "JupiterOne refused the API key reading the job (%s)", d);
    } else if (!answer_ok(r) || !a.counters) {
        stop_run(j, ST_ABORT, ERR_FAIL,
                 "cannot learn from JupiterOne whether %u batch(es) without an answer arrived: "
                 "reading the job gave %s",
                 j->ndoubts, a.counters || r->outcome != HTTP_ANSWER ? d : "no upload counters");
    } else {
        job_note(j, &a);
        for (int k = 0; k < 2; k++)
            resolve_kind(j, k, a.uploaded[k] - (long long)j->acked[k]);
    }
    call_free(c);
}

void sched_on_upload(struct job *j, struct call *c)
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
    char d[ANSWER_DESCRIBE_MAX];
    if (answer_ok(r)) {
        answer_read(r, &a);
        job_note(j, &a);
        log_debug("%s batch #%lu: HTTP %ld after %d attempt(s), %lld ms", batch_member(b->kind),
                  b->seq, r->status, r->attempts, (long long)r->elapsed_ms);
        acked(j, c);
        call_free(c);
        return;
    }
    answer_read(r, &a);
    answer_describe(r, &a, d, sizeof d);
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
    if (answer_refused(r))
        stop_run(j, ST_AUTH, ERR_AUTH, "JupiterOne refused the upload of %s batch #%lu (%s)",
                 batch_member(b->kind), b->seq, d);
    else if (answer_job_ended(r, &a))
        stop_run(j, ST_ENDED, ERR_FAIL,
                 "JupiterOne says job %s is no longer awaiting uploads (%s): something else ended "
                 "it; nothing more was sent, and this run neither finalizes nor aborts it",
                 j->r->id, d);
    else
        stop_run(j, ST_ABORT, ERR_FAIL, "uploading %s batch #%lu (%zu objects) failed: %s",
                 batch_member(b->kind), b->seq, b->nobj, d);
    call_free(c);
}

void sched_after_answer(struct job *j)
{
    check_doubts(j);
    keep_going(j);
}

static void tick(void *ctx)
{
    struct job *j = ctx;
    progress_draw(&j->prog, false);
}

/* ---- create, finalize, abort ---------------------------------------------------- */

int sched_upload_all(struct job *j, struct err *e)
{
    progress_init(&j->prog, j->o->progress);
    j->ph[GOBJ_ENTITY] = progress_add(&j->prog, "entities");
    j->ph[GOBJ_RELATIONSHIP] = progress_add(&j->prog, "relationships");
    j->ph_batches = progress_add(&j->prog, "batches");
    j->ph_input = progress_add(&j->prog, "input read");
    for (int k = 0; k < 2; k++)
        if (j->ph[k] >= 0) {
            j->prog.ph[j->ph[k]].unit = "obj/s";
            j->prog.ph[j->ph[k]].requests = false; /* the batches are the requests */
        }
    if (j->ph_input >= 0) {
        j->prog.ph[j->ph_input].bytes = true;
        j->prog.ph[j->ph_input].requests = false;
        progress_start(&j->prog, j->ph_input);
    }
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
