/*
 * json_jdoc.c — the jsmn reader (struct jdoc) over any bytes.
 *
 * jdoc_parse must refuse exactly what json_validate refuses (jsmn alone is
 * lenient) and, on a document it accepts, every accessor must stay inside
 * the token array and the text whatever it is asked: each token is visited
 * through jdoc_first/jdoc_after_*, every string is decoded, and a decoded
 * string escaped back (json_quote) is valid JSON that decodes to the same
 * bytes — the round trip the writer relies on.
 */
#include <string.h>

#include "fuzz.h"
#include "json.h"

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
    jdoc_free(&d);
    return 0;
}
