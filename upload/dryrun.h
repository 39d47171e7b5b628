/*
 * dryrun.h — everything an upload does except the network: read and check
 * every object, plan and compress the batches exactly as a real run would,
 * and print on stdout the requests that would be sent, one line each
 * (with --verbose also every batch's _keys). No socket is opened, and no
 * key, account or instance id is needed: placeholders stand in for them.
 */
#ifndef J1NPM_UPLOAD_DRYRUN_H
#define J1NPM_UPLOAD_DRYRUN_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "plan.h"

struct dryrun_opts {
    const char *base_url;
    const char *source, *scope, *instance_id; /* instance_id may be NULL */
    bool skip_finalize;
    bool list_keys;
};

/* 0: the whole input was planned; -1: it is broken (a real run would abort
 * its job). */
int dryrun_run(const struct dryrun_opts *o, struct planner *pl, FILE *out, struct err *e);

#endif
