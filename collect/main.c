/*
 * j1-npm-collect — dump an npm organization, verbatim, to gzip NDJSON.
 *
 * This file only says which options the program has, resolves the
 * configuration (config.c), runs the crawl (crawl.c, dump.c) and hands the
 * outcome to report.c for the summary and the exit status; cli.c does the
 * rest of being a program.
 */
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "crawl.h"
#include "http.h"
#include "log.h"
#include "npm.h"
#include "report.h"
#include "secret.h"

static struct {
    const char *org, *out, *registry, *token_file, *cacert, *since, *resume;
    bool force, insecure;
    long concurrency, timeout, retries, max_retry_wait;
} a = {.concurrency = 16, .timeout = 30, .retries = 8, .max_retry_wait = 120};

static const struct cli_opt opts[] = {
    CLI_STR("org", "ORG", &a.org,
            "the npm organization (scope) to collect; a leading @ is ignored"),
    CLI_STR("out", "DIR|-", &a.out,
            "dump directory (must be new or empty), or - for one gzip NDJSON stream on stdout",
            .def = "npm-dump-ORG"),
    CLI_SWITCH("force", &a.force, "replace an earlier dump in DIR"),
    CLI_STR("since", "PREV_DUMP", &a.since,
            "revalidate what the finished dump directory PREV_DUMP holds (If-None-Match) "
            "instead of downloading it again; unchanged records are carried into the new dump"),
    CLI_STR("resume", "DIR", &a.resume,
            "continue the interrupted or crashed collect whose answers DIR keeps "
            "(DIR/.j1-npm-work), or the incomplete dump in DIR, with the same --org and "
            "--registry; fetches only what has no answer yet. A finished dump is refused (use "
            "--since). A stream (--out -) cannot be resumed"),
    CLI_STR("registry", "URL", &a.registry, "registry base URL",
            .def = "as npm: $npm_config_registry, @ORG:registry or registry= in ~/.npmrc, else "
                   "https://registry.npmjs.org/"),
    CLI_STR(
        "token-file", "FILE", &a.token_file,
        "read the token from FILE (else $NPM_TOKEN, else the registry's _authToken in ~/.npmrc)"),
    CLI_NUM("concurrency", "N", &a.concurrency, 1, 256, "16", "requests in flight"),
    CLI_NUM("timeout", "S", &a.timeout, 1, 3600, "30",
            "give up on an attempt after S seconds without data"),
    CLI_NUM("retries", "N", &a.retries, 0, 100, "8", "retries per request"),
    CLI_NUM("max-retry-wait", "S", &a.max_retry_wait, 0, 86400, "120",
            "longest wait before a retry, also for Retry-After"),
    CLI_STR("cacert", "FILE", &a.cacert, "CA bundle for a registry with a private CA",
            .def = "system CAs"),
    CLI_SWITCH("allow-insecure-http", &a.insecure,
               "allow a plain-http registry that is not on loopback"),
    CLI_SECRET("token", "TOKEN", "Set NPM_TOKEN or use --token-file FILE"),
    {0},
};

static int check(struct err *e)
{
    if (!a.org)
        return err_set(e, ERR_USAGE, "--org ORG is required (see --help)");
    a.org += a.org[0] == '@';
    if (!npm_org_name_ok(a.org, strlen(a.org)))
        return err_set(e, ERR_USAGE, "'%s' is not an npm organization name", a.org);
    if (a.resume && a.out && strcmp(a.out, a.resume) != 0)
        return err_set(e, ERR_USAGE,
                       "--resume %s writes the dump into %s: leave out --out, or give the same "
                       "directory",
                       a.resume, a.resume);
    if (a.resume && a.force)
        return err_set(e, ERR_USAGE, "--resume and --force do not go together");
    if (a.resume)
        a.out = a.resume;
    return 0;
}

static int run(const struct cli_common *c, struct err *e)
{
    struct secret token = {0};
    struct buf registry = BUF_INIT, default_out = BUF_INIT;
    int status = CLI_FAILED;
    if (!a.out) {
        buf_printf(&default_out, "npm-dump-%s", a.org);
        a.out = default_out.p;
    }
    if (strcmp(a.out, "-") == 0 && isatty(STDOUT_FILENO)) {
        err_set(e, ERR_USAGE,
                "--out - writes gzip data to standard output, which is a terminal; "
                "pipe it (| j1-npm-transform --in -) or redirect it to a file");
    } else if (config_registry(a.registry, a.org, a.insecure, &registry, e) == 0 &&
               config_token(a.token_file, registry.p, &token, e) == 0 && http_global_init(e) == 0) {
        struct crawl_opts co = {
            .org = a.org,
            .registry = registry.p,
            .out = a.out,
            .force = a.force,
            .token = &token,
            .concurrency = (int)a.concurrency,
            .timeout_s = a.timeout,
            .retries = (int)a.retries,
            .max_retry_wait_s = a.max_retry_wait,
            .cacert = a.cacert,
            .since = a.since,
            .resume = a.resume != NULL,
            .progress = !c->quiet && c->log_format == LOG_TEXT && isatty(STDERR_FILENO),
        };
        struct collect_report r = {.org = a.org, .out = a.out};
        r.rc = crawl_run(&co, &r.crawl, e);
        http_global_cleanup();
        status = collect_report_outcome(&r, e);
    }
    secret_free(&token);
    buf_free(&registry);
    buf_free(&default_out);
    return status;
}

int main(int argc, char **argv)
{
    static const struct cli_program p = {
        .name = "j1-npm-collect",
        .synopsis = "--org ORG [--out DIR|-] [--since PREV_DUMP] [options]\n"
                    "       j1-npm-collect --org ORG --resume DIR [--since PREV_DUMP] [options]",
        .about = "Dumps an npm organization (members and roles, teams, team members and\n"
                 "package permissions, packages with visibility, collaborators and full\n"
                 "documents, member profiles) from the npm registry API to gzip NDJSON.\n",
        .exit_status = "Exit status: 0 complete, 1 failure, 2 usage, 3 partial (some items "
                       "failed and\nare recorded as failed), 4 the registry refused the token.\n",
        .opts = opts,
        .check = check,
        .run = run,
        .interrupted = "no dump was written (no manifest, no file under a final name); a "
                       "directory collect keeps the answers it had in DIR/.j1-npm-work: "
                       "continue with `j1-npm-collect --org ORG --resume DIR`",
    };
    return cli_main(&p, argc, argv);
}
