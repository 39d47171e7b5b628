/*
 * graphobj.c — one graph object's checks (common/graphobj.c gobj_check) and
 * the batcher's rewrites of it (upload/batch.c) over any bytes.
 *
 * gobj_check refuses whatever is not valid JSON, says why when it refuses,
 * and keeps its pointers inside the text. An object it accepts, minified
 * (batch_minify) and stripped of _rawData (batch_strip_raw_data), is still
 * valid JSON and still accepted, with the same _key and _type, the
 * stripped one without _rawData; minifying is idempotent.
 */
#include <string.h>

#include "upload/batch.h"
#include "fuzz.h"
#include "graphobj.h"
#include "json.h"

static void in_text(const struct gstr *s, const char *p, size_t n)
{
    if (s->p)
        FUZZ_CHECK(s->p >= p && s->p + s->n <= p + n);
}

static bool same(const struct gstr *a, const struct gstr *b)
{
    struct buf x = BUF_INIT, y = BUF_INIT;
    gstr_decode(a, &x);
    gstr_decode(b, &y);
    bool eq = x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
    buf_free(&x);
    buf_free(&y);
    return eq;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    bool valid = json_validate(p, size, NULL);
    for (int k = 0; k < 2; k++) {
        enum gobj_kind kind = k ? GOBJ_RELATIONSHIP : GOBJ_ENTITY;
        struct gobj g;
        memset(&g, 0, sizeof g);
        int rc = gobj_check(p, size, kind, &g);
        FUZZ_CHECK(memchr(g.problem, '\0', sizeof g.problem) != NULL);
        in_text(&g.key, p, size);
        in_text(&g.type, p, size);
        in_text(&g.cls, p, size);
        in_text(&g.from, p, size);
        in_text(&g.to, p, size);
        struct buf disp = BUF_INIT;
        gstr_display(&g.key, 40, &disp);
        for (size_t i = 0; i < disp.len; i++)
            FUZZ_CHECK((unsigned char)disp.p[i] >= ' ' && disp.p[i] != 0x7f);
        buf_free(&disp);
        (void)gobj_known_relationship_class(&g.cls);
        if (rc != 0) {
            FUZZ_CHECK(g.problem[0] != '\0');
            continue;
        }
        FUZZ_CHECK(valid && g.problem[0] == '\0');
        FUZZ_CHECK(g.key.p && g.key.n > 0 && g.type.p && g.type.n > 0);

        struct buf min = BUF_INIT, min2 = BUF_INIT, strip = BUF_INIT;
        batch_minify(p, size, &min);
        FUZZ_CHECK(min.len <= size && json_validate(min.p, min.len, NULL));
        batch_minify(min.p, min.len, &min2);
        FUZZ_CHECK(min2.len == min.len && memcmp(min.p, min2.p, min.len) == 0);
        struct gobj gm;
        FUZZ_CHECK(gobj_check(min.p, min.len, kind, &gm) == 0);
        FUZZ_CHECK(same(&g.key, &gm.key) && same(&g.type, &gm.type));

        FUZZ_CHECK(batch_strip_raw_data(min.p, min.len, &strip) == 0);
        FUZZ_CHECK(json_validate(strip.p, strip.len, NULL));
        struct gobj gs;
        int src = gobj_check(strip.p, strip.len, kind, &gs);
        if (src != 0)
            fprintf(stderr, "stripped object refused: %s\n", gs.problem);
        FUZZ_CHECK(src == 0);
        FUZZ_CHECK(!gs.has_raw_data);
        FUZZ_CHECK(same(&g.key, &gs.key) && same(&g.type, &gs.type));
        if (!g.has_raw_data)
            FUZZ_CHECK(strip.len == min.len);
        buf_free(&min);
        buf_free(&min2);
        buf_free(&strip);
    }
    return 0;
}
