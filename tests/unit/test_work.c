/* test_work.c — the pure parts of --resume (collect/work.h, the work-area
 * side of collect/prev.h): which work.json is accepted, which answers are
 * definitive, and reading a kind file a crash cut short. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "collect/prev.h"
#include "collect/work.h"
#include "err.h"
#include "fsutil.h"
#include "ndjson.h"
#include "t.h"

#define META "{\"format\":\"j1-npm-work/2\",\"org\":\"acme\",\"registry\":\"http://r/\"}"

TEST(test_work_meta_of_the_same_org_and_registry_is_accepted)
{
    struct err e = {0};
    T_INT(0, work_meta_check(META, strlen(META), "d", "acme", "http://r/", &e));
}

TEST(test_work_meta_of_another_org_registry_or_format_is_refused)
{
    struct err e = {0};
    T_INT(-1, work_meta_check(META, strlen(META), "d", "other", "http://r/", &e));
    T_INT(ERR_USAGE, e.cls);
    T_CONTAINS(e.msg, "'acme', not 'other'");
    struct err e2 = {0};
    T_INT(-1, work_meta_check(META, strlen(META), "d", "acme", "http://s/", &e2));
    T_CONTAINS(e2.msg, "--registry");
    struct err e3 = {0};
    static const char bad[] = "{\"format\":\"j1-npm-dump/1\",\"org\":\"acme\"}";
    T_INT(-1, work_meta_check(bad, sizeof bad - 1, "d", "acme", "http://r/", &e3));
    struct err e4 = {0};
    T_INT(-1, work_meta_check("{", 1, "d", "acme", "http://r/", &e4));
}

TEST(test_work_definitive_answers_are_2xx_and_404)
{
    T_TRUE(prev_definitive(200));
    T_TRUE(prev_definitive(204));
    T_TRUE(prev_definitive(404));
    T_FALSE(prev_definitive(0));
    T_FALSE(prev_definitive(304));
    T_FALSE(prev_definitive(403));
    T_FALSE(prev_definitive(429));
    T_FALSE(prev_definitive(500));
}

#define REC(s, st)                                                                                 \
    "{\"kind\":\"packuments\",\"subject\":\"" s                                                    \
    "\",\"request\":{\"method\":\"GET\",\"path\":\"/" s "\"},\"status\":" #st                      \
    ",\"body\":{\"name\":\"" s "\"}}\n"

TEST(test_work_a_kind_file_cut_short_by_a_crash_keeps_its_whole_records)
{
    const char *dir = t_tmpdir();
    char *run = path_join(dir, "run-000001");
    T_INT(0, mkdir(run, 0700));
    char *p = path_join(run, "packuments.ndjson.gz");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct err e = {0};
    struct gzw *w = gzw_new(fd, 1, p, &e);
    static const char recs[] = REC("a", 200) REC("b", 500) REC("c", 404) REC("d", 200);
    /* the last record is cut in the middle, and the stream never ended */
    T_INT(0, gzw_write(w, recs, sizeof recs - 1 - 20, &e));
    T_INT(0, gzw_flush(w, &e));
    gzw_free(w);
    close(fd);
    struct prev *pv = prev_open_work(dir, &e);
    T_TRUE(pv != NULL);
    T_TRUE(prev_has(pv, K_PACKUMENTS, "a", NULL));
    T_FALSE(prev_has(pv, K_PACKUMENTS, "b", NULL)); /* a 500 is asked again */
    T_TRUE(prev_has(pv, K_PACKUMENTS, "c", NULL));
    T_FALSE(prev_has(pv, K_PACKUMENTS, "d", NULL)); /* cut short */
    T_FALSE(prev_has(pv, K_WHOAMI, "a", NULL));     /* a kind with no file holds nothing */
    prev_free(pv);
    free(p);
    free(run);
}

/* A kind file written whole, records given as one string. */
static void write_kind(const char *dir, const char *file, const char *recs)
{
    char *p = path_join(dir, file);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct err e = {0};
    struct gzw *w = gzw_new(fd, 1, p, &e);
    gzw_write(w, recs, strlen(recs), &e);
    gzw_finish(w, &e);
    gzw_free(w);
    close(fd);
    free(p);
}

