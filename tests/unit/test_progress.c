/* test_progress.c — the progress lines as a person sees them: at 40, 80 and
 * 120 columns, what goes first when a line does not fit, growing totals,
 * each kind's own clock, and the run's line. The formatter is a pure
 * function of the phase, the width and the time, so no terminal is needed. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "progress.h"
#include "t.h"

/* packuments, 1204 of 2000 fetched in the 4 s since its first request,
 * 3 retries: every piece a line can have. */
static struct progress_phase busy(void)
{
    struct progress_phase ph;
    memset(&ph, 0, sizeof ph);
    ph.name = "packuments";
    ph.done = 1204;
    ph.total = 2000;
    ph.total_known = ph.total_final = true;
    ph.retries = 3;
    ph.started_ms = 1000;
    ph.requests = ph.shown = true;
    return ph;
}

#define NOW 5000

static void line_at(struct buf *b, const struct progress_phase *ph, int width)
{
    buf_reset(b);
    progress_format_line(b, ph, NOW, width, 21);
    if (b->p)
        b->p[b->len] = '\0';
}

TEST(test_progress_a_line_at_120_columns_shows_everything_in_columns)
{
    struct progress_phase ph = busy();
    struct buf b = BUF_INIT;
    line_at(&b, &ph, 120);
    bool ok = t_str("  packuments              1204/2000     60%  301.0 req/s  retries 3  ETA 0:02",
                    b.p, __FILE__, __LINE__, "120 columns");
    buf_free(&b);
    T_TRUE(ok);
}

TEST(test_progress_a_line_at_80_columns_fits_with_everything)
{
    struct progress_phase ph = busy();
    struct buf b = BUF_INIT;
    line_at(&b, &ph, 80);
    bool ok = b.len < 80 && t_str("  packuments              1204/2000     60%  301.0 req/s  "
                                  "retries 3  ETA 0:02",
                                  b.p, __FILE__, __LINE__, "80 columns");
    if (!ok && b.len >= 80)
        t_fail(__FILE__, __LINE__, NULL, "a line of %zu columns on an 80-column terminal", b.len);
    buf_free(&b);
    T_TRUE(ok);
}

TEST(test_progress_a_line_at_40_columns_keeps_name_count_percent_and_rate)
{
    struct progress_phase ph = busy();
    struct buf b = BUF_INIT;
    line_at(&b, &ph, 40);
    bool ok =
        t_str("  packuments 1204/2000 60% 301.0 req/s", b.p, __FILE__, __LINE__, "40 columns");
    buf_free(&b);
    T_TRUE(ok);
}

TEST(test_progress_no_line_is_ever_as_wide_as_the_terminal)
{
    struct progress_phase phases[3] = {busy(), busy(), busy()};
    phases[1].name = "package_collaborators_with_a_name_far_longer_than_any_terminal_line";
    phases[1].finished = true;
    phases[1].finished_ms = 3000;
    phases[2].bytes = true;
    phases[2].done = 123456789;
    phases[2].total = 987654321;
    phases[2].retries = 123456789;
    struct buf b = BUF_INIT;
    for (int i = 0; i < 3; i++)
        for (int w = 1; w <= 200; w++) {
            line_at(&b, &phases[i], w);
            if (b.len >= (size_t)w && b.len) {
                t_fail(__FILE__, __LINE__, NULL, "%zu columns at width %d: \"%s\"", b.len, w, b.p);
                buf_free(&b);
                return;
            }
            for (size_t k = 0; k < b.len; k++)
                if ((unsigned char)b.p[k] < 0x20 || (unsigned char)b.p[k] >= 0x7f) {
                    t_fail(__FILE__, __LINE__, NULL, "a control byte at width %d", w);
                    buf_free(&b);
                    return;
                }
        }
    buf_free(&b);
}

