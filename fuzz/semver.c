/*
 * semver.c — versions and ranges (common/semver.c), as advisories'
 * `vulnerable_versions` and package documents' version keys bring them.
 *
 * The input is a version and a range, split at the first newline. Nothing
 * crashes or reads outside the input; a parsed version equals itself and
 * re-parses from its own parts to the same version; the order is
 * antisymmetric against a second parse of the range text as a version;
 * semver_satisfies says 1, 0 or -1, the same twice, and a version is
 * always in the range that names exactly it.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "semver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t vn = nl ? (size_t)(nl - s) : size;
    const char *r = nl ? nl + 1 : s + size;
    size_t rn = size - (size_t)(r - s);
    struct semver v, w;
    if (semver_parse(s, vn, &v) < 0)
        return 0;
    FUZZ_CHECK(strlen(v.pre) <= SEMVER_MAX_PRE);
    FUZZ_CHECK(semver_cmp(&v, &v) == 0);
    char text[128 + SEMVER_MAX_PRE];
    int tn = snprintf(text, sizeof text, "%llu.%llu.%llu%s%s", (unsigned long long)v.major,
                      (unsigned long long)v.minor, (unsigned long long)v.patch, v.pre[0] ? "-" : "",
                      v.pre);
    FUZZ_CHECK(tn > 0 && (size_t)tn < sizeof text);
    FUZZ_CHECK(semver_parse(text, (size_t)tn, &w) == 0 && semver_cmp(&v, &w) == 0);
    FUZZ_CHECK(semver_satisfies(&v, text, (size_t)tn) == 1);
    if (semver_parse(r, rn, &w) == 0) {
        int a = semver_cmp(&v, &w), b = semver_cmp(&w, &v);
        FUZZ_CHECK((a < 0 && b > 0) || (a > 0 && b < 0) || (a == 0 && b == 0));
    }
    int in = semver_satisfies(&v, r, rn);
    FUZZ_CHECK(in >= -1 && in <= 1);
    FUZZ_CHECK(semver_satisfies(&v, r, rn) == in);
    return 0;
}
