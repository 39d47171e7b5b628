/*
 * j1-npm-upload — send graph files to JupiterOne's synchronization API.
 *
 * This file only reads flags, resolves configuration (config.c), opens the
 * input (source.c), runs the job or the dry run (job.c, dryrun.c) and turns
 * the outcome into the one-line summary (report.c) and an exit status.
 */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "dryrun.h"
#include "exitcode.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "plan.h"
#include "report.h"
#include "source.h"

static const char usage[] =
    "usage: j1-npm-upload --in DIR|- [options]\n"
    "\n"
    "Uploads JupiterOne graph objects (j1-npm-transform's output, or the\n"
    "storage directory of any JupiterOne integration SDK run) as one\n"
    "synchronization job: entities, then relationships, then finalize.\n"
    "\n"
    "  --in DIR|-             an SDK storage directory (graph/ + summary.json), a\n"
    "                         project directory holding .j1-integration/, or - for\n"
    "                         j1-npm-transform's gzip NDJSON stream on stdin\n"
    "  --api-base-url URL     default https://api.us.jupiterone.io (plain http only\n"
    "                         to a loopback host)\n"
    "  --account ID           JupiterOne account (default $JUPITERONE_ACCOUNT)\n"
    "  -i, --integration-instance-id ID, --integrationInstanceId ID\n"
    "                         the integration instance (integration sources)\n"
    "  --source S             integration-managed (default), integration-external\n"
    "                         or api\n"
    "  --scope S              the job's scope (required with --source api)\n"
    "  --skip-finalize        leave the job awaiting uploads (nothing is deleted)\n"
    "  --allow-empty          finalize even with no object and nothing partial, which\n"
    "                         makes JupiterOne delete everything this integration\n"
    "                         instance holds (refused without it)\n"
    "  --dry-run              read, check and plan everything; send nothing (no key,\n"
    "                         account or instance id needed)\n"
    "  --concurrency N        batches in flight (default 6)\n"
    "  --batch-bytes N        most bytes of JSON in one batch (default 5000000)\n"
    "  --retries N            retries per request (default 8)\n"
    "  --max-retry-wait S     longest wait before a retry, also for Retry-After\n"
    "                         (default 120)\n"
    "  --api-key-file FILE    read the API key from FILE (else $JUPITERONE_API_KEY)\n"
    "  --quiet | --verbose    less (warnings only) or more output\n"
    "  --log-format text|json messages on stderr as text (default) or JSON lines\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 uploaded and finalized, 1 failure (the job was aborted), 2 usage,\n"
    "3 partial (finished, but objects listed in the log were not sent and their\n"
    "types were marked partial), 4 JupiterOne refused the API key or account.\n";

enum {
    OPT_IN = 1000,
    OPT_BASE_URL,
    OPT_ACCOUNT,
    OPT_INSTANCE,
    OPT_SOURCE,
    OPT_SCOPE,
    OPT_SKIP_FINALIZE,
    OPT_ALLOW_EMPTY,
    OPT_DRY_RUN,
    OPT_CONCURRENCY,
    OPT_BATCH_BYTES,
    OPT_RETRIES,
    OPT_MAX_RETRY_WAIT,
    OPT_KEY_FILE,
    OPT_API_KEY,
};

static const struct option options[] = {
    {"in", required_argument, NULL, OPT_IN},
    {"api-base-url", required_argument, NULL, OPT_BASE_URL},
    {"account", required_argument, NULL, OPT_ACCOUNT},
    {"integration-instance-id", required_argument, NULL, OPT_INSTANCE},
    {"integrationInstanceId", required_argument, NULL, OPT_INSTANCE},
    {"source", required_argument, NULL, OPT_SOURCE},
    {"scope", required_argument, NULL, OPT_SCOPE},
    {"skip-finalize", no_argument, NULL, OPT_SKIP_FINALIZE},
    {"allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"batch-bytes", required_argument, NULL, OPT_BATCH_BYTES},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"max-retry-wait", required_argument, NULL, OPT_MAX_RETRY_WAIT},
    {"api-key-file", required_argument, NULL, OPT_KEY_FILE},
    CLI_COMMON_OPTIONS,
    {"api-key", required_argument, NULL, OPT_API_KEY},
    {NULL, 0, NULL, 0},
};

struct args {
    const char *in;
    struct upload_flags f;
    bool skip_finalize, allow_empty;
    long concurrency, batch_bytes, retries, max_retry_wait;
    struct cli_common common;
};

/* 1: keep going; 0: done (help/version printed); -1: error. */
static int parse_args(int argc, char **argv, struct args *a, struct err *e)
{
    a->concurrency = 6;
    a->batch_bytes = 5000000;
    a->retries = 8;
    a->max_retry_wait = 120;
    a->common.log_level = LOG_INFO;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":i:", options, NULL)) != -1) {
        switch (opt) {
        case OPT_IN: a->in = optarg; break;
        case OPT_BASE_URL: a->f.api_base_url = optarg; break;
        case OPT_ACCOUNT: a->f.account = optarg; break;
        case 'i':
        case OPT_INSTANCE: a->f.instance_id = optarg; break;
        case OPT_SOURCE:
            if (upcfg_check_source_value(optarg, e) < 0)
                return -1;
            a->f.source = optarg;
            break;
        case OPT_SCOPE: a->f.scope = optarg; break;
        case OPT_SKIP_FINALIZE: a->skip_finalize = true; break;
        case OPT_ALLOW_EMPTY: a->allow_empty = true; break;
        case OPT_DRY_RUN: a->f.dry_run = true; break;
        case OPT_CONCURRENCY:
            if (cli_parse_long("--concurrency", optarg, 1, 64, &a->concurrency, e) < 0)
                return -1;
            break;
        case OPT_BATCH_BYTES:
            if (cli_parse_long("--batch-bytes", optarg, 1000, 50000000, &a->batch_bytes, e) < 0)
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
        case OPT_KEY_FILE: a->f.api_key_file = optarg; break;
        case OPT_API_KEY:
            return err_set(e, ERR_USAGE,
                           "--api-key is not accepted: other users can read command lines. Set "
                           "JUPITERONE_API_KEY or use --api-key-file FILE");
        default:
            switch (cli_getopt_common(opt, argv, "j1-npm-upload", usage, &a->common, e)) {
            case CLI_EXIT: return 0;
            case CLI_ERROR: return -1;
            case CLI_HANDLED: break;
            case CLI_NOT_MINE: return err_set(e, ERR_USAGE, "unexpected option (see --help)");
            }
        }
    }
    if (optind < argc)
        return err_set(e, ERR_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
    if (!a->in)
        return err_set(e, ERR_USAGE, "--in DIR|- is required (see --help)");
    return 1;
}

