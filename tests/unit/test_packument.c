/* test_packument.c — the facts of a package document (transform/packument.c):
 * which version is the latest, who maintains and published it, its
 * repository, times and the rest, and what _rawData keeps of it. */
#include <string.h>

#include "t.h"
#include "transform/packument.h"

/* A document as the registry serves it (trimmed), with a readme, stars and
 * three versions of which 1.1.0 is dist-tags.latest but not the last one
 * listed. */
static const char doc_full[] =
    "{\"_id\":\"@acme/core\",\"name\":\"@acme/core\","
    "\"dist-tags\":{\"latest\":\"1.1.0\",\"next\":\"2.0.0-rc.1\"},"
    "\"versions\":{"
    "\"1.0.0\":{\"name\":\"@acme/core\",\"version\":\"1.0.0\",\"deprecated\":\"old\"},"
    "\"1.1.0\":{\"name\":\"@acme/core\",\"version\":\"1.1.0\",\"readme\":\"# big\","
    "\"description\":\"from the version\",\"license\":{\"type\":\"MIT\"},"
    "\"_npmUser\":{\"name\":\"alice\",\"email\":\"Alice@Acme.Example\"},"
    "\"repository\":{\"type\":\"git\",\"url\":\"git+https://github.com/AcmeCorp/other.git\"}},"
    "\"2.0.0-rc.1\":{\"name\":\"@acme/core\",\"version\":\"2.0.0-rc.1\"}},"
    "\"time\":{\"created\":\"2020-01-02T03:04:05.000Z\",\"1.0.0\":\"2020-01-02T03:04:05.000Z\","
    "\"1.1.0\":\"2021-06-07T08:09:10.500Z\",\"2.0.0-rc.1\":\"2022-01-01T00:00:00.000Z\","
    "\"modified\":\"2022-01-01T00:00:01.000Z\"},"
    "\"maintainers\":[{\"name\":\"bob\",\"email\":\"bob@acme.example\"},"
    "\"alice <alice@acme.example>\",{\"name\":\"bob\",\"email\":\"other@acme.example\"},"
    "{\"name\":\"carol\"}],"
    "\"description\":\"Core library\",\"homepage\":\"https://acme.example/core\","
    "\"keywords\":[\"acme\",\"core\",\"acme\",\"\"],"
    "\"repository\":{\"type\":\"git\",\"url\":\"git+https://tok:secret@github.com/AcmeCorp/"
    "core.git\","
    "\"directory\":\"packages/core\"},"
    "\"readme\":\"# a long readme\",\"users\":{\"someone\":true}}";

struct read {
    struct pkgdoc d;
    struct pkgfacts f;
    int rc;
};

static void read_doc(struct read *r, const char *json)
{
    struct err e = {0};
    memset(&r->d, 0, sizeof r->d);
    r->d.latest_name = (struct buf)BUF_INIT;
    pkgfacts_init(&r->f);
    r->rc = pkgdoc_scan(&r->d, json, strlen(json), &e);
    if (r->rc == 0)
        pkgfacts_read(&r->d, "test:1", &r->f);
}

static void read_free(struct read *r)
{
    pkgfacts_free(&r->f);
    pkgdoc_free(&r->d);
}

static void check_full(struct read *r)
{
    const struct pkgfacts *f = &r->f;
    T_INT(0, r->rc);
    T_TRUE(r->d.latest != NULL);
    T_STR("1.1.0", r->d.latest_name.p);
    T_INT(3, r->d.nvers);
    T_STR("Core library", f->description.p); /* the top level's wins */
    T_STR("https://acme.example/core", f->homepage.p);
    T_STR("MIT", f->license.p); /* the latest version's, as {type} */
    T_INT(2, f->keywords.n);    /* repeats and empty ones dropped */
    T_STR("acme", f->keywords.v[0]);
    T_STR("core", f->keywords.v[1]);
    /* maintainers: unique by name, the first entry counts */
    T_INT(3, f->maintainers.n);
    T_STR("bob", f->maintainers.v[0]);
    T_STR("bob@acme.example", f->maintainer_email.v[0]);
    T_STR("alice", f->maintainers.v[1]);
    T_STR("alice@acme.example", f->maintainer_email.v[1]);
    T_STR("carol", f->maintainers.v[2]);
    T_STR("", f->maintainer_email.v[2]);
    T_INT(2, f->maintainer_emails.n);
    T_STR("alice", f->publisher.p);
    T_STR("alice@acme.example", f->publisher_email.p);
    T_FALSE(f->deprecated); /* 1.0.0 is deprecated, the latest is not */
    T_INT(1577934245000LL, f->created);
    T_INT(1640995201000LL, f->modified);
    T_INT(1623053350500LL, f->published);
    /* the top level's repository, without its credentials */
    T_INT(REPO_MAPPED, f->repo.kind);
    T_STR("github.com", f->repo.host);
    T_STR("AcmeCorp", f->repo.owner);
    T_STR("core", f->repo.name);
    T_TRUE(f->have_repo_url);
    T_TRUE(f->repo_redacted);
    T_STR("git+https://github.com/AcmeCorp/core.git", f->repo_url.p);
    T_STR("packages/core", f->repo_dir.p);
    T_FALSE(f->malformed);
}

