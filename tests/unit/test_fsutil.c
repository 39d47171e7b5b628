/* test_fsutil.c — output files appear whole or not at all; tree removal
 * never follows a symlink out of the tree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "t.h"

/* Names in dir (sorted, "," separated), "." and ".." left out. */
static void list_dir(const char *dir, struct buf *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        buf_puts(out, "<cannot open>");
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 64)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            names[n++] = strdup(de->d_name);
    closedir(d);
    for (int i = 1; i < n; i++) /* insertion sort: a handful of names */
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (int i = 0; i < n; i++) {
        buf_printf(out, "%s%s", i ? "," : "", names[i]);
        free(names[i]);
    }
    if (!out->p)
        buf_puts(out, "");
}

static bool dir_is(const char *dir, const char *want, const char *file, int line)
{
    struct buf b = BUF_INIT;
    list_dir(dir, &b);
    bool ok = t_str(want, b.p, file, line, dir);
    buf_free(&b);
    return ok;
}
#define T_DIR(dir, want) T_RET(dir_is((dir), (want), __FILE__, __LINE__))

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

TEST(test_afile_commit_renames_into_place_with_mode)
{
    static const mode_t modes[] = {0600, 0640, 0644, 0444};
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    mode_t old_umask = umask(077); /* the mode asked for wins over the umask */
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        struct afile f;
        struct err e = {0};
        struct stat st;
        struct buf content = BUF_INIT;
        char *path = path_join(dir, "out.json");
        bool ok = t_ok(afile_open(&f, path, modes[i], &e), &e, __FILE__, __LINE__, "afile_open");
        if (ok) {
            ok = T_CHECK_BOOL(false, exists(path)) && /* not before the commit */
                 t_ok(write_all(f.fd, "{\"ok\":true}\n", 12, "out", &e), &e, __FILE__, __LINE__,
                      "write_all");
            if (!ok)
                afile_abort(&f);
        }
        ok = ok && t_ok(afile_commit(&f, &e), &e, __FILE__, __LINE__, "afile_commit") &&
             T_CHECK_BOOL(true, stat(path, &st) == 0) &&
             t_int(modes[i], st.st_mode & 07777, __FILE__, __LINE__, "mode") &&
             t_ok(read_file(path, 1024, &content, &e), &e, __FILE__, __LINE__, "read_file") &&
             t_mem("{\"ok\":true}\n", 12, content.p, content.len, __FILE__, __LINE__, "content") &&
             dir_is(dir, "out.json", __FILE__, __LINE__) && /* the temporary is gone */
             T_CHECK_BOOL(true, f.tmp_path == NULL && f.final_path == NULL && f.fd < 0);
        if (path)
            unlink(path);
        free(path);
        buf_free(&content);
        if (!ok)
            break;
    }
    umask(old_umask);
}

TEST(test_afile_temporary_is_a_dot_file_in_the_same_directory)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    char *path = path_join(dir, "graph.json");
    struct afile f;
    struct err e = {0};
    int rc = afile_open(&f, path, 0644, &e);
    free(path);
    T_OK(rc, &e);
    const char *base = strrchr(f.tmp_path, '/');
    bool same_dir = base && (size_t)(base - f.tmp_path) == strlen(dir) &&
                    memcmp(f.tmp_path, dir, strlen(dir)) == 0;
    bool dot = base && strncmp(base + 1, ".graph.json.tmp-", 16) == 0;
    bool there = exists(f.tmp_path);
    struct buf listing = BUF_INIT;
    list_dir(dir, &listing);
    afile_abort(&f);
    bool gone_listed = listing.p && listing.p[0] == '.' && !strchr(listing.p, ',');
    buf_free(&listing);
    T_TRUE(same_dir);
    T_TRUE(dot);
    T_TRUE(there);
    T_TRUE(gone_listed);
}

TEST(test_afile_commit_replaces_an_existing_file)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    char *path = path_join(dir, "manifest.json");
    struct afile f;
    struct err e = {0};
    struct buf content = BUF_INIT;
    bool ok = t_write_file(path, "old", 3) &&
              t_ok(afile_open(&f, path, 0644, &e), &e, __FILE__, __LINE__, "afile_open");
    if (ok) {
        /* Until the commit, readers see the old file whole. */
        ok = t_ok(write_all(f.fd, "new", 3, "manifest", &e), &e, __FILE__, __LINE__, "write") &&
             t_ok(read_file(path, 100, &content, &e), &e, __FILE__, __LINE__, "read") &&
             t_mem("old", 3, content.p, content.len, __FILE__, __LINE__, "before commit");
        if (ok) {
            buf_reset(&content);
            ok = t_ok(afile_commit(&f, &e), &e, __FILE__, __LINE__, "commit") &&
                 t_ok(read_file(path, 100, &content, &e), &e, __FILE__, __LINE__, "read") &&
                 t_mem("new", 3, content.p, content.len, __FILE__, __LINE__, "after commit");
        } else {
            afile_abort(&f);
        }
    }
    free(path);
    buf_free(&content);
    if (ok)
        T_DIR(dir, "manifest.json");
}

