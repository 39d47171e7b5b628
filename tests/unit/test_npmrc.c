/* test_npmrc.c — finding the registry token in .npmrc the way npm does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "npmrc.h"
#include "t.h"

/* Looks up the token for registry `reg` in `text`: returns what
 * npmrc_find_token returned, the token in tok (a C string, "" if none). */
static int find(const char *text, const char *reg, char *tok, size_t tok_sz, struct err *e)
{
    struct url u;
    struct secret s = {0};
    tok[0] = '\0';
    if (url_parse(reg, &u, e) < 0)
        return -2;
    int rc = npmrc_find_token(text, strlen(text), &u, "/home/u/.npmrc", &s, e);
    if (rc == 1)
        snprintf(tok, tok_sz, "%s", s.value);
    secret_free(&s);
    return rc;
}

/* The token that `text` gives registry `reg` is `want` (NULL: none). */
static bool token_is(const char *text, const char *reg, const char *want, const char *file,
                     int line)
{
    char tok[256];
    struct err e = {0};
    int rc = find(text, reg, tok, sizeof tok, &e);
    if (rc < 0)
        return t_fail(file, line, reg, "expected %s, got an error: %s", want ? want : "no token",
                      e.msg);
    if (!want)
        return t_int(0, rc, file, line, reg);
    return t_int(1, rc, file, line, reg) && t_str(want, tok, file, line, reg);
}
#define T_TOKEN(text, reg, want) T_RET(token_is((text), (reg), (want), __FILE__, __LINE__))

static bool nerf_is(const char *reg, const char *want, const char *file, int line)
{
    struct url u;
    struct err e = {0};
    struct buf b = BUF_INIT;
    bool ok = t_ok(url_parse(reg, &u, &e), &e, file, line, reg) &&
              t_int(0, npmrc_nerf_dart(&u, &b), file, line, reg) &&
              t_str(want, b.p, file, line, reg);
    buf_free(&b);
    return ok;
}
#define T_NERF(reg, want) T_RET(nerf_is((reg), (want), __FILE__, __LINE__))

static bool expand_is(const char *in, const char *want, const char *want_missing, const char *file,
                      int line)
{
    struct buf b = BUF_INIT;
    char missing[64] = "";
    bool ok = t_int(0, npmrc_expand(in, strlen(in), &b, missing, sizeof missing), file, line, in) &&
              t_str(want, b.p, file, line, in) &&
              t_str(want_missing, missing, file, line, "missing");
    buf_free(&b);
    return ok;
}
#define T_EXPAND(in, want, missing) T_RET(expand_is((in), (want), (missing), __FILE__, __LINE__))

TEST(test_npmrc_exact_registry_match)
{
    T_TOKEN("//registry.npmjs.org/:_authToken=npm_abc123\n", "https://registry.npmjs.org/",
            "npm_abc123");
    T_TOKEN("//registry.npmjs.org/:_authToken=npm_abc123", "https://registry.npmjs.org",
            "npm_abc123"); /* last line without '\n'; URL without '/' */
    T_TOKEN("registry=https://registry.npmjs.org/\n"
            "//registry.npmjs.org/:always-auth=true\n"
            "//registry.npmjs.org/:_authToken=tok-1\n",
            "https://registry.npmjs.org/", "tok-1");
    T_TOKEN("//registry.npmjs.org/:_authToken=tok-1\n", "http://registry.npmjs.org/", "tok-1");
    T_TOKEN("", "https://registry.npmjs.org/", NULL);
}

TEST(test_npmrc_nerf_dart_drops_default_port)
{
    T_NERF("https://registry.npmjs.org/", "//registry.npmjs.org/");
    T_NERF("https://registry.npmjs.org:443/", "//registry.npmjs.org/");
    T_NERF("http://localhost:80/", "//localhost/");
    T_NERF("https://npm.example.com/a/b", "//npm.example.com/a/b/");
    T_TOKEN("//registry.npmjs.org/:_authToken=tok-443\n", "https://registry.npmjs.org:443/",
            "tok-443");
}

TEST(test_npmrc_nerf_dart_keeps_explicit_port)
{
    T_NERF("http://localhost:4873/", "//localhost:4873/");
    T_NERF("https://host:80/", "//host:80/"); /* 80 is not https's default */
    T_NERF("http://[::1]:4873/", "//[::1]:4873/");
    T_TOKEN("//localhost:4873/:_authToken=verdaccio\n", "http://localhost:4873/", "verdaccio");
    /* A line without the port is for another registry. */
    T_TOKEN("//localhost/:_authToken=wrong\n", "http://localhost:4873/", NULL);
    T_TOKEN("//localhost:4874/:_authToken=wrong\n", "http://localhost:4873/", NULL);
}