TEST(test_packument_facts_of_a_full_document)
{
    struct read r;
    read_doc(&r, doc_full);
    check_full(&r);
    read_free(&r);
}

TEST(test_packument_latest_falls_back_to_the_last_version_listed)
{
    struct read r;
    read_doc(&r, "{\"dist-tags\":{\"latest\":\"9.9.9\"},\"versions\":{\"1.0.0\":{},"
                 "\"1.2.0\":{\"deprecated\":true,\"description\":\"v\"}}}");
    T_CHECK_INT(0, r.rc);
    T_CHECK_BOOL(true, r.d.latest == &r.d.vers[1]);
    T_CHECK_BOOL(true, strcmp(r.d.latest_name.p, "1.2.0") == 0);
    T_CHECK_BOOL(true, r.f.deprecated);
    T_CHECK_BOOL(true, strcmp(r.f.description.p, "v") == 0); /* the version's, as a fallback */
    T_CHECK_INT(-1, r.f.created);
    read_free(&r);
}

TEST(test_packument_deprecation_message_and_repository_from_the_latest_version)
{
    struct read r;
    read_doc(&r, "{\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{"
                 "\"deprecated\":\"use @acme/new\",\"repository\":\"github:acme/old\","
                 "\"_npmUser\":\"dave <dave@acme.example>\"}}}");
    T_CHECK_INT(0, r.rc);
    T_CHECK_BOOL(true, r.f.deprecated);
    T_CHECK_BOOL(true, strcmp(r.f.deprecation.p, "use @acme/new") == 0);
    T_CHECK_INT(REPO_MAPPED, r.f.repo.kind);
    T_CHECK_BOOL(true, strcmp(r.f.repo.owner, "acme") == 0 && strcmp(r.f.repo.name, "old") == 0);
    T_CHECK_BOOL(true, strcmp(r.f.publisher.p, "dave") == 0);
    T_CHECK_BOOL(true, strcmp(r.f.publisher_email.p, "dave@acme.example") == 0);
    read_free(&r);
}

TEST(test_packument_no_repository_is_none_and_a_bad_one_is_unknown)
{
    struct read r;
    read_doc(&r, "{\"versions\":{}}");
    T_CHECK_INT(REPO_NONE, r.f.repo.kind);
    T_CHECK_BOOL(false, r.f.repo_bad_shape);
    T_CHECK_BOOL(true, r.d.latest == NULL);
    read_free(&r);
    read_doc(&r, "{\"repository\":[\"x\"]}");
    T_CHECK_INT(REPO_UNKNOWN, r.f.repo.kind);
    T_CHECK_BOOL(true, r.f.repo_bad_shape);
    read_free(&r);
    read_doc(&r, "{\"repository\":\"TBD\"}");
    T_CHECK_INT(REPO_UNKNOWN, r.f.repo.kind);
    T_CHECK_BOOL(false, r.f.repo_bad_shape);
    read_free(&r);
}

TEST(test_packument_malformed_fields_say_nothing_and_are_flagged)
{
    struct read r;
    struct buf err = BUF_INIT;
    T_TRUE(t_capture_stderr_begin());
    read_doc(&r, "{\"versions\":[1],\"maintainers\":{\"name\":\"x\"}}");
    T_CHECK_BOOL(true, r.f.versions_bad && r.f.maintainers_bad && r.f.malformed);
    T_CHECK_INT(0, r.f.maintainers.n);
    read_free(&r);
    read_doc(&r, "{\"dist-tags\":{\"latest\":\"1\"},\"versions\":{\"1\":{\"deprecated\":7}},"
                 "\"maintainers\":[{\"name\":\"ok\"},{\"email\":\"no@name.example\"}]}");
    T_CHECK_BOOL(true, r.f.deprecated_bad && r.f.maintainers_bad && !r.f.versions_bad);
    T_CHECK_INT(1, r.f.maintainers.n); /* the good ones are kept */
    read_free(&r);
    t_capture_stderr_end(&err);
    T_CHECK_BOOL(true, strstr(err.p, "test:1: package document field 'versions'") != NULL);
    T_CHECK_BOOL(true, strstr(err.p, "field 'deprecated (of the latest version)'") != NULL);
    buf_free(&err);
}

