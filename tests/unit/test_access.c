/* test_access.c — what a user's teams grant on a package (transform/access.c). */
#include <string.h>

#include "t.h"
#include "transform/access.h"

/* User ids, as the model hands them out (mallory is in no team; an id far
 * past the others grows the array). */
enum { ALICE, BOB, MALLORY, CAROL = 5, U = 700 };

TEST(test_access_perm_parse_knows_npm_spellings_and_refuses_others)
{
    T_INT(PERM_READ, perm_parse("read-only"));
    T_INT(PERM_READ, perm_parse("read"));
    T_INT(PERM_WRITE, perm_parse("read-write"));
    T_INT(PERM_WRITE, perm_parse("write"));
    T_INT(-1, perm_parse("admin"));
    T_INT(-1, perm_parse(""));
    T_INT(-1, perm_parse("Read-Write"));
}

TEST(test_access_team_perm_is_the_highest_grant_of_the_users_teams)
{
    struct access *a = access_new();
    T_TRUE(a != NULL);
    /* Teams 0 (developers: everyone, read-write on p1) and 1 (readers:
     * alice, read-only on p1 and p2), 2 (ops: bob, nothing). Added out of
     * team order, so the lists must be sorted before the merge. */
    access_member(a, 1, ALICE);
    access_member(a, 0, ALICE);
    access_member(a, 0, BOB);
    access_member(a, 2, BOB);
    access_grant(a, 1, "p1", 2, PERM_READ);
    access_grant(a, 0, "p1", 2, PERM_WRITE);
    access_grant(a, 1, "p2", 2, PERM_READ);
    T_CHECK_INT(PERM_WRITE, access_team_perm(a, access_package(a, "p1"), ALICE));
    T_CHECK_INT(PERM_WRITE, access_team_perm(a, access_package(a, "p1"), BOB));
    T_CHECK_INT(PERM_READ, access_team_perm(a, access_package(a, "p2"), ALICE));
    T_CHECK_INT(PERM_NONE,
                access_team_perm(a, access_package(a, "p2"), BOB)); /* no team of bob grants p2 */
    T_CHECK_INT(PERM_NONE,
                access_team_perm(a, access_package(a, "p3"), ALICE)); /* no team grants p3 */
    T_CHECK_BOOL(true, access_package(a, "p3") == NULL);
    T_CHECK_INT(PERM_NONE,
                access_team_perm(a, access_package(a, "p1"), 9999)); /* an id never seen */
    T_CHECK_INT(PERM_NONE, access_team_perm(a, access_package(a, "p1"), MALLORY)); /* in no team */
    /* Later additions are seen: the lists are sorted again. */
    access_member(a, 3, BOB);
    access_grant(a, 3, "p2", 2, PERM_WRITE);
    T_CHECK_INT(PERM_WRITE, access_team_perm(a, access_package(a, "p2"), BOB));
    T_CHECK_INT(PERM_READ, access_team_perm(a, access_package(a, "p2"), ALICE));
    access_free(a);
}

TEST(test_access_repeated_records_do_not_change_the_answer)
{
    struct access *a = access_new();
    T_TRUE(a != NULL);
    for (int i = 0; i < 3; i++) {
        access_member(a, 5, CAROL);
        access_grant(a, 5, "pkg", 3, PERM_READ);
    }
    access_grant(a, 4, "pkg", 3, PERM_WRITE); /* a team carol is not in */
    T_CHECK_INT(PERM_READ, access_team_perm(a, access_package(a, "pkg"), CAROL));
    access_free(a);
    access_free(NULL);
}

TEST(test_access_many_teams_answer_by_merge)
{
    /* 1,000 teams, the user in the odd ones, the package granted by the
     * multiples of 3 (read) and by team 999 (write): 999 is odd, so write. */
    struct access *a = access_new();
    T_TRUE(a != NULL);
    for (uint32_t t = 1000; t-- > 0;) {
        if (t % 2)
            access_member(a, t, U);
        if (t % 3 == 0)
            access_grant(a, t, "p", 1, t == 999 ? PERM_WRITE : PERM_READ);
    }
    T_CHECK_INT(PERM_WRITE, access_team_perm(a, access_package(a, "p"), U));
    access_free(a);
}