TEST(test_npmrc_registry_path_uses_its_own_line_first)
{
    static const char *const reg = "https://npm.example.com/artifactory/api/npm/npm/";
    static const char own[] = "//npm.example.com/artifactory/api/npm/npm/:_authToken=own\n";
    static const char parent[] = "//npm.example.com/:_authToken=parent\n";
    static const char middle[] = "//npm.example.com/artifactory/:_authToken=middle\n";
    char text[512];
    T_TOKEN(own, reg, "own");
    snprintf(text, sizeof text, "%s%s%s", parent, middle, own);
    T_TOKEN(text, reg, "own");
    snprintf(text, sizeof text, "%s%s%s", own, middle, parent);
    T_TOKEN(text, reg, "own");
}

TEST(test_npmrc_registry_path_falls_back_to_parent_path)
{
    static const char *const reg = "https://npm.example.com/artifactory/api/npm/npm/";
    T_TOKEN("//npm.example.com/:_authToken=parent\n", reg, "parent");
    T_TOKEN("//npm.example.com/:_authToken=parent\n"
            "//npm.example.com/artifactory/:_authToken=middle\n",
            reg, "middle"); /* the nearest parent wins */
}

TEST(test_npmrc_line_for_another_host_or_path_is_not_used)
{
    static const char *const reg = "https://registry.npmjs.org/";
    T_TOKEN("//registry.example.com/:_authToken=other\n", reg, NULL);
    T_TOKEN("//registry.npmjs.org.evil.com/:_authToken=evil\n", reg, NULL);
    T_TOKEN("//evil.com/registry.npmjs.org/:_authToken=evil\n", reg, NULL);
    T_TOKEN("//registry.npmjs.org/extra/:_authToken=below\n", reg, NULL); /* a child path */
    T_TOKEN("//registry.npmjs.org:8443/:_authToken=port\n", reg, NULL);
    T_TOKEN("//registry.npmjs.org/:_authTokenX=no\n", reg, NULL);
    T_TOKEN("//registry.npmjs.org/:_password=no\n", reg, NULL);
    T_TOKEN("_authToken=global\n", reg, NULL);
    T_TOKEN("//registry.npmjs.org/:_authToken\n", reg, NULL); /* no '=' */
    /* A sibling path is not a parent. */
    T_TOKEN("//npm.example.com/other/:_authToken=sibling\n", "https://npm.example.com/mine/", NULL);
}

TEST(test_npmrc_expands_env_vars)
{
    setenv("J1NPM_T_TOKEN", "tok-from-env", 1);
    setenv("J1NPM_T_A", "aaaa", 1);
    T_EXPAND("${J1NPM_T_TOKEN}", "tok-from-env", "");
    T_EXPAND("x${J1NPM_T_A}y${J1NPM_T_A}z", "xaaaayaaaaz", "");
    T_EXPAND("${J1NPM_T_A?}", "aaaa", "");
    T_EXPAND("$J1NPM_T_A", "$J1NPM_T_A", "");   /* only the braced form expands */
    T_EXPAND("${J1NPM_T_A", "${J1NPM_T_A", ""); /* unterminated */
    T_EXPAND("${}", "${}", "");
    T_EXPAND("no vars at all", "no vars at all", "");
    T_TOKEN("//registry.npmjs.org/:_authToken=${J1NPM_T_TOKEN}\n", "https://registry.npmjs.org/",
            "tok-from-env");
    unsetenv("J1NPM_T_TOKEN");
    unsetenv("J1NPM_T_A");
}

TEST(test_npmrc_optional_unset_var_expands_to_empty)
{
    unsetenv("J1NPM_T_UNSET");
    setenv("J1NPM_T_B", "bbbb", 1);
    T_EXPAND("${J1NPM_T_UNSET?}", "", "");
    T_EXPAND("pre-${J1NPM_T_UNSET?}-post", "pre--post", "");
    T_EXPAND("${J1NPM_T_UNSET?}${J1NPM_T_B}", "bbbb", "");
    unsetenv("J1NPM_T_B");
    /* A token that expands to nothing is an error, not an empty credential. */
    char tok[64];
    struct err e = {0};
    T_INT(-1, find("//registry.npmjs.org/:_authToken=${J1NPM_T_UNSET?}\n",
                   "https://registry.npmjs.org/", tok, sizeof tok, &e));
    T_CONTAINS(e.msg, "empty");
    T_CONTAINS(e.msg, "/home/u/.npmrc");
}

