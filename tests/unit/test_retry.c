/* test_retry.c — when a request is tried again and how long we wait first.
 * retry.h's functions are pure (time and randomness come in as arguments),
 * so every rule is checked exactly. */
#include <curl/curl.h>
#include <stdint.h>

#include "retry.h"
#include "t.h"

/* Sun, 06 Nov 1994 08:49:37 GMT */
#define NOW 784111777LL

static const struct retry_policy policy = {
    .max_retries = 5, .max_wait_ms = 60000, .base_ms = 250, .cap_ms = 30000};

static struct retry_decision decide(int attempts, enum transport_class t, long status,
                                    const char *retry_after, uint32_t rnd)
{
    return retry_decide(&policy, attempts, t, status, true, retry_after, NOW, rnd);
}

TEST(test_retry_after_seconds)
{
    T_INT(120000, retry_after_ms("120", NOW));
    T_INT(65000, retry_after_ms("65", NOW));
    T_INT(0, retry_after_ms("0", NOW));
    T_INT(5000, retry_after_ms("  5  ", NOW));
    T_INT(5000, retry_after_ms("5\r\n", NOW));
    /* An absurd value is held to a year rather than overflowing. */
    T_INT(86400LL * 365 * 1000, retry_after_ms("99999999999999", NOW));
}

