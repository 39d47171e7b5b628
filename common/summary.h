/*
 * summary.h — the figures of the one-line summary every program prints at
 * the end of its run, as the JSON members log_summary() (log.h) adds to
 * that line with --log-format json: "summary":{"org":"acme",...}.
 *
 * All three programs build them the same way: summary_begin() gives a JSON
 * writer (json.h) already inside the "summary" object, the program writes
 * its figures with jw_* and the two helpers below (whose number formats
 * are part of the interface: counts as plain integers, seconds with three
 * decimals), and summary_members() closes the object and hands back the
 * members, without the outer braces, for log_summary().
 *
 * --summary-file FILE (cli.c) writes the same figures for schedulers, after
 * the run, as one JSON object:
 *   {"program":"j1-npm-collect","version":"0.1.0","exit_status":3,
 *    "summary":{...the same object as the log line's...}|null,
 *    "error":"...why the status is not 0..."}            ("error" only then)
 * summary_members() therefore also keeps a copy of the last summary closed
 * (one process, one summary; process-wide state for that reason only), and
 * "summary" is null when the run ended before it had one (a usage error, a
 * registry that refused the token). The file is replaced atomically
 * (fsutil.h: temporary name, fsync, rename), so a scheduler never reads half
 * of it nor, after a failed run, the previous run's. Mode 0644 less the
 * umask, as a shell's redirection would create it: it holds counts, names
 * and paths, nothing private (messages pass through log.h's redaction), and
 * the monitoring that reads it often runs as another user.
 */
#ifndef J1NPM_SUMMARY_H
#define J1NPM_SUMMARY_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"

struct summary {
    struct buf json;
    struct jw w;
};

/* The writer of s's figures; s must stay where it is until summary_free. */
struct jw *summary_begin(struct summary *s);
/* key: an unsigned count. */
void summary_count(struct jw *w, const char *key, uint64_t v);
/* key: seconds, as "%.3f". */
void summary_seconds(struct jw *w, const char *key, double seconds);
/* Closes the figures: the members for log_summary() ("" if the writer
 * failed). Valid until summary_free. */
const char *summary_members(struct summary *s);
void summary_free(struct summary *s);

/* The object of the last summary closed by summary_members ("{...}"), or
 * NULL if none was. */
const char *summary_last(void);
void summary_forget(void);

/* The --summary-file object (above) into out. error: NULL or "" for none;
 * it is redacted (log.h) before it is written. */
void summary_file_json(struct buf *out, const char *program, int exit_status, const char *error);
/* Writes that object to path, atomically. */
int summary_write_file(const char *path, const char *program, int exit_status, const char *error,
                       struct err *e);

#endif
