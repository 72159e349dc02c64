/*
 * test_tui_canvas.c — the dashboard's pure building blocks: the cell
 * canvas (and its sanitizing text gate), the braille rasteriser (exact dot
 * patterns), the ASCII fallback, axis ticks, TensorBoard's EMA, the screen
 * layout at several sizes, and the key table.
 */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui/axis.h"
#include "tui/braille.h"
#include "tui/canvas.h"
#include "tui/keymap.h"
#include "tui/layout.h"
#include "tui/logline.h"
#include "tui/smooth.h"
#include "testutil.h"

static char *dump(const canvas *c)
{
    buf b = BUF_INIT;
    canvas_dump(c, &b);
    return buf_steal(&b);
}

static void test_canvas_put_and_clip(void **state)
{
    (void)state;
    canvas c = {0};
    assert_int_equal(canvas_resize(&c, 4, 2), 0);
    canvas_put(&c, 0, 0, 'a', CANVAS_RED, CANVAS_BOLD);
    canvas_put(&c, 3, 1, 'z', 0, 0);
    canvas_put(&c, 4, 0, 'X', 0, 0);  /* outside: dropped */
    canvas_put(&c, -1, 0, 'X', 0, 0); /* outside: dropped */
    canvas_put(&c, 0, 2, 'X', 0, 0);  /* outside: dropped */
    assert_null(canvas_at(&c, 4, 0));
    assert_int_equal(canvas_at(&c, 0, 0)->fg, CANVAS_RED);
    assert_int_equal(canvas_at(&c, 0, 0)->attr, CANVAS_BOLD);
    char *s = dump(&c);
    assert_string_equal(s, "a\n   z\n");
    free(s);
    /* Resizing to nothing and back never crashes. */
    assert_int_equal(canvas_resize(&c, 0, 0), 0);
    canvas_put(&c, 0, 0, 'a', 0, 0);
    canvas_text(&c, 0, 0, 10, "hello", 0, 0);
    assert_int_equal(canvas_resize(&c, 3, 1), 0);
    canvas_free(&c);
}

static void test_canvas_text_cut_and_sanitize(void **state)
{
    (void)state;
    canvas c = {0};
    assert_int_equal(canvas_resize(&c, 12, 3), 0);
    assert_int_equal(canvas_text(&c, 0, 0, 12, "train/loss", 0, 0), 10);
    assert_int_equal(canvas_text(&c, 0, 1, 6, "validation", 0, 0), 6);
    /* Escape sequences and C1 controls never reach a cell. */
    canvas_text(&c, 0, 2, 12,
                "\033]0;x\a\xc2\x9b"
                "2J",
                0, 0);
    for (int x = 0; x < c.w; x++) {
        uint32_t ch = canvas_at(&c, x, 2)->ch;
        assert_true(ch >= 0x20 && ch != 0x7f && !(ch >= 0x80 && ch < 0xa0));
    }
    char *s = dump(&c);
    assert_string_equal(s, "train/loss\nvalid~\n?]0;x??2J\n");
    free(s);
    /* ASCII mode: no code point above 0x7e. */
    c.ascii = 1;
    canvas_clear(&c);
    canvas_text(&c, 0, 0, 12, "caf\xc3\xa9 \xe2\x9c\x93", 0, 0);
    s = dump(&c);
    assert_string_equal(s, "caf? ?\n\n\n");
    free(s);
    canvas_free(&c);
}

static void test_canvas_wide(void **state)
{
    (void)state;
    canvas c = {0};
    c.ascii = 0;
    assert_int_equal(canvas_resize(&c, 5, 1), 0);
    /* Two double-width characters take four columns. */
    assert_int_equal(canvas_text(&c, 0, 0, 5, "\xe6\x97\xa5\xe6\x9c\xac", 0, 0), 4);
    assert_int_equal(canvas_at(&c, 1, 0)->ch, CANVAS_WIDE_TAIL);
    /* Overwriting a tail blanks the head. */
    canvas_put(&c, 1, 0, 'x', 0, 0);
    assert_int_equal(canvas_at(&c, 0, 0)->ch, ' ');
    canvas_free(&c);
}

static void test_braille_bits(void **state)
{
    (void)state;
    assert_int_equal(braille_bit(0, 0), 0x01);
    assert_int_equal(braille_bit(0, 1), 0x02);
    assert_int_equal(braille_bit(0, 2), 0x04);
    assert_int_equal(braille_bit(0, 3), 0x40);
    assert_int_equal(braille_bit(1, 0), 0x08);
    assert_int_equal(braille_bit(1, 3), 0x80);
    assert_int_equal(braille_char(0xff, 0), 0x28ff);
    assert_int_equal(braille_char(0, 0), 0x2800);
}

