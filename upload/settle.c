/*
 * settle.c — see settle.h.
 *
 * settle_may_join() is a 0/1 knapsack over a bitset of reachable sums
 * (one bit a sum, up to the total of the counts), run before every batch
 * that starts while others of its kind are in flight: with --concurrency
 * batches of some thousands of objects that is a few KB and microseconds.
 * settle_doubts() tries every subset (at most 2^SETTLE_MAX_DOUBTS), and
 * stops at the second match: only "exactly one" matters.
 */
#include "settle.h"

#include <stdlib.h>

#include "alloc.h"

static bool has(const uint64_t *set, size_t s)
{
    return set[s / 64] >> (s % 64) & 1;
}

bool settle_may_join(const size_t *counts, size_t m, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < m; i++)
        total += counts[i];
    if (m == 0)
        return true;
    if (total + n >= SETTLE_MAX_SUM)
        return true;
    uint64_t *reach = xcalloc((total + n) / 64 + 1, sizeof *reach);
    /* reach: the sums of the subsets of counts (descending, so each count is used once). */
    reach[0] = 1;
    size_t hi = 0;
    for (size_t i = 0; i < m; i++) {
        for (size_t s = hi + 1; s-- > 0;)
            if (has(reach, s))
                reach[(s + counts[i]) / 64] |= (uint64_t)1 << ((s + counts[i]) % 64);
        hi += counts[i];
    }
    /* n may join iff no subset sum plus n is a subset sum too. */
    bool ok = true;
    for (size_t s = 0; s + n <= hi && ok; s++)
        if (has(reach, s) && has(reach, s + n))
            ok = false;
    free(reach);
    return ok;
}

struct settle_verdict settle_doubts(const size_t *counts, size_t n, long long excess)
{
    struct settle_verdict v = {false, 0, 0};
    if (n == 0) { /* nothing in doubt: nothing to settle */
        v.decided = true;
        return v;
    }
    int matches = 0;
    uint32_t found = 0;
    if (n <= SETTLE_MAX_DOUBTS && excess >= 0) {
        for (uint32_t m = 0; m < ((uint32_t)1 << n) && matches < 2; m++) {
            long long sum = 0;
            for (size_t i = 0; i < n; i++)
                if (m & ((uint32_t)1 << i))
                    sum += (long long)counts[i];
            if (sum == excess) {
                matches++;
                found = m;
            }
        }
    }
    if (matches == 1) {
        v.decided = true;
        v.arrived = found;
    } else if (excess > 0) {
        v.maybe_twice = (uint64_t)excess;
    }
    return v;
}
