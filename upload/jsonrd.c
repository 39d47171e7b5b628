/*
 * jsonrd.c — see jsonrd.h.
 *
 * Finding where a value ends is a structural scan (strings, escapes,
 * bracket depth), not a validation: the caller's checker validates every
 * object strictly, and doing it twice would double the cost of the hot
 * path. A value wholly in the buffer is first tried with json.h's
 * validating json_skip, which is as fast; only a value cut by the
 * buffer's end (or invalid) takes the byte loop here. The same kind of
 * scan copies an element without its whitespace (minify_value), so the
 * checker and the batch read the short form. Strings are crossed with
 * memchr for the quote; a quote is escaped when an odd run of backslashes
 * precedes it.
 */
#include "jsonrd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "json.h"

#define RD_CHUNK ((size_t)64 << 10)

/* The buffer outlives the file: one allocation for the whole run, not one
 * fresh (and freshly faulted-in) mapping for each of hundreds of files. */
int rd_open(struct rd *r, const char *path, struct err *e)
{
    char *keep = r->buf;
    size_t keep_cap = r->cap;
    memset(r, 0, sizeof *r);
    r->buf = keep;
    r->cap = keep_cap;
    r->fd = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(e, ERR_FAIL, "%s is not a regular file", path);
    }
    r->fd = fd;
    return 0;
}

void rd_close(struct rd *r)
{
    if (r->fd >= 0)
        close(r->fd);
    char *keep = r->buf;
    size_t keep_cap = r->cap;
    if (keep_cap > 2 * RD_CHUNK) { /* grown for one large object: not kept */
        free(keep);
        keep = NULL;
        keep_cap = 0;
    }
    memset(r, 0, sizeof *r);
    r->buf = keep;
    r->cap = keep_cap;
    r->fd = -1;
}

void rd_free(struct rd *r)
{
    rd_close(r);
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

/* Reads more input, keeping buf[pos, len). Returns bytes read (0 at end). */
static ssize_t rd_more(struct rd *r, const char *name, struct err *e)
{
    if (r->eof)
        return 0;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->base += r->pos;
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->cap - r->len < RD_CHUNK / 2) {
        size_t ncap = r->cap ? r->cap * 2 : RD_CHUNK;
        if (ncap > SOURCE_MAX_OBJECT + RD_CHUNK) {
            err_set(e, ERR_FAIL, "%s: an object at byte %llu is larger than %zu MiB", name,
                    (unsigned long long)r->base, SOURCE_MAX_OBJECT >> 20);
            return -1;
        }
        r->buf = xrealloc(r->buf, ncap);
        r->cap = ncap;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set(e, ERR_FAIL, "cannot read %s: %s", name, strerror(errno));
            return -1;
        }
        if (n == 0)
            r->eof = true;
        r->len += (size_t)n;
        return n;
    }
}

static bool is_ws(char c)
{
    return rd_is_ws(c);
}

int rd_peek_more(struct rd *r, const char *name, char *c, struct err *e)
{
    for (;;) {
        while (r->pos < r->len && is_ws(r->buf[r->pos]))
            r->pos++;
        if (r->pos < r->len) {
            *c = r->buf[r->pos];
            return 1;
        }
        ssize_t n = rd_more(r, name, e);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
    }
}

/* Inside a string at b[i] (*esc: b[i] is escaped): the index just after
 * the closing quote (*closed), or len when the string goes on past the
 * data (*esc then says whether the next byte is escaped). Quotes are found
 * with memchr; one is escaped when an odd run of backslashes precedes it. */
static size_t string_end(const char *b, size_t i, size_t len, bool *esc, bool *closed)
{
    *closed = false;
    if (*esc) {
        if (i >= len)
            return len;
        i++;
        *esc = false;
    }
    size_t start = i;
    for (;;) {
        const char *q = memchr(b + i, '"', len - i);
        size_t qi = q ? (size_t)(q - b) : len, k = qi;
        while (k > start && b[k - 1] == '\\')
            k--;
        if (!q) {
            *esc = (len - k) % 2 == 1;
            return len;
        }
        if ((qi - k) % 2 == 0) {
            *closed = true;
            return qi + 1;
        }
        i = start = qi + 1; /* an escaped quote */
    }
}

/* Scans one JSON value starting at buf[pos] (not whitespace). keep: hand it
 * out in *p and *n (valid until the next read); else discard it as it goes. */
