/* buf.c — see buf.h. */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

char buf_slop[1];

/* A zeroed buffer (p NULL) becomes the empty one. */
static void settle(struct buf *b)
{
    if (!b->p) {
        b->p = buf_slop;
        b->len = b->cap = 0;
    }
}

void buf_reserve(struct buf *b, size_t extra)
{
    settle(b);
    if (extra > SIZE_MAX - b->len - 1)
        oom_die(0);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    /* buf_slop is not ours to realloc: a buffer without memory starts anew. */
    char *p = b->cap ? xrealloc(b->p, cap) : xmalloc(cap);
    b->p = p;
    b->cap = cap;
    b->p[b->len] = '\0';
}

void buf_append(struct buf *b, const void *data, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return; /* an encoding error in the format: nothing written */
    buf_reserve(b, (size_t)n);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_reset(struct buf *b)
{
    settle(b);
    b->len = 0;
    if (b->cap)
        b->p[0] = '\0';
}

void buf_free(struct buf *b)
{
    if (b->p && b->cap)
        free(b->p);
    b->p = buf_slop;
    b->len = b->cap = 0;
}

char *buf_detach(struct buf *b)
{
    buf_reserve(b, 0); /* an empty buffer gets memory of its own */
    char *p = b->p;
    b->p = buf_slop;
    b->len = b->cap = 0;
    return p;
}
