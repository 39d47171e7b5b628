/* test_secret_log.c — credentials never reach the user's terminal or log
 * shipper: every registered secret is redacted from every line, in both log
 * formats, and no error message ever quotes one. JSON log lines are JSON. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "secret.h"
#include "t.h"
#include "timeutil.h"

#define PROG "j1-npm-test"

/* Every log test starts from no redactions and the text format, and puts the
 * defaults back (log_setup's defaults: "j1-npm", text, info). */
static void log_begin(enum log_format fmt, enum log_level lvl)
{
    log_clear_redactions();
    log_setup(PROG, fmt, lvl);
}

static void log_end(void)
{
    log_clear_redactions();
    log_setup("j1-npm", LOG_TEXT, LOG_INFO);
    log_set_hooks(NULL, NULL);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Checks every line of out is a JSON object with the four standard members
 * and returns the decoded "msg" of line `want_line` (0-based) in msg. */
static bool json_lines(const struct buf *out, size_t want_lines, size_t want_line, struct buf *msg,
                       const char *file, int line)
{
    const char *p = out->p ? out->p : "", *end = p + out->len;
    size_t n = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return t_fail(file, line, "log output", "the last line has no newline");
        struct jdoc d = JDOC_INIT;
        struct err e = {0};
        if (jdoc_parse(&d, p, (size_t)(nl - p), &e) < 0 || !jdoc_is(&d, 0, JT_OBJECT)) {
            struct buf m = BUF_INIT;
            t_escape(&m, p, (size_t)(nl - p), 200);
            t_fail(file, line, "log line", "expected a JSON object, got %s (%s)", m.p, e.msg);
            buf_free(&m);
            jdoc_free(&d);
            return false;
        }
        struct buf ts = BUF_INIT;
        int64_t when = 0;
        bool ok = jdoc_str(&d, jdoc_get(&d, 0, "time"), &ts) == 0 &&
                  time_parse_iso8601(ts.p, ts.len, &when) && when > 1700000000000LL &&
                  jdoc_is(&d, jdoc_get(&d, 0, "level"), JT_STRING) &&
                  jdoc_streq(&d, jdoc_get(&d, 0, "program"), PROG) &&
                  jdoc_is(&d, jdoc_get(&d, 0, "msg"), JT_STRING);
        if (ok && n == want_line && msg)
            jdoc_str(&d, jdoc_get(&d, 0, "msg"), msg);
        buf_free(&ts);
        jdoc_free(&d);
        if (!ok)
            return t_fail(file, line, "log line", "expected time, level, program and msg members");
        n++;
        p = nl + 1;
    }
    return t_int((long long)want_lines, (long long)n, file, line, "JSON log lines");
}
#define T_JSON_LINES(out, n, i, msg) T_RET(json_lines(&(out), (n), (i), (msg), __FILE__, __LINE__))

TEST(test_log_redacts_a_registered_secret_in_text)
{
    static const char tok[] = "npm_SECRETabc123xyz";
    struct secret s = {0};
    struct err e = {0};
    struct buf out = BUF_INIT;
    log_begin(LOG_TEXT, LOG_INFO);
    int rc = secret_set(&s, tok, strlen(tok), "NPM_TOKEN", &e);
    bool cap = rc == 0 && t_capture_stderr_begin();
    if (cap) {
        log_info("token %s in use", s.value);
        log_warn("auth failed with %s", s.value);
        log_error("x%sy%s", s.value, s.value); /* adjacent to other text, twice */
        log_info("Authorization: Bearer %s", tok);
        t_capture_stderr_end(&out);
    }
    secret_free(&s);
    log_end();
    T_OK(rc, &e);
    T_TRUE(cap);
    T_NOT_CONTAINS(out.p, out.len, tok, strlen(tok));
    T_NOT_CONTAINS(out.p, out.len, "SECRETabc", 9);
    T_INT(5, count(out.p, "[REDACTED]"));
    T_CONTAINS(out.p, PROG ": token [REDACTED] in use\n");
    T_CONTAINS(out.p, PROG ": error: x[REDACTED]y[REDACTED]\n");
    T_CONTAINS(out.p, PROG ": warn");
    buf_free(&out);
}

