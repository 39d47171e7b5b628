/* config.c — see config.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fsutil.h"
#include "log.h"
#include "npmrc.h"
#include "url.h"

#define DEFAULT_REGISTRY "https://registry.npmjs.org/"

/* The user config's path (a new string), or NULL when there is none to
 * look at (no HOME). */
static char *userconfig_path(void)
{
    const char *path = getenv("NPM_CONFIG_USERCONFIG");
    if (!path || !*path)
        path = getenv("npm_config_userconfig");
    if (path && *path)
        return xstrdup(path);
    const char *home = getenv("HOME");
    return home && *home ? path_join(home, ".npmrc") : NULL;
}

/* The user config's text; a missing or unreadable file holds nothing. */
static void userconfig_read(const char *path, struct buf *text)
{
    struct err fe = {0};
    if (path && read_file(path, 1 << 20, text, &fe) < 0)
        buf_reset(text);
}

/* Expands v (npm's ${VAR}) into out; an unset ${VAR} is an error naming
 * where the value came from. */
static int expand(const char *v, size_t n, const char *from, struct buf *out, struct err *e)
{
    char missing[128] = "";
    npmrc_expand(v, n, out, missing, sizeof missing);
    if (missing[0])
        return err_set(e, ERR_USAGE,
                       "%s sets the registry from ${%s}, which is not set in the environment", from,
                       missing);
    return 0;
}

int config_registry(const char *flag, const char *org, bool allow_insecure, struct buf *out,
                    struct err *e)
{
    struct buf val = BUF_INIT, from = BUF_INIT, text = BUF_INIT, key = BUF_INIT;
    char *path = NULL;
    char name[128];
    const char *v;
    size_t vn;
    int rc = 0;
    buf_printf(&key, "@%s:registry", org);
    if (flag && *flag) {
        buf_puts(&val, flag);
        buf_puts(&from, "--registry");
    } else if ((v = npmrc_env_get("registry", name, sizeof name)) != NULL ||
               (v = npmrc_env_get(key.p, name, sizeof name)) != NULL) {
        buf_printf(&from, "$%s", name);
        rc = expand(v, strlen(v), from.p, &val, e);
    } else {
        path = userconfig_path();
        userconfig_read(path, &text);
        if (text.len && npmrc_get(text.p, text.len, key.p, key.len, &v, &vn)) {
            buf_printf(&from, "%s= in %s", key.p, path);
            rc = expand(v, vn, from.p, &val, e);
        } else if (text.len && npmrc_get(text.p, text.len, "registry", 8, &v, &vn)) {
            buf_printf(&from, "registry= in %s", path);
            rc = expand(v, vn, from.p, &val, e);
        } else {
            buf_puts(&val, DEFAULT_REGISTRY);
            buf_puts(&from, "the default");
        }
    }
    struct url u;
    char qb[ERR_QUOTE_MAX];
    if (rc == 0 && url_parse(val.p ? val.p : "", &u, e) < 0)
        rc = err_wrap(e, "registry from %s", from.p);
    if (rc == 0 &&
        url_check_plain_http(&u, allow_insecure, "the registry", err_quote(val.p, qb), "the token",
                             ", or pass --allow-insecure-http if you really mean it", e) < 0)
        rc = -1;
    if (rc == 0) {
        url_format(&u, out);
        log_debug("registry %s (from %s)", out->p, from.p);
    }
    buf_free(&val);
    buf_free(&from);
    buf_free(&text);
    buf_free(&key);
    free(path);
    return rc;
}

static int from_npmrc(const char *registry, struct secret *tok, char *where, size_t wsz,
                      struct err *e)
{
    char *path = userconfig_path();
    if (!path)
        return 0;
    snprintf(where, wsz, "%s", path);
    struct buf text = BUF_INIT;
    int rc = 0;
    userconfig_read(path, &text);
    if (text.len) {
        struct url u;
        if (url_parse(registry, &u, e) < 0)
            rc = -1;
        else
            rc = npmrc_find_token(text.p, text.len, &u, path, tok, e);
        memset(text.p, 0, text.len);
    }
    buf_free(&text);
    free(path);
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
