/*
 * attest.c — npm attestation answers (transform/attest.c attest_read): the
 * JSON body, the base64 DSSE payload inside it and the in-toto statement
 * that payload decodes to are all untrusted.
 *
 * attest_read never fails and never reads outside its input; what it says
 * is consistent: facts only when a statement was read, a repository URL
 * only as https://host/owner/name with its mapping set, a self-hosted flag
 * of -1, 0 or 1, every string terminated, with no NUL inside. The
 * input is also wrapped as the base64 payload of a well-formed answer, so
 * that the statement reader is reached with arbitrary bytes, not only
 * through inputs that happen to be valid base64 inside valid JSON.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "transform/attest.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(struct buf *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        buf_putc(out, b64[(v >> 18) & 63]);
        buf_putc(out, b64[(v >> 12) & 63]);
        buf_putc(out, i + 1 < n ? b64[(v >> 6) & 63] : '=');
        buf_putc(out, i + 2 < n ? b64[v & 63] : '=');
    }
}

static void check_str(const struct buf *b)
{
    FUZZ_CHECK(b->len == 0 || (b->p && strlen(b->p) == b->len));
}

static void check(const char *body, size_t n)
{
    struct provfacts f;
    provfacts_init(&f);
    int rc = attest_read(body, n, "fuzz", &f);
    FUZZ_CHECK(rc == 0 || rc == 1);
    FUZZ_CHECK(f.found == (rc == 1));
    FUZZ_CHECK(f.self_hosted >= -1 && f.self_hosted <= 1);
    if (!f.found)
        FUZZ_CHECK(f.repo_url.len == 0 && f.commit.len == 0 && f.workflow.len == 0);
    if (f.repo_url.len) {
        FUZZ_CHECK(strncmp(f.repo_url.p, "https://", 8) == 0);
        FUZZ_CHECK(f.repo.kind == REPO_MAPPED);
    }
    check_str(&f.repo_url);
    check_str(&f.commit);
    check_str(&f.workflow);
    check_str(&f.builder);
    check_str(&f.trigger);
    provfacts_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    check((const char *)data, size);
    struct buf w = BUF_INIT;
    buf_puts(&w, "{\"attestations\":[{\"predicateType\":\"https://slsa.dev/provenance/v1\","
                 "\"bundle\":{\"dsseEnvelope\":{\"payloadType\":\"application/vnd.in-toto+json\","
                 "\"payload\":\"");
    base64(&w, data, size);
    buf_puts(&w, "\"}}}]}");
    check(w.p, w.len);
    buf_free(&w);
    return 0;
}