TEST(test_log_redacts_a_registered_secret_in_json)
{
    static const char tok[] = "J1-api-key-0123456789abcdef";
    struct secret s = {0};
    struct err e = {0};
    struct buf out = BUF_INIT, msg = BUF_INIT;
    log_begin(LOG_JSON, LOG_INFO);
    int rc = secret_set(&s, tok, strlen(tok), "J1_API_KEY", &e);
    bool cap = rc == 0 && t_capture_stderr_begin();
    if (cap) {
        log_info("key %s in use", s.value);
        log_warn("%s", s.value);
        t_capture_stderr_end(&out);
    }
    secret_free(&s);
    log_end();
    T_OK(rc, &e);
    T_TRUE(cap);
    T_NOT_CONTAINS(out.p, out.len, tok, strlen(tok));
    T_JSON_LINES(out, 2, 0, &msg);
    T_BUF("key [REDACTED] in use", msg);
    T_CONTAINS(out.p, "\"level\":\"warn\"");
    buf_free(&out);
    buf_free(&msg);
}

/* A secret holding characters that JSON escapes (quote, backslash) or
 * repairs (invalid UTF-8) must not slip through in its escaped form. */
TEST(test_log_redacts_secrets_that_json_would_escape)
{
    static const char *const toks[] = {"se\"cr\\et42", "tok\xff\3769876", "ab\\u0041cd"};
    for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++) {
        const char *tok = toks[i];
        struct secret s = {0};
        struct err e = {0};
        struct buf out = BUF_INIT, msg = BUF_INIT;
        log_begin(LOG_JSON, LOG_INFO);
        int rc = secret_set(&s, tok, strlen(tok), "TOKEN", &e);
        bool cap = rc == 0 && t_capture_stderr_begin();
        if (cap) {
            log_info("k=%s;", s.value);
            t_capture_stderr_end(&out);
        }
        secret_free(&s);
        log_end();
        bool ok = t_ok(rc, &e, __FILE__, __LINE__, "secret_set") && T_CHECK_BOOL(true, cap) &&
                  json_lines(&out, 1, 0, &msg, __FILE__, __LINE__) &&
                  t_str("k=[REDACTED];", msg.p, __FILE__, __LINE__, tok);
        buf_free(&out);
        buf_free(&msg);
        if (!ok)
            return;
    }
}

TEST(test_log_redacts_the_longest_overlapping_secret)
{
    static const char *const orders[2][2] = {{"abcd1234", "abcd12345678"},
                                             {"abcd12345678", "abcd1234"}};
    for (int o = 0; o < 2; o++) {
        struct buf out = BUF_INIT;
        log_begin(LOG_TEXT, LOG_INFO);
        log_add_redaction(orders[o][0], strlen(orders[o][0]));
        log_add_redaction(orders[o][1], strlen(orders[o][1]));
        log_redact("<abcd12345678> <abcd1234>", 25, &out);
        log_end();
        bool ok = t_str("<[REDACTED]> <[REDACTED]>", out.p, __FILE__, __LINE__, orders[o][0]);
        buf_free(&out);
        if (!ok)
            return;
    }
    /* Registering the same secret twice keeps one copy. */
    struct buf out = BUF_INIT;
    log_begin(LOG_TEXT, LOG_INFO);
    log_add_redaction("same-secret", 11);
    log_add_redaction("same-secret", 11);
    log_redact("same-secretsame-secret", 22, &out);
    log_end();
    /* Adjacent occurrences are one redacted run. */
    T_BUF("[REDACTED]", out);
    buf_free(&out);
}

