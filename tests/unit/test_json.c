/* test_json.c — the JSON writer, the two validators and the jsmn reader.
 *
 * The central promise: whatever bytes go into the writer, valid JSON comes
 * out, and reading it back gives the same text (invalid UTF-8 repaired to
 * U+FFFD). The two validators (json_validate and the push machine jpush) must
 * agree on every text, however the push machine is fed. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "t.h"

#define FFFD "\xEF\xBF\xBD"

/* ---- helpers ------------------------------------------------------------ */

/* Quotes s, checks the result is valid JSON, decodes it back into out. */
static bool quote_and_decode(const char *s, size_t n, struct buf *out, const char *file, int line)
{
    struct buf q = BUF_INIT;
    struct jdoc d = JDOC_INIT;
    struct err e = {0};
    bool ok = false;
    if (json_quote(&q, s, n) < 0) {
        t_fail(file, line, "json_quote", "json_quote failed");
        goto done;
    }
    if (!json_validate(q.p, q.len, NULL)) {
        struct buf m = BUF_INIT;
        t_escape(&m, q.p, q.len, 200);
        t_fail(file, line, "json_validate", "json_quote wrote invalid JSON: %s", m.p);
        buf_free(&m);
        goto done;
    }
    if (jdoc_parse(&d, q.p, q.len, &e) < 0) {
        t_fail(file, line, "jdoc_parse", "expected success, got: %s", e.msg);
        goto done;
    }
    if (jdoc_str(&d, 0, out) < 0) {
        t_fail(file, line, "jdoc_str", "expected a string at the root");
        goto done;
    }
    ok = true;
done:
    jdoc_free(&d);
    buf_free(&q);
    return ok;
}

/* Quoting `in` and decoding gives `want`. */
static bool round_trip(const char *in, size_t in_n, const char *want, size_t want_n,
                       const char *file, int line)
{
    struct buf out = BUF_INIT;
    bool ok = quote_and_decode(in, in_n, &out, file, line) &&
              t_mem(want, want_n, out.p, out.len, file, line, "decoded");
    buf_free(&out);
    return ok;
}
#define T_ROUND_TRIP(in, in_n, want, want_n)                                                       \
    T_RET(round_trip((in), (in_n), (want), (want_n), __FILE__, __LINE__))
#define T_ROUND_TRIP_SAME(lit) T_ROUND_TRIP(lit, sizeof lit - 1, lit, sizeof lit - 1)

