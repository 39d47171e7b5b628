/*
 * siphash.h — SipHash-2-4 with a 128-bit output (Aumasson & Bernstein),
 * for sets that keep a digest of each string instead of the string.
 *
 * upload checks that 200,000 `_key`s are unique while holding 16 bytes a
 * key rather than the keys themselves. That needs a hash with no practical
 * collisions (128 bits) and no crafted ones: the graph files are untrusted,
 * and an unkeyed fast hash (FNV, Murmur) has seed-independent collisions that
 * a hostile file could use to make two different keys look like duplicates.
 * SipHash is a keyed PRF; callers draw the key at random per run
 * (siphash_random_key), so nobody can aim at it. SHA-256 would also do, but
 * costs ~10× more on short strings.
 */
#ifndef J1NPM_SIPHASH_H
#define J1NPM_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
    uint64_t k0, k1;
};

/* A key from the kernel's random source (getrandom); falls back to time and
 * pid mixing if that fails, which still defeats precomputed collisions. */
void siphash_random_key(struct siphash_key *k);
/* out[0], out[1]: the 128-bit tag as two little-endian 64-bit words. */
void siphash128(const struct siphash_key *k, const void *data, size_t n, uint64_t out[2]);

#endif
