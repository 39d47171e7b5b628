/*
 * redact.c — secret redaction (common/log.c) over any text and any secrets.
 *
 * The input is cut at NUL bytes: up to three secrets, then the text. The
 * invariant: no registered secret appears in what log_redact or
 * log_redact_to (any output size) write, whatever the text — overlapping,
 * adjacent, repeated or nested secrets, secrets cut by the output size.
 * log_redact_to's output is a prefix of log_redact's, and the streaming
 * redactor (redact_feed, which collect runs over bodies as they download)
 * writes exactly what log_redact writes, however the text is cut into
 * pieces, counting a hit iff log_has_secret says there is one. One honest
 * exception: a secret that could be spelled by the marker "[REDACTED]"
 * itself with its neighbours (one holding '[' or ']', or a piece of
 * "REDACTED") is not tested — real tokens are neither.
 * log_escape_controls leaves no control byte and no invalid UTF-8, and
 * err_quote (outside values in messages) stays within ERR_QUOTE_MAX.
 */
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "log.h"

static int put_buf(void *ctx, const char *p, size_t n, struct err *e)
{
    (void)e;
    buf_append(ctx, p, n);
    return 0;
}

static bool marker_can_spell(const char *s, size_t n)
{
    static const char m[] = "REDACTED";
    if (memchr(s, '[', n) || memchr(s, ']', n))
        return true;
    for (size_t i = 0; i + n <= sizeof m - 1; i++)
        if (memcmp(m + i, s, n) == 0)
            return true;
    return false;
}

static bool holds(const char *h, size_t hn, const char *s, size_t n)
{
    for (size_t i = 0; n && i + n <= hn; i++)
        if (memcmp(h + i, s, n) == 0)
            return true;
    return false;
}

/* Valid UTF-8 and no control character (C0, DEL, C1). */
static void check_escaped(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        FUZZ_CHECK(c >= 0x20 && c != 0x7f);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        FUZZ_CHECK(len && i + len <= n);
        for (size_t k = 1; k < len; k++)
            FUZZ_CHECK((s[i + k] & 0xc0) == 0x80);
        if (len == 2)
            FUZZ_CHECK(c >= 0xc2 && !(c == 0xc2 && s[i + 1] < 0xa0)); /* no overlong, no C1 */
        i += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    const char *sec[3];
    size_t slen[3];
    int nsec = 0;
    while (nsec < 3) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        if (!z)
            break;
        sec[nsec] = p;
        slen[nsec++] = (size_t)(z - p);
        p = z + 1;
    }
    const char *text = p;
    size_t tn = (size_t)(end - p);

    log_clear_redactions();
    for (int i = 0; i < nsec; i++)
        log_add_redaction(sec[i], slen[i]);

    struct buf out = BUF_INIT;
    log_redact(text, tn, &out);
    for (int i = 0; i < nsec; i++)
        if (slen[i] && !marker_can_spell(sec[i], slen[i]))
            FUZZ_CHECK(!holds(out.p, out.len, sec[i], slen[i]));
    bool any = false;
    for (int i = 0; i < nsec; i++)
        any |= slen[i] > 0 && holds(text, tn, sec[i], slen[i]);
    if (!any)
        FUZZ_CHECK(out.len == tn && memcmp(out.p, text, tn) == 0);

    size_t caps[] = {1, 2, 11, 21, 64, (size_t)(tn + 1), (size_t)(size % 97 + 1)};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        size_t cap = caps[c];
        char *fixed = malloc(cap);
        FUZZ_CHECK(fixed != NULL);
        log_redact_to(text, tn, fixed, cap);
        size_t fl = strnlen(fixed, cap);
        FUZZ_CHECK(fl < cap);
        /* A prefix of the full redaction (up to a NUL of the text itself). */
        FUZZ_CHECK(fl <= out.len && memcmp(fixed, out.p, fl) == 0);
        for (int i = 0; i < nsec; i++)
            if (slen[i] && !marker_can_spell(sec[i], slen[i]))
                FUZZ_CHECK(!holds(fixed, fl, sec[i], slen[i]));
        free(fixed);
    }

    /* The same text in pieces of sizes taken from the input. */
    struct redact_stream rs = REDACT_STREAM_INIT;
    struct buf streamed = BUF_INIT;
    struct err e = {0};
    unsigned seed = size ? data[0] : 1;
    for (size_t off = 0; off < tn;) {
        size_t k = 1 + seed % 13u;
        seed = seed * 1103515245u + 12345u;
        if (k > tn - off)
            k = tn - off;
        FUZZ_CHECK(redact_feed(&rs, text + off, k, put_buf, &streamed, &e) == 0);
        off += k;
    }
    FUZZ_CHECK(redact_end(&rs, put_buf, &streamed, &e) == 0);
    FUZZ_CHECK(streamed.len == out.len && memcmp(streamed.p, out.p, out.len) == 0);
    FUZZ_CHECK((rs.hits > 0) == any);
    FUZZ_CHECK(log_has_secret(text, tn) == any);
    redact_free(&rs);
    buf_free(&streamed);

    if (!memchr(text, '\0', tn)) {
        char qb[ERR_QUOTE_MAX];
        char *z = malloc(tn + 1);
        FUZZ_CHECK(z != NULL);
        memcpy(z, text, tn);
        z[tn] = '\0';
        const char *q = err_quote(z, qb);
        size_t ql = strlen(q);
        FUZZ_CHECK(q == z ? ql == tn : ql < ERR_QUOTE_MAX);
        free(z);
    }

    struct buf esc = BUF_INIT;
    log_escape_controls(text, tn, &esc);
    check_escaped((const unsigned char *)esc.p, esc.len);
    buf_free(&esc);
    buf_free(&out);
    log_clear_redactions();
    return 0;
}
