/* test_batch.c — upload's batch bodies (upload/batch.h): minified objects,
 * _rawData stripped, built and compressed, split in halves on a 413. */
#include <string.h>

#include "buf.h"
#include "t.h"
#include "upload/batch.h"
#include "upload/deflater.h"

TEST(test_batch_minify_drops_whitespace_outside_strings_only)
{
    struct buf out = BUF_INIT;
    const char *in = "{ \"a b\" :\t[1, 2 ],\n \"s\": \"x  y\\\" { z\" , \"t\" : true }";
    batch_minify(in, strlen(in), &out);
    T_BUF("{\"a b\":[1,2],\"s\":\"x  y\\\" { z\",\"t\":true}", out);
    buf_free(&out);
}

TEST(test_batch_minify_ends_a_string_after_an_even_run_of_backslashes)
{
    struct buf out = BUF_INIT;
    const char *in = "{\"a\" : \"\\\\\" , \"b\" : \"\\\\\\\" \" }";
    batch_minify(in, strlen(in), &out);
    T_BUF("{\"a\":\"\\\\\",\"b\":\"\\\\\\\" \"}", out);
    buf_free(&out);
}

TEST(test_batch_minify_appends_to_what_the_buffer_holds)
{
    struct buf out = BUF_INIT;
    buf_puts(&out, "x,");
    batch_minify(" {} ", 4, &out);
    T_BUF("x,{}", out);
    buf_free(&out);
}

TEST(test_batch_strip_raw_data_removes_that_member_only)
{
    struct buf out = BUF_INIT;
    const char *in = "{\"_key\":\"k\",\"_rawData\":[{\"name\":\"d\",\"rawData\":{\"_rawData\":1}}],"
                     "\"x\":[1,2]}";
    T_INT(0, batch_strip_raw_data(in, strlen(in), &out));
    T_BUF("{\"_key\":\"k\",\"x\":[1,2]}", out);
    buf_reset(&out);
    T_INT(0, batch_strip_raw_data("{\"_rawData\":[]}", 15, &out));
    T_BUF("{}", out);
    buf_reset(&out);
    T_INT(0, batch_strip_raw_data("{\"a\":1}", 7, &out));
    T_BUF("{\"a\":1}", out);
    buf_reset(&out);
    T_INT(-1, batch_strip_raw_data("[1]", 3, &out));
    buf_free(&out);
}

static const char *const objs[] = {
    "{\"_key\":\"a\",\"_type\":\"t\",\"_class\":\"C\"}",
    "{\"_key\":\"b\",\"_type\":\"t\",\"_class\":\"C\",\"n\":1}",
    "{\"_key\":\"c\",\"_type\":\"t\",\"_class\":\"C\",\"s\":\"x\"}",
    "{\"_key\":\"d\",\"_type\":\"t\",\"_class\":\"C\",\"b\":true}",
    "{\"_key\":\"e\",\"_type\":\"t\",\"_class\":\"C\"}",
};

/* A batch of objs[from, to), compressed by w (or in the caller: NULL). */
static struct batch *make(enum gobj_kind kind, size_t from, size_t to, struct deflater *w)
{
    struct batch_builder bb;
    memset(&bb, 0, sizeof bb);
    if (w)
        bb_use_deflater(&bb, w);
    struct err e = {0};
    struct batch *b = NULL;
    if (bb_start(&bb, kind, BATCH_GZIP_LEVEL, &e) == 0) {
        bool ok = true;
        for (size_t i = from; i < to && ok; i++)
            ok = bb_add(&bb, objs[i], strlen(objs[i]), &e) == 0;
        if (ok)
            b = bb_finish(&bb, &e);
    }
    bb_discard(&bb);
    return b;
}

/* The JSON of objs[from, to) as a batch body. */
static void expected(struct buf *out, const char *member, size_t from, size_t to)
{
    buf_printf(out, "{\"%s\":[", member);
    for (size_t i = from; i < to; i++)
        buf_printf(out, "%s%s", i > from ? "," : "", objs[i]);
    buf_puts(out, "]}");
}

TEST(test_batch_body_is_the_wrapped_objects_and_counts_its_bytes)
{
    struct batch *b = make(GOBJ_RELATIONSHIP, 0, 3, NULL);
    T_TRUE(b != NULL);
    struct buf json = BUF_INIT, want = BUF_INIT;
    struct err e = {0};
    expected(&want, "relationships", 0, 3);
    T_OK(batch_inflate(b, &json, &e), &e);
    T_MEM(want.p, want.len, json.p, json.len);
    T_UINT(3, b->nobj);
    T_UINT(want.len, b->json_len);
    T_INT(GOBJ_RELATIONSHIP, b->kind);
    T_UINT(strlen("{\"relationships\":[]}"), batch_overhead(GOBJ_RELATIONSHIP));
    batch_free(b);
    buf_free(&json);
    buf_free(&want);
}

