/*
 * timeutil.h — clocks and the three time spellings this project meets:
 * ISO-8601 (npm's "time" map, our fetched_at), HTTP-dates (Retry-After,
 * Date) and epoch milliseconds (what JupiterOne wants).
 */
#ifndef J1NPM_TIMEUTIL_H
#define J1NPM_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int64_t time_wall_ms(void); /* epoch milliseconds */
int64_t time_mono_ms(void); /* monotonic, for durations and deadlines */
/* "2026-11-28T13:03:56.123Z" (24 characters + NUL). */
void time_iso8601(int64_t epoch_ms, char out[32]);
/* Parses an ISO-8601 date-time (YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM], or a
 * date alone) into epoch milliseconds. false if malformed. */
bool time_parse_iso8601(const char *s, size_t n, int64_t *epoch_ms);
/* Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime form) into epoch seconds. */
bool time_parse_http_date(const char *s, int64_t *epoch_s);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
