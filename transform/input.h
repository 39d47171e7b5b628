/*
 * input.h — read a dump (a directory or the stream on stdin) record by
 * record, in kind order, checking it is the dump collect wrote.
 *
 * Directory: manifest.json is read first. Without it the dump is refused
 * (collect writes it last, so its absence means the run did not finish)
 * unless allow_incomplete is set. Each kind's file is then read in the
 * dump format's order; its size, record count and SHA-256 must match the
 * manifest, so a file damaged on its way to an air-gapped host is caught.
 *
 * Stream: records must come in kind order (packuments last) and end with
 * the {"manifest": ...} record; a stream that ends without it was cut off
 * upstream and is refused unless allow_incomplete.
 *
 * A dump written before the supply-chain kinds existed (collector_profile,
 * collector_tokens, attestations, advisories) has no file for them and its
 * manifest lists none: those kinds are then simply absent (the model marks
 * what they feed partial), not an error.
 *
 * Every record is checked for its envelope (kind, subject, status, and a
 * body, body_text or error); anything malformed is an error naming the file
 * and line. The body is handed on as raw JSON text for the caller to read.
 */
#ifndef J1NPM_TRANSFORM_INPUT_H
#define J1NPM_TRANSFORM_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dumpfmt.h"
#include "err.h"

struct record {
    enum dump_kind kind;
    const char *subject; /* decoded, NUL-terminated */
    long status;         /* -1 when the record has none */
    const char *body;    /* raw JSON text of "body", or NULL */
    size_t body_len;
    bool failed;          /* an "error" record: no definitive answer */
    const char *req_body; /* raw JSON of request.body (a POST's), or NULL */
    size_t req_body_len;
    const char *fetched_at; /* raw JSON of fetched_at (a string), or NULL */
    size_t fetched_at_len;
    const char *token_key; /* raw JSON of token_key (collector_tokens), or NULL */
    size_t token_key_len;
    const char *where; /* "FILE:LINE" for messages */
};

struct input_info {
    bool have_manifest;
    bool complete; /* manifest says so */
    bool stopped;  /* manifest says the crawl stopped early */
    char org[256];
    char registry[512];
    uint64_t failed[K_COUNT];  /* per the manifest's counts */
    bool counted[K_COUNT];     /* the manifest's counts name the kind: the collect
                                  that wrote it knew the kind (a dump made before a
                                  kind existed does not name it) */
    uint64_t records[K_COUNT]; /* records actually read */
    uint64_t bytes_in;         /* decompressed bytes read */
    int64_t started_at;        /* the manifest's started_at, epoch ms; 0 unknown */
};

/* Called once per record, and once with r == NULL before the first
 * packuments record (or at the end, if there are none), when every other
 * kind has been read. Returns 0 or -1 (with e set) to stop. */
typedef int (*record_fn)(void *ctx, const struct record *r, struct err *e);

int input_read(const char *in, bool allow_incomplete, record_fn fn, void *ctx,
               struct input_info *info, struct err *e);

#endif