int main(int argc, char **argv)
{
    struct args a;
    struct err e = {0};
    struct upload_config cfg;
    struct source *src = NULL;
    struct planner *pl = NULL;
    int status;

    cli_setup();
    /* Batches (hundreds of KB each) come and go all run long. A fixed
     * mmap threshold gives each one its own mapping, returned whole when it
     * is freed; glibc's default raises the threshold after the first such
     * free and then serves them from the heap, whose holes are never given
     * back, which cost 2-4 MB of peak RSS here. */
    mallopt(M_MMAP_THRESHOLD, 64 << 10);
    memset(&a, 0, sizeof a);
    memset(&cfg, 0, sizeof cfg);
    log_setup("j1-npm-upload", LOG_TEXT, LOG_INFO);
    int pr = parse_args(argc, argv, &a, &e);
    if (pr <= 0) {
        if (pr < 0)
            log_error("%s", e.msg);
        return pr < 0 ? exit_code_for(e.cls) : EXIT_OK;
    }
    log_setup("j1-npm-upload", a.common.log_format, a.common.log_level);
    if (upcfg_resolve(&a.f, &cfg, &e) < 0 || !(src = source_open(a.in, &e)) ||
        !(pl = planner_new(src, (size_t)a.batch_bytes, &e))) {
        log_error("%s", e.msg);
        status = exit_code_for(e.cls == ERR_NONE ? ERR_FAIL : e.cls);
        goto out;
    }

    /* An empty upload that declares nothing partial tells JupiterOne to
     * delete everything of every type this integration ever sent. A
     * directory says so before any job exists; a stream only at its end
     * (job.c refuses to finalize it). */
    if (!a.allow_empty && !a.skip_finalize && source_is_empty(src) &&
        source_partial_count(src) == 0) {
        log_error("%s holds no graph file and declares no type partial: finalizing it would "
                  "make JupiterOne delete everything this integration instance holds. Nothing "
                  "was uploaded; pass --allow-empty if that is what you want",
                  source_name(src));
        status = EXIT_FAILURE_;
        goto out;
    }
    struct report rep = {.in = source_name(src), .dry_run = a.f.dry_run};
    if (a.f.dry_run) {
        struct dryrun_opts d = {cfg.base_url.p,  cfg.source,      cfg.scope,
                                cfg.instance_id, a.skip_finalize, log_enabled(LOG_DEBUG)};
        rep.rc = dryrun_run(&d, pl, stdout, &e);
    } else {
        struct job_opts jo = {
            .base_url = cfg.base_url.p,
            .account = cfg.account,
            .key = &cfg.key,
            .source = cfg.source,
            .scope = cfg.scope,
            .instance_id = cfg.instance_id,
            .skip_finalize = a.skip_finalize,
            .allow_empty = a.allow_empty,
            .concurrency = (int)a.concurrency,
            .retries = (int)a.retries,
            .max_retry_wait_s = a.max_retry_wait,
            .timeout_s = 120,
            .progress = !a.common.quiet && a.common.log_format == LOG_TEXT && isatty(STDERR_FILENO),
        };
        if (http_global_init(&e) < 0) {
            log_error("%s", e.msg);
            status = EXIT_FAILURE_;
            goto out;
        }
        rep.rc = job_run(&jo, pl, &rep.job, &e);
        http_global_cleanup();
    }
    rep.bytes_in = source_bytes(src);
    status = report_outcome(&rep, pl, &e);
out:
    planner_free(pl);
    source_close(src);
    upcfg_free(&cfg);
    log_clear_redactions();
    return status;
}
