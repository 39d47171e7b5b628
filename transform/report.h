/*
 * report.h — how a transform run ends: the count of every _type (one info
 * line each, marked "(partial)" where the dump could not feed it), a
 * warning for dropped duplicates, the one-line summary (log_summary: also
 * with --quiet; with --log-format json its figures are JSON members), and
 * the exit status:
 *
 *   0 complete; 3 written, but the types a failed fetch fed are marked
 *   partial (JupiterOne keeps what it has of them); 128+N interrupted by
 *   signal N; otherwise the run failed: no summary, cli.c logs the error
 *   and its class gives the status (1 bad input).
 *
 * Only a graph that was written is summarized: its figures describe files
 * the user now has.
 */
#ifndef J1NPM_TRANSFORM_REPORT_H
#define J1NPM_TRANSFORM_REPORT_H

#include <stdint.h>

#include "graph.h"
#include "input.h"

struct transform_report {
    const char *out; /* the output directory, or "-" for standard output */
    int rc;          /* 0: the graph was written; -1: it was not (e, or an interruption) */
    const struct graph *g;
    const struct input_info *info;
    unsigned partial; /* the partial types, as TB() bits (schema.h) */
    int64_t t0;       /* time_mono_ms() when the run began */
};

/* An exit status (after the summary), CLI_INTERRUPTED, or CLI_FAILED (the
 * run's e says why; cli.h). */
int transform_report_outcome(const struct transform_report *r);

#endif
