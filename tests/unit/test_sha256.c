/* test_sha256.c — SHA-256 against FIPS 180-4 test vectors; the dump manifest's
 * checksums are only as good as this. */
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "t.h"

static void hex_of(const void *p, size_t n, char out[65])
{
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, p, n);
    sha256_hex(&s, out);
}

TEST(test_sha256_fips_empty_message)
{
    char hex[65];
    hex_of("", 0, hex);
    T_STR("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex);
    /* No update at all is the same message. */
    struct sha256 s;
    sha256_init(&s);
    sha256_hex(&s, hex);
    T_STR("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex);
}

TEST(test_sha256_fips_abc)
{
    char hex[65];
    hex_of("abc", 3, hex);
    T_STR("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex);
    unsigned char raw[32];
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, "abc", 3);
    sha256_final(&s, raw);
    T_UINT(0xba, raw[0]);
    T_UINT(0xad, raw[31]);
}

TEST(test_sha256_fips_448_bit_message)
{
    static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char hex[65];
    T_UINT(56, strlen(m));
    hex_of(m, strlen(m), hex);
    T_STR("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", hex);
}

TEST(test_sha256_fips_896_bit_message)
{
    static const char m[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                            "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    char hex[65];
    T_UINT(112, strlen(m));
    hex_of(m, strlen(m), hex);
    T_STR("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1", hex);
}

TEST(test_sha256_fips_one_million_a_in_uneven_chunks)
{
    static const size_t sizes[] = {1, 63, 64, 65, 7, 128, 3, 1000, 55, 56, 4096, 13};
    char a[5000];
    memset(a, 'a', sizeof a);
    struct sha256 s;
    sha256_init(&s);
    size_t left = 1000000, k = 0;
    while (left) {
        size_t n = sizes[k++ % (sizeof sizes / sizeof sizes[0])];
        if (n > left)
            n = left;
        sha256_update(&s, a, n);
        left -= n;
    }
    char hex[65];
    sha256_hex(&s, hex);
    T_STR("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", hex);
}

/* Messages whose padding falls on each side of a block boundary. */
TEST(test_sha256_block_boundaries)
{
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a"},
        {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
    };
    char a[128], hex[65];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        hex_of(a, v[i].n, hex);
        T_STR(v[i].hex, hex);
    }
}

TEST(test_sha256_chunking_never_changes_the_digest)
{
    unsigned char data[300];
    struct t_rng r;
    t_rng_init(&r, 42);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)t_rng_u32(&r);
    for (size_t n = 0; n <= sizeof data; n += 7) {
        char whole[65], bytes[65], split[65];
        hex_of(data, n, whole);
        struct sha256 s;
        sha256_init(&s);
        for (size_t i = 0; i < n; i++)
            sha256_update(&s, data + i, 1);
        sha256_hex(&s, bytes);
        T_STR(whole, bytes);
        sha256_init(&s);
        size_t at = t_rng_below(&r, (unsigned)n + 1);
        sha256_update(&s, data, at);
        sha256_update(&s, data + at, 0);
        sha256_update(&s, data + at, n - at);
        sha256_hex(&s, split);
        T_STR(whole, split);
    }
}
