/*
 * attest.h — what a package's provenance attestation says: the source
 * repository, commit, workflow, builder and trigger of the build that
 * published its latest version.
 *
 * The body is npm's answer to GET /-/npm/v1/attestations/<name>@<version>:
 * {"attestations": [{"predicateType", "bundle": {"dsseEnvelope":
 * {"payload": <base64>, "payloadType"}}}]}. The provenance entry (the one
 * whose predicateType is SLSA provenance v1 or v0.2; npm's own publish
 * attestation is not provenance) carries an in-toto statement as the
 * envelope's base64 payload; its predicate is read as:
 *
 *   SLSA v1 (GitHub Actions, the github-actions-buildtypes workflow/v1):
 *     buildDefinition.externalParameters.workflow {repository, path, ref}
 *     buildDefinition.internalParameters.github {event_name,
 *         runner_environment}
 *     buildDefinition.resolvedDependencies[0] {uri, digest.gitCommit}
 *     runDetails.builder.id  (…/actions/runner/github-hosted or
 *                             …/actions/runner/self-hosted)
 *   SLSA v0.2 (GitLab CI, and GitHub Actions before v1; libnpmpublish):
 *     builder.id, invocation.configSource {uri "git+<repo>@<ref>",
 *     digest.sha1, entryPoint}, invocation.parameters (GitLab's CI_*
 *     variables: CI_PIPELINE_SOURCE, CI_CONFIG_PATH, CI_COMMIT_REF_NAME),
 *     invocation.environment (GitHub's GITHUB_EVENT_NAME, GITHUB_REF),
 *     materials[0] {uri, digest.sha1}.
 *
 * Untrusted input: the body and the decoded statement are bounded
 * (ATTEST_MAX_BYTES); invalid JSON, invalid base64, an unknown predicate or
 * a repository that cannot be read for certain (repo.h) leave the facts
 * absent, with a warning naming the record. The signatures are not
 * verified here (transform is offline; npm verified them at publish and
 * `npm audit signatures` does at install): the facts say what the
 * registry holds, which is what a security team queries.
 */
#ifndef J1NPM_TRANSFORM_ATTEST_H
#define J1NPM_TRANSFORM_ATTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "repo.h"

#define ATTEST_MAX_BYTES ((size_t)4 << 20)

struct provfacts {
    bool found;            /* a provenance statement was read */
    struct buf repo_url;   /* "https://host/owner/name"; empty: unknown */
    struct repo repo;      /* its mapping (REPO_MAPPED when repo_url is set) */
    struct buf commit;     /* the source commit */
    struct buf workflow;   /* "<path>@<ref>" (or the path alone) */
    struct buf builder;    /* the builder id */
    struct buf trigger;    /* the event that started the build */
    int self_hosted;       /* 1 self-hosted runner, 0 hosted, -1 unknown */
    const char *predicate; /* "v1" or "v0.2" */
};

void provfacts_init(struct provfacts *f);
void provfacts_free(struct provfacts *f);
/* Reads an attestation answer [body, body+n) into f (made by
 * provfacts_init). Returns 1 when a provenance statement was read, 0 when
 * the answer holds none (a warning says why when something was there but
 * unreadable; `where` names the record). Never fails otherwise. */
int attest_read(const char *body, size_t n, const char *where, struct provfacts *f);

#endif
