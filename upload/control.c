/*
 * control.c — the job's control calls, one request at a time: create it,
 * read it, finalize it, abort it (job.h lists the requests).
 *
 * Finalize and abort are `once` requests (sent again only by us, never by
 * the engine behind our back) and share one loop, control_post(): an
 * answer decides; a request whose answer may have been lost is followed by
 * a read of the job, which tells whether it took effect (the job left
 * AWAITING_UPLOADS) or should go out again, up to --retries times more.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "job_impl.h"
#include "json.h"
#include "log.h"
#include "plan.h"
#include "url.h"

#define REASON_MAX 4000 /* bytes of an abort's reason sent */

/* Creating a job: refused key or account, unreachable, refused. */
static int create_failed(struct job *j, const struct http_req *r, const char *d, struct err *e)
{
    if (answer_refused(r) && r->status == 401)
        return err_set(e, ERR_AUTH,
                       "JupiterOne refused the API key when creating the job (%s): it is wrong, "
                       "expired or revoked. Check %s",
                       d, j->o->key->origin);
    if (answer_refused(r))
        return err_set(e, ERR_AUTH,
                       "JupiterOne refused access to account %s when creating the job (%s): %s "
                       "does not belong to that account, or may not run synchronization jobs",
                       j->o->account, d, j->o->key->origin);
    if (r->outcome != HTTP_ANSWER)
        return err_set(e, ERR_FAIL, "cannot reach JupiterOne at %s: %s", j->o->base_url, r->error);
    return err_set(e, ERR_FAIL, "JupiterOne refused to create the synchronization job: %s", d);
}

static void job_urls(struct job *j, const char *id)
{
    struct buf enc = BUF_INIT;
    url_encode(&enc, id);
    buf_printf(&j->url_job, "%s/%s", j->url_jobs.p, enc.p);
    buf_printf(&j->url_up[GOBJ_ENTITY], "%s/entities", j->url_job.p);
    buf_printf(&j->url_up[GOBJ_RELATIONSHIP], "%s/relationships", j->url_job.p);
    buf_printf(&j->url_finalize, "%s/finalize", j->url_job.p);
    buf_printf(&j->url_abort, "%s/abort", j->url_job.p);
    buf_free(&enc);
}

int control_create(struct job *j, struct err *e)
{
    struct call *c = call_new(CK_CREATE);
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
    if (call_sync(j, j->http, c, "POST", j->url_jobs.p, &cli_interrupted, e) < 0)
        goto out;
    struct answer a;
    answer_read(&c->req, &a);
    char d[ANSWER_DESCRIBE_MAX];
    answer_describe(&c->req, &a, d, sizeof d);
    if (!answer_ok(&c->req)) {
        create_failed(j, &c->req, d, e);
        goto out;
    }
    size_t idl = strlen(a.id);
    if (idl == 0 || idl > 128) {
        err_set(e, ERR_FAIL, "JupiterOne created a job but its answer names no usable job id");
        goto out;
    }
    snprintf(j->r->id, sizeof j->r->id, "%s", a.id);
    j->r->created = true;
    job_note(j, &a);
    job_urls(j, a.id);
    log_info("created synchronization job %s (source %s%s%s)", a.id, j->o->source,
             j->o->instance_id ? ", integration instance " : ", scope ",
             j->o->instance_id ? j->o->instance_id : j->o->scope);
    rc = 0;
out:
    call_free(c);
    return rc;
}

int control_read(struct job *j, struct http_client *http, volatile sig_atomic_t *stop,
                 struct answer *a, struct err *e)
{
    struct call *c = call_new(CK_STATUS);
    int rc = call_sync(j, http, c, "GET", j->url_job.p, stop, e);
    if (rc == 0) {
        answer_read(&c->req, a);
        if (!answer_ok(&c->req)) {
            char d[ANSWER_DESCRIBE_MAX];
            answer_describe(&c->req, a, d, sizeof d);
            rc = err_set(e, answer_refused(&c->req) ? ERR_AUTH : ERR_FAIL, "reading job %s: %s",
                         j->r->id, d);
        } else {
            job_note(j, a);
        }
    }
    call_free(c);
    return rc;
}

/* ---- finalize and abort: one loop ------------------------------------------------ */

/* How a control call ended. */
enum ctl {
    CTL_OK,          /* a 2xx answer */
    CTL_TOOK_EFFECT, /* its answer was lost, but the job left AWAITING_UPLOADS */
    CTL_REFUSED,     /* 401/403 */
    CTL_ENDED,       /* the job had ended without it */
    CTL_FAILED,      /* any other answer, or none: `d` says which */
    CTL_SEND_FAILED, /* the request could not be run (interrupted): e says why */
    CTL_READ_FAILED, /* the job could not be read after a lost answer: e says why */
    CTL_NO_EFFECT,   /* each try's answer was lost, and the job still awaits uploads */
};

struct ctl_call {
    enum call_kind kind;
    const char *what; /* "finalizing", for the retry note; NULL: none */
    const char *url;
    const struct buf *body;
    struct http_client *http;
    volatile sig_atomic_t *stop;
    int tries;
    bool ask_if_unsure; /* a lost answer: read the job and maybe try again */
};

/* Posts cc->body up to cc->tries times (see the top of the file). *a and
 * d hold the last answer and its description. */
