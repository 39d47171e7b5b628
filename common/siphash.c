/* siphash.c — see siphash.h. The reference algorithm, 2 compression and 4
 * finalization rounds, 128-bit variant (v1 ^= 0xee at the start, v2 ^= 0xee
 * before the first output word, v1 ^= 0xdd before the second). */
#include "siphash.h"

#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "timeutil.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

static uint64_t load_le64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

void siphash128(const struct siphash_key *k, const void *data, size_t n, uint64_t out[2])
{
    const unsigned char *p = data;
    uint64_t v0 = 0x736f6d6570736575ULL ^ k->k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ k->k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k->k0;
    uint64_t v3 = 0x7465646279746573ULL ^ k->k1;
    v1 ^= 0xee;
    size_t whole = n - n % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = load_le64(p + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)n << 56;
    switch (n % 8) {
    case 7:
        b |= (uint64_t)p[whole + 6] << 48;
        /* fall through */
    case 6:
        b |= (uint64_t)p[whole + 5] << 40;
        /* fall through */
    case 5:
        b |= (uint64_t)p[whole + 4] << 32;
        /* fall through */
    case 4:
        b |= (uint64_t)p[whole + 3] << 24;
        /* fall through */
    case 3:
        b |= (uint64_t)p[whole + 2] << 16;
        /* fall through */
    case 2:
        b |= (uint64_t)p[whole + 1] << 8;
        /* fall through */
    case 1: b |= (uint64_t)p[whole]; break;
    default: break;
    }
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xee;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    out[0] = v0 ^ v1 ^ v2 ^ v3;
    v1 ^= 0xdd;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    out[1] = v0 ^ v1 ^ v2 ^ v3;
}

void siphash_random_key(struct siphash_key *k)
{
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) == (ssize_t)sizeof r) {
        k->k0 = load_le64(r);
        k->k1 = load_le64(r + 8);
        memset(r, 0, sizeof r);
        return;
    }
    uint64_t t = (uint64_t)time_mono_ms() ^ ((uint64_t)time_wall_ms() << 20);
    k->k0 = t ^ 0x9e3779b97f4a7c15ULL;
    k->k1 = ((uint64_t)getpid() << 32) ^ (t * 0xbf58476d1ce4e5b9ULL);
}
