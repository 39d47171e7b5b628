/*
 * settle.h — settling batches whose answer was lost: the arithmetic that
 * says which of them arrived, with nothing else (no HTTP, no job, no
 * globals), so that every outcome can be tested on its own.
 *
 * An upload is not idempotent (job.h). A batch sent while its answer was
 * lost is "in doubt"; once nothing is in flight the job is read, and
 * JupiterOne's counter of uploaded objects (entities or relationships)
 * minus the objects of acknowledged batches — the excess — is what the
 * doubtful batches of that kind delivered. Two rules make that decisive:
 *
 *  - settle_may_join(): a batch starts only if the object counts of its
 *    kind's batches whose fate may be unknown at the same time (in flight
 *    or in doubt), with its own, keep distinct subset sums. Then no two
 *    sets of doubtful batches deliver the same number of objects.
 *  - settle_doubts(): the subsets of the doubtful counts that add up to
 *    the excess. Exactly one: those batches arrived (acknowledge them),
 *    the others did not (send them again). None or several (JupiterOne
 *    counting differently, more than SETTLE_MAX_DOUBTS in doubt, a counter
 *    below what was acknowledged): none is known to have arrived, all are
 *    sent again, and the excess (if positive) is objects that may arrive
 *    twice — nothing is ever lost to avoid a duplicate.
 *
 * Counts past SETTLE_MAX_SUM objects are not held to the first rule: sums
 * of such large batches hardly ever meet, and the second rule's fallback is
 * safe.
 */
#ifndef J1NPM_UPLOAD_SETTLE_H
#define J1NPM_UPLOAD_SETTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* More doubtful batches of one kind than this are not searched (2^16 subsets). */
#define SETTLE_MAX_DOUBTS 16
/* Past this total of objects, settle_may_join() lets every batch join. */
#define SETTLE_MAX_SUM ((size_t)1 << 24)

/* May a batch of n objects join the m batches of its kind whose fate may
 * be unknown (counts[0..m))? True iff no subset sum of counts plus n is
 * itself a subset sum of counts (so the subset sums of counts and n stay
 * distinct), or the total is past SETTLE_MAX_SUM. */
bool settle_may_join(const size_t *counts, size_t m, size_t n);

struct settle_verdict {
    bool decided;         /* exactly one subset of the counts makes the excess */
    uint32_t arrived;     /* decided: bit i set when batch i arrived */
    uint64_t maybe_twice; /* not decided: objects counted that no batch can be credited with */
};

/* The fate of the n doubtful batches of one kind (counts[0..n)) when the
 * server counts `excess` more objects than were acknowledged. counts is
 * read only when n <= SETTLE_MAX_DOUBTS. */
struct settle_verdict settle_doubts(const size_t *counts, size_t n, long long excess);

#endif
