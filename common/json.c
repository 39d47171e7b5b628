/*
 * json.c — see json.h for the three tools and why each exists.
 *
 * One grammar, written three times on purpose: the pointer scanner is the
 * fast path for documents already in memory, the push machine validates
 * bytes as they arrive from the network, and the writer's UTF-8 repair uses
 * the same byte classes. tests/unit/test_json.c feeds one corpus of valid and
 * invalid texts to both validators and checks they agree.
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

/* ---- UTF-8 --------------------------------------------------------------
 * Length of the valid UTF-8 sequence that starts at p (1..4), or 0 if the
 * bytes there are not valid UTF-8 (overlongs, surrogates, > U+10FFFF and
 * truncated sequences are all invalid). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* ---- writer ---------------------------------------------------------- */

int json_escape(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p > run)
            buf_append(b, run, (size_t)(p - run));
        if (p >= end)
            break;
        unsigned char c = *p;
        char esc[8];
        size_t elen = 2;
        esc[0] = '\\';
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
        } else if (c < 0x20) {
            switch (c) {
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default:
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                elen = 6;
            }
        } else {
            size_t ul = utf8_len(p, end);
            if (ul) {
                buf_append(b, p, ul);
                p += ul;
            } else {
                buf_append(b, "\xEF\xBF\xBD", 3); /* U+FFFD */
                p++;
            }
            continue;
        }
        buf_append(b, esc, elen);
        p++;
    }
    return 0;
}

int json_quote(struct buf *b, const char *s, size_t n)
{
    buf_putc(b, '"');
    json_escape(b, s, n);
    buf_putc(b, '"');
    return 0;
}

void jw_init(struct jw *w, struct buf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
    w->first[0] = 1;
}

/* Emits the separator a new value or key needs at the current position,
 * and refuses what would make invalid JSON: a value in an object without
 * its key, a key outside an object or twice in a row, a second top-level
 * value. */
static void jw_sep_as(struct jw *w, bool key)
{
    if (w->err)
        return;
    bool in_obj = w->depth > 0 && w->is_obj[w->depth];
    if (key ? (!in_obj || w->after_key) : (in_obj && !w->after_key)) {
        w->err = true;
        return;
    }
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth]) {
        if (w->depth == 0) {
            w->err = true;
            return;
        }
        buf_putc(w->b, ',');
    }
    w->first[w->depth] = 0;
}

static void jw_sep(struct jw *w)
{
    jw_sep_as(w, false);
}

static void jw_open(struct jw *w, char c)
{
    jw_sep(w);
    if (w->err)
        return;
    if (w->depth >= JSON_MAX_DEPTH) {
        w->err = true;
        return;
    }
    buf_putc(w->b, c);
    w->first[++w->depth] = 1;
    w->is_obj[w->depth] = c == '{';
}

static void jw_close(struct jw *w, char c)
{
    if (w->err)
        return;
    if (w->depth <= 0 || w->after_key || w->is_obj[w->depth] != (c == '}')) {
        w->err = true;
        return;
    }
    buf_putc(w->b, c);
    w->depth--;
}

void jw_obj(struct jw *w)
{
    jw_open(w, '{');
}
void jw_obj_end(struct jw *w)
{
    jw_close(w, '}');
}
void jw_arr(struct jw *w)
{
    jw_open(w, '[');
}
void jw_arr_end(struct jw *w)
{
    jw_close(w, ']');
}

void jw_keyn(struct jw *w, const char *k, size_t n)
{
    jw_sep_as(w, true);
    if (w->err)
        return;
    json_quote(w->b, k, n);
    buf_putc(w->b, ':');
    w->after_key = true;
}

void jw_key_raw(struct jw *w, const char *k, size_t n)
{
    jw_sep_as(w, true);
    if (w->err)
        return;
    buf_putc(w->b, '"');
    buf_append(w->b, k, n);
    buf_puts(w->b, "\":");
    w->after_key = true;
}