TEST(test_retry_after_http_dates)
{
    T_INT(60000, retry_after_ms("Sun, 06 Nov 1994 08:50:37 GMT", NOW));    /* IMF-fixdate */
    T_INT(60000, retry_after_ms("Sunday, 06-Nov-94 08:50:37 GMT", NOW));   /* RFC 850 */
    T_INT(60000, retry_after_ms("Sun Nov  6 08:50:37 1994", NOW));         /* asctime */
    T_INT(86400000, retry_after_ms("Mon, 07 Nov 1994 08:49:37 GMT", NOW)); /* a day later */
    T_INT(0, retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", NOW));        /* now */
}

TEST(test_retry_after_in_the_past_means_now)
{
    T_INT(0, retry_after_ms("Sun, 06 Nov 1994 08:49:36 GMT", NOW));
    T_INT(0, retry_after_ms("Thu, 01 Jan 1970 00:00:00 GMT", NOW));
    T_INT(0, retry_after_ms("Saturday, 05-Nov-94 08:49:37 GMT", NOW));
    T_INT(0, retry_after_ms("Sat Nov  5 08:49:37 1994", NOW));
}

TEST(test_retry_after_garbage_is_minus_one)
{
    static const char *const bad[] = {
        "",
        "   ",
        "-5",
        "5s",
        "1.5",
        "soon",
        "0x10",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 PST",
        "Sun, 06 Nov 1994",
        "Sun, 06 Nov 1994 -1:-1:-1 GMT",
        "Sun Nov  6 08:49:37",
    };
    T_INT(-1, retry_after_ms(NULL, NOW));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        T_RET(t_int(-1, retry_after_ms(bad[i], NOW), __FILE__, __LINE__, bad[i]));
}

TEST(test_retry_429_waits_retry_after_capped_at_max_wait)
{
    struct retry_decision d = decide(1, TRANSPORT_OK, 429, "5", 0);
    T_INT(RETRY_AGAIN, d.verdict);
    T_INT(5000, d.delay_ms);
    T_TRUE(d.rate_limited);

    d = decide(1, TRANSPORT_OK, 429, "120", 12345); /* the registry sends 65; 120 is capped */
    T_INT(RETRY_AGAIN, d.verdict);
    T_INT(60000, d.delay_ms);
    T_TRUE(d.rate_limited);

    d = decide(2, TRANSPORT_OK, 429, "Sun, 06 Nov 1994 09:49:37 GMT", 0); /* an hour: capped */
    T_INT(60000, d.delay_ms);

    d = decide(1, TRANSPORT_OK, 429, "Sun, 06 Nov 1994 08:00:00 GMT", 999); /* past: now */
    T_INT(RETRY_AGAIN, d.verdict);
    T_INT(0, d.delay_ms);
    T_TRUE(d.rate_limited);
}

TEST(test_retry_429_without_retry_after_backs_off)
{
    for (int a = 1; a <= 3; a++) {
        struct retry_decision d = decide(a, TRANSPORT_OK, 429, NULL, 0);
        T_INT(RETRY_AGAIN, d.verdict);
        T_TRUE(d.rate_limited);
        int64_t full = policy.base_ms << (a - 1);
        T_INT(full / 2, d.delay_ms); /* rnd 0: the fixed half */
        d = decide(a, TRANSPORT_OK, 429, "garbage", 0);
        T_INT(full / 2, d.delay_ms);
    }
}

TEST(test_retry_503_honours_retry_after)
{
    struct retry_decision d = decide(1, TRANSPORT_OK, 503, "7", 0);
    T_INT(RETRY_AGAIN, d.verdict);
    T_INT(7000, d.delay_ms);
    T_FALSE(d.rate_limited);                  /* only a 429 closes the client-wide gate */
    d = decide(1, TRANSPORT_OK, 500, "7", 0); /* other 5xx: back off instead */
    T_INT(RETRY_AGAIN, d.verdict);
    T_INT(policy.base_ms / 2, d.delay_ms);
    T_FALSE(d.rate_limited);
}

TEST(test_retry_5xx_backoff_grows_within_jitter_bounds_and_cap)
{
    static const uint32_t rnds[] = {0,          1,           2,           12345,
                                    0x7fffffff, 0x80000000u, 0xfffffffeu, 0xffffffffu};
    static const long statuses[] = {500, 502, 503, 504, 599};
    struct retry_policy p = {
        .max_retries = 40, .max_wait_ms = 100000, .base_ms = 250, .cap_ms = 30000};
    int64_t prev_lo = 0;
    for (int a = 1; a <= 40; a++) {
        int64_t full = p.base_ms;
        for (int i = 1; i < a && full < p.cap_ms; i++)
            full *= 2;
        if (full > p.cap_ms)
            full = p.cap_ms;
        int64_t lo = full / 2;
        T_TRUE(lo >= prev_lo); /* grows, then stays at the cap */
        prev_lo = lo;
        for (size_t s = 0; s < sizeof statuses / sizeof statuses[0]; s++) {
            for (size_t r = 0; r < sizeof rnds / sizeof rnds[0]; r++) {
                struct retry_decision d =
                    retry_decide(&p, a, TRANSPORT_OK, statuses[s], true, NULL, NOW, rnds[r]);
                T_INT(RETRY_AGAIN, d.verdict);
                if (d.delay_ms < lo || d.delay_ms > full)
                    T_FAIL("attempt %d, rnd %u: expected a delay in [%lld, %lld], got %lld", a,
                           rnds[r], (long long)lo, (long long)full, (long long)d.delay_ms);
            }
        }
    }
    T_INT(15000, prev_lo);
    /* Equal jitter spreads: different draws give different delays. */
    struct retry_decision d1 = retry_decide(&p, 5, TRANSPORT_OK, 500, true, NULL, NOW, 0);
    struct retry_decision d2 = retry_decide(&p, 5, TRANSPORT_OK, 500, true, NULL, NOW, 1000);
    T_TRUE(d1.delay_ms != d2.delay_ms);
    /* A max_wait below the cap bounds backoff too. */
    p.max_wait_ms = 1000;
    for (int a = 1; a <= 40; a++) {
        struct retry_decision d =
            retry_decide(&p, a, TRANSPORT_OK, 500, true, NULL, NOW, 0xffffffffu);
        T_TRUE(d.delay_ms <= 1000);
    }
    /* A huge cap does not overflow. */
    p.max_wait_ms = INT64_MAX;
    p.cap_ms = INT64_MAX / 2;
    p.base_ms = 1000;
    for (int a = 1; a <= 40; a++) {
        struct retry_decision d =
            retry_decide(&p, a, TRANSPORT_OK, 500, true, NULL, NOW, 0xffffffffu);
        T_TRUE(d.delay_ms > 0);
    }
}

TEST(test_retry_definitive_statuses_are_done)
{
    static const long statuses[] = {200, 201, 204, 206, 301, 304, 400, 401, 403, 404,
                                    405, 409, 410, 413, 418, 422, 451, 100, 499};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        for (int a = 1; a <= 10; a += 9) { /* also after retries are used up */
            struct retry_decision d = decide(a, TRANSPORT_OK, statuses[i], "5", 7);
            if (d.verdict != RETRY_DONE || d.delay_ms != 0 || d.rate_limited)
                T_FAIL("status %ld, attempt %d: expected RETRY_DONE, got verdict %d delay %lld",
                       statuses[i], a, (int)d.verdict, (long long)d.delay_ms);
        }
        T_FALSE(retry_status_retryable(statuses[i]));
    }
}

TEST(test_retry_408_is_retryable)
{
    struct retry_decision d = decide(1, TRANSPORT_OK, 408, NULL, 0);
    T_INT(RETRY_AGAIN, d.verdict);
    T_FALSE(d.rate_limited);
    T_TRUE(retry_status_retryable(408));
    T_TRUE(retry_status_retryable(429));
    T_TRUE(retry_status_retryable(500));
    T_TRUE(retry_status_retryable(599));
    T_FALSE(retry_status_retryable(600));
}