TEST(test_packument_scan_refuses_what_is_not_a_json_object)
{
    static const char *const bad[] = {"", "[]", "\"x\"", "{", "{\"a\":1}x", "{\"a\":}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct read r;
        read_doc(&r, bad[i]);
        T_CHECK_INT(-1, r.rc);
        read_free(&r);
    }
}

TEST(test_packument_trimmed_document_drops_the_bulk_and_the_credentials)
{
    struct read r;
    struct buf out = BUF_INIT;
    struct jw w;
    read_doc(&r, doc_full);
    jw_init(&w, &out);
    pkgdoc_write_trimmed(&w, &r.d);
    T_CHECK_BOOL(false, w.err);
    T_CHECK_BOOL(true, json_validate(out.p, out.len, NULL));
    T_CHECK_BOOL(true, strstr(out.p, "readme") == NULL);
    T_CHECK_BOOL(true, strstr(out.p, "someone") == NULL);
    T_CHECK_BOOL(true, strstr(out.p, "secret") == NULL);
    T_CHECK_BOOL(true, strstr(out.p, "\"2.0.0-rc.1\":{") == NULL); /* other versions */
    T_CHECK_BOOL(true, strstr(out.p, "\"1.1.0\":{\"name\"") != NULL);
    T_CHECK_BOOL(true, strstr(out.p, "\"time\":{\"created\":\"2020-01-02T03:04:05.000Z\","
                                     "\"modified\":\"2022-01-01T00:00:01.000Z\","
                                     "\"1.1.0\":\"2021-06-07T08:09:10.500Z\"}") != NULL);
    T_CHECK_BOOL(true,
                 strstr(out.p, "\"url\":\"git+https://github.com/AcmeCorp/core.git\"") != NULL);
    buf_free(&out);
    read_free(&r);
}

/* ---- supply chain: per-version facts --------------------------------------------- */

/* Four versions published in this order: 1.0.0 with provenance by alice,
 * 1.1.0 through a trusted publisher, 1.2.0 (latest) by mallory with
 * nothing, and 0.9.0 without a publish time. */
static const char doc_trust[] =
    "{\"name\":\"p\",\"dist-tags\":{\"latest\":\"1.2.0\"},\"versions\":{"
    "\"0.9.0\":{\"_npmUser\":{\"name\":\"mallory\"},\"dist\":{\"attestations\":{\"url\":\"u\","
    "\"provenance\":{\"predicateType\":\"https://slsa.dev/provenance/v1\"}}}},"
    "\"1.0.0\":{\"_npmUser\":{\"name\":\"alice\",\"email\":\"a@x\"},\"dist\":{\"tarball\":\"t\","
    "\"attestations\":{\"url\":\"u\",\"provenance\":{\"predicateType\":\"x\"}}}},"
    "\"1.1.0\":{\"_npmUser\":{\"name\":\"GitHub "
    "Actions\",\"trustedPublisher\":{\"id\":\"github\"}},"
    "\"dist\":{\"attestations\":{\"url\":\"u\",\"provenance\":{\"predicateType\":\"x\"}}}},"
    "\"1.2.0\":{\"_npmUser\":\"mallory <m@x>\",\"scripts\":{\"test\":\"jest\",\"install\":"
    "\"node-gyp rebuild\",\"postinstall\":\"node x.js\",\"preinstall\":\"\"},"
    "\"dist\":{\"attestations\":null}}},"
    "\"time\":{\"created\":\"2020-01-01T00:00:00.000Z\",\"1.0.0\":\"2020-01-01T00:00:00.000Z\","
    "\"1.1.0\":\"2020-02-01T00:00:00.000Z\",\"1.2.0\":\"2020-03-01T00:00:00.000Z\"}}";