/* Walking the width down, each piece goes in its turn and never comes back:
 * ETA, then retries, then the rate, then the percent; the count stays as
 * long as the name has a letter left. */
TEST(test_progress_drops_eta_then_retries_then_rate_then_percent_before_name_and_count)
{
    static const char *const order[4] = {"ETA", "retries", "req/s", "%"};
    struct progress_phase ph = busy();
    struct buf b = BUF_INIT;
    int gone = 0; /* pieces of `order` already dropped */
    for (int w = 120; w >= 14; w--) {
        line_at(&b, &ph, w);
        bool has[4];
        for (int i = 0; i < 4; i++)
            has[i] = strstr(b.p, order[i]) != NULL;
        /* What is shown is the tail of `order`, and the tail only shortens. */
        int first = 4;
        while (first > 0 && has[first - 1])
            first--;
        for (int i = 0; i < first; i++)
            if (has[i]) {
                t_fail(__FILE__, __LINE__, NULL, "at width %d \"%s\" went before \"%s\": \"%s\"", w,
                       order[first - 1], order[i], b.p);
                buf_free(&b);
                return;
            }
        if (first < gone) {
            t_fail(__FILE__, __LINE__, NULL, "at width %d \"%s\" came back: \"%s\"", w,
                   order[first], b.p);
            buf_free(&b);
            return;
        }
        gone = first;
        if (!strstr(b.p, "1204/2000")) {
            t_fail(__FILE__, __LINE__, NULL, "the count is gone at width %d: \"%s\"", w, b.p);
            buf_free(&b);
            return;
        }
        if (strncmp(b.p + strspn(b.p, " "), "packuments", w >= 22 ? 10 : 1) != 0) {
            t_fail(__FILE__, __LINE__, NULL, "the name is cut at width %d: \"%s\"", w, b.p);
            buf_free(&b);
            return;
        }
    }
    buf_free(&b);
    T_INT(4, gone);
}

TEST(test_progress_the_name_is_cut_last_and_marked)
{
    struct progress_phase ph = busy();
    struct buf b = BUF_INIT;
    line_at(&b, &ph, 21);
    bool ok = t_str("packuments 1204/2000", b.p, __FILE__, __LINE__, "21 columns");
    if (ok) {
        line_at(&b, &ph, 16);
        ok = t_str("pack~ 1204/2000", b.p, __FILE__, __LINE__, "16 columns");
    }
    buf_free(&b);
    T_TRUE(ok);
}

TEST(test_progress_a_growing_total_has_no_percent_and_no_eta)
{
    struct progress_phase ph = busy();
    ph.total_final = false;
    ph.done = ph.total = 40; /* all found so far are done: still not 100% */
    ph.retries = 0;
    struct buf b = BUF_INIT;
    line_at(&b, &ph, 120);
    bool ok = t_str("  packuments                40/40+           10.0 req/s", b.p, __FILE__,
                    __LINE__, "a growing total");
    buf_free(&b);
    T_TRUE(ok);
}

TEST(test_progress_rate_and_done_in_count_from_the_kind_s_first_request)
{
    struct progress_phase ph = busy();
    ph.started_ms = 60000; /* a minute into the run */
    ph.done = ph.total = 100;
    ph.retries = 0;
    ph.finished = true;
    ph.finished_ms = 62000;
    struct buf b = BUF_INIT;
    buf_reset(&b);
    progress_format_line(&b, &ph, 90000, 120, 12);
    buf_putc(&b, '\0');
    bool ok = t_str("  packuments      100/100     done in 2.0 s  50.0 req/s", b.p, __FILE__,
                    __LINE__, "a finished kind");
    buf_free(&b);
    T_TRUE(ok);
}

