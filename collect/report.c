/*
 * report.c — see report.h.
 *
 * The summary's figures and its text are written side by side, from the
 * same crawl_summary, so the JSON members and the line a person reads
 * cannot tell different stories.
 */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "log.h"
#include "summary.h"

/* The summary's figures for --log-format json (summary.h). */
static void fields(const struct collect_report *r, double secs, struct summary *sum)
{
    const struct crawl_summary *s = &r->crawl;
    struct jw *w = summary_begin(sum);
    jw_kstr(w, "org", r->org);
    summary_count(w, "users", s->users);
    summary_count(w, "outside_collaborators", s->outsiders);
    summary_count(w, "teams", s->teams);
    summary_count(w, "packages", s->packages);
    summary_count(w, "requests", s->requests);
    summary_count(w, "retries", s->retries);
    summary_count(w, "failed", s->failed_items);
    summary_seconds(w, "seconds", secs);
    summary_count(w, "bytes", s->bytes_out);
    summary_count(w, "bytes_downloaded", s->bytes_in);
    summary_count(w, "bytes_revalidated", s->bytes_revalidated);
    summary_count(w, "revalidated", s->revalidated);
    jw_kbool(w, "complete", s->complete);
}

int collect_report_outcome(const struct collect_report *r, const struct err *e)
{
    const struct crawl_summary *s = &r->crawl;
    if (s->interrupted)
        return CLI_INTERRUPTED;
    if (r->rc < 0 && e->cls != ERR_PARTIAL)
        return CLI_FAILED;

    double secs = (double)s->wall_ms / 1000.0;
    char since[160] = "";
    if (s->since)
        snprintf(since, sizeof since,
                 "; %.1f MB downloaded, %.1f MB revalidated (%llu answers carried by a 304)",
                 (double)s->bytes_in / 1e6, (double)s->bytes_revalidated / 1e6,
                 (unsigned long long)s->revalidated);
    struct summary sum;
    fields(r, secs, &sum);
    if (r->rc < 0)
        log_warn("%s", e->msg);
    log_summary(summary_members(&sum),
                "collected %s: %llu members (+%llu outside collaborators), %llu teams, %llu "
                "packages; %llu requests (%llu retries) in %.1f s (%.0f req/s); %llu failed%s; %s "
                "%s (%.1f MB)",
                r->org, (unsigned long long)s->users, (unsigned long long)s->outsiders,
                (unsigned long long)s->teams, (unsigned long long)s->packages,
                (unsigned long long)s->requests, (unsigned long long)s->retries, secs,
                secs > 0 ? (double)s->requests / secs : 0, (unsigned long long)s->failed_items,
                since, s->complete ? "complete dump in" : "INCOMPLETE dump in",
                strcmp(r->out, "-") == 0 ? "standard output" : r->out, (double)s->bytes_out / 1e6);
    summary_free(&sum);
    return r->rc < 0 ? exit_code_for(e->cls) : EXIT_OK;
}
