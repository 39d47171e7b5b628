#!/bin/sh
# man/gen.sh — one man page from its hand-written template and the
# program's own --help.
#
#   man/gen.sh TEMPLATE PROGRAM VERSION DATE > page.1
#
# The options are not written twice. --help is generated from the program's
# option table (common/cli.c), so the parts of a page that --help already
# says are taken from it at build time, and a page cannot drift from the
# code: the template (man/<program>.1.in, roff) holds what --help does not
# (the environment, files, examples, see also), and these lines of it are
# replaced:
#
#   @SYNOPSIS@   the usage line's synopsis, the program's name in bold
#   @ABOUT@      the paragraph after the usage line
#   @OPTIONS@    every option line of --help: .TP, the names in bold and
#                the values' names in italics, then the description
#   @EXIT@       the paragraph after the options ("Exit status: ...")
#   @VERSION@ @DATE@   anywhere, as given
#
# --help's layout (cli.c's cli_usage): "usage: NAME SYNOPSIS", a blank
# line, the about paragraph, a blank line, option lines ("  -x, --name ARG"
# then two spaces and the description, continued on lines indented further),
# a blank line, the exit status paragraph. tests/integration/test_dist.py
# renders each page and holds its OPTIONS to --help.
#
# Text is escaped for roff: a backslash becomes \e, every '-' becomes \-
# (a minus, so flags quoted in prose copy and search as typed), and a line
# that would start with '.' or "'" starts with \& instead. POSIX sh and awk
# only: building the pages needs nothing the build does not.
set -eu
[ $# -eq 4 ] || { echo "usage: $0 TEMPLATE PROGRAM VERSION DATE" >&2; exit 2; }
template=$1 program=$2 version=$3 date=$4
help=$(mktemp)
trap 'rm -f "$help"' EXIT
"$program" --help >"$help"
[ -s "$help" ] || { echo "$0: $program --help printed nothing" >&2; exit 1; }

awk -v helpfile="$help" -v version="$version" -v date="$date" '
function esc(s,    out, i, c) {
    out = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\\") c = "\\e"
        else if (c == "-") c = "\\-"
        out = out c
    }
    return out
}
function line(s) {
    if (s ~ /^[.\047]/) s = "\\&" s
    print s
}
# "-i, --integration-instance-id ID" -> bold names, italic values
function tag(names,    n, parts, i, w, out, sp) {
    n = split(names, parts, /, /)
    out = ""
    for (i = 1; i <= n; i++) {
        sp = index(parts[i], " ")
        if (sp) w = "\\fB" esc(substr(parts[i], 1, sp - 1)) "\\fR \\fI" esc(substr(parts[i], sp + 1)) "\\fR"
        else w = "\\fB" esc(parts[i]) "\\fR"
        out = out (i > 1 ? ", " : "") w
    }
    return out
}
BEGIN {
    part = 0          # 0 usage, 1 about, 2 options, 3 exit status
    nopt = 0
    while ((getline l < helpfile) > 0) {
        if (part == 0) {
            if (l ~ /^usage: /) {
                sub(/^usage: /, "", l)
                name = l; sub(/ .*/, "", name)
                syn = l; sub(/^[^ ]* ?/, "", syn)
            } else if (l == "") part = 1
            continue
        }
        if (part == 1) {
            if (l == "" && about != "") { part = 2; continue }
            if (l != "") about = about (about == "" ? "" : " ") l
            continue
        }
        if (part == 2) {
            if (l ~ /^  -/) {
                sub(/^  /, "", l)
                two = index(l, "  ")
                nopt++
                if (two) { names[nopt] = substr(l, 1, two - 1); desc[nopt] = substr(l, two); sub(/^ +/, "", desc[nopt]) }
                else { names[nopt] = l; desc[nopt] = "" }
            } else if (l ~ /^    +[^ ]/ && nopt) {
                sub(/^ +/, "", l)
                desc[nopt] = desc[nopt] (desc[nopt] == "" ? "" : " ") l
            } else if (l == "" && nopt) part = 3
            continue
        }
        if (l != "") exitst = exitst (exitst == "" ? "" : " ") l
    }
    close(helpfile)
    if (name == "" || nopt == 0) { print "gen.sh: --help is not in the expected layout" > "/dev/stderr"; exit 1 }
    sub(/^Exit status: */, "", exitst)
}
$0 == "@SYNOPSIS@" { print ".B " esc(name); line(esc(syn)); next }
$0 == "@ABOUT@"    { line(esc(about)); next }
$0 == "@EXIT@"     { line(esc(exitst)); next }
$0 == "@OPTIONS@"  {
    for (i = 1; i <= nopt; i++) { print ".TP"; print tag(names[i]); line(esc(desc[i])) }
    next
}
{ gsub(/@VERSION@/, version); gsub(/@DATE@/, date); print }
' "$template"
