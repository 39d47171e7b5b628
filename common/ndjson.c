/*
 * ndjson.c — see ndjson.h.
 *
 * The reader keeps one buffer, [0, cap), holding [pos, fill) of inflated but
 * not yet returned bytes. To return a line it searches for '\n' in the
 * unread part; if there is none it moves the partial line to the front and
 * appends more inflated bytes behind it, growing the buffer only when a
 * single line is longer than the buffer.
 *
 * Reading, hashing and inflating run on a worker thread, a little ahead of
 * the caller, so the caller's parsing and the inflating share the cores
 * instead of taking turns (zlib and SHA-256 are about a quarter of
 * transform's time). The worker fills a ring of NDR_CHUNKS chunks of
 * NDR_CHUNK inflated bytes and waits when none is free, so memory stays
 * bounded: the largest line, the 128 KiB input chunk and the 1 MiB ring.
 * The worker only records what went wrong; the caller reports it when it
 * reaches that point of the stream, with its own line number, so the
 * messages are those of a single-threaded reader.
 */
#include "ndjson.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "alloc.h"
#include "fsutil.h"
#include "sha256.h"

#define GZW_OUT (256 * 1024)

struct gzw {
    z_stream z;
    int fd;
    char *name;
    unsigned char out[GZW_OUT];
    uint64_t in_total, out_total;
    struct sha256 sha;
    char hex[65];
    bool finished;
};

struct gzw *gzw_new(int fd, int level, const char *name, struct err *e)
{
    struct gzw *w = xcalloc(1, sizeof *w);
    w->name = xstrdup(name ? name : "output");
    if (deflateInit2(&w->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(w->name);
        free(w);
        err_set(e, ERR_FAIL, "cannot initialise zlib");
        return NULL;
    }
    w->fd = fd;
    sha256_init(&w->sha);
    return w;
}

static int gzw_drain(struct gzw *w, int flush, struct err *e)
{
    int zr;
    do {
        w->z.next_out = w->out;
        w->z.avail_out = GZW_OUT;
        zr = deflate(&w->z, flush);
        if (zr == Z_STREAM_ERROR)
            return err_set(e, ERR_FAIL, "%s: zlib deflate failed", w->name);
        size_t have = GZW_OUT - w->z.avail_out;
        if (have) {
            if (write_all(w->fd, w->out, have, w->name, e) < 0)
                return -1;
            sha256_update(&w->sha, w->out, have);
            w->out_total += have;
        }
    } while (w->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    return 0;
}

int gzw_write(struct gzw *w, const void *data, size_t n, struct err *e)
{
    const unsigned char *p = data;
    if (w->finished)
        return err_set(e, ERR_FAIL, "%s: write after finish", w->name);
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        w->z.next_in = (unsigned char *)p;
        w->z.avail_in = chunk;
        if (gzw_drain(w, Z_NO_FLUSH, e) < 0)
            return -1;
        p += chunk;
        n -= chunk;
        w->in_total += chunk;
    }
    return 0;
}

int gzw_flush(struct gzw *w, struct err *e)
{
    if (w->finished)
        return 0;
    w->z.next_in = NULL;
    w->z.avail_in = 0;
    return gzw_drain(w, Z_SYNC_FLUSH, e);
}

int gzw_finish(struct gzw *w, struct err *e)
{
    if (w->finished)
        return 0;
    w->z.next_in = NULL;
    w->z.avail_in = 0;
    if (gzw_drain(w, Z_FINISH, e) < 0)
        return -1;
    w->finished = true;
    sha256_hex(&w->sha, w->hex);
    return 0;
}

uint64_t gzw_bytes_in(const struct gzw *w)
{
    return w->in_total;
}
uint64_t gzw_bytes_out(const struct gzw *w)
{
    return w->out_total;
}
const char *gzw_sha256(const struct gzw *w)
{
    return w->hex;
}

void gzw_free(struct gzw *w)
{
    if (!w)
        return;
    deflateEnd(&w->z);
    free(w->name);
    free(w);
}

/* ---- reader ---------------------------------------------------------- */

#define NDR_IN (128 * 1024)
#define NDR_MIN_BUF (256 * 1024)
#define NDR_CHUNK (256 * 1024)
#define NDR_CHUNKS 4

/* What the worker met; the caller words it (ndr_fail), with its line. */
enum ndr_werr { W_NONE, W_READ, W_TRUNCATED, W_TRAILING, W_CORRUPT, W_STOPPED };

struct chunk {
    char *p;
    size_t n;
};

struct ndr {
    int fd;
    char *name;
    char *buf;
    size_t cap, pos, fill, scan;
    size_t max_line;
    unsigned long lineno;
    uint64_t out_total;
    bool out_eof;                       /* no more decompressed data will come */
    size_t taken;                       /* bytes of ring[head] already copied into buf */
    const volatile sig_atomic_t *watch; /* ndr_watch: stop when it turns nonzero */

