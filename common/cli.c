/* cli.c — see cli.h. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "exitcode.h"
#include "summary.h"

volatile sig_atomic_t cli_interrupted;
static volatile sig_atomic_t last_signal;

static void on_signal(int sig)
{
    if (cli_interrupted) {
        signal(sig, SIG_DFL); /* second press: let it kill us */
        raise(sig);
        return;
    }
    cli_interrupted = 1;
    last_signal = sig;
}

void cli_setup(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
            if (n >= 0 && n != fd) {
                dup2(n, fd);
                close(n);
            }
        }
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_interrupt_status(void)
{
    return 128 + (last_signal ? (int)last_signal : SIGINT);
}

int cli_parse_long(const char *flag, const char *s, long min, long max, long *out, struct err *e)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max)
        return err_set(e, ERR_USAGE, "%s expects a whole number from %ld to %ld, not '%s'", flag,
                       min, max, s);
    *out = v;
    return 0;
}

/* ---- the option table ---------------------------------------------------- */

/* getopt_long's values: OPT_BASE + i for the program's option i,
 * OPT_COMMON + i for the shared option i. */
#define OPT_BASE 1000
#define OPT_COMMON 900
enum { C_QUIET, C_VERBOSE, C_LOG_FORMAT, C_SUMMARY_FILE, C_HELP, C_VERSION, C_COUNT };

/* The options every program has (apply_common does what they say). Their
 * one-letter names are the ones every Unix tool uses for them; a program's
 * table must not take them. */
static const struct cli_opt common_opts[C_COUNT + 1] = {
    [C_QUIET] = {.name = "quiet",
                 .short_name = 'q',
                 .help = "warnings only (and the summary at the end)"},
    [C_VERBOSE] = {.name = "verbose", .short_name = 'v', .help = "debug detail as well"},
    [C_LOG_FORMAT] = {.name = "log-format",
                      .arg = "text|json",
                      .help = "messages on stderr as text or as JSON lines",
                      .def = "text"},
    [C_SUMMARY_FILE] = {.name = "summary-file",
                        .arg = "FILE",
                        .help = "also write the final summary to FILE as one JSON object "
                                "(program, exit status, summary, error), replaced atomically"},
    [C_HELP] = {.name = "help", .short_name = 'h', .help = "print this text and exit"},
    [C_VERSION] = {.name = "version", .short_name = 'V', .help = "print the version and exit"},
};

static size_t count(const struct cli_opt *o)
{
    size_t n = 0;
    while (o[n].name)
        n++;
    return n;
}

/* The getopt_long table and short option string for p; free both. */
static struct option *getopt_table(const struct cli_program *p, char **shorts)
{
    size_t n = count(p->opts), k = 0;
    struct option *t = xcalloc(2 * n + C_COUNT + 1, sizeof *t);
    struct buf s = BUF_INIT;
    buf_putc(&s, ':'); /* ':' for a missing value, '?' for an unknown option */
    for (size_t i = 0; i < n; i++) {
        const struct cli_opt *o = &p->opts[i];
        int has = o->arg ? required_argument : no_argument;
        /* The alias gets the same value: getopt then takes an abbreviation
         * of both ("--integration") as one option, not an ambiguous one. */
        t[k++] = (struct option){o->name, has, NULL, OPT_BASE + (int)i};
        if (o->alias)
            t[k++] = (struct option){o->alias, has, NULL, OPT_BASE + (int)i};
        if (o->short_name)
            buf_printf(&s, "%c%s", o->short_name, o->arg ? ":" : "");
    }
    for (int i = 0; i < C_COUNT; i++) {
        const struct cli_opt *o = &common_opts[i];
        t[k++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
                                 OPT_COMMON + i};
        if (o->short_name)
            buf_printf(&s, "%c%s", o->short_name, o->arg ? ":" : "");
    }
    *shorts = buf_detach(&s);
    return t;
}

/* The option getopt just looked at, as typed, without any "=value". */
static void typed_option(char **argv, char *out, size_t n)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    size_t l = strcspn(arg, "=");
    if (l > 64)
        l = 64;
    snprintf(out, n, "%.*s", (int)l, arg);
}

