/* cli.c — see cli.h. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The option getopt just looked at, as typed, without any "=value". */
static void typed_option(char **argv, char *out, size_t n)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    size_t l = strcspn(arg, "=");
    if (l > 64)
        l = 64;
    snprintf(out, n, "%.*s", (int)l, arg);
}

enum cli_verdict cli_getopt_common(int opt, char **argv, const char *program, const char *usage,
                                   struct cli_common *c, struct err *e)
{
    char name[80];
    switch (opt) {
    case CLI_OPT_QUIET:
        c->quiet = true;
        c->log_level = LOG_WARN;
        return CLI_HANDLED;
    case CLI_OPT_VERBOSE:
        c->quiet = false;
        c->log_level = LOG_DEBUG;
        return CLI_HANDLED;
    case CLI_OPT_LOG_FORMAT:
        if (log_parse_format(optarg, &c->log_format) < 0) {
            err_set(e, ERR_USAGE, "--log-format expects 'text' or 'json', not '%s'", optarg);
            return CLI_ERROR;
        }
        return CLI_HANDLED;
    case CLI_OPT_HELP: fputs(usage, stdout); return CLI_EXIT;
    case CLI_OPT_VERSION: printf("%s %s\n", program, J1NPM_VERSION); return CLI_EXIT;
    case ':':
        typed_option(argv, name, sizeof name);
        err_set(e, ERR_USAGE, "%s needs a value (see --help)", name);
        return CLI_ERROR;
    case '?':
        typed_option(argv, name, sizeof name);
        err_set(e, ERR_USAGE, "unknown option '%s' (see --help)", name);
        return CLI_ERROR;
    default: return CLI_NOT_MINE;
    }
}
