/* report.c — see report.h. */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "log.h"
#include "summary.h"
#include "wait.h"

/* The summary's figures for --log-format json (summary.h). */
static void fields(const struct report *r, const struct planner *pl, struct summary *sum)
{
    const struct plan_stats *ps = planner_stats(pl);
    const struct check_stats *cs = planner_check_stats(pl);
    const struct job_result *j = &r->job;
    struct jw *w = summary_begin(sum);
    jw_kstr(w, "in", r->in);
    jw_kbool(w, "dryRun", r->dry_run);
    jw_kbool(w, "ok", r->rc == 0);
    if (!r->dry_run) {
        jw_kstr(w, "job", j->created ? j->id : NULL);
        jw_kstr(w, "status", j->status[0] ? j->status : NULL);
        jw_kbool(w, "finalized", j->finalized);
        jw_kbool(w, "aborted", j->aborted);
        summary_count(w, "entitiesSent", j->sent[GOBJ_ENTITY]);
        summary_count(w, "relationshipsSent", j->sent[GOBJ_RELATIONSHIP]);
        if (j->have_counters) {
            summary_count(w, "numEntitiesUploaded", j->uploaded[GOBJ_ENTITY]);
            summary_count(w, "numRelationshipsUploaded", j->uploaded[GOBJ_RELATIONSHIP]);
        }
        summary_count(w, "requests", j->requests);
        summary_count(w, "retries", j->retries);
        summary_count(w, "splits", j->splits);
        summary_count(w, "lostAnswers", j->doubts);
        summary_count(w, "resent", j->resent);
        summary_count(w, "mayHaveArrivedTwice", j->maybe_twice);
        if (j->waited)
            jw_kbool(w, "waitTimedOut", j->wait_timed_out);
        if (j->have_outcome) {
            static const char *const names[2][3] = {
                {"numEntitiesCreated", "numEntitiesUpdated", "numEntitiesDeleted"},
                {"numRelationshipsCreated", "numRelationshipsUpdated", "numRelationshipsDeleted"}};
            for (int k = 0; k < 2; k++) {
                const long long v[3] = {j->n_created[k], j->n_updated[k], j->n_deleted[k]};
                for (int f = 0; f < 3; f++)
                    if (v[f] >= 0)
                        summary_count(w, names[k][f], (uint64_t)v[f]);
            }
        }
    }
    summary_count(w, "entities", ps->objects[GOBJ_ENTITY]);
    summary_count(w, "relationships", ps->objects[GOBJ_RELATIONSHIP]);
    summary_count(w, "batches", ps->batches[0] + ps->batches[1]);
    summary_count(w, "jsonBytes", ps->json_bytes);
    summary_count(w, "gzipBytes", ps->gz_bytes);
    summary_count(w, "inputBytes", r->bytes_in);
    summary_count(w, "notSent", ps->dropped);
    summary_count(w, "tooLarge", ps->too_large);
    summary_count(w, "rawDataStripped", ps->stripped + j->stripped_413);
    summary_count(w, "invalid", cs->invalid);
    summary_count(w, "duplicateKeys", cs->duplicates);
    summary_count(w, "danglingRelationships", cs->dangling);
    summary_count(w, "unknownRelationshipClasses", cs->unknown_class);
    jw_key(w, "partialDatasets");
    jw_arr(w);
    for (size_t i = 0; i < planner_partial_count(pl); i++)
        jw_str(w, planner_partial_type(pl, i));
    jw_arr_end(w);
    if (!r->dry_run)
        summary_seconds(w, "seconds", (double)j->wall_ms / 1000.0);
}

static void notes(const struct planner *pl, const struct job_result *j, struct buf *t)
{
    const struct plan_stats *ps = planner_stats(pl);
    const struct check_stats *cs = planner_check_stats(pl);
    if (ps->dropped) {
        buf_printf(t, "; %llu object(s) NOT sent (listed above)", (unsigned long long)ps->dropped);
    }
    if (planner_partial_count(pl)) {
        buf_puts(t, "; partial datasets: ");
        for (size_t i = 0; i < planner_partial_count(pl); i++)
            buf_printf(t, "%s%s", i ? ", " : "", planner_partial_type(pl, i));
    }
    uint64_t stripped = ps->stripped + j->stripped_413;
    if (stripped)
        buf_printf(t, "; %llu sent without _rawData", (unsigned long long)stripped);
    if (cs->dangling)
        buf_printf(t, "; %llu dangling relationship(s)", (unsigned long long)cs->dangling);
    if (cs->unknown_class)
        buf_printf(t, "; %llu unknown relationship class(es)",
                   (unsigned long long)cs->unknown_class);
    if (j->maybe_twice)
        buf_printf(t, "; up to %llu object(s) may have arrived twice (lost answers)",
                   (unsigned long long)j->maybe_twice);
}

