/*
 * orgpicture.h — the access map: an SVG picture of packages (rows) against
 * teams and outside collaborators (columns), drawn from the facts.
 *
 * A cell is the column's permission on the row's package: read-write
 * (dark), read-only (light), none (blank); an outsider who maintains the
 * package carries an "M". Outsiders' columns are red-headed and come after
 * the teams. A risky package (an outsider can publish it, trust downgrade,
 * install script, its latest version affected by an advisory, provenance
 * from another repository, its latest version published for the first time
 * by someone outside the org, not through trusted publishing) is marked
 * with a red
 * triangle and the names of its risks, and gets a row of its own.
 *
 * Readable at a few hundred packages: packages with no risk and the same
 * row (same visibility, same cell in every column) share one row, labelled
 * with their count and first names; rows are sorted risky first (by name),
 * then shared rows by size (largest first) and first name; past
 * PIC_MAX_ROWS rows the rest are folded into one summary row whose cells
 * show the highest permission among them. Columns past PIC_MAX_TEAMS teams
 * (or PIC_MAX_OUTSIDERS outsiders) fold the same way into one column. Every
 * string from the input is XML-escaped (pic_xml_escape), and cut at
 * PIC_LABEL_MAX bytes; coordinates are integers, so the same facts draw the
 * same bytes.
 */
#ifndef J1NPM_TRANSFORM_ORGPICTURE_H
#define J1NPM_TRANSFORM_ORGPICTURE_H

#include <stddef.h>

#include "buf.h"
#include "orgfacts.h"

#define PIC_MAX_ROWS 60
#define PIC_MAX_TEAMS 30
#define PIC_MAX_OUTSIDERS 20
#define PIC_LABEL_MAX 50

/* The risks of a package, as the picture and the report name them. */
enum pic_risk {
    RISK_OUTSIDE_WRITE = 1 << 0,
    RISK_TRUST_DOWNGRADE = 1 << 1,
    RISK_INSTALL_SCRIPT = 1 << 2,
    RISK_VULNERABLE = 1 << 3,
    RISK_REPO_MISMATCH = 1 << 4,
    RISK_FIRST_TIME_PUBLISHER = 1 << 5,
};
#define RISK_COUNT 6
extern const char *const pic_risk_names[RISK_COUNT];

/* The package's risks (bits of enum pic_risk). */
unsigned pic_risks(const struct ofacts *f, const struct of_pkg *p);

/* Appends the SVG document (an <svg> element, no XML declaration, so it
 * can be inlined in HTML as it is). */
void pic_svg(const struct ofacts *f, struct buf *out);

/* Appends s with & < > " ' as entities and control characters as '?', so
 * it is safe as XML/HTML text and attribute values. At most max bytes of s
 * are used (cut on a UTF-8 boundary, then "..."); max 0: all of it. */
void pic_xml_escape(struct buf *out, const char *s, size_t max);

#endif
