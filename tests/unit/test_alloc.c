/* test_alloc.c — the out-of-memory policy, checked growth, the ordered string list. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "strlist.h"
#include "t.h"

/* Runs fn in a child with stderr captured; returns its exit status (-1 if
 * it did not exit) and what it wrote to stderr. */
static int in_child(void (*fn)(void), char *err, size_t errn)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -2;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t k = 0;
    ssize_t r;
    while (k + 1 < errn && (r = read(fds[0], err + k, errn - 1 - k)) > 0)
        k += (size_t)r;
    err[k] = '\0';
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void reserve_too_much(void)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "keep");
    buf_reserve(&b, SIZE_MAX - 2);
}

static void array_product_overflows(void)
{
    void *p = xreallocarray(NULL, SIZE_MAX / 2, 4);
    free(p);
}

static void grow_past_size_max(void)
{
    size_t cap = 0;
    uint64_t *v = NULL;
    GROW(v, SIZE_MAX / 4, cap);
    free(v);
}

/* A size that overflows is not handed to malloc: the process ends with the
 * failure status and one line that says why — never a wrapped small block. */
TEST(test_out_of_memory_ends_the_process_with_status_1_and_says_so)
{
    char err[256];
    void (*cases[])(void) = {reserve_too_much, array_product_overflows, grow_past_size_max};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        T_INT(1, in_child(cases[i], err, sizeof err));
        T_CONTAINS(err, ": out of memory (");
        T_CONTAINS(err, "bytes)\n");
    }
}

TEST(test_grow_doubles_and_keeps_the_elements)
{
    int *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 1000; i++) {
        GROW(v, n + 1, cap);
        v[n++] = i;
    }
    T_TRUE(cap >= 1000 && cap < 2048);
    for (int i = 0; i < 1000; i++)
        if (v[i] != i)
            T_FAIL("v[%d] = %d", i, v[i]);
    size_t before = cap;
    GROW(v, 10, cap); /* enough room already: nothing moves */
    T_UINT(before, cap);
    free(v);
}

TEST(test_memdup0_copies_embedded_nuls_and_terminates)
{
    char *p = xmemdup0("a\0b", 3);
    T_MEM("a\0b", 3, p, 3);
    T_INT(0, p[3]);
    free(p);
    p = xmemdup0("", 0);
    T_STR("", p);
    free(p);
}

TEST(test_strlist_keeps_order_and_unique_drops_repeats)
{
    struct strlist l = STRLIST_INIT;
    T_INT(1, strlist_add_unique(&l, "carol", 5));
    T_INT(1, strlist_add_unique(&l, "alice", 5));
    T_INT(0, strlist_add_unique(&l, "carol", 5));
    T_INT(1, strlist_add_unique(&l, "car", 3));
    T_UINT(3, l.n);
    T_STR("carol", l.v[0]);
    T_STR("alice", l.v[1]);
    T_STR("car", l.v[2]);
    T_TRUE(strlist_has(&l, "alice", 5));
    T_FALSE(strlist_has(&l, "al", 2));
    strlist_add(&l, "alice", 5); /* plain add does not look */
    T_UINT(4, l.n);
    for (int i = 0; i < 5000; i++) {
        char s[16];
        int n = snprintf(s, sizeof s, "u%d", i % 2500);
        strlist_add_unique(&l, s, (size_t)n);
    }
    T_UINT(4 + 2500, l.n);
    T_STR("u2499", l.v[l.n - 1]);
    strlist_free(&l);
    T_UINT(0, l.n);
    T_TRUE(l.v == NULL);
}

/* A short list is searched in place and a long one through its set: the
 * answer is the same on both sides of the switch, also for items that hold
 * NUL bytes or are prefixes of one another. */
TEST(test_strlist_unique_is_exact_before_and_after_it_grows_a_set)
{
    struct strlist l = STRLIST_INIT;
    T_INT(1, strlist_add_unique(&l, "a\0b", 3));
    T_INT(1, strlist_add_unique(&l, "a\0c", 3));
    T_INT(1, strlist_add_unique(&l, "a", 1));
    T_INT(0, strlist_add_unique(&l, "a\0b", 3));
    T_TRUE(l.seen.n == 0); /* still searched in place */
    for (int i = 0; i < 40; i++) {
        char s[8];
        int n = snprintf(s, sizeof s, "n%d", i);
        T_INT(1, strlist_add_unique(&l, s, (size_t)n));
    }
    T_TRUE(l.seen.n > 0); /* now through the set */
    T_INT(0, strlist_add_unique(&l, "a\0c", 3));
    T_INT(0, strlist_add_unique(&l, "n3", 2));
    T_INT(1, strlist_add_unique(&l, "a\0d", 3));
    T_TRUE(strlist_has(&l, "a\0b", 3));
    T_FALSE(strlist_has(&l, "a\0", 2));
    T_UINT(3 + 40 + 1, l.n);
    T_MEM("a\0c", 3, l.v[1], l.len[1]);
    strlist_free(&l);
}
