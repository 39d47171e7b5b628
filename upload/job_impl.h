/*
 * job_impl.h — what the files of one synchronization job share (job.h is
 * the public face): the job's state and the request that carries each
 * batch or control call. Not for use outside job.c, sched.c and control.c.
 *
 *   job.c      the run: create, upload phase, finalize or abort; the calls
 *   sched.c    the upload phase: which batch goes when, what its answer means
 *   control.c  create, read, finalize and abort the job (one request at a time)
 *   answer.c   what an answer says;  settle.c  which lost batches arrived
 *
 * Every batch lives in a struct call from the moment it is planned until
 * it is acknowledged, reported too large, or the run stops; the queues
 * (ready, doubts) and `held` own the calls not in flight, the engine the
 * rest.
 */
#ifndef J1NPM_UPLOAD_JOB_IMPL_H
#define J1NPM_UPLOAD_JOB_IMPL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "answer.h"
#include "buf.h"
#include "http.h"
#include "job.h"
#include "progress.h"

#define MAX_FLYING 64 /* --concurrency's upper bound */

/* The header that names a batch in JupiterOne's logs; the id follows it. */
#define CORR_HEADER "JupiterOne-Correlation-Id: "
#define CORR_HEADER_LEN (sizeof CORR_HEADER - 1)

enum call_kind { CK_CREATE, CK_UPLOAD, CK_RECONCILE, CK_STATUS, CK_FINALIZE, CK_ABORT };

struct call {
    struct http_req req;
    enum call_kind kind;
    struct batch *b;
    struct buf body;
    char corr[80]; /* CORR_HEADER and a uuid */
    const char *hdrs[3];
    int sends;
    bool done;    /* sync calls: finished */
    size_t *held; /* uploads: the job's gz_held, which counts b */
    struct call *next;
};

/* Why the upload phase stopped, beside the first error (stop_err). */
enum stop { ST_NONE, ST_ABORT, ST_AUTH, ST_ENDED };

struct job {
    const struct job_opts *o;
    struct planner *pl;
    struct job_result *r;
    struct http_client *http;
    struct progress prog;
    int ph[2], ph_batches, ph_input;
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
    /* how hard to compress (see sched.c's pace()) */
    int level;
    int64_t blocked_since, wait_us, build_us; /* for the batch being built */
    unsigned hist, nhist; /* one bit a batch, newest lowest: it waited for the link */
    uint64_t acked[2];    /* objects the server should count for us */
    bool input_done, status_inflight, logged_split;
    enum stop stop;
    struct err stop_err; /* the first error (err_first): why the run stopped */
};

/* ---- job.c: calls ---- */
struct call *call_new(enum call_kind k);
void call_free(struct call *c);
void call_free_list(struct call *c);
/* Submits c's body (or none) to j->http. */
void call_submit(struct job *j, struct call *c, const char *method, const char *url);
/* One request, run to its end on http. stop: &cli_interrupted, or NULL
 * when the request must go out even now (an abort after Ctrl-C). */
int call_sync(struct job *j, struct http_client *http, struct call *c, const char *method,
              const char *url, volatile sig_atomic_t *stop, struct err *e);
/* The engine's callback for every request of the job's clients. */
void job_on_done(struct http_req *r, void *ctx);
/* Records what an answer says about the job (status, counters). */
void job_note(struct job *j, const struct answer *a);
/* Stops the upload phase: the first call sets why and stop_err, every
 * call cancels what is in flight. */
void stop_run(struct job *j, enum stop why, enum err_class cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- sched.c: the upload phase ---- */
int sched_upload_all(struct job *j, struct err *e);
bool sched_on_idle(void *ctx);
void sched_on_upload(struct job *j, struct call *c);
void sched_on_status(struct job *j, struct call *c);
/* After every answer: read the job if doubts wait, else keep the engine busy. */
void sched_after_answer(struct job *j);

/* ---- control.c: one request at a time ---- */
int control_create(struct job *j, struct err *e);
int control_read(struct job *j, struct http_client *http, volatile sig_atomic_t *stop,
                 struct answer *a, struct err *e);
/* How an abort goes out: with the run's client and its retries; once,
 * on a fresh client (the key was refused: retrying will not help); or at
 * once after a signal — a fresh client (past any Retry-After gate the run's
 * client holds), one try, a 3 s timeout, so the program ends within a few
 * seconds and the job is still ended. */
enum abort_how { ABORT_RETRY, ABORT_ONCE, ABORT_NOW };
void control_abort(struct job *j, const char *reason, enum abort_how how);
/* *ended: the job left AWAITING_UPLOADS without us (nothing to abort). */
int control_finalize(struct job *j, bool *ended, struct err *e);

#endif
