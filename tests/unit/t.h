/*
 * t.h — the unit tests' harness: a test is a function named for the
 * behaviour a user relies on, and an assertion says what was expected and
 * what came.
 *
 *     TEST(test_buf_detach_hands_over_the_memory)
 *     {
 *         ...
 *         T_STR("abc", p);
 *     }
 *
 * and one line in main.c's list. A failed assertion records the first
 * failure ("expected X, got Y (file:line: expression)") and returns from the
 * test, so an assertion is only used where returning early is safe; code that
 * must clean up whatever happens uses T_CHECK_*, which record and go on.
 *
 * Tests run in one process, in list order, so a test that changes global
 * state (log format, redactions, environment, fd 2) puts it back. Each test
 * may ask for a private temporary directory (t_tmpdir), removed after it.
 */
#ifndef J1NPM_T_H
#define J1NPM_T_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

#define TEST(name)                                                                                 \
    void name(void);                                                                               \
    void name(void)

/* Records a failure (only the first of a test is kept). Always returns false. */
bool t_fail(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

bool t_int(long long exp, long long got, const char *file, int line, const char *expr);
bool t_uint(unsigned long long exp, unsigned long long got, const char *file, int line,
            const char *expr);
bool t_bool(bool exp, bool got, const char *file, int line, const char *expr);
/* Byte strings, shown escaped with their lengths; NULL is shown as NULL. */
bool t_mem(const void *exp, size_t exp_n, const void *got, size_t got_n, const char *file, int line,
           const char *expr);
bool t_str(const char *exp, const char *got, const char *file, int line, const char *expr);
bool t_contains(const char *hay, const char *needle, const char *file, int line, const char *expr);
bool t_not_contains(const char *hay, size_t hay_n, const char *needle, size_t needle_n,
                    const char *file, int line, const char *expr);
/* A library call that returns 0 (>= 0) on success and fills e otherwise. */
bool t_ok(int rc, const struct err *e, const char *file, int line, const char *expr);

/* Appends s to out as a C-like literal with escapes (at most `max` bytes of s
 * shown, then "..."). */
void t_escape(struct buf *out, const void *s, size_t n, size_t max);

#define T_RET(check)                                                                               \
    do {                                                                                           \
        if (!(check))                                                                              \
            return;                                                                                \
    } while (0)

#define T_INT(exp, got) T_RET(t_int((long long)(exp), (long long)(got), __FILE__, __LINE__, #got))
#define T_UINT(exp, got)                                                                           \
    T_RET(t_uint((unsigned long long)(exp), (unsigned long long)(got), __FILE__, __LINE__, #got))
#define T_TRUE(got) T_RET(t_bool(true, (got), __FILE__, __LINE__, #got))
#define T_FALSE(got) T_RET(t_bool(false, (got), __FILE__, __LINE__, #got))
#define T_BOOL(exp, got) T_RET(t_bool((exp), (got), __FILE__, __LINE__, #got))
#define T_STR(exp, got) T_RET(t_str((exp), (got), __FILE__, __LINE__, #got))
#define T_MEM(exp, exp_n, got, got_n)                                                              \
    T_RET(t_mem((exp), (exp_n), (got), (got_n), __FILE__, __LINE__, #got))
/* The buffer's contents equal the C string exp (compared by length too). */
#define T_BUF(exp, b) T_RET(t_mem((exp), strlen(exp), (b).p, (b).len, __FILE__, __LINE__, #b))
#define T_CONTAINS(hay, needle) T_RET(t_contains((hay), (needle), __FILE__, __LINE__, #hay))
#define T_NOT_CONTAINS(hay, hay_n, needle, needle_n)                                               \
    T_RET(t_not_contains((hay), (hay_n), (needle), (needle_n), __FILE__, __LINE__, #hay))
#define T_OK(call, e) T_RET(t_ok((call), (e), __FILE__, __LINE__, #call))
#define T_FAIL(...) T_RET(t_fail(__FILE__, __LINE__, NULL, __VA_ARGS__))

/* Records without returning: for loops that must finish their clean-up.
 * Evaluates to the check's result. */
#define T_CHECK_INT(exp, got) t_int((long long)(exp), (long long)(got), __FILE__, __LINE__, #got)
#define T_CHECK_BOOL(exp, got) t_bool((exp), (got), __FILE__, __LINE__, #got)

/* True once the running test has failed (for loops that should stop). */
bool t_failed(void);

/* A fresh empty directory for this test, removed with its contents when the
 * test ends. Returns NULL (and fails the test) if it cannot be made. */
const char *t_tmpdir(void);

/* Writes n bytes to a new file path (mode 0644); false on error. */
bool t_write_file(const char *path, const void *p, size_t n);

/* Captures what is written to fd 2 between t_capture_stderr_begin and
 * t_capture_stderr_end (appended to out, NUL-terminated). */
bool t_capture_stderr_begin(void);
bool t_capture_stderr_end(struct buf *out);

/* A small deterministic PRNG (xorshift64*), so every run sees the same data. */
struct t_rng {
    unsigned long long s;
};
void t_rng_init(struct t_rng *r, unsigned long long seed);
unsigned t_rng_u32(struct t_rng *r);
/* Uniform in [0, n). */
unsigned t_rng_below(struct t_rng *r, unsigned n);

#endif
