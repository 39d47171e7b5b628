/*
 * work.h — the work area of a directory collect, and the checks and the
 * recovery of `--resume DIR`.
 *
 * A directory collect writes its kind files inside DIR/.j1-npm-work/ from
 * its first record on, so a crash (SIGKILL, OOM kill, power loss) keeps
 * what reached the disk. The work area holds work.json ({"format", "org",
 * "registry", "started_at"}, written before any run starts) and one
 * directory per run, run-NNNNNN, numbered in the order the runs started;
 * each holds that run's kind files under their dump names (gzip NDJSON;
 * a crashed run's are cut short). Readers take the runs newest first and
 * keep the first definitive answer of each subject (prev.h).
 *
 * A run never changes an earlier run's directory: a resumed run writes its
 * own, so a crash during it leaves every earlier answer where it was. A
 * clean stop (Ctrl-C, SIGTERM) carries the earlier runs' answers into the
 * new run's files, ends and syncs them, and only then removes the earlier
 * runs (work_fold). A commit writes commit.json (naming the run whose
 * files are about to move), renames that run's files to their final names
 * in DIR, writes SHA256SUMS and manifest.json last, then removes the work
 * area (an incomplete dump of a resumed run keeps the earlier runs: it
 * carried only the answers the crawl got to). The work area can never be taken for a finished dump:
 * it is a hidden directory, and DIR gets no manifest.json until the end.
 *
 * Every state a crash can leave is either resumable or refused with the
 * reason (work_check):
 * - a work area with runs: resumed;
 * - commit.json and some kind files already under final names, no
 *   manifest: the files move back into the run commit.json names;
 * - a manifest that says complete: false (the run stopped on its own, exit
 *   4, or a crash right after such a commit): its kind files are adopted as
 *   the newest run of the work area (commit.json is written first, the
 *   manifest removed next, so a crash in between repeats the adoption);
 * - a manifest that says complete: true: refused (nothing to resume; use
 *   --since);
 * - kind files under final names with neither a manifest nor commit.json
 *   (not a state collect leaves): refused, nothing is touched.
 */
#ifndef J1NPM_COLLECT_WORK_H
#define J1NPM_COLLECT_WORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dumpfmt.h"
#include "err.h"

#define WORK_DIR ".j1-npm-work"
#define WORK_META "work.json"
#define WORK_COMMIT "commit.json"
#define WORK_FORMAT "j1-npm-work/2"
#define WORK_RUN_PREFIX "run-"

/* DIR/.j1-npm-work (a new string). */
char *work_path(const char *dir);

/* --resume DIR: ERR_USAGE unless DIR holds a work area or an incomplete
 * dump of this org and registry; puts a commit cut short back into the
 * work area and adopts an incomplete dump (see the top). */
int work_check(const char *dir, const char *org, const char *registry, struct err *e);

/* Starts a run: makes the work area (with work.json) if it is missing and
 * a run directory numbered after every run in it. Returns its path. */
char *work_new_run(const char *dir, const char *org, const char *registry, int64_t started_ms,
                   struct err *e);

/* The run directories of the work area wdir, newest first (paths, a new
 * array of new strings; *n may be 0). */
int work_runs(const char *wdir, char ***runs, size_t *n, struct err *e);
void work_runs_free(char **runs, size_t n);

/* Removes every run but `run` (a path from work_new_run), whose files are
 * whole and synced and hold the other runs' answers. */
int work_fold(const char *dir, const char *run, struct err *e);

/* Commit: records that `run`'s kind files are about to move to DIR. */
int work_commit_begin(const char *dir, const char *run, struct err *e);

/* Removes `run`, and the work area with it when no other run is left (a
 * run abandoned before it had anything worth keeping). */
void work_drop_run(const char *dir, const char *run);

/* Removes DIR's work area (after a dump was committed). */
int work_remove(const char *dir, struct err *e);

/* After a commit's manifest: removes the work area, or, with keep_earlier
 * (an incomplete dump of a resumed run, which carried only the answers the
 * crawl got to before it stopped), only `run` and commit.json, so the
 * earlier runs' answers stay for the next --resume. */
int work_end_commit(const char *dir, const char *run, bool keep_earlier, struct err *e);

/* ---- the pure parts, for the tests ---- */

/* Checks work.json's text against org and registry: 0, or ERR_USAGE with a
 * message naming dir. */
int work_meta_check(const char *text, size_t n, const char *dir, const char *org,
                    const char *registry, struct err *e);

/* A manifest's text, for --resume: 1 an incomplete dump of this org and
 * registry (to be adopted), -1 with ERR_USAGE otherwise (finished, another
 * org or registry, not a manifest). */
int work_manifest_check(const char *text, size_t n, const char *dir, const char *org,
                        const char *registry, struct err *e);

/* The number of a run directory's name ("run-000012" -> 12), or 0 when
 * the name is not one. */
unsigned work_run_number(const char *name);

#endif