static int collect_out(void *ctx, const char *p, size_t n, struct err *e)
{
    (void)e;
    buf_append(ctx, p, n);
    return 0;
}

TEST(test_work_runs_are_read_newest_first_and_carried_with_their_status_class)
{
    const char *dir = t_tmpdir();
    char *r1 = path_join(dir, "run-000001"), *r2 = path_join(dir, "run-000002");
    T_INT(0, mkdir(r1, 0700));
    T_INT(0, mkdir(r2, 0700));
    /* the older run: a, b (404) and c; the newer: a again (newer) and d */
    write_kind(r1, "packuments.ndjson.gz", REC("a", 200) REC("b", 404) REC("c", 500));
    write_kind(r2, "packuments.ndjson.gz",
               REC("d", 200) "{\"kind\":\"packuments\",\"subject\":"
                             "\"a\",\"request\":{},\"status\":203,\"body\":{}}\n");
    struct err e = {0};
    struct prev *pv = prev_open_work(dir, &e);
    T_TRUE(pv != NULL);
    T_TRUE(prev_has(pv, K_PACKUMENTS, "a", NULL));
    T_TRUE(prev_has(pv, K_PACKUMENTS, "b", NULL));
    T_FALSE(prev_has(pv, K_PACKUMENTS, "c", NULL));
    T_TRUE(prev_has(pv, K_PACKUMENTS, "d", NULL));
    prev_mark_all(pv);
    struct buf out = BUF_INIT;
    uint64_t n = 0, bytes = 0, cls[6] = {0};
    T_INT(0, prev_carry(pv, K_PACKUMENTS, collect_out, &out, &n, cls, &bytes, &e));
    T_UINT(3, n);
    T_UINT(2, cls[2]);
    T_UINT(1, cls[4]);
    T_CONTAINS(out.p, "\"status\":203"); /* a's newer answer */
    T_FALSE(strstr(out.p, "\"subject\":\"a\",\"request\":{\"method\"") != NULL);
    buf_free(&out);
    prev_free(pv);
    free(r1);
    free(r2);
}

TEST(test_work_run_names_are_numbered)
{
    T_INT(12, work_run_number("run-000012"));
    T_INT(0, work_run_number("run-12"));
    T_INT(0, work_run_number("run-00001x"));
    T_INT(0, work_run_number("work.json"));
}

#define MANIFEST(complete)                                                                         \
    "{\"format\":\"j1-npm-dump/1\",\"org\":\"acme\",\"registry\":\"http://r/"                      \
    "\",\"complete\":" complete "}"

TEST(test_work_an_incomplete_dump_is_resumed_a_complete_one_refused_pointing_to_since)
{
    struct err e = {0};
    static const char inc[] = MANIFEST("false"), done[] = MANIFEST("true");
    T_INT(1, work_manifest_check(inc, sizeof inc - 1, "d", "acme", "http://r/", &e));
    T_INT(-1, work_manifest_check(done, sizeof done - 1, "d", "acme", "http://r/", &e));
    T_INT(ERR_USAGE, e.cls);
    T_CONTAINS(e.msg, "--since");
    struct err e2 = {0};
    T_INT(-1, work_manifest_check(inc, sizeof inc - 1, "d", "other", "http://r/", &e2));
    T_CONTAINS(e2.msg, "'acme', not 'other'");
    struct err e3 = {0};
    T_INT(-1, work_manifest_check("[]", 2, "d", "acme", "http://r/", &e3));
}

/* The states a crash can leave, on disk: a commit cut short between its
 * renames goes back into its run; files under final names that no commit
 * record names are refused; a file in both places is refused. */
