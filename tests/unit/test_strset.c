/* test_strset.c — the set/map of byte strings behind every join. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"
#include "t.h"

TEST(test_strset_add_then_get)
{
    struct strset s = STRSET_INIT;
    struct strset_entry *e = NULL;
    T_TRUE(strset_get(&s, "a", 1) == NULL); /* an empty set finds nothing */
    T_INT(1, strset_add(&s, "alice", 5, &e));
    T_TRUE(e != NULL);
    T_STR("alice", e->key);
    T_UINT(5, e->len);
    T_TRUE(e->val == NULL);
    T_TRUE(strset_get(&s, "alice", 5) == e);
    T_TRUE(strset_get(&s, "alic", 4) == NULL);
    T_TRUE(strset_get(&s, "bob", 3) == NULL);
    T_INT(1, strset_add(&s, "bob", 3, NULL));
    T_UINT(2, s.n);
    strset_free(&s, NULL);
    T_UINT(0, s.n);
    T_TRUE(s.e == NULL);
}

TEST(test_strset_add_twice_keeps_one_entry_and_its_value)
{
    struct strset s = STRSET_INIT;
    struct strset_entry *e1 = NULL, *e2 = NULL;
    int v = 7;
    T_INT(1, strset_add(&s, "team", 4, &e1));
    e1->val = &v;
    T_INT(0, strset_add(&s, "team", 4, &e2));
    T_TRUE(e1 == e2);
    T_TRUE(e2->val == &v);
    T_UINT(1, s.n);
    strset_free(&s, NULL);
}

TEST(test_strset_keys_are_byte_strings)
{
    struct strset s = STRSET_INIT;
    T_INT(1, strset_add(&s, "ab", 2, NULL));
    T_INT(1, strset_add(&s, "ab\0", 3, NULL));
    T_INT(1, strset_add(&s, "a", 1, NULL));
    T_INT(1, strset_add(&s, "", 0, NULL));
    T_INT(1, strset_add(&s, "\xff\x00\x01", 3, NULL));
    T_INT(0, strset_add(&s, "ab\0", 3, NULL));
    T_INT(0, strset_add(&s, "", 0, NULL));
    T_UINT(5, s.n);
    struct strset_entry *e = strset_get(&s, "ab\0", 3);
    T_TRUE(e != NULL);
    T_MEM("ab\0", 3, e->key, e->len);
    T_INT('\0', e->key[3]);
    T_TRUE(strset_get(&s, "\xff\x00\x01", 3) != NULL);
    T_TRUE(strset_get(&s, "\xff\x00\x02", 3) == NULL);
    T_UINT(strset_hash("ab", 2), strset_get(&s, "ab", 2)->hash);
    strset_free(&s, NULL);
}

TEST(test_strset_grows_past_many_thousands)
{
    enum { N = 100000 };
    struct strset s = STRSET_INIT;
    char k[32];
    for (int i = 0; i < N; i++) {
        struct strset_entry *e;
        int n = snprintf(k, sizeof k, "pkg-%d", i);
        T_INT(1, strset_add(&s, k, (size_t)n, &e));
        e->val = (void *)(uintptr_t)(i + 1);
    }
    T_UINT(N, s.n);
    T_TRUE(s.cap >= 2 * s.n);       /* load stays <= 0.5 */
    T_UINT(0, s.cap & (s.cap - 1)); /* a power of two */
    size_t used = 0;
    for (size_t i = 0; i < s.cap; i++)
        used += s.e[i].key != NULL;
    T_UINT(N, used);
    for (int i = 0; i < N; i++) {
        int n = snprintf(k, sizeof k, "pkg-%d", i);
        struct strset_entry *e = strset_get(&s, k, (size_t)n);
        if (!e)
            T_FAIL("pkg-%d lost after growth", i);
        T_UINT((uintptr_t)(i + 1), (uintptr_t)e->val);
        T_INT(0, strset_add(&s, k, (size_t)n, NULL));
    }
    for (int i = N; i < N + 1000; i++) {
        int n = snprintf(k, sizeof k, "pkg-%d", i);
        T_TRUE(strset_get(&s, k, (size_t)n) == NULL);
    }
    T_UINT(N, s.n);
    strset_free(&s, NULL);
}

TEST(test_strset_sorted_order_is_bytewise)
{
    static const struct {
        const char *k;
        size_t n;
    } in[] = {{"b", 1},    {"\xff", 1}, {"a", 1}, {"ab", 2}, {"", 0},        {"A", 1},
              {"\x80", 1}, {"a\0", 2},  {"Z", 1}, {"aa", 2}, {"@scope/x", 8}};
    static const struct {
        const char *k;
        size_t n;
    } want[] = {{"", 0},   {"@scope/x", 8}, {"A", 1}, {"Z", 1},    {"a", 1},   {"a\0", 2},
                {"aa", 2}, {"ab", 2},       {"b", 1}, {"\x80", 1}, {"\xff", 1}};
    struct strset s = STRSET_INIT;
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        T_INT(1, strset_add(&s, in[i].k, in[i].n, NULL));
    struct strset_entry **v = strset_sorted(&s);
    T_TRUE(v != NULL);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!t_mem(want[i].k, want[i].n, v[i]->key, v[i]->len, __FILE__, __LINE__, "v[i]->key"))
            break;
    }
    free(v);
    strset_free(&s, NULL);

    /* Many keys: each neighbour pair is in order. */
    struct strset big = STRSET_INIT;
    struct t_rng r;
    t_rng_init(&r, 7);
    for (int i = 0; i < 5000; i++) {
        char k[8];
        size_t n = 1 + t_rng_below(&r, sizeof k);
        for (size_t j = 0; j < n; j++)
            k[j] = (char)t_rng_u32(&r);
        T_TRUE(strset_add(&big, k, n, NULL) >= 0);
    }
    v = strset_sorted(&big);
    T_TRUE(v != NULL);
    for (size_t i = 1; i < big.n; i++) {
        size_t n = v[i - 1]->len < v[i]->len ? v[i - 1]->len : v[i]->len;
        int c = memcmp(v[i - 1]->key, v[i]->key, n);
        if (!T_CHECK_BOOL(true, c < 0 || (c == 0 && v[i - 1]->len < v[i]->len)))
            break;
    }
    free(v);
    strset_free(&big, NULL);
}

TEST(test_strset_sorted_of_an_empty_set)
{
    struct strset s = STRSET_INIT;
    struct strset_entry **v = strset_sorted(&s);
    T_TRUE(v != NULL);
    free(v);
    strset_free(&s, NULL);
}

static int freed;
static void count_free(void *p)
{
    freed++;
    free(p);
}

TEST(test_strset_free_releases_values)
{
    struct strset s = STRSET_INIT;
    freed = 0;
    for (int i = 0; i < 100; i++) {
        char k[16];
        struct strset_entry *e;
        int n = snprintf(k, sizeof k, "k%d", i);
        T_INT(1, strset_add(&s, k, (size_t)n, &e));
        if (i % 2)
            e->val = malloc(16);
    }
    strset_free(&s, count_free);
    T_INT(50, freed);
}