TEST(test_afile_abort_leaves_no_file)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    char *path = path_join(dir, "half.ndjson.gz");
    struct afile f;
    struct err e = {0};
    int rc = afile_open(&f, path, 0644, &e);
    if (rc == 0) {
        write_all(f.fd, "partial", 7, "half", &e);
        afile_abort(&f);
        afile_abort(&f); /* twice is harmless */
    }
    bool final_exists = exists(path);
    free(path);
    T_OK(rc, &e);
    T_FALSE(final_exists);
    T_DIR(dir, "");
    bool missing = true;
    T_INT(1, dir_is_empty(dir, &missing, &e));
    T_FALSE(missing);
}

TEST(test_afile_abort_all_removes_every_temporary)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    struct afile f[3];
    struct err e = {0};
    static const char *const names[] = {"a.gz", "b.gz", "c.gz"};
    int opened = 0;
    for (; opened < 3; opened++) {
        char *path = path_join(dir, names[opened]);
        int rc = afile_open(&f[opened], path, 0600, &e);
        free(path);
        if (rc < 0)
            break;
    }
    /* The middle one is committed first: abort_all must not touch it. */
    int committed = opened == 3 ? afile_commit(&f[1], &e) : -1;
    afile_abort_all();
    T_INT(3, opened);
    T_OK(committed, &e);
    T_DIR(dir, "b.gz");
    T_TRUE(f[0].tmp_path == NULL && f[2].tmp_path == NULL);
    afile_abort_all(); /* nothing left: harmless */
}

TEST(test_afile_open_in_a_missing_directory_fails)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    char *path = path_join(dir, "no/such/dir/out.json");
    struct afile f;
    struct err e = {0};
    int rc = afile_open(&f, path, 0644, &e);
    free(path);
    T_INT(-1, rc);
    T_CONTAINS(e.msg, "no/such/dir");
    T_TRUE(f.tmp_path == NULL);
    afile_abort(&f); /* harmless on a failed open */
}

static bool mk(const char *dir, const char *rel, bool is_dir)
{
    char *p = path_join(dir, rel);
    bool ok = p && (is_dir ? mkdir(p, 0755) == 0 : t_write_file(p, rel, strlen(rel)));
    free(p);
    return ok;
}

TEST(test_rmtree_removes_a_tree)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    T_TRUE(mk(dir, "t", true) && mk(dir, "t/a", true) && mk(dir, "t/a/b", true) &&
           mk(dir, "t/a/b/f1", false) && mk(dir, "t/a/f2", false) && mk(dir, "t/.hidden", false) &&
           mk(dir, "t/empty", true));
    char *t = path_join(dir, "t");
    struct err e = {0};
    int rc = rmtree(t, &e);
    bool gone = !exists(t);
    free(t);
    T_OK(rc, &e);
    T_TRUE(gone);
    T_DIR(dir, "");
}

TEST(test_rmtree_does_not_follow_symlinks)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    T_TRUE(mk(dir, "keep", true) && mk(dir, "keep/precious", false) && mk(dir, "t", true) &&
           mk(dir, "keepfile", false));
    char *keep = path_join(dir, "keep"), *keepfile = path_join(dir, "keepfile");
    char *l1 = path_join(dir, "t/link-to-dir"), *l2 = path_join(dir, "t/link-to-file");
    char *l3 = path_join(dir, "t/dangling"), *t = path_join(dir, "t");
    bool linked = symlink(keep, l1) == 0 && symlink(keepfile, l2) == 0 &&
                  symlink("/nonexistent/j1npm", l3) == 0;
    struct err e = {0};
    int rc = linked ? rmtree(t, &e) : -1;
    bool t_gone = !exists(t);
    free(keep);
    free(keepfile);
    free(l1);
    free(l2);
    free(l3);
    free(t);
    T_TRUE(linked);
    T_OK(rc, &e);
    T_TRUE(t_gone);
    T_DIR(dir, "keep,keepfile");
    char *precious = path_join(dir, "keep/precious");
    bool kept = exists(precious);
    free(precious);
    T_TRUE(kept);

    /* A tree that is itself a symlink: the link goes, its target stays. */
    char *link = path_join(dir, "link"), *target = path_join(dir, "keep");
    bool made = symlink(target, link) == 0;
    rc = made ? rmtree(link, &e) : -1;
    bool link_gone = !exists(link);
    free(link);
    free(target);
    T_TRUE(made);
    T_OK(rc, &e);
    T_TRUE(link_gone);
    T_DIR(dir, "keep,keepfile");
}

