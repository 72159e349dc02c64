/*
 * test_tui_chart.c — line charts drawn into a canvas: decimated buckets
 * land on the right pixel columns, min/max strokes and joins, NaN gaps,
 * log-y, smoothing, axes with tick labels, and tiny rectangles.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tally_store.h"
#include "tui/braille.h"
#include "tui/chart.h"

static char *dump(const canvas *c)
{
    buf b = BUF_INIT;
    canvas_dump(c, &b);
    return buf_steal(&b);
}

static uint8_t dots_at(const canvas *c, int x, int y)
{
    uint32_t ch = canvas_at(c, x, y)->ch;
    if (ch < 0x2800 || ch > 0x28ff)
        return 0;
    return (uint8_t)(ch - 0x2800);
}

/* pw buckets over [x0, x1]: bucket i sits at pixel i, and every x lands
 * in the bucket whose pixel is nearest its own position. */
static void test_decimation_to_pixels(void **state)
{
    (void)state;
    const int pw = 80;
    const int64_t x0 = 0, x1 = 999999;
    for (int i = 0; i < pw; i++) {
        double bx = (double)x0 + (double)(x1 - x0) * i / (pw - 1);
        assert_int_equal(chart_px(bx, (double)x0, (double)x1, pw), i);
    }
    for (int64_t x = x0; x <= x1; x += 7919) {
        size_t b = tally_bucket_index(x, x0, x1, (size_t)pw);
        int px = chart_px((double)x, (double)x0, (double)x1, pw);
        assert_true(labs((long)b - px) <= 1);
    }
    /* Degenerate ranges map to column 0, far values are clamped. */
    assert_int_equal(chart_px(5, 5, 5, pw), 0);
    assert_int_equal(chart_px(1, 0, 1, 1), 0);
    assert_true(chart_px(1e300, 0, 1, pw) > pw);
}

static void test_chart_line(void **state)
{
    (void)state;
    canvas c = {0};
    assert_int_equal(canvas_resize(&c, 2, 2), 0);
    /* A rising line over a 4x4-pixel plot (2x1 cells + title). */
    chart_point p[4];
    for (int i = 0; i < 4; i++)
        p[i] = (chart_point){i, i, i, i, i};
    chart_series s = {p, 4, CANVAS_GREEN};
    chart_opts o = {.title = "t", .x_lo = 0, .x_hi = 3};
    assert_int_equal(chart_draw(&c, (canvas_rect){0, 0, 2, 2}, &s, 1, &o), 0);
    /* Pixel (i, 3 - i): cell 0 holds (0,3) (1,2), cell 1 holds (2,1) (3,0). */
    assert_int_equal(dots_at(&c, 0, 1), 0x40 | 0x20);
    assert_int_equal(dots_at(&c, 1, 1), 0x02 | 0x08);
    assert_int_equal(canvas_at(&c, 0, 1)->fg, CANVAS_GREEN);
    canvas_free(&c);
}

static void test_chart_minmax_and_gap(void **state)
{
    (void)state;
    canvas c = {0};
    assert_int_equal(canvas_resize(&c, 3, 2), 0);
    chart_point p[3] = {
        {0, 0, 3, 0, 3},         /* a bucket spanning the whole height */
        {2, NAN, NAN, NAN, NAN}, /* all NaN: a gap */
        {4, 0, 0, 0, 0},
    };
    chart_series s = {p, 3, 1};
    chart_opts o = {.title = "", .x_lo = 0, .x_hi = 5};
    chart_draw(&c, (canvas_rect){0, 0, 3, 2}, &s, 1, &o);
    /* Column 0: the full stroke; pixel 4 (cell 2) a dot at the bottom; no
     * join across the gap, so cell 1 is empty. */
    assert_int_equal(dots_at(&c, 0, 1), 0x47);
    assert_int_equal(dots_at(&c, 1, 1), 0);
    assert_int_equal(dots_at(&c, 2, 1), 0x40);
    canvas_free(&c);
}

