/*
 * json_doc.c — the reader over jsmn (json.h, tool 3): struct jdoc, and
 * json_unescape, which decodes a string for it and for the walkers.
 *
 * jsmn's implementation is compiled here (and only here); it is run only on
 * text json_validate() accepted, so its leniency never matters.
 */
/* With parent links jsmn finds a token's container in O(1); without them
 * every ',' after a value scans back over the tokens before it, which made a
 * flat object of n members (a package's 3,000 collaborators) cost O(n^2).
 * json.h defines the same for everyone else: it changes jsmntok_t. */
#define JSMN_PARENT_LINKS
#include <jsmn.h> /* first: the implementation, not only the declarations */

#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

int jdoc_parse(struct jdoc *d, const char *js, size_t len, struct err *e)
{
    size_t bad = 0;
    d->js = js;
    d->len = len;
    d->n = 0;
    if (len >= INT_MAX)
        return err_set(e, ERR_FAIL, "JSON document too large (%zu bytes)", len);
    if (!json_validate(js, len, &bad))
        return err_set(e, ERR_FAIL, "invalid JSON at byte %zu", bad);
    jsmn_parser p;
    jsmn_init(&p);
    if (!d->cap) {
        d->cap = 64;
        d->t = xmalloc(d->cap * sizeof *d->t);
    }
    for (;;) {
        int r = jsmn_parse(&p, js, len, d->t, d->cap);
        if (r >= 0) {
            d->n = r;
            break;
        }
        if (r != JSMN_ERROR_NOMEM || d->cap > (unsigned)INT_MAX / 2)
            return err_set(e, ERR_FAIL, "JSON could not be tokenised (%d)", r);
        /* jsmn resumes where it stopped once given a larger array. */
        d->t = xreallocarray(d->t, (size_t)d->cap * 2, sizeof *d->t);
        d->cap *= 2;
    }
    if (d->n < 1)
        return err_set(e, ERR_FAIL, "empty JSON document");
    return 0;
}

void jdoc_free(struct jdoc *d)
{
    free(d->t);
    d->t = NULL;
    d->n = 0;
    d->cap = 0;
}

static bool jdoc_ok(const struct jdoc *d, int i)
{
    return i >= 0 && i < d->n;
}

int jdoc_next(const struct jdoc *d, int i)
{
    if (!jdoc_ok(d, i))
        return d->n;
    int end = d->t[i].end, j = i + 1;
    while (j < d->n && d->t[j].start < end)
        j++;
    return j;
}

bool jdoc_is(const struct jdoc *d, int i, enum jtype t)
{
    return jdoc_ok(d, i) && (int)d->t[i].type == (int)t;
}

int jdoc_first(const struct jdoc *d, int c)
{
    if (!jdoc_ok(d, c) || (d->t[c].type != JSMN_OBJECT && d->t[c].type != JSMN_ARRAY) ||
        d->t[c].size == 0 || c + 1 >= d->n)
        return -1;
    return c + 1;
}

int jdoc_after_elem(const struct jdoc *d, int c, int x)
{
    int j = jdoc_next(d, x);
    if (j >= d->n || d->t[j].start >= d->t[c].end)
        return -1;
    return j;
}

int jdoc_after_member(const struct jdoc *d, int c, int k)
{
    if (k + 1 >= d->n)
        return -1;
    return jdoc_after_elem(d, c, k + 1);
}

int jdoc_get(const struct jdoc *d, int obj, const char *key)
{
    if (!jdoc_is(d, obj, JT_OBJECT))
        return -1;
    for (int k = jdoc_first(d, obj); k > 0; k = jdoc_after_member(d, obj, k))
        if (k + 1 < d->n && jdoc_streq(d, k, key))
            return k + 1;
    return -1;
}

const char *jdoc_raw(const struct jdoc *d, int i, size_t *n)
{
    if (!jdoc_ok(d, i)) {
        *n = 0;
        return "";
    }
    *n = (size_t)(d->t[i].end - d->t[i].start);
    return d->js + d->t[i].start;
}

