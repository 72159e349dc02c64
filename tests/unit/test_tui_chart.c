/*
 * test_tui_chart.c — line charts drawn into a canvas: decimated buckets
 * land on the right pixel columns, min/max strokes and joins, NaN gaps,
 * log-y, smoothing, axes with tick labels, and tiny rectangles; the number
 * formatter, log ticks, the cursor's lookup, outliers and y limits.
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
#include "tui/axis.h"
#include "tui/braille.h"
#include "tui/chart.h"
#include "tui/valfmt.h"

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

static void test_valfmt(void **state)
{
    (void)state;
    static const struct {
        double v;
        int digits;
        const char *want;
    } cases[] = {
        {0, 4, "0"},           {42, 4, "42"},
        {-7, 4, "-7"},         {0.15317, 4, "0.1532"},
        {2.4, 4, "2.4"},       {123.456, 4, "123.5"},
        {1500, 4, "1.5k"},     {999.96, 4, "1k"},
        {1e6, 4, "1M"},        {2.5e9, 4, "2.5G"},
        {-12500, 4, "-12.5k"}, {3.2e-5, 4, "3.2e-5"},
        {0.001, 4, "0.001"},   {2.077148, 6, "2.07715"},
        {1e30, 3, "1e30"},     {NAN, 4, "nan"},
        {INFINITY, 4, "inf"},  {-INFINITY, 4, "-inf"},
    };
    char out[VALFMT_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_string_equal(valfmt(out, cases[i].v, cases[i].digits), cases[i].want);
    /* Ticks: the step decides the decimals, the value its suffix. */
    assert_string_equal(valfmt_tick(out, 0.5, 0.5), "0.5");
    assert_string_equal(valfmt_tick(out, 0.25, 0.25), "0.25");
    assert_string_equal(valfmt_tick(out, 1500, 500), "1.5k");
    assert_string_equal(valfmt_tick(out, 2e6, 1e6), "2M");
    assert_string_equal(valfmt_tick(out, 5e-5, 1e-5), "5e-5");
    assert_string_equal(valfmt_tick(out, -1e-17, 0.1), "0");
    /* An arbitrary step (a range / 100) gets the decimals of its size. */
    assert_string_equal(valfmt_tick(out, 2549.9, 2.9998), "2.55k");
}

/* Reads valfmt's text back: a number with an optional SI suffix. */
static double read_back(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    const char *sfx = " kMGTPE", *at = *end ? strchr(sfx, *end) : NULL;
    for (long k = at ? at - sfx : 0; k > 0; k--)
        v *= 1e3;
    return v;
}

/* Any finite value reads back within its digits, in a short text. */
static void test_valfmt_round_trip(void **state)
{
    (void)state;
    uint64_t rng = 12345;
    char out[VALFMT_MAX];
    for (int i = 0; i < 20000; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        double mant = (double)(rng >> 11) / 9007199254740992.0 * 10;
        int e = (int)((rng >> 3) % 50) - 25;
        double v = (rng & 1 ? -1 : 1) * mant * pow(10, e);
        for (int digits = 2; digits <= 6; digits++) {
            valfmt(out, v, digits);
            assert_true(strlen(out) <= (size_t)digits + 8);
            double back = read_back(out);
            assert_true(fabs(back - v) <= fabs(v) * 0.6 * pow(10, 1 - digits) + 1e-300);
        }
    }
}

/* Labels of n ticks; fails when two neighbours read the same. */
static void labels_of(const double *t, int n, double step, axis_kind kind, char l[][32])
{
    for (int i = 0; i < n; i++) {
        axis_label(l[i], 32, t[i], step, kind);
        if (i > 0)
            assert_string_not_equal(l[i], l[i - 1]);
    }
}

static void test_log_ticks(void **state)
{
    (void)state;
    double t[AXIS_MAX_TICKS], step;
    char l[AXIS_MAX_TICKS][32];
    /* train/loss 0.15-2.4 once got a single "1" tick: now 1-2-5. */
    int n = axis_ticks(log10(0.15), log10(2.4), 8, AXIS_LOG10, t, &step);
    assert_int_equal(n, 4);
    labels_of(t, n, step, AXIS_LOG10, l);
    assert_string_equal(l[0], "0.2");
    assert_string_equal(l[1], "0.5");
    assert_string_equal(l[2], "1");
    assert_string_equal(l[3], "2");
    /* Inside one 1-2-5 gap: steps of the value itself, all distinct. */
    n = axis_ticks(log10(0.3), log10(0.45), 6, AXIS_LOG10, t, &step);
    assert_true(n >= 3);
    labels_of(t, n, step, AXIS_LOG10, l);
    assert_string_equal(l[0], "0.3");
    /* Many decades: whole decades, with suffixes and exponents. */
    n = axis_ticks(-6, 6, 13, AXIS_LOG10, t, &step);
    assert_int_equal(n, 13);
    labels_of(t, n, step, AXIS_LOG10, l);
    assert_string_equal(l[0], "1e-6");
    assert_string_equal(l[9], "1k");
    assert_string_equal(l[12], "1M");
    /* A linear axis: distinct labels however small the step. */
    n = axis_ticks(1, 1.0004, 5, AXIS_NUMBER, t, &step);
    labels_of(t, n, step, AXIS_NUMBER, l);
}

