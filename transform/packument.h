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
 *
 * From the scanned document, pkgfacts_read() takes the facts the package
 * entity says (description, license, keywords, times, maintainers, the
 * latest version's publisher and deprecation, the repository and its
 * mapping), and pkgdoc_write_trimmed() writes the document as _rawData
 * holds it: without what makes it big, and without credentials.
 */
#ifndef J1NPM_TRANSFORM_PACKUMENT_H
#define J1NPM_TRANSFORM_PACKUMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "repo.h"
#include "strlist.h"

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

/* What one document says. A field present with the wrong shape says
 * nothing (absent and malformed are different): its *_bad flag is set, a
 * warning naming the record's place is logged and `malformed` is set, so
 * the caller can mark the package's facts incomplete. Fields from the
 * latest version fill what the top level leaves empty. */
struct pkgfacts {
    struct buf description, homepage, license, repo_url, repo_dir, deprecation, publisher,
        publisher_email;
    bool deprecated, have_repo_url;
    bool versions_bad, maintainers_bad, deprecated_bad, malformed;
    int64_t created, modified, published; /* epoch ms; -1: unknown */
    /* The current maintainers (the top-level list), unique by name in
     * document order, each with its email ("" when none is valid). */
    struct strlist maintainers, maintainer_email;
    struct strlist maintainer_emails, keywords; /* unique; keywords at most 100 */
    struct repo repo; /* repo.kind REPO_NONE: the document names no repository */
    bool repo_redacted, repo_bad_shape;
};

void pkgfacts_init(struct pkgfacts *f);
/* Reads the facts of a scanned document into f (made by pkgfacts_init);
 * `where` names the record in warnings. */
void pkgfacts_read(const struct pkgdoc *doc, const char *where, struct pkgfacts *f);
void pkgfacts_free(struct pkgfacts *f);

/* The document without readme and stars ("users"), without every version
 * object but the latest, with time cut to created, modified and the
 * latest, and with its repository URLs without credentials. */
void pkgdoc_write_trimmed(struct jw *w, const struct pkgdoc *doc);

#endif
