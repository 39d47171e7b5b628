/*
 * j1-npm-upload — send graph files to JupiterOne's synchronization API.
 *
 * This file only says which options the program has, resolves the
 * configuration (config.c), opens the input (source.c), runs the job or the
 * dry run (job.c, dryrun.c) and hands the outcome to report.c for the
 * summary and the exit status; cli.c does the rest of being a program
 * (after sdkargs.c has turned the SDK's -ur and a bare --wait into what
 * getopt reads).
 *
 * The input: --in DIR|- or -p/--project-path DIR (the official uploader's
 * flag: DIR/.j1-integration), one or the other — both is a usage error, and
 * neither means -p . (the current directory), as with `j1-integration sync`.
 */
#include <malloc.h>
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
#include "sdkargs.h"
#include "source.h"
#include "wait.h"

static struct {
    const char *in, *project;
    struct upload_flags f;
    bool skip_finalize, allow_empty;
    long concurrency, batch_bytes, retries, max_retry_wait;
    long batch_objects, rel_batch_objects; /* -u, -ur; 0: no cap */
    long wait_s;                           /* --wait; 0: do not wait */
} a = {.concurrency = 6, .batch_bytes = 5000000, .retries = 8, .max_retry_wait = 120};

static int set_source(char *v, struct err *e)
{
    if (upcfg_check_source_value(v, e) < 0)
        return -1;
    a.f.source = v;
    return 0;
}

static const struct cli_opt opts[] = {
    CLI_STR("in", "DIR|-", &a.in,
            "an SDK storage directory (graph/ + summary.json), a project directory holding "
            ".j1-integration/, or - for j1-npm-transform's gzip NDJSON stream on stdin"),
    CLI_STR("project-path", "DIR", &a.project,
            "the official uploader's input: the storage directory DIR/.j1-integration (give "
            "this or --in, not both)",
            .short_name = 'p', .def = "the current directory"),
    CLI_STR("api-base-url", "URL", &a.f.api_base_url,
            "the JupiterOne API; plain http only to a loopback host",
            .def = "https://api.us.jupiterone.io"),
    CLI_STR("account", "ID", &a.f.account, "the JupiterOne account", .def = "$JUPITERONE_ACCOUNT"),
    CLI_STR("integration-instance-id", "ID", &a.f.instance_id,
            "the integration instance (integration sources)", .short_name = 'i',
            .alias = "integrationInstanceId"),
    CLI_FN("source", "S", set_source, "integration-managed, integration-external or api",
           .def = "integration-managed"),
    CLI_STR("scope", "S", &a.f.scope, "the job's scope (required with --source api)"),
    CLI_SWITCH("skip-finalize", &a.skip_finalize,
               "leave the job awaiting uploads (nothing is deleted)"),
    CLI_SWITCH("allow-empty", &a.allow_empty,
               "finalize even with no object and nothing partial, which makes JupiterOne delete "
               "everything this integration instance holds (refused without it)"),
    CLI_SWITCH("dry-run", &a.f.dry_run,
               "read, check and plan everything; send nothing (no key, account or instance id "
               "needed)"),
    CLI_NUM("concurrency", "N", &a.concurrency, 1, 64, "6", "batches in flight"),
    CLI_NUM("batch-bytes", "N", &a.batch_bytes, 1000, 50000000, "5000000",
            "most bytes of JSON in one batch"),
    {.name = "upload-batch-size",
     .short_name = 'u',
     .arg = "N",
     .num = &a.batch_objects,
     .min = 1,
     .max = 10000000,
     .help = "most entities and relationships in one batch, as `j1-integration sync -u` "
             "(with --batch-bytes: whichever is reached first; default: no count limit)"},
    {.name = "upload-relationship-batch-size",
     .arg = "N",
     .num = &a.rel_batch_objects,
     .min = 1,
     .max = 10000000,
     .help = "most relationships in one batch, overrides -u for them; also spelled -ur, as "
             "`j1-integration sync -ur`"},
    {.name = "wait",
     .arg = "S",
     .num = &a.wait_s,
     .min = 1,
     .max = WAIT_MAX_S,
     .help = "after finalize, wait until JupiterOne has FINISHED the job (exit 1 if it ended "
             "otherwise, 5 if S seconds pass first) and print its final counters; a bare --wait "
             "waits " WAIT_DEFAULT_S_STR " s"},
    CLI_NUM("retries", "N", &a.retries, 0, 100, "8", "retries per request"),
    CLI_NUM("max-retry-wait", "S", &a.max_retry_wait, 0, 86400, "120",
            "longest wait before a retry, also for Retry-After"),
    CLI_STR("api-key-file", "FILE", &a.f.api_key_file,
            "read the API key from FILE (else $JUPITERONE_API_KEY)"),
    CLI_SECRET("api-key", "KEY", "Set JUPITERONE_API_KEY or use --api-key-file FILE"),
    {0},
};

