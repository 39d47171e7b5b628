/*
 * err.h — how library code reports failure.
 *
 * Library functions never exit and never print to stdout. They return 0 on
 * success and -1 on failure, filling a caller-owned struct err with a class
 * and a one-line message meant for a human. Only a program's main() turns the
 * class into an exit code (see exitcode.h), so the same failure means the
 * same exit status in all three programs.
 *
 * Messages never contain secrets: nothing that formats a message here is ever
 * handed a token or key (see secret.h), and log.c redacts as a second line of
 * defence.
 */
#ifndef J1NPM_ERR_H
#define J1NPM_ERR_H

#include <stdarg.h>
#include <stdbool.h>

enum err_class {
    ERR_NONE = 0,
    ERR_FAIL,    /* something went wrong: I/O, bad input, server error */
    ERR_USAGE,   /* bad flags, bad configuration, refused output directory */
    ERR_PARTIAL, /* finished, but some items failed and were recorded as failed */
    ERR_AUTH,    /* the server refused our credentials (401/403) */
};

struct err {
    enum err_class cls;
    char msg[512];
};

/* Sets e (if not NULL) and returns -1, so that callers can `return err_set(...)`. */
int err_set(struct err *e, enum err_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int err_vset(struct err *e, enum err_class cls, const char *fmt, va_list ap);

/* Prefixes the message already in e with "prefix: " (keeps its class). */
int err_wrap(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void err_clear(struct err *e);

/* The first-error latch: sets `first` only while it holds no error
 * (cls == ERR_NONE), so a run that stops reports why it stopped and not
 * the last of the fallout. Returns true when this call set it. */
bool err_first(struct err *first, enum err_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool err_vfirst(struct err *first, enum err_class cls, const char *fmt, va_list ap);

/* s itself, or its first bytes and "... (N bytes)" when it is long: a
 * message that quotes an outside value (a URL, a name) keeps its reason
 * within the message's 512 bytes. out must hold ERR_QUOTE_MAX bytes. */
#define ERR_QUOTE_MAX 96
const char *err_quote(const char *s, char *out);

#endif
