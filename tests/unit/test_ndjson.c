/* test_ndjson.c — gzip NDJSON written by gzw and read back by ndr.
 *
 * The dump files are how collect hands data to transform, so the reader must
 * give back exactly the lines written, whatever their length, and must never
 * mistake a damaged file for a complete one: truncation, corruption and
 * trailing garbage are errors that name the file and the line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "ndjson.h"
#include "sha256.h"
#include "t.h"

/* ---- helpers -------------------------------------------------------------- */

/* A line of n bytes (no '\n'), compressible but not trivially so, different
 * for every seed. */
static void gen_line(struct buf *out, unsigned seed, size_t n)
{
    static const char pat[] = "{\"name\":\"pkg\",\"version\":\"1.2.3\",\"deps\":[\"a\",\"b\"]}";
    struct t_rng r;
    t_rng_init(&r, seed + 1);
    buf_reserve(out, n);
    char *p = out->p + out->len;
    for (size_t i = 0; i < n; i++)
        p[i] = pat[(i + seed) % (sizeof pat - 1)];
    for (size_t i = 0; i < n; i += 997)
        p[i] = (char)('a' + t_rng_below(&r, 26));
    out->len += n;
    out->p[out->len] = '\0';
}

static char *tmp_path(const char *name)
{
    const char *dir = t_tmpdir();
    return dir ? path_join(dir, name) : NULL;
}

/* Writes data as one gzip member, appended to path when append is set. */
static bool write_gz(const char *path, const void *data, size_t n, bool append, struct err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "open %s: %s", path, strerror(errno)) == 0;
    struct gzw *w = gzw_new(fd, 1, path, e);
    bool ok = w && gzw_write(w, data, n, e) == 0 && gzw_finish(w, e) == 0;
    gzw_free(w);
    close(fd);
    return ok;
}
#define T_WRITE_GZ(path, data, n, append)                                                          \
    do {                                                                                           \
        struct err we_ = {0};                                                                      \
        T_RET(t_ok(write_gz((path), (data), (n), (append), &we_) ? 0 : -1, &we_, __FILE__,         \
                   __LINE__, "write_gz"));                                                         \
    } while (0)

/* Reads every line of path, each followed by '\n', into out. Returns the
 * last ndr_next result (0 at a clean end, -1 on error). */
static int read_lines(const char *path, size_t max_line, struct buf *out, unsigned long *lines,
                      struct err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, ERR_FAIL, "open %s: %s", path, strerror(errno));
    struct ndr *r = ndr_new(fd, path, max_line, e);
    if (!r)
        return -1;
    const char *line;
    size_t len;
    int rc;
    *lines = 0;
    while ((rc = ndr_next(r, &line, &len, e)) == 1) {
        buf_append(out, line, len);
        buf_putc(out, '\n');
        (*lines)++;
    }
    if (rc == 0 && ndr_lineno(r) != *lines)
        rc = err_set(e, ERR_FAIL, "ndr_lineno says %lu, read %lu", ndr_lineno(r), *lines);
    ndr_close(r);
    return rc;
}

static bool file_bytes(const char *path, struct buf *out)
{
    struct err e = {0};
    return read_file(path, (size_t)1 << 30, out, &e) == 0;
}

/* ---- round trips ------------------------------------------------------------- */

TEST(test_ndjson_round_trips_lines_over_1mb)
{
    /* Around the reader's first buffer (256 KiB) and well past it. */
    static const size_t sizes[] = {5,      3u << 20, 0,      20u << 20, 1,  (1u << 20) + 1,
                                   262143, 262144,   262145, 262146,    100};
    struct buf text = BUF_INIT, got = BUF_INIT;
    char *path = tmp_path("big.ndjson.gz");
    T_TRUE(path != NULL);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        gen_line(&text, (unsigned)i, sizes[i]);
        buf_putc(&text, '\n');
    }
    struct err e = {0};
    unsigned long lines = 0;
    bool ok = write_gz(path, text.p, text.len, false, &e);
    if (t_ok(ok ? 0 : -1, &e, __FILE__, __LINE__, "write_gz") &&
        t_ok(read_lines(path, 0, &got, &lines, &e), &e, __FILE__, __LINE__, "read_lines") &&
        T_CHECK_INT(sizeof sizes / sizeof sizes[0], lines))
        t_mem(text.p, text.len, got.p, got.len, __FILE__, __LINE__, "lines read");
    buf_free(&text);
    buf_free(&got);
    free(path);
}