TEST(test_rmtree_of_a_missing_path_is_ok)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    char *p = path_join(dir, "never-made");
    struct err e = {0};
    int rc = rmtree(p, &e);
    free(p);
    T_OK(rc, &e);
}

TEST(test_dir_is_empty)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    struct err e = {0};
    bool missing = true;
    T_INT(1, dir_is_empty(dir, &missing, &e));
    T_FALSE(missing);
    T_INT(1, dir_is_empty(dir, NULL, &e));
    T_TRUE(mk(dir, ".dotfile", false));
    T_INT(0, dir_is_empty(dir, &missing, &e)); /* a dot-file counts */
    T_FALSE(missing);

    char *gone = path_join(dir, "gone"), *file = path_join(dir, ".dotfile");
    int r_missing = dir_is_empty(gone, &missing, &e);
    bool was_missing = missing;
    int r_missing_null = dir_is_empty(gone, NULL, &e);
    struct err fe = {0};
    int r_file = dir_is_empty(file, &missing, &fe);
    free(gone);
    free(file);
    T_INT(1, r_missing); /* missing: reported, and "empty" for the caller to create */
    T_TRUE(was_missing);
    T_INT(-1, r_missing_null);
    T_CONTAINS(e.msg, "gone");
    T_INT(-1, r_file);
    T_CONTAINS(fe.msg, ".dotfile");
}

TEST(test_mkdir_p_creates_parents)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    char *deep = path_join(dir, "a/b/c/d"), *slash = path_join(dir, "x/y/");
    struct err e = {0};
    struct stat st;
    int r1 = mkdir_p(deep, 0700, &e);
    bool made = stat(deep, &st) == 0 && S_ISDIR(st.st_mode);
    mode_t m = st.st_mode & 0777;
    int r2 = mkdir_p(deep, 0700, &e); /* already there: fine */
    int r3 = mkdir_p(slash, 0755, &e);
    free(deep);
    free(slash);
    T_OK(r1, &e);
    T_TRUE(made);
    T_INT(0700, m);
    T_OK(r2, &e);
    T_OK(r3, &e);

    T_TRUE(mk(dir, "file", false));
    char *through = path_join(dir, "file/sub");
    int r4 = mkdir_p(through, 0755, &e);
    free(through);
    T_INT(-1, r4);
    T_CONTAINS(e.msg, "file/sub");
}

TEST(test_read_file_reads_whole_file_up_to_max)
{
    const char *dir = t_tmpdir();
    T_TRUE(dir != NULL);
    char *p = path_join(dir, "f");
    struct buf b = BUF_INIT, big = BUF_INIT;
    struct err e = {0};
    for (int i = 0; i < 30000; i++)
        buf_printf(&big, "%d,", i);
    bool wrote = t_write_file(p, big.p, big.len);
    int r1 = read_file(p, big.len, &b, &e); /* exactly max: fine */
    bool same = b.len == big.len && memcmp(b.p, big.p, b.len) == 0;
    struct buf small = BUF_INIT;
    struct err e2 = {0};
    int r2 = read_file(p, big.len - 1, &small, &e2);
    struct err e3 = {0};
    char *missing = path_join(dir, "missing");
    int r3 = read_file(missing, 10, &small, &e3);
    free(missing);
    free(p);
    buf_free(&b);
    buf_free(&big);
    buf_free(&small);
    T_TRUE(wrote);
    T_OK(r1, &e);
    T_TRUE(same);
    T_INT(-1, r2);
    T_CONTAINS(e2.msg, "larger than");
    T_INT(-1, r3);
    T_CONTAINS(e3.msg, "missing");
}

TEST(test_write_all_reports_a_closed_pipe)
{
    int fds[2];
    T_INT(0, pipe(fds));
    close(fds[0]);
    struct err e = {0};
    int rc = write_all(fds[1], "data", 4, "stdout", &e);
    close(fds[1]);
    T_INT(-1, rc);
    T_CONTAINS(e.msg, "stdout");
    T_CONTAINS(e.msg, "closed");
}

TEST(test_path_join)
{
    char *p = path_join("dir", "file");
    T_STR("dir/file", p);
    free(p);
    p = path_join("dir/", "file");
    T_STR("dir/file", p);
    free(p);
    p = path_join("/", "etc");
    T_STR("/etc", p);
    free(p);
}
