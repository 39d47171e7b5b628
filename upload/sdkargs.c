/* sdkargs.c — see sdkargs.h. */
#include "sdkargs.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "wait.h"

static char ur_long[] = "--upload-relationship-batch-size";
static char wait_def[] = "--wait=" WAIT_DEFAULT_S_STR;

/* Does the long option named by arg ("--name", no '=') take a value? An
 * abbreviation counts for every option it could stand for. */
static bool is_prefix(const char *abbr, const char *name)
{
    while (*abbr && *abbr == *name) {
        abbr++;
        name++;
    }
    return *abbr == '\0';
}

static bool long_takes_value(const char *arg, const struct cli_opt *opts)
{
    for (const struct cli_opt *o = opts; o->name; o++)
        if (o->arg && (is_prefix(arg + 2, o->name) || (o->alias && is_prefix(arg + 2, o->alias))))
            return true;
    return false;
}

static bool short_takes_value(char c, const struct cli_opt *opts)
{
    for (const struct cli_opt *o = opts; o->name; o++)
        if (o->short_name == c && o->arg)
            return true;
    return false;
}

static bool is_number(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Inserts v before argv[i]; argv has room (see sdkargs.h). */
static int insert(int argc, char **argv, int i, char *v)
{
    memmove(argv + i + 1, argv + i, (size_t)(argc - i + 1) * sizeof *argv);
    argv[i] = v;
    return argc + 1;
}

int sdkargs_rewrite(int argc, char **argv, const struct cli_opt *opts)
{
    bool grew_ur = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "-ur", 3) == 0) {
            if (a[3] == '\0') {
                argv[i] = ur_long;
            } else if (!grew_ur) {
                grew_ur = true;
                argv[i] = a + 3 + (a[3] == '=');
                argc = insert(argc, argv, i, ur_long);
            }
            i++; /* its value */
        } else if (strcmp(a, "--wait") == 0) {
            if (i + 1 < argc && is_number(argv[i + 1]))
                i++;
            else
                argv[i] = wait_def;
        } else if (a[0] == '-' && a[1] == '-' && !strchr(a, '=')) {
            if (long_takes_value(a, opts))
                i++;
        } else if (a[0] == '-' && a[1] && a[1] != '-' && a[2] == '\0') {
            if (short_takes_value(a[1], opts))
                i++;
        }
    }
    return argc;
}

char **sdkargs_copy(int argc, char **argv)
{
    char **v = xcalloc((size_t)argc + 3, sizeof *v);
    memcpy(v, argv, (size_t)argc * sizeof *v);
    v[argc] = NULL;
    return v;
}
