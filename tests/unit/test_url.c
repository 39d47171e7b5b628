/* test_url.c — base URLs, loopback detection (plain http is only allowed
 * there) and the percent-encoding of package names in request paths. */
#include <string.h>

#include "t.h"
#include "url.h"

static bool enc_is(bool package, const char *in, const char *want, const char *file, int line)
{
    struct buf b = BUF_INIT;
    int rc = package ? url_encode_package(&b, in) : url_encode(&b, in);
    bool ok = t_int(0, rc, file, line, in) && t_str(want, b.p, file, line, in);
    buf_free(&b);
    return ok;
}
#define T_ENC_PKG(in, want) T_RET(enc_is(true, (in), (want), __FILE__, __LINE__))
#define T_ENC(in, want) T_RET(enc_is(false, (in), (want), __FILE__, __LINE__))

static bool parse_ok(const char *s, struct url *u, const char *file, int line)
{
    struct err e = {0};
    return t_ok(url_parse(s, u, &e), &e, file, line, s);
}
#define T_PARSE_URL(s, u) T_RET(parse_ok((s), (u), __FILE__, __LINE__))

static bool parse_refused(const char *s, const char *why, const char *file, int line)
{
    struct url u;
    struct err e = {0};
    if (!t_int(-1, url_parse(s, &u, &e), file, line, s) || !t_int(ERR_USAGE, e.cls, file, line, s))
        return false;
    return !why || t_contains(e.msg, why, file, line, s);
}
#define T_REFUSED(s, why) T_RET(parse_refused((s), (why), __FILE__, __LINE__))

TEST(test_url_encode_package_scoped_name)
{
    T_ENC_PKG("@scope/name", "@scope%2fname");
    T_ENC_PKG("@jupiterone/data-model", "@jupiterone%2fdata-model");
    T_ENC_PKG("lodash", "lodash");
    T_ENC_PKG("lodash.merge", "lodash.merge");
    T_ENC_PKG("a_b~c-d", "a_b~c-d");
    T_ENC_PKG("a@b", "a%40b"); /* '@' is kept only at the start */
    T_ENC_PKG("@s/n@1.0.0", "@s%2fn%401.0.0");
    T_ENC_PKG("@s/a/b", "@s%2fa%2fb");
    T_ENC_PKG("", "");
}

TEST(test_url_encode_reserved_characters)
{
    T_ENC("a b/c?d#e", "a%20b%2Fc%3Fd%23e");
    T_ENC(":/?#[]@!$&'()*+,;=%", "%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25");
    T_ENC("\"<>\\^`{|}", "%22%3C%3E%5C%5E%60%7B%7C%7D");
    T_ENC("\t\n\x7f", "%09%0A%7F");
    T_ENC("AZaz09-._~", "AZaz09-._~");
    T_ENC("@scope/name", "%40scope%2Fname");
    T_ENC_PKG("@scope/na me?", "@scope%2fna%20me%3F");
}

TEST(test_url_encode_unicode_bytes)
{
    T_ENC("\xC3\xA9", "%C3%A9");
    T_ENC("\xE2\x82\xAC", "%E2%82%AC");
    T_ENC("\xF0\x9F\x98\x80", "%F0%9F%98%80");
    T_ENC("\xFF\x80", "%FF%80"); /* invalid UTF-8 too: every byte */
    T_ENC_PKG("@sc\xC3\xB6pe/n\xC3\xA4me", "@sc%C3%B6pe%2fn%C3%A4me");
}

TEST(test_url_parse_splits_a_base_url)
{
    struct url u;
    T_PARSE_URL("https://registry.npmjs.org/", &u);
    T_STR("https", u.scheme);
    T_STR("registry.npmjs.org", u.host);
    T_INT(0, u.port);
    T_STR("/", u.path);
    T_PARSE_URL("HTTPS://Registry.NPMJS.org", &u); /* scheme and host are case-insensitive */
    T_STR("https", u.scheme);
    T_STR("registry.npmjs.org", u.host);
    T_STR("/", u.path);
    T_PARSE_URL("http://127.0.0.1/", &u);
    T_STR("http", u.scheme);
    T_STR("127.0.0.1", u.host);
}

TEST(test_url_parse_normalises_path_to_end_in_slash)
{
    struct url u;
    T_PARSE_URL("https://npm.example.com/artifactory/api/npm/npm", &u);
    T_STR("/artifactory/api/npm/npm/", u.path);
    T_PARSE_URL("https://npm.example.com/artifactory/api/npm/npm/", &u);
    T_STR("/artifactory/api/npm/npm/", u.path);
    T_PARSE_URL("https://npm.example.com", &u);
    T_STR("/", u.path);
    T_PARSE_URL("https://npm.example.com:8443", &u);
    T_STR("/", u.path);
    T_PARSE_URL("https://npm.example.com/Case/Kept", &u);
    T_STR("/Case/Kept/", u.path);
}

