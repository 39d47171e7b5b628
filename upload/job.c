/*
 * job.c — see job.h: the run of one job (create, upload phase, finalize or
 * abort) and the requests it is made of. job_impl.h says which file holds
 * what.
 */
#include "job.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cli.h"
#include "job_impl.h"
#include "log.h"
#include "timeutil.h"
#include "wait.h"

/* ---- calls ---------------------------------------------------------------------- */

struct call *call_new(enum call_kind k)
{
    struct call *c = xcalloc(1, sizeof *c);
    c->kind = k;
    c->req.ud = c;
    c->body = (struct buf)BUF_INIT;
    return c;
}

void call_free(struct call *c)
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

void call_free_list(struct call *c)
{
    while (c) {
        struct call *n = c->next;
        call_free(c);
        c = n;
    }
}

void call_submit(struct job *j, struct call *c, const char *method, const char *url)
{
    c->req.method = method;
    c->req.url = url;
    c->req.req_body = c->body.p;
    c->req.req_body_len = c->body.len;
    c->done = false;
    http_submit(j->http, &c->req);
}

int call_sync(struct job *j, struct http_client *http, struct call *c, const char *method,
              const char *url, volatile sig_atomic_t *stop, struct err *e)
{
    struct http_client *saved = j->http;
    j->http = http;
    call_submit(j, c, method, url);
    int rc = http_run(http, stop, NULL, e);
    j->http = saved;
    if (rc < 0)
        j->r->interrupted = true;
    return rc;
}

void job_on_done(struct http_req *r, void *ctx)
{
    struct job *j = ctx;
    struct call *c = r->ud;
    switch (c->kind) {
    case CK_UPLOAD: sched_on_upload(j, c); break;
    case CK_RECONCILE: sched_on_status(j, c); break;
    default:
        c->done = true; /* a sync call: the caller reads it */
        return;
    }
    sched_after_answer(j);
}

void job_note(struct job *j, const struct answer *a)
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

void stop_run(struct job *j, enum stop why, enum err_class cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err_vfirst(&j->stop_err, cls, fmt, ap))
        j->stop = why;
    va_end(ap);
    http_cancel_all(j->http);
}

/* ---- run ------------------------------------------------------------------------ */

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
        .idle = sched_on_idle,
    };
    int rc = -1;
    buf_printf(&j.url_jobs, "%spersister/synchronization/jobs", o->base_url);
    j.http = http_client_new(&ho, job_on_done, &j, e);
    if (!j.http || control_create(&j, e) < 0)
        goto out;

    if (sched_upload_all(&j, e) < 0) {
        if (r->interrupted) {
            err_set(e, ERR_FAIL, "interrupted");
            control_abort(&j, "j1-npm-upload was interrupted before every batch was uploaded",
                          ABORT_NOW);
        } else {
            *e = j.stop_err;
            if (j.stop == ST_AUTH)
                control_abort(&j, j.stop_err.msg, ABORT_ONCE);
            else if (j.stop == ST_ABORT)
                control_abort(&j, j.stop_err.msg, ABORT_RETRY);
        }
        goto out;
    }
    if (o->skip_finalize) {
        log_info("Skipping synchronization finalization. Job will remain in \"AWAITING_UPLOADS\" "
                 "state.");
        struct answer a;
        if (control_read(&j, j.http, &cli_interrupted, &a, e) < 0) {
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
        control_abort(&j, "j1-npm-upload: empty input, not finalized", ABORT_RETRY);
        goto out;
    }
    bool ended;
    if (control_finalize(&j, &ended, e) < 0) {
        struct err saved = *e;
        if (r->interrupted) {
            err_set(&saved, ERR_FAIL, "interrupted");
            control_abort(&j, "j1-npm-upload was interrupted while finalizing", ABORT_NOW);
        } else if (!ended) {
            control_abort(&j, e->msg, e->cls == ERR_AUTH ? ABORT_ONCE : ABORT_RETRY);
        }
        *e = saved;
        goto out;
    }
    if (o->wait_s > 0 && job_wait(&j, o->wait_s, e) < 0)
        goto out; /* finalized: nothing to abort */
    rc = 0;
out : {
    struct http_stats hs = j.http ? http_get_stats(j.http) : (struct http_stats){0};
    r->requests = hs.attempts;
    r->retries = hs.retries;
}
    http_client_free(j.http); /* cancels what is left: frees those calls */
    call_free_list(j.ready);
    call_free_list(j.doubts);
    call_free_list(j.held);
    buf_free(&j.url_jobs);
    buf_free(&j.url_job);
    buf_free(&j.url_up[0]);
    buf_free(&j.url_up[1]);
    buf_free(&j.url_finalize);
    buf_free(&j.url_abort);
    r->wall_ms = time_mono_ms() - t0;
    return rc;
}