/* The labels left of the y axis ("┤"), top to bottom. */
static int gutter_labels(const canvas *c, char l[][32], int max)
{
    int n = 0;
    for (int y = 0; y < c->h && n < max; y++)
        for (int x = 0; x < c->w; x++)
            if (canvas_at(c, x, y)->ch == 0x2524) {
                int x0 = x, k = 0;
                while (x0 > 0 && canvas_at(c, x0 - 1, y)->ch != ' ')
                    x0--;
                for (int i = x0; i < x && k < 31; i++)
                    l[n][k++] = (char)canvas_at(c, i, y)->ch;
                l[n++][k] = 0;
                break;
            }
    return n;
}

/* A gutter sized by the caller from other numbers (the metric's stored
 * range) never cuts a label: the chart widens it. */
static void test_log_labels_whole(void **state)
{
    (void)state;
    enum { N = 100 };
    chart_point p[N];
    for (int i = 0; i < N; i++) {
        double y = 0.15 + 2.25 * i / (N - 1);
        p[i] = (chart_point){i, y, y, y, y, 0, 0};
    }
    chart_series s = {p, N, 1};
    chart_opts o = {.title = "loss", .x_lo = 0, .x_hi = N - 1, .log_y = 1, .axes = 1, .gutter = 2};
    canvas c = {0};
    assert_int_equal(canvas_resize(&c, 60, 20), 0);
    assert_int_equal(chart_draw(&c, (canvas_rect){0, 0, 60, 20}, &s, 1, &o), 0);
    char l[AXIS_MAX_TICKS][32];
    int n = gutter_labels(&c, l, AXIS_MAX_TICKS);
    assert_int_equal(n, 4);
    assert_string_equal(l[0], "2");
    assert_string_equal(l[1], "1");
    assert_string_equal(l[2], "0.5");
    assert_string_equal(l[3], "0.2");
    canvas_free(&c);
}

/* An all-zero series: whole, distinct labels with and without axes. */
static void test_all_zero_labels(void **state)
{
    (void)state;
    chart_point p[50];
    for (int i = 0; i < 50; i++)
        p[i] = (chart_point){i, 0, 0, 0, 0, 0, 0};
    chart_series s = {p, 50, 1};
    chart_opts o = {.title = "zero", .x_lo = 0, .x_hi = 49, .gutter = 2};
    canvas c = {0};
    char *d;
    for (int axes = 0; axes < 2; axes++) {
        o.axes = axes;
        assert_int_equal(canvas_resize(&c, 40, 16), 0);
        chart_draw(&c, (canvas_rect){0, 0, 40, 16}, &s, 1, &o);
        d = dump(&c);
        assert_null(strchr(d, '~'));
        free(d);
    }
    char l[AXIS_MAX_TICKS][32];
    int n = gutter_labels(&c, l, AXIS_MAX_TICKS);
    assert_true(n >= 3);
    for (int i = 1; i < n; i++)
        assert_string_not_equal(l[i], l[i - 1]);
    canvas_free(&c);
}

/* Buckets a fifth wider than a pixel (the cache's grid), each a full
 * min-max stroke: every pixel column of the plot is covered, so no column
 * reads lighter than its neighbours. */
