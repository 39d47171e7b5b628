/*
 * access.c — see access.h.
 */
#include "access.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "strset.h"

struct grant {
    uint32_t team;
    uint32_t perm;
};

/* The teams of a user (grant.perm unused) or the grants on a package. */
struct list {
    struct grant *v;
    size_t n, cap;
    bool sorted;
};

struct access_grants {
    struct list l;
};

struct access {
    struct list *users; /* by user id */
    size_t nusers;      /* the capacity of users: every slot is initialized */
    struct strset pkgs; /* name -> struct access_grants */
};

int perm_parse(const char *s)
{
    if (!strcmp(s, "read-only") || !strcmp(s, "read"))
        return PERM_READ;
    if (!strcmp(s, "read-write") || !strcmp(s, "write"))
        return PERM_WRITE;
    return -1;
}

struct access *access_new(void)
{
    return xcalloc(1, sizeof(struct access));
}

static struct access_grants *grants_of(struct strset *set, const char *name, size_t n)
{
    struct strset_entry *en = NULL;
    strset_add(set, name, n, &en);
    if (!en->val)
        en->val = xcalloc(1, sizeof(struct access_grants));
    return en->val;
}

static void list_add(struct list *l, uint32_t team, uint32_t perm)
{
    GROW(l->v, l->n + 1, l->cap);
    l->v[l->n].team = team;
    l->v[l->n].perm = perm;
    l->n++;
    l->sorted = false;
}

void access_member(struct access *a, uint32_t team, uint32_t user)
{
    if (user >= a->nusers) {
        size_t old = a->nusers;
        GROW(a->users, (size_t)user + 1, a->nusers);
        memset(a->users + old, 0, (a->nusers - old) * sizeof *a->users);
    }
    list_add(&a->users[user], team, PERM_NONE);
}

void access_grant(struct access *a, uint32_t team, const char *pkg, size_t n, enum perm perm)
{
    list_add(&grants_of(&a->pkgs, pkg, n)->l, team, perm);
}

static int by_team(const void *x, const void *y)
{
    const struct grant *a = x, *b = y;
    return a->team < b->team ? -1 : a->team > b->team;
}

static void sort_list(struct list *l)
{
    if (!l->sorted && l->n > 1)
        qsort(l->v, l->n, sizeof *l->v, by_team);
    l->sorted = true;
}

const struct access_grants *access_package(struct access *a, const char *pkg)
{
    struct strset_entry *pe = strset_get(&a->pkgs, pkg, strlen(pkg));
    struct access_grants *g = pe ? pe->val : NULL;
    if (g)
        sort_list(&g->l);
    return g;
}

enum perm access_team_perm(struct access *a, const struct access_grants *grants, uint32_t user)
{
    if (!grants || user >= a->nusers)
        return PERM_NONE;
    const struct list *g = &grants->l;
    struct list *t = &a->users[user];
    sort_list(t);
    /* Both sorted by team: one merge walk. A team may appear twice in
     * either list (a repeated record); that only repeats a comparison. */
    uint32_t best = PERM_NONE;
    size_t i = 0, j = 0;
    while (i < g->n && j < t->n) {
        if (g->v[i].team < t->v[j].team) {
            i++;
        } else if (g->v[i].team > t->v[j].team) {
            j++;
        } else {
            if (g->v[i].perm > best)
                best = g->v[i].perm;
            i++;
        }
    }
    return (enum perm)best;
}

static void free_grants(void *v)
{
    struct access_grants *g = v;
    free(g->l.v);
    free(g);
}

void access_free(struct access *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nusers; i++)
        free(a->users[i].v);
    free(a->users);
    strset_free(&a->pkgs, free_grants);
    free(a);
}
