/*
 * j1-npm-transform — a j1-npm-collect dump to JupiterOne graph files.
 *
 * This file only says which options the program has, then: input.c reads
 * the dump, model.c makes the objects, graph.c sorts and writes them, and
 * report.c prints the summary and chooses the exit status; cli.c does the
 * rest of being a program. With --report, --picture or --compare, the
 * graph's objects are also copied, as they are written, into the org facts
 * (orgfacts.h) that orgreport.c, orgpicture.c and orgdiff.c read.
 * Offline: this program opens no socket.
 */
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "exitcode.h"
#include "graph.h"
#include "log.h"
#include "input.h"
#include "model.h"
#include "orgdiff.h"
#include "orgfacts.h"
#include "orgpicture.h"
#include "orgreport.h"
#include "report.h"
#include "timeutil.h"

#define MAX_TAGS 64
#define MAX_REPORTS 3 /* one a format */

static struct {
    const char *in, *out, *account_name;
    const char *reports[MAX_REPORTS], *compare, *picture, *fail_on_list;
    size_t nreports;
    unsigned long fail_on; /* bits of enum od_class */
    bool allow_incomplete;
    struct model_tag tags[MAX_TAGS];
    size_t ntags;
} a;

static int set_account_name(char *v, struct err *e)
{
    if (!*v)
        return err_set(e, ERR_USAGE, "--account-name cannot be empty");
    a.account_name = v;
    return 0;
}