static void test_no_stripes(void **state)
{
    (void)state;
    enum { W = 40, H = 3, NMAX = 200 };
    chart_point p[NMAX];
    chart_series s = {p, 0, 1};
    chart_opts o = {.title = "", .x_lo = 0, .x_hi = 1};
    p[0] = (chart_point){0, 0, 1, 0, 1, 0, 0};
    s.n = 1;
    canvas_rect r = {0, 0, W, H + 1}, pr = chart_plot_rect(r, &s, 1, &o);
    assert_true(pr.w > 20 && pr.h == H);
    int pw = 2 * pr.w, nb = pw * 5 / 6;
    o.x_hi = pw - 1; /* one x unit a pixel */
    double k = (double)pw / nb;
    for (int i = 0; i < nb; i++) {
        double x0 = i * k, x1 = (i + 1) * k - 0.01;
        p[i] = (chart_point){(x0 + x1) / 2, 0, 1, 0, 1, x0, x1};
    }
    s.n = (size_t)nb;
    canvas c = {0};
    assert_int_equal(canvas_resize(&c, W, H + 1), 0);
    chart_draw(&c, r, &s, 1, &o);
    for (int y = pr.y; y < pr.y + pr.h; y++)
        for (int x = pr.x; x < pr.x + pr.w; x++)
            assert_int_equal(dots_at(&c, x, y), 0xff);
    /* Placed at their middles only, some columns held only the joins. */
    for (int i = 0; i < nb; i++)
        p[i].x0 = p[i].x1 = 0;
    chart_draw(&c, r, &s, 1, &o);
    int partial = 0;
    for (int x = pr.x; x < pr.x + pr.w; x++)
        partial += dots_at(&c, x, pr.y + 1) != 0xff;
    assert_true(partial > 0);
    canvas_free(&c);
}

static void test_cursor_lookup(void **state)
{
    (void)state;
    /* Spans [0,9] [10,19] [40,49] (a gap), and a point at 60. */
    chart_point p[4] = {{4.5, 0, 0, 0, 0, 0, 9},
                        {14.5, 0, 0, 0, 0, 10, 19},
                        {44.5, 0, 0, 0, 0, 40, 49},
                        {60, 0, 0, 0, 0, 0, 0}};
    assert_int_equal(chart_nearest(p, 4, -5), 0);
    assert_int_equal(chart_nearest(p, 4, 9), 0);
    assert_int_equal(chart_nearest(p, 4, 10), 1);
    assert_int_equal(chart_nearest(p, 4, 25), 1); /* nearer the end of 1 */
    assert_int_equal(chart_nearest(p, 4, 35), 2); /* nearer the start of 2 */
    assert_int_equal(chart_nearest(p, 4, 49), 2);
    assert_int_equal(chart_nearest(p, 4, 55), 3);
    assert_int_equal(chart_nearest(p, 4, 1e9), 3);
    assert_int_equal(chart_nearest(p, 1, 1e9), 0);
    /* The last column reads the right end, the first its own pixels. */
    assert_true(chart_x_of_col(49, 50, 0, 99) == 99);
    assert_true(chart_x_of_col(0, 50, 0, 99) == 1);
    for (int col = 0; col < 50; col++)
        assert_int_equal(chart_px(chart_x_of_col(col, 50, 0, 99), 0, 99, 100) / 2, col);
}

static void test_outliers_and_limits(void **state)
{
    (void)state;
    enum { N = 200 };
    chart_point p[N];
    for (int i = 0; i < N; i++) {
        double y = i == 100 ? 1000 : 1 + 0.001 * (i % 7);
        p[i] = (chart_point){i, y, y, y, y, 0, 0};
    }
    chart_series s = {p, N, 1};
    chart_opts o = {.x_lo = 0, .x_hi = N - 1};
    double lo, hi;
    assert_int_equal(chart_y_range(&s, 1, &o, &lo, &hi), 1);
    assert_true(hi == 1000);
    o.ignore_outliers = 1;
    assert_int_equal(chart_y_range(&s, 1, &o, &lo, &hi), 1);
    assert_true(lo >= 1 && hi < 1.01);
    /* Manual limits win over both; one side alone keeps the other. */
    o.y_limits = CHART_Y_HI;
    o.y_hi = 5;
    assert_int_equal(chart_y_range(&s, 1, &o, &lo, &hi), 1);
    assert_true(lo >= 1 && lo < 1.01 && hi == 5);
    o.ignore_outliers = 0;
    o.y_limits = CHART_Y_LO | CHART_Y_HI;
    o.y_lo = -1;
    assert_int_equal(chart_y_range(&s, 1, &o, &lo, &hi), 1);
    assert_true(lo == -1 && hi == 5);
    /* On log-y a limit <= 0 cannot show: the data's side is kept. */
    o.log_y = 1;
    assert_int_equal(chart_y_range(&s, 1, &o, &lo, &hi), 1);
    assert_true(lo == 0 && fabs(hi - log10(5)) < 1e-12);
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
        cmocka_unit_test(test_valfmt),
        cmocka_unit_test(test_valfmt_round_trip),
        cmocka_unit_test(test_log_ticks),
        cmocka_unit_test(test_log_labels_whole),
        cmocka_unit_test(test_all_zero_labels),
        cmocka_unit_test(test_no_stripes),
        cmocka_unit_test(test_cursor_lookup),
        cmocka_unit_test(test_outliers_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
