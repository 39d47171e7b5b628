/* answer.c — see answer.h. */
#include "answer.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"

static void copy_str(const struct jdoc *d, int t, char *dst, size_t dsz)
{
    struct buf s = BUF_INIT;
    dst[0] = '\0';
    if (t >= 0 && jdoc_str(d, t, &s) == 0) {
        size_t n = s.len < dsz - 1 ? s.len : dsz - 1;
        for (size_t i = 0; i < n; i++)
            dst[i] = (unsigned char)s.p[i] < 0x20 ? ' ' : s.p[i];
        dst[n] = '\0';
    }
    buf_free(&s);
}

static void read_job(const struct jdoc *d, int job, struct answer *a)
{
    copy_str(d, jdoc_get(d, job, "status"), a->status, sizeof a->status);
    copy_str(d, jdoc_get(d, job, "id"), a->id, sizeof a->id);
    int en = jdoc_get(d, job, "numEntitiesUploaded");
    int rn = jdoc_get(d, job, "numRelationshipsUploaded");
    a->counters = en >= 0 && rn >= 0 && jdoc_i64(d, en, &a->uploaded[0]) == 0 &&
                  jdoc_i64(d, rn, &a->uploaded[1]) == 0 && a->uploaded[0] >= 0 &&
                  a->uploaded[1] >= 0;
    static const char *const names[2][3] = {
        {"numEntitiesCreated", "numEntitiesUpdated", "numEntitiesDeleted"},
        {"numRelationshipsCreated", "numRelationshipsUpdated", "numRelationshipsDeleted"}};
    for (int k = 0; k < 2; k++) {
        long long *dst[3] = {&a->created[k], &a->updated[k], &a->deleted[k]};
        for (int f = 0; f < 3; f++) {
            int t = jdoc_get(d, job, names[k][f]);
            if (t < 0 || jdoc_i64(d, t, dst[f]) < 0 || *dst[f] < 0)
                *dst[f] = -1;
        }
    }
}

void answer_read(struct http_req *r, struct answer *a)
{
    memset(a, 0, sizeof *a);
    for (int k = 0; k < 2; k++)
        a->created[k] = a->updated[k] = a->deleted[k] = -1;
    struct buf body = BUF_INIT;
    struct jdoc d = JDOC_INIT;
    struct err e = {0};
    if (http_body_load(&r->body, &body, ANSWER_MAX, &e) < 0 ||
        jdoc_parse(&d, body.p, body.len, &e) < 0 || !jdoc_is(&d, 0, JT_OBJECT))
        goto out;
    int job = jdoc_get(&d, 0, "job");
    if (job >= 0 && jdoc_is(&d, job, JT_OBJECT))
        read_job(&d, job, a);
    int err = jdoc_get(&d, 0, "error");
    if (err >= 0 && jdoc_is(&d, err, JT_OBJECT)) {
        copy_str(&d, jdoc_get(&d, err, "code"), a->code, sizeof a->code);
        copy_str(&d, jdoc_get(&d, err, "message"), a->message, sizeof a->message);
    }
out:
    jdoc_free(&d);
    buf_free(&body);
}

void answer_describe(const struct http_req *r, const struct answer *a, char *out, size_t n)
{
    if (r->outcome != HTTP_ANSWER)
        snprintf(out, n, "no answer after %d attempt(s): %s", r->attempts, r->error);
    else if (a->code[0] || a->message[0])
        snprintf(out, n, "HTTP %ld%s%s: %s", r->status, a->code[0] ? " " : "", a->code,
                 a->message[0] ? a->message : "(no message)");
    else
        snprintf(out, n, "HTTP %ld", r->status);
}

bool answer_ok(const struct http_req *r)
{
    return r->outcome == HTTP_ANSWER && r->status >= 200 && r->status <= 299;
}

bool answer_refused(const struct http_req *r)
{
    return r->outcome == HTTP_ANSWER && (r->status == 401 || r->status == 403);
}

bool answer_job_ended(const struct http_req *r, const struct answer *a)
{
    return r->outcome == HTTP_ANSWER && strcmp(a->code, ANSWER_JOB_ENDED) == 0;
}
