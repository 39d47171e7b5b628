/*
 * semver.h — npm's semantic versions and version ranges, as node-semver
 * reads them (strict mode, prereleases not included), to tell whether a
 * version lies in an advisory's `vulnerable_versions`.
 *
 * Versions: MAJOR.MINOR.PATCH, an optional "-" prerelease of dot-separated
 * identifiers and "+" build metadata (ignored); a leading "v" or "=" is
 * allowed. Numbers have no leading zeros and stay below 2^53. Order: the
 * three numbers, then a version without a prerelease above one with;
 * prereleases compare identifier by identifier (numeric ones numerically
 * and below alphanumeric ones, which compare bytewise), a shorter list
 * that agrees being lower.
 *
 * Ranges: sets joined by "||"; a set is comparators separated by spaces
 * (all must hold), or a hyphen range "A - B". A comparator is an operator
 * (<, <=, >, >=, =, ~, ~>, ^ or none) and a version that may be partial or
 * an x-range (1, 1.2, 1.x, 1.2.*, *, or nothing), desugared exactly as
 * node-semver does (e.g. ^0.2.3 is >=0.2.3 <0.3.0-0, <=1.2 is <1.3.0-0).
 * A version with a prerelease satisfies a set only when some comparator of
 * the set names a prerelease of the same MAJOR.MINOR.PATCH (node-semver's
 * rule, so 1.3.0-beta is not in ^1.2.0).
 *
 * Bounded: a range longer than SEMVER_MAX_RANGE, a set of more than
 * SEMVER_MAX_COMPARATORS comparators or a prerelease longer than
 * SEMVER_MAX_PRE is refused, never truncated.
 */
#ifndef J1NPM_SEMVER_H
#define J1NPM_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEMVER_MAX_RANGE 4096
#define SEMVER_MAX_COMPARATORS 64
#define SEMVER_MAX_PRE 128

struct semver {
    uint64_t major, minor, patch;
    char pre[SEMVER_MAX_PRE + 1]; /* "" when none; without the '-' */
};

/* Parses a whole version [s, s+n) (spaces around it allowed). 0 or -1. */
int semver_parse(const char *s, size_t n, struct semver *v);
/* <0, 0, >0 as a is below, equal to or above b (build metadata aside). */
int semver_cmp(const struct semver *a, const struct semver *b);
/* Whether v lies in the range [r, r+n): 1 yes, 0 no, -1 the range cannot
 * be read (then nothing is said). */
int semver_satisfies(const struct semver *v, const char *r, size_t n);

#endif
