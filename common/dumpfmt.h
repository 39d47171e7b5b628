/*
 * dumpfmt.h — the dump format that j1-npm-collect writes and
 * j1-npm-transform reads: the kinds of record, their files and their order.
 *
 * A dump is DIR/<kind>.ndjson.gz (one line per HTTP exchange) plus
 * DIR/manifest.json, written last; or, with `--out -`, one gzip NDJSON
 * stream holding the same records in this table's order (attestations and
 * advisories after every packument) and a final {"manifest": {...}} record. README.md documents
 * every field; this header is the one place the names are spelled.
 */
#ifndef J1NPM_DUMPFMT_H
#define J1NPM_DUMPFMT_H

#include <stddef.h>
#include <string.h>

#define DUMP_FORMAT "j1-npm-dump/1"
#define DUMP_MANIFEST "manifest.json"
/* Beside the manifest in a directory dump: `sha256sum -c` checks the dump
 * with standard tools before anything runs (transform checks the manifest). */
#define DUMP_SUMS "SHA256SUMS"
/* Every kind file ends so (dump_kind_files). */
#define DUMP_FILE_SUFFIX ".ndjson.gz"

enum dump_kind {
    K_WHOAMI,
    K_ORG_USERS,
    K_ORG_TEAMS,
    K_TEAM_USERS,
    K_TEAM_PACKAGES,
    K_ORG_PACKAGES,
    K_USER_PROFILES,
    K_PACKAGE_VISIBILITY,
    K_PACKAGE_COLLABORATORS,
    K_COLLECTOR_PROFILE, /* GET /-/npm/v1/user: the collecting account */
    K_COLLECTOR_TOKENS,  /* GET /-/npm/v1/tokens: its tokens */
    K_PACKUMENTS,
    /* Kinds whose subjects come from the package documents: they follow
     * packuments in a stream. */
    K_ATTESTATIONS, /* subject "<name>@<version>" */
    K_ADVISORIES,   /* POST, one record per batch; request.body says what was asked */
    K_COUNT
};

static const char *const dump_kind_names[K_COUNT] = {
    "whoami",
    "org_users",
    "org_teams",
    "team_users",
    "team_packages",
    "org_packages",
    "user_profiles",
    "package_visibility",
    "package_collaborators",
    "collector_profile",
    "collector_tokens",
    "packuments",
    "attestations",
    "advisories",
};

static const char *const dump_kind_files[K_COUNT] = {
    "whoami.ndjson.gz",
    "org_users.ndjson.gz",
    "org_teams.ndjson.gz",
    "team_users.ndjson.gz",
    "team_packages.ndjson.gz",
    "org_packages.ndjson.gz",
    "user_profiles.ndjson.gz",
    "package_visibility.ndjson.gz",
    "package_collaborators.ndjson.gz",
    "collector_profile.ndjson.gz",
    "collector_tokens.ndjson.gz",
    "packuments.ndjson.gz",
    "attestations.ndjson.gz",
    "advisories.ndjson.gz",
};

/* The fields of one record (one line): {"kind", "subject", "request":
 * {"method", "path"[, "body" a POST's JSON]}[, "token_key"], "status",
 * "headers": {...}, "fetched_at",
 * "elapsed_ms", "attempts", ["revalidated", "revalidated_at" when carried
 * after a 304], then "error" (no answer), "body" (a JSON answer, verbatim)
 * or "body_text" (any other answer, as a string)}. */
#define DF_KIND "kind"
#define DF_SUBJECT "subject"
#define DF_REQUEST "request"
#define DF_METHOD "method"
#define DF_PATH "path"
/* A request's own body (a POST: advisories), as the JSON that was sent. */
#define DF_REQ_BODY "body"
/* collector_tokens: the SHA-512 (lowercase hex) of the token collect used,
 * as the registry names each token in the list ("key"). */
#define DF_TOKEN_KEY "token_key"
#define DF_STATUS "status"
#define DF_HEADERS "headers"
#define DF_H_CONTENT_TYPE "content-type"
#define DF_H_ETAG "etag"
#define DF_H_LAST_MODIFIED "last-modified"
#define DF_H_DATE "date"
#define DF_FETCHED_AT "fetched_at"
#define DF_ELAPSED_MS "elapsed_ms"
#define DF_ATTEMPTS "attempts"
/* A record carried from the previous dump after a 304 (--since): true, and
 * when (fetched_at stays when the body was first downloaded). */
#define DF_REVALIDATED "revalidated"
#define DF_REVALIDATED_AT "revalidated_at"
#define DF_ERROR "error"
#define DF_BODY "body"
#define DF_BODY_TEXT "body_text"
#define DF_BODY_TEXT_TRUNCATED "body_text_truncated"
#define DF_REDACTED "redacted"

/* The manifest's fields (DIR/manifest.json, or the stream's last record
 * {"manifest": {...}}). Per-file entries under "files" hold "kind",
 * "file", "records", "bytes", "sha256"; per-kind "counts" hold "ok",
 * "failed", "status" {class: n}, "redacted" and "revalidated" (of the ok
 * answers, how many were carried from the previous dump after a 304). */
#define DM_STREAM_KEY "manifest"
#define DM_FORMAT "format"
#define DM_TOOL "tool"
#define DM_VERSION "version"
#define DM_ORG "org"
#define DM_REGISTRY "registry"
#define DM_STARTED_AT "started_at"
#define DM_FINISHED_AT "finished_at"
#define DM_COMPLETE "complete"
#define DM_STOPPED "stopped"
#define DM_FILES "files"
#define DM_FILE "file"
#define DM_RECORDS "records"
#define DM_BYTES "bytes"
#define DM_SHA256 "sha256"
#define DM_COUNTS "counts"
#define DM_OK "ok"
#define DM_FAILED "failed"
#define DM_REVALIDATED "revalidated"

/* The kind named by [s, s+n), or -1. */
static inline int dump_kind_from_name(const char *s, size_t n)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strlen(dump_kind_names[k]) == n && memcmp(dump_kind_names[k], s, n) == 0)
            return k;
    return -1;
}

#endif