    /* The worker's own (the caller reads sha only once `done` is seen). */
    z_stream z;
    bool gzip;      /* decided from the first bytes */
    bool started;   /* the format has been decided */
    bool in_member; /* inside a gzip member (between header and trailer) */
    bool in_eof;    /* the fd reached EOF */
    bool w_eof;     /* everything is inflated */
    unsigned char in[NDR_IN];
    size_t in_len; /* bytes of in[] not yet consumed (at z.next_in) */
    struct sha256 sha;

    /* Shared, under mu. */
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct chunk ring[NDR_CHUNKS];
    size_t head, count; /* ring[head] is the oldest full chunk */
    bool done;          /* the worker pushed its last chunk */
    bool stop;          /* ndr_close: the worker must return */
    enum ndr_werr werr;
    int werrno;
    char wmsg[96];
    uint64_t in_total;
};

static void *worker(void *arg);

struct ndr *ndr_new(int fd, const char *name, size_t max_line, struct err *e)
{
    struct ndr *r = xcalloc(1, sizeof *r);
    r->name = xstrdup(name ? name : "input");
    r->fd = fd;
    r->max_line = max_line ? max_line : NDR_DEFAULT_MAX_LINE;
    sha256_init(&r->sha);
    bool zok = false, mu = false;
    for (int i = 0; i < NDR_CHUNKS; i++)
        r->ring[i].p = xmalloc(NDR_CHUNK);
    if (inflateInit2(&r->z, 15 + 16) != Z_OK) {
        err_set(e, ERR_FAIL, "cannot initialise zlib");
        goto fail;
    }
    zok = true;
    /* The caller waits in slices on the monotonic clock (see take). */
    pthread_condattr_t ca;
    bool cv_ok = pthread_condattr_init(&ca) == 0 &&
                 pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
                 pthread_cond_init(&r->cv, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!cv_ok || pthread_mutex_init(&r->mu, NULL) != 0) {
        if (cv_ok)
            pthread_cond_destroy(&r->cv);
        err_set(e, ERR_FAIL, "cannot initialise a lock");
        goto fail;
    }
    mu = true;
    int rc = pthread_create(&r->tid, NULL, worker, r);
    if (rc != 0) {
        err_set(e, ERR_FAIL, "%s: cannot start a reader thread: %s", r->name, strerror(rc));
        goto fail;
    }
    return r;
fail:
    if (mu) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
    }
    if (zok)
        inflateEnd(&r->z);
    for (int i = 0; i < NDR_CHUNKS; i++)
        free(r->ring[i].p);
    free(r->name);
    free(r);
    close(fd);
    return NULL;
}

/* ---- the worker: read, hash, inflate ---------------------------------- */

static int werr(struct ndr *r, enum ndr_werr w, int errnum, const char *msg)
{
    r->werr = w;
    r->werrno = errnum;
    snprintf(r->wmsg, sizeof r->wmsg, "%s", msg ? msg : "inflate error");
    return -1;
}

