/*
 * summary.h — the figures of the one-line summary every program prints at
 * the end of its run, as the JSON members log_summary() (log.h) adds to
 * that line with --log-format json: "summary":{"org":"acme",...}.
 *
 * All three programs build them the same way: summary_begin() gives a JSON
 * writer (json.h) already inside the "summary" object, the program writes
 * its figures with jw_* and the two helpers below (whose number formats
 * are part of the interface: counts as plain integers, seconds with three
 * decimals), and summary_members() closes the object and hands back the
 * members, without the outer braces, for log_summary().
 */
#ifndef J1NPM_SUMMARY_H
#define J1NPM_SUMMARY_H

#include <stdint.h>

#include "buf.h"
#include "json.h"

struct summary {
    struct buf json;
    struct jw w;
};

/* The writer of s's figures; s must stay where it is until summary_free. */
struct jw *summary_begin(struct summary *s);
/* key: an unsigned count. */
void summary_count(struct jw *w, const char *key, uint64_t v);
/* key: seconds, as "%.3f". */
void summary_seconds(struct jw *w, const char *key, double seconds);
/* Closes the figures: the members for log_summary() ("" if the writer
 * failed). Valid until summary_free. */
const char *summary_members(struct summary *s);
void summary_free(struct summary *s);

#endif
