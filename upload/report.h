/*
 * report.h — how a run ends: the error (if any), the one-line summary that
 * is always printed (log_summary: also with --quiet; with --log-format json
 * its figures are JSON members), and the exit status:
 *
 *   0 every object went and the job is finalized (or left open by
 *     --skip-finalize); 3 the same, but some objects were not sent (each
 *     was reported by _key and its _type marked partial); 1 failure (the
 *     job was aborted, or could not be); 4 JupiterOne refused the key or
 *     account; 128+N interrupted by signal N.
 */
#ifndef J1NPM_UPLOAD_REPORT_H
#define J1NPM_UPLOAD_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "job.h"
#include "plan.h"

struct report {
    const char *in;
    bool dry_run;
    int rc; /* of job_run or dryrun_run */
    struct job_result job;
    uint64_t bytes_in;
};

/* Logs e when rc < 0, prints the summary, returns the exit status. */
int report_outcome(const struct report *r, const struct planner *pl, const struct err *e);

#endif