TEST(test_retry_transport_reset_is_retryable)
{
    static const int codes[] = {CURLE_RECV_ERROR,   CURLE_SEND_ERROR,         CURLE_GOT_NOTHING,
                                CURLE_PARTIAL_FILE, CURLE_OPERATION_TIMEDOUT, CURLE_COULDNT_CONNECT,
                                CURLE_HTTP2_STREAM};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        enum transport_class t = retry_classify_curl(codes[i]);
        T_INT(TRANSPORT_RETRYABLE, t);
        struct retry_decision d = decide(1, t, 0, NULL, 0);
        T_INT(RETRY_AGAIN, d.verdict);
        T_INT(policy.base_ms / 2, d.delay_ms);
        T_FALSE(d.rate_limited);
    }
}

TEST(test_retry_fatal_transport_fails_at_once)
{
    static const int codes[] = {CURLE_URL_MALFORMAT,      CURLE_PEER_FAILED_VERIFICATION,
                                CURLE_SSL_CACERT_BADFILE, CURLE_OUT_OF_MEMORY,
                                CURLE_FILESIZE_EXCEEDED,  CURLE_UNSUPPORTED_PROTOCOL};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        enum transport_class t = retry_classify_curl(codes[i]);
        T_INT(TRANSPORT_FATAL, t);
        struct retry_decision d = decide(1, t, 0, NULL, 0);
        T_INT(RETRY_FAIL, d.verdict);
    }
}

TEST(test_retry_attempts_beyond_max_retries_fail)
{
    /* max_retries 5: attempts 1..5 may be retried (6 attempts in all). */
    for (int a = 1; a <= policy.max_retries; a++) {
        T_INT(RETRY_AGAIN, decide(a, TRANSPORT_OK, 500, NULL, 0).verdict);
        T_INT(RETRY_AGAIN, decide(a, TRANSPORT_OK, 429, "1", 0).verdict);
        T_INT(RETRY_AGAIN, decide(a, TRANSPORT_RETRYABLE, 0, NULL, 0).verdict);
    }
    int a = policy.max_retries + 1;
    T_INT(RETRY_FAIL, decide(a, TRANSPORT_OK, 500, NULL, 0).verdict);
    T_INT(RETRY_FAIL, decide(a, TRANSPORT_OK, 429, "1", 0).verdict);
    T_INT(RETRY_FAIL, decide(a, TRANSPORT_OK, 408, NULL, 0).verdict);
    T_INT(RETRY_FAIL, decide(a, TRANSPORT_RETRYABLE, 0, NULL, 0).verdict);
    T_INT(RETRY_FAIL, decide(a + 10, TRANSPORT_OK, 503, "1", 0).verdict);
    struct retry_policy none = {.max_retries = 0, .max_wait_ms = 1000, .base_ms = 1, .cap_ms = 2};
    T_INT(RETRY_FAIL, retry_decide(&none, 1, TRANSPORT_OK, 500, true, NULL, NOW, 0).verdict);
    T_INT(RETRY_DONE, retry_decide(&none, 1, TRANSPORT_OK, 200, true, NULL, NOW, 0).verdict);
}

TEST(test_retry_2xx_with_truncated_json_is_retryable)
{
    struct retry_decision d = retry_decide(&policy, 1, TRANSPORT_OK, 200, false, NULL, NOW, 0);
    T_INT(RETRY_AGAIN, d.verdict);
    T_FALSE(d.rate_limited);
    d = retry_decide(&policy, 1, TRANSPORT_OK, 203, false, NULL, NOW, 0);
    T_INT(RETRY_AGAIN, d.verdict);
    d = retry_decide(&policy, policy.max_retries + 1, TRANSPORT_OK, 200, false, NULL, NOW, 0);
    T_INT(RETRY_FAIL, d.verdict);
    /* An error page that is not JSON is still a definitive answer. */
    d = retry_decide(&policy, 1, TRANSPORT_OK, 404, false, NULL, NOW, 0);
    T_INT(RETRY_DONE, d.verdict);
    d = retry_decide(&policy, 1, TRANSPORT_OK, 401, false, NULL, NOW, 0);
    T_INT(RETRY_DONE, d.verdict);
}

TEST(test_retry_classifies_curl_codes)
{
    T_INT(TRANSPORT_OK, retry_classify_curl(CURLE_OK));
    T_INT(TRANSPORT_RETRYABLE, retry_classify_curl(CURLE_COULDNT_RESOLVE_HOST));
    T_INT(TRANSPORT_RETRYABLE, retry_classify_curl(CURLE_SSL_CONNECT_ERROR));
    T_INT(TRANSPORT_RETRYABLE, retry_classify_curl(CURLE_BAD_CONTENT_ENCODING));
    T_INT(TRANSPORT_FATAL, retry_classify_curl(CURLE_ABORTED_BY_CALLBACK));
    T_INT(TRANSPORT_FATAL, retry_classify_curl(CURLE_WRITE_ERROR));
    T_INT(TRANSPORT_FATAL, retry_classify_curl(-1));
    T_INT(TRANSPORT_FATAL, retry_classify_curl(100000));
}
