/* test_attest.c — the provenance facts of an attestation answer
 * (transform/attest.c): SLSA v1 from GitHub Actions on a hosted and on a
 * self-hosted runner, v0.2 from GitLab, and malformed answers, which leave
 * every fact out rather than guess. Bundles are built as npm serves them:
 * a DSSE envelope whose payload is the base64 in-toto statement. */
#include <string.h>

#include "t.h"
#include "transform/attest.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void encode(struct buf *out, const char *s)
{
    size_t n = strlen(s);
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        buf_putc(out, b64[v >> 18 & 63]);
        buf_putc(out, b64[v >> 12 & 63]);
        buf_putc(out, i + 1 < n ? b64[v >> 6 & 63] : '=');
        buf_putc(out, i + 2 < n ? b64[v & 63] : '=');
    }
}

/* An answer with npm's publish attestation first, then the provenance. */
static void answer(struct buf *out, const char *type, const char *statement)
{
    buf_printf(out,
               "{\"attestations\":[{\"predicateType\":\"https://github.com/npm/attestation/"
               "tree/main/specs/publish/v0.1\",\"bundle\":{\"dsseEnvelope\":{\"payload\":"
               "\"e30=\"}}},{\"predicateType\":\"%s\",\"bundle\":{\"mediaType\":\"m\","
               "\"verificationMaterial\":{},\"dsseEnvelope\":{\"payload\":\"",
               type);
    encode(out, statement);
    buf_puts(out, "\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[]}}}]}");
}

#define V1 "https://slsa.dev/provenance/v1"
#define V02 "https://slsa.dev/provenance/v0.2"

static const char stmt_v1[] =
    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[],"
    "\"predicateType\":\"" V1 "\",\"predicate\":{\"buildDefinition\":{"
    "\"buildType\":\"https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1\","
    "\"externalParameters\":{\"workflow\":{\"ref\":\"refs/heads/main\",\"repository\":"
    "\"https://github.com/AcmeCorp/core\",\"path\":\".github/workflows/release.yml\"}},"
    "\"internalParameters\":{\"github\":{\"event_name\":\"push\",\"runner_environment\":"
    "\"%s\"}},\"resolvedDependencies\":[{\"uri\":\"git+https://github.com/AcmeCorp/core@refs/"
    "heads/main\",\"digest\":{\"gitCommit\":\"abc123\"}}]},"
    "\"runDetails\":{\"builder\":{\"id\":\"%s\"},\"metadata\":{}}}}";

static int read_v1(struct provfacts *f, const char *env, const char *builder)
{
    struct buf s = BUF_INIT, a = BUF_INIT;
    buf_printf(&s, stmt_v1, env, builder);
    answer(&a, V1, s.p);
    int rc = attest_read(a.p, a.len, "test:1", f);
    buf_free(&s);
    buf_free(&a);
    return rc;
}

TEST(test_attest_slsa_v1_from_a_github_hosted_runner)
{
    struct provfacts f;
    provfacts_init(&f);
    T_INT(1, read_v1(&f, "github-hosted", "https://github.com/actions/runner/github-hosted"));
    T_STR("v1", f.predicate);
    T_STR("https://github.com/AcmeCorp/core", f.repo_url.p);
    T_STR("AcmeCorp", f.repo.owner);
    T_STR("core", f.repo.name);
    T_STR("abc123", f.commit.p);
    T_STR(".github/workflows/release.yml@refs/heads/main", f.workflow.p);
    T_STR("https://github.com/actions/runner/github-hosted", f.builder.p);
    T_STR("push", f.trigger.p);
    T_INT(0, f.self_hosted);
    provfacts_free(&f);
}

TEST(test_attest_slsa_v1_from_a_self_hosted_runner)
{
    struct provfacts f;
    provfacts_init(&f);
    T_INT(1, read_v1(&f, "self-hosted", "https://github.com/actions/runner/self-hosted"));
    T_INT(1, f.self_hosted);
    provfacts_free(&f);
    /* a builder id that says neither: the runner environment decides */
    provfacts_init(&f);
    T_INT(1, read_v1(&f, "self-hosted", "https://example.com/builder"));
    T_INT(1, f.self_hosted);
    provfacts_free(&f);
    provfacts_init(&f);
    T_INT(1, read_v1(&f, "other", "https://example.com/builder"));
    T_INT(-1, f.self_hosted);
    provfacts_free(&f);
}

