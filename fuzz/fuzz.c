/*
 * fuzz.c — helpers for the fuzz targets (see fuzz.h).
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

int fuzz_memfd(const void *data, size_t n)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    const char *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int fuzz_stdin(const void *data, size_t n)
{
    int fd = fuzz_memfd(data, n);
    if (fd < 0)
        return -1;
    int rc = dup2(fd, STDIN_FILENO) < 0 ? -1 : 0;
    close(fd);
    return rc;
}

char *fuzz_slurp(int fd, size_t *n)
{
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0 || lseek(fd, 0, SEEK_SET) != 0)
        return NULL;
    char *p = malloc((size_t)end + 1);
    if (!p)
        return NULL;
    size_t got = 0;
    while (got < (size_t)end) {
        ssize_t r = read(fd, p + got, (size_t)end - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    p[got] = '\0';
    *n = got;
    return p;
}

void fuzz_quiet(void)
{
    static int done;
    if (!done) {
        done = 1;
        log_setup("fuzz", LOG_TEXT, getenv("FUZZ_VERBOSE") ? LOG_DEBUG : LOG_ERROR);
    }
}
