/* test_npmvalue.c — npm's value rules as transform applies them
 * (transform/npmvalue.c): names, emails, people, permissions, web links. */
#include <string.h>

#include "t.h"
#include "transform/npmvalue.h"

TEST(test_npm_name_is_1_to_428_bytes_without_control_bytes)
{
    char longest[430];
    memset(longest, 'a', sizeof longest);
    T_TRUE(npm_name_ok("alice", 5));
    T_TRUE(npm_name_ok("@acme/core", 10));
    T_TRUE(npm_name_ok("acme:developers", 15));
    T_TRUE(npm_name_ok(longest, 428));
    T_FALSE(npm_name_ok(longest, 429));
    T_FALSE(npm_name_ok("", 0));
    T_FALSE(npm_name_ok("a\0b", 3));
    T_FALSE(npm_name_ok("a\nb", 3));
    T_FALSE(npm_name_ok("a\x7f", 2));
    T_TRUE(npm_name_ok("caf\xc3\xa9", 5)); /* UTF-8 is a name's own business */
}

TEST(test_npm_email_is_trimmed_and_lower_cased_when_valid)
{
    static const struct {
        const char *in, *out; /* out NULL: refused */
    } cases[] = {
        {"Alice@Acme.Example", "alice@acme.example"},
        {"  bob@acme.example \n", "bob@acme.example"},
        {"o'brien+npm@mail.acme-corp.example", "o'brien+npm@mail.acme-corp.example"},
        {"first.last@a.b", "first.last@a.b"},
        {"alice", NULL},
        {"@acme.example", NULL},
        {"alice@", NULL},
        {"alice@localhost", NULL},     /* one label */
        {"alice@acme..example", NULL}, /* an empty label */
        {"alice@-acme.example", NULL}, /* a label starting with '-' */
        {"alice@acme-.example", NULL}, /* or ending with it */
        {".alice@acme.example", NULL}, /* dots not at the ends of the local part */
        {"alice.@acme.example", NULL},
        {"al..ice@acme.example", NULL}, /* nor doubled */
        {"al ice@acme.example", NULL},
        {"alice@acme.example>", NULL},
        {"alice@ac_me.example", NULL},
        {"Alice <alice@acme.example>", NULL},
    };
    struct buf out = BUF_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool ok = npm_email_normalize(cases[i].in, strlen(cases[i].in), &out);
        if (!t_bool(cases[i].out != NULL, ok, __FILE__, __LINE__, cases[i].in) ||
            (ok && !t_str(cases[i].out, out.p, __FILE__, __LINE__, cases[i].in)) ||
            (!ok && !t_int(0, (long long)out.len, __FILE__, __LINE__, cases[i].in)))
            break;
    }
    buf_free(&out);
}

TEST(test_npm_email_lengths_are_bounded)
{
    char local[80], addr[300];
    struct buf out = BUF_INIT;
    memset(local, 'a', sizeof local);
    memcpy(addr, local, 64);
    memcpy(addr + 64, "@x.example", 11);
    T_CHECK_BOOL(true, npm_email_normalize(addr, strlen(addr), &out)); /* local part of 64 */
    memcpy(addr, local, 65);
    memcpy(addr + 65, "@x.example", 11);
    T_CHECK_BOOL(false, npm_email_normalize(addr, strlen(addr), &out)); /* of 65 */
    /* 254 bytes in all is the most: "a@" and 25 labels of 9 and one more */
    size_t n = 0;
    addr[n++] = 'a';
    addr[n++] = '@';
    for (int k = 0; k < 25; k++, n += 10)
        memcpy(addr + n, "abcdefghi.", 10);
    memcpy(addr + n, "abc", 3);
    T_CHECK_BOOL(true, npm_email_normalize(addr, n + 2, &out));
    T_CHECK_BOOL(false, npm_email_normalize(addr, n + 3, &out));
    /* a NUL is no byte of an address (it would cut the address short when written) */
    T_CHECK_BOOL(false, npm_email_normalize("a\0b@x.example", 13, &out));
    T_CHECK_BOOL(false, npm_email_normalize("ab@x.exam\0ple", 14, &out));
    buf_free(&out);
}