TEST(test_log_redacts_secrets_in_fields_and_summary)
{
    static const char tok[] = "npm_FieldSecret777";
    struct buf text = BUF_INIT, json = BUF_INIT;
    log_begin(LOG_TEXT, LOG_ERROR); /* the summary shows whatever the level */
    log_add_redaction(tok, strlen(tok));
    bool cap1 = t_capture_stderr_begin();
    if (cap1) {
        log_summary("\"n\":1", "done with %s", tok);
        log_info("hidden at this level %s", tok);
        t_capture_stderr_end(&text);
    }
    log_setup(PROG, LOG_JSON, LOG_INFO);
    bool cap2 = t_capture_stderr_begin();
    if (cap2) {
        log_fields(LOG_INFO, "\"token\":\"npm_FieldSecret777\",\"count\":3", "fetched %d", 3);
        log_summary("\"requests\":10", "summary %s", tok);
        t_capture_stderr_end(&json);
    }
    log_end();
    T_TRUE(cap1 && cap2);
    T_BUF(PROG ": done with [REDACTED]\n", text);
    T_NOT_CONTAINS(json.p, json.len, tok, strlen(tok));
    T_JSON_LINES(json, 2, 0, NULL);
    T_CONTAINS(json.p, "\"token\":\"[REDACTED]\",\"count\":3");
    T_CONTAINS(json.p, "\"requests\":10");
    buf_free(&text);
    buf_free(&json);
}

TEST(test_log_json_lines_parse_as_json)
{
    static const char *const msgs[] = {
        "plain",
        "quote \" backslash \\ slash /",
        "new\nline and tab\t and cr\r",
        "control \x01\x1f and del \x7f",
        "invalid utf-8 \xff\xc0\x80 and valid \xc3\xa9",
        "",
        "{\"looks\":\"like json\"}",
    };
    struct buf out = BUF_INIT, msg = BUF_INIT;
    log_begin(LOG_JSON, LOG_DEBUG);
    bool cap = t_capture_stderr_begin();
    if (cap) {
        for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
            log_msg((enum log_level)(i % 4), "%s", msgs[i]);
        log_fields(LOG_WARN, "\"package\":\"@s/p\",\"status\":404", "fields");
        log_fields(LOG_WARN, "", "no fields");
        log_fields(LOG_WARN, NULL, "null fields");
        t_capture_stderr_end(&out);
    }
    log_end();
    T_TRUE(cap);
    T_JSON_LINES(out, sizeof msgs / sizeof msgs[0] + 3, 2, &msg);
    T_BUF("new\nline and tab\t and cr\r", msg);
    buf_reset(&msg);
    T_JSON_LINES(out, sizeof msgs / sizeof msgs[0] + 3, 4, &msg);
    T_BUF("invalid utf-8 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD and valid \xc3\xa9", msg);
    T_CONTAINS(out.p, "\"level\":\"error\"");
    T_CONTAINS(out.p, "\"level\":\"debug\"");
    T_CONTAINS(out.p, "\"msg\":\"fields\",\"package\":\"@s/p\",\"status\":404}");
    buf_free(&out);
    buf_free(&msg);
}

TEST(test_log_levels_filter_messages)
{
    struct buf out = BUF_INIT;
    enum log_format f = LOG_JSON;
    log_begin(LOG_TEXT, LOG_WARN);
    bool at_warn = log_enabled(LOG_WARN) && !log_enabled(LOG_INFO) && log_enabled(LOG_ERROR);
    enum log_level lvl = log_get_level();
    bool cap = t_capture_stderr_begin();
    if (cap) {
        log_debug("debug line");
        log_info("info line");
        log_warn("warn line");
        log_error("error line");
        t_capture_stderr_end(&out);
    }
    const char *prog = log_program();
    bool prog_ok = strcmp(prog, PROG) == 0;
    int p1 = log_parse_format("json", &f);
    enum log_format f1 = f;
    int p2 = log_parse_format("text", &f);
    enum log_format f2 = f;
    int p3 = log_parse_format("xml", &f);
    log_end();
    T_TRUE(at_warn);
    T_INT(LOG_WARN, lvl);
    T_TRUE(cap);
    T_BUF(PROG ": warning: warn line\n" PROG ": error: error line\n", out);
    T_TRUE(prog_ok);
    T_INT(0, p1);
    T_INT(LOG_JSON, f1);
    T_INT(0, p2);
    T_INT(LOG_TEXT, f2);
    T_INT(-1, p3);
    T_INT(LOG_TEXT, f); /* unchanged by a bad name */
    T_INT(LOG_TEXT, log_get_format());
    buf_free(&out);
}

