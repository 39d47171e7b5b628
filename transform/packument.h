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
 *
 * Per-version facts (supply chain): the walk over `versions` descends into
 * each version object with json_walk_members, so that its `dist` (is
 * dist.attestations.provenance set?) and `_npmUser` (name, and is
 * trustedPublisher set?) are read in the same single pass that validates
 * it; every other member is skipped as before. The `time` map's entries are
 * remembered as spans the same way. So a document's bytes are still each
 * scanned once, and the memory is a few words per version (struct vfacts),
 * whatever the size of the version objects. pkgfacts_read() then joins
 * versions to their publish times (sorting the time entries) and derives
 * the trust facts: trust of each version as pnpm's no-downgrade check
 * reads it (trusted publisher > provenance > none), the downgrade, the
 * count of versions with provenance, and whether the latest publisher
 * published any earlier version.
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

/* What one version object says about how it was published. */
struct vfacts {
    struct span user;    /* _npmUser.name (raw, between the quotes), or the
                            string form "name <email>"; p NULL: none */
    bool user_is_person; /* user is the string form, to be split */
    bool trusted;        /* _npmUser.trustedPublisher is set (truthy) */
    bool provenance;     /* dist.attestations.provenance is set (truthy) */
    bool attestations;   /* dist.attestations is set (truthy) */
};

struct pkgdoc {
    struct member *top;
    size_t ntop, captop;
    struct member *vers;
    struct vfacts *vf; /* parallel to vers */
    size_t nvers, capvers, capvf;
    struct member *times; /* the time map's entries */
    size_t ntimes, captimes;
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
    /* Supply chain (the latest version; "have_" false: unknown, left out). */
    bool have_trust; /* provenance, trusted, latest_trust, attestations */
    bool provenance, trusted, attestations;
    int latest_trust;               /* 0 none, 1 provenance, 2 trusted publisher */
    long long with_provenance;      /* versions with provenance; -1 unknown */
    int downgrade;                  /* -1 unknown (no publish time for the latest) */
    int first_time_publisher;       /* -1 unknown */
    int has_install_script;         /* -1 unknown (the latest version unreadable) */
    struct strlist install_scripts; /* preinstall, install, postinstall present */
};

/* "trusted-publisher", "provenance", "none". */
const char *pkg_trust_name(int trust);

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