static void test_braille_lines(void **state)
{
    (void)state;
    braille b;
    assert_int_equal(braille_init(&b, 2, 1), 0);
    /* A horizontal line along the bottom row of two cells. */
    braille_line(&b, 0, 3, 3, 3, 1);
    assert_int_equal(b.dots[0], 0xc0);
    assert_int_equal(b.dots[1], 0xc0);
    braille_free(&b);

    assert_int_equal(braille_init(&b, 1, 1), 0);
    /* A diagonal from the bottom left to the top right of one cell. */
    braille_line(&b, 0, 3, 1, 0, 2);
    /* Bresenham: (0,3) (0,2) (1,1) (1,0). */
    assert_int_equal(b.dots[0], 0x40 | 0x04 | 0x10 | 0x08);
    assert_int_equal(b.color[0], 2);
    braille_free(&b);

    assert_int_equal(braille_init(&b, 1, 2), 0);
    /* A vertical line down the left column of two stacked cells. */
    braille_line(&b, 0, 0, 0, 7, 1);
    assert_int_equal(b.dots[0], 0x47);
    assert_int_equal(b.dots[1], 0x47);
    /* Off-raster dots are clipped, not written. */
    braille_dot(&b, 5, 5, 1);
    braille_dot(&b, -1, 0, 1);
    braille_line(&b, -100, -100, 100, 100, 1);
    braille_free(&b);
}

static void test_braille_ascii(void **state)
{
    (void)state;
    assert_int_equal(braille_char(0, 1), ' ');
    assert_int_equal(braille_char(0x09, 1), '\'');        /* top row */
    assert_int_equal(braille_char(0x12, 1), '-');         /* second row */
    assert_int_equal(braille_char(0xc0, 1), '_');         /* bottom row */
    assert_int_equal(braille_char(0x47, 1), '|');         /* a whole column */
    assert_int_equal(braille_char(0x01 | 0x10, 1), '\\'); /* falling */
    assert_int_equal(braille_char(0x08 | 0x02, 1), '/');  /* rising */
    canvas c = {0};
    c.ascii = 1;
    assert_int_equal(canvas_resize(&c, 2, 1), 0);
    braille b;
    assert_int_equal(braille_init(&b, 2, 1), 0);
    braille_line(&b, 0, 3, 3, 3, 1);
    braille_blit(&b, &c, 0, 0);
    char *s = dump(&c);
    assert_string_equal(s, "__\n");
    free(s);
    braille_free(&b);
    canvas_free(&c);
}

static void test_axis_nice(void **state)
{
    (void)state;
    assert_true(axis_nice(0.7, 0) == 1);
    assert_true(axis_nice(1.2, 0) == 2);
    assert_true(axis_nice(3, 0) == 5);
    assert_true(axis_nice(7, 0) == 10);
    assert_true(axis_nice(1.2, 1) == 1);
    assert_true(axis_nice(2.9, 1) == 2);
    assert_true(fabs(axis_nice(0.03, 0) - 0.05) < 1e-12);
    assert_true(axis_nice(4200, 1) == 5000);
}

static void test_axis_ticks(void **state)
{
    (void)state;
    double t[AXIS_MAX_TICKS], step;
    int n = axis_ticks(0, 1000, 6, AXIS_NUMBER, t, &step);
    assert_true(step == 200);
    assert_int_equal(n, 6);
    assert_true(t[0] == 0 && t[5] == 1000);
    n = axis_ticks(0.13, 0.97, 5, AXIS_NUMBER, t, &step);
    assert_true(fabs(step - 0.2) < 1e-12);
    assert_int_equal(n, 4);
    assert_true(fabs(t[0] - 0.2) < 1e-12 && fabs(t[3] - 0.8) < 1e-12);
    n = axis_ticks(-3, 7, 3, AXIS_NUMBER, t, &step);
    assert_true(n <= 3 && n >= 2);
    assert_true(step == 5);
    /* Time axes step at clock units. */
    n = axis_ticks(0, 3600, 5, AXIS_DURATION, t, &step);
    assert_true(step == 900);
    assert_int_equal(n, 5);
    /* Never more than asked, never out of range, even for odd inputs. */
    for (int max = 1; max <= 10; max++) {
        n = axis_ticks(1.7, 123456.7, max, AXIS_NUMBER, t, &step);
        assert_true(n <= max && (n >= 1 || max == 1));
        for (int i = 0; i < n; i++)
            assert_true(t[i] >= 1.7 && t[i] <= 123456.7);
    }
    assert_int_equal(axis_ticks(NAN, 1, 5, AXIS_NUMBER, t, &step), 0);
    assert_int_equal(axis_ticks(2, 1, 5, AXIS_NUMBER, t, &step), 0);
    assert_int_equal(axis_ticks(3, 3, 5, AXIS_NUMBER, t, &step), 1);
}