TEST(test_batch_compressed_on_the_deflater_thread_is_the_same_json)
{
    struct deflater *w = deflater_new();
    T_TRUE(w != NULL);
    struct batch *a = make(GOBJ_ENTITY, 0, 5, NULL), *b = make(GOBJ_ENTITY, 0, 5, w);
    struct buf ja = BUF_INIT, jb = BUF_INIT;
    struct err e = {0};
    bool ok = a && b && batch_inflate(a, &ja, &e) == 0 && batch_inflate(b, &jb, &e) == 0;
    if (T_CHECK_BOOL(true, ok))
        t_mem(ja.p, ja.len, jb.p, jb.len, __FILE__, __LINE__, "jb");
    batch_free(a);
    batch_free(b);
    buf_free(&ja);
    buf_free(&jb);
    deflater_free(w);
}

TEST(test_batch_split_halves_a_batch_by_object_count)
{
    struct batch *b = make(GOBJ_ENTITY, 0, 5, NULL), *x = NULL, *y = NULL;
    T_TRUE(b != NULL);
    struct err e = {0};
    struct buf jx = BUF_INIT, jy = BUF_INIT, wx = BUF_INIT, wy = BUF_INIT;
    bool ok = batch_split(b, &x, &y, &e) == 0 && batch_inflate(x, &jx, &e) == 0 &&
              batch_inflate(y, &jy, &e) == 0;
    expected(&wx, "entities", 0, 2);
    expected(&wy, "entities", 2, 5);
    if (T_CHECK_BOOL(true, ok) && t_mem(wx.p, wx.len, jx.p, jx.len, __FILE__, __LINE__, "jx") &&
        t_mem(wy.p, wy.len, jy.p, jy.len, __FILE__, __LINE__, "jy")) {
        T_CHECK_INT(2, x->nobj);
        T_CHECK_INT(3, y->nobj);
        T_CHECK_INT(wx.len + wy.len, x->json_len + y->json_len);
    }
    batch_free(b);
    batch_free(x);
    batch_free(y);
    buf_free(&jx);
    buf_free(&jy);
    buf_free(&wx);
    buf_free(&wy);
}

TEST(test_batch_split_refuses_a_lone_object)
{
    struct batch *b = make(GOBJ_ENTITY, 0, 1, NULL), *x = (struct batch *)1, *y = NULL;
    struct err e = {0};
    T_TRUE(b != NULL);
    T_CHECK_INT(-1, batch_split(b, &x, &y, &e));
    T_CHECK_BOOL(true, x == NULL && y == NULL);
    batch_free(b);
    T_CONTAINS(e.msg, "one object");
}

TEST(test_batch_strip_lone_rebuilds_the_object_without_its_raw_data)
{
    const char *obj = "{\"_key\":\"k\\u0031\",\"_type\":\"t\",\"_class\":\"C\",\"_rawData\":[{"
                      "\"name\":\"default\",\"rawData\":{\"big\":\"x\"}}],\"n\":1}";
    struct batch_builder bb;
    memset(&bb, 0, sizeof bb);
    struct err e = {0};
    struct batch *b = NULL, *s = NULL;
    if (bb_start(&bb, GOBJ_ENTITY, 1, &e) == 0 && bb_add(&bb, obj, strlen(obj), &e) == 0)
        b = bb_finish(&bb, &e);
    bb_discard(&bb);
    T_TRUE(b != NULL);
    struct buf key = BUF_INIT, type = BUF_INIT, json = BUF_INIT;
    bool ok =
        batch_strip_lone(b, &s, &key, &type, &e) == 0 && s && batch_inflate(s, &json, &e) == 0;
    batch_free(b);
    if (T_CHECK_BOOL(true, ok)) {
        T_CHECK_BOOL(true, s->stripped);
        t_str("{\"entities\":[{\"_key\":\"k\\u0031\",\"_type\":\"t\",\"_class\":\"C\",\"n\":1}]}",
              json.p, __FILE__, __LINE__, "json");
        t_str("k1", key.p, __FILE__, __LINE__, "key"); /* decoded, for the message */
        t_str("t", type.p, __FILE__, __LINE__, "type");
    }
    batch_free(s);
    buf_free(&key);
    buf_free(&type);
    buf_free(&json);
}

TEST(test_batch_strip_lone_of_an_object_without_raw_data_gives_nothing)
{
    struct batch *b = make(GOBJ_ENTITY, 1, 2, NULL), *s = (struct batch *)1;
    struct buf key = BUF_INIT, type = BUF_INIT;
    struct err e = {0};
    T_TRUE(b != NULL);
    int rc = batch_strip_lone(b, &s, &key, &type, &e);
    batch_free(b);
    T_CHECK_INT(0, rc);
    T_CHECK_BOOL(true, s == NULL); /* too large as it is: the caller drops it */
    t_str("b", key.p, __FILE__, __LINE__, "key");
    buf_free(&key);
    buf_free(&type);
}
