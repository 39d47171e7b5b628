/* config.c — see config.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "url.h"

static const char *const sources[] = {"integration-managed", "integration-external", "api"};

int upcfg_check_source_value(const char *s, struct err *e)
{
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (strcmp(s, sources[i]) == 0)
            return 0;
    return err_set(e, ERR_USAGE,
                   "--source must be one of \"integration-managed\", \"integration-external\", "
                   "or \"api\"");
}

/* Account ids go into a header: letters, digits and a little punctuation only. */
static bool plausible_account(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

static int resolve_url(const char *flag, struct buf *out, struct err *e)
{
    const char *u_s = flag && *flag ? flag : UPLOAD_DEFAULT_BASE_URL;
    struct url u;
    if (url_parse(u_s, &u, e) < 0)
        return err_wrap(e, "--api-base-url");
    if (url_check_plain_http(&u, false, "the API base URL", u_s, "the API key",
                             " (plain http is accepted only for a loopback host)", e) < 0)
        return -1;
    url_format(&u, out);
    return 0;
}

int upcfg_resolve(const struct upload_flags *f, struct upload_config *c, struct err *e)
{
    memset(c, 0, sizeof *c);
    c->source = f->source ? f->source : "integration-managed";
    if (upcfg_check_source_value(c->source, e) < 0)
        return -1;
    bool api = strcmp(c->source, "api") == 0;
    if (api && f->instance_id)
        return err_set(e, ERR_USAGE,
                       "Invalid configuration supplied. Cannot specify both --source api and "
                       "--integrationInstanceId flags.");
    if (api && !f->scope)
        return err_set(e, ERR_USAGE,
                       "Invalid configuration supplied. --source api requires --scope flag.");
    if (api && !*f->scope)
        return err_set(e, ERR_USAGE, "--scope cannot be empty");
    if (!api && !f->instance_id && !f->dry_run)
        return err_set(e, ERR_USAGE,
                       "Invalid configuration supplied. --integrationInstanceId or --source api "
                       "and --scope required.");
    if (!api && f->instance_id && !*f->instance_id)
        return err_set(e, ERR_USAGE, "--integrationInstanceId cannot be empty");
    if (!api && f->scope)
        log_warn("--scope is used only with --source api; ignoring it for --source %s", c->source);
    c->scope = api ? f->scope : NULL;
    c->instance_id = api ? NULL : f->instance_id;

    if (resolve_url(f->api_base_url, &c->base_url, e) < 0)
        return -1;

    const char *acct = f->account && *f->account ? f->account : getenv("JUPITERONE_ACCOUNT");
    if (acct && *acct) {
        if (!plausible_account(acct))
            return err_set(e, ERR_USAGE,
                           "'%s' is not a JupiterOne account id (letters, digits, '-', '_', "
                           "'.', ':')",
                           acct);
        snprintf(c->account, sizeof c->account, "%s", acct);
    } else if (!f->dry_run) {
        return err_set(e, ERR_USAGE,
                       "The JUPITERONE_ACCOUNT environment variable must be set (or pass "
                       "--account ID)");
    }

    if (f->api_key_file) {
        if (secret_from_file(&c->key, f->api_key_file, "the API key", e) < 0)
            return -1;
    } else {
        int r = secret_from_env(&c->key, "JUPITERONE_API_KEY", "the API key", e);
        if (r < 0)
            return -1;
        if (r == 0 && !f->dry_run)
            return err_set(e, ERR_USAGE,
                           "The JUPITERONE_API_KEY environment variable must be set (or pass "
                           "--api-key-file FILE)");
    }
    return 0;
}

void upcfg_free(struct upload_config *c)
{
    buf_free(&c->base_url);
    secret_free(&c->key);
}