static void test_axis_labels(void **state)
{
    (void)state;
    char l[32];
    axis_label(l, sizeof l, 200000, 100000, AXIS_NUMBER);
    assert_string_equal(l, "200k");
    axis_label(l, sizeof l, 1500000, 500000, AXIS_NUMBER);
    assert_string_equal(l, "1.5M");
    axis_label(l, sizeof l, 0.25, 0.05, AXIS_NUMBER);
    assert_string_equal(l, "0.25");
    axis_label(l, sizeof l, 0.4, 0.2, AXIS_NUMBER);
    assert_string_equal(l, "0.4");
    axis_label(l, sizeof l, 90, 30, AXIS_DURATION);
    assert_string_equal(l, "1m30s");
    axis_label(l, sizeof l, 7200, 3600, AXIS_DURATION);
    assert_string_equal(l, "2h");
    axis_label(l, sizeof l, 0, 1, AXIS_NUMBER);
    assert_string_equal(l, "0");
}

/* TensorBoard's smoothing, written out longhand for one weight. */
static void test_smooth_ema(void **state)
{
    (void)state;
    const double y[5] = {1, 2, 3, 4, 5};
    double out[5];
    smooth_ema(y, 5, 0.6, out);
    double last = 0;
    for (int i = 0; i < 5; i++) {
        last = last * 0.6 + 0.4 * y[i];
        double want = last / (1 - pow(0.6, i + 1));
        assert_true(fabs(out[i] - want) < 1e-12);
    }
    /* Debiased: the first value is the value itself. */
    assert_true(fabs(out[0] - 1) < 1e-12);
    /* Weight 0 is the identity. */
    smooth_ema(y, 5, 0, out);
    for (int i = 0; i < 5; i++)
        assert_true(out[i] == y[i]);
    /* NaN passes through and does not move the average. */
    const double g[4] = {1, NAN, 3, INFINITY};
    smooth_ema(g, 4, 0.5, out);
    assert_true(out[0] == 1);
    assert_true(isnan(out[1]));
    assert_true(fabs(out[2] - (0.25 + 1.5) / 0.75) < 1e-12);
    assert_true(isinf(out[3]));
    /* A constant series comes back unchanged. */
    const double k[3] = {7, 7, 7};
    smooth_ema(k, 3, 0.9, out);
    assert_true(out[0] == 7 && out[1] == 7 && out[2] == 7);
    /* In place, and the cycle of weights. */
    double z[3] = {0, 10, 10};
    smooth_ema(z, 3, 0.5, z);
    assert_true(fabs(z[1] - 5 / 0.75) < 1e-12);
    double w = 0;
    int steps = 0;
    do {
        w = smooth_next_weight(w);
        assert_true(w >= 0 && w < 1);
        steps++;
    } while (w != 0 && steps < 20);
    assert_int_equal(steps, 6);
}

static void test_layout_screen(void **state)
{
    (void)state;
    layout_screen s = layout_screen_of(80, 24);
    assert_int_equal(s.header.h, 1);
    assert_int_equal(s.body.y, 1);
    assert_int_equal(s.body.h, 22);
    assert_int_equal(s.footer.y, 23);
    s = layout_screen_of(30, 8);
    assert_int_equal(s.body.h, 6);
    assert_int_equal(s.body.w, 30);
    s = layout_screen_of(10, 2);
    assert_int_equal(s.header.h, 0);
    assert_int_equal(s.body.h, 2);
    s = layout_screen_of(0, 0);
    assert_int_equal(s.body.h, 0);
}

static void check_grid(int w, int h, int n, int cols, int rows)
{
    canvas_rect area = {0, 1, w, h};
    layout_grid g = layout_grid_of(area, n);
    assert_int_equal(g.cols, cols);
    assert_int_equal(g.rows, rows);
    /* Cells stay inside the area and do not overlap. */
    int per = layout_per_page(&g);
    for (int i = 0; i < per; i++) {
        canvas_rect r = layout_grid_cell(&g, i);
        assert_true(r.x >= 0 && r.y >= 1 && r.x + r.w <= w && r.y + r.h <= h + 1);
        assert_true(r.w >= 1 && r.h >= 1);
        if (i + 1 < per && (i + 1) % g.cols != 0) {
            canvas_rect next = layout_grid_cell(&g, i + 1);
            assert_true(r.x + r.w < next.x);
        }
    }
}