void jw_key(struct jw *w, const char *k)
{
    jw_keyn(w, k, strlen(k));
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
    jw_sep(w);
    if (!w->err)
        json_quote(w->b, s, n);
}

void jw_str(struct jw *w, const char *s)
{
    if (!s)
        jw_null(w);
    else
        jw_strn(w, s, strlen(s));
}

void jw_int(struct jw *w, long long v)
{
    jw_sep(w);
    if (!w->err)
        buf_printf(w->b, "%lld", v);
}

void jw_bool(struct jw *w, bool v)
{
    jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
    jw_raw(w, "null", 4);
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
    jw_sep(w);
    if (!w->err)
        buf_append(w->b, json, n);
}

void jw_kstr(struct jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v);
}
void jw_kint(struct jw *w, const char *k, long long v)
{
    jw_key(w, k);
    jw_int(w, v);
}
void jw_kbool(struct jw *w, const char *k, bool v)
{
    jw_key(w, k);
    jw_bool(w, v);
}

/* ---- pointer scanner ------------------------------------------------- */

/* clang-format off */
static const unsigned char str_plain[256] = {
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
    /* 0x00-0x1F: control characters must be escaped */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x20-0x2F: '"' (0x22) ends the string */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    P16,
    P16,
    /* 0x50-0x5F: '\\' (0x5C) starts an escape */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    P16,
    P16,
    /* 0x80-0xFF: UTF-8, checked separately */
#undef P16
};
/* clang-format on */

/* The end of the run of plain string bytes at p (at most end): the first
 * '"', '\\', control character or non-ASCII byte. Strings are most of a
 * package document's bytes (tarball URLs, integrity hashes, readmes), so
 * with SSE2 (every x86-64) this looks at 16 bytes a step. */
#if defined(__SSE2__)
#include <emmintrin.h>
static const char *plain_run(const char *p, const char *end)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  ctl = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash));
        /* unsigned v <= 0x1f exactly when max(v, 0x1f) == 0x1f */
        stop = _mm_or_si128(stop, _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
        /* the sign bit of v itself marks the bytes >= 0x80 */
        unsigned mask = (unsigned)_mm_movemask_epi8(stop) | (unsigned)_mm_movemask_epi8(v);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
    while (p < end && str_plain[(unsigned char)*p])
        p++;
    return p;
}
#else
static const char *plain_run(const char *p, const char *end)
{
    while (p + 8 <= end && str_plain[(unsigned char)p[0]] && str_plain[(unsigned char)p[1]] &&
           str_plain[(unsigned char)p[2]] && str_plain[(unsigned char)p[3]] &&
           str_plain[(unsigned char)p[4]] && str_plain[(unsigned char)p[5]] &&
           str_plain[(unsigned char)p[6]] && str_plain[(unsigned char)p[7]])
        p += 8;
    while (p < end && str_plain[(unsigned char)*p])
        p++;
    return p;
}
#endif

const char *json_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* p points just after the opening quote. */
static const char *skip_string(const char *p, const char *end, const char **bad)
{
    for (;;) {
        p = plain_run(p, end);
        if (p >= end)
            goto fail;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c == '\\') {
            if (p + 1 >= end)
                goto fail;
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't': p += 2; break;
            case 'u':
                if (end - p < 6 || !is_hex((unsigned char)p[2]) || !is_hex((unsigned char)p[3]) ||
                    !is_hex((unsigned char)p[4]) || !is_hex((unsigned char)p[5]))
                    goto fail;
                p += 6;
                break;
            default: goto fail;
            }
        } else if (c >= 0x80) {
            size_t n = utf8_len((const unsigned char *)p, (const unsigned char *)end);
            if (!n)
                goto fail;
            p += n;
        } else {
            goto fail; /* raw control character */
        }
    }
fail:
    if (bad)
        *bad = p;
    return NULL;
}

static const char *skip_number(const char *p, const char *end, const char **bad)
{
    const char *s = p;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        goto fail;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    else
        goto fail;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            goto fail;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            goto fail;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return p;
fail:
    if (bad)
        *bad = p < end ? p : s;
    return NULL;
}

