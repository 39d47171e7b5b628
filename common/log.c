/*
 * log.c — see log.h. Each line is assembled in a buffer, redacted, and
 * written with one write(2) so that lines from concurrent processes sharing
 * a terminal do not interleave mid-line.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "json.h"
#include "timeutil.h"

#define MAX_SECRETS 8

static const char *prog = "j1-npm";
static enum log_format format = LOG_TEXT;
static enum log_level level = LOG_INFO;
static char *secrets[MAX_SECRETS];
static size_t secret_len[MAX_SECRETS];
static void (*hook_before)(void), (*hook_after)(void);

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char *const text_names[] = {"error", "warning", "info", "debug"};

static void emit_at(enum log_level lvl, bool show, const char *members, const char *fmt,
                    va_list ap);

void log_setup(const char *program, enum log_format fmt, enum log_level lvl)
{
    prog = program;
    format = fmt;
    level = lvl;
}

int log_parse_format(const char *s, enum log_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = LOG_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = LOG_JSON;
    else
        return -1;
    return 0;
}

enum log_level log_get_level(void)
{
    return level;
}
enum log_format log_get_format(void)
{
    return format;
}
const char *log_program(void)
{
    return prog;
}
bool log_enabled(enum log_level lvl)
{
    return lvl <= level;
}

void log_add_redaction(const char *s, size_t n)
{
    if (n == 0) /* a secret of any length is redacted, however short */
        return;
    for (int i = 0; i < MAX_SECRETS; i++) {
        if (secrets[i] && secret_len[i] == n && memcmp(secrets[i], s, n) == 0)
            return;
        if (!secrets[i]) {
            secrets[i] = xmalloc(n);
            memcpy(secrets[i], s, n);
            secret_len[i] = n;
            return;
        }
    }
}

void log_clear_redactions(void)
{
    for (int i = 0; i < MAX_SECRETS; i++) {
        if (secrets[i]) {
            memset(secrets[i], 0, secret_len[i]);
            free(secrets[i]);
        }
        secrets[i] = NULL;
        secret_len[i] = 0;
    }
}

/* The one walk behind both redactors: hands out the text in pieces, each
 * secret (and any overlap or adjacency of secrets) as one "[REDACTED]". */
typedef void (*piece_fn)(void *ctx, const char *p, size_t n);

static void redact_walk(const char *s, size_t n, piece_fn put, void *ctx)
{
    /* Mark every byte that belongs to any occurrence of any secret, then
     * replace each marked run: overlapping or adjacent secrets leave no tail. */
    size_t covered = 0; /* bytes [.., covered) are inside a match */
    size_t i = 0, run = 0;
    bool in_match = false;
    while (i < n) {
        for (int k = 0; k < MAX_SECRETS; k++)
            if (secrets[k] && secret_len[k] <= n - i &&
                memcmp(s + i, secrets[k], secret_len[k]) == 0 && i + secret_len[k] > covered)
                covered = i + secret_len[k];
        bool inside = i < covered;
        if (inside && !in_match) {
            put(ctx, s + run, i - run);
            put(ctx, "[REDACTED]", 10);
        }
        if (!inside && in_match)
            run = i;
        in_match = inside;
        i++;
    }
    if (!in_match)
        put(ctx, s + run, n - run);
}

static void put_buf(void *ctx, const char *p, size_t n)
{
    buf_append(ctx, p, n);
}

void log_redact(const char *s, size_t n, struct buf *out)
{
    redact_walk(s, n, put_buf, out);
}

struct fixed {
    char *out;
    size_t cap, len;
};

static void put_fixed(void *ctx, const char *p, size_t n)
{
    struct fixed *f = ctx;
    size_t room = f->cap - 1 - f->len;
    if (n > room)
        n = room;
    memcpy(f->out + f->len, p, n);
    f->len += n;
    f->out[f->len] = '\0';
}

void log_redact_to(const char *s, size_t n, char *out, size_t cap)
{
    if (!cap)
        return;
    struct fixed f = {out, cap, 0};
    out[0] = '\0';
    redact_walk(s, n, put_fixed, &f);
}

