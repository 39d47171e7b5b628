/* test_base64.c — base64 as DSSE envelopes carry it (RFC 4648 vectors);
 * an envelope is untrusted, so bad input is refused whole. */
#include <string.h>

#include "base64.h"
#include "t.h"

/* Checks that record and go on (the buffer is freed at the end). */
#define CHECK_STR(exp, got) t_str((exp), (got), __FILE__, __LINE__, #got)
#define CHECK_MEM(exp, n, got, gn) t_mem((exp), (n), (got), (gn), __FILE__, __LINE__, #got)

static int dec(const char *s, struct buf *b)
{
    buf_reset(b);
    return base64_decode(s, strlen(s), b);
}

TEST(test_base64_rfc4648_vectors_decode)
{
    static const char *const v[][2] = {{"", ""},
                                       {"Zg==", "f"},
                                       {"Zm8=", "fo"},
                                       {"Zm9v", "foo"},
                                       {"Zm9vYg==", "foob"},
                                       {"Zm9vYmE=", "fooba"},
                                       {"Zm9vYmFy", "foobar"},
                                       {"Zm9vYg", "foob"},
                                       {"Zm9vYmE", "fooba"}};
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        T_CHECK_INT(0, dec(v[i][0], &b));
        CHECK_STR(v[i][1], b.p);
    }
    /* both alphabets: 0xfb 0xff */
    T_CHECK_INT(0, dec("+/8=", &b));
    CHECK_MEM("\xfb\xff", 2, b.p, b.len);
    T_CHECK_INT(0, dec("-_8", &b));
    CHECK_MEM("\xfb\xff", 2, b.p, b.len);
    buf_free(&b);
}

TEST(test_base64_invalid_input_is_refused_and_leaves_the_buffer)
{
    static const char *const bad[] = {"Z",    "Zg=",    "Zg===", "Zm9v\n", "Zm 9v",   "Zm9=v",
                                      "Zh==", "Zm9vYh", "Zm!v",  "====",   "Zg==Zg=="};
    struct buf b = BUF_INIT;
    buf_puts(&b, "kept");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        T_CHECK_INT(-1, base64_decode(bad[i], strlen(bad[i]), &b));
        CHECK_STR("kept", b.p);
    }
    buf_free(&b);
}