static int before_calls, after_calls;
static void hook_before(void)
{
    before_calls++;
}
static void hook_after(void)
{
    after_calls++;
}

TEST(test_log_hooks_run_around_each_line)
{
    struct buf out = BUF_INIT;
    before_calls = after_calls = 0;
    log_begin(LOG_TEXT, LOG_INFO);
    log_set_hooks(hook_before, hook_after);
    bool cap = t_capture_stderr_begin();
    if (cap) {
        log_info("one");
        log_debug("suppressed: no redraw either");
        log_warn("two");
        t_capture_stderr_end(&out);
    }
    log_end();
    T_TRUE(cap);
    T_INT(2, before_calls);
    T_INT(2, after_calls);
    buf_free(&out);
}

TEST(test_secret_set_trims_and_refuses_control_characters)
{
    struct secret s = {0};
    struct err e = {0};
    log_begin(LOG_TEXT, LOG_INFO);
    int r1 = secret_set(&s, "  \tnpm_trimmed123 \r\n", 20, "TEST_TOKEN", &e);
    bool trimmed = r1 == 0 && s.len == 14 && strcmp(s.value, "npm_trimmed123") == 0;
    bool present = secret_present(&s);
    bool origin = strcmp(s.origin, "TEST_TOKEN") == 0;
    secret_free(&s);
    bool freed = !secret_present(&s) && s.value == NULL && s.len == 0;
    log_end();
    T_OK(r1, &e);
    T_TRUE(trimmed);
    T_TRUE(present);
    T_TRUE(origin);
    T_TRUE(freed);

    static const char *const bad[] = {"two words",   "line\nbreak",  "crlf\r\nX-Injected: 1",
                                      "tab\tinside", "nul-less\x01", "del\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct err be = {0};
        int rc = secret_set(&s, bad[i], strlen(bad[i]), "TEST_TOKEN", &be);
        secret_free(&s);
        T_RET(t_int(-1, rc, __FILE__, __LINE__, bad[i]));
        T_INT(ERR_USAGE, be.cls);
        T_CONTAINS(be.msg, "TEST_TOKEN");
    }
    struct err ee = {0};
    T_INT(-1, secret_set(&s, " \n ", 3, "TEST_TOKEN", &ee));
    T_CONTAINS(ee.msg, "empty");
    T_FALSE(secret_present(&s));
    log_end();
}

TEST(test_secret_from_env)
{
    struct secret s = {0};
    struct err e = {0};
    log_begin(LOG_TEXT, LOG_INFO);
    unsetenv("J1NPM_T_SECRET");
    T_INT(0, secret_from_env(&s, "J1NPM_T_SECRET", "npm token", &e));
    setenv("J1NPM_T_SECRET", "", 1);
    T_INT(0, secret_from_env(&s, "J1NPM_T_SECRET", "npm token", &e));
    setenv("J1NPM_T_SECRET", "npm_FromEnv123\n", 1);
    int rc = secret_from_env(&s, "J1NPM_T_SECRET", "npm token", &e);
    bool val = rc == 1 && strcmp(s.value, "npm_FromEnv123") == 0;
    bool origin = strstr(s.origin, "J1NPM_T_SECRET") != NULL;
    struct buf red = BUF_INIT;
    log_redact("npm_FromEnv123", 14, &red); /* registered as it was loaded */
    secret_free(&s);
    setenv("J1NPM_T_SECRET", "has space", 1);
    struct err be = {0};
    int bad = secret_from_env(&s, "J1NPM_T_SECRET", "npm token", &be);
    unsetenv("J1NPM_T_SECRET");
    log_end();
    T_INT(1, rc);
    T_TRUE(val);
    T_TRUE(origin);
    T_BUF("[REDACTED]", red);
    buf_free(&red);
    T_INT(-1, bad);
    T_CONTAINS(be.msg, "J1NPM_T_SECRET");
    T_NOT_CONTAINS(be.msg, strlen(be.msg), "has space", 9);
}

