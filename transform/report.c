/*
 * report.c — see report.h.
 *
 * One pass over the types gives the three views of them at once: the
 * "types" figures of the JSON summary, the info line per type, and the
 * list of partial ones the summary line names; the totals of entities and
 * relationships are summed on the way, so all three agree.
 */
#include "report.h"

#include <string.h>

#include "buf.h"
#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "log.h"
#include "summary.h"
#include "timeutil.h"

/* The "types" figures and the per-type lines; sums the totals and names
 * the partial types in ptypes. */
static void types(const struct transform_report *r, struct jw *w, uint64_t *ents, uint64_t *rels,
                  struct buf *ptypes)
{
    jw_key(w, "types");
    jw_obj(w);
    for (int t = 0; t < T_COUNT; t++) {
        uint64_t n = graph_count(r->g, (enum gtype)t);
        *(gtypes[t].relationship ? rels : ents) += n;
        summary_count(w, gtypes[t].type, n);
        log_info("  %-28s %8llu%s", gtypes[t].type, (unsigned long long)n,
                 r->partial & TB(t) ? "  (partial)" : "");
        if (r->partial & TB(t))
            buf_printf(ptypes, "%s%s", ptypes->len ? ", " : "", gtypes[t].type);
    }
    jw_obj_end(w);
}

int transform_report_outcome(const struct transform_report *r)
{
    if (r->rc < 0)
        return cli_interrupted ? CLI_INTERRUPTED : CLI_FAILED;

    const struct input_info *info = r->info;
    uint64_t ents = 0, rels = 0;
    struct buf ptypes = BUF_INIT;
    struct summary sum;
    struct jw *w = summary_begin(&sum);
    types(r, w, &ents, &rels, &ptypes);
    double secs = (double)(time_mono_ms() - r->t0) / 1000.0;
    summary_count(w, "entities", ents);
    summary_count(w, "relationships", rels);
    jw_kbool(w, "partial", r->partial != 0);
    summary_seconds(w, "seconds", secs);
    summary_count(w, "input_bytes", info->bytes_in);
    if (graph_duplicates(r->g))
        log_warn("%llu duplicate object(s) dropped", (unsigned long long)graph_duplicates(r->g));
    log_summary(summary_members(&sum),
                "transformed %s: %llu entities, %llu relationships in %.1f s (%.0f MB/s of "
                "input); %s%s%s; wrote %s",
                info->org[0] ? info->org : "the dump", (unsigned long long)ents,
                (unsigned long long)rels, secs,
                secs > 0 ? (double)info->bytes_in / 1e6 / secs : 0.0,
                r->partial ? "PARTIAL: " : "complete", ptypes.p,
                r->partial ? " (JupiterOne will keep what it has of these)" : "",
                strcmp(r->out, "-") == 0 ? "standard output" : r->out);
    summary_free(&sum);
    buf_free(&ptypes);
    return r->partial ? EXIT_PARTIAL : EXIT_OK;
}
