/*
 * progress.c — see progress.h. Redrawing moves the cursor up over the rows
 * drawn last time ("\033[nA"), clears from there down ("\033[J"), writes
 * every line again and leaves the cursor below them.
 *
 * A line is made of a name, a count, and optional pieces in order of
 * worth (percent or "done in", rate, retries, ETA). The formatter tries
 * the layouts from richest to poorest and keeps the first that fits:
 * padded columns with every piece; then unpadded; then without the ETA,
 * the retries, the rate, the percent; then without the indent; then with
 * the name cut ("packum~"); at last the bare text cut at the width. All
 * text is ASCII (names are checked), so a byte is a column.
 *
 * After the terminal narrows, lines drawn for the old width may have been
 * re-wrapped by the terminal (most reflow: VTE, kitty, tmux, iTerm). The
 * redraw then moves up over the rows they take now, ceil(len / width)
 * each, so the old lines are cleared rather than left behind.
 */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "timeutil.h"

#define DEFAULT_WIDTH 80
#define MAX_LINES PROGRESS_MAX_LINES

static struct progress *active; /* for the log hooks */

int progress_term_width(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0)
        return DEFAULT_WIDTH;
    return ws.ws_col;
}

/* ---- formatting ------------------------------------------------------------ */

static void fmt_duration(char *s, size_t n, double secs)
{
    long t = secs < 0 ? 0 : (long)secs;
    if (t >= 3600)
        snprintf(s, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(s, n, "%ld:%02ld", t / 60, t % 60);
}

static void fmt_bytes(char *s, size_t n, uint64_t v)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double d = (double)v;
    int u = 0;
    while (d >= 1024 && u < 4) {
        d /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(s, n, "%llu B", (unsigned long long)v);
    else
        snprintf(s, n, "%.1f %s", d, units[u]);
}

static void fmt_count(char *s, size_t n, uint64_t v, bool bytes)
{
    if (bytes)
        fmt_bytes(s, n, v);
    else
        snprintf(s, n, "%llu", (unsigned long long)v);
}

#define MAX_PIECES 6

struct layout {
    const char *name;
    char count_done[32], count_total[40]; /* total: "" when unknown, "/2000" or "/2000+" */
    char piece[MAX_PIECES][48];           /* by worth, best first; "" = none */
    int npieces;
};

static void add_piece(struct layout *l, const char *s)
{
    if (l->npieces < MAX_PIECES)
        snprintf(l->piece[l->npieces++], sizeof l->piece[0], "%s", s);
}

/* One attempt: pieces [0, keep) shown. Returns the columns used. */
static size_t compose(struct buf *b, const struct layout *l, int name_w, bool pad, bool indent,
                      int keep, size_t name_max)
{
    size_t start = b->len;
    if (indent)
        buf_puts(b, "  ");
    size_t nl = strlen(l->name);
    for (size_t i = 0; i < nl && i < name_max; i++) {
        unsigned char c = (unsigned char)l->name[i];
        buf_putc(b, c >= 0x20 && c < 0x7f ? (char)c : '?');
    }
    if (nl > name_max) {
        if (name_max)
            b->p[b->len - 1] = '~';
        nl = name_max;
    }
    if (pad)
        for (size_t i = nl; i < (size_t)name_w; i++)
            buf_putc(b, ' ');
    buf_putc(b, ' ');
    if (pad) {
        buf_printf(b, "%6s%-7s", l->count_done, l->count_total);
    } else {
        buf_puts(b, l->count_done);
        buf_puts(b, l->count_total);
    }
    for (int i = 0; i < keep && i < l->npieces; i++) {
        if (!l->piece[i][0] && !(pad && i == 0)) /* padded: an empty percent keeps its column */
            continue;
        if (pad)
            buf_printf(b, i == 0 ? "  %4s" : "  %s", l->piece[i]); /* percents align */
        else
            buf_printf(b, " %s", l->piece[i]);
    }
    /* Padding may end in spaces (a count with no pieces): not worth a column. */
    while (b->len > start && b->p[b->len - 1] == ' ')
        b->len--;
    b->p[b->len] = '\0';
    return b->len - start;
}

static void render(struct buf *out, const struct layout *l, int width, int name_w)
{
    size_t max = width > 1 ? (size_t)width - 1 : 0;
    size_t start = out->len;
    size_t whole = (size_t)-1;
    struct {
        bool pad, indent;
        int keep;
    } tries[2 + MAX_PIECES + 1];
    int n = 0;
    tries[n].pad = true, tries[n].indent = true, tries[n++].keep = l->npieces;
    for (int keep = l->npieces; keep >= 0; keep--)
        tries[n].pad = false, tries[n].indent = true, tries[n++].keep = keep;
    tries[n].pad = false, tries[n].indent = false, tries[n++].keep = 0;
    for (int i = 0; i < n; i++) {
        if (compose(out, l, name_w, tries[i].pad, tries[i].indent, tries[i].keep, whole) <= max)
            return;
        out->len = start;
    }
    /* The name is cut, down to one letter and its mark. */
    size_t bare = compose(out, l, 0, false, false, 0, whole);
    out->len = start;
    size_t nl = strlen(l->name);
    if (bare - max + 1 < nl) {
        compose(out, l, 0, false, false, 0, nl - (bare - max));
        return;
    }
    /* Not even the count fits: the bare text, cut. */
    compose(out, l, 0, false, false, 0, whole);
    out->len = start + max;
    while (out->len > start && out->p[out->len - 1] == ' ')
        out->len--;
    if (out->p)
        out->p[out->len] = '\0';
}

static void eta_piece(struct layout *l, double remaining, double rate)
{
    char d[32], s[48];
    fmt_duration(d, sizeof d, remaining / rate);
    snprintf(s, sizeof s, "ETA %s", d);
    add_piece(l, s);
}

void progress_format_line(struct buf *out, const struct progress_phase *ph, int64_t now_ms,
                          int width, int name_w)
{
    struct layout l;
    memset(&l, 0, sizeof l);
    l.name = ph->name ? ph->name : "";
    fmt_count(l.count_done, sizeof l.count_done, ph->done, ph->bytes);
    if (ph->total_known) {
        char t[32];
        fmt_count(t, sizeof t, ph->total, ph->bytes);
        snprintf(l.count_total, sizeof l.count_total, "/%s%s", t,
                 ph->total_final || ph->finished ? "" : "+");
    }
    int64_t start = ph->started_ms ? ph->started_ms : now_ms;
    int64_t end = ph->finished ? ph->finished_ms : now_ms;
    double secs = end > start ? (double)(end - start) / 1000.0 : 0;
    /* A rate means something for a phase of many requests, not for one. */
    double rate = secs > 0.05 && (ph->done > 1 || ph->bytes) ? (double)ph->done / secs : 0;
    char s[48];
    if (ph->finished) {
        snprintf(s, sizeof s, "done in %.1f s", secs);
        add_piece(&l, s);
    } else if (ph->total_known && ph->total_final && ph->total) {
        uint64_t pct = ph->done >= ph->total ? 100 : 100 * ph->done / ph->total;
        snprintf(s, sizeof s, "%llu%%", (unsigned long long)pct);
        add_piece(&l, s);
    } else {
        add_piece(&l, "");
    }
    if (rate > 0 && ph->bytes) {
        char r[32];
        fmt_bytes(r, sizeof r, (uint64_t)rate);
        snprintf(s, sizeof s, "%s/s", r);
        add_piece(&l, s);
    } else if (rate > 0) {
        snprintf(s, sizeof s, "%.1f %s", rate, ph->unit ? ph->unit : "req/s");
        add_piece(&l, s);
    } else {
        add_piece(&l, "");
    }
    if (ph->retries) {
        snprintf(s, sizeof s, "retries %llu", (unsigned long long)ph->retries);
        add_piece(&l, s);
    } else {
        add_piece(&l, "");
    }
    if (!ph->finished && ph->total_known && ph->total_final && rate > 0 && ph->total > ph->done)
        eta_piece(&l, (double)(ph->total - ph->done), rate);
    render(out, &l, width, name_w);
}

void progress_format_overall(struct buf *out, const struct progress *p, int64_t now_ms, int width,
                             int name_w)
{
    uint64_t done = 0, total = 0, retries = 0;
    bool final = true, finished = true;
    int64_t end = 0;
    for (int i = 0; i < p->nphases; i++) {
        const struct progress_phase *ph = &p->ph[i];
        if (!ph->requests)
            continue;
        done += ph->done;
        retries += ph->retries;
        total += ph->finished ? ph->done : ph->total;
        if (!ph->finished && !ph->total_final)
            final = false;
        if (!ph->finished)
            finished = false;
        else if (ph->finished_ms > end)
            end = ph->finished_ms;
    }
    if (total < done)
        total = done;
    if (!finished)
        end = now_ms;
    struct layout l;
    memset(&l, 0, sizeof l);
    l.name = "all";
    fmt_count(l.count_done, sizeof l.count_done, done, false);
    snprintf(l.count_total, sizeof l.count_total, "/%llu%s", (unsigned long long)total,
             final ? "" : "+");
    double secs = end > p->started_ms ? (double)(end - p->started_ms) / 1000.0 : 0;
    char d[32], s[48];
    fmt_duration(d, sizeof d, secs);
    if (finished) {
        snprintf(s, sizeof s, "done in %.1f s", secs);
        add_piece(&l, s);
    } else {
        snprintf(s, sizeof s, "%s elapsed", d);
        add_piece(&l, s);
    }
    double rate = secs > 0.05 && done > 1 ? (double)done / secs : 0;
    if (rate > 0) {
        snprintf(s, sizeof s, "%.1f req/s", rate);
        add_piece(&l, s);
    } else {
        add_piece(&l, "");
    }
    if (retries) {
        snprintf(s, sizeof s, "retries %llu", (unsigned long long)retries);
        add_piece(&l, s);
    } else {
        add_piece(&l, "");
    }
    if (!finished && final && rate > 0 && total > done)
        eta_piece(&l, (double)(total - done), rate);
    render(out, &l, width, name_w);
}

/* ---- drawing --------------------------------------------------------------- */

/* The rows the lines on screen take at this width. */
static int rows_drawn(const struct progress *p, int width)
{
    if (width >= p->drawn_width || width < 2)
        return p->drawn;
    int rows = 0;
    for (int i = 0; i < p->drawn && i < MAX_LINES; i++)
        rows += p->drawn_len[i] ? (int)((p->drawn_len[i] + (size_t)width - 1) / (size_t)width) : 1;
    return rows;
}

static void put(struct buf *b)
{
    if (b->len) {
        ssize_t r = write(STDERR_FILENO, b->p, b->len);
        (void)r;
    }
}

static void erase(struct progress *p)
{
    if (!p->drawn)
        return;
    struct buf b = BUF_INIT;
    buf_printf(&b, "\r\033[%dA\033[J", rows_drawn(p, progress_term_width(STDERR_FILENO)));
    put(&b);
    buf_free(&b);
    p->drawn = 0;
}

static void hook_before(void)
{
    if (active)
        erase(active);
}

static void hook_after(void)
{
    if (active)
        progress_draw(active, true);
}

void progress_init(struct progress *p, bool enabled)
{
    memset(p, 0, sizeof *p);
    p->enabled = enabled;
    p->started_ms = time_mono_ms();
    if (enabled) {
        active = p;
        log_set_hooks(hook_before, hook_after);
    }
}

int progress_add(struct progress *p, const char *name)
{
    if (p->nphases >= PROGRESS_MAX_PHASES)
        return -1;
    struct progress_phase *ph = &p->ph[p->nphases];
    memset(ph, 0, sizeof *ph);
    ph->name = name;
    ph->requests = true;
    return p->nphases++; /* the clock starts when the phase has work */
}

void progress_start(struct progress *p, int id)
{
    if (id < 0)
        return;
    if (!p->ph[id].started_ms)
        p->ph[id].started_ms = time_mono_ms();
    p->ph[id].shown = true;
}

static void set_total(struct progress *p, int id, uint64_t total, bool final)
{
    if (id < 0)
        return;
    p->ph[id].total = total;
    p->ph[id].total_known = true;
    p->ph[id].total_final = final;
    if (final || total) /* "0/0+" says nothing yet */
        p->ph[id].shown = true;
}

void progress_total(struct progress *p, int id, uint64_t total)
{
    set_total(p, id, total, true);
}

void progress_total_so_far(struct progress *p, int id, uint64_t total)
{
    set_total(p, id, total, false);
}

void progress_done(struct progress *p, int id, uint64_t n)
{
    if (id < 0)
        return;
    progress_start(p, id);
    p->ph[id].done += n;
}

void progress_set_done(struct progress *p, int id, uint64_t n)
{
    if (id < 0)
        return;
    progress_start(p, id);
    p->ph[id].done = n;
}

void progress_retry(struct progress *p, int id)
{
    if (id >= 0)
        p->ph[id].retries++;
}

void progress_finish(struct progress *p, int id)
{
    if (id < 0 || p->ph[id].finished)
        return;
    p->ph[id].finished = true;
    p->ph[id].finished_ms = time_mono_ms();
    if (!p->ph[id].started_ms)
        p->ph[id].started_ms = p->ph[id].finished_ms;
}

void progress_draw(struct progress *p, bool force)
{
    if (!p->enabled)
        return;
    int64_t now = time_mono_ms();
    if (!force && now - p->last_draw_ms < 100)
        return;
    p->last_draw_ms = now;
    int width = progress_term_width(STDERR_FILENO);
    int name_w = 0;
    for (int i = 0; i < p->nphases; i++)
        if (p->ph[i].shown || p->ph[i].finished) {
            int l = (int)strlen(p->ph[i].name);
            name_w = l > name_w ? l : name_w;
        }
    struct buf b = BUF_INIT;
    bool had = p->drawn > 0;
    if (had)
        buf_printf(&b, "\r\033[%dA", rows_drawn(p, width));
    buf_puts(&b, "\033[J");
    int n = 0;
    for (int i = 0; i < p->nphases && n < MAX_LINES - 1; i++) {
        if (!p->ph[i].shown && !p->ph[i].finished)
            continue;
        size_t at = b.len;
        progress_format_line(&b, &p->ph[i], now, width, name_w);
        p->drawn_len[n++] = b.len - at;
        buf_putc(&b, '\n');
    }
    if (n) {
        size_t at = b.len;
        progress_format_overall(&b, p, now, width, name_w);
        p->drawn_len[n++] = b.len - at;
        buf_putc(&b, '\n');
    }
    p->drawn = n;
    p->drawn_width = width;
    if (n || had) /* nothing to show yet: nothing written */
        put(&b);
    buf_free(&b);
}

void progress_end(struct progress *p)
{
    if (!p->enabled)
        return;
    progress_draw(p, true);
    p->drawn = 0;
    p->enabled = false;
    if (active == p) {
        active = NULL;
        log_set_hooks(NULL, NULL);
    }
}
