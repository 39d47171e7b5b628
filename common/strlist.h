/*
 * strlist.h — an ordered list of byte strings, optionally without repeats:
 * the one list of names in this code (git's string_list).
 *
 * Items keep the order they were added in (the order a registry listed
 * them, which is the order things are fetched and reported in).
 * strlist_add_unique() appends only what the list does not hold yet: a
 * short list is searched in place, and a list past 16 items keeps a
 * strset beside the array, so a repeat is found in O(1) — large lists
 * (an org's members) stay fast and small ones (a person's emails) stay
 * small. strlist_add() appends without looking. Each item is a
 * NUL-terminated copy owned by the list (it may hold NULs of its own:
 * len[i] is its length). Memory follows alloc.h: growth never fails, it
 * ends the process.
 */
#ifndef J1NPM_STRLIST_H
#define J1NPM_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "strset.h"

struct strlist {
    char **v;
    size_t *len;
    size_t n, cap, lcap;
    struct strset seen; /* by strlist_add_unique() past 16 items */
};

#define STRLIST_INIT                                                                               \
    {                                                                                              \
        NULL, NULL, 0, 0, 0, STRSET_INIT                                                           \
    }

/* Appends a copy of [s, s+n). */
void strlist_add(struct strlist *l, const char *s, size_t n);
/* Appends a copy unless the list holds an equal item: 1 added, 0 a repeat. */
int strlist_add_unique(struct strlist *l, const char *s, size_t n);
/* Whether the list holds an item equal to [s, s+n). Exact for a list
 * built by strlist_add_unique(); on a list with plain adds past 16 items
 * only what strlist_add_unique() saw is in its set. */
bool strlist_has(const struct strlist *l, const char *s, size_t n);
void strlist_free(struct strlist *l);

#endif