static int apply(const struct cli_opt *o, char *value, struct err *e)
{
    char flag[80];
    snprintf(flag, sizeof flag, "--%s", o->name);
    if (o->secret)
        return err_set(e, ERR_USAGE, "%s is not accepted: other users can read command lines. %s",
                       flag, o->secret);
    if (o->str)
        *o->str = value;
    else if (o->set)
        *o->set = true;
    else if (o->num)
        return cli_parse_long(flag, value, o->min, o->max, o->num, e);
    else if (o->fn)
        return o->fn(value, e);
    return 0;
}

/* 1 handled, 0 done (help or version printed), -1 error. */
static int apply_common(const struct cli_program *p, int opt, char **argv, struct cli_common *c,
                        struct err *e)
{
    char name[80];
    switch (opt - OPT_COMMON) {
    case C_QUIET:
        c->quiet = true;
        c->log_level = LOG_WARN;
        return 1;
    case C_VERBOSE:
        c->quiet = false;
        c->log_level = LOG_DEBUG;
        return 1;
    case C_LOG_FORMAT:
        if (log_parse_format(optarg, &c->log_format) < 0)
            return err_set(e, ERR_USAGE, "--log-format expects 'text' or 'json', not '%s'", optarg);
        return 1;
    case C_SUMMARY_FILE:
        if (!*optarg)
            return err_set(e, ERR_USAGE, "--summary-file expects a file name");
        c->summary_file = optarg;
        return 1;
    case C_HELP: {
        struct buf u = BUF_INIT;
        cli_usage(p, &u);
        fputs(u.p, stdout);
        buf_free(&u);
        return 0;
    }
    case C_VERSION: printf("%s %s\n", p->name, J1NPM_VERSION); return 0;
    default:
        /* getopt's own complaints: ':' a missing value, '?' an unknown option */
        typed_option(argv, name, sizeof name);
        if (opt == ':')
            return err_set(e, ERR_USAGE, "%s needs a value (see --help)", name);
        return err_set(e, ERR_USAGE, "unknown option '%s' (see --help)", name);
    }
}

static const struct cli_opt *find(const struct cli_program *p, int opt)
{
    size_t n = count(p->opts);
    if (opt >= OPT_BASE && (size_t)(opt - OPT_BASE) < n)
        return &p->opts[opt - OPT_BASE];
    for (size_t i = 0; opt > 0 && opt < 128 && i < n; i++)
        if (p->opts[i].short_name == opt)
            return &p->opts[i];
    return NULL;
}

/* A shared option's one-letter name as its OPT_COMMON value. */
static int common_short(int opt)
{
    for (int i = 0; opt > 0 && opt < 128 && i < C_COUNT; i++)
        if (common_opts[i].short_name == opt)
            return OPT_COMMON + i;
    return opt;
}

int cli_parse(const struct cli_program *p, int argc, char **argv, struct cli_common *c,
              struct err *e)
{
    char *shorts;
    struct option *table = getopt_table(p, &shorts);
    int rc = 1, opt;
    c->log_format = LOG_TEXT;
    c->log_level = LOG_INFO;
    c->quiet = false;
    c->summary_file = NULL;
    opterr = 0;
    optind = 0; /* glibc: start afresh (a test parses more than once) */
    while (rc == 1 && (opt = getopt_long(argc, argv, shorts, table, NULL)) != -1) {
        const struct cli_opt *o = find(p, opt);
        if (o)
            rc = apply(o, optarg, e) < 0 ? -1 : 1;
        else
            rc = apply_common(p, common_short(opt), argv, c, e);
    }
    if (rc == 1 && optind < argc)
        rc = err_set(e, ERR_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
    if (rc == 1 && p->check && p->check(e) < 0)
        rc = -1;
    free(table);
    free(shorts);
    return rc;
}

/* ---- --help -------------------------------------------------------------- */

#define HELP_COL 26   /* where the descriptions start */
#define HELP_WIDTH 79 /* where they wrap */

/* words, wrapped from column `at` (where the line already is) to HELP_WIDTH,
 * continuation lines indented to HELP_COL. */
static void wrap(struct buf *out, const char *words, size_t at)
{
    const char *p = words;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (at > HELP_COL && at + 1 + n > HELP_WIDTH) {
            buf_printf(out, "\n%*s", HELP_COL, "");
            at = HELP_COL;
        } else if (at > HELP_COL) {
            buf_putc(out, ' ');
            at++;
        }
        buf_append(out, p, n);
        at += n;
        p += n;
        p += strspn(p, " ");
    }
    buf_putc(out, '\n');
}

