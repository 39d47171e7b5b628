/*
 * progress.h — live progress on a terminal: one line per phase, then one
 * line for the whole run.
 *
 *   whoami                    1/1     done in 0.0 s
 *   org_packages              1/1     done in 0.1 s
 *   packuments             1204/2000   60%   312.0 req/s  retries 3  ETA 0:03
 *   user_profiles            12/40+          20.0 req/s
 *   all                    1217/2042+  0:04 elapsed
 *
 * A phase's clock starts when its first request goes out (progress_start,
 * or its first progress_done), not when the run starts: its rate, its
 * "done in" and its ETA are its own. A total may still be growing (more
 * work is found as answers come): such a total is drawn "N+" and gets no
 * percent and no ETA until it is declared final (progress_total). The last
 * line adds up every phase that counts requests: requests done, time since
 * the run started, and an ETA for the run once every total is final.
 *
 * Width: no line is ever wider than the terminal (a wrapped line breaks the
 * redraw, which counts lines, not rows). The width is read from stderr
 * (TIOCGWINSZ) at every redraw, at most ten a second: an ioctl is cheap,
 * and a SIGWINCH handler would interrupt the HTTP engine's poll with EINTR
 * for nothing the next redraw does not see anyway. A line that does not
 * fit loses what matters least first: ETA, then retries, then the rate,
 * then the percent or "done in", then its column padding; the name is
 * truncated last, and the count is kept while anything is.
 *
 * The text of a line is a pure function (progress_format_line/_overall:
 * phase state, width and the time in, text out), tested at several widths.
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

#include "buf.h"

#define PROGRESS_MAX_PHASES 16
#define PROGRESS_MAX_LINES (PROGRESS_MAX_PHASES + 1) /* and the run's line */

struct progress_phase {
    const char *name;
    const char *unit; /* of the rate: "req/s" unless set after progress_add */
    uint64_t done, total, retries;
    bool total_known; /* total holds a count (maybe still growing) */
    bool total_final; /* ... and it will not grow any more */
    bool bytes;       /* done and total are bytes: drawn "12.3 MB", no rate unit */
    bool requests;    /* counted in the run's line (default: true) */
    bool finished, shown;
    int64_t started_ms, finished_ms;
};

struct progress {
    bool enabled;
    int nphases;
    int drawn;                            /* lines currently on screen */
    int drawn_width;                      /* the width they were drawn for */
    size_t drawn_len[PROGRESS_MAX_LINES]; /* the columns of each */
    int64_t last_draw_ms, started_ms;
    struct progress_phase ph[PROGRESS_MAX_PHASES];
};

/* enabled: draw at all (caller decides: stderr is a TTY and not --quiet).
 * The run's clock starts here. */
void progress_init(struct progress *p, bool enabled);
/* Returns the phase id (or -1 when full). */
int progress_add(struct progress *p, const char *name);
/* The phase's first request went out (later calls change nothing). */
void progress_start(struct progress *p, int id);
/* The final total. */
void progress_total(struct progress *p, int id, uint64_t total);
/* A total known so far, which may still grow. */
void progress_total_so_far(struct progress *p, int id, uint64_t total);
void progress_done(struct progress *p, int id, uint64_t n);
/* done = n (for counters kept elsewhere, such as bytes read). */
void progress_set_done(struct progress *p, int id, uint64_t n);
void progress_retry(struct progress *p, int id);
void progress_finish(struct progress *p, int id);
/* Redraws if due (force: now). */
void progress_draw(struct progress *p, bool force);
/* Final redraw, then stop drawing (lines stay on screen). */
void progress_end(struct progress *p);

/* The text of one line, appended to out: at most width - 1 columns (a line
 * as wide as the terminal leaves some terminals' cursor on the next row),
 * no control characters, no newline. name_w: the column the names are
 * padded to (0: no padding). */
void progress_format_line(struct buf *out, const struct progress_phase *ph, int64_t now_ms,
                          int width, int name_w);
/* The run's line ("all ..."), from every phase that counts requests. */
void progress_format_overall(struct buf *out, const struct progress *p, int64_t now_ms, int width,
                             int name_w);
/* The terminal's width on fd, or 80 when it cannot be read. */
int progress_term_width(int fd);

#endif
