/* test_settle.c — settling batches whose answer was lost (upload/settle.h). */
#include <stddef.h>
#include <stdint.h>

#include "t.h"
#include "upload/settle.h"

#define N(a) (sizeof(a) / sizeof(a)[0])

/* ---- settle_may_join: the distinct-sums rule ---- */

TEST(test_settle_a_batch_joins_when_nothing_else_is_unknown)
{
    T_TRUE(settle_may_join(NULL, 0, 1));
    T_TRUE(settle_may_join(NULL, 0, 500));
}

TEST(test_settle_an_equal_count_may_not_join)
{
    size_t c[] = {100};
    T_FALSE(settle_may_join(c, N(c), 100)); /* {100} and {new} would both make 100 */
    T_TRUE(settle_may_join(c, N(c), 99));
    T_TRUE(settle_may_join(c, N(c), 101));
}

TEST(test_settle_a_count_equal_to_a_sum_of_others_may_not_join)
{
    size_t c[] = {3, 5};
    T_FALSE(settle_may_join(c, N(c), 8)); /* 3+5 == 8 */
    T_FALSE(settle_may_join(c, N(c), 2)); /* 3+2 == 5 */
    T_FALSE(settle_may_join(c, N(c), 3));
    T_FALSE(settle_may_join(c, N(c), 5));
    T_TRUE(settle_may_join(c, N(c), 1)); /* sums 0,1,3,4,5,6,8,9: all distinct */
    T_TRUE(settle_may_join(c, N(c), 9));
}

TEST(test_settle_powers_of_two_always_keep_distinct_sums)
{
    size_t c[16];
    for (size_t i = 0; i < N(c); i++)
        c[i] = (size_t)1 << i;
    T_TRUE(settle_may_join(c, 15, c[15]));
    T_FALSE(settle_may_join(c, 15, 3)); /* 1+2 */
}

TEST(test_settle_every_join_it_allows_leaves_one_subset_per_sum)
{
    /* Brute force: for small counts, may_join agrees with "all subset sums distinct". */
    struct t_rng rng;
    t_rng_init(&rng, 9);
    for (int round = 0; round < 300 && !t_failed(); round++) {
        size_t c[6], m = t_rng_below(&rng, 6), n = 1 + t_rng_below(&rng, 40);
        for (size_t i = 0; i < m; i++)
            c[i] = 1 + t_rng_below(&rng, 40);
        bool distinct = true;
        size_t all[7];
        for (size_t i = 0; i < m; i++)
            all[i] = c[i];
        all[m] = n;
        for (unsigned a = 0; a < (1u << (m + 1)) && distinct; a++)
            for (unsigned b = a + 1; b < (1u << (m + 1)) && distinct; b++) {
                size_t sa = 0, sb = 0;
                for (size_t i = 0; i <= m; i++) {
                    sa += a >> i & 1 ? all[i] : 0;
                    sb += b >> i & 1 ? all[i] : 0;
                }
                /* only pairs that differ in n matter: c's own sums may already meet */
                if (sa == sb && ((a ^ b) >> m & 1))
                    distinct = false;
            }
        T_CHECK_BOOL(distinct, settle_may_join(c, m, n));
    }
}

TEST(test_settle_huge_batches_are_not_held_to_the_rule)
{
    size_t c[] = {SETTLE_MAX_SUM / 2, SETTLE_MAX_SUM / 2};
    T_TRUE(settle_may_join(c, N(c), SETTLE_MAX_SUM / 2)); /* would collide, but past the limit */
    size_t d[] = {SETTLE_MAX_SUM / 4};
    T_FALSE(settle_may_join(d, N(d), SETTLE_MAX_SUM / 4)); /* under it: held */
}

/* ---- settle_doubts: which doubtful batches arrived ---- */

TEST(test_settle_none_arrived_when_the_counter_shows_no_excess)
{
    size_t c[] = {10, 20};
    struct settle_verdict v = settle_doubts(c, N(c), 0);
    T_TRUE(v.decided);
    T_UINT(0, v.arrived);
    T_UINT(0, v.maybe_twice);
}

