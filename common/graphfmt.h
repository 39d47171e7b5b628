/*
 * graphfmt.h — the graph format that j1-npm-transform writes and
 * j1-npm-upload reads: the shape of a storage directory and of the graph
 * stream, and the spelling of their record heads.
 *
 * A storage directory is the official SDK's (.j1-integration/): graph
 * files under GF_GRAPH_DIR, each one JSON object with a GF_ENTITIES or a
 * GF_RELATIONSHIPS array, and GF_SUMMARY_FILE, written last. With
 * `--out -` the same graph is one gzip NDJSON stream: one record a line,
 * every {"entity": {...}} record, then every {"relationship": {...}}, then
 * one {"summary": {...}} record holding summary.json's content. A stream
 * without its summary record was cut off: a reader must not take it as
 * whole. The summary declares the partial datasets as
 * metadata.partialDatasets.types (GF_SUMMARY_PARTIAL_PATH).
 *
 * Records are written compact, so a reader finds the kind of a record by
 * its head (GF_HEAD_*) and the value between the head and the last '}'
 * (GF_HEAD_*_LEN is the head's length, sizeof without the NUL); a record
 * spelled otherwise (spaces, another member order) is still valid and is
 * read by a member walk. README.md documents the format; this header is
 * the one place the names are spelled, in the spirit of dumpfmt.h.
 */
#ifndef J1NPM_GRAPHFMT_H
#define J1NPM_GRAPHFMT_H

/* A storage directory. */
#define GF_GRAPH_DIR "graph"
#define GF_INDEX_DIR "index"
#define GF_SUMMARY_FILE "summary.json"
#define GF_PROJECT_DIR ".j1-integration" /* a project directory holds the storage dir here */

/* A graph file's members. */
#define GF_ENTITIES "entities"
#define GF_RELATIONSHIPS "relationships"

/* The stream's record members and their compact heads. */
#define GF_ENTITY "entity"
#define GF_RELATIONSHIP "relationship"
#define GF_SUMMARY "summary"
#define GF_HEAD_ENTITY "{\"" GF_ENTITY "\":"
#define GF_HEAD_RELATIONSHIP "{\"" GF_RELATIONSHIP "\":"
#define GF_HEAD_SUMMARY "{\"" GF_SUMMARY "\":"
#define GF_HEAD_ENTITY_LEN (sizeof GF_HEAD_ENTITY - 1)
#define GF_HEAD_RELATIONSHIP_LEN (sizeof GF_HEAD_RELATIONSHIP - 1)
#define GF_HEAD_SUMMARY_LEN (sizeof GF_HEAD_SUMMARY - 1)
/* What closes every record: the envelope's '}' and the line's end. */
#define GF_RECORD_END "}\n"
#define GF_RECORD_END_LEN (sizeof GF_RECORD_END - 1)

/* summary.json: the members on the way to the partial datasets' types. */
#define GF_SUMMARY_METADATA "metadata"
#define GF_SUMMARY_PARTIAL "partialDatasets"
#define GF_SUMMARY_TYPES "types"

#endif
