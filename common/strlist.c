/* strlist.c — see strlist.h. */
#include "strlist.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Small lists are searched in place; the set is built once a list holds
 * more than SMALL items. A set starts at 64 slots (2 KB): thousands of
 * people with one or two emails each must not cost 2 KB apiece. */
#define SMALL 16

void strlist_add(struct strlist *l, const char *s, size_t n)
{
    GROW(l->v, l->n + 1, l->cap);
    GROW(l->len, l->n + 1, l->lcap);
    l->v[l->n] = xmemdup0(s, n);
    l->len[l->n++] = n;
}

static bool in_place(const struct strlist *l, const char *s, size_t n)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->len[i] == n && memcmp(l->v[i], s, n) == 0)
            return true;
    return false;
}

int strlist_add_unique(struct strlist *l, const char *s, size_t n)
{
    if (l->seen.n == 0 && l->n < SMALL) {
        if (in_place(l, s, n))
            return 0;
    } else {
        if (l->seen.n == 0) /* the list outgrew SMALL: what it holds goes into the set */
            for (size_t i = 0; i < l->n; i++)
                strset_add(&l->seen, l->v[i], l->len[i], NULL);
        if (strset_add(&l->seen, s, n, NULL) == 0)
            return 0;
    }
    strlist_add(l, s, n);
    return 1;
}

bool strlist_has(const struct strlist *l, const char *s, size_t n)
{
    return l->seen.n ? strset_get(&l->seen, s, n) != NULL : in_place(l, s, n);
}

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->len);
    strset_free(&l->seen, NULL);
    *l = (struct strlist)STRLIST_INIT;
}