static size_t put_utf8(char *p, unsigned cp)
{
    if (cp < 0x80) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (char)(0xC0 | cp >> 6);
        p[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (char)(0xE0 | cp >> 12);
        p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        p[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (char)(0xF0 | cp >> 18);
    p[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    p[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    p[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- writer --------------------------------------------------------------- */

/* Table rows: bytes that read back the same, and bytes that are repaired. */
/* clang-format off */
#define SAME(s) {s, sizeof s - 1, s, sizeof s - 1}
#define REPAIR(s, r) {s, sizeof s - 1, r, sizeof r - 1}
/* clang-format on */

TEST(test_json_escape_round_trips_any_bytes)
{
    /* Pieces of input and what reading them back must give. */
    static const struct {
        const char *in;
        size_t in_n;
        const char *out;
        size_t out_n;
    } pieces[] = {
        /* clang-format off */
        SAME("plain ascii "),
        SAME("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"),
        SAME("\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"),
        SAME("\"quoted\" \\back\\slash\\ /slash/ \x7f"),
        SAME("\\u0041 is not an escape here"),
        SAME("\xC2\x80 \xDF\xBF \xC3\xA9"),                         /* 2-byte: U+0080, U+07FF, é */
        SAME("\xE0\xA0\x80 \xE2\x82\xAC \xED\x9F\xBF"),             /* U+0800, €, U+D7FF */
        SAME("\xEE\x80\x80 \xEF\xBF\xBD \xEF\xBF\xBF"),             /* U+E000, U+FFFD, U+FFFF */
        SAME("\xF0\x90\x80\x80 \xF0\x9D\x84\x9E \xF4\x8F\xBF\xBF"), /* U+10000, 𝄞, U+10FFFF */
        REPAIR("\x80", FFFD),                                       /* lone continuation byte */
        REPAIR("\xC0\x80", FFFD FFFD),                              /* overlong NUL */
        REPAIR("\xC1\xBF", FFFD FFFD),                              /* overlong */
        REPAIR("\xE0\x80\xAF", FFFD FFFD FFFD),                     /* overlong '/' */
        REPAIR("\xF0\x80\x80\xAF", FFFD FFFD FFFD FFFD),            /* overlong '/' */
        REPAIR("\xED\xA0\x80", FFFD FFFD FFFD),                     /* surrogate D800 in UTF-8 */
        REPAIR("\xED\xBF\xBF", FFFD FFFD FFFD),                     /* surrogate DFFF in UTF-8 */
        REPAIR("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD),            /* > U+10FFFF */
        REPAIR("\xF5\x80", FFFD FFFD),
        REPAIR("\xFE\xFF", FFFD FFFD),
        REPAIR("\xE2\x82x", FFFD FFFD "x"),            /* truncated, then ASCII */
        REPAIR("\xF0\x9F\x98\"", FFFD FFFD FFFD "\""), /* truncated, then a quote */
        REPAIR("\xC3", FFFD),                          /* truncated at the very end */
        /* clang-format on */
    };
#undef SAME
#undef REPAIR
    struct buf in = BUF_INIT, want = BUF_INIT;
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        /* Each piece alone ... */
        T_ROUND_TRIP(pieces[i].in, pieces[i].in_n, pieces[i].out, pieces[i].out_n);
        buf_append(&in, pieces[i].in, pieces[i].in_n);
        buf_append(&want, pieces[i].out, pieces[i].out_n);
    }
    /* ... and all of them in one string. */
    if (round_trip(in.p, in.len, want.p, want.len, __FILE__, __LINE__)) {
        /* Through the writer as a key and as a value too. */
        struct buf doc = BUF_INIT, got = BUF_INIT;
        struct jw w;
        struct jdoc d = JDOC_INIT;
        struct err e = {0};
        jw_init(&w, &doc);
        jw_obj(&w);
        jw_keyn(&w, in.p, in.len);
        jw_strn(&w, in.p, in.len);
        jw_obj_end(&w);
        if (T_CHECK_BOOL(false, w.err) &&
            t_ok(jdoc_parse(&d, doc.p, doc.len, &e), &e, __FILE__, __LINE__, "jdoc_parse")) {
            int k = jdoc_first(&d, 0);
            if (T_CHECK_INT(1, k)) {
                jdoc_str(&d, k, &got);
                if (t_mem(want.p, want.len, got.p, got.len, __FILE__, __LINE__, "key")) {
                    buf_reset(&got);
                    jdoc_str(&d, k + 1, &got);
                    t_mem(want.p, want.len, got.p, got.len, __FILE__, __LINE__, "value");
                }
            }
        }
        jdoc_free(&d);
        buf_free(&doc);
        buf_free(&got);
    }
    buf_free(&in);
    buf_free(&want);
}

TEST(test_json_escape_of_every_single_byte)
{
    for (int c = 0; c < 256; c++) {
        char in = (char)c;
        if (c < 0x80)
            T_ROUND_TRIP(&in, 1, &in, 1);
        else
            T_ROUND_TRIP(&in, 1, FFFD, 3);
    }
    /* The short escapes are used where JSON has them. */
    struct buf b = BUF_INIT;
    T_INT(0, json_escape(&b, "\b\f\n\r\t\x01\x1f\"\\/", 10));
    T_BUF("\\b\\f\\n\\r\\t\\u0001\\u001f\\\"\\\\/", b);
    buf_reset(&b);
    T_INT(0, json_quote(&b, "", 0));
    T_BUF("\"\"", b);
    buf_free(&b);
}

TEST(test_json_escape_keeps_valid_utf8_and_repairs_invalid)
{
    /* Every code point class boundary, valid ones kept byte for byte. */
    static const unsigned cps[] = {0x7F,   0x80,   0x7FF,   0x800,   0xD7FF,  0xE000,
                                   0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0xFFFFF, 0x10FFFF};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char u[4];
        size_t n = put_utf8(u, cps[i]);
        T_ROUND_TRIP(u, n, u, n);
    }
    /* Random valid text (any code point but surrogates) is kept as is. */
    struct t_rng r;
    t_rng_init(&r, 1);
    for (int i = 0; i < 500; i++) {
        char s[400];
        size_t n = 0;
        int count = (int)t_rng_below(&r, 80);
        for (int j = 0; j < count; j++) {
            unsigned cp;
            switch (t_rng_below(&r, 4)) {
            case 0: cp = t_rng_below(&r, 0x80); break;
            case 1: cp = 0x80 + t_rng_below(&r, 0x800 - 0x80); break;
            case 2: cp = 0x800 + t_rng_below(&r, 0x10000 - 0x800); break;
            default: cp = 0x10000 + t_rng_below(&r, 0x110000 - 0x10000); break;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 'x';
            n += put_utf8(s + n, cp);
        }
        T_ROUND_TRIP(s, n, s, n);
    }
}

TEST(test_json_escape_of_random_bytes_is_valid_and_stable)
{
    /* Whatever the bytes, the output is valid JSON, and repairing is
     * idempotent: quoting the decoded text again gives the same JSON. */
    struct t_rng r;
    t_rng_init(&r, 2);
    static const unsigned char alphabet[] = {0x00, 0x1f, '"',  '\\', 'a',  0x7f, 0x80,
                                             0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xff};
    for (int i = 0; i < 2000; i++) {
        char s[64];
        size_t n = t_rng_below(&r, sizeof s);
        for (size_t j = 0; j < n; j++)
            s[j] = (char)(t_rng_below(&r, 2) ? alphabet[t_rng_below(&r, sizeof alphabet)]
                                             : t_rng_u32(&r));
        struct buf dec = BUF_INIT, q1 = BUF_INIT, q2 = BUF_INIT;
        bool ok = quote_and_decode(s, n, &dec, __FILE__, __LINE__);
        if (ok) {
            json_quote(&q1, s, n);
            json_quote(&q2, dec.p, dec.len);
            ok = t_mem(q1.p, q1.len, q2.p, q2.len, __FILE__, __LINE__, "json_quote(decoded)");
        }
        buf_free(&dec);
        buf_free(&q1);
        buf_free(&q2);
        if (!ok)
            return;
    }
}

TEST(test_jw_writes_commas_and_nesting)
{
    struct buf b = BUF_INIT;
    struct jw w;
    jw_init(&w, &b);
    jw_obj(&w);
    jw_kstr(&w, "a", "x");
    jw_key(&w, "b");
    jw_arr(&w);
    jw_int(&w, 1);
    jw_int(&w, -2);
    jw_obj(&w);
    jw_obj_end(&w);
    jw_arr(&w);
    jw_arr_end(&w);
    jw_null(&w);
    jw_bool(&w, true);
    jw_str(&w, NULL);
    jw_arr_end(&w);
    jw_kint(&w, "c", LLONG_MIN);
    jw_kint(&w, "c2", LLONG_MAX);
    jw_kbool(&w, "d", false);
    jw_key(&w, "e");
    jw_raw(&w, "{\"r\":[1]}", 9);
    jw_kstr(&w, "f", "");
    jw_obj_end(&w);
    T_FALSE(w.err);
    T_INT(0, w.depth);
    T_BUF("{\"a\":\"x\",\"b\":[1,-2,{},[],null,true,null],\"c\":-9223372036854775808,"
          "\"c2\":9223372036854775807,\"d\":false,\"e\":{\"r\":[1]},\"f\":\"\"}",
          b);
    T_TRUE(json_validate(b.p, b.len, NULL));
    buf_free(&b);
}

TEST(test_jw_document_reads_back_through_jdoc)
{
    struct buf b = BUF_INIT, s = BUF_INIT;
    struct jw w;
    struct jdoc d = JDOC_INIT;
    struct err e = {0};
    jw_init(&w, &b);
    jw_obj(&w);
    jw_kstr(&w, "name", "@scope/pkg");
    jw_kint(&w, "big", LLONG_MAX);
    jw_kint(&w, "small", LLONG_MIN);
    jw_kbool(&w, "yes", true);
    jw_key(&w, "list");
    jw_arr(&w);
    for (int i = 0; i < 100; i++)
        jw_int(&w, i * i);
    jw_arr_end(&w);
    jw_obj_end(&w);
    T_FALSE(w.err);
    T_OK(jdoc_parse(&d, b.p, b.len, &e), &e);
    long long v = 0;
    bool yes = false;
    T_INT(0, jdoc_str(&d, jdoc_get(&d, 0, "name"), &s));
    T_BUF("@scope/pkg", s);
    T_INT(0, jdoc_i64(&d, jdoc_get(&d, 0, "big"), &v));
    T_INT(LLONG_MAX, v);
    T_INT(0, jdoc_i64(&d, jdoc_get(&d, 0, "small"), &v));
    T_INT(LLONG_MIN, v);
    T_INT(0, jdoc_bool(&d, jdoc_get(&d, 0, "yes"), &yes));
    T_TRUE(yes);
    int list = jdoc_get(&d, 0, "list"), i = 0;
    for (int x = jdoc_first(&d, list); x > 0; x = jdoc_after_elem(&d, list, x), i++) {
        T_INT(0, jdoc_i64(&d, x, &v));
        T_INT((long long)i * i, v);
    }
    T_INT(100, i);
    jdoc_free(&d);
    buf_free(&b);
    buf_free(&s);
}

TEST(test_jw_errors_are_sticky)
{
    struct buf b = BUF_INIT;
    struct jw w;

    jw_init(&w, &b); /* closing what was never opened */
    jw_obj_end(&w);
    T_TRUE(w.err);
    jw_str(&w, "ignored");
    T_UINT(0, b.len);

    buf_reset(&b); /* a key without its value */
    jw_init(&w, &b);
    jw_obj(&w);
    jw_key(&w, "k");
    jw_obj_end(&w);
    T_TRUE(w.err);
    size_t len = b.len;
    jw_int(&w, 1);
    jw_obj_end(&w);
    T_UINT(len, b.len);

    buf_reset(&b); /* nesting: JSON_MAX_DEPTH levels are fine, one more is not */
    jw_init(&w, &b);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        jw_arr(&w);
    T_FALSE(w.err);
    for (int i = 0; i < JSON_MAX_DEPTH; i++)
        jw_arr_end(&w);
    T_FALSE(w.err);
    T_TRUE(json_validate(b.p, b.len, NULL));
    buf_reset(&b);
    jw_init(&w, &b);
    for (int i = 0; i <= JSON_MAX_DEPTH; i++)
        jw_arr(&w);
    T_TRUE(w.err);
    buf_free(&b);
}

/* ---- validators -------------------------------------------------------------- */

struct sample {
    const char *text;
    size_t len; /* 0: strlen(text) */
    bool valid;
};

/* A corpus reads best packed by theme. */
/* clang-format off */
#define V(s) {s, sizeof s - 1, true}
#define I(s) {s, sizeof s - 1, false}

static const struct sample corpus[] = {
    /* numbers */
    V("0"), V("-0"), V("1"), V("-1"), V("1e5"), V("1E5"), V("1e+5"), V("1e-5"), V("-0.0"), V("0.5"),
    V("123.456e-7"), V("1.5E+10"), V("-0e0"), V("0e00"), V("9007199254740993"), V("1e400"),
    V("[0,-0,0.0,-1.25e-3]"), V(" 1"), V("1 "), V("\t\r\n 12 \n"), I("01"), I("-01"), I("00"),
    I("1."), I("1.e5"), I(".5"), I("+1"), I("-"), I("--1"), I("1e"), I("1e+"), I("1E-"), I("1e5.5"),
    I("0x10"), I("1 2"), I("NaN"), I("Infinity"), I("-Infinity"), I("[-]"), I("[01]"), I("[1.]"),
    I("{\"a\":01}"), I("1,"), I("1\f"), I("\v1"), I("- 1"), I("1_000"), I("1.5.5"),
    /* literals */
    V("true"), V("false"), V("null"), V("[true,false,null]"), V(" null "), I("tru"), I("truex"),
    I("nul"), I("nulll"), I("fals"), I("True"), I("NULL"), I("t"), I("[true false]"), I("nil"),
    I("undefined"),
    /* structure */
    V("[]"), V("{}"), V(" [ ] "), V("\t\r\n{}\n"), V("[1,[2,[3]]]"), V("{\"\":\"\"}"),
    V("{\"a\" : 1 , \"b\" : 2}"), V("{\"a\":1,\"b\":[1,2,{\"c\":null}]}"), V("[[],{},[[]]]"),
    V("{\"a\":{\"a\":{\"a\":[]}}}"), V("{\"dup\":1,\"dup\":2}"), I(""), I(" "), I("["), I("]"),
    I("{"), I("}"), I("[1,]"), I("[,1]"), I("[1 2]"), I("{\"a\"}"), I("{\"a\":}"), I("{\"a\" 1}"),
    I("{\"a\":1,}"), I("{,}"), I("{1:2}"), I("{'a':1}"), I("{a:1}"), I("[\"a\",]"),
    I("{\"a\":1 \"b\":2}"), I("[}"), I("{]"), I("{\"a\":1]"), I("[1}"), I("{}x"), I("[]]"),
    I("{}}"), I("[1]2"), I("\"a\"\"b\""), I("{} {}"), I("\xEF\xBB\xBF{}"), {"[1]\0", 4, false},
    {"\0", 1, false}, {"{}\0", 3, false}, I("[[]"), I("[[[]]"), I("{\"a\":[}"),
    /* strings */
    V("\"\""), V("\"abc\""), V("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), V("\"\\u0000\\uABCD\\uabcd\""),
    V("\"\\ud800\""), V("\"\\udc00\\ud800\""), V("\"\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E\""),
    V("\"\xF4\x8F\xBF\xBF\""), V("\"\x7f\""), V("\"\xEE\x80\x80\""), V("\"\xED\x9F\xBF\""),
    V("\"\xE0\xA0\x80\""), V("\"\xF0\x90\x80\x80\""), V("\"\xC2\x80\""), V("\"'\""),
    V("[\"a\\\"]\"]"), V("\"a/b\""), V("\"long string with spaces and punctuation!?\""), I("\"abc"),
    I("\""), I("\"\\x\""), I("\"\\u12\""), I("\"\\u12G4\""), I("\"\\U0041\""), I("\"\\'\""),
    I("\"\\a\""), I("\"\\0\""), I("\"\\\""), I("\"a\tb\""), I("\"a\nb\""), I("\"a\rb\""),
    I("\"\x01\""), {"\"\0\"", 3, false}, I("\"\x1f\""), I("'abc'"), I("\"\xC0\x80\""),
    I("\"\xC1\xBF\""), I("\"\xE0\x80\x80\""), I("\"\xE0\x9F\xBF\""), I("\"\xF0\x80\x80\x80\""),
    I("\"\xF0\x8F\xBF\xBF\""), I("\"\xED\xA0\x80\""), I("\"\xED\xBF\xBF\""),
    I("\"\xED\xA0\x80\xED\xB0\x80\""), I("\"\xF4\x90\x80\x80\""), I("\"\xF5\x80\x80\x80\""),
    I("\"\xF8\x88\x80\x80\x80\""), I("\"\xFF\""), I("\"\xFE\""), I("\"\x80\""), I("\"\xBF\""),
    I("\"\xE2\x82\""), I("\"\xE2\""), I("\"\xF0\x9F\x98\""), I("\"\xC3\xC3\xA9\""),
    I("\"\xE2\x82\xAC\xAC\""), I("\"\xE2\x82"), I("\"\xF0"), I("[\"a\\\"]"), I("{\"a\xFF\":1}"),
    I("{\"a\\q\":1}"), I("\"\\u\""), I("\"\\uD83D\\u"),
};
#undef V
#undef I
/* clang-format on */

static size_t sample_len(const struct sample *s)
{
    return s->len ? s->len : strlen(s->text);
}

/* The push machine's verdict on [p, p+n) fed `chunk` bytes at a time. A
 * refusal must be final, whatever comes after it. */
static bool push_verdict(const char *p, size_t n, size_t chunk)
{
    struct jpush v;
    jpush_init(&v);
    bool fed_ok = true;
    for (size_t i = 0; i < n; i += chunk) {
        size_t k = n - i < chunk ? n - i : chunk;
        bool r = jpush_feed(&v, p + i, k);
        if (!fed_ok && r)
            t_fail(__FILE__, __LINE__, "jpush_feed", "expected a refusal to be final");
        fed_ok = fed_ok && r;
    }
    bool fin = jpush_finish(&v);
    if (fin && !fed_ok)
        t_fail(__FILE__, __LINE__, "jpush_finish", "expected false after a refused feed");
    return fin && fed_ok;
}

static bool check_sample(const struct sample *s, bool verdict, const char *how, const char *file,
                         int line)
{
    if (verdict == s->valid)
        return true;
    struct buf m = BUF_INIT;
    t_escape(&m, s->text, sample_len(s), 120);
    t_fail(file, line, how, "expected %s to be %s, got %s", m.p, s->valid ? "valid" : "invalid",
           verdict ? "valid" : "invalid");
    buf_free(&m);
    return false;
}

TEST(test_json_validate_and_jpush_agree_on_corpus)
{
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        const struct sample *s = &corpus[i];
        size_t n = sample_len(s);
        T_RET(
            check_sample(s, json_validate(s->text, n, NULL), "json_validate", __FILE__, __LINE__));
        T_RET(check_sample(s, push_verdict(s->text, n, n ? n : 1), "jpush (all at once)", __FILE__,
                           __LINE__));
        /* jdoc_parse accepts exactly what the validator accepts. */
        struct jdoc d = JDOC_INIT;
        struct err e = {0};
        bool parsed = jdoc_parse(&d, s->text, n, &e) == 0;
        jdoc_free(&d);
        T_RET(check_sample(s, parsed, "jdoc_parse", __FILE__, __LINE__));
    }
}

TEST(test_jpush_byte_at_a_time_matches_all_at_once)
{
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        const struct sample *s = &corpus[i];
        T_RET(check_sample(s, push_verdict(s->text, sample_len(s), 1), "jpush (byte at a time)",
                           __FILE__, __LINE__));
    }
}

TEST(test_jpush_any_split_matches_all_at_once)
{
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        const struct sample *s = &corpus[i];
        size_t n = sample_len(s);
        for (size_t cut = 0; cut <= n; cut++) {
            struct jpush v;
            jpush_init(&v);
            jpush_feed(&v, s->text, cut);
            jpush_feed(&v, s->text + cut, n - cut);
            T_RET(check_sample(s, jpush_finish(&v), "jpush (split in two)", __FILE__, __LINE__));
        }
    }
}

static void nested(struct buf *b, int depth, bool objects)
{
    for (int i = 0; i < depth; i++)
        buf_puts(b, objects ? "{\"k\":" : "[");
    buf_puts(b, "0");
    for (int i = 0; i < depth; i++)
        buf_putc(b, objects ? '}' : ']');
}

TEST(test_json_nesting_limit_is_json_max_depth)
{
    struct buf b = BUF_INIT;
    for (int objects = 0; objects <= 1; objects++) {
        for (int depth = JSON_MAX_DEPTH - 1; depth <= JSON_MAX_DEPTH + 1; depth++) {
            buf_reset(&b);
            nested(&b, depth, objects);
            struct sample s = {b.p, b.len, depth <= JSON_MAX_DEPTH};
            T_RET(check_sample(&s, json_validate(b.p, b.len, NULL), "json_validate", __FILE__,
                               __LINE__));
            T_RET(check_sample(&s, push_verdict(b.p, b.len, b.len), "jpush", __FILE__, __LINE__));
            T_RET(
                check_sample(&s, push_verdict(b.p, b.len, 1), "jpush (bytes)", __FILE__, __LINE__));
        }
    }
    /* Far beyond the limit is refused, not a stack overflow. */
    buf_reset(&b);
    for (int i = 0; i < 100000; i++)
        buf_putc(&b, '[');
    T_FALSE(json_validate(b.p, b.len, NULL));
    T_FALSE(push_verdict(b.p, b.len, 4096));
    buf_free(&b);
}

TEST(test_json_validate_reports_the_offending_byte)
{
    static const struct {
        const char *text;
        size_t bad;
    } cases[] = {
        {"[1,2,x]", 5},    {"{\"a\":1}x", 7}, {"\"ab\x01\"", 3},
        {"[1] [2]", 4},    {"{\"a\" 1}", 5},  {"\"\xC0\x80\"", 1},
        {"[true,nul]", 6}, {"  ", 2},         {"[\"\\q\"]", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad = 999;
        T_FALSE(json_validate(cases[i].text, strlen(cases[i].text), &bad));
        T_UINT(cases[i].bad, bad);
    }
}

/* The string scanner steps 16 bytes at a time: a byte that ends the plain
 * run must be found at every offset, also past a block boundary and in the
 * tail, by json_validate, json_skip and jpush alike. */
TEST(test_json_strings_find_special_bytes_at_every_offset)
{
    static const struct {
        const char *bytes;
        bool valid;
        size_t bad; /* offset of the complaint, from the special byte */
    } kinds[] = {
        {"\"", true, 0}, /* ends the string early: then '"' is left over */
        {"\\n", true, 0},   {"\\u00e9", true, 0}, {"\xc3\xa9", true, 0}, {"\xe2\x9c\xa8", true, 0},
        {"\x7f", true, 0},  {"\x01", false, 0},   {"\x1f", false, 0},    {"\\q", false, 0},
        {"\xc3", false, 0}, {"\xff", false, 0},
    };
    char text[128];
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (size_t at = 0; at < 40; at++) {
            size_t n = 0;
            text[n++] = '"';
            for (size_t i = 0; i < at; i++)
                text[n++] = (char)('a' + i % 26);
            size_t special = n;
            size_t kl = strlen(kinds[k].bytes);
            memcpy(text + n, kinds[k].bytes, kl);
            n += kl;
            for (size_t i = 0; i < 20; i++)
                text[n++] = 'z';
            text[n++] = '"';
            bool want = kinds[k].valid && kinds[k].bytes[0] != '"';
            size_t bad = 999;
            bool got = json_validate(text, n, &bad);
            if (got != want)
                T_FAIL("kind %zu at offset %zu: json_validate said %d", k, at, got);
            if (!want && kinds[k].bytes[0] != '"' && bad != special)
                T_FAIL("kind %zu at offset %zu: complaint at %zu, not %zu", k, at, bad, special);
            const char *end = json_skip(text, text + n, NULL);
            const char *want_end = kinds[k].bytes[0] == '"' ? text + special + 1
                                   : want                   ? text + n
                                                            : NULL;
            if (end != want_end)
                T_FAIL("kind %zu at offset %zu: json_skip ended at %td", k, at,
                       end ? end - text : -1);
            struct jpush v;
            jpush_init(&v);
            bool pushed = jpush_feed(&v, text, n) && jpush_finish(&v);
            if (pushed != want)
                T_FAIL("kind %zu at offset %zu: jpush said %d", k, at, pushed);
        }
    }
}

TEST(test_json_skip_returns_the_end_of_one_value)
{
    const char *s = "  [1, {\"a\": \"b\"}] rest";
    const char *end = s + strlen(s);
    const char *after = json_skip(s, end, NULL);
    T_TRUE(after != NULL);
    T_STR(" rest", after);
    T_STR("rest", json_skip_ws(after, end));

    s = "123abc";
    after = json_skip(s, s + 6, NULL);
    T_TRUE(after != NULL);
    T_STR("abc", after);

    s = "\"x\\\"y\",next";
    after = json_skip(s, s + strlen(s), NULL);
    T_TRUE(after != NULL);
    T_STR(",next", after);

    /* The end pointer is respected: a value cut by it is invalid. */
    s = "[1,2]";
    const char *bad = NULL;
    T_TRUE(json_skip(s, s + 4, &bad) == NULL);
    T_TRUE(bad != NULL && bad <= s + 4);
    s = "truest";
    after = json_skip(s, s + 4, NULL);
    T_TRUE(after == s + 4);
    T_TRUE(json_skip(s, s + 3, NULL) == NULL);
}

TEST(test_jpush_validates_a_large_document_in_chunks)
{
    struct buf b = BUF_INIT;
    struct jw w;
    struct t_rng r;
    t_rng_init(&r, 3);
    jw_init(&w, &b);
    jw_obj(&w);
    for (int i = 0; i < 3000; i++) {
        char key[16], val[200];
        size_t n = t_rng_below(&r, sizeof val);
        for (size_t j = 0; j < n; j++)
            val[j] = (char)t_rng_u32(&r);
        snprintf(key, sizeof key, "k%d", i);
        jw_key(&w, key);
        if (i % 3 == 0) {
            jw_arr(&w);
            jw_strn(&w, val, n);
            jw_int(&w, (long long)t_rng_u32(&r) - 2000000000LL);
            jw_obj(&w);
            jw_kbool(&w, "b", i % 2);
            jw_obj_end(&w);
            jw_arr_end(&w);
        } else {
            jw_strn(&w, val, n);
        }
    }
    jw_obj_end(&w);
    T_FALSE(w.err);
    T_TRUE(json_validate(b.p, b.len, NULL));

    struct jpush v;
    jpush_init(&v);
    for (size_t i = 0; i < b.len;) {
        size_t k = 1 + t_rng_below(&r, 9000);
        if (k > b.len - i)
            k = b.len - i;
        T_TRUE(jpush_feed(&v, b.p + i, k));
        i += k;
    }
    T_TRUE(jpush_finish(&v));
    T_UINT(b.len, v.off);

    /* Any cut short is not a complete document. */
    for (int t = 0; t < 20; t++) {
        size_t cut = t_rng_below(&r, (unsigned)b.len);
        jpush_init(&v);
        jpush_feed(&v, b.p, cut);
        T_FALSE(jpush_finish(&v));
        T_FALSE(json_validate(b.p, cut, NULL));
    }
    buf_free(&b);
}

/* ---- jdoc ------------------------------------------------------------------- */

static bool parse(struct jdoc *d, const char *js, const char *file, int line)
{
    struct err e = {0};
    return t_ok(jdoc_parse(d, js, strlen(js), &e), &e, file, line, "jdoc_parse");
}
#define T_PARSE(d, js) T_RET(parse((d), (js), __FILE__, __LINE__))

TEST(test_jdoc_parse_refuses_invalid_json)
{
    struct jdoc d = JDOC_INIT;
    struct err e = {0};
    T_INT(-1, jdoc_parse(&d, "{\"a\":}", 6, &e));
    T_CONTAINS(e.msg, "invalid JSON at byte 5");
    T_INT(-1, jdoc_parse(&d, "", 0, &e));
    /* jsmn alone would accept these; the validator in front refuses them. */
    T_INT(-1, jdoc_parse(&d, "[1,]", 4, &e));
    T_INT(-1, jdoc_parse(&d, "{\"a\" 1}", 7, &e));
    T_INT(-1, jdoc_parse(&d, "[01]", 4, &e));
    /* The same jdoc parses a good document after a bad one. */
    T_PARSE(&d, "[1]");
    T_TRUE(jdoc_is(&d, 0, JT_ARRAY));
    jdoc_free(&d);
}

TEST(test_jdoc_get_finds_members_not_nested_keys)
{
    struct jdoc d = JDOC_INIT;
    struct buf s = BUF_INIT;
    long long v = 0;
    T_PARSE(&d, "{\"a\":{\"x\":1,\"b\":{\"x\":5}},\"b\":[{\"b\":3}],\"x\":2,\"k\\u0065y\":\"v\","
                "\"\":\"empty key\"}");
    int x = jdoc_get(&d, 0, "x");
    T_INT(0, jdoc_i64(&d, x, &v));
    T_INT(2, v);
    int b = jdoc_get(&d, 0, "b");
    T_TRUE(jdoc_is(&d, b, JT_ARRAY));
    int a = jdoc_get(&d, 0, "a");
    T_TRUE(jdoc_is(&d, a, JT_OBJECT));
    T_INT(0, jdoc_i64(&d, jdoc_get(&d, a, "x"), &v));
    T_INT(1, v);
    T_INT(0, jdoc_i64(&d, jdoc_get(&d, jdoc_get(&d, a, "b"), "x"), &v));
    T_INT(5, v);
    T_INT(0, jdoc_str(&d, jdoc_get(&d, 0, "key"), &s)); /* keys compare decoded */
    T_BUF("v", s);
    buf_reset(&s);
    T_INT(0, jdoc_str(&d, jdoc_get(&d, 0, ""), &s));
    T_BUF("empty key", s);
    T_INT(-1, jdoc_get(&d, 0, "missing"));
    T_INT(-1, jdoc_get(&d, 0, "k"));
    T_INT(-1, jdoc_get(&d, 0, "v")); /* values are not keys */
    T_INT(-1, jdoc_get(&d, b, "b")); /* not an object */
    jdoc_free(&d);
    buf_free(&s);
}

TEST(test_jdoc_iterates_objects_in_order)
{
    static const char *const keys[] = {"z", "a", "m", "e", "s"};
    static const enum jtype types[] = {JT_PRIMITIVE, JT_OBJECT, JT_ARRAY, JT_OBJECT, JT_STRING};
    struct jdoc d = JDOC_INIT;
    T_PARSE(&d, "{\"z\":1,\"a\":{\"q\":[1,2],\"r\":{\"s\":{}}},\"m\":[],\"e\":{},\"s\":\"str\"}");
    int i = 0;
    for (int k = jdoc_first(&d, 0); k > 0; k = jdoc_after_member(&d, 0, k), i++) {
        if (i >= 5)
            T_FAIL("more than 5 members");
        T_TRUE(jdoc_streq(&d, k, keys[i]));
        T_TRUE(jdoc_is(&d, k + 1, types[i]));
    }
    T_INT(5, i);
    /* The nested object has exactly its own two members. */
    int a = jdoc_get(&d, 0, "a");
    i = 0;
    for (int k = jdoc_first(&d, a); k > 0; k = jdoc_after_member(&d, a, k))
        i++;
    T_INT(2, i);
    T_INT(-1, jdoc_first(&d, jdoc_get(&d, 0, "e"))); /* empty object */
    jdoc_free(&d);

    T_PARSE(&d, "{}");
    T_INT(-1, jdoc_first(&d, 0));
    jdoc_free(&d);
    T_PARSE(&d, "{\"only\":{}}");
    int k = jdoc_first(&d, 0);
    T_INT(1, k);
    T_INT(-1, jdoc_after_member(&d, 0, k));
    T_INT(-1, jdoc_first(&d, k + 1));
    jdoc_free(&d);
}

TEST(test_jdoc_iterates_arrays_including_empty_and_nested)
{
    static const enum jtype types[] = {JT_ARRAY,  JT_OBJECT, JT_ARRAY,    JT_OBJECT,
                                       JT_STRING, JT_ARRAY,  JT_PRIMITIVE};
    static const int sizes[] = {0, 0, 2, 1, -1, 1, -1}; /* elements / members */
    struct jdoc d = JDOC_INIT;
    T_PARSE(&d, "[[],{},[1,[2,3]],{\"a\":{}},\"s\",[[]],null]");
    int i = 0;
    for (int x = jdoc_first(&d, 0); x > 0; x = jdoc_after_elem(&d, 0, x), i++) {
        if (i >= 7)
            T_FAIL("more than 7 elements");
        T_TRUE(jdoc_is(&d, x, types[i]));
        if (sizes[i] < 0)
            continue;
        int n = 0;
        if (types[i] == JT_ARRAY)
            for (int y = jdoc_first(&d, x); y > 0; y = jdoc_after_elem(&d, x, y))
                n++;
        else
            for (int y = jdoc_first(&d, x); y > 0; y = jdoc_after_member(&d, x, y))
                n++;
        T_INT(sizes[i], n);
    }
    T_INT(7, i);
    jdoc_free(&d);

    T_PARSE(&d, "[]");
    T_INT(-1, jdoc_first(&d, 0));
    jdoc_free(&d);
    T_PARSE(&d, "[\"\",\"\",\"\"]"); /* empty strings have start == end */
    i = 0;
    for (int x = jdoc_first(&d, 0); x > 0; x = jdoc_after_elem(&d, 0, x))
        i++;
    T_INT(3, i);
    jdoc_free(&d);
    T_PARSE(&d, "{\"a\":[\"x\"],\"b\":\"\"}");
    int a = jdoc_get(&d, 0, "a");
    int x = jdoc_first(&d, a);
    T_TRUE(jdoc_streq(&d, x, "x"));
    T_INT(-1, jdoc_after_elem(&d, a, x)); /* does not run into "b" */
    T_TRUE(jdoc_is(&d, jdoc_get(&d, 0, "b"), JT_STRING));
    jdoc_free(&d);
}

TEST(test_jdoc_str_decodes_escapes_and_surrogate_pairs)
{
    struct jdoc d = JDOC_INIT;
    struct buf s = BUF_INIT;
    T_PARSE(&d, "[\"\\u00e9\\u20AC\\ud834\\udd1e\\u0000x\",\"\\\"\\\\\\/\\b\\f\\n\\r\\t\","
                "\"\\udbff\\udfff\",\"plain\",\"\"]");
    int x = jdoc_first(&d, 0);
    T_INT(0, jdoc_str(&d, x, &s));
    T_MEM("\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E\0x", 11, s.p, s.len);
    buf_reset(&s);
    x = jdoc_after_elem(&d, 0, x);
    T_INT(0, jdoc_str(&d, x, &s));
    T_BUF("\"\\/\b\f\n\r\t", s);
    buf_reset(&s);
    x = jdoc_after_elem(&d, 0, x);
    T_INT(0, jdoc_str(&d, x, &s));
    T_BUF("\xF4\x8F\xBF\xBF", s); /* U+10FFFF */
    /* jdoc_str appends. */
    buf_reset(&s);
    buf_puts(&s, "pre:");
    x = jdoc_after_elem(&d, 0, x);
    T_INT(0, jdoc_str(&d, x, &s));
    T_BUF("pre:plain", s);
    buf_reset(&s);
    x = jdoc_after_elem(&d, 0, x);
    T_INT(0, jdoc_str(&d, x, &s));
    T_BUF("", s);
    T_TRUE(s.p != NULL);
    jdoc_free(&d);
    buf_free(&s);
}

TEST(test_jdoc_str_replaces_lone_surrogates)
{
    static const struct {
        const char *js, *want;
    } cases[] = {
        {"\"\\ud800\"", FFFD},
        {"\"\\udc00\"", FFFD},
        {"\"\\ud800\\u0041\"", FFFD "A"},
        {"\"\\ud800\\ud800\"", FFFD FFFD},
        {"\"\\udc00\\ud800\"", FFFD FFFD},
        {"\"\\ud800x\"", FFFD "x"},
        {"\"\\ud83d\\ude00!\"", "\xF0\x9F\x98\x80!"},
        {"\"a\\ud83d\"", "a" FFFD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct jdoc d = JDOC_INIT;
        struct buf s = BUF_INIT;
        T_PARSE(&d, cases[i].js);
        int rc = jdoc_str(&d, 0, &s);
        bool ok = T_CHECK_INT(0, rc) && t_mem(cases[i].want, strlen(cases[i].want), s.p, s.len,
                                              __FILE__, __LINE__, cases[i].js);
        jdoc_free(&d);
        buf_free(&s);
        if (!ok)
            return;
    }
}

TEST(test_jdoc_streq_compares_decoded_text)
{
    struct jdoc d = JDOC_INIT;
    T_PARSE(&d, "[\"abc\",\"a\\u0062c\",\"ab\",\"\",\"\\u00e9\",5]");
    int x = jdoc_first(&d, 0);
    T_TRUE(jdoc_streq(&d, x, "abc"));
    T_FALSE(jdoc_streq(&d, x, "ab"));
    T_FALSE(jdoc_streq(&d, x, "abcd"));
    x = jdoc_after_elem(&d, 0, x);
    T_TRUE(jdoc_streq(&d, x, "abc"));
    T_FALSE(jdoc_streq(&d, x, "a\\u0062c"));
    x = jdoc_after_elem(&d, 0, x);
    T_FALSE(jdoc_streq(&d, x, "abc"));
    x = jdoc_after_elem(&d, 0, x);
    T_TRUE(jdoc_streq(&d, x, ""));
    x = jdoc_after_elem(&d, 0, x);
    T_TRUE(jdoc_streq(&d, x, "\xC3\xA9"));
    x = jdoc_after_elem(&d, 0, x);
    T_FALSE(jdoc_streq(&d, x, "5")); /* a number is not a string */
    jdoc_free(&d);
}

TEST(test_jdoc_i64_reads_integers)
{
    static const struct {
        const char *js;
        int rc;
        long long v;
    } cases[] = {
        {"0", 0, 0},
        {"-0", 0, 0},
        {"42", 0, 42},
        {"-42", 0, -42},
        {"9007199254740993", 0, 9007199254740993LL}, /* beyond a double's precision */
        {"9223372036854775807", 0, LLONG_MAX},
        {"-9223372036854775808", 0, LLONG_MIN},
        {"1e3", 0, 1000},
        {"2.0", 0, 2},
        {"9223372036854775808", -1, 0},
        {"-9223372036854775809", -1, 0},
        {"1e400", -1, 0},
        {"true", -1, 0},
        {"null", -1, 0},
        {"\"42\"", -1, 0},
        {"[42]", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct jdoc d = JDOC_INIT;
        long long v = 12345;
        T_PARSE(&d, cases[i].js);
        int rc = jdoc_i64(&d, 0, &v);
        jdoc_free(&d);
        if (!t_int(cases[i].rc, rc, __FILE__, __LINE__, cases[i].js))
            return;
        if (rc == 0)
            T_RET(t_int(cases[i].v, v, __FILE__, __LINE__, cases[i].js));
    }
}

TEST(test_jdoc_bool_and_null)
{
    struct jdoc d = JDOC_INIT;
    bool b = false;
    T_PARSE(&d, "{\"t\":true,\"f\":false,\"n\":null,\"s\":\"true\",\"one\":1,\"sn\":\"null\"}");
    T_INT(0, jdoc_bool(&d, jdoc_get(&d, 0, "t"), &b));
    T_TRUE(b);
    T_INT(0, jdoc_bool(&d, jdoc_get(&d, 0, "f"), &b));
    T_FALSE(b);
    T_INT(-1, jdoc_bool(&d, jdoc_get(&d, 0, "n"), &b));
    T_INT(-1, jdoc_bool(&d, jdoc_get(&d, 0, "s"), &b));
    T_INT(-1, jdoc_bool(&d, jdoc_get(&d, 0, "one"), &b));
    T_TRUE(jdoc_is_null(&d, jdoc_get(&d, 0, "n")));
    T_FALSE(jdoc_is_null(&d, jdoc_get(&d, 0, "f")));
    T_FALSE(jdoc_is_null(&d, jdoc_get(&d, 0, "sn")));
    T_FALSE(jdoc_is_null(&d, jdoc_get(&d, 0, "missing")));
    jdoc_free(&d);
}

TEST(test_jdoc_accessors_refuse_wrong_types)
{
    struct jdoc d = JDOC_INIT;
    struct buf s = BUF_INIT;
    long long v = 0;
    bool b = false;
    size_t n = 99;
    T_PARSE(&d, "{\"num\":1,\"str\":\"x\",\"arr\":[1],\"obj\":{\"k\":1}}");
    int num = jdoc_get(&d, 0, "num"), str = jdoc_get(&d, 0, "str");
    int arr = jdoc_get(&d, 0, "arr"), obj = jdoc_get(&d, 0, "obj");
    T_INT(-1, jdoc_str(&d, num, &s));
    T_INT(-1, jdoc_str(&d, obj, &s));
    T_INT(-1, jdoc_str(&d, arr, &s));
    T_UINT(0, s.len);
    T_INT(-1, jdoc_i64(&d, str, &v));
    T_INT(-1, jdoc_i64(&d, obj, &v));
    T_INT(-1, jdoc_bool(&d, num, &b));
    T_INT(-1, jdoc_bool(&d, arr, &b));
    T_INT(-1, jdoc_get(&d, arr, "k"));
    T_INT(-1, jdoc_get(&d, str, "k"));
    T_INT(-1, jdoc_get(&d, num, "k"));
    T_INT(-1, jdoc_first(&d, str));
    T_INT(-1, jdoc_first(&d, num));
    T_FALSE(jdoc_is(&d, num, JT_STRING));
    T_FALSE(jdoc_is(&d, str, JT_PRIMITIVE));
    T_TRUE(jdoc_is(&d, obj, JT_OBJECT));
    /* Out-of-range indexes (as -1 from a failed lookup) are refused everywhere. */
    for (int bad = -2; bad <= 0; bad++) {
        int i = bad == 0 ? d.n : bad;
        T_FALSE(jdoc_is(&d, i, JT_OBJECT));
        T_FALSE(jdoc_is(&d, i, JT_PRIMITIVE));
        T_INT(-1, jdoc_get(&d, i, "num"));
        T_INT(-1, jdoc_first(&d, i));
        T_INT(-1, jdoc_str(&d, i, &s));
        T_INT(-1, jdoc_i64(&d, i, &v));
        T_INT(-1, jdoc_bool(&d, i, &b));
        T_FALSE(jdoc_is_null(&d, i));
        T_FALSE(jdoc_streq(&d, i, ""));
        T_STR("", jdoc_raw(&d, i, &n));
        T_UINT(0, n);
        T_STR("", jdoc_text(&d, i, &n));
        T_UINT(0, n);
    }
    T_INT(-1, jdoc_i64(&d, jdoc_get(&d, 0, "nope"), &v));
    jdoc_free(&d);
    buf_free(&s);
}

TEST(test_jdoc_raw_and_text)
{
    struct jdoc d = JDOC_INIT;
    size_t n = 0;
    const char *js = "{\"s\":\"a\\nb\",\"o\":{\"k\":[1, 2]},\"n\":-1.5e3}";
    T_PARSE(&d, js);
    const char *p = jdoc_raw(&d, jdoc_get(&d, 0, "s"), &n);
    T_MEM("a\\nb", 4, p, n);
    p = jdoc_text(&d, jdoc_get(&d, 0, "s"), &n);
    T_MEM("\"a\\nb\"", 6, p, n);
    p = jdoc_text(&d, jdoc_get(&d, 0, "o"), &n);
    T_MEM("{\"k\":[1, 2]}", 12, p, n);
    p = jdoc_text(&d, jdoc_get(&d, 0, "n"), &n);
    T_MEM("-1.5e3", 6, p, n);
    p = jdoc_text(&d, 0, &n);
    T_MEM(js, strlen(js), p, n);
    T_INT(d.n, jdoc_next(&d, 0));
    jdoc_free(&d);
}

TEST(test_jdoc_reuse_grows_token_array)
{
    struct jdoc d = JDOC_INIT;
    struct buf b = BUF_INIT;
    struct err e = {0};
    T_PARSE(&d, "[1]");
    buf_putc(&b, '[');
    for (int i = 0; i < 5000; i++)
        buf_printf(&b, "%s{\"i\":%d}", i ? "," : "", i);
    buf_putc(&b, ']');
    T_OK(jdoc_parse(&d, b.p, b.len, &e), &e);
    T_INT(1 + 5000 * 3, d.n);
    int i = 0;
    long long v = -1;
    for (int x = jdoc_first(&d, 0); x > 0; x = jdoc_after_elem(&d, 0, x), i++) {
        T_INT(0, jdoc_i64(&d, jdoc_get(&d, x, "i"), &v));
        T_INT(i, v);
    }
    T_INT(5000, i);
    T_PARSE(&d, "{}"); /* and small again */
    T_INT(1, d.n);
    jdoc_free(&d);
    jdoc_free(&d); /* freeing twice is harmless */
    buf_free(&b);
}

/* ---- member walkers ------------------------------------------------------------ */

struct members {
    struct buf seen; /* "key=value;" for each member, key raw */
    int calls, stop_at;
};

static int collect(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
    struct members *m = ctx;
    buf_append(&m->seen, key, klen);
    buf_putc(&m->seen, '=');
    buf_append(&m->seen, val, vlen);
    buf_putc(&m->seen, ';');
    return ++m->calls == m->stop_at ? -1 : 0;
}

TEST(test_json_each_member_reports_raw_keys_and_whole_values)
{
    const char *js = " {\"a\":1, \"b\\\"q\" : {\"x\":[1,2]} ,\"c\":\"s\",\"d\":null,\"e\":[],"
                     "\"\\u00e9\":-0.5e1}  rest";
    struct members m = {BUF_INIT, 0, 0};
    const char *bad = js;
    const char *after = json_each_member(js, js + strlen(js), collect, &m, &bad);
    bool ok = after != NULL;
    buf_putc(&m.seen, '\0');
    struct buf seen = m.seen;
    T_TRUE(ok);
    T_STR("  rest", after);
    T_INT(6, m.calls);
    T_STR("a=1;b\\\"q={\"x\":[1,2]};c=\"s\";d=null;e=[];\\u00e9=-0.5e1;", seen.p);
    buf_free(&seen);

    struct members none = {BUF_INIT, 0, 0};
    const char *empty = "{ }x";
    T_STR("x", json_each_member(empty, empty + 4, collect, &none, NULL));
    T_INT(0, none.calls);
    /* No callback: it only validates and skips. */
    T_STR("  rest", json_each_member(js, js + strlen(js), NULL, NULL, NULL));
}

TEST(test_json_each_member_stops_when_asked)
{
    const char *js = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}";
    struct members m = {BUF_INIT, 0, 3};
    const char *bad = js;
    const char *after = json_each_member(js, js + strlen(js), collect, &m, &bad);
    buf_free(&m.seen);
    T_TRUE(after == NULL);
    T_TRUE(bad == NULL); /* stopped, not invalid */
    T_INT(3, m.calls);
}

TEST(test_json_each_member_refuses_invalid_json)
{
    static const struct {
        const char *js;
        size_t bad; /* offset of the offending byte */
    } cases[] = {
        {"[1]", 0},          {"", 0},
        {"  ", 2},           {"{\"a\":}", 5},
        {"{\"a\":1,}", 7},   {"{\"a\" 1}", 5},
        {"{\"a\":1", 6},     {"{\"a\":1 \"b\":2}", 7},
        {"{a:1}", 1},        {"{\"a\xff\":1}", 3},
        {"{\"a\":[1,]}", 8}, {"{\"a\":\"\\q\"}", 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *js = cases[i].js, *bad = NULL;
        struct members m = {BUF_INIT, 0, 0};
        const char *after = json_each_member(js, js + strlen(js), collect, &m, &bad);
        buf_free(&m.seen);
        T_RET(t_bool(true, after == NULL, __FILE__, __LINE__, js));
        T_RET(t_bool(true, bad != NULL, __FILE__, __LINE__, js));
        T_RET(t_int((long long)cases[i].bad, bad - js, __FILE__, __LINE__, js));
    }
}

/* On every object in the corpus, and at the nesting limit, walking the
 * members accepts exactly what json_validate accepts. */
TEST(test_json_each_member_agrees_with_json_validate)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        const struct sample *s = &corpus[i];
        size_t n = sample_len(s);
        const char *end = s->text + n, *p = json_skip_ws(s->text, end);
        if (p >= end || *p != '{')
            continue;
        const char *after = json_each_member(s->text, end, NULL, NULL, NULL);
        bool ok = after && json_skip_ws(after, end) == end;
        T_RET(check_sample(s, ok, "json_each_member", __FILE__, __LINE__));
    }
    for (int depth = JSON_MAX_DEPTH - 1; depth <= JSON_MAX_DEPTH + 1; depth++) {
        buf_reset(&b);
        nested(&b, depth, true);
        const char *after = json_each_member(b.p, b.p + b.len, NULL, NULL, NULL);
        struct sample s = {b.p, b.len, depth <= JSON_MAX_DEPTH};
        if (!check_sample(&s, after == b.p + b.len, "json_each_member (nesting)", __FILE__,
                          __LINE__))
            break;
    }
    buf_free(&b);
}

struct walk {
    struct buf keys; /* keys seen, top level and inside "versions" */
    bool refuse;     /* fail on "bad" with *bad set */
};

static const char *walk_one(void *ctx, const char *key, size_t klen, const char *val,
                            const char *end, const char **bad)
{
    struct walk *w = ctx;
    buf_append(&w->keys, key, klen);
    buf_putc(&w->keys, ' ');
    if (w->refuse && json_key_is(key, klen, "bad")) {
        *bad = val;
        return NULL;
    }
    if (!json_key_is(key, klen, "versions"))
        return json_skip(val, end, bad);
    buf_putc(&w->keys, '(');
    struct members m = {BUF_INIT, 0, 0};
    const char *q = json_each_member(val, end, collect, &m, bad);
    buf_printf(&w->keys, "%d) ", m.calls);
    buf_free(&m.seen);
    return q;
}

TEST(test_json_walk_members_lets_the_caller_descend)
{
    const char *js = "{\"name\":\"p\",\"versions\":{\"1.0.0\":{},\"2.0.0\":{\"x\":1}},"
                     "\"bad\":0,\"time\":{}}";
    struct walk w = {BUF_INIT, false};
    const char *bad = js;
    const char *after = json_walk_members(js, js + strlen(js), walk_one, &w, &bad);
    bool done = after == js + strlen(js);
    buf_putc(&w.keys, '\0');
    struct buf keys = w.keys;
    T_TRUE(done);
    T_STR("name versions (2) bad time ", keys.p);
    buf_free(&keys);

    /* The callback's failure, with its *bad, is the walk's failure. */
    struct walk r = {BUF_INIT, true};
    bad = NULL;
    after = json_walk_members(js, js + strlen(js), walk_one, &r, &bad);
    buf_free(&r.keys);
    T_TRUE(after == NULL);
    T_TRUE(bad == strstr(js, "\"bad\":0") + 6);

    /* An invalid nested value found by the callback's own scan. */
    const char *broken = "{\"versions\":{\"1.0.0\":[1,]}}";
    struct walk b = {BUF_INIT, false};
    bad = NULL;
    after = json_walk_members(broken, broken + strlen(broken), walk_one, &b, &bad);
    buf_free(&b.keys);
    T_TRUE(after == NULL);
    T_TRUE(bad == strstr(broken, "]"));
}

TEST(test_json_key_is_compares_raw_keys)
{
    T_TRUE(json_key_is("name", 4, "name"));
    T_FALSE(json_key_is("name", 3, "name"));
    T_FALSE(json_key_is("names", 5, "name"));
    T_TRUE(json_key_is("", 0, ""));
    T_FALSE(json_key_is("n\\u0061me", 9, "name")); /* raw: escapes are not decoded */
}

TEST(test_jw_key_raw_copies_escaped_keys)
{
    const char *js = "{\"plain\":1,\"q\\\"uote\":[true],\"\\u00e9\\n\":{\"in\":null},\"\":\"\"}";
    struct members m = {BUF_INIT, 0, 0};
    struct buf out = BUF_INIT;
    struct jw w;
    jw_init(&w, &out);
    jw_obj(&w);
    /* Re-emit every member through the writer: the text must not change. */
    const char *end = js + strlen(js);
    const char *after = json_each_member(js, end, collect, &m, NULL);
    bool walked = after == end;
    const char *s = m.seen.p;
    /* collect wrote "key=value;" pairs; values never hold '=' or ';' here. */
    while (walked && *s) {
        const char *eq = strchr(s, '='), *semi = strchr(eq, ';');
        jw_key_raw(&w, s, (size_t)(eq - s));
        jw_raw(&w, eq + 1, (size_t)(semi - eq - 1));
        s = semi + 1;
    }
    jw_obj_end(&w);
    buf_free(&m.seen);
    bool err = w.err;
    T_TRUE(walked);
    T_FALSE(err);
    T_STR(js, out.p);
    T_TRUE(json_validate(out.p, out.len, NULL));
    buf_free(&out);
}

/* jw refuses what would not be JSON instead of writing it. */
TEST(test_jw_refuses_writes_that_would_make_invalid_json)
{
    static const char *const cases[] = {"key in array", "value without key", "wrong closer",
                                        "two keys", "second top-level value"};
    for (int c = 0; c < 5; c++) {
        struct buf b = BUF_INIT;
        struct jw w;
        jw_init(&w, &b);
        switch (c) {
        case 0:
            jw_arr(&w);
            jw_key(&w, "k");
            break;
        case 1:
            jw_obj(&w);
            jw_int(&w, 1);
            break;
        case 2:
            jw_obj(&w);
            jw_arr_end(&w);
            break;
        case 3:
            jw_obj(&w);
            jw_key(&w, "a");
            jw_key(&w, "b");
            break;
        case 4:
            jw_int(&w, 1);
            jw_int(&w, 2);
            break;
        }
        bool err = w.err;
        buf_free(&b);
        if (!t_bool(true, err, __FILE__, __LINE__, cases[c]))
            return;
    }
}
