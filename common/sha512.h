/*
 * sha512.h — SHA-512 (FIPS 180-4), for one job: the npm registry names
 * each of an account's tokens in `/-/npm/v1/tokens` by a `key`, the SHA-512
 * of the token in lowercase hex (what `npm token revoke` matches a token
 * against). collect puts that hash of its own token in the dump
 * (token_key), so transform can find the collecting token in the list
 * without the token itself ever being written.
 *
 * Our own small implementation, like sha256.c: the dependencies stay
 * libcurl, zlib and jsmn.
 */
#ifndef J1NPM_SHA512_H
#define J1NPM_SHA512_H

#include <stddef.h>
#include <stdint.h>

struct sha512 {
    uint64_t h[8];
    uint64_t len; /* bytes; messages of 2^61 bytes or more are not our case */
    unsigned char blk[128];
    size_t nblk;
};

void sha512_init(struct sha512 *s);
void sha512_update(struct sha512 *s, const void *data, size_t n);
void sha512_final(struct sha512 *s, unsigned char out[64]);
/* Final digest as 128 lower-case hex digits + NUL. */
void sha512_hex(struct sha512 *s, char out[129]);

#endif
