/*
 * prev.h — the previous dump of `--since PREV_DUMP`: what it holds that can
 * be revalidated instead of downloaded again, and carrying those records
 * into the new dump.
 *
 * prev_open() refuses (ERR_USAGE, before any request) a PREV_DUMP that is
 * not a finished directory dump of the same org and registry, or whose
 * files do not match its manifest (size, SHA-256, record count). While it
 * checks, it indexes every record that can be revalidated: a 200 answer
 * with an "etag" or "last-modified" under "headers", whose line parses; and
 * every 200 attestations record (a version's attestations never change: the
 * crawl marks it without asking, and prev_condition gives "" for it).
 * The index holds, per kind and subject, the conditional header to send and
 * the record's line number — never a body.
 *
 * The crawl asks prev_condition() for the header of each request; on a 304
 * it calls prev_mark(). The dump writer then calls prev_carry() once per
 * kind, when that kind's file is about to be closed: one sequential pass
 * over the earlier file copies the marked records, each with "revalidated":
 * true and "revalidated_at", keeping its "fetched_at" (when the body was
 * first downloaded). The carry is not tied to revalidation: a resumed run
 * can mark the records of its own work area the same way.
 */
#ifndef J1NPM_COLLECT_PREV_H
#define J1NPM_COLLECT_PREV_H

#include <stdbool.h>
#include <stdint.h>

#include "dumpfmt.h"
#include "err.h"
#include "npm.h"

/* A subject is a name, or "org:team". */
#define PREV_SUBJECT_MAX (2 * NPM_NAME_MAX + 1)
/* As long as collect records them (http.h keeps 127 bytes of an etag). */
#define PREV_VALIDATOR_MAX 127

struct prev;

struct prev *prev_open(const char *dir, const char *org, const char *registry, struct err *e);
/* A work area (--resume, work.h): the kind files of every run in it,
 * newest run first, read without a manifest; a kind file cut short by a
 * crash (no gzip trailer, a last record cut in the middle, garbage after
 * the last flush) keeps every whole record before the cut. Indexes every
 * record with a definitive answer (prev_definitive), the newest of each
 * subject; its carried records are copied verbatim, not stamped as
 * revalidated. */
struct prev *prev_open_work(const char *dir, struct err *e);
/* 2xx, or 404: asking again would not change the answer. */
bool prev_definitive(long status);
/* The work area holds a definitive record of kind k about subject; for a
 * 2xx collaborator list, *body (when body is not NULL) is its JSON body,
 * else NULL. Valid until prev_free(). */
bool prev_has(const struct prev *p, enum dump_kind k, const char *subject, const char **body);
/* Marks every indexed record (an interrupted resume keeps them all). */
void prev_mark_all(struct prev *p);
void prev_free(struct prev *p);
const char *prev_dir(const struct prev *p);
/* The directories holding p's kind files: a dump's own, or a work area's
 * runs, newest first. */
size_t prev_nruns(const struct prev *p);
const char *prev_run(const struct prev *p, size_t r);
/* p is a work area (its kind files may be cut short by a crash). */
bool prev_is_work(const struct prev *p);
/* Records indexed as revalidatable, over all kinds. */
uint64_t prev_indexed(const struct prev *p);

/* The header line to send for kind k about subject ("If-None-Match: ..."
 * or "If-Modified-Since: ..."), or NULL when the previous dump holds no
 * record of it that can be revalidated. Valid until prev_free(). */
const char *prev_condition(const struct prev *p, enum dump_kind k, const char *subject);

/* A 304 came for kind k's subject: its earlier record is to be carried,
 * stamped revalidated at revalidated_ms (epoch ms). False when the previous
 * dump holds no such record (the caller fetches it again). */
bool prev_mark(struct prev *p, enum dump_kind k, const char *subject, int64_t revalidated_ms);

/* Writes every marked record of kind k, in the earlier file's order (a
 * work area: run by run, newest first), to out() one piece at a time;
 * *records, by_class[status / 100] ([0]: no status) and *body_bytes grow
 * by what was carried. An earlier file that changed since prev_open() is
 * an error. */
typedef int (*prev_out_fn)(void *ctx, const char *p, size_t n, struct err *e);
int prev_carry(struct prev *p, enum dump_kind k, prev_out_fn out, void *ctx, uint64_t *records,
               uint64_t by_class[6], uint64_t *body_bytes, struct err *e);

/* ---- the pure parts, for the tests ---- */

/* The conditional header for a recorded etag (preferred) or last-modified
 * (either may be NULL or ""), into out (a buffer of outsz bytes). False
 * when neither is usable: empty, too long, or holding a byte outside
 * printable ASCII (a header line must not be forged from a dump). */
bool prev_condition_header(const char *etag, const char *last_modified, char *out, size_t outsz);

/* What one record line says, for the index. */
struct prev_rec {
    int kind; /* -1 unknown */
    long status;
    bool has_body; /* "body" or "body_text" */
    char subject[PREV_SUBJECT_MAX + 1];
    char etag[PREV_VALIDATOR_MAX + 1];
    char last_modified[PREV_VALIDATOR_MAX + 1];
};
/* Parses a record line. False when it is not one JSON object, or its
 * kind, subject or status are unusable. */
bool prev_parse_record(const char *line, size_t n, struct prev_rec *r);

/* Rewrites a parsed record line as carried: its members verbatim, less any
 * earlier "revalidated"/"revalidated_at", with the new pair placed before
 * the body. Calls out() with the pieces. */
int prev_rewrite_record(const char *line, size_t n, const char *revalidated_at, prev_out_fn out,
                        void *ctx, struct err *e);

#endif
