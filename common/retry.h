/*
 * retry.h — when to try a request again, and how long to wait first.
 *
 * Pure functions of their inputs (the random draw for jitter is passed in),
 * so every rule is unit-tested without a network:
 *
 *  - Definitive answers are never retried: any 1xx-4xx status except 408 and
 *    429. A 404 is an answer, a 401 is an answer (the caller stops).
 *  - 429 and 503 with Retry-After wait what it says, in seconds or as an
 *    HTTP-date, capped at max_wait (the real registry sends retry-after: 65
 *    with an HTML body). A Retry-After in the past means "now".
 *  - Other retryable outcomes — 408, 429/5xx without Retry-After, timeouts,
 *    resets, refused connections, truncated or corrupt bodies — back off
 *    exponentially: base * 2^(attempt-1), capped at cap, with "equal
 *    jitter" (half fixed, half random) so that many clients that failed
 *    together do not retry together.
 *  - Errors that no retry can fix (bad TLS certificate, bad URL, out of
 *    memory, a body over the size limit) fail at once.
 */
#ifndef J1NPM_RETRY_H
#define J1NPM_RETRY_H

#include <stdbool.h>
#include <stdint.h>

struct retry_policy {
    int max_retries;     /* retries after the first attempt */
    int64_t max_wait_ms; /* cap for Retry-After waits */
    int64_t base_ms;     /* first backoff */
    int64_t cap_ms;      /* largest backoff */
};

enum retry_verdict {
    RETRY_DONE,  /* a definitive answer: hand it to the caller */
    RETRY_AGAIN, /* wait delay_ms, then try again */
    RETRY_FAIL,  /* give up: retries exhausted or not retryable */
};

struct retry_decision {
    enum retry_verdict verdict;
    int64_t delay_ms;
    bool rate_limited; /* the server asked everyone to slow down (429) */
};

/* What kind of transport failure a libcurl result code is. */
enum transport_class { TRANSPORT_OK, TRANSPORT_RETRYABLE, TRANSPORT_FATAL };
enum transport_class retry_classify_curl(int curl_code);

bool retry_status_retryable(long status);

/* Retry-After: seconds or HTTP-date -> milliseconds from now (>= 0), or -1
 * if absent or unparseable. */
int64_t retry_after_ms(const char *value, int64_t now_epoch_s);

/* attempts: attempts made so far (>= 1). transport: the transfer's outcome;
 * status: the HTTP status when the transfer completed (else 0); body_ok:
 * false if a body that should be JSON was not (truncated). rnd: a uniformly
 * random 32-bit number for jitter. */
struct retry_decision retry_decide(const struct retry_policy *p, int attempts,
                                   enum transport_class transport, long status, bool body_ok,
                                   const char *retry_after, int64_t now_epoch_s, uint32_t rnd);

#endif
