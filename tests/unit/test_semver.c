/* test_semver.c — npm version ranges as node-semver reads them: an
 * advisory's vulnerable_versions says whether a package's latest version is
 * affected, so a wrong answer is a wrong security fact. Cases follow
 * node-semver's documented desugaring and its range tests. */
#include <string.h>

#include "semver.h"
#include "t.h"

/* 1 in range, 0 not, -1 the range (or the version) cannot be read. */
static int sat(const char *version, const char *range)
{
    struct semver v;
    if (semver_parse(version, strlen(version), &v) < 0)
        return -2;
    return semver_satisfies(&v, range, strlen(range));
}

static int cmp(const char *a, const char *b)
{
    struct semver x, y;
    if (semver_parse(a, strlen(a), &x) < 0 || semver_parse(b, strlen(b), &y) < 0)
        return 99;
    return semver_cmp(&x, &y);
}

TEST(test_semver_versions_parse_strictly)
{
    struct semver v;
    T_OK(semver_parse("1.2.3", 5, &v), NULL);
    T_UINT(1, v.major);
    T_UINT(2, v.minor);
    T_UINT(3, v.patch);
    T_STR("", v.pre);
    T_OK(semver_parse("v1.2.3-beta.10+build.7", 22, &v), NULL);
    T_STR("beta.10", v.pre);
    T_OK(semver_parse("=1.0.0", 6, &v), NULL);
    static const char *const bad[] = {"1.2",
                                      "1.2.x",
                                      "01.2.3",
                                      "1.02.3",
                                      "1.2.3-01",
                                      "1.2.3-",
                                      "1.2.3-a..b",
                                      "a.b.c",
                                      "",
                                      "1.2.3.4",
                                      "9007199254740992.0.0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        T_INT(-1, semver_parse(bad[i], strlen(bad[i]), &v));
}

TEST(test_semver_order_follows_the_prerelease_rules)
{
    T_INT(-1, cmp("1.2.3", "1.2.4"));
    T_INT(1, cmp("1.10.0", "1.9.9"));
    T_INT(0, cmp("1.2.3+a", "1.2.3+b"));
    T_INT(-1, cmp("1.0.0-alpha", "1.0.0"));
    /* semver.org's list, each below the next */
    static const char *const chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                        "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                        "1.0.0-rc.1",  "1.0.0"};
    for (size_t i = 0; i + 1 < sizeof chain / sizeof chain[0]; i++) {
        T_INT(-1, cmp(chain[i], chain[i + 1]));
        T_INT(1, cmp(chain[i + 1], chain[i]));
    }
    T_INT(-1, cmp("1.0.0-0", "1.0.0-alpha"));
}

TEST(test_semver_comparators_and_sets)
{
    T_INT(1, sat("1.1.9", "<1.2.0"));
    T_INT(0, sat("1.2.0", "<1.2.0"));
    T_INT(1, sat("1.2.0", "<=1.2.0"));
    T_INT(1, sat("2.0.0", ">=2.0.0 <2.1.4"));
    T_INT(0, sat("2.1.4", ">=2.0.0 <2.1.4"));
    T_INT(1, sat("2.1.4", ">= 2.0.0  <= 2.1.4"));
    T_INT(1, sat("1.2.3", "=1.2.3"));
    T_INT(1, sat("1.2.3", "1.2.3"));
    T_INT(0, sat("1.2.4", "1.2.3"));
    T_INT(1, sat("0.9.0", "<1.0.0 || >=2.0.0 <2.0.5"));
    T_INT(1, sat("2.0.4", "<1.0.0 || >=2.0.0 <2.0.5"));
    T_INT(0, sat("1.5.0", "<1.0.0 || >=2.0.0 <2.0.5"));
    T_INT(1, sat("3.0.0", ">2.9.9"));
    T_INT(1, sat("5.0.0", ""));
    T_INT(1, sat("5.0.0", "*"));
    T_INT(1, sat("5.0.0", "<1.0.0 ||"));
}

TEST(test_semver_x_ranges_tilde_caret_and_hyphen_desugar_as_node_semver)
{
    /* x-ranges */
    T_INT(1, sat("1.9.9", "1.x"));
    T_INT(0, sat("2.0.0", "1.x"));
    T_INT(1, sat("1.2.9", "1.2"));
    T_INT(0, sat("1.3.0", "1.2.*"));
    T_INT(1, sat("2.0.0", ">1")); /* >=2.0.0 */
    T_INT(0, sat("1.9.9", ">1"));
    T_INT(1, sat("1.2.9", "<=1.2")); /* <1.3.0-0 */
    T_INT(0, sat("1.3.0", "<=1.2"));
    T_INT(0, sat("1.0.0", "<1")); /* <1.0.0-0 */
    T_INT(0, sat("0.0.0", "<*"));
    /* tilde */
    T_INT(1, sat("1.2.9", "~1.2.3"));
    T_INT(0, sat("1.3.0", "~1.2.3"));
    T_INT(1, sat("1.9.0", "~1"));
    T_INT(1, sat("0.2.5", "~>0.2.3"));
    /* caret */
    T_INT(1, sat("1.9.0", "^1.2.3"));
    T_INT(0, sat("2.0.0", "^1.2.3"));
    T_INT(1, sat("0.2.9", "^0.2.3"));
    T_INT(0, sat("0.3.0", "^0.2.3"));
    T_INT(1, sat("0.0.3", "^0.0.3"));
    T_INT(0, sat("0.0.4", "^0.0.3"));
    T_INT(1, sat("0.0.9", "^0.0.x"));
    T_INT(0, sat("0.1.0", "^0.0"));
    T_INT(1, sat("0.9.0", "^0.x"));
    T_INT(1, sat("1.9.0", "^1.2.x"));
    /* hyphen */
    T_INT(1, sat("2.3.4", "1.2.3 - 2.3.4"));
    T_INT(0, sat("2.3.5", "1.2.3 - 2.3.4"));
    T_INT(1, sat("1.2.0", "1.2 - 2.3.4"));
    T_INT(1, sat("2.3.9", "1.2.3 - 2.3"));
    T_INT(0, sat("2.4.0", "1.2.3 - 2.3"));
    T_INT(1, sat("2.9.9", "1.2.3 - 2"));
    T_INT(0, sat("3.0.0", "1.2.3 - 2"));
}

TEST(test_semver_a_prerelease_is_only_in_a_set_naming_its_release)
{
    T_INT(0, sat("1.3.0-beta", "^1.2.0"));
    T_INT(0, sat("1.2.4-beta", "<1.2.5"));
    T_INT(1, sat("1.2.3-beta.4", ">=1.2.3-beta.2 <1.3.0"));
    T_INT(1, sat("1.2.3-beta.4", "~1.2.3-beta.2"));
    T_INT(0, sat("1.2.4-beta.4", "~1.2.3-beta.2"));
    T_INT(0, sat("2.0.0-alpha", "^1.2.3"));
    T_INT(0, sat("1.0.0-rc.1", "*"));
}

TEST(test_semver_a_range_it_cannot_read_says_nothing)
{
    static const char *const bad[] = {"<1.2.x.y",
                                      "1.2.3 - ",
                                      ">=abc",
                                      "1 | 2",
                                      ">=1.2.3 ||| 2",
                                      "<=1.2.3-01",
                                      ">=1.0.0 <2.0.0 garbage",
                                      "1.2.3 - 2.x - 3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct semver v;
        T_OK(semver_parse("1.2.3", 5, &v), NULL);
        int r = semver_satisfies(&v, bad[i], strlen(bad[i]));
        if (r != -1) {
            t_fail(__FILE__, __LINE__, bad[i], "expected -1 for '%s', got %d", bad[i], r);
            return;
        }
    }
    /* an unreadable part after a matching one still refuses the range */
    T_INT(-1, sat("0.1.0", "<1.0.0 || >=x.y"));
}