TEST(test_packument_trust_of_each_version_and_the_downgrade_by_publish_time)
{
    struct read r;
    read_doc(&r, doc_trust);
    T_INT(0, r.rc);
    const struct pkgfacts *f = &r.f;
    T_TRUE(f->have_trust);
    T_FALSE(f->provenance);
    T_FALSE(f->trusted);
    T_STR("none", pkg_trust_name(f->latest_trust));
    T_INT(3, f->with_provenance); /* 0.9.0, 1.0.0, 1.1.0 */
    T_INT(1, f->downgrade);       /* 1.1.0 was published before by a trusted publisher */
    /* mallory published 0.9.0, but it has no publish time: not "before" */
    T_INT(1, f->first_time_publisher);
    T_INT(1, f->has_install_script);
    T_UINT(2, f->install_scripts.n); /* an empty preinstall runs nothing */
    T_STR("install", f->install_scripts.v[0]);
    T_STR("postinstall", f->install_scripts.v[1]);
    read_free(&r);
}

TEST(test_packument_a_trusted_latest_is_no_downgrade_and_unknown_times_say_nothing)
{
    static const char up[] =
        "{\"dist-tags\":{\"latest\":\"2.0.0\"},\"versions\":{"
        "\"1.0.0\":{\"_npmUser\":{\"name\":\"bob\"},\"dist\":{\"attestations\":{"
        "\"provenance\":{}}}},"
        "\"2.0.0\":{\"_npmUser\":{\"name\":\"bob\",\"trustedPublisher\":{\"id\":\"github\"}},"
        "\"dist\":{\"attestations\":{\"provenance\":{}}},\"scripts\":{\"build\":\"tsc\"}}},"
        "\"time\":{\"1.0.0\":\"2020-01-01T00:00:00.000Z\",\"2.0.0\":\"2021-01-01T00:00:00.000Z\"}}";
    struct read r;
    read_doc(&r, up);
    T_INT(0, r.rc);
    T_TRUE(r.f.trusted);
    T_TRUE(r.f.provenance);
    T_STR("trusted-publisher", pkg_trust_name(r.f.latest_trust));
    T_INT(0, r.f.downgrade);
    T_INT(0, r.f.first_time_publisher); /* bob published 1.0.0 */
    T_INT(0, r.f.has_install_script);
    read_free(&r);
    /* Without the latest's publish time, "before it" means nothing. */
    static const char notime[] = "{\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{"
                                 "\"1.0.0\":{\"_npmUser\":{\"name\":\"bob\"}}},\"time\":{}}";
    read_doc(&r, notime);
    T_INT(0, r.rc);
    T_TRUE(r.f.have_trust);
    T_INT(-1, r.f.downgrade);
    T_INT(-1, r.f.first_time_publisher);
    T_INT(0, r.f.has_install_script); /* no scripts at all: none */
    read_free(&r);
    /* A package's first release: its author is not new to it. */
    static const char first[] = "{\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{"
                                "\"1.0.0\":{\"_npmUser\":{\"name\":\"bob\"}}},"
                                "\"time\":{\"1.0.0\":\"2020-01-01T00:00:00.000Z\"}}";
    read_doc(&r, first);
    T_INT(0, r.rc);
    T_INT(0, r.f.first_time_publisher);
    T_INT(0, r.f.downgrade);
    read_free(&r);
}

TEST(test_packument_malformed_version_parts_never_become_facts)
{
    /* scripts of the wrong shape: unknown, not "none"; a version that is
     * not an object has no facts; a falsy trustedPublisher is not one */
    static const char bad[] =
        "{\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"0.1.0\":\"junk\","
        "\"1.0.0\":{\"_npmUser\":{\"name\":\"bob\",\"trustedPublisher\":false},"
        "\"scripts\":[\"postinstall\"],\"dist\":{\"attestations\":{\"provenance\":0}}}},"
        "\"time\":{\"0.1.0\":\"2019-01-01T00:00:00.000Z\",\"1.0.0\":\"2020-01-01T00:00:00.000Z\"}}";
    struct read r;
    struct buf err = BUF_INIT;
    T_TRUE(t_capture_stderr_begin());
    read_doc(&r, bad);
    t_capture_stderr_end(&err);
    T_CHECK_BOOL(true, strstr(err.p, "test:1: package document field 'scripts") != NULL);
    buf_free(&err);
    T_INT(0, r.rc);
    T_FALSE(r.f.trusted);
    T_FALSE(r.f.provenance);
    T_INT(-1, r.f.has_install_script);
    T_TRUE(r.f.malformed);
    T_INT(0, r.f.downgrade);
    T_INT(1, r.f.first_time_publisher);
    read_free(&r);
    /* invalid JSON inside a version is still refused as a whole */
    read_doc(&r, "{\"versions\":{\"1.0.0\":{\"dist\":{\"attestations\":{\"provenance\":tru}}}}}");
    T_INT(-1, r.rc);
    read_free(&r);
}