static const char *skip_lit(const char *p, const char *end, const char *lit, size_t n,
                            const char **bad)
{
    if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0) {
        if (bad)
            *bad = p;
        return NULL;
    }
    return p + n;
}

static const char *skip_value(const char *p, const char *end, int depth, const char **bad)
{
    p = json_skip_ws(p, end);
    if (p >= end)
        goto fail;
    switch (*p) {
    case '{':
        if (depth >= JSON_MAX_DEPTH)
            goto fail;
        p = json_skip_ws(p + 1, end);
        if (p < end && *p == '}')
            return p + 1;
        for (;;) {
            if (p >= end || *p != '"')
                goto fail;
            if (!(p = skip_string(p + 1, end, bad)))
                return NULL;
            p = json_skip_ws(p, end);
            if (p >= end || *p != ':')
                goto fail;
            if (!(p = skip_value(p + 1, end, depth + 1, bad)))
                return NULL;
            p = json_skip_ws(p, end);
            if (p < end && *p == ',') {
                p = json_skip_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == '}')
                return p + 1;
            goto fail;
        }
    case '[':
        if (depth >= JSON_MAX_DEPTH)
            goto fail;
        p = json_skip_ws(p + 1, end);
        if (p < end && *p == ']')
            return p + 1;
        for (;;) {
            if (!(p = skip_value(p, end, depth + 1, bad)))
                return NULL;
            p = json_skip_ws(p, end);
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == ']')
                return p + 1;
            goto fail;
        }
    case '"': return skip_string(p + 1, end, bad);
    case 't': return skip_lit(p, end, "true", 4, bad);
    case 'f': return skip_lit(p, end, "false", 5, bad);
    case 'n': return skip_lit(p, end, "null", 4, bad);
    default: return skip_number(p, end, bad);
    }
fail:
    if (bad)
        *bad = p;
    return NULL;
}

const char *json_skip(const char *p, const char *end, const char **bad)
{
    return skip_value(p, end, 0, bad);
}

const char *json_walk_members(const char *p, const char *end, json_walk_fn fn, void *ctx,
                              const char **bad)
{
    p = json_skip_ws(p, end);
    if (p >= end || *p != '{')
        goto fail;
    p = json_skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return p + 1;
    for (;;) {
        if (p >= end || *p != '"')
            goto fail;
        const char *k = p + 1;
        if (!(p = skip_string(k, end, bad)))
            return NULL;
        size_t klen = (size_t)(p - 1 - k);
        p = json_skip_ws(p, end);
        if (p >= end || *p != ':')
            goto fail;
        const char *v = json_skip_ws(p + 1, end);
        if (!(p = fn(ctx, k, klen, v, end, bad)))
            return NULL;
        p = json_skip_ws(p, end);
        if (p < end && *p == ',') {
            p = json_skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}')
            return p + 1;
        goto fail;
    }
fail:
    if (bad)
        *bad = p;
    return NULL;
}

struct each_ctx {
    json_member_fn fn;
    void *ctx;
};

static const char *each_one(void *vctx, const char *k, size_t klen, const char *v, const char *end,
                            const char **bad)
{
    struct each_ctx *ec = vctx;
    const char *q = skip_value(v, end, 1, bad);
    if (q && ec->fn && ec->fn(ec->ctx, k, klen, v, (size_t)(q - v)) < 0) {
        if (bad)
            *bad = NULL;
        return NULL;
    }
    return q;
}

const char *json_each_member(const char *p, const char *end, json_member_fn fn, void *ctx,
                             const char **bad)
{
    struct each_ctx ec = {fn, ctx};
    return json_walk_members(p, end, each_one, &ec, bad);
}

bool json_key_is(const char *key, size_t klen, const char *s)
{
    size_t n = strlen(s);
    return klen == n && memcmp(key, s, n) == 0;
}

