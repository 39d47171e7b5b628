/* test_cli.c — the program driver's option table (cli.h) and the summary's
 * JSON members (summary.h). */
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "summary.h"
#include "t.h"

static struct {
    const char *in, *name;
    bool dry;
    long n;
    int fn_calls;
} v;

static int count_fn(char *value, struct err *e)
{
    if (strcmp(value, "bad") == 0)
        return err_set(e, ERR_USAGE, "--each refuses 'bad'");
    v.fn_calls++;
    return 0;
}

static int need_in(struct err *e)
{
    return v.in ? 0 : err_set(e, ERR_USAGE, "--in is required");
}

static const struct cli_opt test_opts[] = {
    CLI_STR("in", "DIR|-", &v.in, "where to read"),
    CLI_STR("instance-name", "ID", &v.name, "the instance", .short_name = 'i',
            .alias = "instanceName"),
    CLI_SWITCH("dry-run", &v.dry, "send nothing"),
    CLI_NUM("count", "N", &v.n, 1, 64, "6", "how many"),
    CLI_FN("each", "X", count_fn, "call back"),
    CLI_SECRET("api-key", "KEY", "Set THE_KEY instead"),
    {0},
};

static const struct cli_program test_prog = {
    .name = "j1-npm-test",
    .synopsis = "--in DIR|- [options]",
    .about = "Tests the driver.\n",
    .exit_status = "Exit status: 0 fine.\n",
    .opts = test_opts,
    .check = need_in,
};

/* Parses the NULL-terminated arguments after the program name. */
static int parse(struct cli_common *c, struct err *e, char **args)
{
    char *argv[16] = {"j1-npm-test"};
    int argc = 1;
    while (args[argc - 1] && argc < 15) {
        argv[argc] = args[argc - 1];
        argc++;
    }
    memset(&v, 0, sizeof v);
    memset(e, 0, sizeof *e);
    return cli_parse(&test_prog, argc, argv, c, e);
}

#define ARGS(...) ((char *[]){__VA_ARGS__, NULL})

TEST(test_cli_options_set_what_the_table_says)
{
    struct cli_common c;
    struct err e;
    T_INT(1, parse(&c, &e,
                   ARGS("--in", "dir", "--dry-run", "--count=7", "--each", "a", "--each", "b",
                        "--verbose", "--log-format", "json")));
    T_STR("dir", v.in);
    T_TRUE(v.dry);
    T_INT(7, v.n);
    T_INT(2, v.fn_calls);
    T_INT(LOG_DEBUG, c.log_level);
    T_INT(LOG_JSON, c.log_format);
    T_FALSE(c.quiet);
    T_INT(1, parse(&c, &e, ARGS("--in", "-", "--quiet")));
    T_INT(LOG_WARN, c.log_level);
    T_INT(LOG_TEXT, c.log_format);
    T_TRUE(c.quiet);
}

TEST(test_cli_short_name_alias_and_their_abbreviation_are_one_option)
{
    struct cli_common c;
    struct err e;
    const char *spellings[][2] = {
        {"-i", "a"}, {"--instance-name", "b"}, {"--instanceName", "c"}, {"--instance", "d"}};
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        char *args[] = {"--in", "x", (char *)spellings[i][0], (char *)spellings[i][1], NULL};
        T_OK(parse(&c, &e, args), &e);
        T_STR(spellings[i][1], v.name);
    }
}

TEST(test_cli_shared_options_have_their_usual_one_letter_names)
{
    struct cli_common c;
    struct err e;
    T_INT(1, parse(&c, &e, ARGS("--in", "x", "-q")));
    T_TRUE(c.quiet);
    T_INT(LOG_WARN, c.log_level);
    T_INT(1, parse(&c, &e, ARGS("-v", "--in", "x")));
    T_INT(LOG_DEBUG, c.log_level);
    T_INT(1, parse(&c, &e, ARGS("-qi", "n", "--in", "x"))); /* grouped with a program's own */
    T_TRUE(c.quiet);
    T_STR("n", v.name);
    T_INT(1, parse(&c, &e, ARGS("--in", "x", "--summary-file", "s.json")));
    T_STR("s.json", c.summary_file);
    T_INT(-1, parse(&c, &e, ARGS("--in", "x", "-z")));
    T_STR("unknown option '-z' (see --help)", e.msg);
}

