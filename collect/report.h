/*
 * report.h — how a collect run ends, once crawl_run has returned: the
 * error (if any), the one-line summary (log_summary: also with --quiet;
 * with --log-format json its figures are JSON members), and the exit
 * status:
 *
 *   0 the dump is complete; 3 it was written, but some items failed and
 *   are recorded as failed (the error is logged as a warning before the
 *   summary); 128+N interrupted by signal N; otherwise the crawl failed:
 *   no summary, cli.c logs the error and its class gives the status (1
 *   failure, 2 usage, 4 the registry refused the token).
 *
 * A summary is printed only for a dump that was written, complete or not:
 * its figures describe a file the user now has.
 */
#ifndef J1NPM_COLLECT_REPORT_H
#define J1NPM_COLLECT_REPORT_H

#include "crawl.h"
#include "err.h"

struct collect_report {
    const char *org;
    const char *out; /* the dump directory, or "-" for standard output */
    int rc;          /* of crawl_run */
    struct crawl_summary crawl;
};

/* An exit status (after the summary), CLI_INTERRUPTED, or CLI_FAILED with
 * e saying why (cli.h). */
int collect_report_outcome(const struct collect_report *r, const struct err *e);

#endif
