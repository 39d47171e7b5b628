/*
 * strset.h — a set (optionally a map) of byte strings, open addressing.
 *
 * The joins in transform (users, teams, package facts) and the key checks in
 * upload hold sets of names; this is the one structure for all of them.
 * Keys are copied into the set; each entry can carry one pointer-sized value
 * the caller owns. Memory: one slot array (load <= 0.5) plus the key bytes;
 * growth follows alloc.h (it never fails, it ends the process).
 */
#ifndef J1NPM_STRSET_H
#define J1NPM_STRSET_H

#include <stddef.h>
#include <stdint.h>

struct strset_entry {
    char *key; /* NUL-terminated copy; NULL = empty slot */
    size_t len;
    uint64_t hash;
    void *val;
};

struct strset {
    struct strset_entry *e;
    size_t cap, n;
};

#define STRSET_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

uint64_t strset_hash(const char *s, size_t n);
/* 1 added, 0 already present (*out points at the entry either way). */
int strset_add(struct strset *s, const char *k, size_t n, struct strset_entry **out);
struct strset_entry *strset_get(const struct strset *s, const char *k, size_t n);
/* Entries in slot order, for iteration: for (i = 0; i < s.cap; i++) if (s.e[i].key) ... */
/* Sorted array of entry pointers (bytewise key order, never NULL); caller frees the array. */
struct strset_entry **strset_sorted(const struct strset *s);
void strset_free(struct strset *s, void (*free_val)(void *));

#endif
