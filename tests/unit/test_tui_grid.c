/*
 * test_tui_grid.c — reading the charts, drawn into a canvas from real run
 * files: the cursor legend's exact values, overlays of train/val pairs
 * and marked charts, pinning, the step metric as the default x axis, y
 * limits and outliers, the footer naming what is on, and a window that
 * holds still while a run grows.
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

#include "testutil.h"
#include "tui/chart.h"
#include "tui/tui.h"

typedef struct fixture {
    char *dir, *path, *path2;
} fixture;

#define STEPS 2000

/* train/loss is exactly 0.125 + step / 1000 (binary fractions, so the
 * legend's value is known); val/loss every 100 steps against epoch. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    tally_run *run = tu_run_start(f->dir, "grid0001");
    tally_define_metric(run, "val/*", "epoch", 0, TALLY_GOAL_MINIMIZE);
    for (int i = 0; i < STEPS; i++) {
        tally_log(run, "train/loss", 0.125 + i / 1024.0);
        tally_log(run, "train/acc", 1 - exp(-i / 200.0));
        tally_log(run, "zero", 0);
        tally_log_int(run, "epoch", i / 100);
        if (i % 100 == 99)
            tally_log(run, "val/loss", 0.5 + i / 1024.0);
        tally_commit(run);
    }
    f->path = tu_run_finish(run, 0);
    /* A second, shorter run for compare: train/loss 0.25 + step / 1024. */
    run = tu_run_start(f->dir, "grid0002");
    for (int i = 0; i < STEPS / 2; i++) {
        tally_log(run, "train/loss", 0.25 + i / 1024.0);
        tally_commit(run);
    }
    f->path2 = tu_run_finish(run, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    free(f->path);
    free(f->path2);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static char *draw(tui_app *app, canvas *c, int w, int h)
{
    assert_int_equal(canvas_resize(c, w, h), 0);
    tui_draw(app, c);
    buf b = BUF_INIT;
    canvas_dump(c, &b);
    return buf_steal(&b);
}

static tui_app *open_app(fixture *f)
{
    tui_app *app = tui_app_new(f->dir);
    assert_int_equal(tui_open_run(app, f->path, TAB_CHARTS), 0);
    return app;
}

/* Selects the chart named name on the first page. */
static void select_chart(tui_app *app, canvas *c, const char *name)
{
    for (int i = 0; i < 10; i++) {
        free(draw(app, c, 120, 40));
        if (strcmp(app->charts.selected, name) == 0)
            return;
        tui_key(app, 'j');
    }
    fail_msg("no chart %s", name);
}

static void test_cursor_legend(void **state)
{
    fixture *f = *state;
    tui_app *app = open_app(f);
    canvas c = {0};
    select_chart(app, &c, "train/loss");
    /* [ focuses the chart and puts the cursor on the newest point. */
    tui_key(app, '[');
    char *s = draw(app, &c, 120, 40);
    assert_int_equal(app->charts.focus, 1);
    assert_int_equal(app->charts.cursor, 1);
    assert_non_null(strstr(s, "step 1999"));
    assert_non_null(strstr(s, "train/loss  2.07715")); /* 0.125 + 1999/1024, 6 digits */
    assert_non_null(strstr(s, "[ ] cursor"));
    assert_null(strstr(s, "Enter focus"));
    free(s);
    /* Moving left ten columns reads an earlier, exact point. */
    int col = app->charts.cursor_col;
    tui_key(app, '{');
    s = draw(app, &c, 120, 40);
    assert_int_equal(app->charts.cursor_col, col - 10);
    const char *at = strstr(strchr(s, '\n'), "step "); /* the legend's, not the header's */
    assert_non_null(at);
    long step = strtol(at + 5, NULL, 10);
    assert_true(step < 1999 && step > 1500);
    char want[64];
    snprintf(want, sizeof want, "train/loss  %.6g", 0.125 + step / 1024.0);
    assert_non_null(strstr(s, want));
    free(s);
    /* With smoothing on, the smoothed value is named beside the raw one. */
    tui_key(app, 's');
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "smoothed "));
    assert_non_null(strstr(s, "smooth 0.6"));
    free(s);
    /* Esc hides the cursor, then leaves focus. */
    tui_key(app, KEY_T_ESC);
    assert_int_equal(app->charts.cursor, 0);
    assert_int_equal(app->charts.focus, 1);
    s = draw(app, &c, 120, 40);
    assert_null(strstr(s, "Enter focus")); /* focused: the hint says how back */
    assert_non_null(strstr(s, "Esc grid"));
    free(s);
    tui_key(app, KEY_T_ESC);
    assert_int_equal(app->charts.focus, 0);
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "Enter focus"));
    free(s);
    canvas_free(&c);
    tui_app_free(app);
}

