/* test_timeutil.c — ISO-8601 (npm's "time" map, our fetched_at), HTTP-dates
 * and epoch milliseconds. */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "timeutil.h"

static bool iso_is(const char *s, int64_t want, const char *file, int line)
{
    int64_t got = -123;
    return t_bool(true, time_parse_iso8601(s, strlen(s), &got), file, line, s) &&
           t_int(want, got, file, line, s);
}
#define T_ISO(s, want) T_RET(iso_is((s), (want), __FILE__, __LINE__))

static bool iso_bad(const char *s, const char *file, int line)
{
    int64_t got = -123;
    return t_bool(false, time_parse_iso8601(s, strlen(s), &got), file, line, s) &&
           t_int(-123, got, file, line, s); /* the output is untouched */
}
#define T_ISO_BAD(s) T_RET(iso_bad((s), __FILE__, __LINE__))

/* 2011-10-05T14:48:00Z */
#define T0 1317826080000LL

TEST(test_time_parse_iso8601_utc)
{
    T_ISO("1970-01-01T00:00:00Z", 0);
    T_ISO("1970-01-01T00:00:00.000Z", 0);
    T_ISO("2000-01-01T00:00:00Z", 946684800000LL);
    T_ISO("2011-10-05T14:48:00.000Z", T0);
    T_ISO("2011-10-05T14:48:00Z", T0);
    T_ISO("2011-10-05t14:48:00z", T0);
    T_ISO("2011-10-05 14:48:00Z", T0);
    T_ISO("2011-10-05T14:48Z", T0);   /* seconds are optional */
    T_ISO("2011-10-05T14:48:00", T0); /* no zone: UTC */
    T_ISO("2024-02-29T12:00:00Z", 1709208000000LL);
    T_ISO("1969-12-31T23:59:59Z", -1000);
    T_ISO("2038-01-19T03:14:08Z", 2147483648000LL); /* past 32-bit time_t */
    T_ISO("2016-12-31T23:59:60Z", 1483228800000LL); /* a leap second */
}

TEST(test_time_parse_iso8601_offsets)
{
    T_ISO("2011-10-05T16:48:00+02:00", T0);
    T_ISO("2011-10-05T16:48:00+0200", T0);
    T_ISO("2011-10-05T16:48:00+02", T0);
    T_ISO("2011-10-05T09:48:00-05:00", T0);
    T_ISO("2011-10-05T14:18:00-00:30", T0);
    T_ISO("2011-10-05T14:48:00+00:00", T0);
    T_ISO("2011-10-06T00:18:00+09:30", T0); /* the offset crosses midnight */
    T_ISO("2011-10-05T16:48:00.250+02:00", T0 + 250);
}

TEST(test_time_parse_iso8601_fractional_seconds)
{
    T_ISO("2011-10-05T14:48:00.5Z", T0 + 500);
    T_ISO("2011-10-05T14:48:00.05Z", T0 + 50);
    T_ISO("2011-10-05T14:48:00.123Z", T0 + 123);
    T_ISO("2011-10-05T14:48:00.123456789Z", T0 + 123); /* truncated to ms */
    T_ISO("2011-10-05T14:48:00.999Z", T0 + 999);
    T_ISO("2011-10-05T14:48:00,5Z", T0 + 500);
    T_ISO("1969-12-31T23:59:59.5Z", -500);
}

TEST(test_time_parse_iso8601_date_only)
{
    T_ISO("2011-10-05", T0 - (14 * 3600 + 48 * 60) * 1000LL);
    T_ISO("1970-01-01", 0);
    T_ISO("2000-02-29", 951782400000LL);
}

TEST(test_time_parse_iso8601_respects_length)
{
    const char *s = "2011-10-05T14:48:00.123Zjunk";
    int64_t got = 0;
    T_TRUE(time_parse_iso8601(s, 24, &got));
    T_INT(T0 + 123, got);
    T_TRUE(time_parse_iso8601(s, 10, &got)); /* the date alone */
    T_INT(T0 - (14 * 3600 + 48 * 60) * 1000LL, got);
    T_FALSE(time_parse_iso8601(s, 9, &got));
    T_FALSE(time_parse_iso8601(s, 0, &got));
    T_FALSE(time_parse_iso8601(s, strlen(s), &got));
    T_TRUE(time_parse_iso8601(s, 19, &got));
    T_INT(T0, got);
}

TEST(test_time_parse_iso8601_rejects_invalid_dates)
{
    T_ISO_BAD("2011-02-30T00:00:00Z");
    T_ISO_BAD("2011-02-29");
    T_ISO_BAD("2023-02-29T00:00:00Z");
    T_ISO_BAD("1900-02-29"); /* not a leap year: divisible by 100 */
    T_ISO_BAD("2011-04-31");
    T_ISO_BAD("2011-13-01");
    T_ISO_BAD("2011-00-10");
    T_ISO_BAD("2011-10-00");
    T_ISO_BAD("2011-10-32");
    T_ISO_BAD("2011-10-05T24:00:00Z");
    T_ISO_BAD("2011-10-05T14:60:00Z");
    T_ISO_BAD("2011-10-05T14:48:61Z");
}