TEST(test_progress_a_total_does_not_start_the_clock_the_first_request_does)
{
    struct progress p;
    progress_init(&p, false);
    int id = progress_add(&p, "packuments");
    T_TRUE(id >= 0);
    progress_total_so_far(&p, id, 10);
    T_INT(0, p.ph[id].started_ms);
    T_FALSE(p.ph[id].total_final);
    progress_start(&p, id);
    int64_t t = p.ph[id].started_ms;
    T_TRUE(t > 0);
    progress_done(&p, id, 1);
    progress_start(&p, id);
    T_INT(t, p.ph[id].started_ms);
    progress_total(&p, id, 12);
    T_TRUE(p.ph[id].total_final);
    T_UINT(12, p.ph[id].total);
    progress_end(&p);
}

static struct progress run_of_two(void)
{
    struct progress p;
    progress_init(&p, false);
    p.started_ms = 0;
    int a = progress_add(&p, "whoami");
    int k = progress_add(&p, "packuments");
    progress_total(&p, a, 1);
    p.ph[a].done = 1;
    p.ph[a].started_ms = 100;
    p.ph[a].finished = true;
    p.ph[a].finished_ms = 200;
    progress_total(&p, k, 299);
    p.ph[k].done = 149;
    p.ph[k].started_ms = 200;
    p.ph[k].retries = 2;
    return p;
}

TEST(test_progress_the_run_line_adds_requests_elapsed_and_eta)
{
    struct progress p = run_of_two();
    struct buf b = BUF_INIT;
    progress_format_overall(&b, &p, 10000, 120, 10);
    buf_putc(&b, '\0');
    bool ok = t_str("  all           150/300     0:10 elapsed  15.0 req/s  retries 2  ETA 0:10",
                    b.p, __FILE__, __LINE__, "the run's line");
    buf_free(&b);
    T_TRUE(ok);
}

TEST(test_progress_the_run_line_has_no_eta_while_a_total_grows)
{
    struct progress p = run_of_two();
    p.ph[1].total_final = false;
    struct buf b = BUF_INIT;
    progress_format_overall(&b, &p, 10000, 40, 10);
    buf_putc(&b, '\0');
    bool ok = t_str("  all 150/300+ 0:10 elapsed 15.0 req/s", b.p, __FILE__, __LINE__,
                    "a growing run at 40 columns");
    buf_free(&b);
    T_TRUE(ok);
}

TEST(test_progress_the_run_line_leaves_out_what_is_not_a_request)
{
    struct progress p = run_of_two();
    int in = progress_add(&p, "input read");
    p.ph[in].bytes = true;
    p.ph[in].requests = false;
    p.ph[in].done = 1 << 20;
    struct buf b = BUF_INIT;
    progress_format_overall(&b, &p, 10000, 80, 10);
    buf_putc(&b, '\0');
    bool ok = t_contains(b.p, " 150/300 ", __FILE__, __LINE__, "the run's line");
    buf_free(&b);
    T_TRUE(ok);
}

TEST(test_progress_input_bytes_read_of_the_total)
{
    struct progress_phase ph;
    memset(&ph, 0, sizeof ph);
    ph.name = "input read";
    ph.bytes = true;
    ph.done = (uint64_t)12 << 20;
    ph.total = (uint64_t)48 << 20;
    ph.total_known = ph.total_final = true;
    ph.started_ms = 1000;
    struct buf b = BUF_INIT;
    progress_format_line(&b, &ph, NOW, 80, 13);
    buf_putc(&b, '\0');
    bool ok = t_str("  input read    12.0 MiB/48.0 MiB   25%  3.0 MiB/s  ETA 0:12", b.p, __FILE__,
                    __LINE__, "input read");
    if (ok) {
        ph.total_known = ph.total_final = false; /* a stream: no size */
        buf_reset(&b);
        progress_format_line(&b, &ph, NOW, 80, 13);
        buf_putc(&b, '\0');
        ok = t_str("  input read    12.0 MiB               3.0 MiB/s", b.p, __FILE__, __LINE__,
                   "a stream");
    }
    buf_free(&b);
    T_TRUE(ok);
}
