/*
 * json_jdoc.c — the jsmn reader (struct jdoc) over any bytes.
 *
 * jdoc_parse must refuse exactly what json_validate refuses (jsmn alone is
 * lenient) and, on a document it accepts, every accessor must stay inside
 * the token array and the text whatever it is asked: each token is visited
 * through jdoc_first/jdoc_after_*, every string is decoded, and a decoded
 * string escaped back (json_quote) is valid JSON that decodes to the same
 * bytes — the round trip the writer relies on.
 *
 * The npm list walker (npm.h), which reads the registry's lists without
 * tokenising, agrees with this reader on every shape: it calls a body
 * invalid exactly when json_validate does, it hands out (leniently) one
 * entry per member or element of a container of the shape's type, with the
 * names and string values jdoc_str decodes, in the same order; strictly it
 * refuses exactly the containers with an entry that is not a string.
 */
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "npm.h"

static void check_string(const struct jdoc *d, int i)
{
    struct buf s = BUF_INIT, q = BUF_INIT, back = BUF_INIT;
    FUZZ_CHECK(jdoc_str(d, i, &s) == 0);
    FUZZ_CHECK(s.p[s.len] == '\0');
    FUZZ_CHECK(json_quote(&q, s.p, s.len) == 0);
    FUZZ_CHECK(json_validate(q.p, q.len, NULL));
    FUZZ_CHECK(q.len >= 2);
    FUZZ_CHECK(json_unescape(&back, q.p + 1, q.len - 2) == 0);
    /* json_quote repairs invalid UTF-8, so compare only when there was none
     * to repair: then the bytes come back unchanged. */
    struct buf esc = BUF_INIT;
    json_escape(&esc, s.p, s.len);
    if (esc.len == q.len - 2 && memchr(s.p, '\0', s.len) == NULL && back.len == s.len)
        FUZZ_CHECK(memcmp(back.p, s.p, s.len) == 0);
    if (memchr(s.p, '\0', s.len) == NULL)
        (void)jdoc_streq(d, i, s.p);
    buf_free(&esc);
    buf_free(&s);
    buf_free(&q);
    buf_free(&back);
}

static void visit(const struct jdoc *d, int i, int depth)
{
    FUZZ_CHECK(i >= 0 && i < d->n);
    FUZZ_CHECK(depth <= JSON_MAX_DEPTH + 1);
    size_t n = 0;
    const char *t = jdoc_text(d, i, &n);
    FUZZ_CHECK(t >= d->js && t + n <= d->js + d->len);
    FUZZ_CHECK(json_validate(t, n, NULL));
    int next = jdoc_next(d, i);
    FUZZ_CHECK(next > i && next <= d->n);
    long long v;
    bool b;
    (void)jdoc_i64(d, i, &v);
    (void)jdoc_bool(d, i, &b);
    (void)jdoc_is_null(d, i);
    if (jdoc_is(d, i, JT_STRING)) {
        check_string(d, i);
    } else if (jdoc_is(d, i, JT_OBJECT)) {
        for (int k = jdoc_first(d, i); k > 0; k = jdoc_after_member(d, i, k)) {
            FUZZ_CHECK(k > i && k + 1 < next);
            FUZZ_CHECK(jdoc_is(d, k, JT_STRING));
            check_string(d, k);
            visit(d, k + 1, depth + 1);
            struct buf key = BUF_INIT;
            jdoc_str(d, k, &key);
            if (memchr(key.p, '\0', key.len) == NULL) {
                int g = jdoc_get(d, i, key.p);
                FUZZ_CHECK(g > i && g < next); /* the first member of that name */
            }
            buf_free(&key);
        }
        FUZZ_CHECK(jdoc_get(d, i, "\x01no such member") == -1);
    } else if (jdoc_is(d, i, JT_ARRAY)) {
        for (int x = jdoc_first(d, i); x > 0; x = jdoc_after_elem(d, i, x)) {
            FUZZ_CHECK(x > i && x < next);
            visit(d, x, depth + 1);
        }
        FUZZ_CHECK(jdoc_get(d, i, "a") == -1);
    }
}

/* What the walker handed out, compared entry by entry with the jdoc. */
struct walked {
    const struct jdoc *d;
    int next; /* the jdoc token of the next entry: a key (object) or an element */
    bool object;
    size_t n;
};