static enum ctl control_post(struct job *j, const struct ctl_call *cc, struct answer *a, char *d,
                             size_t dn, struct err *e)
{
    for (int attempt = 0; attempt < cc->tries; attempt++) {
        struct call *c = call_new(cc->kind);
        buf_append(&c->body, cc->body->p, cc->body->len);
        c->req.once = true;
        if (call_sync(j, cc->http, c, "POST", cc->url, cc->stop, e) < 0) {
            call_free(c);
            return CTL_SEND_FAILED;
        }
        struct http_req *r = &c->req;
        answer_read(r, a);
        answer_describe(r, a, d, dn);
        enum ctl v = answer_ok(r)                                                  ? CTL_OK
                     : answer_refused(r)                                           ? CTL_REFUSED
                     : answer_job_ended(r, a)                                      ? CTL_ENDED
                     : r->outcome == HTTP_FAILED && r->unsure && cc->ask_if_unsure ? CTL_NO_EFFECT
                                                                                   : CTL_FAILED;
        call_free(c);
        if (v != CTL_NO_EFFECT)
            return v;
        struct answer now;
        if (control_read(j, cc->http, cc->stop, &now, e) < 0)
            return CTL_READ_FAILED;
        if (strcmp(now.status, "AWAITING_UPLOADS") != 0)
            return CTL_TOOK_EFFECT;
        if (cc->what)
            log_info("%s job %s: %s; it is still awaiting uploads, trying again", cc->what,
                     j->r->id, d);
    }
    return CTL_NO_EFFECT;
}

/* A client for an abort that must not wait for the run's (see abort_how). */
static struct http_client *abort_client(struct job *j, enum abort_how how)
{
    struct err e = {0};
    const char *hdrs[] = {"Content-Type: application/json", j->acct_hdr, NULL};
    struct http_opts ho;
    memset(&ho, 0, sizeof ho);
    ho.concurrency = 1;
    ho.timeout_s = how == ABORT_NOW ? 3 : 20;
    ho.retries = 0;
    ho.bearer = j->o->key;
    ho.headers = hdrs;
    ho.user_agent = "j1-npm-upload/" J1NPM_VERSION;
    struct http_client *h = http_client_new(&ho, job_on_done, j, &e);
    if (!h)
        log_error("could not abort job %s: %s", j->r->id, e.msg);
    return h;
}

void control_abort(struct job *j, const char *reason, enum abort_how how)
{
    struct http_client *once = NULL;
    if (how != ABORT_RETRY && !(once = abort_client(j, how)))
        return;
    struct buf red = BUF_INIT, body = BUF_INIT;
    log_redact(reason, strlen(reason), &red); /* a key never leaves in a reason either */
    struct jw w;
    jw_init(&w, &body);
    jw_obj(&w);
    jw_key(&w, "reason");
    jw_strn(&w, red.p, red.len > REASON_MAX ? REASON_MAX : red.len);
    jw_obj_end(&w);
    struct ctl_call cc = {
        .kind = CK_ABORT,
        .url = j->url_abort.p,
        .body = &body,
        .http = once ? once : j->http,
        .stop = NULL,
        .tries = once ? 1 : j->o->retries + 1,
        .ask_if_unsure = !once,
    };
    struct err e = {0};
    struct answer a;
    char d[ANSWER_DESCRIBE_MAX] = "";
    switch (control_post(j, &cc, &a, d, sizeof d, &e)) {
    case CTL_OK:
        job_note(j, &a);
        j->r->aborted = true;
        log_info("aborted job %s: %s", j->r->id, red.p);
        break;
    case CTL_TOOK_EFFECT:
        j->r->aborted = strncmp(j->r->status, "ABORTED", 7) == 0;
        log_info("job %s is now %s", j->r->id, j->r->status);
        break;
    case CTL_ENDED:
        log_warn("job %s had already ended; it was not aborted (%s)", j->r->id, d);
        break;
    case CTL_NO_EFFECT: break;
    case CTL_SEND_FAILED:
        log_error("could not abort job %s (%s); JupiterOne will end it when it times out", j->r->id,
                  e.msg);
        break;
    default:
        log_error("could not abort job %s (%s); JupiterOne will end it when it times out", j->r->id,
                  d);
    }
    buf_free(&red);
    buf_free(&body);
    http_client_free(once);
}

int control_finalize(struct job *j, bool *ended, struct err *e)
{
    *ended = false;
    struct buf body = BUF_INIT;
    planner_finalize_body(j->pl, &body);
    struct ctl_call cc = {
        .kind = CK_FINALIZE,
        .what = "finalizing",
        .url = j->url_finalize.p,
        .body = &body,
        .http = j->http,
        .stop = &cli_interrupted,
        .tries = j->o->retries + 1,
        .ask_if_unsure = true,
    };
    struct answer a;
    char d[ANSWER_DESCRIBE_MAX] = "";
    int rc = 0;
    switch (control_post(j, &cc, &a, d, sizeof d, e)) {
    case CTL_OK: job_note(j, &a); /* fall through */
    case CTL_TOOK_EFFECT: j->r->finalized = true; break;
    case CTL_REFUSED:
        rc = err_set(e, ERR_AUTH, "JupiterOne refused to finalize job %s (%s)", j->r->id, d);
        break;
    case CTL_ENDED:
        *ended = true;
        rc = err_set(e, ERR_FAIL, "job %s ended before it could be finalized (%s)", j->r->id, d);
        break;
    case CTL_FAILED: rc = err_set(e, ERR_FAIL, "finalizing job %s failed: %s", j->r->id, d); break;
    case CTL_NO_EFFECT:
        rc = err_set(e, ERR_FAIL, "finalizing job %s: no answer after %d tries", j->r->id,
                     j->o->retries + 1);
        break;
    case CTL_SEND_FAILED:
    case CTL_READ_FAILED: rc = -1; break;
    }
    buf_free(&body);
    return rc;
}