static bool stopping(struct ndr *r)
{
    pthread_mutex_lock(&r->mu);
    bool s = r->stop;
    pthread_mutex_unlock(&r->mu);
    return s;
}

static int fill_input(struct ndr *r)
{
    if (r->in_len && r->z.next_in != r->in)
        memmove(r->in, r->z.next_in, r->in_len);
    r->z.next_in = r->in;
    while (!r->in_eof && r->in_len < NDR_IN) {
        /* Never block for good: a stalled pipe must not keep ndr_close
         * (and so an interrupted program) waiting. */
        struct pollfd pfd = {r->fd, POLLIN, 0};
        int pr = poll(&pfd, 1, 200);
        if (pr < 0 && errno != EINTR)
            return werr(r, W_READ, errno, NULL);
        if (pr <= 0) {
            if (stopping(r))
                return werr(r, W_STOPPED, 0, NULL);
            continue;
        }
        ssize_t n = read(r->fd, r->in + r->in_len, NDR_IN - r->in_len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return werr(r, W_READ, errno, NULL);
        }
        if (n == 0) {
            r->in_eof = true;
            break;
        }
        sha256_update(&r->sha, r->in + r->in_len, (size_t)n);
        pthread_mutex_lock(&r->mu);
        r->in_total += (uint64_t)n;
        pthread_mutex_unlock(&r->mu);
        r->in_len += (size_t)n;
        break; /* use whatever arrived: a pipe delivers in pieces */
    }
    r->z.avail_in = (uInt)r->in_len;
    return 0;
}

/* Appends more decompressed bytes to out[*fill..cap); sets w_eof at the
 * end. Returns 0, or -1 with r->werr set. */
static int produce(struct ndr *r, char *out, size_t cap, size_t *fill)
{
    if (!r->started) {
        while (r->in_len < 2 && !r->in_eof)
            if (fill_input(r) < 0)
                return -1;
        r->started = true;
        r->gzip = r->in_len >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b;
        r->in_member = r->gzip;
        r->z.next_in = r->in;
        r->z.avail_in = (uInt)r->in_len;
    }
    if (!r->gzip) {
        if (r->in_len == 0) {
            if (r->in_eof) {
                r->w_eof = true;
                return 0;
            }
            if (fill_input(r) < 0)
                return -1;
            if (r->in_len == 0) {
                r->w_eof = true;
                return 0;
            }
        }
        size_t room = cap - *fill;
        size_t take = r->in_len < room ? r->in_len : room;
        memcpy(out + *fill, r->z.next_in, take);
        r->z.next_in += take;
        r->in_len -= take;
        *fill += take;
        return 0;
    }
    for (;;) {
        if (r->in_len == 0) {
            if (r->in_eof) {
                if (r->in_member)
                    return werr(r, W_TRUNCATED, 0, NULL);
                r->w_eof = true;
                return 0;
            }
            if (fill_input(r) < 0)
                return -1;
            continue;
        }
        if (!r->in_member) {
            /* Another member follows only if it starts with the magic. */
            if (r->in_len < 2 && !r->in_eof) {
                if (fill_input(r) < 0)
                    return -1;
                continue;
            }
            if (r->in_len < 2 || r->z.next_in[0] != 0x1f || r->z.next_in[1] != 0x8b)
                return werr(r, W_TRAILING, 0, NULL);
            inflateReset(&r->z);
            r->in_member = true;
        }
        r->z.next_out = (unsigned char *)out + *fill;
        r->z.avail_out = (uInt)(cap - *fill);
        unsigned char *before = r->z.next_in;
        int zr = inflate(&r->z, Z_NO_FLUSH);
        r->in_len -= (size_t)(r->z.next_in - before);
        size_t got = (cap - *fill) - r->z.avail_out;
        *fill += got;
        if (zr == Z_STREAM_END) {
            r->in_member = false;
        } else if (zr == Z_BUF_ERROR) {
            if (r->z.avail_out == 0)
                return 0;
            if (fill_input(r) < 0)
                return -1;
            if (r->in_len == 0 && r->in_eof)
                continue; /* reported as truncated above */
        } else if (zr != Z_OK) {
            return werr(r, W_CORRUPT, 0, r->z.msg);
        }
        if (got > 0)
            return 0;
    }
}

