/* strset.c — see strset.h. FNV-1a hashing, linear probing, power-of-two size. */
#include "strset.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

uint64_t strset_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

static void grow(struct strset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 64;
    struct strset_entry *ne = xcalloc(ncap, sizeof *ne);
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->e[i].key)
            continue;
        size_t j = s->e[i].hash & (ncap - 1);
        while (ne[j].key)
            j = (j + 1) & (ncap - 1);
        ne[j] = s->e[i];
    }
    free(s->e);
    s->e = ne;
    s->cap = ncap;
}

struct strset_entry *strset_get(const struct strset *s, const char *k, size_t n)
{
    if (!s->cap)
        return NULL;
    uint64_t h = strset_hash(k, n);
    for (size_t j = h & (s->cap - 1);; j = (j + 1) & (s->cap - 1)) {
        struct strset_entry *e = &s->e[j];
        if (!e->key)
            return NULL;
        if (e->hash == h && e->len == n && memcmp(e->key, k, n) == 0)
            return e;
    }
}

int strset_add(struct strset *s, const char *k, size_t n, struct strset_entry **out)
{
    struct strset_entry *found = strset_get(s, k, n);
    if (found) {
        if (out)
            *out = found;
        return 0;
    }
    if ((s->n + 1) * 2 > s->cap)
        grow(s);
    uint64_t h = strset_hash(k, n);
    size_t j = h & (s->cap - 1);
    while (s->e[j].key)
        j = (j + 1) & (s->cap - 1);
    s->e[j].key = xmemdup0(k, n);
    s->e[j].len = n;
    s->e[j].hash = h;
    s->e[j].val = NULL;
    s->n++;
    if (out)
        *out = &s->e[j];
    return 1;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct strset_entry *x = *(const struct strset_entry *const *)a;
    const struct strset_entry *y = *(const struct strset_entry *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

struct strset_entry **strset_sorted(const struct strset *s)
{
    struct strset_entry **v = xreallocarray(NULL, s->n ? s->n : 1, sizeof(struct strset_entry *));
    size_t k = 0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->e[i].key)
            v[k++] = &s->e[i];
    qsort(v, k, sizeof(struct strset_entry *), cmp_entry);
    return v;
}

void strset_free(struct strset *s, void (*free_val)(void *))
{
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->e[i].key)
            continue;
        free(s->e[i].key);
        if (free_val && s->e[i].val)
            free_val(s->e[i].val);
    }
    free(s->e);
    s->e = NULL;
    s->cap = s->n = 0;
}
