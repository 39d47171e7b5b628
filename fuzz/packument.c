/*
 * packument.c — package documents (transform/packument.c pkgdoc_scan),
 * alone and through the model.
 *
 * pkgdoc_scan accepts exactly the valid JSON objects; every span it hands
 * out lies inside the document and is valid JSON; a latest version it names
 * is one of the versions and has a non-empty, terminated name. The facts
 * read from it (pkgfacts_read) name maintainers by valid names, unique,
 * each with a valid email or none, and the trimmed copy for _rawData is
 * valid JSON. Then the
 * document goes through the whole of transform as the body of a packuments
 * record in a small dump (pipeline.c): transform may refuse a malformed
 * field (with a message), and what it writes must be taken whole by
 * upload's checker.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "json.h"
#include "pipeline.h"
#include "transform/npmvalue.h"
#include "transform/packument.h"

static const char prefix[] =
    "{\"kind\":\"whoami\",\"subject\":\"acme\",\"status\":200,\"body\":{\"username\":\"alice\"}}\n"
    "{\"kind\":\"org_users\",\"subject\":\"acme\",\"status\":200,\"body\":{\"alice\":\"owner\","
    "\"bob\":\"developer\"}}\n"
    "{\"kind\":\"org_teams\",\"subject\":\"acme\",\"status\":200,\"body\":[\"acme:core\"]}\n"
    "{\"kind\":\"team_users\",\"subject\":\"acme:core\",\"status\":200,\"body\":[\"alice\"]}\n"
    "{\"kind\":\"team_packages\",\"subject\":\"acme:core\",\"status\":200,\"body\":"
    "{\"@acme/core\":\"read-write\"}}\n"
    "{\"kind\":\"org_packages\",\"subject\":\"acme\",\"status\":200,\"body\":"
    "{\"@acme/core\":\"read-write\"}}\n"
    "{\"kind\":\"user_profiles\",\"subject\":\"alice\",\"status\":200,\"body\":"
    "{\"name\":\"alice\",\"email\":\"alice@acme.example\"}}\n"
    "{\"kind\":\"package_visibility\",\"subject\":\"@acme/core\",\"status\":200,\"body\":"
    "{\"public\":false}}\n"
    "{\"kind\":\"package_collaborators\",\"subject\":\"@acme/core\",\"status\":200,\"body\":"
    "{\"alice\":\"write\",\"bob\":\"read\"}}\n"
    "{\"kind\":\"packuments\",\"subject\":\"@acme/core\",\"status\":200,\"body\":";
static const char suffix[] =
    "}\n{\"manifest\":{\"format\":\"j1-npm-dump/1\",\"org\":\"acme\","
    "\"registry\":\"https://registry.npmjs.org/\",\"complete\":true,\"stopped\":null}}\n";

static void check_email(const char *s)
{
    struct buf b = BUF_INIT;
    FUZZ_CHECK(npm_email_normalize(s, strlen(s), &b) && strcmp(b.p, s) == 0);
    buf_free(&b);
}

/* The facts and the trimmed copy of a scanned document. */
static void check_facts(const struct pkgdoc *d)
{
    struct pkgfacts f;
    pkgfacts_init(&f);
    pkgfacts_read(d, "fuzz", &f);
    FUZZ_CHECK(f.maintainers.n == f.maintainer_email.n);
    for (size_t i = 0; i < f.maintainers.n; i++) {
        FUZZ_CHECK(npm_name_ok(f.maintainers.v[i], strlen(f.maintainers.v[i])));
        for (size_t k = 0; k < i; k++)
            FUZZ_CHECK(strcmp(f.maintainers.v[k], f.maintainers.v[i]) != 0);
        if (f.maintainer_email.v[i][0])
            check_email(f.maintainer_email.v[i]);
    }
    if (f.publisher_email.len)
        check_email(f.publisher_email.p);
    FUZZ_CHECK(f.keywords.n <= 100);
    FUZZ_CHECK(f.malformed == (f.versions_bad || f.maintainers_bad || f.deprecated_bad));
    pkgfacts_free(&f);

    struct buf out = BUF_INIT;
    struct jw w;
    jw_init(&w, &out);
    pkgdoc_write_trimmed(&w, d);
    FUZZ_CHECK(!w.err && json_validate(out.p, out.len, NULL));
    buf_free(&out);
}

static void check_span(const struct span *s, const char *p, size_t n)
{
    if (!s->p)
        return;
    FUZZ_CHECK(s->p >= p && s->p + s->n <= p + n);
    FUZZ_CHECK(json_validate(s->p, s->n, NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *p = (const char *)data;
    struct pkgdoc d;
    memset(&d, 0, sizeof d);
    d.latest_name = (struct buf)BUF_INIT;
    struct err e = {0};
    int rc = pkgdoc_scan(&d, p, size, &e);
    const char *first = json_skip_ws(p, p + size);
    bool valid_obj = json_validate(p, size, NULL) && first < p + size && *first == '{';
    FUZZ_CHECK((rc == 0) == valid_obj);
    if (rc == 0) {
        const struct span *spans[] = {&d.dist_tags,   &d.versions, &d.time,     &d.maintainers,
                                      &d.description, &d.homepage, &d.keywords, &d.repository,
                                      &d.license,     &d.readme};
        for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
            check_span(spans[i], p, size);
        for (size_t i = 0; i < d.ntop; i++) {
            FUZZ_CHECK(d.top[i].key.p >= p && d.top[i].key.p + d.top[i].key.n <= p + size);
            check_span(&d.top[i].val, p, size);
        }
        for (size_t i = 0; i < d.nvers; i++)
            check_span(&d.vers[i].val, p, size);
        if (d.latest) {
            FUZZ_CHECK(d.latest >= d.vers && d.latest < d.vers + d.nvers);
            FUZZ_CHECK(d.latest_name.len > 0 && d.latest_name.p[d.latest_name.len] == '\0');
        }
        check_facts(&d);
    } else {
        FUZZ_CHECK(e.msg[0] != '\0');
    }
    pkgdoc_free(&d);

    if (!valid_obj || size > 1 << 20)
        return 0;
    /* One line: a valid JSON text holds line breaks only as whitespace. */
    struct buf dump = BUF_INIT;
    buf_append(&dump, prefix, sizeof prefix - 1);
    size_t at = dump.len;
    buf_append(&dump, p, size);
    for (size_t i = at; i < dump.len; i++)
        if (dump.p[i] == '\n' || dump.p[i] == '\r')
            dump.p[i] = ' ';
    buf_append(&dump, suffix, sizeof suffix - 1);
    (void)fuzz_transform(dump.p, dump.len, false); /* may refuse a malformed field */
    buf_free(&dump);
    return 0;
}
