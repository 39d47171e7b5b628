/* test_sdkargs.c — upload's rewrite of the SDK's -ur and a bare --wait
 * (upload/sdkargs.h) before getopt reads the arguments. */
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "upload/sdkargs.h"
#include "upload/wait.h"

static const char *in_s, *scope_s;
static long num;

static const struct cli_opt opts[] = {
    CLI_STR("in", "DIR", &in_s, "input"),
    CLI_STR("scope", "S", &scope_s, "scope"),
    {.name = "upload-batch-size",
     .short_name = 'u',
     .arg = "N",
     .num = &num,
     .min = 1,
     .max = 9,
     .help = "u"},
    {0},
};

/* The rewrite of the space-separated words `args` (after a program name),
 * joined by spaces into out. */
static void rewrite(const char *args, struct buf *out)
{
    char *copy = strdup(args);
    char *v[16] = {(char *)"prog"};
    int n = 1;
    for (char *t = strtok(copy, " "); t && n < 12; t = strtok(NULL, " "))
        v[n++] = t;
    char **w = sdkargs_copy(n, v);
    int m = sdkargs_rewrite(n, w, opts);
    buf_reset(out);
    for (int i = 1; i < m; i++)
        buf_printf(out, "%s%s", i > 1 ? " " : "", w[i]);
    if (w[m] != NULL)
        buf_puts(out, " <no NULL at the end>");
    free(w);
    free(copy);
}

TEST(test_sdkargs_ur_becomes_the_long_option)
{
    struct buf b = BUF_INIT;
    rewrite("-u 5 -ur 3", &b);
    T_BUF("-u 5 --upload-relationship-batch-size 3", b);
    rewrite("-ur3 --in x", &b);
    T_BUF("--upload-relationship-batch-size 3 --in x", b);
    rewrite("-ur=3", &b);
    T_BUF("--upload-relationship-batch-size 3", b);
    buf_free(&b);
}

TEST(test_sdkargs_ur_as_a_value_or_after_dashdash_is_left_alone)
{
    struct buf b = BUF_INIT;
    rewrite("--scope -ur --in -ur", &b);
    T_BUF("--scope -ur --in -ur", b);
    rewrite("--sco -ur", &b); /* an abbreviation takes a value too */
    T_BUF("--sco -ur", b);
    rewrite("-- -ur 3", &b);
    T_BUF("-- -ur 3", b);
    rewrite("-u -ur", &b); /* -u's value, even a bad one */
    T_BUF("-u -ur", b);
    buf_free(&b);
}

TEST(test_sdkargs_bare_wait_gets_the_default_and_a_number_after_it_is_its_value)
{
    struct buf b = BUF_INIT;
    rewrite("--wait --in x", &b);
    T_BUF("--wait=" WAIT_DEFAULT_S_STR " --in x", b);
    rewrite("--in x --wait", &b);
    T_BUF("--in x --wait=" WAIT_DEFAULT_S_STR, b);
    rewrite("--wait 60", &b);
    T_BUF("--wait 60", b);
    rewrite("--wait=60", &b);
    T_BUF("--wait=60", b);
    rewrite("--scope --wait", &b);
    T_BUF("--scope --wait", b);
    buf_free(&b);
}