TEST(test_settle_all_arrived_when_the_excess_is_their_total)
{
    size_t c[] = {10, 20, 40};
    struct settle_verdict v = settle_doubts(c, N(c), 70);
    T_TRUE(v.decided);
    T_UINT(7, v.arrived);
}

TEST(test_settle_names_exactly_the_batches_that_make_the_excess)
{
    size_t c[] = {10, 20, 40};
    struct settle_verdict v = settle_doubts(c, N(c), 50);
    T_TRUE(v.decided);
    T_UINT(5, v.arrived); /* batches 0 and 2 arrived, batch 1 is sent again */
    v = settle_doubts(c, N(c), 20);
    T_TRUE(v.decided);
    T_UINT(2, v.arrived);
}

TEST(test_settle_an_excess_no_subset_makes_leaves_all_in_doubt)
{
    size_t c[] = {10, 20};
    struct settle_verdict v = settle_doubts(c, N(c), 15);
    T_FALSE(v.decided);
    T_UINT(0, v.arrived);
    T_UINT(15, v.maybe_twice); /* counted, but no batch can be credited */
}

TEST(test_settle_an_excess_two_subsets_make_leaves_all_in_doubt)
{
    size_t c[] = {10, 20, 30}; /* 10+20 == 30: the scheduler would not allow it */
    struct settle_verdict v = settle_doubts(c, N(c), 30);
    T_FALSE(v.decided);
    T_UINT(30, v.maybe_twice);
}

TEST(test_settle_a_counter_below_the_acknowledged_leaves_all_in_doubt_and_nothing_twice)
{
    size_t c[] = {10};
    struct settle_verdict v = settle_doubts(c, N(c), -5);
    T_FALSE(v.decided);
    T_UINT(0, v.arrived);
    T_UINT(0, v.maybe_twice);
}

TEST(test_settle_an_excess_beyond_every_batch_leaves_all_in_doubt)
{
    size_t c[] = {10, 20};
    struct settle_verdict v = settle_doubts(c, N(c), 31);
    T_FALSE(v.decided);
    T_UINT(31, v.maybe_twice);
}

TEST(test_settle_more_doubts_than_can_be_searched_are_all_sent_again)
{
    size_t c[SETTLE_MAX_DOUBTS + 1];
    for (size_t i = 0; i < N(c); i++)
        c[i] = (size_t)1 << i;
    struct settle_verdict v = settle_doubts(c, N(c), 1);
    T_FALSE(v.decided);
    T_UINT(1, v.maybe_twice);
    v = settle_doubts(c, SETTLE_MAX_DOUBTS, (1 << 15) + 1); /* at the limit: searched */
    T_TRUE(v.decided);
    T_UINT(((uint32_t)1 << 15) | 1, v.arrived);
}

TEST(test_settle_nothing_in_doubt_settles_to_nothing)
{
    struct settle_verdict v = settle_doubts(NULL, 0, 12);
    T_TRUE(v.decided);
    T_UINT(0, v.arrived);
    T_UINT(0, v.maybe_twice);
}

TEST(test_settle_counts_kept_distinct_by_the_rule_always_decide)
{
    /* What the scheduler guarantees, end to end: batches admitted one by
     * one by settle_may_join settle exactly, whichever of them arrived. */
    struct t_rng rng;
    t_rng_init(&rng, 42);
    for (int round = 0; round < 200 && !t_failed(); round++) {
        size_t c[8], n = 0;
        for (int tries = 0; tries < 40 && n < N(c); tries++) {
            size_t k = 1 + t_rng_below(&rng, 300);
            if (settle_may_join(c, n, k))
                c[n++] = k;
        }
        uint32_t truth = t_rng_below(&rng, 1u << n);
        long long excess = 0;
        for (size_t i = 0; i < n; i++)
            excess += truth >> i & 1 ? (long long)c[i] : 0;
        struct settle_verdict v = settle_doubts(c, n, excess);
        if (!T_CHECK_BOOL(true, v.decided) || !T_CHECK_INT(truth, v.arrived))
            break;
    }
}