TEST(test_time_parse_iso8601_rejects_garbage)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "2011",
        "2011-10",
        "2011-1-05",
        "2011/10/05",
        "20111005",
        "2011-10-05T",
        "2011-10-05T14",
        "2011-10-05T14:",
        "2011-10-05T14:4",
        "2011-10-05T14:48:",
        "2011-10-05T14:48:0",
        "2011-10-05T14:48:00.",
        "2011-10-05T14:48:00.Z",
        "2011-10-05T14:48:00Zjunk",
        "2011-10-05T14:48:00+2",
        "2011-10-05T14:48:00+02:0",
        "2011-10-05T14:48:00+02:00:00",
        "2011-10-05T14:48:00 Z",
        "2011-10-05X14:48:00Z",
        "2011-10-05T14:48:00ZZ",
        " 2011-10-05",
        "2011-10-05 ",
        "-011-10-05",
        "2011-10-05T1a:48:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        T_ISO_BAD(bad[i]);
}

TEST(test_time_iso8601_formats_utc_milliseconds)
{
    char out[32];
    time_iso8601(0, out);
    T_STR("1970-01-01T00:00:00.000Z", out);
    time_iso8601(T0 + 123, out);
    T_STR("2011-10-05T14:48:00.123Z", out);
    T_UINT(24, strlen(out));
    time_iso8601(-1, out);
    T_STR("1969-12-31T23:59:59.999Z", out);
    time_iso8601(-1000, out);
    T_STR("1969-12-31T23:59:59.000Z", out);
    time_iso8601(-1001, out);
    T_STR("1969-12-31T23:59:58.999Z", out);
    time_iso8601(1709208000007LL, out);
    T_STR("2024-02-29T12:00:00.007Z", out);
    time_iso8601(253402300799999LL, out);
    T_STR("9999-12-31T23:59:59.999Z", out);
}

TEST(test_time_iso8601_round_trips)
{
    struct t_rng r;
    t_rng_init(&r, 11);
    for (int i = 0; i < 2000; i++) {
        /* Anywhere from 1900 to 2100, to the millisecond. */
        int64_t ms =
            ((int64_t)t_rng_u32(&r) << 20 ^ t_rng_u32(&r)) % 6311390400000LL - 2208988800000LL;
        char out[32];
        int64_t back = 0;
        time_iso8601(ms, out);
        T_RET(t_bool(true, time_parse_iso8601(out, strlen(out), &back), __FILE__, __LINE__, out));
        T_RET(t_int(ms, back, __FILE__, __LINE__, out));
    }
}

TEST(test_time_parse_http_date_three_forms)
{
    int64_t s = 0;
    T_TRUE(time_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &s));
    T_INT(784111777, s);
    T_TRUE(time_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &s));
    T_INT(784111777, s);
    T_TRUE(time_parse_http_date("Sun Nov  6 08:49:37 1994", &s));
    T_INT(784111777, s);
    T_TRUE(time_parse_http_date("  Thu, 01 Jan 1970 00:00:00 GMT", &s));
    T_INT(0, s);
    T_TRUE(time_parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT", &s));
    T_INT(1709208000, s);
    T_TRUE(time_parse_http_date("Wednesday, 01-Jan-20 00:00:00 GMT", &s)); /* 2020 */
    T_INT(1577836800, s);
}

TEST(test_time_parse_http_date_rejects_garbage)
{
    static const char *const bad[] = {
        "",
        "yesterday",
        "Sun, 06 Nov 1994 08:49:37 PST",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 29 Feb 2023 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:49:37 GMT",
        "Sun, 06 Nov 1994 08:60:37 GMT",
        "Sun, 06 Nov 1994 -1:49:37 GMT",
        "Sun, 06 Nov 1994 08:-1:37 GMT",
        "Sun, 06 Nov 1994 08:49:-1 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun Nov 31 08:49:37 1994",
        "Sun Nov  6 08:49:37",
        "1994-11-06T08:49:37Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t s = -7;
        T_RET(t_bool(false, time_parse_http_date(bad[i], &s), __FILE__, __LINE__, bad[i]));
    }
}

TEST(test_time_days_from_civil)
{
    T_INT(0, time_days_from_civil(1970, 1, 1));
    T_INT(-1, time_days_from_civil(1969, 12, 31));
    T_INT(59, time_days_from_civil(1970, 3, 1));
    T_INT(10957, time_days_from_civil(2000, 1, 1));
    T_INT(11016, time_days_from_civil(2000, 2, 29));
    T_INT(-719468, time_days_from_civil(0, 3, 1));
    T_INT(2932896, time_days_from_civil(9999, 12, 31));
}

TEST(test_time_clocks_move_forward)
{
    int64_t m1 = time_mono_ms(), w = time_wall_ms();
    T_TRUE(w > 1700000000000LL); /* after November 2023 */
    int64_t m2 = time_mono_ms();
    T_TRUE(m2 >= m1);
}
