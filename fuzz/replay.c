/*
 * replay.c — runs a fuzz target's entry function over saved inputs,
 * without libFuzzer: `make test` builds every target with this main() and
 * the normal compiler, and replays fuzz/corpus/<target>/ and
 * fuzz/crashes/<target>/, so an input that once crashed stays fixed.
 *
 *     build/rel/fuzz/replay-<target> FILE|DIR...
 *
 * Prints one line per argument ("replayed N inputs from DIR"); a broken
 * invariant aborts, naming the input first.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static const char *volatile current; /* the input being run */

/* A crash names its input, then dies of the same signal. */
static void on_crash(int sig)
{
    const char *p = current;
    if (p) {
        (void)!write(2, "replay: crashed on ", 19);
        (void)!write(2, p, strlen(p));
        (void)!write(2, "\n", 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    unsigned char *p = malloc(cap);
    size_t r;
    while (p && (r = fread(p + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            unsigned char *q = realloc(p, cap *= 2);
            if (!q) {
                free(p);
                p = NULL;
            }
            p = q;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!p || bad) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(p);
        return -1;
    }
    current = path;
    /* A copy of exactly n bytes, so ASan sees an over-read past the input. */
    unsigned char *exact = malloc(n ? n : 1);
    if (!exact) {
        free(p);
        return -1;
    }
    memcpy(exact, p, n);
    free(p);
    LLVMFuzzerTestOneInput(exact, n);
    current = NULL;
    free(exact);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int failed = 0;
    signal(SIGABRT, on_crash);
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            continue; /* no crashes kept for this target yet */
        }
        if (!S_ISDIR(st.st_mode)) {
            failed |= run_file(argv[i]) < 0;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            perror(argv[i]);
            failed = 1;
            continue;
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            if (n == cap) {
                char **q = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *q);
                if (!q)
                    abort();
                names = q;
            }
            size_t len = strlen(argv[i]) + strlen(de->d_name) + 2;
            names[n] = malloc(len);
            if (!names[n])
                abort();
            snprintf(names[n], len, "%s/%s", argv[i], de->d_name);
            n++;
        }
        closedir(d);
        if (n > 1)
            qsort(names, n, sizeof *names, cmp);
        for (size_t k = 0; k < n; k++) {
            failed |= run_file(names[k]) < 0;
            free(names[k]);
        }
        free(names);
        fprintf(stderr, "replayed %zu input(s) from %s\n", n, argv[i]);
    }
    return failed;
}