static void *worker(void *arg)
{
    struct ndr *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->count == NDR_CHUNKS && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        bool stop = r->stop;
        struct chunk *c = &r->ring[(r->head + r->count) % NDR_CHUNKS];
        pthread_mutex_unlock(&r->mu);
        if (stop)
            return NULL;
        /* The free slot is the worker's until it is pushed: the caller
         * reads only the `count` full ones from `head`. */
        size_t n = 0;
        int rc = 0;
        while (n < NDR_CHUNK && !r->w_eof && (rc = produce(r, c->p, NDR_CHUNK, &n)) == 0)
            ;
        c->n = n;
        pthread_mutex_lock(&r->mu);
        if (n)
            r->count++;
        bool last = rc < 0 || r->w_eof;
        if (last)
            r->done = true;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        if (last)
            return NULL;
    }
}

/* ---- the caller's side -------------------------------------------------- */

static int ndr_fail(struct ndr *r, struct err *e)
{
    switch (r->werr) {
    case W_READ: return err_set(e, ERR_FAIL, "%s: read error: %s", r->name, strerror(r->werrno));
    case W_TRUNCATED:
        return err_set(e, ERR_FAIL,
                       "%s: the gzip stream is cut short (truncated file?) at line %lu", r->name,
                       r->lineno + 1);
    case W_TRAILING:
        return err_set(e, ERR_FAIL,
                       "%s: unexpected data after the end of the gzip stream (at line %lu)",
                       r->name, r->lineno + 1);
    case W_STOPPED: return err_set(e, ERR_FAIL, "%s: reading was stopped", r->name);
    case W_CORRUPT:
    case W_NONE:
    default:
        return err_set(e, ERR_FAIL, "%s: corrupt gzip data at line %lu (%s)", r->name,
                       r->lineno + 1, r->wmsg);
    }
}

/* Copies inflated bytes from the worker's ring to buf[fill..cap), waiting
 * for them if need be. Returns 0 (out_eof set at the end), or -1. */
static int take(struct ndr *r, struct err *e)
{
    pthread_mutex_lock(&r->mu);
    while (r->count == 0 && !r->done) {
        if (r->watch && *r->watch) {
            pthread_mutex_unlock(&r->mu);
            return err_set(e, ERR_FAIL, "%s: interrupted", r->name);
        }
        /* Wait in slices of 0.2 s, to see the watched flag while the
         * input stalls. */
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += 200 * 1000 * 1000;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &t);
    }
    if (r->count == 0) {
        bool failed = r->werr != W_NONE;
        pthread_mutex_unlock(&r->mu);
        if (failed)
            return ndr_fail(r, e);
        r->out_eof = true;
        return 0;
    }
    struct chunk *c = &r->ring[r->head];
    pthread_mutex_unlock(&r->mu);
    size_t n = c->n - r->taken;
    if (n > r->cap - r->fill)
        n = r->cap - r->fill;
    memcpy(r->buf + r->fill, c->p + r->taken, n);
    r->fill += n;
    r->out_total += n;
    r->taken += n;
    if (r->taken == c->n) {
        r->taken = 0;
        pthread_mutex_lock(&r->mu);
        r->head = (r->head + 1) % NDR_CHUNKS;
        r->count--;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    return 0;
}

