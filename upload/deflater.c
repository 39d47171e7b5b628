/*
 * deflater.c — see deflater.h.
 *
 * The thread and its hand-off are a workq (workq.h) of one job: workq_put
 * waits while a job is queued or running, which is the "one chunk in work,
 * one being filled" of deflater.h, and the worker blocks every signal.
 * A job is only the arguments of deflater_run; everything it points to is
 * the caller's. The worker keeps the default stack: zlib's state lives on
 * the heap (deflateInit2), deflate() itself needs a few kB, and the pages
 * of the 8 MB it reserves that are never touched are never resident.
 */
#include "deflater.h"

#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "workq.h"

#define OUT_STEP ((size_t)64 << 10)

struct deflater {
    struct workq q;
};

struct job {
    z_stream *z;
    struct buf *out;
    const char *in;
    size_t n;
    int flush;
};

int deflater_run(z_stream *z, struct buf *out, const char *in, size_t n, int flush)
{
    /* avail_in is an unsigned int: inputs over 1 GiB go in pieces */
    for (;;) {
        size_t k = n > ((size_t)1 << 30) ? (size_t)1 << 30 : n;
        int f = k == n ? flush : Z_NO_FLUSH;
        z->next_in = (Bytef *)(uintptr_t)in;
        z->avail_in = (uInt)k;
        for (;;) {
            buf_reserve(out, OUT_STEP);
            z->next_out = (Bytef *)out->p + out->len;
            z->avail_out = (uInt)(out->cap - out->len - 1);
            size_t before = z->avail_out;
            int rc = deflate(z, f);
            out->len += before - z->avail_out;
            out->p[out->len] = '\0';
            if (rc == Z_STREAM_ERROR)
                return -1;
            if (f == Z_FINISH ? rc == Z_STREAM_END : (z->avail_in == 0 && z->avail_out > 0))
                break;
        }
        if (k == n)
            return 0;
        in += k;
        n -= k;
    }
}

static int run_job(void *ctx, void *vj, struct err *e)
{
    (void)ctx;
    struct job *j = vj;
    if (deflater_run(j->z, j->out, j->in, j->n, j->flush) < 0)
        return err_set(e, ERR_FAIL, "zlib failed compressing");
    return 0;
}

struct deflater *deflater_new(void)
{
    struct deflater *d = xmalloc(sizeof *d);
    /* One job, bounded by count alone: its memory is the caller's. */
    struct workq_opts o = {.max_jobs = 1, .max_mem = SIZE_MAX, .run = run_job, .drop = free};
    struct err e = {0};
    if (workq_start(&d->q, &o, &e) < 0) {
        free(d);
        return NULL;
    }
    return d;
}

int deflater_post(struct deflater *d, z_stream *z, struct buf *out, const char *in, size_t n,
                  int flush)
{
    struct job *j = xmalloc(sizeof *j);
    *j = (struct job){z, out, in, n, flush};
    struct err e = {0};
    return workq_put(&d->q, j, 0, &e);
}

int deflater_wait(struct deflater *d)
{
    struct err e = {0};
    return workq_drain(&d->q, &e);
}

void deflater_free(struct deflater *d)
{
    if (!d)
        return;
    workq_stop(&d->q, false);
    free(d);
}
