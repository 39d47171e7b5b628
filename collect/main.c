/*
 * j1-npm-collect — dump an npm organization, verbatim, to gzip NDJSON.
 *
 * This file only reads flags, resolves configuration, runs the crawl and
 * turns its result into an exit status; crawl.c and dump.c do the work.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "crawl.h"
#include "exitcode.h"
#include "http.h"
#include "log.h"
#include "secret.h"

static const char usage[] =
    "usage: j1-npm-collect --org ORG [--out DIR|-] [options]\n"
    "\n"
    "Dumps an npm organization (members and roles, teams, team members and\n"
    "package permissions, packages with visibility, collaborators and full\n"
    "documents, member profiles) from the npm registry API to gzip NDJSON.\n"
    "\n"
    "  --org ORG              the npm organization (scope) to collect\n"
    "  --out DIR|-            dump directory (must be new or empty), or - for one\n"
    "                         gzip NDJSON stream on stdout (default: npm-dump-ORG)\n"
    "  --force                replace an earlier dump in DIR\n"
    "  --registry URL         registry base URL (default: $npm_config_registry or\n"
    "                         https://registry.npmjs.org/)\n"
    "  --token-file FILE      read the token from FILE (else $NPM_TOKEN, else the\n"
    "                         registry's _authToken in ~/.npmrc)\n"
    "  --concurrency N        requests in flight (default 16)\n"
    "  --timeout S            give up on an attempt after S seconds without data (default 30)\n"
    "  --retries N            retries per request (default 8)\n"
    "  --max-retry-wait S     longest wait before a retry, also for Retry-After (default 120)\n"
    "  --cacert FILE          CA bundle for a registry with a private CA\n"
    "  --allow-insecure-http  allow a plain-http registry that is not on loopback\n"
    "  --quiet | --verbose    less (warnings only) or more output\n"
    "  --log-format text|json messages on stderr as text (default) or JSON lines\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 complete, 1 failure, 2 usage, 3 partial (some items failed and\n"
    "are recorded as failed), 4 the registry refused the token.\n";

enum {
    OPT_ORG = 1000,
    OPT_OUT,
    OPT_FORCE,
    OPT_REGISTRY,
    OPT_TOKEN_FILE,
    OPT_CONCURRENCY,
    OPT_TIMEOUT,
    OPT_RETRIES,
    OPT_MAX_RETRY_WAIT,
    OPT_CACERT,
    OPT_INSECURE,
    OPT_TOKEN,
};

static const struct option options[] = {
    {"org", required_argument, NULL, OPT_ORG},
    {"out", required_argument, NULL, OPT_OUT},
    {"force", no_argument, NULL, OPT_FORCE},
    {"registry", required_argument, NULL, OPT_REGISTRY},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"max-retry-wait", required_argument, NULL, OPT_MAX_RETRY_WAIT},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"allow-insecure-http", no_argument, NULL, OPT_INSECURE},
    CLI_COMMON_OPTIONS,
    {"token", required_argument, NULL, OPT_TOKEN},
    {NULL, 0, NULL, 0},
};

struct args {
    const char *org, *out, *registry, *token_file, *cacert;
    bool force, insecure;
    long concurrency, timeout, retries, max_retry_wait;
    struct cli_common common;
};

static bool valid_org(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 214)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* 1: keep going; 0: done (help/version printed); -1: error. */
static int parse_args(int argc, char **argv, struct args *a, struct err *e)
{
    a->concurrency = 16;
    a->timeout = 30;
    a->retries = 8;
    a->max_retry_wait = 120;
    a->common.log_level = LOG_INFO;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        switch (opt) {
        case OPT_ORG: a->org = optarg[0] == '@' ? optarg + 1 : optarg; break;
        case OPT_OUT: a->out = optarg; break;
        case OPT_FORCE: a->force = true; break;
        case OPT_REGISTRY: a->registry = optarg; break;
        case OPT_TOKEN_FILE: a->token_file = optarg; break;
        case OPT_CACERT: a->cacert = optarg; break;
        case OPT_INSECURE: a->insecure = true; break;
        case OPT_CONCURRENCY:
            if (cli_parse_long("--concurrency", optarg, 1, 256, &a->concurrency, e) < 0)
                return -1;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_long("--timeout", optarg, 1, 3600, &a->timeout, e) < 0)
                return -1;
            break;
        case OPT_RETRIES:
            if (cli_parse_long("--retries", optarg, 0, 100, &a->retries, e) < 0)
                return -1;
            break;
        case OPT_MAX_RETRY_WAIT:
            if (cli_parse_long("--max-retry-wait", optarg, 0, 86400, &a->max_retry_wait, e) < 0)
                return -1;
            break;
        case OPT_TOKEN:
            return err_set(e, ERR_USAGE,
                           "--token is not accepted: other users can read command lines. Set "
                           "NPM_TOKEN or use --token-file FILE");
        default:
            switch (cli_getopt_common(opt, argv, "j1-npm-collect", usage, &a->common, e)) {
            case CLI_EXIT: return 0;
            case CLI_ERROR: return -1;
            case CLI_HANDLED: break;
            case CLI_NOT_MINE: return err_set(e, ERR_USAGE, "unexpected option (see --help)");
            }
        }
    }
    if (optind < argc)
        return err_set(e, ERR_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
    if (!a->org)
        return err_set(e, ERR_USAGE, "--org ORG is required (see --help)");
    if (!valid_org(a->org))
        return err_set(e, ERR_USAGE, "'%s' is not an npm organization name", a->org);
    return 1;
}