int report_outcome(const struct report *r, const struct planner *pl, const struct err *e)
{
    const struct plan_stats *ps = planner_stats(pl);
    const struct job_result *j = &r->job;
    unsigned long long ents = ps->objects[GOBJ_ENTITY], rels = ps->objects[GOBJ_RELATIONSHIP];
    unsigned long long batches = ps->batches[0] + ps->batches[1];
    int status;
    if (r->rc < 0 && j->interrupted && j->finalized) {
        log_error("interrupted while waiting; job %s was finalized and JupiterOne goes on with it",
                  j->id);
        status = cli_interrupt_status();
    } else if (r->rc < 0 && j->interrupted) {
        log_error("interrupted%s", j->created ? (j->aborted ? "; the job was aborted"
                                                            : "; the job could not be aborted")
                                              : "");
        status = cli_interrupt_status();
    } else if (r->rc < 0) {
        log_error("%s", e->msg);
        status = exit_code_for(e->cls == ERR_NONE || e->cls == ERR_PARTIAL ? ERR_FAIL : e->cls);
    } else if (j->wait_timed_out) {
        status = WAIT_EXIT_TIMEOUT;
    } else {
        /* Partial types, declared by the input or added for objects not
         * sent: the last status of a pipe says the graph is not whole. */
        status = ps->dropped || planner_partial_count(pl) ? EXIT_PARTIAL : EXIT_OK;
    }

    struct summary sum;
    struct buf t = BUF_INIT;
    fields(r, pl, &sum);
    if (r->dry_run) {
        buf_printf(&t,
                   "dry run of %s: %llu entities and %llu relationships would go in %llu "
                   "batch(es) (%.1f MB of JSON, %.1f MB gzip)%s",
                   r->in, ents, rels, batches, (double)ps->json_bytes / 1e6,
                   (double)ps->gz_bytes / 1e6,
                   r->rc < 0 ? "; the input is broken, a real run would abort its job" : "");
    } else {
        double secs = (double)j->wall_ms / 1000.0;
        unsigned long long sent = j->sent[0] + j->sent[1];
        if (r->rc == 0)
            buf_printf(&t,
                       "uploaded %llu entities and %llu relationships from %s to job %s in %llu "
                       "batch(es) (%.1f MB of JSON, %.1f MB gzip), %.1f s (%.0f objects/s, %llu "
                       "requests, %llu retries); %s: %s",
                       (unsigned long long)j->sent[0], (unsigned long long)j->sent[1], r->in, j->id,
                       batches, (double)ps->json_bytes / 1e6, (double)ps->gz_bytes / 1e6, secs,
                       secs > 0 ? (double)sent / secs : 0.0, (unsigned long long)j->requests,
                       (unsigned long long)j->retries,
                       j->finalized ? "finalized" : "not finalized (--skip-finalize)",
                       j->status[0] ? j->status : "?");
        else if (j->finalized)
            buf_printf(&t,
                       "upload FAILED: job %s was finalized after %llu entities and %llu "
                       "relationships had been sent, but did not finish: %s (%.1f s)",
                       j->id, (unsigned long long)j->sent[0], (unsigned long long)j->sent[1],
                       j->status[0] ? j->status : "?", secs);
        else if (j->created)
            buf_printf(&t,
                       "upload FAILED: job %s %s after %llu entities and %llu relationships "
                       "had been sent (%.1f s, %llu requests, %llu retries)",
                       j->id, j->aborted ? "was aborted" : "was NOT aborted",
                       (unsigned long long)j->sent[0], (unsigned long long)j->sent[1], secs,
                       (unsigned long long)j->requests, (unsigned long long)j->retries);
        else
            buf_printf(&t, "upload FAILED: no job was created; nothing was sent");
        if (j->have_counters && j->created)
            buf_printf(&t, "; JupiterOne counts %llu entities and %llu relationships uploaded",
                       (unsigned long long)j->uploaded[0], (unsigned long long)j->uploaded[1]);
        if (j->have_outcome)
            buf_printf(&t,
                       "; entities %lld created, %lld updated, %lld deleted; relationships %lld "
                       "created, %lld updated, %lld deleted",
                       j->n_created[0], j->n_updated[0], j->n_deleted[0], j->n_created[1],
                       j->n_updated[1], j->n_deleted[1]);
        if (j->wait_timed_out)
            buf_printf(&t,
                       "; still %s when --wait's time ran out (exit %d): JupiterOne has not "
                       "finished processing it yet",
                       j->status[0] ? j->status : "?", WAIT_EXIT_TIMEOUT);
    }
    notes(pl, j, &t);
    log_summary(summary_members(&sum), "%s", t.p);
    summary_free(&sum);
    buf_free(&t);
    return status;
}