static void test_chart_join_across_empty(void **state)
{
    (void)state;
    /* Sparse points (an eval metric) are joined by a line. */
    canvas c = {0};
    assert_int_equal(canvas_resize(&c, 4, 2), 0);
    chart_point p[2] = {{0, 0, 0, 0, 0}, {7, 0, 0, 0, 0}};
    chart_series s = {p, 2, 1};
    chart_opts o = {.title = "", .x_lo = 0, .x_hi = 7};
    chart_draw(&c, (canvas_rect){0, 0, 4, 2}, &s, 1, &o);
    for (int x = 0; x < 4; x++)
        assert_int_not_equal(dots_at(&c, x, 1), 0);
    canvas_free(&c);
}

static void test_chart_log_y(void **state)
{
    (void)state;
    double lo, hi;
    chart_point p[3] = {{0, 1, 1, 1, 1}, {1, 10, 10, 10, 10}, {2, -1, -1, -1, -1}};
    chart_series s = {p, 3, 1};
    chart_opts o = {.x_lo = 0, .x_hi = 2, .log_y = 1};
    assert_int_equal(chart_y_range(&s, 1, &o, &lo, &hi), 1);
    assert_true(fabs(lo - 0) < 1e-12 && fabs(hi - 1) < 1e-12);
    o.log_y = 0;
    assert_int_equal(chart_y_range(&s, 1, &o, &lo, &hi), 1);
    assert_true(lo == -1 && hi == 10);
    /* Nothing finite: no range. */
    chart_point n[1] = {{0, NAN, NAN, NAN, NAN}};
    chart_series sn = {n, 1, 1};
    assert_int_equal(chart_y_range(&sn, 1, &o, &lo, &hi), 0);
}

static void test_chart_title_axes_and_sizes(void **state)
{
    (void)state;
    enum { N = 200 };
    chart_point p[N];
    for (int i = 0; i < N; i++) {
        double y = 2.3 * exp(-i / 50.0) + 0.1;
        p[i] = (chart_point){i * 50.0, y, y + 0.05, y, y + 0.02};
    }
    chart_series s = {p, N, 3};
    chart_opts o = {.title = "train/loss\033[2J",
                    .value = "0.1234",
                    .x_lo = 0,
                    .x_hi = (N - 1) * 50.0,
                    .axes = 1};
    canvas c = {0};
    assert_int_equal(canvas_resize(&c, 60, 16), 0);
    assert_int_equal(chart_draw(&c, (canvas_rect){0, 0, 60, 16}, &s, 1, &o), 0);
    char *d = dump(&c);
    assert_non_null(strstr(d, "train/loss?[2J"));
    assert_null(strchr(d, '\033'));
    assert_non_null(strstr(d, "0.1234"));
    assert_non_null(strstr(d, "2k"));  /* an x tick label */
    assert_non_null(strstr(d, "0.5")); /* a y tick label */
    free(d);
    /* Smoothing draws, and so does every size down to nothing. */
    o.smooth = 0.9;
    o.axes = 0;
    for (int w = 0; w <= 12; w++)
        for (int h = 0; h <= 5; h++) {
            assert_int_equal(canvas_resize(&c, w, h), 0);
            assert_int_equal(chart_draw(&c, (canvas_rect){0, 0, w, h}, &s, 1, &o), 0);
        }
    /* ASCII mode reads as a line, with no braille. */
    c.ascii = 1;
    assert_int_equal(canvas_resize(&c, 30, 6), 0);
    chart_draw(&c, (canvas_rect){0, 0, 30, 6}, &s, 1, &o);
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 30; x++)
            assert_true(canvas_at(&c, x, y)->ch < 0x80);
    canvas_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimation_to_pixels),
        cmocka_unit_test(test_chart_line),
        cmocka_unit_test(test_chart_minmax_and_gap),
        cmocka_unit_test(test_chart_join_across_empty),
        cmocka_unit_test(test_chart_log_y),
        cmocka_unit_test(test_chart_title_axes_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