bool log_has_secret(const char *s, size_t n)
{
    for (int k = 0; k < MAX_SECRETS; k++) {
        if (!secrets[k] || secret_len[k] > n)
            continue;
        const char *p = s, *last = s + (n - secret_len[k]);
        while (p <= last && (p = memchr(p, secrets[k][0], (size_t)(last - p) + 1))) {
            if (memcmp(p, secrets[k], secret_len[k]) == 0)
                return true;
            p++;
        }
    }
    return false;
}

static size_t longest_secret(void)
{
    size_t m = 0;
    for (int k = 0; k < MAX_SECRETS; k++)
        if (secrets[k] && secret_len[k] > m)
            m = secret_len[k];
    return m;
}

/* The first position >= i of s[0..n) where some secret could start (its
 * first byte), or n: memchr does the scanning, so a clean body costs a
 * pass per secret at memchr's speed. */
static size_t next_candidate(const char *s, size_t i, size_t n)
{
    size_t best = n;
    for (int k = 0; k < MAX_SECRETS && i < n; k++) {
        if (!secrets[k])
            continue;
        const char *q = memchr(s + i, secrets[k][0], best - i);
        if (q)
            best = (size_t)(q - s);
    }
    return best;
}

/* The secret that matches at s (longest first), or 0. */
static size_t match_at(const char *s, size_t n)
{
    size_t best = 0;
    for (int k = 0; k < MAX_SECRETS; k++)
        if (secrets[k] && secret_len[k] <= n && secret_len[k] > best &&
            memcmp(s, secrets[k], secret_len[k]) == 0)
            best = secret_len[k];
    return best;
}

/* Scans carry[0, limit) as redact_walk does — every secret, and any overlap
 * or adjacency of secrets, becomes one "[REDACTED]" — writing out what is
 * final. A secret is tested only where it fits in the carry, so limit
 * leaves room for the longest one (redact_feed) or is the end (redact_end).
 * On return carry[*run, limit) is clean text not yet written, unless
 * rs->in_match (then the run goes on past limit). */
static int redact_scan(struct redact_stream *rs, size_t limit, size_t *run, redact_put_fn put,
                       void *ctx, struct err *e)
{
    struct buf *w = &rs->carry;
    size_t i = 0;
    *run = 0;
    for (;;) {
        i = next_candidate(w->p, i, limit);
        size_t m = i < limit ? match_at(w->p + i, w->len - i) : 0;
        /* The run ends at covered once that byte was looked at and no
         * secret starts there (adjacent secrets make one run). */
        if (rs->in_match && rs->covered < limit && rs->covered <= i && !(i == rs->covered && m)) {
            rs->in_match = false;
            *run = rs->covered;
        }
        if (i >= limit)
            return 0;
        if (m && (!rs->in_match || i + m > rs->covered)) {
            if (!rs->in_match) {
                if (i > *run && put(ctx, w->p + *run, i - *run, e) < 0)
                    return -1;
                if (put(ctx, "[REDACTED]", 10, e) < 0)
                    return -1;
                rs->hits++;
                rs->in_match = true;
            }
            rs->covered = i + m;
        }
        i++;
    }
}

int redact_feed(struct redact_stream *rs, const char *p, size_t n, redact_put_fn put, void *ctx,
                struct err *e)
{
    /* Work on carry + p: a secret may start in one piece and end in the
     * next, so the last (longest secret - 1) bytes wait for more. */
    struct buf *w = &rs->carry;
    buf_append(w, p, n);
    size_t keep = longest_secret();
    keep = keep ? keep - 1 : 0;
    size_t safe = w->len > keep ? w->len - keep : 0, run;
    if (redact_scan(rs, safe, &run, put, ctx, e) < 0)
        return -1;
    /* [run, safe) is clean and final; inside a run, the bytes up to safe
     * are part of it. The rest waits for the next piece. */
    if (!rs->in_match && safe > run && put(ctx, w->p + run, safe - run, e) < 0)
        return -1;
    if (rs->in_match)
        rs->covered -= safe < rs->covered ? safe : rs->covered;
    memmove(w->p, w->p + safe, w->len - safe);
    w->len -= safe;
    w->p[w->len] = '\0';
    return 0;
}

