/*
 * timeutil.c — see timeutil.h. Parsing is done by hand (no strptime/timegm)
 * so that it is strict, locale-independent and identical everywhere.
 */
#include "timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t time_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Howard Hinnant's days_from_civil. */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void time_iso8601(int64_t ms, char out[32])
{
    time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)s * 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    memcpy(out, tmp, 31);
    out[31] = '\0';
}

static bool digits(const char *s, size_t n, int count, int *out)
{
    if ((size_t)count > n)
        return false;
    int v = 0;
    for (int i = 0; i < count; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    return true;
}

bool time_parse_iso8601(const char *s, size_t n, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, ms = 0;
    size_t i = 0;
    if (!digits(s, n, 4, &y) || n < 10 || s[4] != '-' || !digits(s + 5, n - 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, n - 8, 2, &d) || !valid_date(y, mo, d))
        return false;
    i = 10;
    int64_t offset_min = 0;
    if (i < n) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            return false;
        i++;
        if (!digits(s + i, n - i, 2, &h) || i + 2 >= n || s[i + 2] != ':' ||
            !digits(s + i + 3, n - i - 3, 2, &mi))
            return false;
        i += 5;
        if (i < n && s[i] == ':') {
            if (!digits(s + i + 1, n - i - 1, 2, &se))
                return false;
            i += 3;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                int nd = 0;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (nd < 3)
                        ms = ms * 10 + (s[i] - '0');
                    nd++;
                    i++;
                }
                if (nd == 0)
                    return false;
                for (; nd < 3; nd++)
                    ms *= 10;
            }
        }
        if (h > 23 || mi > 59 || se > 60)
            return false;
        if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int oh, om = 0;
            int sign = s[i] == '-' ? -1 : 1;
            i++;
            if (!digits(s + i, n - i, 2, &oh))
                return false;
            i += 2;
            if (i < n && s[i] == ':')
                i++;
            if (i < n) {
                if (!digits(s + i, n - i, 2, &om))
                    return false;
                i += 2;
            }
            offset_min = sign * (oh * 60 + om);
        }
        if (i != n)
            return false;
    }
    int64_t days = time_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_min * 60;
    *out = secs * 1000 + ms;
    return true;
}

static int month_index(const char *s)
{
    static const char *const names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; i++)
        if (strncmp(s, names[i], 3) == 0)
            return i + 1;
    return 0;
}

bool time_parse_http_date(const char *s, int64_t *out)
{
    int d, m, y, h, mi, se;
    char mon[4], tz[4];
    while (isspace((unsigned char)*s))
        s++;
    const char *comma = strchr(s, ',');
    if (comma) {
        /* "Sun, 06 Nov 1994 08:49:37 GMT" or "Sunday, 06-Nov-94 08:49:37 GMT" */
        const char *p = comma + 1;
        if (sscanf(p, " %2d %3s %4d %2d:%2d:%2d %3s", &d, mon, &y, &h, &mi, &se, tz) == 7) {
        } else if (sscanf(p, " %2d-%3s-%2d %2d:%2d:%2d %3s", &d, mon, &y, &h, &mi, &se, tz) == 7) {
            y += y < 70 ? 2000 : 1900;
        } else
            return false;
        if (strcmp(tz, "GMT") != 0 && strcmp(tz, "UTC") != 0)
            return false;
    } else {
        /* asctime: "Sun Nov  6 08:49:37 1994" */
        char wd[4];
        if (sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d", wd, mon, &d, &h, &mi, &se, &y) != 7)
            return false;
    }
    mon[3] = '\0';
    m = month_index(mon);
    if (!m || !valid_date(y, m, d) || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
        return false;
    *out = time_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return true;
}
