/* cli.c — see cli.h. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
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

int cli_common_option(struct cli_common *c, const char *name, const char *arg, struct err *e)
{
    if (strcmp(name, "quiet") == 0) {
        c->quiet = true;
        c->log_level = LOG_WARN;
        return 1;
    }
    if (strcmp(name, "verbose") == 0) {
        c->quiet = false;
        c->log_level = LOG_DEBUG;
        return 1;
    }
    if (strcmp(name, "log-format") == 0) {
        if (log_parse_format(arg, &c->log_format) < 0)
            return err_set(e, ERR_USAGE, "--log-format expects 'text' or 'json', not '%s'", arg);
        return 1;
    }
    return 0;
}