const char *jdoc_text(const struct jdoc *d, int i, size_t *n)
{
    if (!jdoc_ok(d, i)) {
        *n = 0;
        return "";
    }
    int s = d->t[i].start, e = d->t[i].end;
    if (d->t[i].type == JSMN_STRING) {
        s--;
        e++;
    }
    *n = (size_t)(e - s);
    return d->js + s;
}

static unsigned hexval(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (unsigned)(c - 'a' + 10);
    return (unsigned)(c - 'A' + 10);
}

static void put_utf8(struct buf *out, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_append(out, u, n);
}

int json_unescape(struct buf *out, const char *p, size_t n)
{
    const char *end = p + n;
    buf_reserve(out, n);
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        if (!bs) {
            buf_append(out, p, (size_t)(end - p));
            return 0;
        }
        buf_append(out, p, (size_t)(bs - p));
        p = bs + 1;
        if (p >= end)
            return -1;
        char c = *p++, r;
        switch (c) {
        case 'b': r = '\b'; break;
        case 'f': r = '\f'; break;
        case 'n': r = '\n'; break;
        case 'r': r = '\r'; break;
        case 't': r = '\t'; break;
        case 'u': {
            if (end - p < 4)
                return -1;
            unsigned cp = hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo =
                    hexval(p[2]) << 12 | hexval(p[3]) << 8 | hexval(p[4]) << 4 | hexval(p[5]);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD; /* a lone surrogate cannot be UTF-8 */
            put_utf8(out, cp);
            continue;
        }
        default: r = c; /* " \ / */
        }
        buf_putc(out, r);
    }
    return 0;
}

int jdoc_str(const struct jdoc *d, int i, struct buf *out)
{
    if (!jdoc_is(d, i, JT_STRING))
        return -1;
    size_t n;
    const char *p = jdoc_raw(d, i, &n);
    return json_unescape(out, p, n);
}

bool jdoc_streq(const struct jdoc *d, int i, const char *s)
{
    if (!jdoc_is(d, i, JT_STRING))
        return false;
    size_t n, sl = strlen(s);
    const char *p = jdoc_raw(d, i, &n);
    if (!memchr(p, '\\', n))
        return n == sl && memcmp(p, s, n) == 0;
    struct buf b = BUF_INIT;
    bool eq = json_unescape(&b, p, n) == 0 && b.len == sl && memcmp(b.p, s, sl) == 0;
    buf_free(&b);
    return eq;
}

int jdoc_i64(const struct jdoc *d, int i, long long *v)
{
    if (!jdoc_is(d, i, JT_PRIMITIVE))
        return -1;
    size_t n;
    const char *p = jdoc_raw(d, i, &n);
    char tmp[32];
    if (n == 0 || n >= sizeof tmp || !(p[0] == '-' || (p[0] >= '0' && p[0] <= '9')))
        return -1;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *endp;
    if (!strpbrk(tmp, ".eE")) {
        errno = 0;
        long long iv = strtoll(tmp, &endp, 10);
        if (*endp || errno)
            return -1;
        *v = iv;
        return 0;
    }
    double dv = strtod(tmp, &endp);
    if (*endp || dv < -9.2e18 || dv > 9.2e18)
        return -1;
    *v = (long long)dv;
    return 0;
}

int jdoc_bool(const struct jdoc *d, int i, bool *v)
{
    if (!jdoc_is(d, i, JT_PRIMITIVE))
        return -1;
    size_t n;
    const char *p = jdoc_raw(d, i, &n);
    if (n == 4 && memcmp(p, "true", 4) == 0)
        *v = true;
    else if (n == 5 && memcmp(p, "false", 5) == 0)
        *v = false;
    else
        return -1;
    return 0;
}

bool jdoc_is_null(const struct jdoc *d, int i)
{
    size_t n;
    if (!jdoc_is(d, i, JT_PRIMITIVE))
        return false;
    const char *p = jdoc_raw(d, i, &n);
    return n == 4 && memcmp(p, "null", 4) == 0;
}
