/*
 * j1-npm-transform — a j1-npm-collect dump to JupiterOne graph files.
 *
 * Reads flags, then: input.c reads the dump, model.c makes the objects,
 * graph.c sorts and writes them. Offline: this program opens no socket.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exitcode.h"
#include "graph.h"
#include "input.h"
#include "log.h"
#include "model.h"
#include "timeutil.h"

static const char usage[] =
    "usage: j1-npm-transform --in DIR|- --out DIR|- [options]\n"
    "\n"
    "Turns a dump written by j1-npm-collect into JupiterOne entities and\n"
    "relationships, in the JupiterOne SDK's storage layout (graph/<step>/...\n"
    "and summary.json) or, with --out -, as one gzip NDJSON stream. Offline.\n"
    "\n"
    "  --in DIR|-             the dump directory, or - for the stream on stdin\n"
    "  --out DIR|-            the output directory (replaced only once the new one\n"
    "                         is complete), or - for a gzip NDJSON stream on stdout\n"
    "  --allow-incomplete     accept a dump without its manifest (every type is\n"
    "                         then marked partial, so JupiterOne deletes nothing)\n"
    "  --account-name NAME    set tag.AccountName on every entity and name the\n"
    "                         npm_account entity NAME\n"
    "  --tag KEY=VALUE        set tag.KEY on every entity (repeatable)\n"
    "  --quiet | --verbose    less (warnings only) or more output\n"
    "  --log-format text|json messages on stderr as text (default) or JSON lines\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 complete, 1 failure (bad input), 2 usage, 3 partial (output\n"
    "written; the types a failed fetch fed are marked partial).\n";

enum {
    OPT_IN = 1000,
    OPT_OUT,
    OPT_ALLOW_INCOMPLETE,
    OPT_ACCOUNT_NAME,
    OPT_TAG,
};

static const struct option options[] = {
    {"in", required_argument, NULL, OPT_IN},
    {"out", required_argument, NULL, OPT_OUT},
    {"allow-incomplete", no_argument, NULL, OPT_ALLOW_INCOMPLETE},
    {"account-name", required_argument, NULL, OPT_ACCOUNT_NAME},
    {"tag", required_argument, NULL, OPT_TAG},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

#define MAX_TAGS 64

struct args {
    const char *in, *out, *account_name;
    bool allow_incomplete;
    struct model_tag tags[MAX_TAGS];
    size_t ntags;
    struct cli_common common;
};

/* JupiterOne property names: [A-Za-z0-9. -]+ after the "tag." prefix. */
static bool valid_tag_key(const char *k, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == ' ' || c == '-'))
            return false;
    }
    return true;
}

static int parse_tag(struct args *a, char *s, struct err *e)
{
    char *eq = strchr(s, '=');
    if (!eq || !valid_tag_key(s, (size_t)(eq - s)))
        return err_set(e, ERR_USAGE,
                       "--tag expects KEY=VALUE with KEY made of letters, digits, '.', '-' or "
                       "space, not '%s'",
                       s);
    if (a->ntags == MAX_TAGS)
        return err_set(e, ERR_USAGE, "at most %d --tag options", MAX_TAGS);
    *eq = '\0';
    for (size_t i = 0; i < a->ntags; i++)
        if (strcmp(a->tags[i].key, s) == 0)
            return err_set(e, ERR_USAGE, "--tag %s is given twice", s);
    if (strcmp(s, "AccountName") == 0 && a->account_name)
        return err_set(e, ERR_USAGE, "use --account-name or --tag AccountName=..., not both");
    a->tags[a->ntags].key = s;
    a->tags[a->ntags].value = eq + 1;
    a->ntags++;
    return 0;
}

static int parse_args(int argc, char **argv, struct args *a, struct err *e)
{
    a->common.log_level = LOG_INFO;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        switch (opt) {
        case OPT_IN: a->in = optarg; break;
        case OPT_OUT: a->out = optarg; break;
        case OPT_ALLOW_INCOMPLETE: a->allow_incomplete = true; break;
        case OPT_ACCOUNT_NAME:
            if (!*optarg)
                return err_set(e, ERR_USAGE, "--account-name cannot be empty");
            a->account_name = optarg;
            break;
        case OPT_TAG:
            if (parse_tag(a, optarg, e) < 0)
                return -1;
            break;
        default:
            switch (cli_getopt_common(opt, argv, "j1-npm-transform", usage, &a->common, e)) {
            case CLI_EXIT: return 0;
            case CLI_ERROR: return -1;
            case CLI_HANDLED: break;
            case CLI_NOT_MINE: return err_set(e, ERR_USAGE, "unexpected option (see --help)");
            }
        }
    }
    if (optind < argc)
        return err_set(e, ERR_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
    if (!a->in || !a->out)
        return err_set(e, ERR_USAGE, "--in and --out are both required (see --help)");
    for (size_t i = 0; i < a->ntags; i++)
        if (a->account_name && strcmp(a->tags[i].key, "AccountName") == 0)
            return err_set(e, ERR_USAGE, "use --account-name or --tag AccountName=..., not both");
    return 1;
}

