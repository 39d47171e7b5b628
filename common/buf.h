/*
 * buf.h — a growable byte buffer, the one way this code builds strings.
 *
 * The invariant (git's strbuf keeps the same one): p is never NULL and
 * always a valid, NUL-terminated string of len bytes (the NUL not counted),
 * so a buffer can be handed to C string functions at any time — also when
 * empty, also after a failed call — though it may hold NULs of its own. An
 * empty buffer that owns no memory points at the shared buf_slop[] ("",
 * never written). BUF_INIT and buf_free() leave a buffer so; a buffer zeroed
 * by calloc/memset is accepted by every buf_* call and holds the invariant
 * from its first one (initialise with BUF_INIT to read it before that).
 * Growth is geometric; every size computation is checked for overflow.
 * Out of memory (or a size that overflows) ends the process (alloc.h): no
 * buf_* call fails, so none returns a status.
 */
#ifndef J1NPM_BUF_H
#define J1NPM_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct buf {
    char *p;
    size_t len;
    size_t cap;
};

/* The empty string of every buffer that owns no memory (cap == 0). */
extern char buf_slop[1];

#define BUF_INIT                                                                                   \
    {                                                                                              \
        buf_slop, 0, 0                                                                             \
    }

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b); /* len = 0, keeps the memory */
void buf_free(struct buf *b);
/* Hands the memory to the caller (NUL-terminated, never NULL on success). */
char *buf_detach(struct buf *b);

#endif