static void usage_lines(const struct cli_opt *opts, struct buf *out)
{
    for (const struct cli_opt *o = opts; o->name; o++) {
        if (!o->help)
            continue;
        size_t start = out->len;
        buf_puts(out, "  ");
        if (o->short_name)
            buf_printf(out, "-%c, ", o->short_name);
        buf_printf(out, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        if (o->alias)
            buf_printf(out, ", --%s%s%s", o->alias, o->arg ? " " : "", o->arg ? o->arg : "");
        size_t at = out->len - start;
        if (at + 2 > HELP_COL) { /* a long name: the description goes below */
            buf_putc(out, '\n');
            at = 0;
        }
        buf_printf(out, "%*s", (int)(HELP_COL - at), "");
        struct buf text = BUF_INIT;
        buf_puts(&text, o->help);
        if (o->def)
            buf_printf(&text, " (default %s)", o->def);
        wrap(out, text.p, HELP_COL);
        buf_free(&text);
    }
}

void cli_usage(const struct cli_program *p, struct buf *out)
{
    buf_printf(out, "usage: %s %s\n\n%s\n", p->name, p->synopsis, p->about);
    usage_lines(p->opts, out);
    usage_lines(common_opts, out);
    buf_printf(out, "\n%s", p->exit_status);
}

/* ---- the driver ---------------------------------------------------------- */

/* --summary-file, if asked for: a run that did everything else but could
 * not write it has failed (the scheduler reading it would see nothing, or
 * an older run). */
static int write_summary_file(const struct cli_program *p, const struct cli_common *c, int status,
                              const char *error)
{
    struct err fe = {0};
    if (c->summary_file && summary_write_file(c->summary_file, p->name, status, error, &fe) < 0) {
        log_error("%s", fe.msg);
        if (status == EXIT_OK)
            status = EXIT_FAILURE_;
    }
    summary_forget();
    return status;
}

int cli_main(const struct cli_program *p, int argc, char **argv)
{
    struct cli_common c;
    struct err e = {0};
    char what[sizeof e.msg + 32] = "";
    cli_setup();
    log_setup(p->name, LOG_TEXT, LOG_INFO);
    int pr = cli_parse(p, argc, argv, &c, &e);
    if (pr <= 0) {
        if (pr < 0)
            log_error("%s", e.msg);
        int st = pr < 0 ? exit_code_for(e.cls) : EXIT_OK;
        return pr < 0 ? write_summary_file(p, &c, st, e.msg) : st;
    }
    log_setup(p->name, c.log_format, c.log_level);
    int status = p->run(&c, &e);
    if (status == CLI_INTERRUPTED) {
        log_error("interrupted%s%s", p->interrupted ? ": " : "",
                  p->interrupted ? p->interrupted : "");
        snprintf(what, sizeof what, "interrupted%s%s", p->interrupted ? ": " : "",
                 p->interrupted ? p->interrupted : "");
        status = cli_interrupt_status();
    } else if (status < 0) {
        log_error("%s", e.msg);
        snprintf(what, sizeof what, "%s", e.msg);
        status = exit_code_for(e.cls == ERR_NONE ? ERR_FAIL : e.cls);
    } else if (status != EXIT_OK && e.cls != ERR_NONE) {
        snprintf(what, sizeof what, "%s", e.msg); /* the run reported it itself */
    }
    status = write_summary_file(p, &c, status, what);
    log_clear_redactions();
    return status;
}
