/* wait.c — see wait.h. */
#include "wait.h"

#include <string.h>
#include <time.h>

#include "cli.h"
#include "job_impl.h"
#include "log.h"
#include "timeutil.h"

#define PAUSE_FIRST_MS 1000
#define PAUSE_MAX_MS 15000

enum wait_verdict wait_verdict(const char *status)
{
    static const char *const working[] = {"FINALIZE_PENDING", "FINALIZING_ENTITIES",
                                          "FINALIZING_RELATIONSHIPS", "AWAITING_UPLOADS"};
    if (strcmp(status, "FINISHED") == 0)
        return WAIT_DONE;
    for (size_t i = 0; i < sizeof working / sizeof working[0]; i++)
        if (strcmp(status, working[i]) == 0)
            return WAIT_MORE;
    return WAIT_FAILED;
}

long wait_next_pause_ms(long prev)
{
    if (prev <= 0)
        return PAUSE_FIRST_MS;
    return prev >= PAUSE_MAX_MS / 2 ? PAUSE_MAX_MS : prev * 2;
}

/* Sleeps ms, in steps short enough to notice a signal. 0, or -1 on one. */
static int pause_ms(long ms)
{
    while (ms > 0 && !cli_interrupted) {
        long step = ms < 100 ? ms : 100;
        struct timespec ts = {0, step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
    return cli_interrupted ? -1 : 0;
}

static void keep_outcome(struct job_result *r, const struct answer *a)
{
    for (int k = 0; k < 2; k++) {
        r->n_created[k] = a->created[k];
        r->n_updated[k] = a->updated[k];
        r->n_deleted[k] = a->deleted[k];
    }
    r->have_outcome = true;
}

int job_wait(struct job *j, long limit_s, struct err *e)
{
    struct job_result *r = j->r;
    int64_t deadline = time_mono_ms() + (int64_t)limit_s * 1000;
    long pause = 0;
    r->waited = true;
    log_info("waiting up to %ld s for JupiterOne to finish job %s (now %s)", limit_s, r->id,
             r->status[0] ? r->status : "?");
    for (;;) {
        struct answer a;
        int64_t now = time_mono_ms();
        if (now >= deadline) {
            r->wait_timed_out = true;
            return 0;
        }
        pause = wait_next_pause_ms(pause);
        if (pause_ms(pause < deadline - now ? pause : (long)(deadline - now)) < 0) {
            r->interrupted = true;
            return err_set(e, ERR_FAIL, "interrupted");
        }
        if (control_read(j, j->http, &cli_interrupted, &a, e) < 0) {
            if (r->interrupted)
                return err_set(e, ERR_FAIL, "interrupted");
            return err_wrap(e, "waiting for job %s to finish (it was finalized)", r->id);
        }
        log_debug("job %s: %s", r->id, a.status);
        switch (wait_verdict(a.status)) {
        case WAIT_MORE: continue;
        case WAIT_DONE: keep_outcome(r, &a); return 0;
        case WAIT_FAILED:
            keep_outcome(r, &a);
            return err_set(e, ERR_FAIL,
                           "job %s was finalized, but JupiterOne ended it %s instead of FINISHED",
                           r->id, a.status[0] ? a.status : "with no status");
        }
    }
}
