/*
 * alloc.h — the one out-of-memory policy of this code, and checked growth.
 *
 * The policy (git's xmalloc keeps the same one): running out of memory is
 * not an error a caller handles, it ends the process. Every allocation in
 * common/, collect/, transform/ and upload/ goes through x*() below or
 * through a buf/strset/strlist call that does; none of them returns NULL or
 * -1 for lack of memory, so no caller writes an "out of memory" branch.
 *
 * Why not return the error, as every other failure is returned (err.h)?
 * Memory is bounded by construction in all three programs (see each
 * program's design comment): an allocation fails only when the machine
 * itself is out of memory, and then the honest outcome is to stop. Stopping
 * is safe for the data: nothing is written under a final name before it is
 * complete (fsutil.h), and an upload job that is not finalized deletes
 * nothing in JupiterOne. The ~100 branches that reported it by hand were
 * untestable, and the buf calls whose result nobody checked were wrong.
 *
 * On failure: one line "<program>: out of memory (N bytes)" on stderr,
 * written without allocating, then exit status 1 (exitcode.h's failure),
 * without running atexit handlers (they may need memory).
 */
#ifndef J1NPM_ALLOC_H
#define J1NPM_ALLOC_H

#include <stddef.h>

/* Ends the process as above; `n` is the size that could not be had (0 when
 * the size itself overflowed). */
_Noreturn void oom_die(size_t n);

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* n * size bytes, the product checked for overflow (which also ends the process). */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* A NUL-terminated copy of n bytes of s (which may hold NULs of its own). */
char *xmemdup0(const void *s, size_t n);

/* Grows an array so it holds at least `need` elements: the one growth
 * helper (git's ALLOC_GROW). `cap` is the element capacity, doubled (from
 * 4 when 0: most lists here hold one or two) and checked for overflow; elements beyond the old
 * capacity are uninitialized.
 *
 *     GROW(list->v, list->n + 1, list->cap);
 *     list->v[list->n++] = x;
 */
void *grow_array(void *p, size_t elem, size_t need, size_t *cap);
#define GROW(arr, need, cap) ((arr) = grow_array((arr), sizeof *(arr), (need), &(cap)))

#endif
