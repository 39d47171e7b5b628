/*
 * url.c — base URLs (common/url.c) over any bytes.
 *
 * A URL that url_parse accepts formats (url_format) to a URL that parses to
 * the same thing: collect prints and records the formatted form, and
 * transform and upload read it back. A parsed URL holds no credentials,
 * its path starts and ends with '/', and its fields are terminated.
 * Percent-encoding (url_encode, url_encode_package) leaves only unreserved
 * characters and %XX, and decodes back to the input.
 */
#include <string.h>

#include "alloc.h"
#include "fuzz.h"
#include "npmrc.h"
#include "url.h"

static int unhex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static void check_encoding(const char *s, bool package)
{
    struct buf enc = BUF_INIT, dec = BUF_INIT;
    int rc = package ? url_encode_package(&enc, s) : url_encode(&enc, s);
    FUZZ_CHECK(rc == 0);
    for (size_t i = 0; i < enc.len; i++) {
        char c = enc.p[i];
        if (c == '%') {
            FUZZ_CHECK(i + 2 < enc.len);
            FUZZ_CHECK(unhex(enc.p[i + 1]) >= 0 && unhex(enc.p[i + 2]) >= 0);
            buf_putc(&dec, (char)(unhex(enc.p[i + 1]) * 16 + unhex(enc.p[i + 2])));
            i += 2;
        } else {
            FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' ||
                       (package && c == '@' && i == 0));
            buf_putc(&dec, c);
        }
    }
    FUZZ_CHECK(dec.len == strlen(s) && memcmp(dec.p, s, dec.len) == 0);
    buf_free(&enc);
    buf_free(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmemdup0(data, size);

    struct url u, v;
    struct err e = {0};
    if (url_parse(s, &u, &e) == 0) {
        FUZZ_CHECK(memchr(u.scheme, '\0', sizeof u.scheme) && memchr(u.host, '\0', sizeof u.host) &&
                   memchr(u.path, '\0', sizeof u.path));
        FUZZ_CHECK(strcmp(u.scheme, "http") == 0 || strcmp(u.scheme, "https") == 0);
        FUZZ_CHECK(u.host[0] != '\0' && strchr(u.host, '@') == NULL);
        size_t pl = strlen(u.path);
        FUZZ_CHECK(pl >= 1 && u.path[0] == '/' && u.path[pl - 1] == '/');
        FUZZ_CHECK(u.port >= 0 && u.port <= 65535);
        (void)url_host_is_loopback(u.host);

        struct buf f = BUF_INIT;
        FUZZ_CHECK(url_format(&u, &f) == 0);
        struct err e2 = {0};
        int rc = url_parse(f.p, &v, &e2);
        if (rc != 0)
            fprintf(stderr, "formatted '%s' does not parse: %s\n", f.p, e2.msg);
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(strcmp(u.scheme, v.scheme) == 0 && strcmp(u.host, v.host) == 0 &&
                   u.port == v.port && strcmp(u.path, v.path) == 0);
        struct buf nerf = BUF_INIT;
        FUZZ_CHECK(npmrc_nerf_dart(&u, &nerf) == 0);
        FUZZ_CHECK(nerf.len >= 3 && memcmp(nerf.p, "//", 2) == 0 && nerf.p[nerf.len - 1] == '/');
        buf_free(&nerf);
        buf_free(&f);
    } else {
        FUZZ_CHECK(e.msg[0] != '\0');
    }
    check_encoding(s, false);
    check_encoding(s, true);
    free(s);
    return 0;
}
