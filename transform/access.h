/*
 * access.h — what a user's teams grant them on a package.
 *
 * On npm every org has a `developers` team that holds every member and, by
 * default, read-write access to every package, so a package's collaborator
 * list names nearly every member: one package ALLOWS user edge per
 * collaborator grows as packages x members (5 million edges for 5,000
 * packages and 1,000 members), restating what team HAS user + team ALLOWS
 * package already say. Transform therefore writes that edge only for access
 * the teams do not explain, and this is the join that tells which: team
 * member lists and team package permissions go in as they are read, and
 * access_team_perm() answers "the highest permission any of this user's
 * teams grants on this package".
 *
 * Memory: one list per user (its team ids; an array indexed by the caller's
 * user id) and one per package that a team grants (its (team, permission)
 * pairs) — it grows with team memberships and team grants, never with
 * collaborators. Both lists are kept sorted by team id (sorted again only
 * after an addition), so a question costs no hashing beyond the package's,
 * once per list, and O(teams of the user + teams granting the package).
 */
#ifndef J1NPM_TRANSFORM_ACCESS_H
#define J1NPM_TRANSFORM_ACCESS_H

#include <stddef.h>
#include <stdint.h>

/* Ordered: a higher value includes the lower ones. */
enum perm { PERM_NONE, PERM_READ, PERM_WRITE };

/* "read-only"/"read" -> PERM_READ, "read-write"/"write" -> PERM_WRITE; any
 * other spelling -1 (not comparable: never explained by a team). */
int perm_parse(const char *s);

struct access;
struct access_grants; /* the team grants on one package */

struct access *access_new(void);
/* Team `team` has user `user` as a member (both the caller's small integer
 * ids, dense from 0: users are held in an array by id). */
void access_member(struct access *a, uint32_t team, uint32_t user);
/* Team `team` grants `perm` on package `pkg`. */
void access_grant(struct access *a, uint32_t team, const char *pkg, size_t n, enum perm perm);
/* The grants on `pkg` (NULL if no team grants it): looked up once for a
 * whole collaborator list. */
const struct access_grants *access_package(struct access *a, const char *pkg);
/* The highest permission any team of `user` grants through `g` (PERM_NONE
 * if none, or if g is NULL). */
enum perm access_team_perm(struct access *a, const struct access_grants *g, uint32_t user);
void access_free(struct access *a);

#endif
