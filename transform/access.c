/*
 * access.c — see access.h.
 */
#include "access.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

struct access {
    struct strset users, pkgs; /* name -> struct list */
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
    return calloc(1, sizeof(struct access));
}

static struct list *list_of(struct strset *set, const char *name, size_t n)
{
    struct strset_entry *en = NULL;
    if (strset_add(set, name, n, &en) < 0)
        return NULL;
    if (!en->val)
        en->val = calloc(1, sizeof(struct list));
    return en->val;
}

static int list_add(struct list *l, uint32_t team, uint32_t perm)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 4;
        if (nc > SIZE_MAX / sizeof *l->v)
            return -1;
        struct grant *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n].team = team;
    l->v[l->n].perm = perm;
    l->n++;
    l->sorted = false;
    return 0;
}

int access_member(struct access *a, uint32_t team, const char *user, size_t n)
{
    struct list *l = list_of(&a->users, user, n);
    return l ? list_add(l, team, PERM_NONE) : -1;
}

int access_grant(struct access *a, uint32_t team, const char *pkg, size_t n, enum perm perm)
{
    struct list *l = list_of(&a->pkgs, pkg, n);
    return l ? list_add(l, team, perm) : -1;
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

enum perm access_team_perm(struct access *a, const char *pkg, const char *user)
{
    struct strset_entry *pe = strset_get(&a->pkgs, pkg, strlen(pkg));
    struct strset_entry *ue = strset_get(&a->users, user, strlen(user));
    if (!pe || !ue || !pe->val || !ue->val) /* no val: its list failed to allocate */
        return PERM_NONE;
    struct list *g = pe->val, *t = ue->val;
    sort_list(g);
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

static void free_list(void *v)
{
    struct list *l = v;
    if (l)
        free(l->v);
    free(l);
}

void access_free(struct access *a)
{
    if (!a)
        return;
    strset_free(&a->users, free_list);
    strset_free(&a->pkgs, free_list);
    free(a);
}
