/*
 * json_write.c — the JSON writer (json.h, tool 1): json_escape/json_quote
 * and struct jw.
 *
 * Correct by construction: jw tracks commas and nesting itself and refuses
 * (jw.err, sticky) a write that would make invalid JSON; every string is
 * escaped, and invalid UTF-8 is repaired byte by byte to U+FFFD with the
 * same UTF-8 rule the validators apply (json_bytes.h), so no input makes
 * the writer emit text the readers would refuse.
 */
#include "json.h"

#include <string.h>

#include "json_bytes.h"

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
