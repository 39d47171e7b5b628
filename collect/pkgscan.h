/*
 * pkgscan.h — the facts collect takes from a package document as it goes
 * by, for the supply-chain kinds that depend on it:
 *
 *  - the latest version (dist-tags.latest) and whether that version was
 *    published with provenance (its dist.attestations is an object): that
 *    decides whether its attestations are asked for;
 *  - every version string (the keys of versions), which the bulk advisory
 *    endpoint is asked about.
 *
 * Nothing else of the document is kept, and nothing is tokenised: one pass
 * with json_walk_members over the top level, into "dist-tags" and
 * "versions" and, per version, into "dist" (every other value is skipped
 * by the validating scanner). A document the HTTP engine spilled to disk
 * (tens of MB) is mapped read-only rather than copied, so what this costs
 * in memory is the version list: PKGSCAN_MAX_VERSIONS strings of at most
 * PKGSCAN_VERSION_MAX bytes (the largest real packages have a few
 * thousand versions).
 *
 * A version string is taken only when it is plausible semver text (ASCII
 * letters, digits, '.', '-', '+', at most PKGSCAN_VERSION_MAX bytes): it
 * goes into a request path and a request body, and the registry only
 * publishes such versions. Others are counted in `skipped`, not taken.
 */
#ifndef J1NPM_COLLECT_PKGSCAN_H
#define J1NPM_COLLECT_PKGSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "strlist.h"
#include "strset.h"

#define PKGSCAN_MAX_VERSIONS 100000
#define PKGSCAN_VERSION_MAX 256

struct pkgscan {
    struct buf latest;       /* dist-tags.latest, "" when none (or implausible) */
    bool latest_attested;    /* versions[latest].dist.attestations is an object */
    struct strlist versions; /* plausible versions, in document order, each once */
    size_t skipped;          /* versions not taken: implausible or past the bound */
    struct strlist attested; /* the versions with dist.attestations */
};

void pkgscan_init(struct pkgscan *s);
/* Scans the document [p, p+n) into s (reset first). -1 with e when it is
 * not a JSON object (its facts are then unknown). */
int pkgscan_mem(struct pkgscan *s, const char *p, size_t n, struct err *e);
/* The same for a response body, in memory or spilled to a file. */
int pkgscan_body(struct pkgscan *s, struct http_body *b, struct err *e);
void pkgscan_free(struct pkgscan *s);

/* The facts of package documents not downloaded in this run (a 304 under
 * --since, a record kept by --resume), from the earlier packuments file at
 * path: for each record whose subject is in wanted, whose status is 2xx
 * and whose body is a JSON object, fn(ctx, subject, facts). One record
 * line is held at a time (the file is read once, in order). -1 with e when
 * the file cannot be read to its end (the records before were handed out). */
typedef void (*pkgscan_fn)(void *ctx, const char *name, struct pkgscan *s);
int pkgscan_file(const char *path, const struct strset *wanted, pkgscan_fn fn, void *ctx,
                 struct err *e);

/* [v, v+n) is a version string pkgscan takes. */
bool pkgscan_version_ok(const char *v, size_t n);

#endif