/* Compare: the cursor's legend has a line a run, each run's exact value
 * at the same step, "-" past a run's end; the footer names the
 * smoothing's weight. */
static void test_compare_cursor(void **state)
{
    fixture *f = *state;
    tui_app *app = tui_app_new(f->dir);
    canvas c = {0};
    tui_poll(app, 100.0);
    tui_key(app, ' ');
    tui_key(app, ' ');
    tui_key(app, 'c');
    assert_int_equal(app->view, TUI_COMPARE);
    char *s = draw(app, &c, 120, 40);
    assert_string_equal(app->cmp_charts.selected, "train/loss");
    free(s);
    tui_key(app, 's');
    tui_key(app, ']');
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "smooth 0.6"));
    assert_non_null(strstr(s, "step 1999"));
    assert_non_null(strstr(s, "  2.07715  smoothed "));
    assert_non_null(strstr(s, "  -\n") || strstr(s, "  - ")); /* the short run has no step 1999 */
    free(s);
    /* At the first column both runs have a point at the same step. */
    for (int i = 0; i < 30; i++)
        tui_key(app, '{');
    s = draw(app, &c, 120, 40);
    const char *at = strstr(strchr(s, '\n'), "step ");
    assert_non_null(at);
    long step = strtol(at + 5, NULL, 10);
    assert_true(step >= 0 && step < 20);
    char a[32], b[32];
    snprintf(a, sizeof a, "  %.6g", 0.125 + step / 1024.0);
    snprintf(b, sizeof b, "  %.6g", 0.25 + step / 1024.0);
    assert_non_null(strstr(s, a));
    assert_non_null(strstr(s, b));
    free(s);
    canvas_free(&c);
    tui_app_free(app);
}

static void test_step_metric_axis(void **state)
{
    fixture *f = *state;
    tui_app *app = open_app(f);
    canvas c = {0};
    select_chart(app, &c, "val/loss");
    char *s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "x:epoch")); /* define_metric's step metric by default */
    free(s);
    tui_key(app, KEY_T_ENTER);
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "epoch\n")); /* the x axis' title, at the end of its row */
    free(s);
    /* The legend names the step and the epoch there. */
    tui_key(app, ']');
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "step 1999  epoch 19"));
    free(s);
    /* x cycles to relative time, wall time, then _step, each named. */
    const char *names[] = {"x:relative time", "x:wall time", "x:_step", "x:epoch"};
    for (int i = 0; i < 4; i++) {
        tui_key(app, 'x');
        s = draw(app, &c, 120, 40);
        assert_non_null(strstr(s, names[i]));
        free(s);
    }
    canvas_free(&c);
    tui_app_free(app);
}

static void test_overlay_pair_and_marks(void **state)
{
    fixture *f = *state;
    tui_app *app = open_app(f);
    canvas c = {0};
    select_chart(app, &c, "train/loss");
    char *s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "M +val/loss")); /* the obvious pair is offered */
    free(s);
    tui_key(app, 'M');
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "train/loss + val/loss"));
    assert_string_equal(app->charts.selected, "train/loss\nval/loss");
    free(s);
    /* Focused with the cursor, the legend has a line for each metric. */
    tui_key(app, ']');
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "train/loss  2.07715"));
    assert_non_null(strstr(s, "val/loss  2.45215")); /* 0.5 + 1999/1024 */
    free(s);
    tui_key(app, KEY_T_ESC);
    tui_key(app, KEY_T_ESC);
    /* M on the overlay undoes it. */
    tui_key(app, 'M');
    s = draw(app, &c, 120, 40);
    assert_null(strstr(s, "train/loss + val/loss"));
    free(s);
    /* Marked charts overlay together, the selected one first. */
    select_chart(app, &c, "train/acc");
    tui_key(app, 'm');
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "* train/acc"));
    free(s);
    select_chart(app, &c, "zero");
    tui_key(app, 'M');
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "zero + train/acc"));
    assert_int_equal(app->charts.marked.n, 0);
    free(s);
    canvas_free(&c);
    tui_app_free(app);
}

static void test_pin(void **state)
{
    fixture *f = *state;
    tui_app *app = open_app(f);
    canvas c = {0};
    select_chart(app, &c, "zero");
    tui_key(app, 'P');
    free(draw(app, &c, 120, 40));
    /* The pinned chart is first now, in a section of its own, selected. */
    char *s = draw(app, &c, 120, 40);
    assert_string_equal(app->charts.selected, "zero");
    const char *pin = strstr(s, "pinned (1)");
    assert_non_null(pin);
    assert_true(pin < strstr(s, "train (2)"));
    free(s);
    tui_key(app, 'P');
    s = draw(app, &c, 120, 40);
    assert_null(strstr(s, "pinned ("));
    free(s);
    canvas_free(&c);
    tui_app_free(app);
}

