/*
 * strlist.h — an ordered list of byte strings, optionally without repeats:
 * the one list of names in this code (git's string_list).
 *
 * Items keep the order they were added in (the order a registry listed
 * them, which is the order things are fetched and reported in). A list
 * made with strlist_add_unique() keeps a strset beside the array, so a
 * repeat is found in O(1) instead of by a linear search; strlist_add()
 * appends without looking. Each item is a NUL-terminated copy owned by the
 * list. Memory follows alloc.h: growth never fails, it ends the process.
 */
#ifndef J1NPM_STRLIST_H
#define J1NPM_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "strset.h"

struct strlist {
    char **v;
    size_t n, cap;
    struct strset seen; /* filled by strlist_add_unique() only */
};

#define STRLIST_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0, STRSET_INIT                                                                    \
    }

/* Appends a copy of [s, s+n). */
void strlist_add(struct strlist *l, const char *s, size_t n);
/* Appends a copy unless an item added by this call is equal: 1 added, 0 a repeat. */
int strlist_add_unique(struct strlist *l, const char *s, size_t n);
/* Whether an item added by strlist_add_unique() equals [s, s+n). */
bool strlist_has(const struct strlist *l, const char *s, size_t n);
void strlist_free(struct strlist *l);

#endif