int ndr_next(struct ndr *r, const char **line, size_t *len, struct err *e)
{
    for (;;) {
        char *nl = r->fill > r->scan ? memchr(r->buf + r->scan, '\n', r->fill - r->scan) : NULL;
        if (nl) {
            *line = r->buf + r->pos;
            *len = (size_t)(nl - (r->buf + r->pos));
            if (*len && (*line)[*len - 1] == '\r')
                (*len)--;
            r->pos = r->scan = (size_t)(nl - r->buf) + 1;
            r->lineno++;
            return 1;
        }
        r->scan = r->fill;
        if (r->out_eof) {
            if (r->pos < r->fill) { /* last line without '\n' */
                *line = r->buf + r->pos;
                *len = r->fill - r->pos;
                r->pos = r->scan = r->fill;
                r->lineno++;
                return 1;
            }
            return 0;
        }
        /* Make room: move the partial line to the front, grow if it fills all. */
        if (r->pos > 0) {
            memmove(r->buf, r->buf + r->pos, r->fill - r->pos);
            r->fill -= r->pos;
            r->scan -= r->pos;
            r->pos = 0;
        }
        if (r->fill == r->cap) {
            if (r->cap >= r->max_line + 1)
                return err_set(e, ERR_FAIL, "%s: line %lu is longer than %zu bytes", r->name,
                               r->lineno + 1, r->max_line);
            size_t ncap = r->cap ? r->cap * 2 : NDR_MIN_BUF;
            if (ncap > r->max_line + 1)
                ncap = r->max_line + 1;
            r->buf = xrealloc(r->buf, ncap); /* doubling, capped at max_line + 1 */
            r->cap = ncap;
        }
        if (take(r, e) < 0)
            return -1;
    }
}

int ndr_next_piece(struct ndr *r, const char **p, size_t *len, bool *eol, struct err *e)
{
    for (;;) {
        char *nl = r->fill > r->scan ? memchr(r->buf + r->scan, '\n', r->fill - r->scan) : NULL;
        if (nl) {
            *p = r->buf + r->pos;
            *len = (size_t)(nl - (r->buf + r->pos));
            *eol = true;
            r->pos = r->scan = (size_t)(nl - r->buf) + 1;
            r->lineno++;
            return 1;
        }
        r->scan = r->fill;
        if (r->out_eof) {
            if (r->pos == r->fill)
                return 0;
            *p = r->buf + r->pos; /* the last line, without '\n' */
            *len = r->fill - r->pos;
            *eol = true;
            r->pos = r->scan = r->fill;
            r->lineno++;
            return 1;
        }
        if (r->pos > 0 && r->pos == r->fill)
            r->pos = r->scan = r->fill = 0;
        if (r->fill == r->cap) {
            if (r->cap == 0) {
                r->buf = xrealloc(r->buf, NDR_MIN_BUF);
                r->cap = NDR_MIN_BUF;
            } else { /* the buffer holds part of a line and nothing else: hand it out */
                *p = r->buf + r->pos;
                *len = r->fill - r->pos;
                *eol = false;
                r->pos = r->scan = r->fill;
                return 1;
            }
        }
        if (take(r, e) < 0)
            return -1;
    }
}

void ndr_watch(struct ndr *r, const volatile sig_atomic_t *flag)
{
    r->watch = flag;
}

unsigned long ndr_lineno(const struct ndr *r)
{
    return r->lineno;
}
uint64_t ndr_bytes_out(const struct ndr *r)
{
    return r->out_total;
}
uint64_t ndr_bytes_in(const struct ndr *r)
{
    pthread_mutex_lock((pthread_mutex_t *)&r->mu);
    uint64_t n = r->in_total;
    pthread_mutex_unlock((pthread_mutex_t *)&r->mu);
    return n;
}

void ndr_sha256(struct ndr *r, char out[65])
{
    /* Final once ndr_next returned 0: the worker set `done`, under mu,
     * after its last update. */
    pthread_mutex_lock(&r->mu);
    struct sha256 copy = r->sha;
    pthread_mutex_unlock(&r->mu);
    sha256_hex(&copy, out);
}

const char *ndr_name(const struct ndr *r)
{
    return r->name;
}

void ndr_close(struct ndr *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->tid, NULL);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    for (int i = 0; i < NDR_CHUNKS; i++)
        free(r->ring[i].p);
    inflateEnd(&r->z);
    close(r->fd);
    free(r->buf);
    free(r->name);
    free(r);
}