static int check(struct err *e)
{
    if (a.in && a.project)
        return err_set(
            e, ERR_USAGE,
            "give --in or -p/--project-path, not both (-p DIR reads DIR/.j1-integration, "
            "which --in DIR also finds)");
    if (a.wait_s && a.skip_finalize)
        return err_set(e, ERR_USAGE,
                       "--wait waits for a finalized job to finish; with --skip-finalize there is "
                       "none");
    return 0;
}

/* The job, or the dry run, over a planner that is ready. */
static int upload_graph(const struct cli_common *c, const struct upload_config *cfg,
                        struct report *rep, struct planner *pl, struct err *e)
{
    if (a.f.dry_run) {
        struct dryrun_opts d = {cfg->base_url.p,  cfg->source,     cfg->scope,
                                cfg->instance_id, a.skip_finalize, log_enabled(LOG_DEBUG)};
        return dryrun_run(&d, pl, stdout, e);
    }
    struct job_opts jo = {
        .base_url = cfg->base_url.p,
        .account = cfg->account,
        .key = &cfg->key,
        .source = cfg->source,
        .scope = cfg->scope,
        .instance_id = cfg->instance_id,
        .skip_finalize = a.skip_finalize,
        .allow_empty = a.allow_empty,
        .concurrency = (int)a.concurrency,
        .retries = (int)a.retries,
        .max_retry_wait_s = a.max_retry_wait,
        .timeout_s = 120,
        .progress = !c->quiet && c->log_format == LOG_TEXT && isatty(STDERR_FILENO),
        .wait_s = a.wait_s,
    };
    int rc = job_run(&jo, pl, &rep->job, e);
    http_global_cleanup();
    return rc;
}

static int run(const struct cli_common *c, struct err *e)
{
    struct upload_config cfg;
    struct source *src = NULL;
    struct planner *pl = NULL;
    int status = CLI_FAILED;
    /* Batches (hundreds of KB each) come and go all run long. A fixed
     * mmap threshold gives each one its own mapping, returned whole when it
     * is freed; glibc's default raises the threshold after the first such
     * free and then serves them from the heap, whose holes are never given
     * back, which cost 2-4 MB of peak RSS here. */
    mallopt(M_MMAP_THRESHOLD, 64 << 10);
    memset(&cfg, 0, sizeof cfg);
    if (upcfg_resolve(&a.f, &cfg, e) < 0)
        goto out;
    if (!(src =
              a.in ? source_open(a.in, e) : source_open_project(a.project ? a.project : ".", e))) {
        if (cli_interrupted) /* stopped while reading a stream's first record: no job yet */
            status = CLI_INTERRUPTED;
        goto out;
    }
    pl = planner_new(src, (size_t)a.batch_bytes);
    planner_set_max_objects(pl, (size_t)a.batch_objects,
                            (size_t)(a.rel_batch_objects ? a.rel_batch_objects : a.batch_objects));
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
    if (!a.f.dry_run && http_global_init(e) < 0) {
        e->cls = ERR_FAIL;
        goto out;
    }
    struct report rep = {.in = source_name(src), .dry_run = a.f.dry_run};
    rep.rc = upload_graph(c, &cfg, &rep, pl, e);
    rep.bytes_in = source_bytes(src);
    status = report_outcome(&rep, pl, e);
out:
    planner_free(pl);
    source_close(src);
    upcfg_free(&cfg);
    return status;
}

int main(int argc, char **argv)
{
    static const struct cli_program p = {
        .name = "j1-npm-upload",
        .synopsis = "[--in DIR|- | -p DIR] [options]",
        .about = "Uploads JupiterOne graph objects (j1-npm-transform's output, or the\n"
                 "storage directory of any JupiterOne integration SDK run) as one\n"
                 "synchronization job: entities, then relationships, then finalize.\n",
        .exit_status =
            "Exit status: 0 uploaded and finalized, 1 failure or bad input (a job that was\n"
            "created was aborted; with --wait: the job ended otherwise than FINISHED), 2 usage,\n"
            "3 partial (finished, but the input declares partial types, or objects listed in\n"
            "the log were not sent and their types were marked partial), 4 JupiterOne refused\n"
            "the API key or account, 5 --wait's time ran out (finalized, still processing).\n",
        .opts = opts,
        .check = check,
        .run = run,
    };
    char **args = sdkargs_copy(argc, argv);
    int n = sdkargs_rewrite(argc, args, opts);
    int rc = cli_main(&p, n, args);
    free(args);
    return rc;
}
