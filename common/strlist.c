/* strlist.c — see strlist.h. */
#include "strlist.h"

#include <stdlib.h>

#include "alloc.h"

void strlist_add(struct strlist *l, const char *s, size_t n)
{
    GROW(l->v, l->n + 1, l->cap);
    l->v[l->n++] = xmemdup0(s, n);
}

int strlist_add_unique(struct strlist *l, const char *s, size_t n)
{
    if (strset_add(&l->seen, s, n, NULL) == 0)
        return 0;
    strlist_add(l, s, n);
    return 1;
}

bool strlist_has(const struct strlist *l, const char *s, size_t n)
{
    return strset_get(&l->seen, s, n) != NULL;
}

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    strset_free(&l->seen, NULL);
    l->v = NULL;
    l->n = l->cap = 0;
}
