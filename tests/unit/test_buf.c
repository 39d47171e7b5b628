/* test_buf.c — the growable byte buffer every string in the tree is built in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "t.h"

TEST(test_buf_append_grows_and_stays_nul_terminated)
{
    struct buf b = BUF_INIT;
    char expect[5000];
    for (int i = 0; i < 5000; i++) {
        char c = (char)('a' + i % 26);
        expect[i] = c;
        buf_putc(&b, c);
        T_UINT((size_t)i + 1, b.len);
        T_INT('\0', b.p[b.len]);
        T_TRUE(b.cap > b.len);
    }
    T_MEM(expect, sizeof expect, b.p, b.len);
    buf_puts(&b, "xyz");
    T_UINT(5003, b.len);
    T_STR("xyz", b.p + 5000);
    buf_free(&b);
    T_STR("", b.p); /* freed: empty, still a string */
    T_UINT(0, b.len);
    T_UINT(0, b.cap);
}

TEST(test_buf_holds_embedded_nul_bytes)
{
    struct buf b = BUF_INIT;
    buf_append(&b, "a\0b", 3);
    buf_append(&b, "", 0);
    buf_append(&b, "\0", 1);
    T_MEM("a\0b\0", 4, b.p, b.len);
    T_INT('\0', b.p[4]);
    buf_free(&b);
}

TEST(test_buf_printf_grows_past_any_initial_size)
{
    struct buf b = BUF_INIT;
    char big[10000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    buf_printf(&b, "[%d]", 42);
    buf_printf(&b, "%s|%s", big, "end");
    buf_printf(&b, "%s", "");
    T_UINT(4 + 9999 + 4, b.len);
    T_MEM("[42]qqq", 7, b.p, 7);
    T_STR("q|end", b.p + b.len - 5);
    T_UINT(b.len, strlen(b.p));
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%05d,", i);
    T_UINT(4 + 9999 + 4 + 6000, b.len);
    T_STR("00999,", b.p + b.len - 6);
    buf_free(&b);
}

TEST(test_buf_reset_keeps_the_memory)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "some text that needs room");
    char *p = b.p;
    size_t cap = b.cap;
    buf_reset(&b);
    T_UINT(0, b.len);
    T_TRUE(b.p == p);
    T_UINT(cap, b.cap);
    T_STR("", b.p);
    buf_puts(&b, "again");
    T_BUF("again", b);
    buf_free(&b);

    struct buf empty = BUF_INIT; /* resetting a never-used buffer is harmless */
    buf_reset(&empty);
    T_STR("", empty.p);
    T_UINT(0, empty.cap);
}

TEST(test_buf_detach_hands_over_the_memory)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s-%d", "abc", 7);
    char *p = buf_detach(&b);
    T_TRUE(p != NULL);
    T_STR("", b.p);
    T_UINT(0, b.len);
    T_UINT(0, b.cap);
    T_STR("abc-7", p);
    free(p);
    /* The buffer is usable again after detaching. */
    buf_puts(&b, "next");
    T_BUF("next", b);
    buf_free(&b);
}

TEST(test_buf_detach_of_an_empty_buffer_gives_an_empty_string)
{
    struct buf b = BUF_INIT;
    char *p = buf_detach(&b);
    T_TRUE(p != NULL);
    T_STR("", p);
    free(p);
}

/* The invariant: p is a terminated string at every moment, never NULL —
 * fresh, after an empty append or reserve, after a reset or free, and for a
 * buffer zeroed by calloc once it has been through any call. */
TEST(test_buf_is_always_a_terminated_string)
{
    struct buf b = BUF_INIT;
    T_TRUE(b.p != NULL);
    T_STR("", b.p);
    buf_reserve(&b, 0); /* a fresh allocation is terminated */
    T_TRUE(b.cap > 0);
    T_STR("", b.p);
    buf_free(&b);
    buf_append(&b, "", 0);
    T_STR("", b.p);
    buf_reserve(&b, 1000); /* growing keeps the terminator */
    T_STR("", b.p);
    buf_free(&b);

    struct buf z;
    memset(&z, 0, sizeof z); /* as calloc leaves it */
    buf_reset(&z);
    T_TRUE(z.p != NULL);
    T_STR("", z.p);
    memset(&z, 0, sizeof z);
    buf_printf(&z, "%s", "");
    T_STR("", z.p);
    buf_free(&z);
    memset(&z, 0, sizeof z);
    buf_free(&z); /* freeing a zeroed buffer is harmless */
    T_STR("", z.p);
}

/* json_unescape of an empty string used to leave a fresh allocation
 * unterminated, and callers read heap bytes as the name. */
TEST(test_buf_empty_unescape_is_terminated)
{
    struct buf b = BUF_INIT;
    buf_reserve(&b, 64);
    memset(b.p, 'x', b.cap); /* dirty memory, as malloc may hand out */
    buf_free(&b);
    for (int i = 0; i < 4; i++) {
        struct buf u = BUF_INIT;
        T_INT(0, json_unescape(&u, "", 0));
        T_UINT(0, u.len);
        T_STR("", u.p);
        buf_free(&u);
    }
}
