/*
 * log.h — what the programs tell their user, on stderr only.
 *
 * stdout belongs to data (`--out -` streams), so every message goes to
 * stderr: as human text ("j1-npm-collect: warning: ...") or, with
 * --log-format json, one JSON object a line for log shippers:
 * {"time":"...","level":"warn","program":"j1-npm-collect","msg":"...", ...}.
 *
 * Redaction is the last line of defence for secrets: every registered
 * secret (secret.h registers tokens and keys as they are loaded) is replaced
 * by "[REDACTED]" in every line before it is written, whatever the caller
 * passed in. The progress display (progress.h) registers hooks so that a log
 * line first clears the live progress lines and redraws them after.
 */
#ifndef J1NPM_LOG_H
#define J1NPM_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT = 0, LOG_JSON };

void log_setup(const char *program, enum log_format fmt, enum log_level level);
/* "text" / "json"; returns -1 if neither. */
int log_parse_format(const char *s, enum log_format *out);
enum log_level log_get_level(void);
enum log_format log_get_format(void);
const char *log_program(void);
bool log_enabled(enum log_level lvl);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like log_msg, with extra members (a JSON object's members, without the
 * braces, already valid JSON) appended in json format and ignored in text. */
void log_fields(enum log_level lvl, const char *json_members, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The end-of-run summary: printed whatever the level (also with --quiet). */
void log_summary(const char *json_members, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A secret that must never be written, of any length (up to 8 are kept). */
void log_add_redaction(const char *secret, size_t n);
void log_clear_redactions(void);
/* Appends s to out with every control character written as an escape
 * (\n, \r, \t, \xNN; C1 controls as \u00NN) and every byte that is not
 * valid UTF-8 as \xNN: text mode messages quote outside data. */
void log_escape_controls(const char *s, size_t n, struct buf *out);
/* Appends s to out with every registered secret replaced by [REDACTED]. */
void log_redact(const char *s, size_t n, struct buf *out);
/* The same into out[cap] (always terminated, cut to fit) without
 * allocating: redact first, then cut, so no cut leaves part of a secret. */
void log_redact_to(const char *s, size_t n, char *out, size_t cap);

/* Whether s holds any registered secret. */
bool log_has_secret(const char *s, size_t n);

/* The same redaction over a text that comes in pieces (a body streamed to
 * a file): a secret split across two pieces is still found. Pieces go out
 * through put, with one "[REDACTED]" for each secret, or for each run of
 * overlapping or adjacent secrets, exactly as log_redact writes them;
 * hits counts the markers written. */
typedef int (*redact_put_fn)(void *ctx, const char *p, size_t n, struct err *e);
struct redact_stream {
    struct buf carry; /* the tail that may start a secret */
    unsigned long hits;
    size_t covered; /* carry[.., covered) is inside a secret, when in_match */
    bool in_match;  /* a "[REDACTED]" went out and its run has not ended */
};
#define REDACT_STREAM_INIT                                                                         \
    {                                                                                              \
        BUF_INIT, 0, 0, false                                                                      \
    }
int redact_feed(struct redact_stream *rs, const char *p, size_t n, redact_put_fn put, void *ctx,
                struct err *e);
int redact_end(struct redact_stream *rs, redact_put_fn put, void *ctx, struct err *e);
void redact_free(struct redact_stream *rs);

void log_set_hooks(void (*before)(void), void (*after)(void));

#endif