bool json_validate(const char *p, size_t n, size_t *bad_off)
{
    const char *end = p + n, *bad = p;
    const char *q = json_skip(p, end, &bad);
    if (q) {
        q = json_skip_ws(q, end);
        if (q == end)
            return true;
        bad = q;
    }
    if (bad_off)
        *bad_off = (size_t)(bad - p);
    return false;
}

/* ---- push validator -----------------------------------------------------
 * States name what the machine expects next. A number has no terminator of
 * its own, so the byte that ends it is processed again in S_AFTER. */
enum {
    S_VALUE,     /* any value */
    S_ARR_FIRST, /* a value or ']' */
    S_OBJ_FIRST, /* a key or '}' */
    S_OBJ_KEY,   /* a key */
    S_COLON,
    S_AFTER,    /* ',' or a closer, or the end */
    S_STR,      /* inside a string */
    S_STR_ESC,  /* after a backslash */
    S_STR_HEX,  /* inside \uXXXX */
    S_STR_UTF8, /* inside a multi-byte UTF-8 sequence */
    S_LIT,      /* inside true/false/null */
    S_N_MINUS,
    S_N_ZERO,
    S_N_INT,
    S_N_DOT,
    S_N_FRAC,
    S_N_E,
    S_N_ESIGN,
    S_N_EXP,
    S_DONE,
};

static const char *const literals[] = {"true", "false", "null"};

void jpush_init(struct jpush *v)
{
    memset(v, 0, sizeof *v);
    v->state = S_VALUE;
}

static bool push_is_obj(const struct jpush *v)
{
    int d = v->depth - 1;
    return (v->stack[d / 8] >> (d % 8)) & 1;
}

static bool push_open(struct jpush *v, bool obj)
{
    if (v->depth >= JSON_MAX_DEPTH)
        return false;
    int d = v->depth++;
    if (obj)
        v->stack[d / 8] |= (unsigned char)(1u << (d % 8));
    else
        v->stack[d / 8] &= (unsigned char)~(1u << (d % 8));
    v->state = obj ? S_OBJ_FIRST : S_ARR_FIRST;
    return true;
}

static void push_value_done(struct jpush *v)
{
    v->state = v->depth == 0 ? S_DONE : S_AFTER;
}

