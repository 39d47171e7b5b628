/* secret.c — see secret.h. */
#include "secret.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "fsutil.h"
#include "log.h"

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

int secret_set(struct secret *s, const char *v, size_t n, const char *origin, struct err *e)
{
    while (n && (v[0] == ' ' || v[0] == '\t' || v[0] == '\r' || v[0] == '\n'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    if (n == 0)
        return err_set(e, ERR_USAGE, "%s is empty", origin);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x21 || c == 0x7f)
            return err_set(e, ERR_USAGE,
                           "%s holds a space or control character: it is not a valid credential",
                           origin);
    }
    secret_free(s);
    s->value = xmemdup0(v, n);
    s->len = n;
    snprintf(s->origin, sizeof s->origin, "%s", origin);
    log_add_redaction(s->value, s->len);
    return 0;
}

int secret_from_file(struct secret *s, const char *path, const char *what, struct err *e)
{
    struct buf b = BUF_INIT;
    struct stat st;
    char origin[256];
    snprintf(origin, sizeof origin, "%s file %s", what, path);
    if (read_file(path, 64 * 1024, &b, e) < 0) {
        buf_free(&b);
        e->cls = ERR_USAGE;
        return -1;
    }
    if (stat(path, &st) == 0 && (st.st_mode & 077))
        log_warn("%s is readable by other users (mode %03o); chmod 600 it", path,
                 (unsigned)(st.st_mode & 0777));
    /* The first line that is not blank (spaces, tabs and a CR, as an
     * editor on Windows leaves them, count as blank). */
    const char *p = b.p, *end = b.p + b.len;
    size_t n = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        bool blank = true;
        for (size_t i = 0; i < len && blank; i++)
            blank = p[i] == ' ' || p[i] == '\t' || p[i] == '\r';
        if (!blank) {
            n = len;
            break;
        }
        p += len + (nl ? 1 : 0);
    }
    int r = secret_set(s, p, n, origin, e);
    wipe(b.p, b.len);
    buf_free(&b);
    return r;
}

int secret_from_env(struct secret *s, const char *var, const char *what, struct err *e)
{
    const char *v = getenv(var);
    if (!v || !*v)
        return 0;
    char origin[256];
    snprintf(origin, sizeof origin, "%s from %s", what, var);
    return secret_set(s, v, strlen(v), origin, e) < 0 ? -1 : 1;
}

bool secret_present(const struct secret *s)
{
    return s->value && s->len;
}

void secret_free(struct secret *s)
{
    if (s->value) {
        wipe(s->value, s->len);
        free(s->value);
    }
    s->value = NULL;
    s->len = 0;
}
