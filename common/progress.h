/*
 * progress.h — live progress on a terminal: one line per phase.
 *
 *   org_users            1/1       done
 *   packuments        1204/2000    60%   312 req/s  retries 3  ETA 0:03
 *
 * Drawn on stderr only when stderr is a terminal (and not --quiet); lines
 * are redrawn in place at most ten times a second. log.c calls our hooks so
 * a message scrolls above the live lines instead of tearing through them.
 * When not on a terminal, nothing is drawn: the programs print a one-line
 * summary at the end instead (and per-phase lines with --verbose).
 */
#ifndef J1NPM_PROGRESS_H
#define J1NPM_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#define PROGRESS_MAX_PHASES 16

struct progress_phase {
    const char *name;
    const char *unit; /* of the rate: "req/s" unless set after progress_add */
    uint64_t done, total, retries;
    bool total_known, finished, shown;
    int64_t started_ms, finished_ms;
};

struct progress {
    bool enabled;
    int nphases;
    int drawn; /* lines currently on screen */
    int64_t last_draw_ms;
    struct progress_phase ph[PROGRESS_MAX_PHASES];
};

/* enabled: draw at all (caller decides: stderr is a TTY and not --quiet). */
void progress_init(struct progress *p, bool enabled);
/* Returns the phase id (or -1 when full). */
int progress_add(struct progress *p, const char *name);
void progress_total(struct progress *p, int id, uint64_t total);
void progress_done(struct progress *p, int id, uint64_t n);
void progress_retry(struct progress *p, int id);
void progress_finish(struct progress *p, int id);
/* Redraws if due (force: now). */
void progress_draw(struct progress *p, bool force);
/* Final redraw, then stop drawing (lines stay on screen). */
void progress_end(struct progress *p);

#endif
