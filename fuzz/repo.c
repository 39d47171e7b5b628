/*
 * repo.c — repository URLs (transform/repo.c repo_parse, repo_redact) over
 * any bytes.
 *
 * A wrong mapping is worse than none (issue 8 §4). Whatever the input:
 *  - a REPO_MAPPED result has a host, an owner and a name, none of them
 *    empty, none holding '@' (credentials), ':' (a port or scp remnant),
 *    whitespace or control bytes, no empty path segment in the owner and no
 *    '/' in the name; REPO_UNKNOWN and REPO_GIST say why;
 *  - the same bytes give the same answer again;
 *  - repo_redact's output, which goes into _rawData, is the input itself
 *    when nothing was left out; for a value that maps, it is clean
 *    (redacting it again leaves nothing out) and maps to the same
 *    repository (taking credentials out changes no mapping). A value that
 *    does not map may lose more on a second pass ("git@gi?x@h:o" loses its
 *    query, then "git@gi" its user name): harmless, not checked.
 */
#include <string.h>

#include "fuzz.h"
#include "transform/repo.h"

static void check_part(const char *what, const char *s, size_t cap, bool slashes_ok)
{
    FUZZ_CHECK(memchr(s, '\0', cap) != NULL);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "%s: %s\n", what, s);
    size_t n = strlen(s);
    FUZZ_CHECK(n > 0);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        FUZZ_CHECK(c > ' ' && c != 0x7f);
        FUZZ_CHECK(c != '@' && c != ':');
        if (c == '/')
            FUZZ_CHECK(slashes_ok && i > 0 && i + 1 < n && s[i + 1] != '/');
    }
}

static bool same(const struct repo *a, const struct repo *b)
{
    return a->kind == b->kind && (a->kind != REPO_MAPPED || (strcmp(a->host, b->host) == 0 &&
                                                             strcmp(a->owner, b->owner) == 0 &&
                                                             strcmp(a->name, b->name) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct repo r, again;
    memset(&r, 0x5a, sizeof r);
    enum repo_kind k = repo_parse(p, size, &r);
    FUZZ_CHECK(k == r.kind);
    FUZZ_CHECK(k == REPO_NONE || k == REPO_MAPPED || k == REPO_GIST || k == REPO_UNKNOWN);
    if (k == REPO_MAPPED) {
        check_part("host", r.host, sizeof r.host, false);
        check_part("owner", r.owner, sizeof r.owner, true);
        check_part("name", r.name, sizeof r.name, false);
    } else if (k == REPO_UNKNOWN || k == REPO_GIST) {
        FUZZ_CHECK(r.why != NULL && r.why[0] != '\0');
    }
    memset(&again, 0, sizeof again);
    FUZZ_CHECK(repo_parse(p, size, &again) == k && same(&r, &again));

    struct buf red = BUF_INIT, red2 = BUF_INIT;
    int rc = repo_redact(p, size, &red);
    FUZZ_CHECK(rc == 0 || rc == 1);
    if (rc == 0)
        FUZZ_CHECK(red.len == size && memcmp(red.p, p, size) == 0);
    if (k == REPO_MAPPED) {
        FUZZ_CHECK(repo_redact(red.p, red.len, &red2) == 0);
        FUZZ_CHECK(red2.len == red.len && memcmp(red2.p, red.p, red.len) == 0);
        struct repo rr;
        memset(&rr, 0, sizeof rr);
        repo_parse(red.p, red.len, &rr);
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "redacted: %.*s -> kind %d\n", (int)red.len, red.p, (int)rr.kind);
        FUZZ_CHECK(same(&r, &rr));
    }
    buf_free(&red);
    buf_free(&red2);
    return 0;
}
