/* npmrc.c — see npmrc.h. */
#include "npmrc.h"

#include <ctype.h>
#include <stdbool.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int npmrc_nerf_dart(const struct url *u, struct buf *out)
{
    bool default_port = u->port == 0 || (strcmp(u->scheme, "https") == 0 && u->port == 443) ||
                        (strcmp(u->scheme, "http") == 0 && u->port == 80);
    bool v6 = strchr(u->host, ':') != NULL;
    buf_printf(out, "//%s%s%s", v6 ? "[" : "", u->host, v6 ? "]" : "");
    if (!default_port)
        buf_printf(out, ":%d", u->port);
    buf_puts(out, u->path);
    return 0;
}

int npmrc_expand(const char *v, size_t n, struct buf *out, char *missing, size_t missing_sz)
{
    size_t i = 0;
    while (i < n) {
        /* Count backslashes before a "${": an odd count escapes it. */
        size_t bs = 0;
        while (i + bs < n && v[i + bs] == '\\')
            bs++;
        if (i + bs + 1 < n && v[i + bs] == '$' && v[i + bs + 1] == '{') {
            const char *start = v + i + bs + 2;
            const char *close = memchr(start, '}', n - (i + bs + 2));
            if (close && close > start && !memchr(start, '$', (size_t)(close - start)) &&
                !memchr(start, '{', (size_t)(close - start))) {
                buf_append(out, v + i, bs / 2);
                size_t whole = (size_t)(close + 1 - (v + i + bs));
                if (bs % 2) {
                    buf_append(out, v + i + bs, whole);
                } else {
                    bool optional = close[-1] == '?';
                    size_t nl = (size_t)(close - start) - (optional ? 1 : 0);
                    char name[256];
                    if (nl >= sizeof name)
                        nl = sizeof name - 1;
                    memcpy(name, start, nl);
                    name[nl] = '\0';
                    const char *val = getenv(name);
                    if (val) {
                        buf_puts(out, val);
                    } else if (!optional) {
                        if (missing && !missing[0])
                            snprintf(missing, missing_sz, "%s", name);
                        buf_append(out, v + i + bs, whole);
                    }
                }
                i += bs + whole;
                continue;
            }
        }
        size_t take = bs ? bs : 1;
        buf_append(out, v + i, take);
        i += take;
    }
    return 0;
}

/* Trims and unquotes one ini value in place (returns the new bounds). */
static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t'))
        (*p)++, (*n)--;
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
        (*n)--;
}

int npmrc_get(const char *text, size_t n, const char *want, size_t wantlen, const char **out,
              size_t *outn)
{
    const char *line = text, *end = text + n;
    int found = 0;
    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t ll = eol ? (size_t)(eol - line) : (size_t)(end - line);
        const char *k = line;
        size_t kl = ll;
        trim(&k, &kl);
        const char *eq = kl ? memchr(k, '=', kl) : NULL;
        if (kl && k[0] != ';' && k[0] != '#' && eq) {
            const char *key = k, *v = eq + 1;
            size_t klen = (size_t)(eq - k), vl = kl - klen - 1;
            trim(&key, &klen);
            trim(&v, &vl);
            if (klen == wantlen && memcmp(key, want, wantlen) == 0) {
                if (vl >= 2 &&
                    ((v[0] == '"' && v[vl - 1] == '"') || (v[0] == '\'' && v[vl - 1] == '\''))) {
                    v++;
                    vl -= 2;
                }
                *out = v; /* npm's ini keeps the last line for a key */
                *outn = vl;
                found = 1;
            }
        }
        line = eol ? eol + 1 : end;
    }
    return found;
}

const char *npmrc_env_get(const char *key, char *name, size_t name_sz)
{
    static const char prefix[] = "npm_config_";
    size_t pl = sizeof prefix - 1, kl = strlen(key);
    const char *found = NULL;
    for (char **ep = environ; ep && *ep; ep++) {
        const char *var = *ep, *eq = strchr(var, '=');
        if (!eq || (size_t)(eq - var) != pl + kl || strncasecmp(var, prefix, pl) != 0 || !eq[1])
            continue;
        const char *rest = var + pl;
        bool nerf = kl >= 2 && rest[0] == '/' && rest[1] == '/';
        bool same = true;
        for (size_t i = 0; same && i < kl; i++) {
            char c = rest[i];
            if (!nerf) {
                if (i > 0 && c == '_')
                    c = '-';
                c = (char)tolower((unsigned char)c);
            }
            same = c == key[i];
        }
        if (same) {
            found = eq + 1; /* the later one wins, as in npm */
            snprintf(name, name_sz, "%.*s", (int)(eq - var), var);
        }
    }
    return found;
}

int npmrc_find_token(const char *text, size_t n, const struct url *registry, const char *origin,
                     struct secret *tok, struct err *e)
{
    struct buf nerf = BUF_INIT, val = BUF_INIT, key = BUF_INIT;
    int found = 0;
    npmrc_nerf_dart(registry, &nerf);
    /* Try "//host/a/b/", then "//host/a/", then "//host/". */
    size_t keylen = nerf.len;
    while (!found && keylen > 2) {
        const char *tv = NULL;
        size_t tvl = 0;
        buf_reset(&key);
        buf_append(&key, nerf.p, keylen);
        buf_puts(&key, ":_authToken");
        if (npmrc_get(text, n, key.p, key.len, &tv, &tvl)) {
            char missing[128] = "";
            buf_reset(&val);
            npmrc_expand(tv, tvl, &val, missing, sizeof missing);
            if (missing[0]) {
                found = err_set(e, ERR_USAGE,
                                "%s sets the token for %.*s from ${%s}, which is not set "
                                "in the environment",
                                origin, (int)keylen, nerf.p, missing);
            } else {
                char o[300];
                snprintf(o, sizeof o, "the token in %s", origin);
                found = secret_set(tok, val.p, val.len, o, e) < 0 ? -1 : 1;
            }
        }
        /* Drop the last path segment: "//h/a/b/" -> "//h/a/". */
        if (!found) {
            size_t i = keylen - 1;
            while (i > 2 && nerf.p[i - 1] != '/')
                i--;
            if (i <= 2 || i == keylen)
                break;
            keylen = i;
            /* Never strip into the host part. */
            if (memchr(nerf.p + 2, '/', keylen - 2) == NULL)
                break;
        }
    }
    if (val.p)
        memset(val.p, 0, val.len);
    buf_free(&val);
    buf_free(&key);
    buf_free(&nerf);
    return found;
}
