/*
 * workq.h — a bounded first-in-first-out queue of jobs with one worker
 * thread that runs them in the order they were queued.
 *
 * It exists for work that must not hold up the thread that produces it
 * (collect compresses and writes records while the crawl goes on asking;
 * upload's deflater compresses one chunk of a batch while the next is
 * filled) yet must stay in order and in bounded memory. The queue holds at most
 * max_jobs jobs, or max_mem bytes of them (a job larger than max_mem alone
 * is let in when the queue is empty): workq_put() waits while it is full,
 * so a slow consumer slows the producer instead of growing memory.
 *
 * The first job that fails stops the work: the jobs after it are dropped
 * unrun, and workq_put()/workq_drain() report that first error from then
 * on. The worker blocks every signal: they stay with the producer's thread,
 * which is the one that polls for Ctrl-C.
 */
#ifndef J1NPM_WORKQ_H
#define J1NPM_WORKQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct workq_opts {
    unsigned max_jobs;
    size_t max_mem;
    /* Runs one job on the worker thread: 0, or -1 with e set. */
    int (*run)(void *ctx, void *job, struct err *e);
    /* Frees a job, run or not (on the worker thread, or the caller's). */
    void (*drop)(void *job);
    void *ctx;
};

struct workq_slot {
    void *job;
    size_t mem;
};

struct workq {
    struct workq_opts o;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job was queued, or stop */
    pthread_cond_t room; /* a job was done */
    struct workq_slot *ring;
    unsigned head, queued; /* ring positions [head, head+queued) */
    unsigned jobs;         /* queued or running */
    size_t mem;            /* their bytes */
    bool running, stop, discard, failed;
    struct err err;
};

/* Starts the worker. -1 with e set if the thread cannot be made. */
int workq_start(struct workq *q, const struct workq_opts *o, struct err *e);
/* Queues job (mem: the bytes it holds), waiting while the queue is full.
 * Takes the job in every case; -1 with the first failure's error. */
int workq_put(struct workq *q, void *job, size_t mem, struct err *e);
/* Waits until every queued job has run; -1 with the first failure's error. */
int workq_drain(struct workq *q, struct err *e);
/* Ends the worker after it has run every queued job, or (discard) dropped
 * them unrun. Safe to call twice, or on a queue that never started. */
void workq_stop(struct workq *q, bool discard);

#endif
