/*
 * err.c — see err.h. Formatting only; no allocation, so reporting an
 * out-of-memory condition cannot itself fail.
 *
 * A message often quotes a server's text, which may echo a credential. It
 * is formatted in full (up to ERR_WIDE bytes, on the stack), redacted, and
 * only then cut to fit msg: cutting first could leave a piece of a secret
 * that no longer matches it (the first 20 of a key's 49 characters).
 */
#include "err.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

#define ERR_WIDE 8192

int err_vset(struct err *e, enum err_class cls, const char *fmt, va_list ap)
{
    if (e) {
        char wide[ERR_WIDE];
        int n = vsnprintf(wide, sizeof wide, fmt, ap);
        size_t len = n < 0 ? 0 : (size_t)n >= sizeof wide ? sizeof wide - 1 : (size_t)n;
        e->cls = cls;
        log_redact_to(wide, len, e->msg, sizeof e->msg);
    }
    return -1;
}

int err_set(struct err *e, enum err_class cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, cls, fmt, ap);
    va_end(ap);
    return -1;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char prefix[256], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char joined[sizeof prefix + sizeof old + 2];
    memcpy(old, e->msg, sizeof old);
    snprintf(joined, sizeof joined, "%s: %s", prefix, old);
    memcpy(e->msg, joined, sizeof e->msg - 1);
    e->msg[sizeof e->msg - 1] = '\0';
    if (e->cls == ERR_NONE)
        e->cls = ERR_FAIL;
    return -1;
}

void err_clear(struct err *e)
{
    if (e) {
        e->cls = ERR_NONE;
        e->msg[0] = '\0';
    }
}

const char *err_quote(const char *s, char *out)
{
    size_t n = strlen(s);
    if (n < ERR_QUOTE_MAX)
        return s;
    /* 64 bytes, not cutting a UTF-8 sequence, then the length. */
    size_t k = 64;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    snprintf(out, ERR_QUOTE_MAX, "%.*s... (%zu bytes)", (int)k, s, n);
    return out;
}

bool err_vfirst(struct err *first, enum err_class cls, const char *fmt, va_list ap)
{
    if (first->cls != ERR_NONE)
        return false;
    err_vset(first, cls == ERR_NONE ? ERR_FAIL : cls, fmt, ap);
    return true;
}

bool err_first(struct err *first, enum err_class cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool set = err_vfirst(first, cls, fmt, ap);
    va_end(ap);
    return set;
}
