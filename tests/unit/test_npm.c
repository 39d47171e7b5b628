/* test_npm.c — the npm registry knowledge: the name rules, the "org:team"
 * split, the list walker over every answer shape, and the request paths. */
#include <string.h>

#include "npm.h"
#include "t.h"

/* Collects what the walker hands out as "name=value;" (a non-string as
 * "<ns>"), stopping after stop_after entries when that is not 0. */
struct seen {
    struct buf out;
    int calls, stop_after;
};

static int collect_entry(void *ctx, const char *name, size_t n, const char *value, size_t vn)
{
    struct seen *s = ctx;
    s->calls++;
    if (name)
        buf_append(&s->out, name, n);
    else
        buf_puts(&s->out, "<ns>");
    if (!value)
        buf_puts(&s->out, "=<ns>");
    else if (vn)
        buf_putc(&s->out, '='), buf_append(&s->out, value, vn);
    buf_putc(&s->out, ';');
    return s->stop_after && s->calls >= s->stop_after ? -1 : 0;
}

static bool walk_is(const char *body, enum npm_shape shape, unsigned flags,
                    enum npm_list_status want_st, const char *want_seen, const char *want_msg,
                    const char *file, int line)
{
    struct seen s = {BUF_INIT, 0, 0};
    struct err e = {0};
    enum npm_list_status st =
        npm_list_walk(body, strlen(body), shape, flags, collect_entry, &s, &e);
    bool ok = t_int(want_st, st, file, line, body) && t_str(want_seen, s.out.p, file, line, body) &&
              (!want_msg || t_contains(e.msg, want_msg, file, line, body));
    buf_free(&s.out);
    return ok;
}
#define T_WALK(body, shape, flags, st, seen, msg)                                                  \
    T_RET(walk_is((body), (shape), (flags), (st), (seen), (msg), __FILE__, __LINE__))

TEST(test_npm_name_rule_is_one_to_428_bytes_without_control_characters)
{
    char name[NPM_NAME_MAX + 2];
    memset(name, 'a', sizeof name);
    T_TRUE(npm_name_ok("alice", 5));
    T_TRUE(npm_name_ok("@scope/name", 11));
    T_TRUE(npm_name_ok(name, NPM_NAME_MAX));
    T_FALSE(npm_name_ok(name, NPM_NAME_MAX + 1));
    T_FALSE(npm_name_ok("", 0));
    T_FALSE(npm_name_ok("al\0ice", 6));
    T_FALSE(npm_name_ok("al\nice", 6));
    T_FALSE(npm_name_ok("al\x7fice", 6));
    T_TRUE(npm_name_ok("\xc3\xa9t\xc3\xa9", 5)); /* UTF-8 is fine */
    T_INT(428, NPM_NAME_MAX);                    /* scope + name, 214 bytes each */
}

TEST(test_npm_org_name_is_1_to_214_ascii_letters_digits_dashes_underscores_and_dots)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    char name[NPM_ORG_MAX + 1];
    memset(name, 'a', sizeof name);
    T_TRUE(npm_org_name_ok("acme", 4));
    T_TRUE(npm_org_name_ok("Acme_Corp-2.0", 13));
    T_TRUE(npm_org_name_ok(name, NPM_ORG_MAX));
    T_FALSE(npm_org_name_ok(name, NPM_ORG_MAX + 1));
    T_FALSE(npm_org_name_ok("", 0));
    T_FALSE(npm_org_name_ok("@acme", 5)); /* collect drops a leading @ first */
    T_FALSE(npm_org_name_ok("acme/x", 6));
    T_FALSE(npm_org_name_ok("acme:devs", 9));
    T_FALSE(npm_org_name_ok("ac me", 5));
    T_FALSE(npm_org_name_ok("ac\0me", 5));
    T_FALSE(npm_org_name_ok("\xc3\xa9t\xc3\xa9", 5)); /* ASCII only */
    for (int c = 0; c < 256; c++) {
        char b = (char)c;
        bool want = c != 0 && strchr(allowed, c) != NULL;
        if (npm_org_name_ok(&b, 1) != want)
            T_FAIL("byte 0x%02x: expected %s", c, want ? "allowed" : "refused");
    }
    T_INT(214, NPM_ORG_MAX);
}

TEST(test_npm_team_splits_at_the_first_colon_and_bare_names_belong_to_the_org)
{
    struct npm_team t = npm_team_split("acme:devs", 9, "other");
    T_MEM("acme", 4, t.org, t.org_len);
    T_MEM("devs", 4, t.name, t.name_len);
    t = npm_team_split("acme:a:b", 8, "other");
    T_MEM("acme", 4, t.org, t.org_len);
    T_MEM("a:b", 3, t.name, t.name_len);
    t = npm_team_split("devs", 4, "acme");
    T_MEM("acme", 4, t.org, t.org_len);
    T_MEM("devs", 4, t.name, t.name_len);
    t = npm_team_split(":devs", 5, "acme");
    T_MEM("", 0, t.org, t.org_len);
    T_MEM("devs", 4, t.name, t.name_len);
}

