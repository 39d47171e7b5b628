/* deflater.c — see deflater.h. */
#include "deflater.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"

#define OUT_STEP ((size_t)64 << 10)
#define STACK ((size_t)256 << 10) /* zlib needs little; the default is 8 MB */

struct deflater {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool busy, quit;
    int rc; /* of the last finished job */
    /* the job */
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

static void *main_loop(void *arg)
{
    struct deflater *d = arg;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->busy && !d->quit)
            pthread_cond_wait(&d->cv, &d->mu);
        if (!d->busy)
            break; /* quit, and nothing left to do */
        pthread_mutex_unlock(&d->mu);
        int rc = deflater_run(d->z, d->out, d->in, d->n, d->flush);
        pthread_mutex_lock(&d->mu);
        d->rc = rc;
        d->busy = false;
        pthread_cond_broadcast(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

struct deflater *deflater_new(void)
{
    struct deflater *d = xcalloc(1, sizeof *d);
    if (pthread_mutex_init(&d->mu, NULL) != 0) {
        free(d);
        return NULL;
    }
    if (pthread_cond_init(&d->cv, NULL) != 0) {
        pthread_mutex_destroy(&d->mu);
        free(d);
        return NULL;
    }
    pthread_attr_t at;
    sigset_t all, old;
    sigfillset(&all);
    bool ok = pthread_attr_init(&at) == 0;
    if (ok) {
        pthread_attr_setstacksize(&at, STACK);
        pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread inherits the mask */
        ok = pthread_create(&d->th, &at, main_loop, d) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&at);
    }
    if (!ok) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        free(d);
        return NULL;
    }
    return d;
}

/* With d->mu held: waits for the running job; its result. */
static int wait_locked(struct deflater *d)
{
    while (d->busy)
        pthread_cond_wait(&d->cv, &d->mu);
    int rc = d->rc;
    d->rc = 0;
    return rc;
}

int deflater_post(struct deflater *d, z_stream *z, struct buf *out, const char *in, size_t n,
                  int flush)
{
    pthread_mutex_lock(&d->mu);
    int rc = wait_locked(d);
    if (rc == 0) {
        d->z = z;
        d->out = out;
        d->in = in;
        d->n = n;
        d->flush = flush;
        d->busy = true;
        pthread_cond_broadcast(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return rc < 0 ? -1 : 0;
}

int deflater_wait(struct deflater *d)
{
    pthread_mutex_lock(&d->mu);
    int rc = wait_locked(d);
    pthread_mutex_unlock(&d->mu);
    return rc < 0 ? -1 : 0;
}

void deflater_free(struct deflater *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    wait_locked(d);
    d->quit = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->th, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
