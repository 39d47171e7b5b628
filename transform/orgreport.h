/*
 * orgreport.h — the org report a person reads (--report FILE): who owns
 * and administers the org, who is outside every team, which outsiders can
 * publish what, what each team may do with which package, which packages
 * are public, the supply-chain facts of issue 12 where the graph has them,
 * and, with --compare, what changed.
 *
 * Not to be confused with report.h, which is the run's summary line.
 *
 * Three renderings of the same content, chosen by FILE's extension: .md
 * (Markdown), .json (the schema the README documents, "format":
 * "j1-npm-org-report/1") and .html (one self-contained page: inline CSS,
 * the access map as inline SVG, no script, no link to fetch). Every string
 * from the input is escaped for its format (Markdown punctuation and HTML
 * specials, XML entities, JSON). The only time shown is the collect's start
 * (the dump manifest's started_at), which also dates "not published for
 * years": the same inputs make the same bytes.
 */
#ifndef J1NPM_TRANSFORM_ORGREPORT_H
#define J1NPM_TRANSFORM_ORGREPORT_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "orgdiff.h"
#include "orgfacts.h"

/* A package whose latest version is older than this, before the collect's
 * start, is "not published for years". */
#define OREP_STALE_MS (2LL * 36525 * 864000) /* two years of 365.25 days */

enum orep_format { OREP_MD, OREP_JSON, OREP_HTML };

struct orep_in {
    const struct ofacts *f;
    const struct od_changes *changes; /* NULL without --compare */
    int64_t as_of;                    /* epoch ms; 0 unknown */
};

/* The format FILE's extension names; -1 (ERR_USAGE) for another one. */
int orep_format_of(const char *path, enum orep_format *fmt, struct err *e);
void orep_render(const struct orep_in *in, enum orep_format fmt, struct buf *out);
/* Writes the rendering to path, whole or not at all (afile). */
int orep_write_file(const char *path, const struct buf *b, struct err *e);

/* Markdown-escapes s into out (backslash before Markdown punctuation,
 * HTML specials (< > & ") as entities, newlines as spaces). */
void orep_md_escape(struct buf *out, const char *s);

#endif