TEST(test_npm_walker_hands_out_every_shape_in_document_order)
{
    T_WALK("{\"alice\":\"owner\",\"bob\":\"developer\"}", NPM_ROSTER, 0, NPM_LIST_OK,
           "alice=owner;bob=developer;", NULL);
    T_WALK(" [\"acme:devs\" , \"acme:ops\"] ", NPM_TEAMS, 0, NPM_LIST_OK, "acme:devs;acme:ops;",
           NULL);
    T_WALK("{\"@acme/a\":\"read-write\"}", NPM_PACKAGES, 0, NPM_LIST_OK, "@acme/a=read-write;",
           NULL);
    T_WALK("[\"alice\"]", NPM_TEAM_MEMBERS, 0, NPM_LIST_OK, "alice;", NULL);
    T_WALK("{\"a\":\"read\"}", NPM_TEAM_PACKAGES, 0, NPM_LIST_OK, "a=read;", NULL);
    T_WALK("{\"carol\":\"write\"}", NPM_COLLABORATORS, 0, NPM_LIST_OK, "carol=write;", NULL);
    T_WALK("{}", NPM_ROSTER, 0, NPM_LIST_OK, "", NULL);
    T_WALK("[ ]", NPM_TEAMS, 0, NPM_LIST_OK, "", NULL);
}

TEST(test_npm_walker_decodes_escaped_names_and_values)
{
    T_WALK("{\"al\\u0069ce\":\"own\\u0065r\"}", NPM_ROSTER, 0, NPM_LIST_OK, "alice=owner;", NULL);
    T_WALK("[\"acme:d\\\"q\"]", NPM_TEAMS, 0, NPM_LIST_OK, "acme:d\"q;", NULL);
    /* An escaped NUL is handed out as it is: the name rule refuses it. */
    struct seen s = {BUF_INIT, 0, 0};
    struct err e = {0};
    const char *body = "[\"a\\u0000b\"]";
    T_INT(NPM_LIST_OK,
          npm_list_walk(body, strlen(body), NPM_TEAM_MEMBERS, 0, collect_entry, &s, &e));
    T_MEM("a\0b;", 4, s.out.p, s.out.len);
    buf_free(&s.out);
}

TEST(test_npm_walker_dedupe_hands_out_a_repeated_name_once)
{
    T_WALK("[\"a\",\"b\",\"a\"]", NPM_TEAMS, NPM_LIST_DEDUPE, NPM_LIST_OK, "a;b;", NULL);
    T_WALK("{\"a\":\"x\",\"a\":\"y\"}", NPM_PACKAGES, NPM_LIST_DEDUPE, NPM_LIST_OK, "a=x;", NULL);
    T_WALK("[\"a\",\"a\"]", NPM_TEAMS, 0, NPM_LIST_OK, "a;a;", NULL);
}

TEST(test_npm_walker_says_which_shape_was_expected)
{
    T_WALK("[\"alice\"]", NPM_ROSTER, 0, NPM_LIST_WRONG_TYPE, "",
           "unexpected shape: the org roster must be an object {user: role}");
    T_WALK("{\"a\":\"b\"}", NPM_TEAMS, 0, NPM_LIST_WRONG_TYPE, "",
           "unexpected shape: the team list must be an array of \"org:team\" strings");
    T_WALK("null", NPM_COLLABORATORS, 0, NPM_LIST_WRONG_TYPE, "",
           "collaborators must be an object {user: permission}");
    T_WALK("[\"a\",5]", NPM_TEAM_MEMBERS, 0, NPM_LIST_NOT_STRING, "a;",
           "unexpected shape: a team's member list must be an array of user names");
    T_WALK("{\"alice\":\"owner\",\"mallory\":7}", NPM_ROSTER, 0, NPM_LIST_NOT_STRING,
           "alice=owner;", "unexpected shape: the role of 'mallory' is not a string");
    T_WALK("{\"p\":null}", NPM_TEAM_PACKAGES, 0, NPM_LIST_NOT_STRING, "",
           "the permission of 'p' is not a string");
}

