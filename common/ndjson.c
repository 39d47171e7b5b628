/*
 * ndjson.c — see ndjson.h.
 *
 * The reader keeps one buffer, [0, cap), holding [pos, fill) of inflated but
 * not yet returned bytes. To return a line it searches for '\n' in the
 * unread part; if there is none it moves the partial line to the front and
 * inflates more behind it, growing the buffer only when a single line is
 * longer than the buffer. So steady-state memory is the largest line plus
 * the 128 KiB input chunk.
 */
#include "ndjson.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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
    struct gzw *w = calloc(1, sizeof *w);
    if (!w || !(w->name = strdup(name ? name : "output"))) {
        free(w);
        err_set(e, ERR_FAIL, "out of memory");
        return NULL;
    }
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

struct ndr {
    int fd;
    char *name;
    z_stream z;
    bool gzip;      /* decided from the first bytes */
    bool started;   /* the format has been decided */
    bool in_member; /* inside a gzip member (between header and trailer) */
    bool in_eof;    /* the fd reached EOF */
    bool out_eof;   /* no more decompressed data will come */
    unsigned char in[NDR_IN];
    size_t in_len; /* bytes of in[] not yet consumed (at z.next_in) */
    char *buf;
    size_t cap, pos, fill, scan;
    size_t max_line;
    unsigned long lineno;
    uint64_t out_total, in_total;
    struct sha256 sha;
};

struct ndr *ndr_new(int fd, const char *name, size_t max_line, struct err *e)
{
    struct ndr *r = calloc(1, sizeof *r);
    if (!r || !(r->name = strdup(name ? name : "input"))) {
        free(r);
        close(fd);
        err_set(e, ERR_FAIL, "out of memory");
        return NULL;
    }
    r->fd = fd;
    r->max_line = max_line ? max_line : NDR_DEFAULT_MAX_LINE;
    sha256_init(&r->sha);
    if (inflateInit2(&r->z, 15 + 16) != Z_OK) {
        free(r->name);
        free(r);
        close(fd);
        err_set(e, ERR_FAIL, "cannot initialise zlib");
        return NULL;
    }
    return r;
}

static int fill_input(struct ndr *r, struct err *e)
{
    if (r->in_len && r->z.next_in != r->in)
        memmove(r->in, r->z.next_in, r->in_len);
    r->z.next_in = r->in;
    while (!r->in_eof && r->in_len < NDR_IN) {
        ssize_t n = read(r->fd, r->in + r->in_len, NDR_IN - r->in_len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return err_set(e, ERR_FAIL, "%s: read error: %s", r->name, strerror(errno));
        }
        if (n == 0) {
            r->in_eof = true;
            break;
        }
        sha256_update(&r->sha, r->in + r->in_len, (size_t)n);
        r->in_total += (uint64_t)n;
        r->in_len += (size_t)n;
        break; /* use whatever arrived: a pipe delivers in pieces */
    }
    r->z.avail_in = (uInt)r->in_len;
    return 0;
}

/* Appends more decompressed bytes to buf[fill..cap). Returns 0, or -1. */
static int produce(struct ndr *r, struct err *e)
{
    if (!r->started) {
        while (r->in_len < 2 && !r->in_eof)
            if (fill_input(r, e) < 0)
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
                r->out_eof = true;
                return 0;
            }
            if (fill_input(r, e) < 0)
                return -1;
            if (r->in_len == 0) {
                r->out_eof = true;
                return 0;
            }
        }
        size_t room = r->cap - r->fill;
        size_t take = r->in_len < room ? r->in_len : room;
        memcpy(r->buf + r->fill, r->z.next_in, take);
        r->z.next_in += take;
        r->in_len -= take;
        r->fill += take;
        r->out_total += take;
        return 0;
    }
    for (;;) {
        if (r->in_len == 0) {
            if (r->in_eof) {
                if (r->in_member)
                    return err_set(e, ERR_FAIL,
                                   "%s: the gzip stream is cut short (truncated file?) at "
                                   "line %lu",
                                   r->name, r->lineno + 1);
                r->out_eof = true;
                return 0;
            }
            if (fill_input(r, e) < 0)
                return -1;
            continue;
        }
        if (!r->in_member) {
            /* Another member follows only if it starts with the magic. */
            if (r->in_len < 2 && !r->in_eof) {
                if (fill_input(r, e) < 0)
                    return -1;
                continue;
            }
            if (r->in_len < 2 || r->z.next_in[0] != 0x1f || r->z.next_in[1] != 0x8b)
                return err_set(e, ERR_FAIL,
                               "%s: unexpected data after the end of the gzip stream "
                               "(at line %lu)",
                               r->name, r->lineno + 1);
            inflateReset(&r->z);
            r->in_member = true;
        }
        r->z.next_out = (unsigned char *)r->buf + r->fill;
        r->z.avail_out = (uInt)(r->cap - r->fill);
        unsigned char *before = r->z.next_in;
        int zr = inflate(&r->z, Z_NO_FLUSH);
        r->in_len -= (size_t)(r->z.next_in - before);
        size_t got = (r->cap - r->fill) - r->z.avail_out;
        r->fill += got;
        r->out_total += got;
        if (zr == Z_STREAM_END) {
            r->in_member = false;
        } else if (zr == Z_BUF_ERROR) {
            if (r->z.avail_out == 0)
                return 0;
            if (fill_input(r, e) < 0)
                return -1;
            if (r->in_len == 0 && r->in_eof)
                continue; /* reported as truncated above */
        } else if (zr != Z_OK) {
            return err_set(e, ERR_FAIL, "%s: corrupt gzip data at line %lu (%s)", r->name,
                           r->lineno + 1, r->z.msg ? r->z.msg : "inflate error");
        }
        if (got > 0)
            return 0;
    }
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
            char *nb = realloc(r->buf, ncap);
            if (!nb)
                return err_set(e, ERR_FAIL, "%s: out of memory at line %lu", r->name,
                               r->lineno + 1);
            r->buf = nb;
            r->cap = ncap;
        }
        if (produce(r, e) < 0)
            return -1;
    }
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
    return r->in_total;
}

void ndr_sha256(struct ndr *r, char out[65])
{
    struct sha256 copy = r->sha;
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
    inflateEnd(&r->z);
    close(r->fd);
    free(r->buf);
    free(r->name);
    free(r);
}
