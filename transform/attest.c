/*
 * attest.c — see attest.h. Two parses: the answer (to find the provenance
 * entry and its payload), then the decoded statement. Each is a jdoc over
 * a bounded text; nothing is kept but the facts.
 */
#include "attest.h"

#include <string.h>

#include "base64.h"
#include "json.h"
#include "log.h"

#define SLSA_V1 "https://slsa.dev/provenance/v1"
#define SLSA_V02 "https://slsa.dev/provenance/v0.2"

void provfacts_init(struct provfacts *f)
{
    memset(f, 0, sizeof f[0]);
    f->repo_url = f->commit = f->workflow = f->builder = f->trigger = (struct buf)BUF_INIT;
    f->self_hosted = -1;
}

void provfacts_free(struct provfacts *f)
{
    buf_free(&f->repo_url);
    buf_free(&f->commit);
    buf_free(&f->workflow);
    buf_free(&f->builder);
    buf_free(&f->trigger);
}

/* The member at a path of object keys ("a", "b", NULL), or -1. */
static int path(const struct jdoc *d, int i, const char *const *keys)
{
    for (; i >= 0 && *keys; keys++)
        i = jdoc_get(d, i, *keys);
    return i;
}

#define PATH(d, i, ...) path((d), (i), (const char *const[]){__VA_ARGS__, NULL})

/* A string at i into out (reset first); false when it is not a usable one. */
static bool str_at(const struct jdoc *d, int i, struct buf *out)
{
    buf_reset(out);
    if (i < 0 || jdoc_str(d, i, out) < 0 || strlen(out->p) != out->len) {
        buf_reset(out);
        return false;
    }
    return out->len > 0;
}

/* The first element of array i, or -1. */
static int first_elem(const struct jdoc *d, int i)
{
    return i >= 0 && jdoc_is(d, i, JT_ARRAY) ? jdoc_first(d, i) : -1;
}

/* A source URI as provenance spells it ("git+https://host/owner/name@ref",
 * or a plain https URL) to its mapping and "https://host/owner/name".
 * `ref`, if not NULL, gets what followed the '@' after the path. */
static bool take_repo(struct provfacts *f, const char *uri, struct buf *ref)
{
    const char *u = uri;
    if (strncmp(u, "git+", 4) == 0)
        u += 4;
    const char *scheme = strstr(u, "://");
    const char *pathp = scheme ? strchr(scheme + 3, '/') : NULL;
    const char *at = pathp ? strrchr(pathp, '@') : NULL;
    size_t n = at ? (size_t)(at - u) : strlen(u);
    if (ref && at) {
        buf_reset(ref);
        buf_puts(ref, at + 1);
    }
    if (!scheme || repo_parse(u, n, &f->repo) != REPO_MAPPED)
        return false;
    buf_reset(&f->repo_url);
    buf_printf(&f->repo_url, "https://%s/%s/%s", f->repo.host, f->repo.owner, f->repo.name);
    return true;
}

static void workflow(struct provfacts *f, const struct buf *p, const struct buf *ref)
{
    buf_reset(&f->workflow);
    if (!p->len)
        return;
    buf_append(&f->workflow, p->p, p->len);
    if (ref->len)
        buf_printf(&f->workflow, "@%s", ref->p);
}

static void read_v1(const struct jdoc *d, int pred, struct provfacts *f, struct buf *a,
                    struct buf *b)
{
    int bd = jdoc_get(d, pred, "buildDefinition");
    int wf = PATH(d, bd, "externalParameters", "workflow");
    int dep = first_elem(d, jdoc_get(d, bd, "resolvedDependencies"));
    int gh = PATH(d, bd, "internalParameters", "github");
    if (str_at(d, jdoc_get(d, wf, "repository"), a))
        take_repo(f, a->p, NULL);
    if (!f->repo_url.len && str_at(d, jdoc_get(d, dep, "uri"), a))
        take_repo(f, a->p, NULL);
    str_at(d, PATH(d, dep, "digest", "gitCommit"), &f->commit);
    str_at(d, jdoc_get(d, wf, "path"), a);
    str_at(d, jdoc_get(d, wf, "ref"), b);
    workflow(f, a, b);
    str_at(d, jdoc_get(d, gh, "event_name"), &f->trigger);
    str_at(d, PATH(d, pred, "runDetails", "builder", "id"), &f->builder);
    size_t n = f->builder.len;
    if (n >= 12 && strcmp(f->builder.p + n - 12, "/self-hosted") == 0)
        f->self_hosted = 1;
    else if (n >= 14 && strcmp(f->builder.p + n - 14, "/github-hosted") == 0)
        f->self_hosted = 0;
    else if (str_at(d, jdoc_get(d, gh, "runner_environment"), a))
        f->self_hosted = strcmp(a->p, "self-hosted") == 0     ? 1
                         : strcmp(a->p, "github-hosted") == 0 ? 0
                                                              : -1;
}