TEST(test_work_a_commit_cut_short_goes_back_into_its_run)
{
    const char *dir = t_tmpdir();
    struct err e = {0};
    char *run = work_new_run(dir, "acme", "http://r/", 0, &e);
    T_TRUE(run != NULL);
    write_kind(run, "whoami.ndjson.gz", "{}\n");
    write_kind(dir, "packuments.ndjson.gz", REC("a", 200));
    write_kind(dir, "SHA256SUMS", "x");
    /* no commit record: refused, nothing touched */
    T_INT(-1, work_check(dir, "acme", "http://r/", &e));
    T_CONTAINS(e.msg, "no record of a commit");
    char *final = path_join(dir, "packuments.ndjson.gz");
    T_INT(0, access(final, F_OK));
    struct err e2 = {0};
    T_INT(0, work_commit_begin(dir, run, &e2));
    T_INT(0, work_check(dir, "acme", "http://r/", &e2));
    T_INT(-1, access(final, F_OK));
    char *back = path_join(run, "packuments.ndjson.gz"), *sums = path_join(dir, "SHA256SUMS");
    T_INT(0, access(back, F_OK));
    T_INT(-1, access(sums, F_OK));
    /* a second one is a new run, numbered after it */
    char *run2 = work_new_run(dir, "acme", "http://r/", 0, &e2);
    T_TRUE(run2 != NULL && strstr(run2, "run-000002") != NULL);
    /* a file in both places */
    write_kind(dir, "packuments.ndjson.gz", REC("a", 200));
    T_INT(0, work_commit_begin(dir, run, &e2));
    struct err e3 = {0};
    T_INT(-1, work_check(dir, "acme", "http://r/", &e3));
    T_CONTAINS(e3.msg, "both");
    T_INT(0, access(final, F_OK));
    free(run);
    free(run2);
    free(final);
    free(back);
    free(sums);
}

TEST(test_work_an_incomplete_dump_is_adopted_as_the_newest_run)
{
    const char *dir = t_tmpdir();
    struct err e = {0};
    write_kind(dir, "packuments.ndjson.gz", REC("a", 200));
    char *m = path_join(dir, "manifest.json"), *w = path_join(dir, ".j1-npm-work");
    static const char text[] = MANIFEST("false");
    int fd = open(m, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    T_INT((long)sizeof text - 1, (long)write(fd, text, sizeof text - 1));
    close(fd);
    T_INT(0, work_check(dir, "acme", "http://r/", &e));
    T_INT(-1, access(m, F_OK));
    struct prev *pv = prev_open_work(w, &e);
    T_TRUE(pv != NULL);
    T_TRUE(prev_has(pv, K_PACKUMENTS, "a", NULL));
    prev_free(pv);
    free(m);
    free(w);
}

/* A crash cuts the compressed bytes anywhere, or a power loss leaves zeros
 * past the last block that reached the disk: every record flushed before
 * the cut is kept, the one cut is dropped. */
TEST(test_work_a_kind_file_cut_inside_its_compressed_data_keeps_the_records_before)
{
    const char *dir = t_tmpdir();
    char *run = path_join(dir, "run-000001");
    T_INT(0, mkdir(run, 0700));
    char *p = path_join(run, "packuments.ndjson.gz");
    struct err e = {0};
    for (int garbage = 0; garbage < 2; garbage++) {
        int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
        struct gzw *w = gzw_new(fd, 1, p, &e);
        static const char a[] = REC("a", 200), b[] = REC("b", 404);
        T_INT(0, gzw_write(w, a, sizeof a - 1, &e));
        T_INT(0, gzw_flush(w, &e));
        off_t cut = lseek(fd, 0, SEEK_CUR) + 6; /* inside b's block */
        T_INT(0, gzw_write(w, b, sizeof b - 1, &e));
        T_INT(0, gzw_flush(w, &e));
        gzw_free(w);
        T_INT(0, ftruncate(fd, cut));
        if (garbage) {
            static const char zeros[512];
            T_INT((long)sizeof zeros, (long)pwrite(fd, zeros, sizeof zeros, cut));
        }
        close(fd);
        struct prev *pv = prev_open_work(dir, &e);
        T_TRUE(pv != NULL);
        T_TRUE(prev_has(pv, K_PACKUMENTS, "a", NULL));
        T_FALSE(prev_has(pv, K_PACKUMENTS, "b", NULL));
        prev_mark_all(pv);
        struct buf out = BUF_INIT;
        uint64_t n = 0, bytes = 0, cls[6] = {0};
        T_INT(0, prev_carry(pv, K_PACKUMENTS, collect_out, &out, &n, cls, &bytes, &e));
        T_UINT(1, n);
        buf_free(&out);
        prev_free(pv);
    }
    free(p);
    free(run);
}
