/* dryrun.c — see dryrun.h. */
#include "dryrun.h"

#include <string.h>

#include "batch.h"
#include "buf.h"
#include "graphobj.h"
#include "json.h"

static void print_keys(const struct batch *b, FILE *out)
{
    struct buf json = BUF_INIT, k = BUF_INIT;
    struct err e = {0};
    if (batch_inflate(b, &json, &e) < 0) {
        fprintf(out, "    (cannot read the batch back: %s)\n", e.msg);
        buf_free(&json);
        return;
    }
    const char *p = json.p + batch_overhead(b->kind) - 2, *end = json.p + json.len - 2;
    while (p < end) {
        const char *q = json_skip(p, end, NULL);
        if (!q)
            break;
        struct gobj g;
        gobj_check(p, (size_t)(q - p), b->kind, &g);
        buf_reset(&k);
        gstr_display(&g.key, 300, &k);
        fprintf(out, "    %s\n", k.p);
        p = q < end && *q == ',' ? q + 1 : q;
    }
    buf_free(&k);
    buf_free(&json);
}

int dryrun_run(const struct dryrun_opts *o, struct planner *pl, FILE *out, struct err *e)
{
    struct buf body = BUF_INIT;
    struct jw w;
    jw_init(&w, &body);
    jw_obj(&w);
    jw_kstr(&w, "source", o->source);
    if (o->scope)
        jw_kstr(&w, "scope", o->scope);
    if (strcmp(o->source, "api") != 0)
        jw_kstr(&w, "integrationInstanceId", o->instance_id ? o->instance_id : "<instance id>");
    jw_obj_end(&w);
    const char *jobs = "persister/synchronization/jobs";
    fprintf(out, "# dry run: nothing is sent; these are the requests a real run would make\n");
    fprintf(out, "POST %s%s %s\n", o->base_url, jobs, body.p);
    int rc = 0;
    for (;;) {
        struct batch *b;
        int r = planner_next(pl, &b, e);
        if (r < 0) {
            buf_reset(&body);
            jw_init(&w, &body);
            jw_obj(&w);
            jw_kstr(&w, "reason", e->msg);
            jw_obj_end(&w);
            fprintf(out, "POST %s%s/<job id>/abort %s\n", o->base_url, jobs, body.p);
            rc = -1;
            break;
        }
        if (r == 0)
            break;
        fprintf(out, "POST %s%s/<job id>/%s batch #%lu: %zu %s, %zu bytes of JSON, %zu gzip\n",
                o->base_url, jobs, batch_member(b->kind), b->seq, b->nobj, batch_member(b->kind),
                b->json_len, b->gz.len);
        if (o->list_keys)
            print_keys(b, out);
        batch_free(b);
    }
    if (rc == 0) {
        planner_finalize_body(pl, &body);
        if (o->skip_finalize)
            fprintf(out, "GET %s%s/<job id>  (--skip-finalize: the job stays open)\n", o->base_url,
                    jobs);
        else
            fprintf(out, "POST %s%s/<job id>/finalize %s\n", o->base_url, jobs, body.p);
    }
    buf_free(&body);
    if (fflush(out) != 0 && rc == 0)
        rc = err_set(e, ERR_FAIL, "cannot write the plan to standard output");
    return rc;
}
