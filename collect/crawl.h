/*
 * crawl.h — walk an npm organization through the registry API, in
 * dependency order, with independent requests running concurrently.
 *
 *   whoami ─▶ org_users ─▶ user_profiles (per member)
 *          ├▶ org_teams ─▶ team_users, team_packages (per team)
 *          └▶ org_packages ─▶ package_visibility, package_collaborators,
 *                             packuments (per package)
 *
 * With --since (prev.h), a request whose earlier answer can be revalidated
 * carries its condition; a 304 marks the earlier record to be carried into
 * the new dump. Only kinds whose bodies the crawl does not read are asked
 * conditionally (team members and packages, profiles, visibility, package
 * documents): whoami, the org lists and the collaborator lists decide what
 * else is fetched, and a 304 would leave their names unknown without
 * reading the earlier body back. A 304 to a request that had no condition,
 * or whose earlier record is not held, is asked once more without one (and
 * with Cache-Control: no-cache, for a cache in between); a second 304 is
 * recorded as a failed answer, never left out.
 *
 * Resuming (--resume, work.h): the org-level lists are fetched again (they
 * may have changed); a per-item subject still listed whose work area record
 * is definitive (prev_definitive) is not asked but marked, and its record
 * carried into the dump; a carried collaborator list still names its
 * outside collaborators. Subjects no longer listed are left behind.
 * Interrupted, a directory run keeps its answers in the work area (with a
 * resumed run's earlier ones) instead of discarding them.
 */
#ifndef J1NPM_COLLECT_CRAWL_H
#define J1NPM_COLLECT_CRAWL_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "secret.h"
#include "url.h"

struct crawl_opts {
    const char *org;
    const char *registry; /* base URL, normalised, ending in '/' */
    const char *out;      /* directory or "-" */
    bool force;
    const struct secret *token;
    int concurrency;
    long timeout_s;
    int retries;
    long max_retry_wait_s;
    const char *cacert;
    bool progress;     /* draw live progress lines (stderr is a TTY) */
    const char *since; /* --since PREV_DUMP, or NULL */
    bool resume;       /* --resume: out holds an interrupted run's work area */
};

struct crawl_summary {
    uint64_t requests, retries, failed_items, bytes_out;
    uint64_t users, outsiders, teams, packages; /* users: org members */
    uint64_t bytes_in;                          /* response body bytes received */
    uint64_t revalidated;       /* answers carried from --since's dump after a 304 */
    uint64_t bytes_revalidated; /* the bodies of those (not downloaded again) */
    bool since;
    int64_t wall_ms;
    bool complete;
    bool interrupted;
    bool kept;        /* interrupted: the answers are kept in the work area */
    uint64_t resumed; /* --resume: records carried from the work area */
};

/* 0: the dump is complete. -1 with e->cls: ERR_PARTIAL (dump written,
 * complete:false), ERR_AUTH, ERR_FAIL or ERR_USAGE. */
int crawl_run(const struct crawl_opts *o, struct crawl_summary *s, struct err *e);

#endif
