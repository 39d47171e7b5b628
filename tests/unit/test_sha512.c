/* test_sha512.c — SHA-512 against FIPS 180-4 test vectors: the dump's
 * token_key must equal the registry's token `key` exactly. */
#include <stdlib.h>
#include <string.h>

#include "sha512.h"
#include "t.h"

static void hex_of(const void *p, size_t n, char out[129])
{
    struct sha512 s;
    sha512_init(&s);
    sha512_update(&s, p, n);
    sha512_hex(&s, out);
}

TEST(test_sha512_fips_empty_message)
{
    char hex[129];
    hex_of("", 0, hex);
    T_STR("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2"
          "877eec2f63b931bd47417a81a538327af927da3e",
          hex);
}

TEST(test_sha512_fips_abc)
{
    char hex[129];
    hex_of("abc", 3, hex);
    T_STR("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23"
          "a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
          hex);
}

TEST(test_sha512_fips_896_bit_message_spans_two_blocks)
{
    static const char m[] =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
        "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    char hex[129];
    T_UINT(112, strlen(m));
    hex_of(m, strlen(m), hex);
    T_STR("8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99de"
          "c4b5433ac7d329eeb6dd26545e96e55b874be909",
          hex);
}

TEST(test_sha512_a_million_a_fed_in_odd_pieces_is_the_fips_digest)
{
    char *m = malloc(1000000);
    T_RET(m != NULL);
    memset(m, 'a', 1000000);
    struct sha512 s;
    sha512_init(&s);
    for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 1021 + 1)
        sha512_update(&s, m + off, off + step > 1000000 ? 1000000 - off : step);
    free(m);
    char hex[129];
    sha512_hex(&s, hex);
    T_STR("e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432c"
          "e577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
          hex);
}
