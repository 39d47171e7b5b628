/*
 * json_bytes.h — the byte classes of JSON's grammar, private to the json_*.c
 * files (json.h is the public face).
 *
 * One grammar is written three times on purpose (see json_scan.c): the
 * pointer scanner, the push machine and the writer's UTF-8 repair. What
 * they must agree on byte by byte lives here once: which UTF-8 sequences are
 * valid, which string bytes need no attention, what a hex digit is.
 */
#ifndef J1NPM_JSON_BYTES_H
#define J1NPM_JSON_BYTES_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence that starts at p (1..4), or 0 if the
 * bytes there are not valid UTF-8 (overlongs, surrogates, > U+10FFFF and
 * truncated sequences are all invalid). */
static inline size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* clang-format off */
static const unsigned char str_plain[256] = {
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
    /* 0x00-0x1F: control characters must be escaped */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x20-0x2F: '"' (0x22) ends the string */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    P16,
    P16,
    /* 0x50-0x5F: '\\' (0x5C) starts an escape */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    P16,
    P16,
    /* 0x80-0xFF: UTF-8, checked separately */
#undef P16
};
/* clang-format on */

/* The end of the run of plain string bytes at p (at most end): the first
 * '"', '\\', control character or non-ASCII byte. Strings are most of a
 * package document's bytes (tarball URLs, integrity hashes, readmes), so
 * with SSE2 (every x86-64) this looks at 16 bytes a step. */
#if defined(__SSE2__)
#include <emmintrin.h>
static inline const char *plain_run(const char *p, const char *end)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  ctl = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash));
        /* unsigned v <= 0x1f exactly when max(v, 0x1f) == 0x1f */
        stop = _mm_or_si128(stop, _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
        /* the sign bit of v itself marks the bytes >= 0x80 */
        unsigned mask = (unsigned)_mm_movemask_epi8(stop) | (unsigned)_mm_movemask_epi8(v);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
    while (p < end && str_plain[(unsigned char)*p])
        p++;
    return p;
}
#else
static inline const char *plain_run(const char *p, const char *end)
{
    while (p + 8 <= end && str_plain[(unsigned char)p[0]] && str_plain[(unsigned char)p[1]] &&
           str_plain[(unsigned char)p[2]] && str_plain[(unsigned char)p[3]] &&
           str_plain[(unsigned char)p[4]] && str_plain[(unsigned char)p[5]] &&
           str_plain[(unsigned char)p[6]] && str_plain[(unsigned char)p[7]])
        p += 8;
    while (p < end && str_plain[(unsigned char)*p])
        p++;
    return p;
}
#endif

static inline int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

#endif