TEST(test_secret_from_file_takes_first_line_and_warns_on_mode)
{
    static const char tok[] = "npm_FileToken9876";
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    char *path = path_join(dir, "token");
    struct secret s = {0};
    struct err e = {0};
    struct buf warn = BUF_INIT, quiet = BUF_INIT;
    log_begin(LOG_TEXT, LOG_INFO);
    bool wrote =
        t_write_file(path, "\n\nnpm_FileToken9876  \nsecond-line\n", 33) && chmod(path, 0644) == 0;
    bool cap = wrote && t_capture_stderr_begin();
    int r1 = -1;
    if (cap) {
        r1 = secret_from_file(&s, path, "npm token", &e);
        t_capture_stderr_end(&warn);
    }
    bool val = r1 == 0 && strcmp(s.value, tok) == 0;
    bool origin = r1 == 0 && strstr(s.origin, path) != NULL;
    secret_free(&s);
    int r2 = -1;
    if (chmod(path, 0600) == 0 && t_capture_stderr_begin()) {
        r2 = secret_from_file(&s, path, "npm token", &e);
        t_capture_stderr_end(&quiet);
    }
    secret_free(&s);
    struct err me = {0}, ee = {0};
    char *missing = path_join(dir, "missing");
    int r3 = secret_from_file(&s, missing, "npm token", &me);
    int r4 = t_write_file(path, "\n\n", 2) ? secret_from_file(&s, path, "npm token", &ee) : 0;
    free(missing);
    free(path);
    log_end();
    T_TRUE(cap);
    T_OK(r1, &e);
    T_TRUE(val);
    T_TRUE(origin);
    T_CONTAINS(warn.p, "chmod 600");
    T_NOT_CONTAINS(warn.p, warn.len, tok, strlen(tok));
    T_OK(r2, &e);
    T_BUF("", quiet);
    T_INT(-1, r3);
    T_INT(ERR_USAGE, me.cls);
    T_CONTAINS(me.msg, "missing");
    T_INT(-1, r4);
    T_CONTAINS(ee.msg, "empty");
    buf_free(&warn);
    buf_free(&quiet);
}

/* Blank first lines, as editors leave them (CR LF, spaces, tabs), are
 * skipped; the first line with text is the token, its CR trimmed. */
TEST(test_secret_from_file_skips_blank_crlf_lines)
{
    static const struct {
        const char *text;
        const char *want; /* NULL: refused as empty */
    } cases[] = {
        {"\r\nnpm_Tok1\r\n", "npm_Tok1"},
        {" \t\r\n\r\n  npm_Tok2 \r\nnext\r\n", "npm_Tok2"},
        {"npm_Tok3", "npm_Tok3"},
        {"\r\n \r\n\t\r\n", NULL},
        {"", NULL},
    };
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    char *path = path_join(dir, "token");
    T_TRUE(path != NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct secret s = {0};
        struct err e = {0};
        bool wrote =
            t_write_file(path, cases[i].text, strlen(cases[i].text)) && chmod(path, 0600) == 0;
        int r = wrote ? secret_from_file(&s, path, "npm token", &e) : -2;
        if (cases[i].want) {
            if (r != 0 || strcmp(s.value, cases[i].want) != 0)
                t_fail(__FILE__, __LINE__, NULL, "case %zu: expected %s, got %d (%s)", i,
                       cases[i].want, r, r == 0 ? s.value : e.msg);
        } else if (r != -1 || !strstr(e.msg, "empty")) {
            t_fail(__FILE__, __LINE__, NULL, "case %zu: expected 'empty', got %d", i, r);
        }
        secret_free(&s);
    }
    free(path);
}

