/* repo.c — see repo.h. */
#include "repo.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool copy(char *dst, size_t dsz, const char *s, size_t n)
{
    if (n == 0 || n >= dsz)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

static bool host_is(const struct repo *r, const char *h)
{
    return strcasecmp(r->host, h) == 0 ||
           (strncasecmp(r->host, "www.", 4) == 0 && strcasecmp(r->host + 4, h) == 0);
}

/* Splits "a/b/c(.git)" into owner and name by the host's rules. */
static bool split_path(struct repo *r, const char *p, size_t n)
{
    /* Drop query/fragment, trailing slashes and a leading slash. */
    for (size_t i = 0; i < n; i++)
        if (p[i] == '?' || p[i] == '#') {
            n = i;
            break;
        }
    while (n && p[0] == '/')
        p++, n--;
    while (n && p[n - 1] == '/')
        n--;
    if (host_is(r, "gitlab.com") || !(host_is(r, "github.com") || host_is(r, "bitbucket.org"))) {
        /* GitLab: "/-/" starts the project's sub-pages. */
        for (size_t i = 0; i + 2 < n; i++)
            if (p[i] == '/' && p[i + 1] == '-' && p[i + 2] == '/') {
                n = i;
                break;
            }
    } else {
        /* GitHub, Bitbucket: owner/name, the rest is a link inside the repository. */
        size_t slashes = 0;
        for (size_t i = 0; i < n; i++)
            if (p[i] == '/' && ++slashes == 2) {
                n = i;
                break;
            }
    }
    if (n >= 4 && strncasecmp(p + n - 4, ".git", 4) == 0)
        n -= 4;
    const char *last = NULL;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '/')
            last = p + i;
    if (!last)
        return false;
    size_t owner_len = (size_t)(last - p);
    return copy(r->owner, sizeof r->owner, p, owner_len) &&
           copy(r->name, sizeof r->name, last + 1, n - owner_len - 1);
}

static bool has_prefix(const char *s, size_t n, const char *pre)
{
    size_t l = strlen(pre);
    return n >= l && strncasecmp(s, pre, l) == 0;
}

bool repo_parse(const char *s, size_t n, struct repo *r)
{
    memset(r, 0, sizeof *r);
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0)
        return false;

    static const struct {
        const char *prefix, *host;
    } shorthands[] = {
        {"github:", "github.com"},
        {"gitlab:", "gitlab.com"},
        {"bitbucket:", "bitbucket.org"},
    };
    for (size_t i = 0; i < sizeof shorthands / sizeof shorthands[0]; i++) {
        if (has_prefix(s, n, shorthands[i].prefix)) {
            size_t l = strlen(shorthands[i].prefix);
            snprintf(r->host, sizeof r->host, "%s", shorthands[i].host);
            return split_path(r, s + l, n - l);
        }
    }

    const char *scheme_end = NULL;
    for (size_t i = 0; i + 2 < n; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            scheme_end = s + i;
            break;
        }
        if (!(isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
            break;
    }
    if (scheme_end) {
        /* scheme://[user@]host[:port]/path */
        const char *a = scheme_end + 3, *end = s + n;
        const char *slash = memchr(a, '/', (size_t)(end - a));
        const char *auth_end = slash ? slash : end;
        const char *at = NULL;
        for (const char *q = a; q < auth_end; q++)
            if (*q == '@')
                at = q;
        const char *host = at ? at + 1 : a;
        const char *colon = memchr(host, ':', (size_t)(auth_end - host));
        const char *host_end = colon ? colon : auth_end;
        if (!copy(r->host, sizeof r->host, host, (size_t)(host_end - host)) || !slash)
            return false;
        return split_path(r, slash, (size_t)(end - slash));
    }

    /* scp-like: [user@]host:path — a colon before any slash, and a dot in the host. */
    const char *colon = memchr(s, ':', n);
    const char *slash = memchr(s, '/', n);
    if (colon && (!slash || colon < slash)) {
        const char *at = memchr(s, '@', (size_t)(colon - s));
        const char *host = at ? at + 1 : s;
        if (!memchr(host, '.', (size_t)(colon - host)) ||
            !copy(r->host, sizeof r->host, host, (size_t)(colon - host)))
            return false;
        return split_path(r, colon + 1, n - (size_t)(colon + 1 - s));
    }

    /* "owner/repo": npm's GitHub shorthand (exactly one slash). */
    if (slash && !memchr(slash + 1, '/', n - (size_t)(slash + 1 - s)) && s[0] != '.' &&
        s[0] != '/') {
        snprintf(r->host, sizeof r->host, "github.com");
        return split_path(r, s, n);
    }
    return false;
}
