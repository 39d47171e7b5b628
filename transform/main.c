/*
 * j1-npm-transform — a j1-npm-collect dump to JupiterOne graph files.
 *
 * This file only says which options the program has, then: input.c reads
 * the dump, model.c makes the objects, graph.c sorts and writes them, and
 * report.c prints the summary and chooses the exit status; cli.c does the
 * rest of being a program. Offline: this program opens no socket.
 */
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "graph.h"
#include "input.h"
#include "model.h"
#include "report.h"
#include "timeutil.h"

#define MAX_TAGS 64

static struct {
    const char *in, *out, *account_name;
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
    {0},
};

static int check(struct err *e)
{
    if (!a.in || !a.out)
        return err_set(e, ERR_USAGE, "--in and --out are both required (see --help)");
    for (size_t i = 0; i < a.ntags; i++)
        if (a.account_name && strcmp(a.tags[i].key, "AccountName") == 0)
            return err_set(e, ERR_USAGE, "use --account-name or --tag AccountName=..., not both");
    return 0;
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
    struct transform_report r = {.out = a.out, .info = &info, .t0 = time_mono_ms()};
    struct graph *g = graph_new(e);
    struct model *m = g ? model_new(&mo, g) : NULL;
    r.g = g;
    if (!m || input_read(a.in, a.allow_incomplete, model_record, m, &info, e) < 0 ||
        model_finish(m, &info, &r.partial, e) < 0 || cli_interrupted ||
        graph_write(g, a.out, r.partial, e) < 0)
        r.rc = -1;
    int status = transform_report_outcome(&r);
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
                       "(output\nwritten; the types a failed fetch fed are marked partial).\n",
        .opts = opts,
        .check = check,
        .run = run,
        .interrupted = "nothing was written",
    };
    return cli_main(&p, argc, argv);
}