static void test_layout_grid(void **state)
{
    (void)state;
    check_grid(30, 6, 12, 1, 1); /* 30x8 terminal: one chart a page */
    check_grid(80, 22, 12, 2, 2);
    check_grid(80, 22, 1, 1, 1); /* one metric gets the whole body */
    check_grid(80, 22, 3, 2, 2);
    check_grid(200, 58, 100, 5, 6);
    check_grid(200, 58, 4, 2, 2);
    check_grid(10, 3, 5, 1, 1); /* too small for the minimum: still one */
    check_grid(120, 40, 7, 2, 4);
}

static void test_sgr_parse(void **state)
{
    (void)state;
    sgr_style st = {0, 0};
    assert_int_equal(sgr_parse("\033[31mx", 6, &st), 5);
    assert_int_equal(st.fg, CANVAS_RED);
    assert_int_equal(sgr_parse("\033[1;4m", 6, &st), 6);
    assert_int_equal(st.attr, CANVAS_BOLD | CANVAS_UNDERLINE);
    assert_int_equal(sgr_parse("\033[m", 3, &st), 3); /* empty: a reset */
    assert_int_equal(st.fg, 0);
    assert_int_equal(st.attr, 0);
    assert_int_equal(sgr_parse("\033[38;5;46m", 10, &st), 10); /* 256-colour green */
    assert_int_equal(st.fg, CANVAS_GREEN);
    assert_int_equal(sgr_parse("\033[38;2;20;40;230m", 17, &st), 17);
    assert_int_equal(st.fg, CANVAS_BLUE);
    assert_int_equal(sgr_parse("\033[94m", 5, &st), 5); /* bright blue */
    assert_int_equal(st.fg, CANVAS_BLUE);
    assert_true(st.attr & CANVAS_BOLD);
    assert_int_equal(sgr_parse("\033[39;22m", 8, &st), 8);
    assert_int_equal(st.fg, 0);
    assert_int_equal(st.attr, 0);
    /* Not SGR, or cut short: left alone for the sanitizer. */
    sgr_style before = st;
    assert_int_equal(sgr_parse("\033[2J", 4, &st), 0);
    assert_int_equal(sgr_parse("\033[31", 4, &st), 0);
    assert_int_equal(sgr_parse("\033]0;title\007", 10, &st), 0);
    assert_int_equal(sgr_parse("[31m", 4, &st), 0);
    assert_memory_equal(&st, &before, sizeof st);
}

static void test_logline_colour_and_flow(void **state)
{
    (void)state;
    canvas c = {0};
    assert_int_equal(canvas_resize(&c, 12, 3), 0);
    const char *line = "ok \033[31mred\033[0m \033[2Jxyz";
    assert_int_equal(logline_draw(&c, 0, 0, 12, 1, line, CANVAS_DEFAULT, 0, 0, 0, 1), 1);
    buf b = BUF_INIT;
    canvas_row_text(&c, 0, &b);
    assert_string_equal(buf_cstr(&b), "ok red ?[2J~"); /* other escapes neutralised, cut */
    assert_int_equal(canvas_at(&c, 0, 0)->fg, CANVAS_DEFAULT);
    assert_int_equal(canvas_at(&c, 3, 0)->fg, CANVAS_RED);
    assert_int_equal(canvas_at(&c, 5, 0)->fg, CANVAS_RED);
    assert_int_equal(canvas_at(&c, 7, 0)->fg, CANVAS_DEFAULT);
    /* A reset returns to the line's own colour (stderr's red stays red). */
    canvas_clear(&c);
    logline_draw(&c, 0, 0, 12, 1, "a\033[32mb\033[0mc", CANVAS_RED, 0, 0, 0, 1);
    assert_int_equal(canvas_at(&c, 1, 0)->fg, CANVAS_GREEN);
    assert_int_equal(canvas_at(&c, 2, 0)->fg, CANVAS_RED);
    /* Wrapping: 26 letters in 12 columns take 3 rows; 2 rows cut it. */
    canvas_clear(&c);
    const char *abc = "abcdefghijklmnopqrstuvwxyz";
    assert_int_equal(logline_draw(&c, 0, 0, 12, 3, abc, 0, 0, 0, 1, 0), 3);
    assert_int_equal(logline_draw(&c, 0, 0, 12, 3, abc, 0, 0, 0, 1, 1), 3);
    b.len = 0;
    canvas_row_text(&c, 2, &b);
    assert_string_equal(buf_cstr(&b), "yz          ");
    assert_int_equal(logline_draw(&c, 0, 0, 12, 2, abc, 0, 0, 0, 1, 0), 2);
    /* Scrolled sideways: the first skip columns are left out. */
    canvas_clear(&c);
    logline_draw(&c, 0, 0, 12, 1, abc, 0, 0, 20, 0, 1);
    b.len = 0;
    canvas_row_text(&c, 0, &b);
    assert_string_equal(buf_cstr(&b), "uvwxyz      ");
    buf_free(&b);
    canvas_free(&c);
}

