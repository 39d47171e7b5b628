/*
 * progress.c — see progress.h. Redrawing moves the cursor up over the lines
 * drawn last time ("\033[nA"), rewrites each with "\r\033[K" (carriage
 * return, clear line), and leaves the cursor below them.
 */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "timeutil.h"

static struct progress *active; /* for the log hooks */

static void erase(struct progress *p)
{
    if (!p->drawn)
        return;
    struct buf b = BUF_INIT;
    buf_printf(&b, "\033[%dA", p->drawn);
    for (int i = 0; i < p->drawn; i++)
        buf_puts(&b, "\r\033[K\n");
    buf_printf(&b, "\033[%dA", p->drawn);
    if (b.len) {
        ssize_t r = write(STDERR_FILENO, b.p, b.len);
        (void)r;
    }
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
    return p->nphases++; /* the clock starts when the phase has work */
}

void progress_total(struct progress *p, int id, uint64_t total)
{
    if (id < 0)
        return;
    if (!p->ph[id].started_ms)
        p->ph[id].started_ms = time_mono_ms();
    p->ph[id].total = total;
    p->ph[id].total_known = true;
    p->ph[id].shown = true;
}

void progress_done(struct progress *p, int id, uint64_t n)
{
    if (id < 0)
        return;
    if (!p->ph[id].started_ms)
        p->ph[id].started_ms = time_mono_ms();
    p->ph[id].done += n;
    p->ph[id].shown = true;
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

static void line(struct buf *b, const struct progress_phase *ph, int64_t now)
{
    int64_t end = ph->finished ? ph->finished_ms : now;
    double secs = (double)(end - ph->started_ms) / 1000.0;
    /* A rate means something for a phase of many requests, not for one. */
    double rate = secs > 0.05 && ph->done > 1 ? (double)ph->done / secs : 0;
    buf_printf(b, "\r\033[K  %-22s %8llu", ph->name, (unsigned long long)ph->done);
    if (ph->total_known)
        buf_printf(b, "/%-8llu", (unsigned long long)ph->total);
    else
        buf_puts(b, "         ");
    if (ph->finished) {
        buf_printf(b, " done in %.1f s", secs);
    } else if (ph->total_known && ph->total) {
        buf_printf(b, " %3d%%", (int)(100 * ph->done / ph->total));
    }
    if (rate > 0)
        buf_printf(b, "  %7.1f %s", rate, ph->unit ? ph->unit : "req/s");
    if (ph->retries)
        buf_printf(b, "  retries %llu", (unsigned long long)ph->retries);
    if (!ph->finished && ph->total_known && rate > 0 && ph->total > ph->done) {
        long eta = (long)((double)(ph->total - ph->done) / rate);
        buf_printf(b, "  ETA %ld:%02ld", eta / 60, eta % 60);
    }
    buf_putc(b, '\n');
}

void progress_draw(struct progress *p, bool force)
{
    if (!p->enabled)
        return;
    int64_t now = time_mono_ms();
    if (!force && now - p->last_draw_ms < 100)
        return;
    p->last_draw_ms = now;
    struct buf b = BUF_INIT;
    if (p->drawn)
        buf_printf(&b, "\033[%dA", p->drawn);
    int n = 0;
    for (int i = 0; i < p->nphases; i++) {
        if (!p->ph[i].shown && !p->ph[i].finished)
            continue;
        line(&b, &p->ph[i], now);
        n++;
    }
    /* Fewer lines than last time cannot happen: phases are only added. */
    p->drawn = n;
    if (b.len) {
        ssize_t r = write(STDERR_FILENO, b.p, b.len);
        (void)r;
    }
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
