/*
 * source_impl.h — the two backends behind source.h: a storage directory
 * (source_dir.c) and the graph stream on stdin (source_stream.c). Not for
 * use outside source*.c.
 *
 * Each backend embeds struct source first and fills its ops; source.c
 * holds what both share: the opening choice, the accessors, and the
 * summary record's partial datasets (source_summary()).
 */
#ifndef J1NPM_UPLOAD_SOURCE_IMPL_H
#define J1NPM_UPLOAD_SOURCE_IMPL_H

#include "source.h"
#include "strlist.h"

struct source_ops {
    int (*next)(struct source *s, struct source_obj *o, struct err *e);
    uint64_t (*bytes)(const struct source *s); /* input bytes read so far */
    void (*free)(struct source *s);            /* the backend's own part */
};

struct source {
    const struct source_ops *ops;
    char *name;            /* "stdin" or the storage directory */
    struct strlist ptypes; /* the summary's partial datasets, unique, in order */
    uint64_t files;        /* graph files read (a directory) */
    bool empty;            /* a directory without a graph file */
    uint64_t size;         /* of the graph files (a directory); 0: unknown */
};

struct source *source_dir_open(const char *in, struct err *e);
struct source *source_stream_open(struct err *e);

/* A directory that holds a dump of j1-npm-collect, and the error that says so. */
bool source_is_dump_dir(const char *dir);
int source_dump_error(const char *dir, struct err *e);

/* Reads a summary (summary.json's content) into s->ptypes; `where` names
 * it in messages. */
int source_summary(struct source *s, const char *p, size_t n, const char *where, struct err *e);

#endif
