/*
 * fsutil.h — files that appear whole or not at all, and small file helpers.
 *
 * Every output file is written under a temporary name in its final
 * directory (".NAME.tmp-XXXXXX", created O_EXCL with the final mode) and
 * renamed into place by afile_commit() after fsync. A crash or Ctrl-C
 * therefore leaves at worst a dot-file, never a half-written file under a
 * final name. afile_abort() removes the temporary file.
 *
 * A process-wide registry of open afiles lets a signal-driven shutdown path
 * (afile_abort_all) remove every temporary file, since the code that owns an
 * afile may be deep in a loop when the user presses Ctrl-C.
 */
#ifndef J1NPM_FSUTIL_H
#define J1NPM_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

struct afile {
    int fd;
    char *tmp_path;
    char *final_path;
    struct afile *next_open; /* registry link */
};

int afile_open(struct afile *f, const char *final_path, mode_t mode, struct err *e);
int afile_commit(struct afile *f, struct err *e);
void afile_abort(struct afile *f);
void afile_abort_all(void);

/* write(2) until done; EINTR retried; EPIPE reported as "output closed". */
int write_all(int fd, const void *p, size_t n, const char *what, struct err *e);
/* Reads a whole file (at most max bytes, else an error) into out. */
int read_file(const char *path, size_t max, struct buf *out, struct err *e);
/* Creates dir (and missing parents) with mode. */
int mkdir_p(const char *path, mode_t mode, struct err *e);
/* Removes a directory tree; symlinks are removed, not followed. */
int rmtree(const char *path, struct err *e);
/* 1 if path is a directory with no entries, 0 if it has entries, -1 if error
 * (ENOENT reported through *missing when not NULL). */
int dir_is_empty(const char *path, bool *missing, struct err *e);
/* "dir/name" into a new string (never NULL: alloc.h). */
char *path_join(const char *dir, const char *name);
/* fsync a directory so that renames in it are durable. */
void fsync_dir(const char *dir);

#endif