/* Random bytes, escape fragments and SGR pieces: nothing but an SGR
 * sequence is ever consumed, no ESC reaches a cell, nothing runs past
 * the rectangle. */
static void test_logline_fuzz(void **state)
{
    (void)state;
    static const char *const pieces[] = {"\033[", "31", ";", "m", "38;5;", "38;2;", "\033",
                                         "\033]", "\007", "\xc2\x9b", "9", "0", "\xe4\xb8\xad",
                                         "\t", "\xff", "x"};
    tu_rng rng;
    tu_rng_seed(&rng, 12345);
    canvas c = {0};
    assert_int_equal(canvas_resize(&c, 20, 4), 0);
    char in[300];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = tu_fuzz_text(&rng, pieces, sizeof pieces / sizeof *pieces, 120, in, sizeof in);
        sgr_style st = {0, 0};
        size_t used = sgr_parse(in, n, &st);
        assert_true(used == 0 || (used >= 3 && used <= n && in[used - 1] == 'm'));
        canvas_clear(&c);
        int rows = logline_draw(&c, 2, 1, 16, 3, in, CANVAS_RED, 0,
                                (int)tu_rng_below(&rng, 30), (int)tu_rng_below(&rng, 2), 1);
        assert_true(rows >= 1 && rows <= 3);
        for (int y = 0; y < c.h; y++)
            for (int x = 0; x < c.w; x++) {
                const canvas_cell *cell = canvas_at(&c, x, y);
                assert_true(cell->ch != 0x1b && cell->ch != 0x9b && cell->ch != 7);
                if (x < 2 || x >= 18 || y == 0)
                    assert_int_equal(cell->ch, ' ');
            }
    }
    canvas_free(&c);
}

static void test_keymap(void **state)
{
    (void)state;
    size_t n;
    const keymap_entry *t = keymap_table(&n);
    assert_true(n > 20);
    assert_int_equal(keymap_lookup('q', KM_RUNS), ACT_QUIT);
    assert_int_equal(keymap_lookup('q', KM_HELP), ACT_QUIT);
    assert_int_equal(keymap_lookup('+', KM_CHARTS), ACT_ZOOM_IN);
    assert_int_equal(keymap_lookup('+', KM_RUNS), ACT_NONE);
    assert_int_equal(keymap_lookup(KEY_T_LEFT, KM_CHARTS), ACT_PAN_LEFT);
    assert_int_equal(keymap_lookup(' ', KM_RUNS), ACT_SELECT);
    assert_int_equal(keymap_lookup('x', KM_CHARTS | KM_RUN), ACT_X_AXIS);
    /* Every action in the table has a help line (its first entry), and no
     * key is bound twice where both scopes meet. */
    for (size_t i = 0; i < n; i++) {
        int described = 0;
        for (size_t j = 0; j <= i; j++)
            if (t[j].action == t[i].action && t[j].help)
                described = 1;
        assert_true(described);
        for (size_t j = i + 1; j < n; j++)
            assert_false(t[j].key == t[i].key && (t[j].scope & t[i].scope));
    }
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8"); /* wcwidth knows double-width characters */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canvas_put_and_clip),
        cmocka_unit_test(test_canvas_text_cut_and_sanitize),
        cmocka_unit_test(test_canvas_wide),
        cmocka_unit_test(test_braille_bits),
        cmocka_unit_test(test_braille_lines),
        cmocka_unit_test(test_braille_ascii),
        cmocka_unit_test(test_axis_nice),
        cmocka_unit_test(test_axis_ticks),
        cmocka_unit_test(test_axis_labels),
        cmocka_unit_test(test_smooth_ema),
        cmocka_unit_test(test_sgr_parse),
        cmocka_unit_test(test_logline_colour_and_flow),
        cmocka_unit_test(test_logline_fuzz),
        cmocka_unit_test(test_layout_screen),
        cmocka_unit_test(test_layout_grid),
        cmocka_unit_test(test_keymap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