TEST(test_cli_usage_errors_are_class_usage_and_name_the_flag)
{
    struct cli_common c;
    struct err e;
    T_INT(-1, parse(&c, &e, ARGS("--in", "x", "--count", "65")));
    T_INT(ERR_USAGE, e.cls);
    T_STR("--count expects a whole number from 1 to 64, not '65'", e.msg);
    T_INT(-1, parse(&c, &e, ARGS("--in", "x", "--each", "bad")));
    T_STR("--each refuses 'bad'", e.msg);
    T_INT(-1, parse(&c, &e, ARGS("--in")));
    T_STR("--in needs a value (see --help)", e.msg);
    T_INT(-1, parse(&c, &e, ARGS("--in", "x", "extra")));
    T_STR("unexpected argument 'extra' (see --help)", e.msg);
    T_INT(-1, parse(&c, &e, ARGS("--dry-run")));
    T_STR("--in is required", e.msg);
    T_INT(-1, parse(&c, &e, ARGS("--in", "x", "--log-format", "xml")));
    T_STR("--log-format expects 'text' or 'json', not 'xml'", e.msg);
    T_INT(ERR_USAGE, e.cls);
}

TEST(test_cli_a_mistyped_or_refused_option_never_echoes_its_value)
{
    struct cli_common c;
    struct err e;
    T_INT(-1, parse(&c, &e, ARGS("--in", "x", "--api-kye=s3cr3t-value")));
    T_STR("unknown option '--api-kye' (see --help)", e.msg);
    T_INT(-1, parse(&c, &e, ARGS("--in", "x", "--api-key=s3cr3t-value")));
    T_STR("--api-key is not accepted: other users can read command lines. Set THE_KEY instead",
          e.msg);
    T_INT(-1, parse(&c, &e, ARGS("--api-key", "s3cr3t-value", "--in", "x")));
    T_NOT_CONTAINS(e.msg, strlen(e.msg), "s3cr3t", 6);
    T_INT(ERR_USAGE, e.cls);
}

TEST(test_cli_usage_shows_every_option_with_its_default_but_not_refused_ones)
{
    struct buf u = BUF_INIT;
    cli_usage(&test_prog, &u);
    T_CONTAINS(u.p, "usage: j1-npm-test --in DIR|- [options]\n\nTests the driver.\n\n");
    T_CONTAINS(u.p, "\n  --in DIR|-              where to read\n");
    T_CONTAINS(u.p, "\n  -i, --instance-name ID, --instanceName ID\n"
                    "                          the instance\n");
    T_CONTAINS(u.p, "\n  --count N               how many (default 6)\n");
    T_CONTAINS(u.p, "\n  --log-format text|json  ");
    T_CONTAINS(u.p, "\n  -V, --version           ");
    T_CONTAINS(u.p, "\n  -q, --quiet             ");
    T_CONTAINS(u.p, "\n  --summary-file FILE     ");
    T_CONTAINS(u.p, "\n\nExit status: 0 fine.\n");
    T_NOT_CONTAINS(u.p, u.len, "api-key", 7);
    for (const char *l = u.p; *l; l = strchr(l, '\n') + 1)
        if (strcspn(l, "\n") > 79)
            T_FAIL("a line of --help is longer than 79 columns: %.*s", (int)strcspn(l, "\n"), l);
    buf_free(&u);
}

TEST(test_summary_members_are_one_summary_object_without_outer_braces)
{
    struct summary s;
    struct jw *w = summary_begin(&s);
    jw_kstr(w, "org", "a\"b");
    summary_count(w, "bytes", UINT64_MAX);
    jw_key(w, "types");
    jw_obj(w);
    summary_count(w, "npm_user", 0);
    jw_obj_end(w);
    summary_seconds(w, "seconds", 1.23456);
    jw_kbool(w, "complete", true);
    T_STR(
        "\"summary\":{\"org\":\"a\\\"b\",\"bytes\":18446744073709551615,\"types\":{\"npm_user\":0},"
        "\"seconds\":1.235,\"complete\":true}",
        summary_members(&s));
    summary_free(&s);
}

TEST(test_summary_file_holds_program_status_the_same_summary_and_the_error)
{
    struct buf j = BUF_INIT;
    summary_forget();
    summary_file_json(&j, "j1-npm-test", 2, "--in is required");
    T_STR("{\"program\":\"j1-npm-test\",\"version\":\"" J1NPM_VERSION
          "\",\"exit_status\":2,\"summary\":null,\"error\":\"--in is required\"}\n",
          j.p);

    struct summary s;
    struct jw *w = summary_begin(&s);
    summary_count(w, "failed", 3);
    jw_kbool(w, "complete", false);
    summary_members(&s);
    summary_free(&s); /* the copy outlives the summary */
    log_add_redaction("s3cr3t-token", 12);
    buf_reset(&j);
    summary_file_json(&j, "j1-npm-test", 3, "refused s3cr3t-token \"x\"");
    T_STR("{\"program\":\"j1-npm-test\",\"version\":\"" J1NPM_VERSION
          "\",\"exit_status\":3,\"summary\":{\"failed\":3,\"complete\":false},"
          "\"error\":\"refused [REDACTED] \\\"x\\\"\"}\n",
          j.p);
    log_clear_redactions();
    buf_reset(&j);
    summary_file_json(&j, "j1-npm-test", 0, "");
    T_NOT_CONTAINS(j.p, j.len, "error", 5);
    summary_forget();
    buf_free(&j);
}
