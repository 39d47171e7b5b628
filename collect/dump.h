/*
 * dump.h — where collect's records go: a dump directory or one stream.
 *
 * Directory mode: one gzip file per kind, each written in this run's
 * directory of the work area (work.h), flushed as it goes so a crash keeps
 * what reached the disk; dump_commit() finishes them, moves them to their
 * final names, then writes manifest.json last and removes the work area.
 * Until then nothing exists under a final name, so an interrupted run
 * leaves no file that looks whole and no manifest.
 *
 * Stream mode (`--out -`): records of every kind but packuments are spooled
 * (unlinked temporary files, so memory stays small however large the org)
 * and written to stdout in the dump format's kind order: the kinds before
 * packuments by dump_release_small(); packuments then go straight to
 * stdout, each flushed so a reader in the pipe sees it promptly; the kinds
 * after packuments (attestations, advisories: their subjects come from the
 * package documents) at dump_commit(). The stream ends with a
 * {"manifest": {...}} record.
 *
 * Records: one JSON line per HTTP exchange; the body is embedded verbatim
 * when it is JSON (only its line breaks, which valid JSON has only as
 * whitespace, are dropped so the record stays one line), else as
 * "body_text"; an item with no definitive answer gets "error" instead.
 *
 * With --resume, the work area's records the crawl marked are carried the
 * same way, verbatim (counted as ok under their own status class, not
 * revalidated); a committed dump removes the work area, an interrupted one
 * folds the earlier runs into its own (dump_keep).
 *
 * With --since, the records prev.h marked after a 304 are carried into each
 * kind when it is closed (stream: the small kinds when they are released,
 * packuments at commit; directory: every kind at commit), after the records
 * fetched in this run, and counted as ok and revalidated.
 */
#ifndef J1NPM_COLLECT_DUMP_H
#define J1NPM_COLLECT_DUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "dumpfmt.h"
#include "err.h"
#include "http.h"
#include "prev.h"

struct dump;

struct dump_opts {
    const char *out; /* directory, or "-" for stdout */
    bool force;
    const char *org;
    const char *registry;
    const char *tool_version;
    struct prev *since;  /* --since: records to carry (prev.h), or NULL */
    struct prev *resume; /* --resume: the work area's records to carry, or NULL */
};

struct dump_counts {
    uint64_t ok, failed;
    uint64_t records;
    uint64_t by_status[6]; /* 1xx..5xx answers, [0] = no status */
    uint64_t redacted;     /* records in which the token was replaced */
    uint64_t revalidated;  /* of ok: carried from the previous dump after a 304 */
};

struct dump *dump_open(const struct dump_opts *o, struct err *e);
bool dump_is_stream(const struct dump *d);
const char *dump_location(const struct dump *d);

/* Queues one record for a finished request; a writer thread compresses and
 * writes records in the order they were queued. A JSON body moves to the
 * queue (r->body is left empty). Waits while the queue is full. A write
 * error is returned by the next dump_record() or dump_commit(). `usable`
 * false counts an answer as failed (its shape was not what the crawl
 * needed). */
int dump_record(struct dump *d, enum dump_kind k, const char *subject, const char *path,
                struct http_req *r, bool usable, struct err *e);
/* The same, for a record that also says what a POST sent (req_json: a JSON
 * value we built, recorded as request.body) or carries the collecting
 * token's key (token_key: collector_tokens); either may be NULL. */
int dump_record_ex(struct dump *d, enum dump_kind k, const char *subject, const char *path,
                   struct http_req *r, bool usable, const char *req_json, const char *token_key,
                   struct err *e);

/* Stream mode: writes the spooled kinds to stdout (once). No-op otherwise. */
int dump_release_small(struct dump *d, struct err *e);

/* Finishes everything and writes the manifest. stop_reason: why the crawl
 * stopped early (NULL when it ran to the end). */
int dump_commit(struct dump *d, bool complete, const char *stop_reason, struct err *e);
/* Directory mode, interrupted: carries the marked records, ends and syncs
 * every kind file, then removes the work area's earlier runs (work.h). */
int dump_keep(struct dump *d, struct err *e);
/* Abandons the dump: a run that had not begun to commit or keep is removed
 * from the work area (with the work area when no other run is left, and
 * the directory if dump_open made it); one that had stays for --resume. */
void dump_abort(struct dump *d);
void dump_free(struct dump *d);

const struct dump_counts *dump_get_counts(const struct dump *d, enum dump_kind k);
uint64_t dump_bytes_written(const struct dump *d);
/* The bodies carried from the previous dump (bytes not downloaded again). */
uint64_t dump_bytes_revalidated(const struct dump *d);

#endif