TEST(test_npmrc_unset_var_is_an_error_naming_it)
{
    unsetenv("J1NPM_T_NOT_SET");
    T_EXPAND("${J1NPM_T_NOT_SET}", "${J1NPM_T_NOT_SET}", "J1NPM_T_NOT_SET");
    setenv("J1NPM_T_C", "cccc", 1);
    T_EXPAND("${J1NPM_T_C}${J1NPM_T_NOT_SET}", "cccc${J1NPM_T_NOT_SET}", "J1NPM_T_NOT_SET");
    unsetenv("J1NPM_T_C");
    char tok[64];
    struct err e = {0};
    T_INT(-1, find("//registry.npmjs.org/:_authToken=${J1NPM_T_NOT_SET}\n",
                   "https://registry.npmjs.org/", tok, sizeof tok, &e));
    T_INT(ERR_USAGE, e.cls);
    T_CONTAINS(e.msg, "J1NPM_T_NOT_SET");
    T_CONTAINS(e.msg, "/home/u/.npmrc");
    /* A line for another registry does not matter, even if it cannot expand. */
    T_TOKEN("//other.example.com/:_authToken=${J1NPM_T_NOT_SET}\n"
            "//registry.npmjs.org/:_authToken=fine\n",
            "https://registry.npmjs.org/", "fine");
}

TEST(test_npmrc_escaped_var_stays_literal)
{
    setenv("J1NPM_T_D", "dddd", 1);
    T_EXPAND("\\${J1NPM_T_D}", "${J1NPM_T_D}", "");       /* one backslash escapes */
    T_EXPAND("\\\\${J1NPM_T_D}", "\\dddd", "");           /* two are one literal backslash */
    T_EXPAND("\\\\\\${J1NPM_T_D}", "\\${J1NPM_T_D}", ""); /* three: literal and escaped */
    T_EXPAND("a\\b", "a\\b", "");                         /* a lone backslash stays */
    unsetenv("J1NPM_T_NOT_SET");
    T_EXPAND("\\${J1NPM_T_NOT_SET}", "${J1NPM_T_NOT_SET}", ""); /* escaped: not missing */
    T_TOKEN("//registry.npmjs.org/:_authToken=\\${J1NPM_T_D}\n", "https://registry.npmjs.org/",
            "${J1NPM_T_D}");
    unsetenv("J1NPM_T_D");
}

TEST(test_npmrc_quoted_values_are_unquoted)
{
    static const char *const reg = "https://registry.npmjs.org/";
    T_TOKEN("//registry.npmjs.org/:_authToken=\"dq-token\"\n", reg, "dq-token");
    T_TOKEN("//registry.npmjs.org/:_authToken='sq-token'\n", reg, "sq-token");
    T_TOKEN("//registry.npmjs.org/:_authToken = \"spaced\" \n", reg, "spaced");
    T_TOKEN("//registry.npmjs.org/:_authToken=\"mixed'\n", reg, "\"mixed'");
    setenv("J1NPM_T_E", "eeee", 1);
    T_TOKEN("//registry.npmjs.org/:_authToken=\"${J1NPM_T_E}\"\n", reg, "eeee");
    unsetenv("J1NPM_T_E");
}

TEST(test_npmrc_comments_are_ignored)
{
    static const char *const reg = "https://registry.npmjs.org/";
    T_TOKEN("; //registry.npmjs.org/:_authToken=commented\n", reg, NULL);
    T_TOKEN("# //registry.npmjs.org/:_authToken=commented\n", reg, NULL);
    T_TOKEN(";//registry.npmjs.org/:_authToken=commented\n", reg, NULL);
    T_TOKEN("   #//registry.npmjs.org/:_authToken=commented\n", reg, NULL);
    T_TOKEN("; a comment\n"
            "# another = with an equals sign\n"
            "//registry.npmjs.org/:_authToken=real\n",
            reg, "real");
    T_TOKEN("#//registry.npmjs.org/:_authToken=old\n"
            "//registry.npmjs.org/:_authToken=new\n",
            reg, "new");
}

/* npm reads .npmrc with the ini module, where a later line for the same key
 * replaces an earlier one. */
TEST(test_npmrc_last_line_for_a_key_wins)
{
    static const char *const reg = "https://registry.npmjs.org/";
    T_TOKEN("//registry.npmjs.org/:_authToken=stale\n"
            "//registry.npmjs.org/:_authToken=fresh\n",
            reg, "fresh");
    /* An overridden line is never expanded, so its variable need not be set. */
    unsetenv("J1NPM_T_NOT_SET");
    T_TOKEN("//registry.npmjs.org/:_authToken=${J1NPM_T_NOT_SET}\n"
            "//registry.npmjs.org/:_authToken=fresh\n",
            reg, "fresh");
    /* The registry's own path still beats a later parent-path line. */
    T_TOKEN("//npm.example.com/a/:_authToken=own\n"
            "//npm.example.com/:_authToken=parent\n",
            "https://npm.example.com/a/", "own");
}

