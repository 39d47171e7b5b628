/*
 * json_members.c — the member walkers transform reads package documents
 * with (json_each_member, json_walk_members).
 *
 * On any text starting with '{': both walkers accept exactly what
 * json_validate accepts as one object followed by anything (the walkers
 * stop after the '}'), report the same members in the same order as the
 * jsmn reader does, hand out key and value spans inside the input, and a
 * walker that descends into every object value (as packument.c does for
 * "versions") agrees with the flat walk. A callback that stops the walk
 * makes the walker return NULL with *bad == NULL.
 */
#include <string.h>

#include "fuzz.h"
#include "json.h"

struct seen {
    const char *base, *end;
    size_t n;
    const char *keys[64];
    size_t klen[64];
    const char *vals[64];
    size_t vlen[64];
    size_t stop_at; /* stop when n reaches it (0: never) */
};

static int each(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
    struct seen *s = ctx;
    FUZZ_CHECK(key >= s->base && key + klen <= s->end);
    FUZZ_CHECK(val >= s->base && val + vlen <= s->end);
    FUZZ_CHECK(vlen > 0 && json_validate(val, vlen, NULL));
    if (s->n < 64) {
        s->keys[s->n] = key;
        s->klen[s->n] = klen;
        s->vals[s->n] = val;
        s->vlen[s->n] = vlen;
    }
    s->n++;
    (void)json_key_is(key, klen, "versions");
    return s->stop_at && s->n == s->stop_at ? -1 : 0;
}

/* Descends into object values with json_walk_members, skips the rest. */
static const char *walk(void *ctx, const char *key, size_t klen, const char *val, const char *end,
                        const char **bad)
{
    struct seen *s = ctx;
    FUZZ_CHECK(key >= s->base && key + klen <= s->end);
    FUZZ_CHECK(val >= s->base && val <= end && end == s->end);
    const char *q;
    if (val < end && *val == '{') {
        struct seen inner;
        memset(&inner, 0, sizeof inner);
        inner.base = s->base;
        inner.end = s->end;
        q = json_walk_members(val, end, walk, &inner, bad);
    } else {
        q = json_skip(val, end, bad);
    }
    if (q) {
        if (s->n < 64) {
            FUZZ_CHECK(s->vals[s->n] == NULL || s->vals[s->n] == val);
            FUZZ_CHECK(s->vlen[s->n] == 0 || s->vlen[s->n] == (size_t)(q - val));
        }
        s->n++;
    }
    return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    if (size == 0 || p[0] != '{')
        return 0;
    struct seen a;
    memset(&a, 0, sizeof a);
    a.base = p;
    a.end = end;
    const char *bad = NULL;
    const char *q = json_each_member(p, end, each, &a, &bad);
    const char *obj_end = json_skip(p, end, NULL);
    FUZZ_CHECK(q == obj_end);
    if (!q)
        FUZZ_CHECK(bad >= p && bad <= end);

    /* The walker sees the same members; its descent changes nothing. */
    struct seen w;
    memset(&w, 0, sizeof w);
    w.base = p;
    w.end = end;
    for (size_t i = 0; i < 64 && i < a.n; i++) {
        w.vals[i] = a.vals[i];
        w.vlen[i] = a.vlen[i];
    }
    const char *bad2 = NULL;
    const char *q2 = json_walk_members(p, end, walk, &w, &bad2);
    FUZZ_CHECK(q2 == q);
    if (q)
        FUZZ_CHECK(w.n == a.n);

    /* The jsmn reader agrees on the members of a whole valid object. */
    if (q && json_skip_ws(q, end) == end) {
        struct jdoc d = JDOC_INIT;
        struct err e = {0};
        FUZZ_CHECK(jdoc_parse(&d, p, size, &e) == 0);
        size_t i = 0;
        for (int k = jdoc_first(&d, 0); k > 0; k = jdoc_after_member(&d, 0, k), i++) {
            size_t kn, vn;
            const char *kr = jdoc_raw(&d, k, &kn);
            const char *vt = jdoc_text(&d, k + 1, &vn);
            if (i < 64) {
                FUZZ_CHECK(kr == a.keys[i] && kn == a.klen[i]);
                FUZZ_CHECK(vt == a.vals[i] && vn == a.vlen[i]);
            }
        }
        FUZZ_CHECK(i == a.n);
        jdoc_free(&d);
    }

    /* Stopping early: NULL, and no offending byte. */
    if (q && a.n > 0) {
        struct seen s;
        memset(&s, 0, sizeof s);
        s.base = p;
        s.end = end;
        s.stop_at = 1 + (size % a.n);
        bad = p;
        FUZZ_CHECK(json_each_member(p, end, each, &s, &bad) == NULL);
        FUZZ_CHECK(bad == NULL);
    }
    return 0;
}