/* KEY=VALUE; KEY as JupiterOne property names after "tag.": [A-Za-z0-9. -]+. */
static int add_tag(char *s, struct err *e)
{
    char *eq = strchr(s, '=');
    size_t n = eq ? (size_t)(eq - s) : 0;
    if (n == 0 ||
        strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789. -") < n)
        return err_set(e, ERR_USAGE,
                       "--tag expects KEY=VALUE with KEY made of letters, digits, '.', '-' or "
                       "space, not '%s'",
                       s);
    if (a.ntags == MAX_TAGS)
        return err_set(e, ERR_USAGE, "at most %d --tag options", MAX_TAGS);
    *eq = '\0';
    for (size_t i = 0; i < a.ntags; i++)
        if (strcmp(a.tags[i].key, s) == 0)
            return err_set(e, ERR_USAGE, "--tag %s is given twice", s);
    if (strcmp(s, "AccountName") == 0 && a.account_name)
        return err_set(e, ERR_USAGE, "use --account-name or --tag AccountName=..., not both");
    a.tags[a.ntags++] = (struct model_tag){s, eq + 1};
    return 0;
}

static int add_report(char *v, struct err *e)
{
    enum orep_format fmt;
    if (orep_format_of(v, &fmt, e) < 0)
        return -1;
    if (a.nreports == MAX_REPORTS)
        return err_set(e, ERR_USAGE, "at most %d --report options (one a format)", MAX_REPORTS);
    a.reports[a.nreports++] = v;
    return 0;
}

static int set_fail_on(char *v, struct err *e)
{
    a.fail_on_list = v;
    return od_parse_classes(v, &a.fail_on, e);
}

static const struct cli_opt opts[] = {
    CLI_STR("in", "DIR|-", &a.in, "the dump directory, or - for the stream on stdin"),
    CLI_STR("out", "DIR|-", &a.out,
            "the output directory (replaced only once the new one is complete), or - for a gzip "
            "NDJSON stream on stdout"),
    CLI_SWITCH("allow-incomplete", &a.allow_incomplete,
               "accept a dump without its manifest (every type is then marked partial, so "
               "JupiterOne deletes nothing)"),
    CLI_FN("account-name", "NAME", set_account_name,
           "set tag.AccountName on every entity and name the npm_account entity NAME"),
    CLI_FN("tag", "KEY=VALUE", add_tag, "set tag.KEY on every entity (repeatable)"),
    CLI_FN("report", "FILE", add_report,
           "also write the org report: FILE.md (Markdown), FILE.json or FILE.html (one "
           "self-contained page with the access map); repeatable"),
    CLI_STR("picture", "FILE.svg", &a.picture,
            "also write the access map (packages against teams and outsiders) as SVG"),
    CLI_STR("compare", "PREV", &a.compare,
            "report what changed since PREV: a previous graph directory, or a previous dump "
            "directory"),
    CLI_FN("fail-on", "CLASSES", set_fail_on,
           "exit 6 when --compare finds a change of one of these classes (comma-separated, or "
           "any; the README lists them)"),
    {0},
};

static int check(struct err *e)
{
    if (!a.in || !a.out)
        return err_set(e, ERR_USAGE, "--in and --out are both required (see --help)");
    for (size_t i = 0; i < a.ntags; i++)
        if (a.account_name && strcmp(a.tags[i].key, "AccountName") == 0)
            return err_set(e, ERR_USAGE, "use --account-name or --tag AccountName=..., not both");
    size_t pn = a.picture ? strlen(a.picture) : 0;
    if (a.picture && (pn < 5 || strcmp(a.picture + pn - 4, ".svg") != 0))
        return err_set(e, ERR_USAGE, "--picture %s: the name must end in .svg", a.picture);
    if (a.fail_on && !a.compare)
        return err_set(e, ERR_USAGE, "--fail-on needs --compare PREV (changes since what?)");
    return 0;
}

static int observe(void *ctx, enum gtype t, const char *json, size_t n, struct err *e)
{
    return ofacts_add(ctx, gtypes[t].type, json, n, e);
}

/* The report, the picture and the changes, once the graph is written. 0,
 * or -1 with e set; *changed: a change of a --fail-on class was found. */
static int org_outputs(struct ofacts *cur, const struct ofacts *prev, int64_t as_of, bool *changed,
                       struct err *e)
{
    struct od_changes ch;
    struct buf b = BUF_INIT;
    int rc = 0;
    ofacts_finish(cur);
    if (prev) {
        od_diff(prev, cur, &ch);
        for (size_t i = 0; i < ch.n; i++) {
            const struct od_change *c = &ch.v[i];
            bool hit = (a.fail_on >> c->cls) & 1;
            struct buf line = BUF_INIT;
            log_escape_controls(c->subject, strlen(c->subject), &line);
            buf_puts(&line, ": ");
            log_escape_controls(c->detail, strlen(c->detail), &line);
            if (hit)
                log_warn("change %s (--fail-on): %s", od_classes[c->cls].name, line.p);
            else
                log_info("change %s: %s", od_classes[c->cls].name, line.p);
            buf_free(&line);
            *changed |= hit;
        }
        for (int k = 0; k < OD_COUNT; k++)
            if (ch.count[k] > OD_MAX_LISTED) {
                bool hit = (a.fail_on >> k) & 1;
                log_msg(hit ? LOG_WARN : LOG_INFO, "change %s: %zu more not listed%s",
                        od_classes[k].name, ch.count[k] - OD_MAX_LISTED, hit ? " (--fail-on)" : "");
            }
        log_info("%zu change(s) since %s", ch.n + ch.unlisted, a.compare);
    }
    struct orep_in in = {cur, prev ? &ch : NULL, as_of};
    enum orep_format fmt;
    for (size_t i = 0; rc == 0 && i < a.nreports; i++) {
        if ((rc = orep_format_of(a.reports[i], &fmt, e)) < 0)
            break;
        buf_reset(&b);
        orep_render(&in, fmt, &b);
        rc = orep_write_file(a.reports[i], &b, e);
        if (rc == 0)
            log_info("wrote the org report %s", a.reports[i]);
    }
    if (rc == 0 && a.picture) {
        buf_reset(&b);
        pic_svg(cur, &b);
        rc = orep_write_file(a.picture, &b, e);
        if (rc == 0)
            log_info("wrote the access map %s", a.picture);
    }
    if (prev)
        od_free(&ch);
    buf_free(&b);
    return rc;
}

static int run(const struct cli_common *c, struct err *e)
{
    (void)c;
    if (strcmp(a.out, "-") == 0 && isatty(STDOUT_FILENO))
        return err_set(e, ERR_USAGE,
                       "--out - writes gzip data to standard output, which is a "
                       "terminal; pipe it (| j1-npm-upload --in -) or redirect it "
                       "to a file");
    if (strcmp(a.in, "-") == 0 && isatty(STDIN_FILENO))
        return err_set(e, ERR_USAGE,
                       "--in - reads a dump stream from standard input, which is a "
                       "terminal; pipe one in (j1-npm-collect --out - | ...)");
    struct model_opts mo = {a.account_name, a.tags, a.ntags};
    struct input_info info;
    struct ofacts cur, prev;
    bool org = a.nreports || a.picture || a.compare, changed = false;
    ofacts_init(&cur);
    ofacts_init(&prev);
    /* PREV first: a bad one stops the run before anything is written, and
     * --compare may name the very directory --out is about to replace. */
    if (a.compare && ofacts_read_prev(&prev, a.compare, e) < 0) {
        ofacts_free(&prev);
        return CLI_FAILED;
    }
    struct transform_report r = {.out = a.out, .info = &info, .t0 = time_mono_ms()};
    struct graph *g = graph_new(e);
    struct model *m = g ? model_new(&mo, g) : NULL;
    r.g = g;
    if (g && org)
        graph_observe(g, observe, &cur);
    if (!m || input_read(a.in, a.allow_incomplete, model_record, m, &info, e) < 0 ||
        model_finish(m, &info, &r.partial, e) < 0 || cli_interrupted ||
        graph_write(g, a.out, r.partial, e) < 0 ||
        (org && org_outputs(&cur, a.compare ? &prev : NULL, info.started_at, &changed, e) < 0))
        r.rc = -1;
    int status = transform_report_outcome(&r);
    if (changed && status >= 0 && status != EXIT_FAILURE_) {
        log_warn("--fail-on %s: a change of a named class was found (exit %d)", a.fail_on_list,
                 EXIT_CHANGES);
        status = EXIT_CHANGES;
    }
    ofacts_free(&cur);
    ofacts_free(&prev);
    model_free(m);
    graph_free(g);
    return status;
}

int main(int argc, char **argv)
{
    static const struct cli_program p = {
        .name = "j1-npm-transform",
        .synopsis = "--in DIR|- --out DIR|- [options]",
        .about = "Turns a dump written by j1-npm-collect into JupiterOne entities and\n"
                 "relationships, in the JupiterOne SDK's storage layout (graph/<step>/...\n"
                 "and summary.json) or, with --out -, as one gzip NDJSON stream. Offline.\n",
        .exit_status = "Exit status: 0 complete, 1 failure (bad input), 2 usage, 3 partial "
                       "(output\nwritten; the types a failed fetch fed are marked partial), 6 "
                       "--fail-on: output\nwritten and a change of a named class found (before "
                       "3).\n",
        .opts = opts,
        .check = check,
        .run = run,
        .interrupted = "nothing was written",
    };
    return cli_main(&p, argc, argv);
}