TEST(test_npmrc_spaces_around_equals_and_crlf)
{
    static const char *const reg = "https://registry.npmjs.org/";
    T_TOKEN("//registry.npmjs.org/:_authToken = spaced\n", reg, "spaced");
    T_TOKEN("  //registry.npmjs.org/:_authToken\t=\ttabbed  \n", reg, "tabbed");
    T_TOKEN("//registry.npmjs.org/:_authToken=crlf\r\n", reg, "crlf");
    T_TOKEN("a=b\r\n//registry.npmjs.org/:_authToken=crlf2\r\nc=d\r\n", reg, "crlf2");
    T_TOKEN("//registry.npmjs.org/:_authToken=with=equals==\n", reg, "with=equals==");
}

TEST(test_npmrc_token_is_registered_for_redaction)
{
    /* A token read from .npmrc never reaches the log. */
    log_clear_redactions();
    T_TOKEN("//registry.npmjs.org/:_authToken=npm_SuperSecretValue42\n",
            "https://registry.npmjs.org/", "npm_SuperSecretValue42");
    struct buf out = BUF_INIT;
    log_redact("auth npm_SuperSecretValue42 end", 31, &out);
    log_clear_redactions();
    T_BUF("auth [REDACTED] end", out);
    buf_free(&out);
}

/* The value npmrc_get finds for key in text, as a C string ("(none)" if no
 * line sets it). */
static const char *get(const char *text, const char *key, char *out, size_t n)
{
    const char *v;
    size_t vn;
    if (!npmrc_get(text, strlen(text), key, strlen(key), &v, &vn))
        return "(none)";
    snprintf(out, n, "%.*s", (int)vn, v);
    return out;
}

TEST(test_npmrc_get_reads_registry_and_scoped_registry_lines)
{
    char b[128];
    const char *rc = "; a comment\n"
                     "# registry=http://commented.example/\n"
                     "registry = \"https://mirror.example/npm/\"\r\n"
                     "@acme:registry=https://acme.example/\n"
                     "@acme:registry=https://acme2.example/\n"
                     "//acme2.example/:_authToken=x\n";
    T_STR("https://mirror.example/npm/", get(rc, "registry", b, sizeof b));
    T_STR("https://acme2.example/", get(rc, "@acme:registry", b, sizeof b)); /* last wins */
    T_STR("(none)", get(rc, "@other:registry", b, sizeof b));
    T_STR("(none)", get("registry-x=1\nregistr=2\n", "registry", b, sizeof b));
    T_STR("(none)", get("", "registry", b, sizeof b));
    T_STR("", get("registry=\n", "registry", b, sizeof b));
}

TEST(test_npmrc_env_names_are_case_insensitive_and_the_later_one_wins)
{
    char name[64] = "";
    unsetenv("npm_config_registry");
    unsetenv("NPM_CONFIG_REGISTRY");
    unsetenv("Npm_Config_Registry");
    T_TRUE(npmrc_env_get("registry", name, sizeof name) == NULL);
    setenv("Npm_Config_Registry", "https://mixed.example/", 1);
    T_STR("https://mixed.example/", npmrc_env_get("registry", name, sizeof name));
    T_STR("Npm_Config_Registry", name);
    setenv("npm_config_registry", "https://later.example/", 1); /* appended: later */
    T_STR("https://later.example/", npmrc_env_get("registry", name, sizeof name));
    T_STR("npm_config_registry", name);
    setenv("npm_config_registry", "", 1); /* empty does not count */
    T_STR("https://mixed.example/", npmrc_env_get("registry", name, sizeof name));
    unsetenv("npm_config_registry");
    unsetenv("Npm_Config_Registry");
    /* A scoped key: '_' after the first character reads as '-', case folded. */
    setenv("NPM_CONFIG_@ACME:REGISTRY", "https://acme.example/", 1);
    T_STR("https://acme.example/", npmrc_env_get("@acme:registry", name, sizeof name));
    T_TRUE(npmrc_env_get("@acm:registry", name, sizeof name) == NULL);
    unsetenv("NPM_CONFIG_@ACME:REGISTRY");
    setenv("npm_config_user_agent", "x", 1);
    T_STR("x", npmrc_env_get("user-agent", name, sizeof name));
    unsetenv("npm_config_user_agent");
}
