/* test_supply.c — the advisory batches and the token list page, as collect
 * asks and reads them. */
#include <stdlib.h>
#include <string.h>

#include "collect/supply.h"
#include "json.h"
#include "t.h"

TEST(test_supply_batches_keep_each_package_whole_and_under_the_bound)
{
    struct supply_batcher b;
    struct err e = {0};
    T_OK(supply_batcher_init(&b, 64, &e), &e);
    const char *v1[] = {"1.0.0", "1.1.0"};
    const char *v2[] = {"2.0.0"};
    const char *big[] = {"10.0.0", "10.0.1", "10.0.2", "10.0.3", "10.0.4", "10.0.5", "10.0.6"};
    supply_batcher_add(&b, "@acme/a", v1, 2);    /* {"@acme/a":["1.0.0","1.1.0"]} = 30 */
    supply_batcher_add(&b, "b\"q", v2, 1);       /* escaped, joins: 30 + 19 < 64 */
    supply_batcher_add(&b, "@acme/big", big, 7); /* alone over 64: a batch of its own */
    supply_batcher_add(&b, "c", v2, 1);
    supply_batcher_add(&b, "none", NULL, 0); /* no versions: not asked */
    supply_batcher_close(&b);
    T_UINT(3, b.ready.n);
    T_STR("{\"@acme/a\":[\"1.0.0\",\"1.1.0\"],\"b\\\"q\":[\"2.0.0\"]}", b.ready.v[0]);
    T_CONTAINS(b.ready.v[1], "\"@acme/big\":[\"10.0.0\"");
    T_STR("{\"c\":[\"2.0.0\"]}", b.ready.v[2]);
    T_TRUE(strlen(b.ready.v[0]) <= 64);
    supply_batcher_close(&b); /* nothing open: no empty batch */
    T_UINT(3, b.ready.n);
    supply_batcher_free(&b);
}

TEST(test_supply_the_token_list_names_the_collecting_token_by_its_sha512_key)
{
    struct secret tok = {(char *)"npm_FixtureToken0000000000000000000000", 38, "test"};
    char key[129];
    supply_token_key(&tok, key);
    T_STR(
        "25c695a875c7e5ee216554cb1a147ad07aca7a3053e46e521c15c55909f80b403c794c073a281b3156124b8af"
        "798d3aa99658b2cc2645a6f786594fee3e4e157",
        key);
    struct buf body = BUF_INIT;
    buf_printf(&body,
               "{\"objects\":[{\"key\":\"abc\",\"readonly\":true},{\"key\":\"%s\",\"token\":"
               "\"npm_Fi\",\"readonly\":false,\"cidr_whitelist\":[\"10.0.0.0/8\"],\"created\":"
               "\"2026-01-15T10:00:00.000Z\"}],\"total\":2,\"urls\":{\"next\":"
               "\"http://r.example/base/-/npm/v1/tokens?page=1\"}}",
               key);
    struct supply_tokens_page pg;
    struct err e = {0};
    T_OK(supply_tokens_read(body.p, body.len, key, "http://r.example/base/", &pg, &e), &e);
    T_TRUE(pg.found);
    T_FALSE(pg.readonly);
    T_STR("2026-01-15T10:00:00.000Z", pg.created);
    T_BUF("/-/npm/v1/tokens?page=1", pg.next);
    supply_tokens_page_free(&pg);
    buf_free(&body);
}

TEST(test_supply_a_next_page_elsewhere_is_not_followed)
{
    static const char *const bad[] = {
        "https://evil.example/-/npm/v1/tokens?page=1", "/-/npm/v1/user", "/-/npm/v1/tokensX",
        "/-/npm/v1/tokens?page=1\r\nX-Evil: 1", "//evil.example/-/npm/v1/tokens"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct buf body = BUF_INIT;
        buf_puts(&body, "{\"objects\":[],\"urls\":{\"next\":");
        json_quote(&body, bad[i], strlen(bad[i]));
        buf_puts(&body, "}}");
        struct supply_tokens_page pg;
        struct err e = {0};
        int rc = supply_tokens_read(body.p, body.len, "k", "https://registry.npmjs.org/", &pg, &e);
        T_CHECK_INT(0, rc);
        T_CHECK_INT(0, (long long)pg.next.len);
        T_CHECK_BOOL(false, pg.found);
        supply_tokens_page_free(&pg);
        buf_free(&body);
    }
    struct supply_tokens_page pg;
    struct err e = {0};
    T_INT(-1, supply_tokens_read("[]", 2, "k", "https://registry.npmjs.org/", &pg, &e));
}
