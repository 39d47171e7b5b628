/*
 * cli.h — the one program driver: everything a main() does that is not its
 * program's own work.
 *
 * A program describes itself by a table of options and a run function
 * (struct cli_program); cli_main() does the rest, the same way for all
 * three (as git's common-main.c does for every command):
 *
 *   - sane standard descriptors (/dev/null on a closed 0-2), SIGPIPE ignored
 *     (a closed pipe is an error we report, not a silent death that skips
 *     cleanup), SIGINT/SIGTERM set cli_interrupted, which the loops check (a
 *     second Ctrl-C kills at once);
 *   - getopt_long built from the table, plus the options every program has
 *     (-q/--quiet, -v/--verbose, --log-format, --summary-file, -h/--help,
 *     -V/--version), strict numbers,
 *     getopt's complaints; every usage error exits 2;
 *   - --help generated from the same table, so the usage text cannot leave
 *     out an option or show a stale default (README's flag tables are held to
 *     it by tests/integration/test_cli_docs.py);
 *   - logging set up before the options (errors about them are text) and
 *     again after, as they ask;
 *   - the run's outcome turned into the exit status (exitcode.h): an error
 *     by its class, an interruption as 128 + the signal (130, 143);
 *   - with --summary-file, that status, the run's summary and its error
 *     written to the file (summary.h) whatever the outcome, once the option
 *     has been read (a later usage error is in the file too).
 *
 * Secrets: an option whose value would be a secret on the command line is
 * refused by name (cli_opt.secret), and a message about a mistyped option
 * names it as typed but never its "=value": --tokn=SECRET must not print
 * the secret.
 */
#ifndef J1NPM_CLI_H
#define J1NPM_CLI_H

#include <signal.h>
#include <stdbool.h>

#include "buf.h"
#include "err.h"
#include "log.h"

#define J1NPM_VERSION "0.1.0"

extern volatile sig_atomic_t cli_interrupted;

/* Opens /dev/null on any of fds 0-2 that is closed, ignores SIGPIPE, and
 * installs SIGINT/SIGTERM handlers that set cli_interrupted (a second Ctrl-C
 * restores the default action, so it kills at once). cli_main calls it. */
void cli_setup(void);

/* Strict: the whole string is a decimal integer within [min, max]. */
int cli_parse_long(const char *flag, const char *s, long min, long max, long *out, struct err *e);

/* The exit status for the signal that interrupted us (128 + signal). */
int cli_interrupt_status(void);

/* What the shared options asked for. */
struct cli_common {
    enum log_format log_format;
    enum log_level log_level;
    bool quiet;
    const char *summary_file; /* --summary-file: cli_main writes it (summary.h) */
};

/* One option. Give exactly one of str, set, num, fn, secret: what the
 * option does. Ends a table: an entry whose name is NULL. */
struct cli_opt {
    const char *name;  /* the long name, without "--" */
    char short_name;   /* a one-letter name ('i' for -i), or 0 */
    const char *alias; /* a second long name, or NULL */
    const char *arg;   /* the value's name in --help ("DIR|-"); NULL: a switch */
    const char *help;  /* what it does, for --help (wrapped there); NULL: not shown */
    const char *def;   /* the default, shown as "(default DEF)" after help */

    const char **str;                      /* the value is stored here */
    bool *set;                             /* a switch: true is stored here */
    long *num;                             /* a whole number within [min, max] is stored here */
    long min, max;                         /*   (the message names the range) */
    int (*fn)(char *value, struct err *e); /* anything else: 0, or -1 and e */
    const char *secret;                    /* refused: its value would be a secret on a command
                                            * line, which other users can read; says where the
                                            * secret goes instead ("Set NPM_TOKEN or ...") */
};

/* A table's rows, one line each; more fields may follow as designated
 * initializers (.def = "16", .short_name = 'i', .alias = "..."). */
#define CLI_STR(n_, arg_, ptr_, help_, ...)                                                        \
    {                                                                                              \
        .name = (n_), .arg = (arg_), .str = (ptr_), .help = (help_), __VA_ARGS__                   \
    }
#define CLI_SWITCH(n_, ptr_, help_, ...)                                                           \
    {                                                                                              \
        .name = (n_), .set = (ptr_), .help = (help_), __VA_ARGS__                                  \
    }
#define CLI_NUM(n_, arg_, ptr_, min_, max_, def_, help_)                                           \
    {                                                                                              \
        .name = (n_), .arg = (arg_), .num = (ptr_), .min = (min_), .max = (max_), .def = (def_),   \
        .help = (help_)                                                                            \
    }
#define CLI_FN(n_, arg_, fn_, help_, ...)                                                          \
    {                                                                                              \
        .name = (n_), .arg = (arg_), .fn = (fn_), .help = (help_), __VA_ARGS__                     \
    }
#define CLI_SECRET(n_, arg_, where_)                                                               \
    {                                                                                              \
        .name = (n_), .arg = (arg_), .secret = (where_)                                            \
    }

/* What a run returns besides an exit status (>= 0) it has chosen itself. */
enum {
    CLI_FAILED = -1,      /* e says why; exit status by its class (ERR_NONE as failure) */
    CLI_INTERRUPTED = -2, /* "interrupted: <cli_program.interrupted>", 128 + the signal */
};

struct cli_program {
    const char *name;        /* "j1-npm-collect": the log prefix and --version */
    const char *synopsis;    /* the usage line after the name */
    const char *about;       /* the paragraph after the usage line ('\n' ended) */
    const char *exit_status; /* the paragraph after the options ('\n' ended) */
    const struct cli_opt *opts;
    /* After the options: the checks that need all of them (a required one
     * missing, two that conflict). 0, or -1 and a usage error in e. May be NULL. */
    int (*check)(struct err *e);
    /* The program's work, with logging set up: an exit status, CLI_FAILED
     * or CLI_INTERRUPTED. */
    int (*run)(const struct cli_common *c, struct err *e);
    const char *interrupted; /* what an interrupted run leaves behind (or NULL) */
};

/* The whole of main(): returns the exit status. */
int cli_main(const struct cli_program *p, int argc, char **argv);

/* The parts of cli_main, for tests. cli_parse reads argv into the table's
 * targets and c: 1 go on; 0 done (--help or --version printed on stdout);
 * -1 and a usage error in e. */
int cli_parse(const struct cli_program *p, int argc, char **argv, struct cli_common *c,
              struct err *e);
/* The --help text. */
void cli_usage(const struct cli_program *p, struct buf *out);

#endif
