/*
 * cli.h — what every program's main() needs before and around its work:
 * sane standard descriptors, signals (Ctrl-C sets a flag the loops check;
 * SIGPIPE is ignored so a closed pipe is an error we report, not a silent
 * death that skips cleanup), strict number parsing for flags, and the
 * shared --log-format/--quiet/--verbose handling.
 */
#ifndef J1NPM_CLI_H
#define J1NPM_CLI_H

#include <signal.h>
#include <stdbool.h>

#include "err.h"
#include "log.h"

#define J1NPM_VERSION "0.1.0"

extern volatile sig_atomic_t cli_interrupted;

/* Opens /dev/null on any of fds 0-2 that is closed, ignores SIGPIPE, and
 * installs SIGINT/SIGTERM handlers that set cli_interrupted (a second Ctrl-C
 * restores the default action, so it kills at once). */
void cli_setup(void);

/* Strict: the whole string is a decimal integer within [min, max]. */
int cli_parse_long(const char *flag, const char *s, long min, long max, long *out, struct err *e);

struct cli_common {
    enum log_format log_format;
    enum log_level log_level;
    bool quiet;
};

/* The options every program has; a program's own option ids start at 1000. */
enum {
    CLI_OPT_QUIET = 900,
    CLI_OPT_VERBOSE,
    CLI_OPT_LOG_FORMAT,
    CLI_OPT_HELP,
    CLI_OPT_VERSION,
};

#define CLI_COMMON_OPTIONS                                                                         \
    {"quiet", no_argument, NULL, CLI_OPT_QUIET}, {"verbose", no_argument, NULL, CLI_OPT_VERBOSE},  \
        {"log-format", required_argument, NULL, CLI_OPT_LOG_FORMAT},                               \
        {"help", no_argument, NULL, CLI_OPT_HELP},                                                 \
    {                                                                                              \
        "version", no_argument, NULL, CLI_OPT_VERSION                                              \
    }

enum cli_verdict { CLI_NOT_MINE, CLI_HANDLED, CLI_EXIT, CLI_ERROR };

/* For the default: of a getopt_long loop run with optstring ":...": handles
 * the common options (--help and --version print and give CLI_EXIT) and
 * getopt's own complaints (':' a missing value, '?' an unknown option).
 * Messages name the option as typed but never its "=value": a mistyped
 * --tokn=SECRET must not print the secret. */
enum cli_verdict cli_getopt_common(int opt, char **argv, const char *program, const char *usage,
                                   struct cli_common *c, struct err *e);

/* The exit status for the signal that interrupted us (128 + signal). */
int cli_interrupt_status(void);

#endif
