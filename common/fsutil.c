/*
 * fsutil.c — see fsutil.h.
 */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

static struct afile *open_files;

char *path_join(const char *dir, const char *name)
{
    struct buf b = BUF_INIT;
    size_t dl = strlen(dir);
    buf_puts(&b, dir);
    if (dl == 0 || dir[dl - 1] != '/')
        buf_putc(&b, '/');
    buf_puts(&b, name);
    return buf_detach(&b);
}

static void registry_remove(struct afile *f)
{
    for (struct afile **pp = &open_files; *pp; pp = &(*pp)->next_open) {
        if (*pp == f) {
            *pp = f->next_open;
            break;
        }
    }
    f->next_open = NULL;
}

int afile_open(struct afile *f, const char *final_path, mode_t mode, struct err *e)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    char *copy = xstrdup(final_path);
    char *copy2 = xstrdup(final_path);
    struct buf t = BUF_INIT;
    const char *dir = dirname(copy);
    const char *base = basename(copy2);
    buf_printf(&t, "%s/.%s.tmp-XXXXXX", dir, base);
    int fd = mkstemp(t.p);
    if (fd < 0) {
        err_set(e, ERR_FAIL, "cannot create a file in %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (fchmod(fd, mode) < 0) {
        err_set(e, ERR_FAIL, "cannot set the mode of %s: %s", t.p, strerror(errno));
        close(fd);
        unlink(t.p);
        goto fail;
    }
    f->fd = fd;
    f->tmp_path = buf_detach(&t);
    f->final_path = xstrdup(final_path);
    f->next_open = open_files;
    open_files = f;
    free(copy);
    free(copy2);
    return 0;
fail:
    buf_free(&t);
    free(copy);
    free(copy2);
    return -1;
}

int afile_commit(struct afile *f, struct err *e)
{
    int rc = 0;
    if (f->fd >= 0) {
        if (fsync(f->fd) < 0 && errno != EINVAL)
            rc = err_set(e, ERR_FAIL, "cannot write %s: %s", f->final_path, strerror(errno));
        if (close(f->fd) < 0 && rc == 0)
            rc = err_set(e, ERR_FAIL, "cannot write %s: %s", f->final_path, strerror(errno));
        f->fd = -1;
    }
    if (rc == 0 && rename(f->tmp_path, f->final_path) < 0)
        rc = err_set(e, ERR_FAIL, "cannot rename %s to %s: %s", f->tmp_path, f->final_path,
                     strerror(errno));
    if (rc < 0)
        unlink(f->tmp_path);
    registry_remove(f);
    free(f->tmp_path);
    free(f->final_path);
    f->tmp_path = f->final_path = NULL;
    return rc;
}

void afile_abort(struct afile *f)
{
    if (!f->tmp_path)
        return;
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    unlink(f->tmp_path);
    registry_remove(f);
    free(f->tmp_path);
    free(f->final_path);
    f->tmp_path = f->final_path = NULL;
}

void afile_abort_all(void)
{
    while (open_files)
        afile_abort(open_files);
}

int write_all(int fd, const void *p, size_t n, const char *what, struct err *e)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE)
                return err_set(e, ERR_FAIL, "%s: the reading end closed the pipe", what);
            return err_set(e, ERR_FAIL, "cannot write %s: %s", what, strerror(errno));
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int read_file(const char *path, size_t max, struct buf *out, struct err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "cannot open %s: %s", path, strerror(errno));
    char chunk[65536];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            err_set(e, ERR_FAIL, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        if (out->len + (size_t)r > max) {
            close(fd);
            return err_set(e, ERR_FAIL, "%s is larger than %zu bytes", path, max);
        }
        buf_append(out, chunk, (size_t)r);
    }
    close(fd);
    return 0;
}

int mkdir_p(const char *path, mode_t mode, struct err *e)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        /* Parents get the mode asked for too (and the owner's rwx, to
         * make the next level): a 0700 tree is 0700 at every level. */
        if (mkdir(p, mode | 0700) < 0 && errno != EEXIST) {
            err_set(e, ERR_FAIL, "cannot create directory %s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *s = '/';
    }
    free(p);
    if (mkdir(path, mode) < 0) {
        struct stat st;
        if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        return err_set(e, ERR_FAIL, "cannot create directory %s: %s", path, strerror(errno));
    }
    return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(p);
    return unlink(p);
}

int rmtree(const char *path, struct err *e)
{
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
        return err_set(e, ERR_FAIL, "cannot remove %s: %s", path, strerror(errno));
    return 0;
}

int dir_is_empty(const char *path, bool *missing, struct err *e)
{
    if (missing)
        *missing = false;
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT && missing) {
            *missing = true;
            return 1;
        }
        return err_set(e, ERR_USAGE, "cannot open directory %s: %s", path, strerror(errno));
    }
    struct dirent *de;
    int empty = 1;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    }
    closedir(d);
    return empty;
}

void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}
