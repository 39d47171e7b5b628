/*
 * join.c — see join.h. Each set owns its entries; join_free() releases
 * them with the set.
 */
#include "join.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void join_init(struct joins *j)
{
    memset(j, 0, sizeof *j);
    j->access = access_new();
}

/* The value for name in set, made by make() the first time it is asked for. */
static void *intern(struct joins *j, struct strset *set, const char *name, const char *org,
                    void *(*make)(struct joins *j, const char *name, const char *org))
{
    struct strset_entry *en = NULL;
    strset_add(set, name, strlen(name), &en);
    if (!en->val)
        en->val = make(j, name, org);
    return en->val;
}

static void *make_user(struct joins *j, const char *name, const char *org)
{
    (void)org;
    struct user *u = xcalloc(1, sizeof *u);
    u->name = xstrdup(name);
    u->id = j->nusers++;
    return u;
}

static void *make_package(struct joins *j, const char *name, const char *org)
{
    (void)j, (void)org;
    struct package *p = xcalloc(1, sizeof *p);
    p->name = xstrdup(name);
    p->visibility = -1;
    p->prov_self_hosted = -1;
    p->latest_affected = -1;
    return p;
}

static void *make_team(struct joins *j, const char *full, const char *org)
{
    struct team *t = xcalloc(1, sizeof *t);
    const char *colon = strchr(full, ':');
    t->full = xstrdup(full);
    t->org = colon ? xmemdup0(full, (size_t)(colon - full)) : xstrdup(org ? org : "");
    t->name = xstrdup(colon ? colon + 1 : full);
    t->id = j->nteams++;
    return t;
}

struct user *join_user(struct joins *j, const char *name)
{
    return intern(j, &j->users, name, NULL, make_user);
}

struct package *join_package(struct joins *j, const char *name)
{
    return intern(j, &j->packages, name, NULL, make_package);
}

struct team *join_team(struct joins *j, const char *full, const char *org)
{
    return intern(j, &j->teams, full, org, make_team);
}

struct user *join_find_user(const struct joins *j, const char *name)
{
    struct strset_entry *en = strset_get(&j->users, name, strlen(name));
    return en ? en->val : NULL;
}

struct package *join_find_package(const struct joins *j, const char *name)
{
    struct strset_entry *en = strset_get(&j->packages, name, strlen(name));
    return en ? en->val : NULL;
}

void *join_slot(const struct strset *set, size_t i)
{
    return set->e[i].key ? set->e[i].val : NULL;
}

static void free_user(void *v)
{
    struct user *u = v;
    free(u->name);
    free(u->role);
    free(u->profile);
    strlist_free(&u->emails);
    free(u);
}

static void free_team(void *v)
{
    struct team *t = v;
    free(t->full);
    free(t->org);
    free(t->name);
    strlist_free(&t->members);
    strlist_free(&t->perm_pkg);
    strlist_free(&t->perm_val);
    free(t);
}

static void free_package(void *v)
{
    struct package *p = v;
    char *strs[] = {p->name,         p->access,      p->latest,      p->repo_host,
                    p->repo_owner,   p->repo_name,   p->prov_url,    p->prov_owner,
                    p->prov_name,    p->prov_host,   p->prov_commit, p->prov_workflow,
                    p->prov_builder, p->prov_trigger};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(strs[i]);
    free(p);
}

void join_free(struct joins *j)
{
    strset_free(&j->users, free_user);
    strset_free(&j->teams, free_team);
    strset_free(&j->packages, free_package);
    access_free(j->access);
    memset(j, 0, sizeof *j);
}
