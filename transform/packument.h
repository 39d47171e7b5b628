/*
 * packument.h — the facts transform needs from one package document, read
 * in a single validating pass without tokenising the whole document.
 *
 * A full package document holds every version ever published (and often a
 * readme per version): tens of MB for old packages. We walk its top-level
 * members with json_walk_members, remembering where each member's value
 * lies; the `versions` object is walked the same way (so each byte is
 * scanned once) and only the latest version's object — found through
 * dist-tags.latest — is tokenised with jsmn, as are the small members
 * (dist-tags, time, maintainers, repository). Nothing is copied: spans
 * point into the caller's line.
 */
#ifndef J1NPM_TRANSFORM_PACKUMENT_H
#define J1NPM_TRANSFORM_PACKUMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

struct span {
    const char *p;
    size_t n;
};

struct member {
    struct span key; /* raw, between the quotes */
    struct span val; /* whole JSON text of the value */
};

struct pkgdoc {
    struct member *top;
    size_t ntop, captop;
    struct member *vers;
    size_t nvers, capvers;
    struct span dist_tags, versions, time, maintainers, description, homepage, keywords, repository,
        license, readme;
    const struct member *latest; /* the latest version's member in vers, or NULL */
    struct buf latest_name;      /* decoded version string, never empty when latest is set */
    size_t empty_versions;       /* versions keyed "": no version has no name, so ignored */
};

/* Scans the document [p, p+n). Returns 0, or -1 with e naming the byte
 * offset of invalid JSON or a document that is not an object. */
int pkgdoc_scan(struct pkgdoc *d, const char *p, size_t n, struct err *e);
void pkgdoc_free(struct pkgdoc *d);

#endif
