/*
 * dates.c — HTTP dates, Retry-After and ISO-8601 (common/timeutil.c,
 * common/retry.c) over any bytes.
 *
 * Every spelling a server or a dump can send must parse or be refused
 * without overflow (UBSan watches the arithmetic); a Retry-After gives -1
 * or a wait >= 0, and the retry decision built on it never waits longer
 * than the policy's cap or less than nothing. An ISO-8601 time that
 * parses, formatted again (time_iso8601) for a year 0..9999, parses to the
 * same instant: fetched_at and npm's "time" map go through both.
 */
#include <string.h>

#include "alloc.h"
#include "fuzz.h"
#include "retry.h"
#include "timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmemdup0(data, size);

    int64_t t;
    if (time_parse_http_date(s, &t))
        (void)t;

    static const int64_t nows[] = {0, 1764633600 /* 2025-12-02 */, INT64_C(253402300799)};
    for (size_t i = 0; i < sizeof nows / sizeof nows[0]; i++) {
        int64_t ms = retry_after_ms(s, nows[i]);
        FUZZ_CHECK(ms == -1 || ms >= 0);
    }

    struct retry_policy pol = {8, 120000, 500, 30000};
    static const long statuses[] = {429, 503, 500, 408, 200, 404};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        for (int attempts = 1; attempts <= 9; attempts += 4) {
            struct retry_decision d = retry_decide(&pol, attempts, TRANSPORT_OK, statuses[i], true,
                                                   s, 1764633600, (uint32_t)size * 2654435761u);
            FUZZ_CHECK(d.verdict == RETRY_DONE || d.verdict == RETRY_AGAIN ||
                       d.verdict == RETRY_FAIL);
            if (d.verdict == RETRY_AGAIN)
                FUZZ_CHECK(d.delay_ms >= 0 && d.delay_ms <= 120000);
        }
    }

    int64_t ms;
    if (time_parse_iso8601((const char *)data, size, &ms) && ms >= 0 &&
        ms < INT64_C(253402300800000)) {
        char out[32];
        time_iso8601(ms, out);
        int64_t back;
        FUZZ_CHECK(time_parse_iso8601(out, strlen(out), &back));
        FUZZ_CHECK(back == ms);
    }
    free(s);
    return 0;
}