TEST(test_secret_error_messages_never_hold_the_value)
{
    static const char *const bad[] = {"npm_Leak 123", "npm_Leak\n123", "npm_Leak\x01",
                                      "npm_Leak\x7f"};
    log_begin(LOG_TEXT, LOG_INFO);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct secret s = {0};
        struct err e = {0};
        int rc = secret_set(&s, bad[i], strlen(bad[i]), "the token from NPM_TOKEN", &e);
        secret_free(&s);
        if (!t_int(-1, rc, __FILE__, __LINE__, bad[i]) ||
            !t_not_contains(e.msg, strlen(e.msg), "npm_Leak", 8, __FILE__, __LINE__, bad[i]) ||
            !t_contains(e.msg, "NPM_TOKEN", __FILE__, __LINE__, bad[i]))
            break;
    }
    log_end();
}

TEST(test_log_redacts_overlapping_secrets_without_a_tail)
{
    struct buf out = BUF_INIT;
    log_begin(LOG_TEXT, LOG_INFO);
    log_add_redaction("AAAA1111", 8);
    log_add_redaction("1111BBBB", 8);
    log_redact("x AAAA1111BBBB y", 16, &out);
    log_end();
    T_BUF("x [REDACTED] y", out);
    buf_free(&out);
}

/* Text from outside (a subject with a newline or a terminal escape) must
 * not forge a log line or drive the terminal. */
TEST(test_log_text_escapes_control_characters)
{
    struct buf out = BUF_INIT;
    log_begin(LOG_TEXT, LOG_INFO);
    bool cap = t_capture_stderr_begin();
    if (cap) {
        log_warn("subject '%s'", "evil\nj1-npm-collect: error: forged\x1b[31m red\r\t"
                                 "\x7f c1:\xc2\x9b bad:\x9b\xff ok:\xc3\xa9\xe2\x9c\xa8");
        t_capture_stderr_end(&out);
    }
    log_end();
    T_TRUE(cap);
    T_STR("j1-npm-test: warning: subject 'evil\\nj1-npm-collect: error: forged\\x1b[31m red\\r\\t"
          "\\x7f c1:\\u009b bad:\\x9b\\xff ok:\xc3\xa9\xe2\x9c\xa8'\n",
          out.p);
    buf_free(&out);
}

/* A server's text that echoes a credential is redacted before any cut:
 * the message buffer holds 512 bytes, the key sits across that boundary. */
TEST(test_err_redacts_before_cutting_to_fit)
{
    static const char key[] = "j1-api-key-0123456789abcdefghijklmnopqrstuvwxyzAB"; /* 49 */
    log_clear_redactions();
    log_add_redaction(key, strlen(key));
    char body[1200];
    memset(body, 'x', sizeof body);
    for (size_t at = 440; at < 520; at += 7) {
        memcpy(body + at, key, strlen(key));
        struct err e = {0};
        err_set(&e, ERR_FAIL, "server said: %.*s", (int)sizeof body, body);
        char head[9];
        memcpy(head, key, 8);
        head[8] = '\0';
        if (strstr(e.msg, head))
            t_fail(__FILE__, __LINE__, NULL, "key at %zu: a piece of it is in the message", at);
        T_TRUE(strlen(e.msg) < sizeof e.msg);
        memset(body + at, 'x', strlen(key));
    }
    log_clear_redactions();
}

/* A secret of any length is redacted, even one of a few bytes. */
TEST(test_log_redacts_short_secrets)
{
    struct buf out = BUF_INIT;
    log_clear_redactions();
    log_add_redaction("Zq7", 3);
    log_redact("token Zq7 here", 14, &out);
    T_BUF("token [REDACTED] here", out);
    log_clear_redactions();
    buf_free(&out);
}

static int put_to_buf(void *ctx, const char *p, size_t n, struct err *e)
{
    (void)e;
    buf_append(ctx, p, n);
    return 0;
}