static int walked_entry(void *ctx, const char *name, size_t n, const char *value, size_t vn)
{
    struct walked *w = ctx;
    struct buf s = BUF_INIT;
    FUZZ_CHECK(w->next > 0);
    int name_tok = w->next, value_tok = w->next + 1;
    if (name) {
        FUZZ_CHECK(jdoc_str(w->d, name_tok, &s) == 0);
        FUZZ_CHECK(s.len == n && memcmp(s.p, name, n) == 0 && name[n] == '\0');
    } else {
        FUZZ_CHECK(!w->object && !jdoc_is(w->d, name_tok, JT_STRING));
    }
    if (w->object && value) {
        buf_reset(&s);
        FUZZ_CHECK(jdoc_str(w->d, value_tok, &s) == 0);
        FUZZ_CHECK(s.len == vn && memcmp(s.p, value, vn) == 0);
    } else if (w->object) {
        FUZZ_CHECK(!jdoc_is(w->d, value_tok, JT_STRING));
    } else {
        FUZZ_CHECK(value && vn == 0);
    }
    buf_free(&s);
    w->next = w->object ? jdoc_after_member(w->d, 0, name_tok) : jdoc_after_elem(w->d, 0, name_tok);
    w->n++;
    return 0;
}

static int counted(void *ctx, const char *name, size_t n, const char *value, size_t vn)
{
    (void)name, (void)n, (void)value, (void)vn;
    ++*(size_t *)ctx;
    return 0;
}

static void check_npm_walk(const char *p, size_t size, const struct jdoc *d, bool valid)
{
    for (int sh = 0; sh < NPM_SHAPE_COUNT; sh++) {
        enum npm_shape shape = (enum npm_shape)sh;
        bool object = npm_shape_is_object(shape);
        struct err e = {0};
        size_t count = 0;
        if (!valid) {
            /* Entries before the fault may have been handed out. */
            FUZZ_CHECK(npm_list_walk(p, size, shape, NPM_LIST_LENIENT, counted, &count, &e) ==
                       NPM_LIST_INVALID);
            continue;
        }
        struct walked w = {d, jdoc_first(d, 0), object, 0};
        enum npm_list_status st =
            npm_list_walk(p, size, shape, NPM_LIST_LENIENT, walked_entry, &w, &e);
        bool right = jdoc_is(d, 0, object ? JT_OBJECT : JT_ARRAY);
        FUZZ_CHECK(st == (right ? NPM_LIST_OK : NPM_LIST_WRONG_TYPE));
        if (!right)
            continue;
        FUZZ_CHECK(w.n == (size_t)d->t[0].size && w.next < 0);
        /* Strictly: refused exactly when an entry is not a string. */
        bool all_strings = true;
        for (int k = jdoc_first(d, 0); k > 0;
             k = object ? jdoc_after_member(d, 0, k) : jdoc_after_elem(d, 0, k))
            all_strings &= jdoc_is(d, object ? k + 1 : k, JT_STRING);
        w = (struct walked){d, jdoc_first(d, 0), object, 0};
        st = npm_list_walk(p, size, shape, 0, walked_entry, &w, &e);
        FUZZ_CHECK(st == (all_strings ? NPM_LIST_OK : NPM_LIST_NOT_STRING));
        /* Deduplicated: no more entries than that, and none if there were none. */
        st = npm_list_walk(p, size, shape, NPM_LIST_DEDUPE, counted, &count, &e);
        FUZZ_CHECK(st == (all_strings ? NPM_LIST_OK : NPM_LIST_NOT_STRING));
        FUZZ_CHECK(count <= w.n && (w.n == 0) == (count == 0));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *p = (const char *)data;
    struct jdoc d = JDOC_INIT;
    struct err e = {0};
    int rc = jdoc_parse(&d, p, size, &e);
    FUZZ_CHECK((rc == 0) == json_validate(p, size, NULL));
    if (rc == 0) {
        FUZZ_CHECK(d.n >= 1);
        visit(&d, 0, 0);
        FUZZ_CHECK(jdoc_next(&d, 0) == d.n);
    }
    check_npm_walk(p, size, &d, rc == 0);
    jdoc_free(&d);
    return 0;
}