static void read_v02(const struct jdoc *d, int pred, struct provfacts *f, struct buf *a,
                     struct buf *b)
{
    int inv = jdoc_get(d, pred, "invocation");
    int cs = jdoc_get(d, inv, "configSource");
    int params = jdoc_get(d, inv, "parameters");
    int env = jdoc_get(d, inv, "environment");
    int mat = first_elem(d, jdoc_get(d, pred, "materials"));
    struct buf uri_ref = BUF_INIT;
    if (str_at(d, jdoc_get(d, cs, "uri"), a))
        take_repo(f, a->p, &uri_ref);
    if (!f->repo_url.len && str_at(d, jdoc_get(d, mat, "uri"), a))
        take_repo(f, a->p, NULL);
    if (!str_at(d, PATH(d, cs, "digest", "sha1"), &f->commit))
        str_at(d, PATH(d, mat, "digest", "sha1"), &f->commit);
    /* GitLab names the pipeline file and the branch in its CI_* variables
     * (entryPoint is the job's name); GitHub's v0.2 names the workflow
     * file as entryPoint and the ref in the URI. */
    if (!str_at(d, jdoc_get(d, params, "CI_CONFIG_PATH"), a))
        str_at(d, jdoc_get(d, cs, "entryPoint"), a);
    if (!str_at(d, jdoc_get(d, params, "CI_COMMIT_REF_NAME"), b) &&
        !str_at(d, jdoc_get(d, env, "GITHUB_REF"), b)) {
        buf_reset(b);
        buf_append(b, uri_ref.p, uri_ref.len);
    }
    workflow(f, a, b);
    if (!str_at(d, jdoc_get(d, params, "CI_PIPELINE_SOURCE"), &f->trigger))
        str_at(d, jdoc_get(d, env, "GITHUB_EVENT_NAME"), &f->trigger);
    str_at(d, PATH(d, pred, "builder", "id"), &f->builder);
    buf_free(&uri_ref);
}

/* The decoded statement [p, p+n) of predicate type `type`. */
static bool read_statement(const char *p, size_t n, const char *type, const char *where,
                           struct provfacts *f)
{
    struct jdoc d = JDOC_INIT;
    struct buf a = BUF_INIT, b = BUF_INIT;
    bool ok = false;
    if (jdoc_parse(&d, p, n, NULL) < 0 || !jdoc_is(&d, 0, JT_OBJECT)) {
        log_warn("%s: the provenance statement is not a JSON object; its facts are left out",
                 where);
        goto out;
    }
    int pt = jdoc_get(&d, 0, "predicateType");
    int pred = jdoc_get(&d, 0, "predicate");
    if (pt < 0 || !jdoc_streq(&d, pt, type) || !jdoc_is(&d, pred, JT_OBJECT)) {
        log_warn("%s: the provenance statement's predicate is not the one its bundle names; its "
                 "facts are left out",
                 where);
        goto out;
    }
    if (strcmp(type, SLSA_V1) == 0) {
        f->predicate = "v1";
        read_v1(&d, pred, f, &a, &b);
    } else {
        f->predicate = "v0.2";
        read_v02(&d, pred, f, &a, &b);
    }
    ok = true;
out:
    buf_free(&a);
    buf_free(&b);
    jdoc_free(&d);
    return ok;
}

int attest_read(const char *body, size_t n, const char *where, struct provfacts *f)
{
    struct jdoc d = JDOC_INIT;
    struct buf payload = BUF_INIT, stmt = BUF_INIT;
    int rc = 0;
    if (n > ATTEST_MAX_BYTES) {
        log_warn("%s: the attestation answer is larger than %zu bytes; its facts are left out",
                 where, ATTEST_MAX_BYTES);
        goto out;
    }
    if (jdoc_parse(&d, body, n, NULL) < 0 || !jdoc_is(&d, 0, JT_OBJECT)) {
        log_warn("%s: the attestation answer is not a JSON object; its facts are left out", where);
        goto out;
    }
    int list = jdoc_get(&d, 0, "attestations");
    if (!jdoc_is(&d, list, JT_ARRAY)) {
        log_warn("%s: the attestation answer has no \"attestations\" list; its facts are left out",
                 where);
        goto out;
    }
    for (int x = jdoc_first(&d, list); x > 0; x = jdoc_after_elem(&d, list, x)) {
        int pt = jdoc_get(&d, x, "predicateType");
        const char *type = pt < 0                         ? NULL
                           : jdoc_streq(&d, pt, SLSA_V1)  ? SLSA_V1
                           : jdoc_streq(&d, pt, SLSA_V02) ? SLSA_V02
                                                          : NULL;
        if (!type)
            continue; /* npm's publish attestation, or one we do not read */
        int pl = PATH(&d, x, "bundle", "dsseEnvelope", "payload");
        buf_reset(&payload);
        buf_reset(&stmt);
        if (pl < 0 || jdoc_str(&d, pl, &payload) < 0 ||
            base64_decode(payload.p, payload.len, &stmt) < 0) {
            log_warn("%s: the provenance envelope has no base64 payload; its facts are left out",
                     where);
            goto out;
        }
        if (read_statement(stmt.p, stmt.len, type, where, f)) {
            f->found = true;
            rc = 1;
        }
        goto out; /* the first provenance entry is the one */
    }
out:
    buf_free(&payload);
    buf_free(&stmt);
    jdoc_free(&d);
    return rc;
}