static void person_str(const char *in, int rc, const char *name, const char *email)
{
    struct buf n = BUF_INIT, e = BUF_INIT;
    int got = npm_person_string(in, &n, &e);
    if (t_int(rc, got, __FILE__, __LINE__, in) && rc == 0) {
        t_str(name, n.p, __FILE__, __LINE__, in);
        t_str(email, e.p, __FILE__, __LINE__, in);
    }
    buf_free(&n);
    buf_free(&e);
}

TEST(test_npm_person_string_gives_the_name_and_a_valid_email)
{
    person_str("Alice <Alice@Acme.Example> (https://alice.example)", 0, "Alice",
               "alice@acme.example");
    /* the name is taken as it stands: only the email is lower-cased */
    person_str("Alice Smith <alice@acme.example>", 0, "Alice Smith", "alice@acme.example");
    person_str("bob", 0, "bob", "");
    person_str("bob (https://bob.example)", 0, "bob", "");
    person_str("carol <not an email>", 0, "carol", "");
    person_str("dave <dave@acme.example", 0, "dave", ""); /* no closing '>' */
    person_str("<alice@acme.example>", -1, NULL, NULL);   /* no name */
    person_str("", -1, NULL, NULL);
    person_str("   ", -1, NULL, NULL);
}

static int person_json(const char *json, struct buf *n, struct buf *e)
{
    struct jdoc d = JDOC_INIT;
    int rc = jdoc_parse(&d, json, strlen(json), NULL) == 0 ? npm_person(&d, 0, n, e) : -2;
    jdoc_free(&d);
    return rc;
}

TEST(test_npm_person_object_needs_a_name_and_keeps_a_valid_email)
{
    struct buf n = BUF_INIT, e = BUF_INIT;
    T_CHECK_INT(0, person_json("{\"name\":\"alice\",\"email\":\"ALICE@acme.example\"}", &n, &e));
    T_CHECK_BOOL(true, strcmp(n.p, "alice") == 0 && strcmp(e.p, "alice@acme.example") == 0);
    T_CHECK_INT(0, person_json("{\"name\":\"bob\",\"email\":\"bob at acme\"}", &n, &e));
    T_CHECK_BOOL(true, strcmp(n.p, "bob") == 0 && e.len == 0);
    T_CHECK_INT(0, person_json("{\"name\":\"bob\",\"email\":7}", &n, &e));
    T_CHECK_BOOL(true, e.len == 0);
    T_CHECK_INT(0, person_json("\"carol <carol@acme.example>\"", &n, &e));
    T_CHECK_BOOL(true, strcmp(n.p, "carol") == 0 && strcmp(e.p, "carol@acme.example") == 0);
    T_CHECK_INT(-1, person_json("{\"email\":\"x@acme.example\"}", &n, &e));
    T_CHECK_INT(-1, person_json("{\"name\":\"\"}", &n, &e));
    T_CHECK_INT(-1, person_json("{\"name\":\"a\\u0000b\"}", &n, &e));
    T_CHECK_INT(-1, person_json("{\"name\":42}", &n, &e));
    T_CHECK_INT(-1, person_json("[\"alice\"]", &n, &e));
    T_CHECK_INT(-1, person_json("null", &n, &e));
    buf_free(&n);
    buf_free(&e);
}

TEST(test_npm_perm_read_and_write_become_read_only_and_read_write)
{
    T_STR("read-only", npm_perm_normalize("read"));
    T_STR("read-write", npm_perm_normalize("write"));
    T_STR("read-only", npm_perm_normalize("read-only"));
    T_STR("read-write", npm_perm_normalize("read-write"));
    T_STR("admin", npm_perm_normalize("admin")); /* kept as it is */
    T_STR("", npm_perm_normalize(""));
}

TEST(test_npm_weblink_encodes_all_but_the_characters_of_npm_names)
{
    struct buf b = BUF_INIT;
    npm_weblink(&b, "package/", "@acme/core-lib_v2.x~");
    T_CHECK_BOOL(true, strcmp(b.p, "https://www.npmjs.com/package/@acme/core-lib_v2.x~") == 0);
    npm_weblink(&b, "~", "al ice%");
    T_CHECK_BOOL(true, strcmp(b.p, "https://www.npmjs.com/~al%20ice%25") == 0);
    npm_weblink(&b, "settings/acme/teams/team/", "d\xc3\xa9v");
    T_CHECK_BOOL(true, strcmp(b.p, "https://www.npmjs.com/settings/acme/teams/team/d%C3%A9v") == 0);
    buf_free(&b);
}