int redact_end(struct redact_stream *rs, redact_put_fn put, void *ctx, struct err *e)
{
    struct buf *w = &rs->carry;
    size_t run;
    int rc = redact_scan(rs, w->len, &run, put, ctx, e);
    if (rc == 0 && rs->in_match) { /* every secret fits: the run ends here */
        rs->in_match = false;
        run = rs->covered;
    }
    if (rc == 0 && w->len > run)
        rc = put(ctx, w->p + run, w->len - run, e);
    buf_reset(w);
    rs->covered = 0;
    return rc;
}

void redact_free(struct redact_stream *rs)
{
    buf_free(&rs->carry);
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void log_escape_controls(const char *s, size_t n, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        /* Plain printable ASCII and valid UTF-8 other than C1 controls. */
        for (;;) {
            if (i >= n)
                break;
            if (p[i] >= 0x20 && p[i] < 0x7F) {
                i++;
                continue;
            }
            size_t len = p[i] >= 0x80 ? utf8_seq(p + i, n - i) : 0;
            if (len && !(len == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0)) {
                i += len;
                continue;
            }
            break;
        }
        buf_append(out, s + run, i - run);
        if (i >= n)
            break;
        unsigned char c = p[i];
        if (c == '\n')
            buf_puts(out, "\\n");
        else if (c == '\r')
            buf_puts(out, "\\r");
        else if (c == '\t')
            buf_puts(out, "\\t");
        else if (c == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] < 0xA0) {
            buf_printf(out, "\\u%04x", p[i + 1]); /* a C1 control, as UTF-8 */
            i++;
        } else
            buf_printf(out, "\\x%02x", c);
        i++;
    }
}

void log_set_hooks(void (*before)(void), void (*after)(void))
{
    hook_before = before;
    hook_after = after;
}

static void emit(enum log_level lvl, const char *members, const char *fmt, va_list ap)
{
    emit_at(lvl, lvl <= level, members, fmt, ap);
}

static void emit_at(enum log_level lvl, bool show, const char *members, const char *fmt, va_list ap)
{
    if (!show)
        return;
    struct buf raw = BUF_INIT, msg = BUF_INIT, line = BUF_INIT, clean = BUF_INIT;
    buf_vprintf(&raw, fmt, ap);
    /* Redact before JSON escaping too: an escaped secret no longer matches. */
    log_redact(raw.p, raw.len, &msg);
    buf_free(&raw);
    if (format == LOG_JSON) {
        char ts[32];
        struct jw w;
        time_iso8601(time_wall_ms(), ts);
        jw_init(&w, &line);
        jw_obj(&w);
        jw_kstr(&w, "time", ts);
        jw_kstr(&w, "level", level_names[lvl]);
        jw_kstr(&w, "program", prog);
        jw_key(&w, "msg");
        jw_strn(&w, msg.p, msg.len);
        if (members && *members) {
            buf_putc(&line, ',');
            buf_puts(&line, members);
        }
        buf_puts(&line, "}\n");
    } else {
        /* Messages quote outside data (subjects, server text): a newline
         * or a terminal escape in it must not forge a line or drive the
         * terminal. */
        struct buf safe = BUF_INIT;
        log_escape_controls(msg.p, msg.len, &safe);
        if (lvl == LOG_INFO)
            buf_printf(&line, "%s: %s\n", prog, safe.p);
        else
            buf_printf(&line, "%s: %s: %s\n", prog, text_names[lvl], safe.p);
        buf_free(&safe);
    }
    log_redact(line.p, line.len, &clean);
    if (hook_before)
        hook_before();
    if (clean.len) {
        ssize_t r = write(STDERR_FILENO, clean.p, clean.len);
        (void)r;
    }
    if (hook_after)
        hook_after();
    buf_free(&msg);
    buf_free(&line);
    buf_free(&clean);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, NULL, fmt, ap);
    va_end(ap);
}

void log_fields(enum log_level lvl, const char *members, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, members, fmt, ap);
    va_end(ap);
}

void log_summary(const char *members, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit_at(LOG_INFO, true, members, fmt, ap);
    va_end(ap);
}