TEST(test_npm_walker_reports_invalid_json_with_its_byte)
{
    T_WALK("", NPM_ROSTER, 0, NPM_LIST_INVALID, "", "invalid JSON at byte 0");
    T_WALK("{\"a\":\"b\",", NPM_ROSTER, 0, NPM_LIST_INVALID, "a=b;", "invalid JSON at byte 9");
    T_WALK("{\"a\":\"b\"} x", NPM_ROSTER, 0, NPM_LIST_INVALID, "a=b;", "invalid JSON at byte 10");
    T_WALK("[\"a\" \"b\"]", NPM_TEAMS, 0, NPM_LIST_INVALID, "a;", "invalid JSON at byte 5");
    T_WALK("[\"a\",]", NPM_TEAMS, 0, NPM_LIST_INVALID, "a;", "invalid JSON at byte 5");
    T_WALK("[\"a\"]]", NPM_TEAMS, 0, NPM_LIST_INVALID, "a;", "invalid JSON at byte 5");
    T_WALK("[\"a", NPM_TEAMS, 0, NPM_LIST_INVALID, "", "invalid JSON");
    T_WALK("[", NPM_TEAMS, 0, NPM_LIST_INVALID, "", "invalid JSON");
    /* Invalid JSON wins over a wrong shape, wherever it is. */
    T_WALK("{\"a\":1", NPM_TEAMS, 0, NPM_LIST_INVALID, "", "invalid JSON");
    T_WALK("[1, \"x", NPM_TEAMS, 0, NPM_LIST_INVALID, "", "invalid JSON");
    T_WALK("[\"\\x\"]", NPM_TEAMS, 0, NPM_LIST_INVALID, "", "invalid JSON");
    T_WALK("[\"\xff\"]", NPM_TEAMS, 0, NPM_LIST_INVALID, "", "invalid JSON");
}

TEST(test_npm_walker_lenient_hands_out_entries_that_are_not_strings)
{
    T_WALK("[\"a\",5,{\"x\":1},\"b\"]", NPM_TEAMS, NPM_LIST_LENIENT, NPM_LIST_OK, "a;<ns>;<ns>;b;",
           NULL);
    T_WALK("{\"a\":1,\"b\":\"r\"}", NPM_COLLABORATORS, NPM_LIST_LENIENT, NPM_LIST_OK, "a=<ns>;b=r;",
           NULL);
}

TEST(test_npm_walker_stops_when_the_callback_says_so)
{
    struct seen s = {BUF_INIT, 0, 1};
    struct err e = {0};
    const char *arr = "[\"a\",\"b\"]", *obj = "{\"a\":\"x\",\"b\":\"y\"}";
    T_INT(NPM_LIST_STOPPED, npm_list_walk(arr, strlen(arr), NPM_TEAMS, 0, collect_entry, &s, &e));
    T_INT(1, s.calls);
    s.calls = 0;
    T_INT(NPM_LIST_STOPPED, npm_list_walk(obj, strlen(obj), NPM_ROSTER, 0, collect_entry, &s, &e));
    T_INT(1, s.calls);
    T_STR("", e.msg); /* the callback's business */
    buf_free(&s.out);
}

TEST(test_npm_shapes_describe_themselves)
{
    T_TRUE(npm_shape_is_object(NPM_ROSTER));
    T_FALSE(npm_shape_is_object(NPM_TEAMS));
    T_FALSE(npm_shape_is_object(NPM_TEAM_MEMBERS));
    T_STR("role", npm_shape_value(NPM_ROSTER));
    T_STR("access", npm_shape_value(NPM_PACKAGES));
    T_STR("permission", npm_shape_value(NPM_COLLABORATORS));
    T_STR("", npm_shape_value(NPM_TEAMS));
    T_STR("a team's package permissions must be an object {package: permission}",
          npm_shape_desc(NPM_TEAM_PACKAGES));
}

static bool path_is(enum dump_kind k, const char *subject, const char *want, const char *file,
                    int line)
{
    struct buf b = BUF_INIT;
    npm_request_path(&b, k, "acme", subject);
    bool ok = t_str(want, b.p, file, line, subject);
    buf_free(&b);
    return ok;
}
#define T_PATH(k, subject, want) T_RET(path_is((k), (subject), (want), __FILE__, __LINE__))

TEST(test_npm_request_paths_escape_names_as_the_npm_cli_does)
{
    T_PATH(K_WHOAMI, "acme", "/-/whoami");
    T_PATH(K_ORG_USERS, "acme", "/-/org/acme/user");
    T_PATH(K_ORG_TEAMS, "ac me", "/-/org/ac%20me/team?format=cli");
    T_PATH(K_ORG_PACKAGES, "acme", "/-/org/acme/package");
    T_PATH(K_TEAM_USERS, "acme:dev ops", "/-/team/acme/dev%20ops/user?format=cli");
    T_PATH(K_TEAM_PACKAGES, "other:devs", "/-/team/other/devs/package");
    T_PATH(K_TEAM_PACKAGES, "devs", "/-/team/acme/devs/package");
    T_PATH(K_USER_PROFILES, "al/ice", "/-/user/org.couchdb.user:al%2Fice");
    T_PATH(K_PACKAGE_VISIBILITY, "@acme/a", "/-/package/@acme%2fa/visibility");
    T_PATH(K_PACKAGE_COLLABORATORS, "left-pad", "/-/package/left-pad/collaborators");
    T_PATH(K_PACKUMENTS, "@acme/a b", "/@acme%2fa%20b");
}
