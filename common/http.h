/*
 * http.h — many HTTP requests at once over libcurl's multi interface, each
 * retried until it has a definitive answer or has used up its retries.
 *
 * The caller submits requests (struct http_req, caller-owned) and runs the
 * loop; the engine keeps at most `concurrency` transfers in flight over
 * reused connections (HTTP/2 multiplexed where the server offers it), and
 * calls the caller's done() exactly once per submitted request: with an
 * answer (any HTTP status the retry rules call definitive — a 404 is an
 * answer), with a failure (retries used up, or an error no retry fixes), or
 * cancelled (Ctrl-C, or the caller asked to stop everything). done() may
 * submit more requests; that is how a crawl proceeds in dependency order.
 *
 * Retries follow retry.h. A 429 also closes a client-wide gate: no new
 * attempt starts before its Retry-After has passed, so one rate-limit answer
 * slows every request rather than each finding out on its own.
 *
 * Bodies: a response body is kept in memory up to `spill_threshold` bytes,
 * then moved to an unlinked temporary file, so memory stays bounded however
 * large the documents and however many are in flight. Each body is validated
 * as JSON while it arrives (json.h jpush); a 2xx answer that says it is JSON
 * but is not (cut short) is retried like a reset.
 *
 * Credentials: the bearer secret goes only into the Authorization header of
 * requests to the configured base URL's host (redirects are never followed),
 * header buffers are wiped when freed, and nothing here logs headers.
 */
#ifndef J1NPM_HTTP_H
#define J1NPM_HTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "retry.h"
#include "secret.h"

struct http_opts {
    int concurrency;       /* transfers in flight (>= 1) */
    long timeout_s;        /* connect timeout, and give up when no byte arrives for this long */
    int retries;           /* retries after the first attempt */
    long max_retry_wait_s; /* cap for any single wait */
    const char *cacert;    /* CA bundle file, or NULL for the system's */
    const char *user_agent;
    const struct secret *bearer; /* Authorization: Bearer ..., or NULL */
    const char *const *headers;  /* more "Name: value" headers for every request, NULL-ended */
    size_t spill_threshold;      /* body bytes kept in memory; default 1 MiB */
    uint64_t max_body;           /* larger bodies fail; default 1 GiB */
    int64_t backoff_base_ms;     /* default 250 */
    int64_t backoff_cap_ms;      /* default 30000 */
    /* Called (with the done() ctx) by http_run when a transfer slot is free
     * and nothing waits to start, before it sleeps: a producer can make its
     * next request there, a slice of work at a time, while the others are in
     * flight. Returning true means it did some work and wants to be called
     * again before the loop sleeps (transfers are served in between). */
    bool (*idle)(void *ctx);
};

struct http_body {
    struct buf mem;
    FILE *spill; /* the whole body once it outgrew mem */
    uint64_t len;
    struct jpush json;
    bool too_large;
};

/* Calls fn on the body's bytes in order (one call for an in-memory body). */
int http_body_foreach(struct http_body *b,
                      int (*fn)(void *ctx, const char *p, size_t n, struct err *e), void *ctx,
                      struct err *e);
/* Copies the whole body into out (at most max bytes, else an error). */
int http_body_load(struct http_body *b, struct buf *out, size_t max, struct err *e);
bool http_body_is_json(struct http_body *b);
void http_body_reset(struct http_body *b);

enum http_outcome { HTTP_ANSWER, HTTP_FAILED, HTTP_CANCELLED };

struct http_client;

struct http_req {
    /* Set by the caller before http_submit(). */
    const char *method;   /* "GET" when NULL */
    const char *url;      /* must stay valid until done() */
    const char *req_body; /* request body (POST), caller-owned */
    size_t req_body_len;
    const char *const *headers; /* extra "Name: value" headers, NULL-ended */
    void *ud;
    /* A request that must not be repeated blindly (a POST that adds data).
     * When an attempt may have reached the server but its answer did not
     * reach us (the connection failed after the whole body was sent, or a
     * gateway answered 502/504), it is not retried: done() sees HTTP_FAILED
     * with `unsure` set, so the caller can find out whether it took effect
     * before sending it again. A 2xx whose body was cut short is an answer. */
    bool once;

    /* Results, valid in done(). */
    enum http_outcome outcome;
    long status; /* last HTTP status seen (0 if none) */
    int attempts;
    int retries_429; /* how many of the retries were rate-limit waits */
    int64_t started_wall_ms;
    int64_t elapsed_ms;
    char content_type[128];
    char etag[128];
    char last_modified[64];
    char date[64];
    char retry_after[64];
    struct http_body body;
    char error[300]; /* HTTP_FAILED and HTTP_CANCELLED: why */
    bool unsure;     /* HTTP_FAILED of a `once` request that may have taken effect */

    /* Engine-private. */
    struct http_req *next;
    int64_t due_ms;
    int64_t first_mono_ms;
    CURL *easy;
    struct curl_slist *hdrs;
    struct http_client *client;
    char curl_err[CURL_ERROR_SIZE];
    size_t body_off;     /* `once`: body bytes handed to libcurl this attempt */
    bool rewind_refused; /* `once`: libcurl wanted to send the body again */
};

typedef void (*http_done_fn)(struct http_req *r, void *ctx);

struct http_stats {
    uint64_t attempts; /* transfers started */
    uint64_t retries;  /* of which were retries */
    uint64_t answers;  /* requests that ended with an answer */
    uint64_t failures; /* requests that ended failed */
    uint64_t bytes_in; /* response body bytes */
    uint64_t in_flight;
};

struct http_client *http_client_new(const struct http_opts *o, http_done_fn done, void *ctx,
                                    struct err *e);
void http_client_free(struct http_client *c);

void http_submit(struct http_client *c, struct http_req *r);
/* Runs until no request is pending. Returns 0, or -1 if *stop became
 * non-zero (every pending request is then cancelled: done() sees
 * HTTP_CANCELLED). `tick` (may be NULL) is called about every 100 ms. */
int http_run(struct http_client *c, volatile sig_atomic_t *stop, void (*tick)(void *ctx),
             struct err *e);
/* From inside done(): cancel everything else (e.g. after a 401). */
void http_cancel_all(struct http_client *c);
struct http_stats http_get_stats(const struct http_client *c);
/* Releases a finished request's body and headers (the caller then frees r). */
void http_req_release(struct http_req *r);

/* Must be called once before any other thread exists (main does it). */
int http_global_init(struct err *e);
void http_global_cleanup(void);

#endif
