/* test_workq.c — the bounded work queue behind collect's dump writer: jobs
 * run in order on the worker, the queue never holds more than its bounds,
 * and the first failure stops the work and is reported. */
#include <stdatomic.h>
#include <stdlib.h>

#include "alloc.h"
#include "t.h"
#include "workq.h"

struct rec {
    int order[1000];
    int n;
    int fail_at;        /* the job of this number fails (0: none) */
    atomic_int dropped; /* drop runs on the worker and, after a failure, in put */
    unsigned max_seen;
};

struct job {
    int no;
    struct rec *r;
};

static int run(void *ctx, void *vj, struct err *e)
{
    struct rec *r = ctx;
    struct job *j = vj;
    if (j->no == r->fail_at)
        return err_set(e, ERR_FAIL, "job %d failed", j->no);
    r->order[r->n++] = j->no;
    return 0;
}

static void drop(void *vj)
{
    struct job *j = vj;
    j->r->dropped++;
    free(j);
}

static int put(struct workq *q, struct rec *r, int no, struct err *e)
{
    struct job *j = xmalloc(sizeof *j);
    j->no = no;
    j->r = r;
    return workq_put(q, j, 100, e);
}

TEST(test_workq_runs_every_job_in_order_within_its_bounds)
{
    struct rec r = {.fail_at = 0};
    struct workq q;
    struct err e = {0};
    struct workq_opts o = {4, 1000, run, drop, &r};
    T_OK(workq_start(&q, &o, &e), &e);
    for (int i = 1; i <= 500; i++) {
        T_OK(put(&q, &r, i, &e), &e);
        pthread_mutex_lock(&q.mu);
        if (q.jobs > r.max_seen)
            r.max_seen = q.jobs;
        pthread_mutex_unlock(&q.mu);
    }
    T_OK(workq_drain(&q, &e), &e);
    T_INT(500, r.n);
    for (int i = 0; i < 500; i++)
        T_INT(i + 1, r.order[i]);
    T_TRUE(r.max_seen <= 4);
    T_OK(put(&q, &r, 501, &e), &e); /* runs before stop returns */
    workq_stop(&q, false);
    T_INT(501, r.n);
    T_INT(501, r.dropped);
    workq_stop(&q, false); /* twice is harmless */
}

TEST(test_workq_first_failure_stops_the_work_and_is_reported)
{
    struct rec r = {.fail_at = 3};
    struct workq q;
    struct err e = {0};
    struct workq_opts o = {2, 1 << 20, run, drop, &r};
    T_OK(workq_start(&q, &o, &e), &e);
    int rc = 0;
    for (int i = 1; i <= 50 && rc == 0; i++)
        rc = put(&q, &r, i, &e);
    if (rc == 0)
        rc = workq_drain(&q, &e);
    T_INT(-1, rc);
    T_CONTAINS(e.msg, "job 3 failed");
    T_INT(2, r.n); /* nothing after the failure ran */
    struct err e2 = {0};
    T_INT(-1, put(&q, &r, 99, &e2)); /* taken and dropped */
    T_CONTAINS(e2.msg, "job 3 failed");
    workq_stop(&q, true);
    T_INT(-1, workq_drain(&q, &e2));
}

TEST(test_workq_stop_with_discard_drops_what_is_queued)
{
    struct rec r = {.fail_at = 0};
    struct workq q;
    struct err e = {0};
    struct workq_opts o = {64, 1 << 20, run, drop, &r};
    T_OK(workq_start(&q, &o, &e), &e);
    for (int i = 1; i <= 40; i++)
        T_OK(put(&q, &r, i, &e), &e);
    workq_stop(&q, true);
    T_INT(40, r.dropped); /* every job freed, run or not */
    T_TRUE(r.n <= 40);
}
