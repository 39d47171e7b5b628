/*
 * work.h — the work area an interrupted directory collect leaves behind,
 * and the checks of `--resume DIR`.
 *
 * DIR/.j1-npm-work/ holds the kind files of the interrupted run under their
 * dump names (gzip NDJSON, each ended cleanly on Ctrl-C/SIGTERM) and
 * work.json ({"format", "org", "registry", "started_at"}). It can never be
 * taken for a finished dump: it is a hidden directory, DIR gets no
 * manifest.json and no file under a final name. A new work area is built
 * beside the old one and swapped in by renames, so an interrupted resume
 * replaces the work area only once the new one is whole. A finished
 * (resumed) dump removes it.
 */
#ifndef J1NPM_COLLECT_WORK_H
#define J1NPM_COLLECT_WORK_H

#include <stdint.h>

#include "dumpfmt.h"
#include "err.h"

#define WORK_DIR ".j1-npm-work"
#define WORK_META "work.json"
#define WORK_FORMAT "j1-npm-work/1"

/* DIR/.j1-npm-work (a new string). */
char *work_path(const char *dir);

/* --resume DIR: ERR_USAGE unless DIR holds a work area of this org and
 * registry, and no finished dump. */
int work_check(const char *dir, const char *org, const char *registry, struct err *e);

/* Moves the finished kind files tmp[k] (absolute paths in DIR) into a new
 * work area with work.json, replacing any earlier one. */
int work_keep(const char *dir, char *const tmp[K_COUNT], const char *org, const char *registry,
              int64_t started_ms, struct err *e);

/* Removes DIR's work area (after a dump was committed). */
int work_remove(const char *dir, struct err *e);

/* ---- the pure part, for the tests ---- */

/* Checks work.json's text against org and registry: 0, or ERR_USAGE with a
 * message naming dir. */
int work_meta_check(const char *text, size_t n, const char *dir, const char *org,
                    const char *registry, struct err *e);

#endif
