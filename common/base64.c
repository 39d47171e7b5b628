/*
 * base64.c — see base64.h. Four characters make three bytes; a final group
 * of two or three characters makes one or two, and its unused low bits must
 * be zero (a canonical encoding: anything else is not what an encoder
 * writes, so it is refused rather than read two ways).
 */
#include "base64.h"

static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int base64_decode(const char *s, size_t n, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t pad = 0;
    while (pad < 2 && n > 0 && p[n - 1] == '=') {
        n--;
        pad++;
    }
    size_t tail = n % 4;
    if (tail == 1 || (pad && (n + pad) % 4 != 0))
        return -1;
    size_t before = out->len;
    buf_reserve(out, n / 4 * 3 + 2);
    unsigned char *o = (unsigned char *)out->p + out->len;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        int a = sextet(p[i]), b = sextet(p[i + 1]), c = sextet(p[i + 2]), d = sextet(p[i + 3]);
        if (a < 0 || b < 0 || c < 0 || d < 0)
            goto bad;
        unsigned v = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)c << 6 | (unsigned)d;
        *o++ = (unsigned char)(v >> 16);
        *o++ = (unsigned char)(v >> 8);
        *o++ = (unsigned char)v;
    }
    if (tail) {
        int a = sextet(p[i]), b = sextet(p[i + 1]), c = tail == 3 ? sextet(p[i + 2]) : 0;
        if (a < 0 || b < 0 || c < 0)
            goto bad;
        unsigned v = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)c << 6;
        if ((tail == 2 && (v & 0xffff)) || (tail == 3 && (v & 0xff)))
            goto bad; /* bits past the data: not a canonical encoding */
        *o++ = (unsigned char)(v >> 16);
        if (tail == 3)
            *o++ = (unsigned char)(v >> 8);
    }
    out->len = (size_t)((char *)o - out->p);
    out->p[out->len] = '\0';
    return 0;
bad:
    out->len = before;
    out->p[before] = '\0';
    return -1;
}