static void test_sections(void **state)
{
    fixture *f = *state;
    tui_app *app = open_app(f);
    canvas c = {0};
    char *s = draw(app, &c, 120, 40);
    /* By prefix, in the order first logged; unprefixed ones in "charts". */
    const char *train = strstr(s, "\xe2\x96\xbe train (2)"), *other = strstr(s, "charts (2)"),
               *val = strstr(s, "val (1)");
    assert_true(train && other && val && train < other && other < val);
    /* The first chart is selected, not the first header. */
    assert_string_equal(app->charts.selected, "train/loss");
    free(s);
    /* z collapses the selected chart's section; its header is selected. */
    tui_key(app, 'z');
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "\xe2\x96\xb8 train (2)"));
    assert_null(strstr(s, "train/loss"));
    assert_int_equal(app->charts.on_header, 1);
    free(s);
    /* Enter on the header expands it again. */
    tui_key(app, KEY_T_ENTER);
    s = draw(app, &c, 120, 40);
    assert_int_equal(app->charts.focus, 0);
    assert_non_null(strstr(s, "train/loss"));
    free(s);
    /* Focused, j and k step over the headers from chart to chart. */
    select_chart(app, &c, "train/acc");
    tui_key(app, KEY_T_ENTER);
    tui_key(app, 'j');
    free(draw(app, &c, 120, 40));
    assert_string_equal(app->charts.selected, "zero");
    tui_key(app, 'k');
    free(draw(app, &c, 120, 40));
    assert_string_equal(app->charts.selected, "train/acc");
    canvas_free(&c);
    tui_app_free(app);
}

/* The y labels of the focused chart's gutter, top to bottom. */
static int y_labels(const canvas *c, char labels[][16], int max)
{
    int n = 0;
    for (int y = 0; y < c->h && n < max; y++)
        for (int x = 1; x < 20; x++)
            if (canvas_at(c, x, y)->ch == 0x2524) { /* ┤ */
                int x0 = x;
                while (x0 > 0 && canvas_at(c, x0 - 1, y)->ch != ' ')
                    x0--;
                int k = 0;
                for (int i = x0; i < x && k < 15; i++)
                    labels[n][k++] = (char)canvas_at(c, i, y)->ch;
                labels[n++][k] = 0;
                break;
            }
    return n;
}

static void test_y_controls(void **state)
{
    fixture *f = *state;
    tui_app *app = open_app(f);
    canvas c = {0};
    select_chart(app, &c, "train/loss");
    tui_key(app, KEY_T_ENTER);
    /* Y: manual limits through the prompt. */
    tui_key(app, 'Y');
    for (const char *p = "0 10"; *p; p++)
        tui_key(app, *p);
    tui_key(app, KEY_T_ENTER);
    assert_int_equal(app->charts.y_limits, CHART_Y_LO | CHART_Y_HI);
    char *s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "y 0..10"));
    char l[16][16];
    int n = y_labels(&c, l, 16);
    assert_true(n >= 2);
    assert_string_equal(l[0], "10");
    assert_string_equal(l[n - 1], "0");
    free(s);
    /* A bad entry says so and changes nothing. */
    tui_key(app, 'Y');
    while (app->prompt_len)
        tui_key(app, KEY_T_BACKSPACE);
    for (const char *p = "5 1"; *p; p++)
        tui_key(app, *p);
    tui_key(app, KEY_T_ENTER);
    assert_non_null(strstr(app->message, "y limits"));
    assert_true(app->charts.y_hi == 10);
    /* "- -" is automatic again. */
    tui_key(app, 'Y');
    while (app->prompt_len)
        tui_key(app, KEY_T_BACKSPACE);
    for (const char *p = "- -"; *p; p++)
        tui_key(app, *p);
    tui_key(app, KEY_T_ENTER);
    assert_int_equal(app->charts.y_limits, 0);
    /* o: ignore outliers is named in the footer. */
    tui_key(app, 'o');
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "no outliers"));
    free(s);
    canvas_free(&c);
    tui_app_free(app);
}

/* Without UTF-8 the sections, the cursor and its legend are ASCII. */
static void test_ascii(void **state)
{
    fixture *f = *state;
    tui_app *app = open_app(f);
    app->ascii = 1;
    canvas c = {0};
    char *s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "v train (2)"));
    free(s);
    tui_key(app, ']');
    tui_key(app, 's');
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "- train/loss  2.07715"));
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++)
            assert_true(canvas_at(&c, x, y)->ch < 0x80);
    free(s);
    canvas_free(&c);
    tui_app_free(app);
}

/* Whatever is typed at the y-limits prompt, the limits stay sane: both
 * finite, lo < hi when both are set, unchanged on a refusal. */
