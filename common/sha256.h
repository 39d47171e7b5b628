/*
 * sha256.h — SHA-256 (FIPS 180-4), for the dump manifest's file checksums.
 *
 * Our own small implementation so that the only dependencies stay libcurl,
 * zlib and jsmn; speed is irrelevant next to deflate, which it runs beside.
 */
#ifndef J1NPM_SHA256_H
#define J1NPM_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char blk[64];
    size_t nblk;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* Final digest as 64 lower-case hex digits + NUL. */
void sha256_hex(struct sha256 *s, char out[65]);

#endif
