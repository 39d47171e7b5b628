/*
 * workq.c — see workq.h.
 *
 * One mutex and two condition variables: `work` wakes the worker (a job,
 * or stop), `room` wakes the producer (a job done: room in the queue, or
 * the queue drained). The ring has max_jobs slots and never overflows: a
 * job counts against max_jobs from workq_put() until it has run, so the
 * slots in use are never more than the jobs counted.
 */
#include "workq.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static void *worker(void *arg)
{
    struct workq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->queued && !q->stop)
            pthread_cond_wait(&q->work, &q->mu);
        if (!q->queued)
            break; /* stopped, and nothing left */
        struct workq_slot s = q->ring[q->head];
        q->head = (q->head + 1) % q->o.max_jobs;
        q->queued--;
        bool skip = q->failed || q->discard;
        pthread_mutex_unlock(&q->mu);
        struct err e = {0};
        int rc = skip ? 0 : q->o.run(q->o.ctx, s.job, &e);
        q->o.drop(s.job);
        pthread_mutex_lock(&q->mu);
        if (rc < 0 && !q->failed) {
            q->failed = true;
            q->err = e;
        }
        q->jobs--;
        q->mem -= s.mem;
        pthread_cond_broadcast(&q->room);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int workq_start(struct workq *q, const struct workq_opts *o, struct err *e)
{
    memset(q, 0, sizeof *q);
    q->o = *o;
    if (q->o.max_jobs == 0)
        q->o.max_jobs = 1;
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return err_set(e, ERR_FAIL, "cannot start a worker thread");
    if (pthread_cond_init(&q->work, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        return err_set(e, ERR_FAIL, "cannot start a worker thread");
    }
    if (pthread_cond_init(&q->room, NULL) != 0) {
        pthread_cond_destroy(&q->work);
        pthread_mutex_destroy(&q->mu);
        return err_set(e, ERR_FAIL, "cannot start a worker thread");
    }
    q->ring = xcalloc(q->o.max_jobs, sizeof *q->ring);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&q->thread, NULL, worker, q);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        free(q->ring);
        q->ring = NULL;
        pthread_cond_destroy(&q->room);
        pthread_cond_destroy(&q->work);
        pthread_mutex_destroy(&q->mu);
        return err_set(e, ERR_FAIL, "cannot start a worker thread: %s", strerror(rc));
    }
    q->running = true;
    return 0;
}

int workq_put(struct workq *q, void *job, size_t mem, struct err *e)
{
    pthread_mutex_lock(&q->mu);
    while (!q->failed && q->jobs && (q->jobs >= q->o.max_jobs || q->mem + mem > q->o.max_mem))
        pthread_cond_wait(&q->room, &q->mu);
    if (q->failed) {
        *e = q->err;
        pthread_mutex_unlock(&q->mu);
        q->o.drop(job);
        return -1;
    }
    q->ring[(q->head + q->queued) % q->o.max_jobs] = (struct workq_slot){job, mem};
    q->queued++;
    q->jobs++;
    q->mem += mem;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

int workq_drain(struct workq *q, struct err *e)
{
    int rc = 0;
    if (!q->running)
        return q->failed ? (*e = q->err, -1) : 0;
    pthread_mutex_lock(&q->mu);
    while (q->jobs && !q->failed)
        pthread_cond_wait(&q->room, &q->mu);
    if (q->failed) {
        *e = q->err;
        rc = -1;
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void workq_stop(struct workq *q, bool discard)
{
    if (!q->running)
        return;
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    q->discard = q->discard || discard;
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    pthread_cond_destroy(&q->room);
    pthread_cond_destroy(&q->work);
    pthread_mutex_destroy(&q->mu);
    free(q->ring);
    q->ring = NULL;
    q->running = false;
}