int main(int argc, char **argv)
{
    struct args a;
    struct err e = {0};
    struct secret token = {0};
    struct buf registry = BUF_INIT, default_out = BUF_INIT;
    int status = EXIT_OK;

    cli_setup();
    memset(&a, 0, sizeof a);
    log_setup("j1-npm-collect", LOG_TEXT, LOG_INFO);
    int pr = parse_args(argc, argv, &a, &e);
    if (pr <= 0) {
        if (pr < 0)
            log_error("%s", e.msg);
        return pr < 0 ? exit_code_for(e.cls) : EXIT_OK;
    }
    log_setup("j1-npm-collect", a.common.log_format, a.common.log_level);
    if (!a.out) {
        buf_printf(&default_out, "npm-dump-%s", a.org);
        a.out = default_out.p;
    }
    if (strcmp(a.out, "-") == 0 && isatty(STDOUT_FILENO)) {
        log_error("--out - writes gzip data to standard output, which is a terminal; pipe it "
                  "(| j1-npm-transform --in -) or redirect it to a file");
        status = EXIT_USAGE;
        goto out;
    }
    if (config_registry(a.registry, a.insecure, &registry, &e) < 0 ||
        config_token(a.token_file, registry.p, &token, &e) < 0 || http_global_init(&e) < 0) {
        log_error("%s", e.msg);
        status = exit_code_for(e.cls);
        goto out;
    }

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
        .progress = !a.common.quiet && a.common.log_format == LOG_TEXT && isatty(STDERR_FILENO),
    };
    struct crawl_summary s;
    int rc = crawl_run(&co, &s, &e);
    http_global_cleanup();

    char fields[512];
    double secs = (double)s.wall_ms / 1000.0;
    snprintf(fields, sizeof fields,
             "\"summary\":{\"org\":\"%s\",\"users\":%llu,\"outside_collaborators\":%llu,"
             "\"teams\":%llu,\"packages\":%llu,"
             "\"requests\":%llu,\"retries\":%llu,\"failed\":%llu,\"seconds\":%.3f,"
             "\"bytes\":%llu,\"complete\":%s}",
             a.org, (unsigned long long)s.users, (unsigned long long)s.outsiders,
             (unsigned long long)s.teams, (unsigned long long)s.packages,
             (unsigned long long)s.requests, (unsigned long long)s.retries,
             (unsigned long long)s.failed_items, secs, (unsigned long long)s.bytes_out,
             s.complete ? "true" : "false");
    if (s.interrupted) {
        log_error("interrupted: no dump was written (no manifest, no file under a final name)");
        status = cli_interrupt_status();
    } else if (rc < 0 && e.cls != ERR_PARTIAL) {
        log_error("%s", e.msg);
        status = exit_code_for(e.cls);
    } else {
        if (rc < 0)
            log_warn("%s", e.msg);
        log_summary(fields,
                    "collected %s: %llu members (+%llu outside collaborators), %llu teams, %llu "
                    "packages; %llu requests "
                    "(%llu retries) in %.1f s (%.0f req/s); %llu failed; %s %s (%.1f MB)",
                    a.org, (unsigned long long)s.users, (unsigned long long)s.outsiders,
                    (unsigned long long)s.teams, (unsigned long long)s.packages,
                    (unsigned long long)s.requests, (unsigned long long)s.retries, secs,
                    secs > 0 ? (double)s.requests / secs : 0, (unsigned long long)s.failed_items,
                    s.complete ? "complete dump in" : "INCOMPLETE dump in",
                    strcmp(a.out, "-") == 0 ? "standard output" : a.out, (double)s.bytes_out / 1e6);
        status = rc < 0 ? exit_code_for(e.cls) : EXIT_OK;
    }
out:
    secret_free(&token);
    log_clear_redactions();
    buf_free(&registry);
    buf_free(&default_out);
    return status;
}