int rd_value(struct rd *r, const char *name, bool keep, const char **p, size_t *n, struct err *e)
{
    size_t i = r->pos;
    int depth = 0;
    bool in_str = false, esc = false;
    char first = r->buf[r->pos];
    bool primitive = first != '{' && first != '[' && first != '"';
    if (!primitive) {
        /* Fast path: the whole value is in the buffer and valid, which the
         * validating scanner finds at its own speed. Anything else (cut by
         * the buffer's end, or invalid) takes the byte loop below, which
         * needs no more than bracket structure to find the end. */
        const char *q = json_skip(r->buf + r->pos, r->buf + r->len, NULL);
        if (q) {
            i = (size_t)(q - r->buf);
            goto done;
        }
    }
    for (;;) {
        const char *b = r->buf;
        while (i < r->len) {
            if (in_str) {
                bool closed;
                i = string_end(b, i, r->len, &esc, &closed);
                if (!closed)
                    break;
                in_str = false;
                if (depth == 0) /* the value was this string */
                    goto done;
                continue;
            }
            char c = b[i];
            if (primitive) {
                if (c == ',' || c == ']' || c == '}' || is_ws(c))
                    goto done;
                i++;
                continue;
            }
            i++;
            if (c == '"')
                in_str = true;
            else if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                goto done;
        }
        size_t off = i - r->pos;
        if (!keep) {
            r->pos = i;
            off = 0;
        }
        ssize_t got = rd_more(r, name, e);
        if (got < 0)
            return -1;
        i = r->pos + off;
        if (got == 0) {
            if (primitive)
                goto done;
            return err_set(e, ERR_FAIL, "%s: the file ends in the middle of a value (cut short?)",
                           name);
        }
    }
done:
    if (keep) {
        *p = r->buf + r->pos;
        *n = i - r->pos;
    }
    r->pos = i;
    return 0;
}

/* Reads a member name (raw, between quotes) into key (cut at its size). */
int rd_key(struct rd *r, const char *name, char *key, size_t ksz, struct err *e)
{
    const char *p = NULL;
    size_t n = 0;
    if (rd_value(r, name, true, &p, &n, e) < 0)
        return -1;
    size_t kl = p && n >= 2 ? n - 2 : 0;
    if (kl >= ksz)
        kl = ksz - 1;
    if (p && kl)
        memcpy(key, p + 1, kl);
    key[kl] = '\0';
    return 0;
}

/* A byte that can end or start a number or a literal (true, false, null). */
static bool scalar_byte(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '+' || c == '.';
}

/* Copies the object or array at b[i] (i < len) into out without the
 * whitespace outside strings, so that the checker and the batch see each
 * object once more, not twice, and in its short form (the SDK's files are
 * pretty-printed, a third of them whitespace). Returns 1 and *next (the
 * index after it); 0 when the data ends first; -1 when whitespace joins two
 * numbers or literals, which dropping it would merge into a different text
 * (the caller then hands out the text as it is, for the checker to refuse).
 * It does not validate: the checker does, on what this writes. */
static int minify_value(const char *b, size_t i, size_t len, struct buf *out, size_t *next)
{
    buf_reserve(out, len - i);
    char *o = out->p + out->len, prev = 0;
    bool ws = false;
    int depth = 0;
    while (i < len) {
        char c = b[i];
        if (c == '"') {
            bool esc = false, closed;
            size_t q = string_end(b, i + 1, len, &esc, &closed);
            if (!closed)
                return 0;
            memcpy(o, b + i, q - i);
            o += q - i;
            i = q;
            prev = '"';
            ws = false;
            continue;
        }
        i++;
        if (is_ws(c)) {
            ws = true;
            continue;
        }
        if (ws && scalar_byte(prev) && scalar_byte(c))
            return -1;
        ws = false;
        *o++ = prev = c;
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth <= 0) {
                out->len = (size_t)(o - out->p);
                out->p[out->len] = '\0';
                *next = i;
                return depth == 0 ? 1 : -1;
            }
        }
    }
    return 0;
}

/* The next array element, handed out minified (when it is an object or
 * array that can be) or as it is. */
int rd_element(struct rd *r, const char *name, struct buf *min, struct source_obj *o, struct err *e)
{
    char first = r->buf[r->pos];
    if (first == '{' || first == '[') {
        size_t next;
        buf_reset(min);
        int m = minify_value(r->buf, r->pos, r->len, min, &next);
        if (m == 1) { /* the common case: the element is in the buffer */
            o->text = min->p;
            o->len = min->len;
            o->minified = true;
            r->pos = next;
            return 0;
        }
        if (m == 0) { /* cut by the buffer's end: find its end, then minify it whole */
            const char *p = NULL;
            size_t n = 0;
            if (rd_value(r, name, true, &p, &n, e) < 0)
                return -1;
            buf_reset(min);
            size_t at = p ? (size_t)(p - r->buf) : 0;
            if (p && minify_value(r->buf, at, at + n, min, &next) == 1 && next == at + n) {
                o->text = min->p;
                o->len = min->len;
                o->minified = true;
            } else {
                o->text = p;
                o->len = n;
                o->minified = false;
            }
            return 0;
        }
    }
    o->minified = false;
    return rd_value(r, name, true, &o->text, &o->len, e);
}