TEST(test_url_parse_keeps_port_and_ipv6)
{
    struct url u;
    T_PARSE_URL("http://localhost:4873/", &u);
    T_STR("localhost", u.host);
    T_INT(4873, u.port);
    T_PARSE_URL("https://registry.npmjs.org:443/", &u);
    T_INT(443, u.port);
    T_PARSE_URL("http://host:1", &u);
    T_INT(1, u.port);
    T_PARSE_URL("http://host:65535/p", &u);
    T_INT(65535, u.port);
    T_STR("/p/", u.path);
    T_PARSE_URL("http://[::1]:8080/x", &u);
    T_STR("::1", u.host);
    T_INT(8080, u.port);
    T_STR("/x/", u.path);
    T_PARSE_URL("https://[2001:DB8::1]/", &u);
    T_STR("2001:db8::1", u.host);
    T_INT(0, u.port);
}

TEST(test_url_parse_rejects_userinfo)
{
    T_REFUSED("https://user:password@registry.npmjs.org/", "credentials");
    T_REFUSED("https://npm_token@registry.npmjs.org/", "credentials");
    T_REFUSED("https://@registry.npmjs.org/", "credentials");
    T_REFUSED("https://user:pw@host:8080/path/", "credentials");
    /* The message must not repeat the credentials. */
    struct url u;
    struct err e = {0};
    T_INT(-1, url_parse("https://alice:hunter22@registry.npmjs.org/", &u, &e));
    T_NOT_CONTAINS(e.msg, strlen(e.msg), "hunter22", 8);
    /* An '@' in the path is not userinfo. */
    T_PARSE_URL("https://registry.npmjs.org/@scope/", &u);
    T_STR("/@scope/", u.path);
}

TEST(test_url_parse_rejects_query_and_fragment)
{
    T_REFUSED("https://registry.npmjs.org/?x=1", "query");
    T_REFUSED("https://registry.npmjs.org?x=1", "query");
    T_REFUSED("https://registry.npmjs.org/#frag", "query");
    T_REFUSED("https://registry.npmjs.org/a/b?x", "query");
    T_REFUSED("https://registry.npmjs.org:8080?x", NULL);
}

TEST(test_url_parse_rejects_other_schemes_and_bad_ports)
{
    T_REFUSED("ftp://registry.npmjs.org/", "http");
    T_REFUSED("file:///etc/passwd", "http");
    T_REFUSED("httpx://host/", "http");
    T_REFUSED("registry.npmjs.org", "URL");
    T_REFUSED("://host/", "URL");
    T_REFUSED("", "URL");
    T_REFUSED("https://", "host");
    T_REFUSED("https:///path", "host");
    T_REFUSED("https://host:0/", "port");
    T_REFUSED("https://host:65536/", "port");
    T_REFUSED("https://host:-1/", "port");
    T_REFUSED("https://host:abc/", "port");
    T_REFUSED("https://host:/", "port");
    T_REFUSED("https://host:80x/", "port");
    T_REFUSED("http://[::1/", "IPv6");
}

TEST(test_url_format_round_trips)
{
    static const char *const urls[] = {"https://registry.npmjs.org/", "http://localhost:4873/",
                                       "https://h.example/a/b/", "http://[::1]:8080/",
                                       "https://[2001:db8::1]/x/"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        struct url u;
        struct buf b = BUF_INIT;
        T_PARSE_URL(urls[i], &u);
        T_INT(0, url_format(&u, &b));
        bool ok = t_str(urls[i], b.p, __FILE__, __LINE__, urls[i]);
        buf_free(&b);
        if (!ok)
            return;
    }
}

/* Found by fuzz/url.c: a path of 1021 bytes parsed, but its formatted
 * form (one '/' longer) did not. */
TEST(test_url_parse_accepts_only_paths_whose_formatted_url_parses)
{
    char s[1200];
    for (size_t n = 1015; n <= 1025; n++) {
        memcpy(s, "https://h/", 10);
        memset(s + 10, 'p', n - 1);
        s[10 + n - 1] = '\0'; /* path "/ppp...": n bytes, no trailing '/' */
        struct url u, v;
        struct err e = {0};
        if (url_parse(s, &u, &e) < 0) {
            T_RET(t_contains(e.msg, "path too long", __FILE__, __LINE__, s));
            continue;
        }
        struct buf f = BUF_INIT;
        url_format(&u, &f);
        struct err e2 = {0};
        int rc = url_parse(f.p, &v, &e2);
        buf_free(&f);
        T_RET(t_ok(rc, &e2, __FILE__, __LINE__, "the formatted URL parses"));
        T_STR(u.path, v.path);
    }
}

