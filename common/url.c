/* url.c — see url.h. */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int url_parse(const char *s, struct url *u, struct err *e)
{
    char qb[ERR_QUOTE_MAX];
    const char *qs = err_quote(s, qb); /* the URL as quoted in messages */
    memset(u, 0, sizeof *u);
    const char *p = strstr(s, "://");
    if (!p || p == s || (size_t)(p - s) >= sizeof u->scheme)
        return err_set(e, ERR_USAGE, "'%s' is not a URL (expected http:// or https://)", qs);
    for (size_t i = 0; i < (size_t)(p - s); i++)
        u->scheme[i] = (char)tolower((unsigned char)s[i]);
    if (strcmp(u->scheme, "http") != 0 && strcmp(u->scheme, "https") != 0)
        return err_set(e, ERR_USAGE, "'%s': only http:// and https:// URLs are supported", qs);
    p += 3;
    const char *auth_end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(auth_end - p)))
        return err_set(e, ERR_USAGE,
                       "the URL must not carry credentials (user:password@); give the token "
                       "through the environment or a file");
    const char *host = p, *host_end;
    if (*p == '[') {
        host = p + 1;
        host_end = memchr(host, ']', (size_t)(auth_end - host));
        if (!host_end)
            return err_set(e, ERR_USAGE, "'%s': unterminated IPv6 address", qs);
        /* Hex digits, ':' and '.' (and a "%zone"): url_format brackets a
         * host that holds ':', so anything else would not parse back. */
        size_t v6 = strspn(host, "0123456789abcdefABCDEF:.");
        if (!memchr(host, ':', (size_t)(host_end - host)) ||
            (host + v6 != host_end && host[v6] != '%'))
            return err_set(e, ERR_USAGE, "'%s': bad IPv6 address", qs);
        p = host_end + 1;
    } else {
        host_end = p + strcspn(p, ":/?#");
        p = host_end;
    }
    size_t hl = (size_t)(host_end - host);
    if (hl == 0 || hl >= sizeof u->host)
        return err_set(e, ERR_USAGE, "'%s': missing or overlong host", qs);
    for (size_t i = 0; i < hl; i++)
        u->host[i] = (char)tolower((unsigned char)host[i]);
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 || (*end && *end != '/'))
            return err_set(e, ERR_USAGE, "'%s': bad port", qs);
        u->port = (int)port;
        p = end;
    }
    if (*p == '?' || *p == '#' || strpbrk(p, "?#"))
        return err_set(e, ERR_USAGE, "'%s': a base URL cannot have a query or fragment", qs);
    size_t pl = strlen(p);
    /* The limit applies to the path as stored (with its leading and
     * trailing '/'), so that the formatted URL parses again. */
    size_t stored = pl + (*p != '/') + (pl == 0 || p[pl - 1] != '/');
    if (stored + 2 >= sizeof u->path)
        return err_set(e, ERR_USAGE, "'%s': path too long", qs);
    size_t at = 0;
    if (*p != '/')
        u->path[at++] = '/';
    memcpy(u->path + at, p, pl + 1); /* fits: checked above */
    pl = strlen(u->path);
    if (u->path[pl - 1] != '/')
        u->path[pl] = '/';
    return 0;
}

int url_format(const struct url *u, struct buf *out)
{
    bool v6 = strchr(u->host, ':') != NULL;
    buf_printf(out, "%s://%s%s%s", u->scheme, v6 ? "[" : "", u->host, v6 ? "]" : "");
    if (u->port)
        buf_printf(out, ":%d", u->port);
    buf_puts(out, u->path);
    return 0;
}

bool url_host_is_loopback(const char *host)
{
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return true;
    /* Plain dotted decimal only: sscanf would skip spaces and signs, and
     * curl reads a leading 0 as octal ("0127.0.0.1" is 87.0.0.1). */
    if (host[strspn(host, "0123456789.")] != '\0')
        return false;
    for (const char *p = host; *p; p++)
        if (*p == '0' && (p == host || p[-1] == '.') && p[1] >= '0' && p[1] <= '9')
            return false;
    int a, b, c, d;
    char tail;
    if (sscanf(host, "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b >= 0 &&
        b <= 255 && c >= 0 && c <= 255 && d >= 0 && d <= 255)
        return true;
    return false;
}

int url_check_plain_http(const struct url *u, bool allow, const char *what, const char *shown,
                         const char *secret, const char *hint, struct err *e)
{
    if (strcmp(u->scheme, "http") != 0 || url_host_is_loopback(u->host) || allow)
        return 0;
    return err_set(e, ERR_USAGE, "%s %s is plain http: %s would travel in clear. Use https%s", what,
                   shown, secret, hint);
}

static int encode(struct buf *out, const char *s, bool package)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
            (package && c == '@' && p == (const unsigned char *)s)) {
            buf_putc(out, (char)c);
        } else if (package && c == '/') {
            buf_puts(out, "%2f");
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_append(out, enc, 3);
        }
    }
    return 0;
}

int url_encode(struct buf *out, const char *s)
{
    return encode(out, s, false);
}

int url_encode_package(struct buf *out, const char *name)
{
    return encode(out, name, true);
}
