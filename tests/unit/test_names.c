/* test_names.c — the reader of list answers (transform/names.c): the org
 * roster, team lists, members, permissions, collaborators. */
#include <string.h>

#include "t.h"
#include "transform/names.h"

struct seen {
    struct buf got; /* "name=value;" per visit */
    int stop_at;    /* the visit that fails, 0: none */
    int n;
};

static int visit(void *ctx, const char *name, size_t n, const char *value, struct err *e)
{
    struct seen *s = ctx;
    if (strlen(name) != n)
        return err_set(e, ERR_FAIL, "name length");
    buf_printf(&s->got, "%s=%s;", name, value);
    if (++s->n == s->stop_at)
        return err_set(e, ERR_FAIL, "stopped by the visitor");
    return 0;
}

#define obj NPM_ROSTER
#define arr NPM_TEAM_MEMBERS

static int walk(enum npm_shape shape, const char *body, struct seen *s, struct err *e)
{
    return names_walk(body, strlen(body), "f.ndjson.gz:3", shape, visit, s, e);
}

TEST(test_names_an_object_hands_each_name_and_value_in_order)
{
    struct seen s = {BUF_INIT, 0, 0};
    struct err e = {0};
    T_CHECK_INT(0,
                walk(obj, " {\"bob\":\"admin\",\"al\\u0069ce\":\"owner\",\"bob\":\"x\"} ", &s, &e));
    /* repeats are handed on: the caller decides what one means */
    T_CHECK_BOOL(true, strcmp(s.got.p, "bob=admin;alice=owner;bob=x;") == 0);
    buf_reset(&s.got);
    s.n = 0;
    s.stop_at = 1;
    T_CHECK_INT(-1, walk(obj, "{\"a\":\"1\",\"b\":\"2\"}", &s, &e));
    T_CHECK_BOOL(true, strcmp(e.msg, "stopped by the visitor") == 0);
    T_CHECK_BOOL(true, strcmp(s.got.p, "a=1;") == 0);
    buf_free(&s.got);
}

TEST(test_names_an_array_hands_each_name)
{
    struct seen s = {BUF_INIT, 0, 0};
    struct err e = {0};
    T_CHECK_INT(0, walk(arr, "[\"acme:core\",\"acme:devs\"]", &s, &e));
    T_CHECK_BOOL(true, strcmp(s.got.p, "acme:core=;acme:devs=;") == 0);
    buf_reset(&s.got);
    T_CHECK_INT(0, walk(arr, "[]", &s, &e));
    T_CHECK_INT(0, s.got.len);
    buf_free(&s.got);
}

TEST(test_names_an_empty_name_is_skipped_with_one_warning)
{
    struct seen s = {BUF_INIT, 0, 0};
    struct err e = {0};
    struct buf log = BUF_INIT;
    T_TRUE(t_capture_stderr_begin());
    int rc = walk(obj, "{\"\":\"a\",\"x\":\"b\",\"\":\"c\"}", &s, &e);
    t_capture_stderr_end(&log);
    T_CHECK_INT(0, rc);
    T_CHECK_BOOL(true, strcmp(s.got.p, "x=b;") == 0);
    const char *first = strstr(log.p, "f.ndjson.gz:3: an empty name in the list; ignored");
    T_CHECK_BOOL(true, first && !strstr(first + 20, "an empty name"));
    buf_free(&log);
    buf_free(&s.got);
}

TEST(test_names_bad_shapes_and_invalid_json_name_the_record)
{
    static const struct {
        enum npm_shape shape;
        const char *body, *msg;
    } cases[] = {
        {obj, "[\"alice\"]",
         "f.ndjson.gz:3: unexpected shape: the org roster must be an object {user: role}"},
        {obj, "{\"alice\":1}",
         "f.ndjson.gz:3: unexpected shape: the role of 'alice' is not a string"},
        {obj, "{\"a\\u0000b\":\"x\"}",
         "f.ndjson.gz:3: unexpected shape: the org roster must be an object {user: role}; "
         "'a\\x00b' is not a name npm allows (3 bytes; at most 428, no control character)"},
        {obj, "{\"alice\":\"x\"", "f.ndjson.gz:3: invalid JSON at byte 12"},
        {obj, "{\"alice\":\"x\"} {}", "f.ndjson.gz:3: invalid JSON at byte 14"},
        {arr, "{\"alice\":\"x\"}",
         "f.ndjson.gz:3: unexpected shape: a team's member list must be an array of user names"},
        {arr, "[\"alice\",7]",
         "f.ndjson.gz:3: unexpected shape: a team's member list must be an array of user names"},
        {arr, "[\"a\\nb\"]",
         "f.ndjson.gz:3: unexpected shape: a team's member list must be an array of user names; "
         "'a\\nb' is not a name npm allows (3 bytes; at most 428, no control character)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct seen s = {BUF_INIT, 0, 0};
        struct err e = {0};
        T_CHECK_INT(-1, walk(cases[i].shape, cases[i].body, &s, &e));
        t_str(cases[i].msg, e.msg, __FILE__, __LINE__, cases[i].body);
        buf_free(&s.got);
    }
    /* invalid JSON that is not an object is reported as invalid JSON */
    struct seen s = {BUF_INIT, 0, 0};
    struct err e = {0};
    T_CHECK_INT(-1, walk(obj, "[\"a\"", &s, &e));
    T_CHECK_BOOL(true, strncmp(e.msg, "f.ndjson.gz:3: ", 15) == 0);
    T_CHECK_BOOL(true, strstr(e.msg, "unexpected shape") == NULL);
    buf_free(&s.got);
}
