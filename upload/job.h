/*
 * job.h — one JupiterOne synchronization job, from create to finalize,
 * over the HTTP engine (http.h):
 *
 *   POST /persister/synchronization/jobs            {"source", "integrationInstanceId"|"scope"}
 *   POST .../jobs/ID/entities       {"entities":[...]}        gzip, up to --concurrency at once
 *   POST .../jobs/ID/relationships  {"relationships":[...]}   (once every entity batch is in)
 *   POST .../jobs/ID/finalize       {"partialDatasets":{"types":[...]}}
 *   POST .../jobs/ID/abort          {"reason": "..."}          on an error no retry fixes
 *
 * Every request carries Authorization: Bearer, JupiterOne-Account (the
 * header of the current SDK and docs; the 8.x SDK on the npm registry still
 * sends LifeOmic-Account) and Content-Type: application/json; every upload
 * Content-Encoding: gzip and its own JupiterOne-Correlation-Id, kept across
 * that batch's retries.
 *
 * Failures. 429 waits as Retry-After says, 5xx/resets/timeouts back off
 * (the engine's rules). 413 splits the batch in two; a lone object is sent
 * again without _rawData, and one too large even so is reported and its
 * _type marked partial (plan.h). 401/403: one attempt to abort, then stop
 * with ERR_AUTH. 400 JOB_NOT_AWAITING_UPLOADS: the job ended elsewhere;
 * stop. Any other refusal, or a batch with no answer after its retries:
 * abort the job with a reason. An input that turns out broken (a stream
 * without its summary) aborts too: finalizing would delete what is missing.
 *
 * Lost answers. An upload is not idempotent: a batch retried after the
 * server took it but its answer was lost (a reset after the request went
 * out, a timeout, a gateway 502/504; also libcurl's own silent re-send on a
 * reused connection, which the engine turns off for such requests) would
 * arrive twice, and JupiterOne refuses duplicate keys in a job. So uploads
 * are `once` requests: such a batch is put "in doubt", no new batch starts,
 * and once nothing is in flight the job is read. numEntitiesUploaded (or
 * Relationships) minus the objects of acknowledged batches is what the
 * doubtful batches delivered. To make that number decisive, a batch joins
 * those in flight only if all their object counts keep distinct subset sums
 * (a batch whose count would collide waits for one to finish): then exactly
 * one subset of the doubtful batches adds up to it — those arrived, the
 * rest is sent again. Should the counter fit no subset (JupiterOne counting
 * differently, more than 16 batches in doubt), all are sent again and the
 * summary says how many objects may have arrived twice: nothing is ever
 * lost to avoid a duplicate.
 */
#ifndef J1NPM_UPLOAD_JOB_H
#define J1NPM_UPLOAD_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "plan.h"
#include "secret.h"

struct job_opts {
    const char *base_url; /* ends with '/' */
    const char *account;
    const struct secret *key;
    const char *source, *scope, *instance_id;
    bool skip_finalize;
    bool allow_empty; /* finalize a job with no object and nothing partial */
    int concurrency, retries;
    long max_retry_wait_s, timeout_s;
    bool progress;
    long wait_s; /* --wait: after finalize, wait this long for FINISHED (wait.h); 0: no */
};

struct job_result {
    char id[130];
    char status[64]; /* as the API last reported it */
    bool created, finalized, aborted, interrupted;
    uint64_t sent[2]; /* objects in acknowledged batches, by enum gobj_kind */
    uint64_t batches_sent, requests, retries;
    uint64_t splits, stripped_413;
    uint64_t doubts, resent, maybe_twice;
    bool have_counters;
    uint64_t uploaded[2]; /* the job's numEntitiesUploaded / numRelationshipsUploaded */
    int64_t wall_ms;
    /* --wait (wait.h) */
    bool waited, wait_timed_out, have_outcome;
    long long n_created[2], n_updated[2], n_deleted[2]; /* the finished job's; -1: not told */
};

/* 0: every batch is in and the job is finalized (or left open with
 * --skip-finalize), and with --wait it FINISHED or the time ran out
 * (r->wait_timed_out). -1: e->cls ERR_AUTH (key or account refused) or
 * ERR_FAIL; r->aborted says whether the job was aborted. */
int job_run(const struct job_opts *o, struct planner *pl, struct job_result *r, struct err *e);

#endif
