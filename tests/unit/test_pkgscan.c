/* test_pkgscan.c — the facts collect takes from a package document for the
 * attestation and advisory requests. */
#include <stdio.h>
#include <string.h>

#include "collect/pkgscan.h"
#include "t.h"

static const char doc_attested[] =
    "{\"_id\":\"@acme/core\",\"name\":\"@acme/core\",\"dist-tags\":{\"next\":\"3.0.0-rc.1\","
    "\"latest\":\"2.0.0\"},\"versions\":{\"1.0.0\":{\"name\":\"@acme/core\",\"dist\":{"
    "\"tarball\":\"x\"}},\"2.0.0\":{\"dist\":{\"signatures\":[{\"sig\":\"s\"}],\"attestations\":"
    "{\"url\":\"https://r/-/npm/v1/attestations/@acme%2fcore@2.0.0\",\"provenance\":{"
    "\"predicateType\":\"https://slsa.dev/provenance/v1\"}}},\"scripts\":{\"test\":\"t\"}},"
    "\"3.0.0-rc.1\":{\"dist\":{\"attestations\":{}}}},\"time\":{\"created\":\"2020\"},"
    "\"readme\":\"{\\\"versions\\\": {\\\"9.9.9\\\": {}}}\"}";

TEST(test_pkgscan_latest_with_attestations_and_every_version_in_order)
{
    struct pkgscan s;
    struct err e = {0};
    pkgscan_init(&s);
    T_OK(pkgscan_mem(&s, doc_attested, strlen(doc_attested), &e), &e);
    T_STR("2.0.0", s.latest.p);
    T_BOOL(true, s.latest_attested);
    T_UINT(3, s.versions.n);
    T_STR("1.0.0", s.versions.v[0]);
    T_STR("2.0.0", s.versions.v[1]);
    T_STR("3.0.0-rc.1", s.versions.v[2]);
    T_UINT(0, s.skipped);
    pkgscan_free(&s);
}

TEST(test_pkgscan_dist_tags_after_versions_still_finds_the_latest_attested)
{
    static const char d[] =
        "{\"versions\":{\"1.0.0\":{\"dist\":{\"attestations\":{\"url\":\"u\"}}},"
        "\"1.1.0\":{\"dist\":{}}},\"dist-tags\":{\"latest\":\"1.0.0\"}}";
    struct pkgscan s;
    struct err e = {0};
    pkgscan_init(&s);
    T_OK(pkgscan_mem(&s, d, strlen(d), &e), &e);
    T_STR("1.0.0", s.latest.p);
    T_BOOL(true, s.latest_attested);
    pkgscan_free(&s);
}

TEST(test_pkgscan_an_older_version_with_provenance_does_not_make_the_latest_attested)
{
    static const char d[] =
        "{\"dist-tags\":{\"latest\":\"2.4.1\"},\"versions\":{\"2.4.0\":{\"dist\":"
        "{\"attestations\":{\"url\":\"u\"}}},\"2.4.1\":{\"dist\":{"
        "\"attestations\":null}}}}";
    struct pkgscan s;
    struct err e = {0};
    pkgscan_init(&s);
    T_OK(pkgscan_mem(&s, d, strlen(d), &e), &e);
    T_STR("2.4.1", s.latest.p);
    T_BOOL(false, s.latest_attested);
    T_UINT(2, s.versions.n);
    pkgscan_free(&s);
}

TEST(test_pkgscan_implausible_versions_are_skipped_and_repeats_taken_once)
{
    static const char d[] = "{\"versions\":{\"1.0.0\":{},\"1.0.0 && rm -rf\":{},\"a/../b\":{},"
                            "\"\\u0031.2.0\":{},\"1.0.0\":{},\"\":{}},\"dist-tags\":{\"latest\":"
                            "\"../etc\"}}";
    struct pkgscan s;
    struct err e = {0};
    pkgscan_init(&s);
    T_OK(pkgscan_mem(&s, d, strlen(d), &e), &e);
    T_UINT(2, s.versions.n);
    T_STR("1.0.0", s.versions.v[0]);
    T_STR("1.2.0", s.versions.v[1]); /* the escape is decoded */
    T_UINT(3, s.skipped);
    T_UINT(0, s.latest.len); /* an implausible latest names none */
    T_BOOL(false, s.latest_attested);
    pkgscan_free(&s);
}

TEST(test_pkgscan_a_document_that_is_not_an_object_has_no_facts)
{
    struct pkgscan s;
    struct err e = {0};
    pkgscan_init(&s);
    T_INT(-1, pkgscan_mem(&s, "[1,2]", 5, &e));
    T_CONTAINS(e.msg, "not a JSON object");
    struct err e2 = {0};
    T_INT(-1, pkgscan_mem(&s, "{\"versions\":{\"1.0.0\":", 21, &e2));
    T_CONTAINS(e2.msg, "not valid JSON");
    T_UINT(0, s.versions.n);
    pkgscan_free(&s);
}

TEST(test_pkgscan_a_spilled_body_gives_the_same_facts)
{
    struct http_body b;
    memset(&b, 0, sizeof b);
    b.spill = tmpfile();
    T_RET(b.spill != NULL);
    size_t n = strlen(doc_attested);
    T_CHECK_INT((long long)n, (long long)fwrite(doc_attested, 1, n, b.spill));
    b.len = n;
    struct pkgscan s;
    struct err e = {0};
    pkgscan_init(&s);
    int rc = pkgscan_body(&s, &b, &e);
    fclose(b.spill);
    T_OK(rc, &e);
    T_STR("2.0.0", s.latest.p);
    T_BOOL(true, s.latest_attested);
    T_UINT(3, s.versions.n);
    pkgscan_free(&s);
}
