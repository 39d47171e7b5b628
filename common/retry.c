/* retry.c — see retry.h. */
#include "retry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>

#include "timeutil.h"

enum transport_class retry_classify_curl(int code)
{
    switch ((CURLcode)code) {
    case CURLE_OK: return TRANSPORT_OK;
    case CURLE_COULDNT_RESOLVE_HOST: /* DNS hiccups are usually passing */
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING: /* a cut gzip body */
    case CURLE_SSL_CONNECT_ERROR:    /* resets during the handshake */
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP3: return TRANSPORT_RETRYABLE;
    default: return TRANSPORT_FATAL;
    }
}

bool retry_status_retryable(long status)
{
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

int64_t retry_after_ms(const char *v, int64_t now_s)
{
    if (!v)
        return -1;
    while (isspace((unsigned char)*v))
        v++;
    if (!*v)
        return -1;
    if (isdigit((unsigned char)*v)) {
        char *end;
        long long s = strtoll(v, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (*end || s < 0)
            return -1;
        if (s > 86400LL * 365)
            s = 86400LL * 365;
        return s * 1000;
    }
    int64_t when;
    if (!time_parse_http_date(v, &when))
        return -1;
    return when > now_s ? (when - now_s) * 1000 : 0;
}

static int64_t backoff(const struct retry_policy *p, int attempts, uint32_t rnd)
{
    int64_t d = p->base_ms;
    for (int i = 1; i < attempts && d < p->cap_ms; i++)
        d *= 2;
    if (d > p->cap_ms)
        d = p->cap_ms;
    int64_t half = d / 2;
    return half + (half > 0 ? (int64_t)(rnd % (uint32_t)(half + 1)) : 0);
}

struct retry_decision retry_decide(const struct retry_policy *p, int attempts,
                                   enum transport_class transport, long status, bool body_ok,
                                   const char *retry_after, int64_t now_s, uint32_t rnd)
{
    struct retry_decision d = {RETRY_DONE, 0, false};
    if (transport == TRANSPORT_FATAL) {
        d.verdict = RETRY_FAIL;
        return d;
    }
    bool truncated = !body_ok && status >= 200 && status < 300;
    if (transport == TRANSPORT_OK && !retry_status_retryable(status) && !truncated)
        return d; /* a definitive answer */
    if (attempts > p->max_retries) {
        d.verdict = RETRY_FAIL;
        return d;
    }
    d.verdict = RETRY_AGAIN;
    int64_t ra = (status == 429 || status == 503) ? retry_after_ms(retry_after, now_s) : -1;
    if (ra >= 0) {
        d.delay_ms = ra < p->max_wait_ms ? ra : p->max_wait_ms;
        d.rate_limited = status == 429;
    } else {
        d.delay_ms = backoff(p, attempts, rnd);
        if (d.delay_ms > p->max_wait_ms)
            d.delay_ms = p->max_wait_ms;
        d.rate_limited = status == 429;
    }
    return d;
}
