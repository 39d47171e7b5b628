/*
 * base64.h — base64 decoding (RFC 4648), for the DSSE envelopes of npm's
 * attestation bundles, whose payload is a base64 in-toto statement.
 *
 * Input is untrusted: the standard alphabet and the URL-safe one are both
 * read (sigstore writes the standard one; some tools the other), padding
 * is optional but, when present, only at the end and only as much as the
 * length calls for; whitespace, stray '=' and any other byte make the whole
 * input invalid (nothing is guessed). The caller bounds the size.
 */
#ifndef J1NPM_BASE64_H
#define J1NPM_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Decodes [s, s+n) and appends the bytes to out (NUL-terminated as every
 * buf). Returns 0, or -1 when the input is not base64 (out is then left as
 * it was). */
int base64_decode(const char *s, size_t n, struct buf *out);

#endif