/* text[0..n) through the streaming redactor in three pieces, split at a
 * and b, into out. */
static int redact_in_three(struct redact_stream *rs, const char *text, size_t n, size_t a, size_t b,
                           struct buf *out)
{
    struct err e = {0};
    int rc = redact_feed(rs, text, a, put_to_buf, out, &e);
    rc |= redact_feed(rs, text + a, b - a, put_to_buf, out, &e);
    rc |= redact_feed(rs, text + b, n - b, put_to_buf, out, &e);
    rc |= redact_end(rs, put_to_buf, out, &e);
    return rc;
}

/* A body streamed in pieces is redacted as if whole: a secret split at any
 * point between two pieces is still found, and nothing else changes. */
TEST(test_redact_stream_finds_secrets_split_across_pieces)
{
    static const char tok[] = "npm_StreamToken0123456789";
    static const char text[] =
        "{\"auth\":\"Bearer npm_StreamToken0123456789\",\"x\":\"npm_Stre\","
        "\"_authToken\":\"npm_StreamToken0123456789\"}npm_StreamToken0123456789";
    static const char want[] = "{\"auth\":\"Bearer [REDACTED]\",\"x\":\"npm_Stre\","
                               "\"_authToken\":\"[REDACTED]\"}[REDACTED]";
    log_clear_redactions();
    log_add_redaction(tok, strlen(tok));
    size_t n = strlen(text);
    bool all_ok = true;
    for (size_t a = 0; a <= n && all_ok; a++) {
        for (size_t b = a; b <= n && all_ok; b += 3) {
            struct redact_stream rs = REDACT_STREAM_INIT;
            struct buf out = BUF_INIT;
            int rc = redact_in_three(&rs, text, n, a, b, &out);
            if (rc != 0 || strcmp(out.p, want) != 0 || rs.hits != 3) {
                t_fail(__FILE__, __LINE__, NULL, "split at %zu,%zu: got %s (%lu hits)", a, b, out.p,
                       rs.hits);
                all_ok = false;
            }
            redact_free(&rs);
            buf_free(&out);
        }
    }
    T_TRUE(log_has_secret(text, n));
    T_FALSE(log_has_secret(want, strlen(want)));
    log_clear_redactions();
}

/* Found by fuzz/redact.c: the streaming redactor replaced one secret and
 * went on after it, so the tail of a secret overlapping it ("aba" then
 * "ba" in "ababa") or of a self-overlapping one ("aa" in "aaa") was
 * written out, where log_redact leaves no tail. Whatever the pieces, it
 * now writes what log_redact writes. */
TEST(test_redact_stream_leaves_no_tail_of_overlapping_secrets)
{
    static const char *const secrets[] = {"aba", "ba", "xx"};
    static const char text[] = "<ababa|xxx|abaxxba|ab>";
    log_clear_redactions();
    for (size_t k = 0; k < 3; k++)
        log_add_redaction(secrets[k], strlen(secrets[k]));
    struct buf want = BUF_INIT;
    log_redact(text, strlen(text), &want);
    T_STR("<[REDACTED]|[REDACTED]|[REDACTED]|ab>", want.p);
    size_t n = strlen(text);
    bool all_ok = true;
    for (size_t a = 0; a <= n && all_ok; a++) {
        for (size_t b = a; b <= n && all_ok; b++) {
            struct redact_stream rs = REDACT_STREAM_INIT;
            struct buf out = BUF_INIT;
            int rc = redact_in_three(&rs, text, n, a, b, &out);
            if (rc != 0 || strcmp(out.p, want.p) != 0 || rs.hits != 3) {
                t_fail(__FILE__, __LINE__, NULL, "split at %zu,%zu: got %s (%lu hits)", a, b, out.p,
                       rs.hits);
                all_ok = false;
            }
            redact_free(&rs);
            buf_free(&out);
        }
    }
    buf_free(&want);
    log_clear_redactions();
}
