/*
 * pipeline.c — see pipeline.h.
 *
 * Both programs read standard input for "-"; each run puts its bytes there
 * (fuzz_stdin). Transform's stream output is caught in a memory file put
 * on standard output for the call, then fed to upload's reader the same way.
 */
#include "pipeline.h"

#include <string.h>
#include <unistd.h>

#include "upload/batch.h"
#include "upload/check.h"
#include "fuzz.h"
#include "transform/graph.h"
#include "transform/input.h"
#include "json.h"
#include "transform/model.h"
#include "upload/plan.h"
#include "upload/source.h"

static void check_batch(const struct batch *b, int depth)
{
    struct buf js = BUF_INIT;
    struct err e = {0};
    FUZZ_CHECK(batch_inflate(b, &js, &e) == 0);
    FUZZ_CHECK(js.len == b->json_len);
    FUZZ_CHECK(json_validate(js.p, js.len, NULL));
    struct jdoc d = JDOC_INIT;
    FUZZ_CHECK(jdoc_parse(&d, js.p, js.len, &e) == 0);
    int arr = jdoc_get(&d, 0, batch_member(b->kind));
    FUZZ_CHECK(jdoc_is(&d, arr, JT_ARRAY));
    size_t count = 0;
    for (int x = jdoc_first(&d, arr); x > 0; x = jdoc_after_elem(&d, arr, x)) {
        size_t n;
        const char *t = jdoc_text(&d, x, &n);
        struct gobj g;
        FUZZ_CHECK(gobj_check(t, n, b->kind, &g) == 0);
        count++;
    }
    FUZZ_CHECK(count == b->nobj);
    jdoc_free(&d);
    buf_free(&js);

    if (depth > 2)
        return;
    if (b->nobj >= 2) {
        struct batch *x = NULL, *y = NULL;
        FUZZ_CHECK(batch_split(b, &x, &y, &e) == 0);
        FUZZ_CHECK(x->nobj + y->nobj == b->nobj && x->nobj && y->nobj);
        FUZZ_CHECK(x->kind == b->kind && y->kind == b->kind);
        check_batch(x, depth + 1);
        check_batch(y, depth + 1);
        batch_free(x);
        batch_free(y);
    } else if (b->nobj == 1) {
        struct batch *s = NULL;
        struct buf key = BUF_INIT, type = BUF_INIT;
        FUZZ_CHECK(batch_strip_lone(b, &s, &key, &type, &e) == 0);
        FUZZ_CHECK(key.len > 0 && type.len > 0);
        if (s) {
            FUZZ_CHECK(s->nobj == 1 && s->json_len < b->json_len);
            check_batch(s, depth + 1);
            batch_free(s);
        }
        buf_free(&key);
        buf_free(&type);
    }
}

int fuzz_upload(const char *in, const char *p, size_t n, size_t batch_bytes,
                unsigned long long *dropped)
{
    if (strcmp(in, "-") == 0)
        FUZZ_CHECK(fuzz_stdin(p, n) == 0);
    struct err e = {0};
    struct source *src = source_open(in, &e);
    *dropped = 0;
    if (!src) {
        FUZZ_CHECK(e.msg[0] != '\0');
        return -1;
    }
    struct planner *pl = planner_new(src, batch_bytes);
    int rc;
    struct batch *b;
    int kind_seen = -1;
    while ((rc = planner_next(pl, &b, &e)) == 1) {
        FUZZ_CHECK(b->nobj > 0);
        FUZZ_CHECK((int)b->kind >= kind_seen); /* entities, then relationships */
        kind_seen = (int)b->kind;
        FUZZ_CHECK(b->json_len <= batch_bytes || b->nobj == 1);
        check_batch(b, 0);
        batch_free(b);
    }
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0)
        FUZZ_CHECK(e.msg[0] != '\0');
    for (size_t i = 0; i < planner_partial_count(pl); i++)
        FUZZ_CHECK(planner_partial_type(pl, i) != NULL);
    *dropped = planner_stats(pl)->dropped;
    planner_free(pl);
    source_close(src);
    return rc;
}

bool fuzz_transform(const char *p, size_t n, bool allow_incomplete)
{
    fuzz_quiet();
    FUZZ_CHECK(fuzz_stdin(p, n) == 0);
    struct err e = {0};
    struct model_opts mo = {"Fuzz npm", NULL, 0};
    struct input_info info;
    unsigned partial = 0;
    struct graph *g = graph_new(&e);
    FUZZ_CHECK(g != NULL);
    struct model *m = model_new(&mo, g);
    bool ok = input_read("-", allow_incomplete, model_record, m, &info, &e) == 0 &&
              model_finish(m, &info, &partial, &e) == 0;
    if (!ok)
        FUZZ_CHECK(e.msg[0] != '\0');
    int out = -1, saved = -1;
    if (ok) {
        out = fuzz_memfd("", 0);
        saved = dup(STDOUT_FILENO);
        FUZZ_CHECK(out >= 0 && saved >= 0 && dup2(out, STDOUT_FILENO) >= 0);
        int rc = graph_write(g, "-", partial, &e);
        FUZZ_CHECK(dup2(saved, STDOUT_FILENO) >= 0);
        close(saved);
        if (rc < 0)
            fprintf(stderr, "graph_write: %s\n", e.msg);
        FUZZ_CHECK(rc == 0);
    }
    model_free(m);
    graph_free(g);
    if (ok) {
        size_t len;
        char *text = fuzz_slurp(out, &len);
        close(out);
        FUZZ_CHECK(text != NULL);
        unsigned long long dropped;
        int rc = fuzz_upload("-", text, len, 5000000, &dropped);
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(dropped == 0);
        free(text);
    }
    return ok;
}