static bool push_start_value(struct jpush *v, unsigned char c)
{
    switch (c) {
    case '{': return push_open(v, true);
    case '[': return push_open(v, false);
    case '"':
        v->key = false;
        v->state = S_STR;
        return true;
    case 't': v->lit = 0; break;
    case 'f': v->lit = 1; break;
    case 'n': v->lit = 2; break;
    case '-': v->state = S_N_MINUS; return true;
    case '0': v->state = S_N_ZERO; return true;
    default:
        if (c >= '1' && c <= '9') {
            v->state = S_N_INT;
            return true;
        }
        return false;
    }
    v->lit_i = 1;
    v->state = S_LIT;
    return true;
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static bool push_byte(struct jpush *v, unsigned char c)
{
again:
    switch (v->state) {
    case S_VALUE:
        if (is_ws(c))
            return true;
        return push_start_value(v, c);
    case S_ARR_FIRST:
        if (is_ws(c))
            return true;
        if (c == ']') {
            v->depth--;
            push_value_done(v);
            return true;
        }
        return push_start_value(v, c);
    case S_OBJ_FIRST:
    case S_OBJ_KEY:
        if (is_ws(c))
            return true;
        if (c == '}' && v->state == S_OBJ_FIRST) {
            v->depth--;
            push_value_done(v);
            return true;
        }
        if (c != '"')
            return false;
        v->key = true;
        v->state = S_STR;
        return true;
    case S_COLON:
        if (is_ws(c))
            return true;
        if (c != ':')
            return false;
        v->state = S_VALUE;
        return true;
    case S_AFTER:
        if (is_ws(c))
            return true;
        if (c == ',') {
            v->state = push_is_obj(v) ? S_OBJ_KEY : S_VALUE;
            return true;
        }
        if (c == (push_is_obj(v) ? '}' : ']')) {
            v->depth--;
            push_value_done(v);
            return true;
        }
        return false;
    case S_DONE: return is_ws(c);
    case S_STR:
        if (c == '"') {
            if (v->key)
                v->state = S_COLON;
            else
                push_value_done(v);
            return true;
        }
        if (c == '\\') {
            v->state = S_STR_ESC;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c < 0x80)
            return true;
        /* The first byte of a multi-byte sequence decides the allowed
         * range of the second (no overlongs, surrogates or > U+10FFFF). */
        v->umin = 0x80;
        v->umax = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            v->ucont = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            v->ucont = 2;
            if (c == 0xE0)
                v->umin = 0xA0;
            else if (c == 0xED)
                v->umax = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            v->ucont = 3;
            if (c == 0xF0)
                v->umin = 0x90;
            else if (c == 0xF4)
                v->umax = 0x8F;
        } else
            return false;
        v->state = S_STR_UTF8;
        return true;
    case S_STR_UTF8:
        if (c < v->umin || c > v->umax)
            return false;
        v->umin = 0x80;
        v->umax = 0xBF;
        if (--v->ucont == 0)
            v->state = S_STR;
        return true;
    case S_STR_ESC:
        switch (c) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't': v->state = S_STR; return true;
        case 'u':
            v->hex = 4;
            v->state = S_STR_HEX;
            return true;
        default: return false;
        }
    case S_STR_HEX:
        if (!is_hex(c))
            return false;
        if (--v->hex == 0)
            v->state = S_STR;
        return true;
    case S_LIT: {
        const char *lit = literals[v->lit];
        if ((unsigned char)lit[v->lit_i] != c)
            return false;
        if (lit[++v->lit_i] == '\0')
            push_value_done(v);
        return true;
    }
    case S_N_MINUS:
        if (c == '0')
            v->state = S_N_ZERO;
        else if (c >= '1' && c <= '9')
            v->state = S_N_INT;
        else
            return false;
        return true;
    case S_N_ZERO:
    case S_N_INT:
        if (v->state == S_N_INT && c >= '0' && c <= '9')
            return true;
        if (c == '.') {
            v->state = S_N_DOT;
            return true;
        }
        if (c == 'e' || c == 'E') {
            v->state = S_N_E;
            return true;
        }
        push_value_done(v);
        goto again;
    case S_N_DOT:
        if (c < '0' || c > '9')
            return false;
        v->state = S_N_FRAC;
        return true;
    case S_N_FRAC:
        if (c >= '0' && c <= '9')
            return true;
        if (c == 'e' || c == 'E') {
            v->state = S_N_E;
            return true;
        }
        push_value_done(v);
        goto again;
    case S_N_E:
        if (c == '+' || c == '-') {
            v->state = S_N_ESIGN;
            return true;
        }
        /* fall through */
    case S_N_ESIGN:
        if (c < '0' || c > '9')
            return false;
        v->state = S_N_EXP;
        return true;
    case S_N_EXP:
        if (c >= '0' && c <= '9')
            return true;
        push_value_done(v);
        goto again;
    }
    return false;
}

bool jpush_feed(struct jpush *v, const void *data, size_t n)
{
    const unsigned char *p = data;
    if (v->failed)
        return false;
    for (size_t i = 0; i < n; i++) {
        /* Fast path: plain string bytes need no state change. */
        if (v->state == S_STR) {
            size_t j = (size_t)((const unsigned char *)plain_run((const char *)p + i,
                                                                 (const char *)p + n) -
                                p);
            v->off += j - i;
            i = j;
            if (i >= n)
                break;
        }
        if (!push_byte(v, p[i])) {
            v->failed = true;
            return false;
        }
        v->off++;
    }
    return true;
}

bool jpush_finish(struct jpush *v)
{
    if (v->failed)
        return false;
    switch (v->state) {
    case S_DONE: return true;
    case S_N_ZERO:
    case S_N_INT:
    case S_N_FRAC:
    case S_N_EXP: return v->depth == 0;
    default: return false;
    }
}

/* ---- reader ---------------------------------------------------------- */

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
