/* test_prev.c — the pure parts of --since (collect/prev.h): which header a
 * recorded validator becomes, what a previous record must hold to be
 * revalidated, and how a carried record is rewritten. */
#include <string.h>

#include "buf.h"
#include "collect/prev.h"
#include "t.h"

TEST(test_prev_an_etag_becomes_if_none_match_and_wins_over_last_modified)
{
    char h[256];
    T_TRUE(prev_condition_header("\"abc\"", "Sun, 06 Nov 1994 08:49:37 GMT", h, sizeof h));
    T_STR("If-None-Match: \"abc\"", h);
    T_TRUE(prev_condition_header("W/\"abc\"", NULL, h, sizeof h));
    T_STR("If-None-Match: W/\"abc\"", h);
}

TEST(test_prev_without_an_etag_last_modified_becomes_if_modified_since)
{
    char h[256];
    T_TRUE(prev_condition_header("", "Sun, 06 Nov 1994 08:49:37 GMT", h, sizeof h));
    T_STR("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT", h);
    T_TRUE(prev_condition_header(NULL, "Sun, 06 Nov 1994 08:49:37 GMT", h, sizeof h));
    T_STR("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT", h);
}

TEST(test_prev_a_validator_that_could_forge_a_header_is_not_sent)
{
    char h[256], longv[200];
    T_FALSE(prev_condition_header(NULL, NULL, h, sizeof h));
    T_FALSE(prev_condition_header("\"a\"\r\nX-Evil: 1", NULL, h, sizeof h));
    T_FALSE(prev_condition_header("\"caf\xc3\xa9\"", "", h, sizeof h));
    memset(longv, 'a', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    T_FALSE(prev_condition_header(longv, NULL, h, sizeof h));
    /* a bad etag falls back to a good last-modified */
    T_TRUE(prev_condition_header("\"a\"\n", "Sun, 06 Nov 1994 08:49:37 GMT", h, sizeof h));
    T_STR("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT", h);
}

#define REC(rest)                                                                                  \
    "{\"kind\":\"packuments\",\"subject\":\"@acme/core\",\"request\":{\"method\":\"GET\","         \
    "\"path\":\"/@acme%2fcore\"},\"status\":200,\"headers\":{\"etag\":\"\\\"e1\\\"\","             \
    "\"last-modified\":\"Sun, 06 Nov 1994 08:49:37 "                                               \
    "GMT\"},\"fetched_at\":\"2026-01-01T00:00:00Z\","                                              \
    "\"elapsed_ms\":3,\"attempts\":1" rest "}"

TEST(test_prev_a_record_gives_its_kind_subject_status_and_validators)
{
    static const char line[] = REC(",\"body\":{\"name\":\"@acme/core\"}");
    struct prev_rec r;
    T_TRUE(prev_parse_record(line, strlen(line), &r));
    T_INT(K_PACKUMENTS, r.kind);
    T_STR("@acme/core", r.subject);
    T_INT(200, r.status);
    T_TRUE(r.has_body);
    T_STR("\"e1\"", r.etag);
    T_STR("Sun, 06 Nov 1994 08:49:37 GMT", r.last_modified);
}

TEST(test_prev_a_record_that_does_not_parse_is_not_used)
{
    static const char cut[] = REC(",\"body\":{\"name\":\"@acme/core\"}");
    struct prev_rec r;
    T_FALSE(prev_parse_record(cut, strlen(cut) - 1, &r));         /* closing brace gone */
    T_FALSE(prev_parse_record(cut, strlen(cut) - 3, &r));         /* body cut short */
    static const char failed[] = REC(",\"error\":\"timed out\""); /* not an answer */
    T_FALSE(prev_parse_record(failed, strlen(failed), &r));
    static const char nokind[] = "{\"subject\":\"x\",\"status\":200,\"body\":{}}";
    T_FALSE(prev_parse_record(nokind, strlen(nokind), &r));
    static const char trailing[] = "{\"kind\":\"whoami\",\"subject\":\"x\",\"status\":200,"
                                   "\"body\":{}} {}";
    T_FALSE(prev_parse_record(trailing, strlen(trailing), &r));
}

static int collect_out(void *ctx, const char *p, size_t n, struct err *e)
{
    (void)e;
    buf_append(ctx, p, n);
    return 0;
}

TEST(test_prev_a_carried_record_says_revalidated_before_its_body)
{
    static const char line[] = REC(",\"body\":{\"a\":[1,2]},\"redacted\":true");
    struct buf out = BUF_INIT;
    struct err e = {0};
    T_OK(prev_rewrite_record(line, strlen(line), "2026-02-02T00:00:00.000Z", collect_out, &out, &e),
         &e);
    T_BUF(REC(",\"revalidated\":true,\"revalidated_at\":\"2026-02-02T00:00:00.000Z\","
              "\"body\":{\"a\":[1,2]},\"redacted\":true") "\n",
          out);
    buf_free(&out);
}

TEST(test_prev_a_record_carried_twice_has_one_revalidated_pair)
{
    static const char line[] =
        REC(",\"revalidated\":true,\"revalidated_at\":\"2026-02-02T00:00:00.000Z\","
            "\"body\":{}");
    struct buf out = BUF_INIT;
    struct err e = {0};
    T_OK(prev_rewrite_record(line, strlen(line), "2026-03-03T00:00:00.000Z", collect_out, &out, &e),
         &e);
    T_BUF(REC(",\"revalidated\":true,\"revalidated_at\":\"2026-03-03T00:00:00.000Z\","
              "\"body\":{}") "\n",
          out);
    buf_free(&out);
}