/* Found by fuzz/url.c: "https://[[[1]:8/" parsed with the host "[[1",
 * which url_format wrote without brackets (it has no ':'), so the
 * formatted URL did not parse. A bracketed host is an IPv6 address. */
TEST(test_url_parse_refuses_a_bracketed_host_that_is_not_ipv6)
{
    T_REFUSED("https://[[[1]:8/", "bad IPv6 address");
    T_REFUSED("https://[example.com]/", "bad IPv6 address");
    T_REFUSED("https://[::1 x]/", "bad IPv6 address");
    struct url u;
    T_PARSE_URL("http://[::1]:8080/", &u);
    T_STR("::1", u.host);
    T_PARSE_URL("http://[fe80::1%25eth0]/", &u);
    T_PARSE_URL("http://[::ffff:127.0.0.1]/", &u);
}

TEST(test_url_loopback_hosts)
{
    static const char *const yes[] = {"127.0.0.1", "127.1.2.3", "127.255.255.255",
                                      "127.0.0.0", "::1",       "localhost"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        T_RET(t_bool(true, url_host_is_loopback(yes[i]), __FILE__, __LINE__, yes[i]));
    /* Through url_parse, as collect uses it. */
    struct url u;
    T_PARSE_URL("http://[::1]:4873/", &u);
    T_TRUE(url_host_is_loopback(u.host));
    T_PARSE_URL("http://LOCALHOST:4873/", &u);
    T_TRUE(url_host_is_loopback(u.host));
}

TEST(test_url_non_loopback_hosts)
{
    static const char *const no[] = {"128.0.0.1",
                                     "126.0.0.1",
                                     "localhost.evil.com",
                                     "127.0.0.1.evil.com",
                                     "evil-localhost",
                                     "localhostx",
                                     "0.0.0.0",
                                     "::2",
                                     "::",
                                     "",
                                     "1.2.3.4",
                                     "127.0.0.256",
                                     "127.0.0",
                                     "127.0.0.1 ",
                                     " 127.0.0.1",
                                     "127.0.0.-1",
                                     "127.+1.0.1",
                                     "0127.0.0.1",
                                     "127.0.0.1x",
                                     "10.0.0.1",
                                     "::ffff:8.8.8.8"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        T_RET(t_bool(false, url_host_is_loopback(no[i]), __FILE__, __LINE__, no[i]));
}

/* A message that quotes a long URL keeps its reason: the URL is shortened
 * to fit the 512-byte message, never the reason cut off. */
TEST(test_url_error_for_a_long_url_keeps_its_reason)
{
    char s[4000];
    strcpy(s, "http://127.0.0.1:1/");
    memset(s + strlen(s), 'a', 3000);
    s[19 + 3000] = '\0';
    struct url u;
    struct err e = {0};
    T_INT(-1, url_parse(s, &u, &e));
    T_CONTAINS(e.msg, "path too long");
    T_CONTAINS(e.msg, "(3019 bytes)");
    T_TRUE(strlen(e.msg) < 200);
    char qb[ERR_QUOTE_MAX];
    T_STR("short", err_quote("short", qb));
}

static int plain_http(const char *s, bool allow, struct err *e)
{
    struct url u;
    if (url_parse(s, &u, e) < 0)
        return -2;
    return url_check_plain_http(&u, allow, "the registry", s, "the token",
                                ", or pass --allow-insecure-http", e);
}

TEST(test_url_plain_http_carries_a_secret_only_to_loopback_or_when_allowed)
{
    struct err e = {0};
    T_INT(0, plain_http("https://registry.example.com/", false, &e));
    T_INT(0, plain_http("http://localhost:4873/", false, &e));
    T_INT(0, plain_http("http://127.0.0.1:4873/", false, &e));
    T_INT(0, plain_http("http://[::1]:4873/", false, &e));
    T_INT(0, plain_http("http://registry.example.com/", true, &e));
    T_INT(-1, plain_http("http://registry.example.com/", false, &e));
    T_INT(ERR_USAGE, e.cls);
    T_STR("the registry http://registry.example.com/ is plain http: the token would travel in "
          "clear. Use https, or pass --allow-insecure-http",
          e.msg);
}