int main(int argc, char **argv)
{
    struct args a;
    struct err e = {0};
    cli_setup();
    memset(&a, 0, sizeof a);
    log_setup("j1-npm-transform", LOG_TEXT, LOG_INFO);
    int pr = parse_args(argc, argv, &a, &e);
    if (pr <= 0) {
        if (pr < 0)
            log_error("%s", e.msg);
        return pr < 0 ? exit_code_for(e.cls) : EXIT_OK;
    }
    log_setup("j1-npm-transform", a.common.log_format, a.common.log_level);
    if (!a.in || !a.out)
        return EXIT_USAGE; /* parse_args guarantees both; this tells the analyzer */
    if (strcmp(a.out, "-") == 0 && isatty(STDOUT_FILENO)) {
        log_error("--out - writes gzip data to standard output, which is a terminal; pipe it "
                  "(| j1-npm-upload --in -) or redirect it to a file");
        return EXIT_USAGE;
    }
    if (strcmp(a.in, "-") == 0 && isatty(STDIN_FILENO)) {
        log_error("--in - reads a dump stream from standard input, which is a terminal; pipe "
                  "one in (j1-npm-collect --out - | ...)");
        return EXIT_USAGE;
    }

    int64_t t0 = time_mono_ms();
    struct model_opts mo = {a.account_name, a.tags, a.ntags};
    struct input_info info;
    unsigned partial = 0;
    int status = EXIT_OK;
    struct graph *g = graph_new(&e);
    struct model *m = g ? model_new(&mo, g, &e) : NULL;
    if (!m || input_read(a.in, a.allow_incomplete, model_record, m, &info, &e) < 0 ||
        model_finish(m, &info, &partial, &e) < 0 || cli_interrupted ||
        graph_write(g, a.out, partial, &e) < 0) {
        if (cli_interrupted) {
            log_error("interrupted: nothing was written");
            status = cli_interrupt_status();
        } else {
            log_error("%s", e.msg);
            status = exit_code_for(e.cls == ERR_NONE ? ERR_FAIL : e.cls);
        }
        goto out;
    }

    uint64_t ents = 0, rels = 0;
    struct buf fields = BUF_INIT, types = BUF_INIT, ptypes = BUF_INIT;
    buf_puts(&fields, "\"summary\":{\"types\":{");
    for (int t = 0; t < T_COUNT; t++) {
        uint64_t n = graph_count(g, (enum gtype)t);
        if (gtypes[t].relationship)
            rels += n;
        else
            ents += n;
        buf_printf(&fields, "%s\"%s\":%llu", t ? "," : "", gtypes[t].type, (unsigned long long)n);
        log_info("  %-28s %8llu%s", gtypes[t].type, (unsigned long long)n,
                 partial & TB(t) ? "  (partial)" : "");
        if (partial & TB(t))
            buf_printf(&ptypes, "%s%s", ptypes.len ? ", " : "", gtypes[t].type);
    }
    double secs = (double)(time_mono_ms() - t0) / 1000.0;
    buf_printf(&fields,
               "},\"entities\":%llu,\"relationships\":%llu,\"partial\":%s,\"seconds\":%.3f,"
               "\"input_bytes\":%llu}",
               (unsigned long long)ents, (unsigned long long)rels, partial ? "true" : "false", secs,
               (unsigned long long)info.bytes_in);
    if (graph_duplicates(g))
        log_warn("%llu duplicate object(s) dropped", (unsigned long long)graph_duplicates(g));
    log_summary(fields.p,
                "transformed %s: %llu entities, %llu relationships in %.1f s (%.0f MB/s of "
                "input); %s%s%s; wrote %s",
                info.org[0] ? info.org : "the dump", (unsigned long long)ents,
                (unsigned long long)rels, secs, secs > 0 ? (double)info.bytes_in / 1e6 / secs : 0.0,
                partial ? "PARTIAL: " : "complete", ptypes.p ? ptypes.p : "",
                partial ? " (JupiterOne will keep what it has of these)" : "",
                strcmp(a.out, "-") == 0 ? "standard output" : a.out);
    buf_free(&fields);
    buf_free(&types);
    buf_free(&ptypes);
    if (partial)
        status = EXIT_PARTIAL;
out:
    model_free(m);
    graph_free(g);
    return status;
}
