/*
 * upload_graphdir.c — j1-npm-upload's directory input (the JupiterOne SDK
 * storage layout: summary.json and graph/ files; upload/source_dir.c and
 * jsonrd.c) through the checker and the batcher, as for the stream
 * (pipeline.c).
 *
 * The input is cut at each line "--": with two or more parts the first is
 * summary.json, the others graph files (entities and relationships files
 * as the SDK writes them, pretty-printed or not); with one part it is the
 * only graph file, beside a fixed summary. The directory lives in a fresh
 * temporary directory per process and is rewritten for every input.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "pipeline.h"

#define MAX_FILES 3

static const char default_summary[] =
    "{\"integrationStepResults\":[],\"metadata\":{\"partialDatasets\":{\"types\":[]}}}";

static char dir[64];

static void cleanup(void)
{
    char path[128];
    for (int i = 0; i < MAX_FILES; i++) {
        snprintf(path, sizeof path, "%s/graph/step/f%d.json", dir, i);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/graph/step", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/graph", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    unlink(path);
    rmdir(dir);
}

static void put(const char *name, const char *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(p, 1, n, f) == n || n == 0);
    FUZZ_CHECK(fclose(f) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%.40s/j1npm-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        FUZZ_CHECK(mkdtemp(dir) != NULL);
        atexit(cleanup);
    }
    char path[128];
    for (int i = 0; i < MAX_FILES; i++) {
        snprintf(path, sizeof path, "%s/graph/step/f%d.json", dir, i);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/graph", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/graph/step", dir);
    mkdir(path, 0700);

    /* Cut at "\n--\n". */
    const char *p = (const char *)data, *end = p + size;
    const char *part[MAX_FILES + 1];
    size_t plen[MAX_FILES + 1];
    int nparts = 0;
    while (nparts < MAX_FILES + 1) {
        const char *cut = NULL;
        for (const char *q = p; q + 4 <= end; q++)
            if (memcmp(q, "\n--\n", 4) == 0) {
                cut = q;
                break;
            }
        part[nparts] = p;
        if (!cut || nparts == MAX_FILES) {
            plen[nparts++] = (size_t)(end - p);
            break;
        }
        plen[nparts++] = (size_t)(cut - p);
        p = cut + 4;
    }
    int first_graph = 0;
    if (nparts >= 2) {
        put("summary.json", part[0], plen[0]);
        first_graph = 1;
    } else {
        put("summary.json", default_summary, sizeof default_summary - 1);
    }
    for (int i = first_graph; i < nparts; i++) {
        char name[64];
        snprintf(name, sizeof name, "graph/step/f%d.json", i - first_graph);
        put(name, part[i], plen[i]);
    }
    size_t batch = 1000 + (size ? (size_t)data[size - 1] * 40 : 0);
    unsigned long long dropped;
    (void)fuzz_upload(dir, NULL, 0, batch, &dropped);
    return 0;
}
