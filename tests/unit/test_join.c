/* test_join.c — the join tables (transform/join.c): one entry per name,
 * made on first use, with dense ids for access.c. */
#include <string.h>

#include "t.h"
#include "transform/join.h"

TEST(test_join_a_name_is_one_entry_with_a_dense_id)
{
    struct joins j;
    join_init(&j);
    struct user *a = join_user(&j, "alice"), *b = join_user(&j, "bob");
    T_CHECK_BOOL(true, join_user(&j, "alice") == a);
    T_CHECK_BOOL(true, join_find_user(&j, "bob") == b);
    T_CHECK_BOOL(true, join_find_user(&j, "carol") == NULL);
    T_CHECK_INT(0, a->id);
    T_CHECK_INT(1, b->id);
    T_CHECK_BOOL(true, strcmp(a->name, "alice") == 0 && !a->member && !a->role);
    struct package *p = join_package(&j, "@acme/core");
    T_CHECK_BOOL(true, join_find_package(&j, "@acme/core") == p);
    T_CHECK_INT(-1, p->visibility); /* unknown until the registry says */
    join_free(&j);
}

TEST(test_join_a_team_name_is_org_colon_team_or_belongs_to_the_org)
{
    struct joins j;
    join_init(&j);
    struct team *t = join_team(&j, "acme:core", "acme");
    T_CHECK_BOOL(true, strcmp(t->org, "acme") == 0 && strcmp(t->name, "core") == 0);
    T_CHECK_BOOL(true, strcmp(t->full, "acme:core") == 0);
    struct team *u = join_team(&j, "devs", "acme");
    T_CHECK_BOOL(true, strcmp(u->org, "acme") == 0 && strcmp(u->name, "devs") == 0);
    struct team *v = join_team(&j, "other:x:y", NULL); /* the first colon splits */
    T_CHECK_BOOL(true, strcmp(v->org, "other") == 0 && strcmp(v->name, "x:y") == 0);
    struct team *w = join_team(&j, "lone", NULL);
    T_CHECK_BOOL(true, strcmp(w->org, "") == 0);
    T_CHECK_BOOL(true, join_team(&j, "acme:core", "zzz") == t);
    T_CHECK_INT(0, t->id);
    T_CHECK_INT(3, w->id);
    size_t n = 0;
    for (size_t i = 0; i < j.teams.cap; i++)
        n += join_slot(&j.teams, i) != NULL;
    T_CHECK_INT(4, n);
    join_free(&j);
}
