/*
 * source.h — the graph objects to upload, one at a time, in the order they
 * must go: every entity, then every relationship; then the partial
 * datasets of the run that made them.
 *
 * Three inputs (--in):
 *  - "-": this project's stream on stdin (gzip or plain NDJSON):
 *    {"entity":{...}} lines, then {"relationship":{...}} lines, then one
 *    {"summary":{...}} line (summary.json's content). A stream that ends
 *    without its summary was cut off upstream: source_next reports an
 *    error, and the caller must abort the job, never finalize it —
 *    finalizing would make JupiterOne delete whatever did not arrive.
 *  - a storage directory of the official SDK (this project's transform
 *    writes one): every regular file under graph/, of any name and depth,
 *    holding {"entities":[...]} or {"relationships":[...]}, pretty-printed
 *    or not, plus summary.json. summary.json is read at open (the SDK
 *    writes it last: without it the directory is not whole), so a broken
 *    directory is refused before any job exists. index/ is not read (it
 *    holds symlinks to the same files); names starting with '.' are
 *    skipped (editors' and our own temporary files).
 *  - a project directory holding .j1-integration/ (what the official
 *    `j1-integration sync -p DIR` takes; -p itself: source_open_project).
 *
 * A dump of j1-npm-collect (a directory with manifest.json of format
 * j1-npm-dump/1 or *.ndjson.gz files, or the stream whose records hold
 * "kind"/"subject"/"request") is recognised at open and refused: it is
 * transform's input, not upload's.
 *
 * A directory is read in two passes over its file list: entities, then
 * relationships. The first pass reads only as far as a file's first member
 * when that is "relationships" (the SDK writes one member a file), so each
 * object is read once. Files are parsed as they stream by: memory holds the
 * object being handed out (up to SOURCE_MAX_OBJECT bytes), never a file.
 * Objects from a directory come minified (whitespace outside strings
 * dropped in the same scan that finds their end), so that the checker and
 * the batch read the short form and nothing reads them a third time.
 * The file framing is checked here; each object is checked by the caller.
 */
#ifndef J1NPM_UPLOAD_SOURCE_H
#define J1NPM_UPLOAD_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "graphobj.h"

/* The largest single object accepted (a bigger one is an input error). */
#define SOURCE_MAX_OBJECT ((size_t)256 << 20)

struct source_obj {
    enum gobj_kind kind;
    const char *text; /* the object's JSON text, valid until the next source_next */
    size_t len;
    bool minified;    /* text holds no whitespace outside strings */
    const char *file; /* for messages: path under the storage dir, or "stdin" */
    uint64_t index;   /* array index in the file, or line number of the stream */
};

struct source;

/* Errors are ERR_FAIL (bad input: exit 1), except a terminal on stdin
 * (ERR_USAGE). A dump of j1-npm-collect, directory or stream, is refused
 * here, before any job exists, with a message that says to transform it. */
struct source *source_open(const char *in, struct err *e);
/* `j1-integration sync -p DIR`: the storage directory DIR/.j1-integration,
 * and nothing else. */
struct source *source_open_project(const char *project, struct err *e);
/* 1: an object; 0: the end (partial types now known); -1: error, e.g. a
 * malformed file or a stream without its summary. */
int source_next(struct source *s, struct source_obj *o, struct err *e);
/* The summary's metadata.partialDatasets.types, after source_next gave 0
 * (directories: from open on). */
size_t source_partial_count(const struct source *s);
const char *source_partial_type(const struct source *s, size_t i);
/* "stdin" or the storage directory's path, for messages. */
const char *source_name(const struct source *s);
uint64_t source_files(const struct source *s);
/* A directory with no graph file at all (known at open; a stream: false). */
bool source_is_empty(const struct source *s);
uint64_t source_bytes(const struct source *s); /* input bytes read (decompressed) */
/* The input's whole size when known before reading (a directory's graph
 * files, from its walk); 0 when not (a stream). */
uint64_t source_size(const struct source *s);
void source_close(struct source *s);

#endif