TEST(test_ndjson_round_trips_many_small_lines)
{
    struct buf text = BUF_INIT, got = BUF_INIT;
    char *path = tmp_path("small.ndjson.gz");
    T_TRUE(path != NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct err e = {0};
    struct gzw *w = gzw_new(fd, 6, path, &e);
    if (!w) {
        close(fd);
        free(path);
        T_FAIL("gzw_new: %s", e.msg);
    }
    for (int i = 0; i < 200000; i++) {
        size_t at = text.len;
        buf_printf(&text, "{\"i\":%d,\"name\":\"@scope/p%d\"}\n", i, i * 7);
        if (gzw_write(w, text.p + at, text.len - at, &e) < 0)
            break;
        if (i % 5000 == 0 && gzw_flush(w, &e) < 0) /* flush points change nothing */
            break;
    }
    int rc = e.msg[0] ? -1 : gzw_finish(w, &e);
    gzw_free(w);
    close(fd);
    unsigned long lines = 0;
    if (t_ok(rc, &e, __FILE__, __LINE__, "gzw") &&
        t_ok(read_lines(path, 0, &got, &lines, &e), &e, __FILE__, __LINE__, "read_lines") &&
        T_CHECK_INT(200000, lines))
        t_mem(text.p, text.len, got.p, got.len, __FILE__, __LINE__, "lines read");
    buf_free(&text);
    buf_free(&got);
    free(path);
}

/* The child writes; the parent reads as the data arrives in pipe-sized
 * pieces. */
TEST(test_ndjson_reads_through_a_pipe)
{
    struct buf text = BUF_INIT;
    for (int i = 0; i < 2000; i++)
        buf_printf(&text, "{\"n\":%d}\n", i);
    gen_line(&text, 9, 3u << 20);
    buf_puts(&text, "\n{\"end\":true}\n");

    int fds[2];
    T_INT(0, pipe(fds));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        buf_free(&text);
        T_FAIL("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        struct err e = {0};
        struct gzw *w = gzw_new(fds[1], 6, "pipe", &e);
        int ok = w != NULL;
        for (size_t i = 0; ok && i < text.len; i += 4096) {
            size_t k = text.len - i < 4096 ? text.len - i : 4096;
            ok = gzw_write(w, text.p + i, k, &e) == 0 && gzw_flush(w, &e) == 0;
        }
        ok = ok && gzw_finish(w, &e) == 0;
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    struct err e = {0};
    struct buf got = BUF_INIT;
    struct ndr *r = ndr_new(fds[0], "pipe-in", 0, &e);
    int rc = -1;
    if (r) {
        const char *line;
        size_t len;
        while ((rc = ndr_next(r, &line, &len, &e)) == 1) {
            buf_append(&got, line, len);
            buf_putc(&got, '\n');
        }
        T_CHECK_INT(2002, ndr_lineno(r));
        T_CHECK_INT(text.len, ndr_bytes_out(r)); /* every byte, newlines too */
        ndr_close(r);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (t_ok(rc, &e, __FILE__, __LINE__, "ndr_next") &&
        T_CHECK_BOOL(true, WIFEXITED(status) && WEXITSTATUS(status) == 0))
        t_mem(text.p, text.len, got.p, got.len, __FILE__, __LINE__, "lines read");
    buf_free(&text);
    buf_free(&got);
}

TEST(test_ndjson_writer_counts_and_hashes_what_it_writes)
{
    struct buf text = BUF_INIT, file = BUF_INIT;
    struct err e = {0};
    char hex[65] = "", want[65];
    uint64_t in = 0, out = 0;
    char *path = tmp_path("count.ndjson.gz");
    T_TRUE(path != NULL);
    for (int i = 0; i < 1000; i++)
        buf_printf(&text, "line %d\n", i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct gzw *w = gzw_new(fd, 9, "count", &e);
    bool ok = w && gzw_write(w, text.p, text.len / 2, &e) == 0 &&
              gzw_write(w, text.p + text.len / 2, text.len - text.len / 2, &e) == 0 &&
              gzw_finish(w, &e) == 0 && gzw_finish(w, &e) == 0; /* finish twice is harmless */
    if (ok) {
        in = gzw_bytes_in(w);
        out = gzw_bytes_out(w);
        memcpy(hex, gzw_sha256(w), sizeof hex);
    }
    gzw_free(w);
    close(fd);
    ok = ok && file_bytes(path, &file);
    free(path);
    size_t text_len = text.len;
    buf_free(&text);
    if (ok) {
        struct sha256 s;
        sha256_init(&s);
        sha256_update(&s, file.p, file.len);
        sha256_hex(&s, want);
    }
    bool magic =
        file.len > 2 && (unsigned char)file.p[0] == 0x1f && (unsigned char)file.p[1] == 0x8b;
    size_t file_len = file.len;
    buf_free(&file);
    T_OK(ok ? 0 : -1, &e);
    T_UINT(text_len, in);
    T_UINT(file_len, out);
    T_STR(want, hex);
    T_TRUE(magic);
}

TEST(test_ndjson_concatenated_gzip_members_read_as_one_stream)
{
    char *path = tmp_path("cat.ndjson.gz");
    T_TRUE(path != NULL);
    struct buf got = BUF_INIT, big = BUF_INIT;
    struct err e = {0};
    unsigned long lines = 0;
    gen_line(&big, 3, 300000);
    buf_putc(&big, '\n');
    bool ok = write_gz(path, "a\nb", 3, false, &e) && /* a line split across members */
              write_gz(path, "c\n", 2, true, &e) &&
              write_gz(path, "", 0, true, &e) && /* an empty member */
              write_gz(path, big.p, big.len, true, &e) && write_gz(path, "d\n", 2, true, &e);
    int rc = ok ? read_lines(path, 0, &got, &lines, &e) : -1;
    free(path);
    buf_putc(&big, 'd');
    buf_putc(&big, '\n');
    buf_free(&got);
    if (!t_ok(rc, &e, __FILE__, __LINE__, "read_lines")) {
        buf_free(&big);
        return;
    }
    buf_free(&big);
    T_INT(4, lines);

    /* Check the content separately so that a failure shows a short diff. */
    path = tmp_path("cat2.ndjson.gz");
    T_TRUE(path != NULL);
    ok = write_gz(path, "a\nb", 3, false, &e) && write_gz(path, "c\n", 2, true, &e) &&
         write_gz(path, "", 0, true, &e) && write_gz(path, "d\n", 2, true, &e);
    rc = ok ? read_lines(path, 0, &got, &lines, &e) : -1;
    free(path);
    if (t_ok(rc, &e, __FILE__, __LINE__, "read_lines"))
        t_mem("a\nbc\nd\n", 7, got.p, got.len, __FILE__, __LINE__, "lines read");
    buf_free(&got);
}

TEST(test_ndjson_reads_plain_input)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"a\nb\n\nc\n", "a\nb\n\nc\n"},
        {"{\"x\":1}\n{\"x\":2}", "{\"x\":1}\n{\"x\":2}\n"},
        {"x", "x\n"},
        {"\n", "\n"},
        {"\x1f", "\x1f\n"}, /* half a gzip magic is plain text */
        {"\x1fnot gzip\n", "\x1fnot gzip\n"},
    };
    char *path = tmp_path("plain.ndjson");
    T_TRUE(path != NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf got = BUF_INIT;
        struct err e = {0};
        unsigned long lines;
        int rc = t_write_file(path, cases[i].in, strlen(cases[i].in))
                     ? read_lines(path, 0, &got, &lines, &e)
                     : -1;
        bool ok = t_ok(rc, &e, __FILE__, __LINE__, cases[i].in) &&
                  t_mem(cases[i].out, strlen(cases[i].out), got.p, got.len, __FILE__, __LINE__,
                        cases[i].in);
        buf_free(&got);
        if (!ok) {
            free(path);
            return;
        }
    }
    /* A plain line longer than the reader's first buffer. */
    struct buf text = BUF_INIT, got = BUF_INIT;
    gen_line(&text, 5, 3u << 20);
    buf_puts(&text, "\nshort\n");
    struct err e = {0};
    unsigned long lines = 0;
    int rc = t_write_file(path, text.p, text.len) ? read_lines(path, 0, &got, &lines, &e) : -1;
    free(path);
    if (t_ok(rc, &e, __FILE__, __LINE__, "read_lines") && T_CHECK_INT(2, lines))
        t_mem(text.p, text.len, got.p, got.len, __FILE__, __LINE__, "lines read");
    buf_free(&text);
    buf_free(&got);
}

TEST(test_ndjson_empty_input_has_no_lines)
{
    char *path = tmp_path("empty");
    T_TRUE(path != NULL);
    struct buf got = BUF_INIT;
    struct err e = {0};
    unsigned long lines = 99;
    int rc1 = t_write_file(path, "", 0) ? read_lines(path, 0, &got, &lines, &e) : -1;
    unsigned long lines1 = lines;
    int rc2 = write_gz(path, "", 0, false, &e) ? read_lines(path, 0, &got, &lines, &e) : -1;
    free(path);
    buf_free(&got);
    T_OK(rc1, &e);
    T_INT(0, lines1);
    T_OK(rc2, &e);
    T_INT(0, lines);
}

TEST(test_ndjson_last_line_without_newline)
{
    char *path = tmp_path("last.ndjson.gz");
    T_TRUE(path != NULL);
    struct buf got = BUF_INIT;
    struct err e = {0};
    unsigned long lines = 0;
    int rc = write_gz(path, "{\"a\":1}\n{\"b\":2}", 15, false, &e)
                 ? read_lines(path, 0, &got, &lines, &e)
                 : -1;
    free(path);
    bool ok = t_ok(rc, &e, __FILE__, __LINE__, "read_lines") && T_CHECK_INT(2, lines) &&
              t_mem("{\"a\":1}\n{\"b\":2}\n", 16, got.p, got.len, __FILE__, __LINE__, "got");
    buf_free(&got);
    T_TRUE(ok);
}

TEST(test_ndjson_strips_carriage_returns)
{
    char *path = tmp_path("crlf.ndjson.gz");
    T_TRUE(path != NULL);
    struct buf got = BUF_INIT;
    struct err e = {0};
    unsigned long lines = 0;
    int rc = write_gz(path, "a\r\nb\r\n\r\nc", 9, false, &e) ? read_lines(path, 0, &got, &lines, &e)
                                                             : -1;
    free(path);
    bool ok = t_ok(rc, &e, __FILE__, __LINE__, "read_lines") &&
              t_mem("a\nb\n\nc\n", 7, got.p, got.len, __FILE__, __LINE__, "got");
    buf_free(&got);
    T_TRUE(ok);
}

/* ---- damaged input ------------------------------------------------------------ */

/* A gzip file of `n` numbered lines, compressed poorly enough to be long. */
static bool make_numbered(const char *path, int n, struct buf *text, struct buf *gz)
{
    struct err e = {0};
    for (int i = 0; i < n; i++) {
        buf_printf(text, "{\"line\":%d,\"pad\":\"", i + 1);
        struct t_rng r;
        t_rng_init(&r, (unsigned)i + 100);
        for (int j = 0; j < 200; j++)
            buf_putc(text, (char)('a' + t_rng_below(&r, 26)));
        buf_puts(text, "\"}\n");
    }
    return write_gz(path, text->p, text->len, false, &e) && file_bytes(path, gz);
}

/* Reads the damaged file: expects an error naming the file and the count of
 * lines read before it. With `intact`, those lines must be the original's
 * first lines. (Not so for corruption: gzip's checksum comes at the end of a
 * member, so lines inflated from damaged data are handed out before the
 * damage is known. The caller must treat the whole file as bad on -1.) */
static bool expect_error(const char *path, const struct buf *text, bool intact, const char *what,
                         const char *file, int line)
{
    struct buf got = BUF_INIT, want = BUF_INIT;
    struct err e = {0};
    unsigned long lines = 0;
    int rc = read_lines(path, 0, &got, &lines, &e);
    bool ok = false;
    buf_printf(&want, "line %lu", lines + 1); /* the line being read */
    if (rc != -1)
        t_fail(file, line, what, "expected an error, got %d after %lu lines", rc, lines);
    else if (!t_contains(e.msg, path, file, line, what) ||
             !t_contains(e.msg, want.p, file, line, what))
        ;
    else if (intact && (got.len > text->len || memcmp(got.p, text->p, got.len) != 0))
        t_fail(file, line, what, "expected the lines before the damage to be intact");
    else
        ok = true;
    buf_free(&got);
    buf_free(&want);
    return ok;
}

TEST(test_ndjson_truncated_gzip_names_file_and_line)
{
    char *orig = tmp_path("orig.ndjson.gz"), *cut = tmp_path("cut.ndjson.gz");
    struct buf text = BUF_INIT, gz = BUF_INIT;
    bool made = orig && cut && make_numbered(orig, 2000, &text, &gz);
    static const struct {
        const char *what;
        long keep; /* bytes kept: >= 0 from the start, < 0 from the end */
    } cuts[] = {
        {"cut in the middle", -1}, /* replaced by len/2 below */
        {"trailer missing one byte", -1},
        {"trailer missing", -8},
        {"last deflate bytes missing", -20},
        {"header only", 10},
        {"half a header", 5},
        {"magic only", 2},
    };
    for (size_t i = 0; made && i < sizeof cuts / sizeof cuts[0]; i++) {
        size_t keep = i == 0             ? gz.len / 2
                      : cuts[i].keep < 0 ? gz.len - (size_t)-cuts[i].keep
                                         : (size_t)cuts[i].keep;
        if (!t_write_file(cut, gz.p, keep) ||
            !expect_error(cut, &text, true, cuts[i].what, __FILE__, __LINE__))
            break;
    }
    T_CHECK_BOOL(true, made);
    free(orig);
    free(cut);
    buf_free(&text);
    buf_free(&gz);
}

TEST(test_ndjson_corrupt_gzip_is_an_error)
{
    char *orig = tmp_path("orig.ndjson.gz"), *bad = tmp_path("bad.ndjson.gz");
    struct buf text = BUF_INIT, gz = BUF_INIT;
    bool made = orig && bad && make_numbered(orig, 2000, &text, &gz);
    if (made) {
        memset(gz.p + gz.len / 2, 0xFF, 16); /* scribble over the deflate data */
        if (t_write_file(bad, gz.p, gz.len))
            expect_error(bad, &text, false, "scribbled deflate data", __FILE__, __LINE__);
    }
    if (made && !t_failed()) {
        gz.p[3] = (char)0xE0; /* reserved header flags */
        if (t_write_file(bad, gz.p, gz.len))
            expect_error(bad, &text, true, "bad header flags", __FILE__, __LINE__);
    }
    T_CHECK_BOOL(true, made);
    free(orig);
    free(bad);
    buf_free(&text);
    buf_free(&gz);
}

TEST(test_ndjson_bad_checksum_is_an_error)
{
    char *orig = tmp_path("orig.ndjson.gz"), *bad = tmp_path("crc.ndjson.gz");
    struct buf text = BUF_INIT, gz = BUF_INIT;
    bool made = orig && bad && make_numbered(orig, 50, &text, &gz);
    if (made) {
        gz.p[gz.len - 8] ^= 1; /* CRC-32 of the data */
        if (t_write_file(bad, gz.p, gz.len))
            expect_error(bad, &text, true, "bad CRC", __FILE__, __LINE__);
        gz.p[gz.len - 8] ^= 1;
    }
    if (made && !t_failed()) {
        gz.p[gz.len - 1] ^= 1; /* length of the data */
        if (t_write_file(bad, gz.p, gz.len))
            expect_error(bad, &text, true, "bad length", __FILE__, __LINE__);
    }
    T_CHECK_BOOL(true, made);
    free(orig);
    free(bad);
    buf_free(&text);
    buf_free(&gz);
}

TEST(test_ndjson_trailing_garbage_is_an_error)
{
    static const struct {
        const char *what, *tail;
        size_t n;
    } tails[] = {
        {"text after the stream", "garbage\n", 8},
        {"one byte after the stream", "\x1f", 1},
        {"zero padding", "\0\0\0\0\0\0\0\0", 8},
        {"a gzip magic and junk", "\x1f\x8bjunkjunkjunk", 14},
    };
    char *orig = tmp_path("orig.ndjson.gz"), *bad = tmp_path("tail.ndjson.gz");
    struct buf text = BUF_INIT, gz = BUF_INIT;
    bool made = orig && bad && make_numbered(orig, 30, &text, &gz);
    for (size_t i = 0; made && i < sizeof tails / sizeof tails[0]; i++) {
        struct buf f = BUF_INIT;
        buf_append(&f, gz.p, gz.len);
        buf_append(&f, tails[i].tail, tails[i].n);
        bool ok = t_write_file(bad, f.p, f.len) &&
                  expect_error(bad, &text, true, tails[i].what, __FILE__, __LINE__);
        buf_free(&f);
        if (!ok)
            break;
    }
    T_CHECK_BOOL(true, made);
    free(orig);
    free(bad);
    buf_free(&text);
    buf_free(&gz);
}

TEST(test_ndjson_max_line_exceeded_is_an_error)
{
    char *path = tmp_path("long.ndjson.gz");
    T_TRUE(path != NULL);
    struct buf text = BUF_INIT, got = BUF_INIT;
    struct err e = {0};
    unsigned long lines = 0;
    gen_line(&text, 1, 1000); /* exactly the limit: fine */
    buf_puts(&text, "\nok\n");
    int rc =
        write_gz(path, text.p, text.len, false, &e) ? read_lines(path, 1000, &got, &lines, &e) : -1;
    bool ok = t_ok(rc, &e, __FILE__, __LINE__, "read_lines at the limit") && T_CHECK_INT(2, lines);

    buf_reset(&text); /* one byte over, on line 2 */
    buf_puts(&text, "first\n");
    gen_line(&text, 2, 1001);
    buf_puts(&text, "\nthird\n");
    rc = ok && write_gz(path, text.p, text.len, false, &e)
             ? read_lines(path, 1000, &got, &lines, &e)
             : 0;
    ok = ok && T_CHECK_INT(-1, rc) && t_contains(e.msg, "line 2", __FILE__, __LINE__, "e.msg") &&
         t_contains(e.msg, "1000", __FILE__, __LINE__, "e.msg") &&
         t_contains(e.msg, path, __FILE__, __LINE__, "e.msg");

    /* The same limit holds for plain input and for a last line without '\n'. */
    buf_reset(&text);
    gen_line(&text, 3, 1001);
    rc = ok && t_write_file(path, text.p, text.len) ? read_lines(path, 1000, &got, &lines, &e) : 0;
    ok = ok && T_CHECK_INT(-1, rc) && t_contains(e.msg, "line 1", __FILE__, __LINE__, "e.msg");
    free(path);
    buf_free(&text);
    buf_free(&got);
}

TEST(test_ndjson_write_after_finish_is_an_error)
{
    char *path = tmp_path("fin.ndjson.gz");
    T_TRUE(path != NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    free(path);
    struct err e = {0};
    struct gzw *w = gzw_new(fd, 6, "fin", &e);
    if (!w) {
        close(fd);
        T_FAIL("gzw_new: %s", e.msg);
    }
    int r1 = gzw_write(w, "x\n", 2, &e);
    int r2 = gzw_finish(w, &e);
    int r3 = gzw_write(w, "y\n", 2, &e);
    int r4 = gzw_flush(w, &e); /* nothing to flush: not an error */
    gzw_free(w);
    close(fd);
    T_INT(0, r1);
    T_INT(0, r2);
    T_INT(-1, r3);
    T_CONTAINS(e.msg, "fin");
    T_INT(0, r4);
}

/* The reader's hash of what it read is the writer's hash of what it wrote,
 * so transform can check a dump file against the manifest in one pass. */
TEST(test_ndjson_reader_hashes_and_counts_its_input)
{
    char *path = tmp_path("hash.ndjson.gz");
    T_TRUE(path != NULL);
    struct buf text = BUF_INIT;
    struct err e = {0};
    char wrote_hex[65] = "", read_hex[65] = "", plain_hex[65] = "", want_plain[65];
    uint64_t wrote_out = 0, read_in = 0, plain_in = 0;
    gen_line(&text, 4, 700000);
    buf_puts(&text, "\n{\"x\":1}\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct gzw *w = gzw_new(fd, 6, path, &e);
    bool ok = w && gzw_write(w, text.p, text.len, &e) == 0 && gzw_finish(w, &e) == 0;
    if (ok) {
        memcpy(wrote_hex, gzw_sha256(w), sizeof wrote_hex);
        wrote_out = gzw_bytes_out(w);
    }
    gzw_free(w);
    close(fd);

    /* Read it all, then ask. */
    struct ndr *r = ok ? ndr_new(open(path, O_RDONLY | O_CLOEXEC), path, 0, &e) : NULL;
    int rc = -1;
    if (r) {
        const char *line;
        size_t len;
        while ((rc = ndr_next(r, &line, &len, &e)) == 1)
            ;
        ndr_sha256(r, read_hex);
        read_in = ndr_bytes_in(r);
        ndr_close(r);
    }

    /* Plain input is hashed as it is. */
    ok = ok && t_write_file(path, text.p, text.len);
    r = ok ? ndr_new(open(path, O_RDONLY | O_CLOEXEC), path, 0, &e) : NULL;
    int rc2 = -1;
    if (r) {
        const char *line;
        size_t len;
        while ((rc2 = ndr_next(r, &line, &len, &e)) == 1)
            ;
        ndr_sha256(r, plain_hex);
        plain_in = ndr_bytes_in(r);
        ndr_close(r);
    }
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, text.p, text.len);
    sha256_hex(&s, want_plain);
    size_t text_len = text.len;
    free(path);
    buf_free(&text);
    T_TRUE(ok);
    T_OK(rc, &e);
    T_STR(wrote_hex, read_hex);
    T_UINT(wrote_out, read_in);
    T_OK(rc2, &e);
    T_STR(want_plain, plain_hex);
    T_UINT(text_len, plain_in);
}

/* ndr_next_piece: a line far longer than the reader's buffer comes out in
 * pieces that add up to it, with eol only on its last piece, and the lines
 * around it whole. */
TEST(test_ndjson_pieces_of_a_long_line_add_up_and_memory_stays_fixed)
{
    char *path = tmp_path("pieces.ndjson.gz");
    T_TRUE(path != NULL);
    struct buf text = BUF_INIT, got = BUF_INIT;
    struct err e = {0};
    buf_puts(&text, "short\n");
    gen_line(&text, 7, (size_t)3 << 20); /* 3 MiB: twelve buffers */
    buf_puts(&text, "\n\nlast");
    bool ok = write_gz(path, text.p, text.len, false, &e);
    int fd = ok ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct ndr *r = fd >= 0 ? ndr_new(fd, path, 0, &e) : NULL;
    unsigned long eols = 0, pieces = 0;
    const char *p;
    size_t n;
    bool eol;
    int rc = 0;
    while (r && (rc = ndr_next_piece(r, &p, &n, &eol, &e)) > 0) {
        T_CHECK_BOOL(true, n <= (size_t)256 << 10);
        buf_append(&got, p, n);
        if (eol) {
            buf_putc(&got, '\n');
            eols++;
        }
        pieces++;
    }
    ok = ok && r && T_CHECK_INT(0, rc) && T_CHECK_INT(4, eols) && T_CHECK_BOOL(true, pieces > 12) &&
         T_CHECK_INT(4, ndr_lineno(r));
    buf_putc(&text, '\n');
    if (ok)
        T_MEM(text.p, text.len, got.p, got.len);
    ndr_close(r);
    free(path);
    buf_free(&text);
    buf_free(&got);
}