TEST(test_attest_slsa_v02_from_gitlab)
{
    static const char stmt[] =
        "{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":\"" V02 "\","
        "\"predicate\":{\"buildType\":\"https://github.com/npm/cli/gitlab/v0alpha1\","
        "\"builder\":{\"id\":\"https://gitlab.com/acme/auth/-/runners/42\"},"
        "\"invocation\":{\"configSource\":{\"uri\":\"git+https://gitlab.com/acme/auth@"
        "0123abcd\",\"digest\":{\"sha1\":\"0123abcd\"},\"entryPoint\":\"publish-job\"},"
        "\"parameters\":{\"CI_PIPELINE_SOURCE\":\"push\",\"CI_CONFIG_PATH\":\".gitlab-ci.yml\","
        "\"CI_COMMIT_REF_NAME\":\"main\"},\"environment\":{}},"
        "\"materials\":[{\"uri\":\"git+https://gitlab.com/acme/auth@0123abcd\",\"digest\":{"
        "\"sha1\":\"0123abcd\"}}]}}";
    struct buf a = BUF_INIT;
    answer(&a, V02, stmt);
    struct provfacts f;
    provfacts_init(&f);
    T_INT(1, attest_read(a.p, a.len, "test:1", &f));
    buf_free(&a);
    T_STR("v0.2", f.predicate);
    T_STR("https://gitlab.com/acme/auth", f.repo_url.p);
    T_STR("gitlab.com", f.repo.host);
    T_STR("0123abcd", f.commit.p);
    T_STR(".gitlab-ci.yml@main", f.workflow.p);
    T_STR("https://gitlab.com/acme/auth/-/runners/42", f.builder.p);
    T_STR("push", f.trigger.p);
    T_INT(-1, f.self_hosted);
    provfacts_free(&f);
}

TEST(test_attest_malformed_answers_leave_every_fact_out)
{
    static const char *const bodies[] = {
        "[]",
        "{\"attestations\":{}}",
        "{\"attestations\":[{\"predicateType\":\"" V1 "\",\"bundle\":{\"dsseEnvelope\":"
        "{\"payload\":\"%%%\"}}}]}",
        "{\"attestations\":[{\"predicateType\":\"" V1 "\",\"bundle\":{\"dsseEnvelope\":"
        "{\"payload\":\"bm90IGpzb24=\"}}}]}", /* "not json" */
        "{\"attestations\":[{\"predicateType\":\"" V1 "\",\"bundle\":{\"dsseEnvelope\":"
        "{\"payload\":\"eyJwcmVkaWNhdGVUeXBlIjoieCJ9\"}}}]}", /* {"predicateType":"x"} */
        "{\"attestations\":[{\"predicateType\":\"" V1 "\",\"bundle\":{}}]}",
        "{\"attestations\":[{\"predicateType\":\"https://example.com/other\"}]}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct provfacts f;
        struct buf err = BUF_INIT;
        provfacts_init(&f);
        T_TRUE(t_capture_stderr_begin());
        int rc = attest_read(bodies[i], strlen(bodies[i]), "dump/attestations.ndjson.gz:7", &f);
        t_capture_stderr_end(&err);
        bool clean = rc == 0 && !f.found && !f.repo_url.len && !f.commit.len && !f.builder.len;
        /* a warning names the record, but an answer with no provenance at
         * all (the last one) is no fault */
        bool said = strstr(err.p, "attestations.ndjson.gz:7") != NULL;
        bool want = i + 1 < sizeof bodies / sizeof bodies[0];
        provfacts_free(&f);
        buf_free(&err);
        if (!clean)
            T_FAIL("answer %zu gave facts (rc %d)", i, rc);
        if (said != want)
            T_FAIL("answer %zu: a warning %s", i, want ? "was expected" : "came");
    }
    /* a statement whose repository cannot be read: the rest still counts */
    struct buf s = BUF_INIT, a = BUF_INIT;
    buf_printf(&s, stmt_v1, "github-hosted", "b");
    char *at = strstr(s.p, "https://github.com/AcmeCorp/core\",\"path");
    memcpy(at, "ftp:", 4);
    char *dep = strstr(s.p, "git+https://github.com/AcmeCorp/core@");
    memcpy(dep, "git+ftp:", 8);
    answer(&a, V1, s.p);
    struct provfacts f;
    struct buf err = BUF_INIT;
    provfacts_init(&f);
    T_CHECK_BOOL(true, t_capture_stderr_begin());
    int rc = attest_read(a.p, a.len, "test:1", &f);
    t_capture_stderr_end(&err);
    buf_free(&s);
    buf_free(&a);
    buf_free(&err);
    T_CHECK_INT(1, rc);
    T_CHECK_INT(0, (long long)f.repo_url.len);
    T_CHECK_BOOL(true, strcmp(f.commit.p, "abc123") == 0);
    provfacts_free(&f);
}
