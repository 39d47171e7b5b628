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

/* Handles --quiet, --verbose and --log-format (long option names, as
 * getopt_long reports them). Returns 1 if the option was one of these, 0 if
 * not, -1 on error. */
int cli_common_option(struct cli_common *c, const char *name, const char *arg, struct err *e);

/* The exit status for the signal that interrupted us (128 + signal). */
int cli_interrupt_status(void);

#endif
