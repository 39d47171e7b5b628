/* config.c — see config.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"
#include "npmrc.h"
#include "url.h"

#define DEFAULT_REGISTRY "https://registry.npmjs.org/"

int config_registry(const char *flag, bool allow_insecure, struct buf *out, struct err *e)
{
    const char *r = flag;
    const char *from = "--registry";
    if (!r || !*r) {
        r = getenv("npm_config_registry");
        from = "npm_config_registry";
    }
    if (!r || !*r) {
        r = getenv("NPM_CONFIG_REGISTRY");
        from = "NPM_CONFIG_REGISTRY";
    }
    if (!r || !*r) {
        r = DEFAULT_REGISTRY;
        from = "the default";
    }
    struct url u;
    if (url_parse(r, &u, e) < 0)
        return err_wrap(e, "registry from %s", from);
    char qb[ERR_QUOTE_MAX];
    if (url_check_plain_http(&u, allow_insecure, "the registry", err_quote(r, qb), "the token",
                             ", or pass --allow-insecure-http if you really mean it", e) < 0)
        return -1;
    url_format(&u, out);
    return 0;
}

static int from_npmrc(const char *registry, struct secret *tok, char *where, size_t wsz,
                      struct err *e)
{
    const char *path = getenv("NPM_CONFIG_USERCONFIG");
    if (!path || !*path)
        path = getenv("npm_config_userconfig");
    char *home_path = NULL;
    if (!path || !*path) {
        const char *home = getenv("HOME");
        if (!home || !*home)
            return 0;
        home_path = path_join(home, ".npmrc");
        path = home_path;
    }
    snprintf(where, wsz, "%s", path);
    struct buf text = BUF_INIT;
    struct err fe = {0};
    int rc = 0;
    if (read_file(path, 1 << 20, &text, &fe) == 0) {
        struct url u;
        if (url_parse(registry, &u, e) < 0)
            rc = -1;
        else
            rc = npmrc_find_token(text.p, text.len, &u, path, tok, e);
    }
    /* A missing or unreadable user config simply holds no token. */
    memset(text.p, 0, text.len);
    buf_free(&text);
    free(home_path);
    return rc;
}

int config_token(const char *token_file, const char *registry, struct secret *tok, struct err *e)
{
    if (token_file)
        return secret_from_file(tok, token_file, "the token", e);
    int r = secret_from_env(tok, "NPM_TOKEN", "the token", e);
    if (r != 0)
        return r < 0 ? -1 : 0;
    char where[512] = "~/.npmrc";
    r = from_npmrc(registry, tok, where, sizeof where, e);
    if (r < 0)
        return -1;
    if (r == 0)
        return err_set(e, ERR_USAGE,
                       "no npm token: set NPM_TOKEN, pass --token-file FILE, or log in with npm "
                       "so that %s holds a token for %s (a read-only token is enough: "
                       "`npm token create --read-only`)",
                       where, registry);
    return 0;
}
