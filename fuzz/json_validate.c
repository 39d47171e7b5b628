/*
 * json_validate.c — the two validators (json.h) agree on every input.
 *
 * json_validate (the pointer scanner, json_skip) and struct jpush (the
 * push machine collect runs while a body downloads) are the same grammar
 * written twice; they must give the same verdict on any bytes, and jpush's
 * verdict must not depend on how the bytes are cut into chunks (the
 * network decides that). Also: a reported offending byte lies inside the
 * input, and json_skip over a valid text ends exactly at its last value byte.
 */
#include <string.h>

#include "fuzz.h"
#include "json.h"

static bool push_in_chunks(const uint8_t *d, size_t n, unsigned seed)
{
    struct jpush v;
    jpush_init(&v);
    size_t off = 0;
    bool ok = true;
    while (off < n) {
        size_t len = 1 + (seed % 7u);
        seed = seed * 1103515245u + 12345u;
        if (len > n - off)
            len = n - off;
        bool fed = jpush_feed(&v, d + off, len);
        if (!fed)
            ok = false;
        else
            FUZZ_CHECK(ok); /* once refused, never accepted again */
        off += len;
    }
    return jpush_finish(&v) && ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t bad = (size_t)-1;
    bool v1 = json_validate(p, size, &bad);
    if (!v1)
        FUZZ_CHECK(bad <= size);

    struct jpush v;
    jpush_init(&v);
    bool v2 = jpush_feed(&v, data, size) && jpush_finish(&v);
    FUZZ_CHECK(v1 == v2);

    unsigned seed = size ? data[size - 1] : 0;
    FUZZ_CHECK(push_in_chunks(data, size, seed) == v1);

    const char *errp = NULL;
    const char *q = json_skip(p, p + size, &errp);
    if (v1) {
        FUZZ_CHECK(q != NULL && q > p && q <= p + size);
        FUZZ_CHECK(json_skip_ws(q, p + size) == p + size);
    } else if (!q) {
        FUZZ_CHECK(errp >= p && errp <= p + size);
    }
    return 0;
}