static void test_y_limits_typed(void **state)
{
    fixture *f = *state;
    tui_app *app = open_app(f);
    static const char alphabet[] = "0123456789.-+eE naNinfINF\t,x";
    tu_rng rng;
    tu_rng_seed(&rng, 77);
    for (int i = 0; i < 3000; i++) {
        tui_key(app, 'Y');
        assert_int_equal(app->prompting, PROMPT_Y_LIMITS);
        while (app->prompt_len)
            tui_key(app, KEY_T_BACKSPACE);
        int len = (int)tu_rng_below(&rng, 12);
        for (int k = 0; k < len; k++)
            tui_key(app, alphabet[tu_rng_below(&rng, sizeof alphabet - 1)]);
        unsigned bits = app->charts.y_limits;
        double lo = app->charts.y_lo, hi = app->charts.y_hi;
        tui_key(app, KEY_T_ENTER);
        const tui_charts *ch = &app->charts;
        if (app->message[0]) { /* refused: nothing changed */
            assert_int_equal(ch->y_limits, bits);
            assert_true(ch->y_lo == lo && ch->y_hi == hi);
        }
        if (ch->y_limits & CHART_Y_LO)
            assert_true(isfinite(ch->y_lo));
        if (ch->y_limits & CHART_Y_HI)
            assert_true(isfinite(ch->y_hi));
        if ((ch->y_limits & CHART_Y_LO) && (ch->y_limits & CHART_Y_HI))
            assert_true(ch->y_lo < ch->y_hi);
    }
    tui_app_free(app);
}

/* An all-zero series: distinct, whole tick labels (no '~', no repeats). */
static void test_all_zero(void **state)
{
    fixture *f = *state;
    tui_app *app = open_app(f);
    canvas c = {0};
    select_chart(app, &c, "zero");
    char *s = draw(app, &c, 120, 40);
    assert_null(strchr(s, '~'));
    free(s);
    tui_key(app, KEY_T_ENTER);
    s = draw(app, &c, 120, 40);
    assert_null(strchr(s, '~'));
    char l[16][16];
    int n = y_labels(&c, l, 16);
    assert_true(n >= 3);
    for (int i = 0; i + 1 < n; i++)
        assert_string_not_equal(l[i], l[i + 1]);
    free(s);
    canvas_free(&c);
    tui_app_free(app);
}

/* While the window is off the right edge, new steps leave it where it
 * was; back at the edge (F) it follows again. */
static void test_hold_while_live(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    tally_run *run = tu_run_start(dir, "live0001");
    for (int i = 0; i < 1000; i++) {
        tally_log(run, "loss", 1.0 / (1 + i));
        tally_commit(run);
    }
    tally_flush(run);
    tui_app *app = tui_app_new(dir);
    assert_int_equal(tui_open_run(app, tally_run_path(run), TAB_CHARTS), 0);
    canvas c = {0};
    tui_key(app, KEY_T_ENTER);
    tui_key(app, '+');
    tui_key(app, 'h');
    assert_int_equal(app->charts.hold, 1);
    char *before = draw(app, &c, 100, 30);
    char *foot = strstr(before, "held");
    assert_non_null(foot);
    for (int i = 1000; i < 3000; i++) {
        tally_log(run, "loss", 1.0 / (1 + i));
        tally_commit(run);
    }
    tally_flush(run);
    view_run_poll(app);
    assert_true(tally_store_info(app->run.store)->last_step >= 2999);
    char *after = draw(app, &c, 100, 30);
    /* Everything below the title line (the plot, its axes) is unchanged;
     * the title's current value is the newest. */
    assert_string_equal(strchr(strchr(before, '\n') + 1, '\n'),
                        strchr(strchr(after, '\n') + 1, '\n'));
    free(after);
    /* F: back to following, the window moves to the new end. */
    tui_key(app, 'F');
    assert_int_equal(app->charts.hold, 0);
    after = draw(app, &c, 100, 30);
    assert_string_not_equal(strchr(strchr(before, '\n') + 1, '\n'),
                            strchr(strchr(after, '\n') + 1, '\n'));
    assert_null(strstr(after, "held"));
    free(after);
    free(before);
    canvas_free(&c);
    tui_app_free(app);
    free(tu_run_finish(run, 0));
    tu_rmrf(dir); /* frees dir */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_legend),
        cmocka_unit_test(test_step_metric_axis),
        cmocka_unit_test(test_compare_cursor),
        cmocka_unit_test(test_overlay_pair_and_marks),
        cmocka_unit_test(test_pin),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_y_controls),
        cmocka_unit_test(test_all_zero),
        cmocka_unit_test(test_y_limits_typed),
        cmocka_unit_test(test_ascii),
        cmocka_unit_test(test_hold_while_live),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
