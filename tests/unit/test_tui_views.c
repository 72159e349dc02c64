/*
 * test_tui_views.c — the dashboard's views drawn into a canvas from real
 * run files (no terminal): the runs browser, the run view's tabs, focus,
 * zoom / pan / smoothing changing the picture, compare, help generated
 * from the key table, every size down to 30x8, and hostile text.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "store/writer.h"
#include "testutil.h"
#include "tui/tui.h"

typedef struct fixture {
    char *dir;
    char *path_a, *path_b;
} fixture;

static char *write_run(const char *dir, const char *id, double scale, int steps)
{
    tally_run *run = tu_run_start(dir, id);
    tally_define_metric(run, "val/*", "epoch", 0, TALLY_GOAL_MINIMIZE);
    for (int i = 0; i < steps; i++) {
        tally_log(run, "train/loss", scale * exp(-i / 300.0) + 0.01 * sin(i));
        tally_log(run, "train/acc", 1 - exp(-i / 200.0));
        tally_log(run, "lr", 0.001);
        tally_log_int(run, "epoch", i / 100);
        if (i % 100 == 99)
            tally_log(run, "val/loss", scale * exp(-i / 300.0) + 0.05);
        if (i == 500)
            tally_log(run, "train/gap", NAN);
        tally_commit(run);
    }
    tally_summary_set(run, "best", 0.5);
    return tu_run_finish(run, 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    f->path_a = write_run(f->dir, "aaaa1111", 2.0, 1500);
    f->path_b = write_run(f->dir, "bbbb2222", 1.0, 900);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    free(f->path_a);
    free(f->path_b);
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

static int braille_cells(const canvas *c)
{
    int n = 0;
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++) {
            uint32_t ch = canvas_at(c, x, y)->ch;
            n += ch > 0x2800 && ch <= 0x28ff;
        }
    return n;
}

static void test_run_view(void **state)
{
    fixture *f = *state;
    tui_app *app = tui_app_new(f->dir);
    canvas c = {0};
    assert_int_equal(tui_open_run(app, f->path_a, TAB_CHARTS), 0);
    assert_int_equal(app->view, TUI_RUN);
    char *s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "train/loss"));
    assert_non_null(strstr(s, "train/acc"));
    assert_non_null(strstr(s, "val/loss"));
    assert_non_null(strstr(s, "aaaa1111"));
    assert_non_null(strstr(s, "step 1499"));
    assert_true(braille_cells(&c) > 100);

    /* Zoom, pan, smoothing, log y and the x axis each change the picture. */
    const int keys[] = {'+', '+', 'h', '-', 's', 'y', 'x', '0'};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        tui_key(app, keys[i]);
        char *t = draw(app, &c, 120, 40);
        if (strcmp(s, t) == 0)
            fail_msg("key '%c' did not change the screen", keys[i]);
        free(s);
        s = t;
    }
    /* Focus: one chart with axes, then back with Esc. */
    tui_key(app, KEY_T_ENTER);
    free(s);
    s = draw(app, &c, 120, 40);
    assert_int_equal(app->charts.focus, 1);
    tui_key(app, KEY_T_ESC);
    assert_int_equal(app->charts.focus, 0);
    assert_int_equal(app->view, TUI_RUN);

    /* The filter keeps matching metrics only. */
    tui_key(app, '/');
    for (const char *p = "^val"; *p; p++)
        tui_key(app, *p);
    tui_key(app, KEY_T_ENTER);
    free(s);
    s = draw(app, &c, 120, 40);
    assert_non_null(strstr(s, "val/loss"));
    assert_null(strstr(s, "train/acc"));
    tui_key(app, KEY_T_ESC); /* drops the filter */
    assert_int_equal(app->metric_filter.active, 0);

    /* The other tabs. */
    tui_key(app, '2');
    free(s);
    s = draw(app, &c, 100, 30);
    assert_non_null(strstr(s, "summary"));
    if (!strstr(s, "best"))
        fail_msg("no 'best' in\n%s", s);
    tui_key(app, '3');
    free(s);
    s = draw(app, &c, 100, 30);
    assert_non_null(strstr(s, "no system metrics"));
    tui_key(app, '4');
    free(s);
    s = draw(app, &c, 100, 30);
    assert_non_null(strstr(s, "no console output"));
    tui_key(app, '1');

    /* Every size, the tiny ones included, draws without trouble. */
    for (int w = 0; w <= 40; w += 5)
        for (int h = 0; h <= 12; h += 2) {
            free(s);
            s = draw(app, &c, w, h);
        }
    free(s);
    s = draw(app, &c, 30, 8);
    assert_true(braille_cells(&c) > 5);
    assert_non_null(strstr(s, "train/")); /* the one chart of the page has a name */

    /* Esc goes back to the runs browser, q quits. */
    tui_key(app, KEY_T_ESC);
    assert_int_equal(app->view, TUI_RUNS);
    tui_key(app, 'q');
    assert_int_equal(app->quit, 1);
    free(s);
    canvas_free(&c);
    tui_app_free(app);
}

static void test_runs_and_compare(void **state)
{
    fixture *f = *state;
    tui_app *app = tui_app_new(f->dir);
    canvas c = {0};
    assert_int_equal(tui_poll(app, 100.0), 1);
    char *s = draw(app, &c, 140, 20);
    assert_non_null(strstr(s, "aaaa1111"));
    assert_non_null(strstr(s, "bbbb2222"));
    assert_non_null(strstr(s, "1500"));
    /* Select both, compare. */
    tui_key(app, ' ');
    tui_key(app, ' ');
    assert_int_equal(app->nchosen, 2);
    tui_key(app, 'c');
    assert_int_equal(app->view, TUI_COMPARE);
    free(s);
    s = draw(app, &c, 140, 40);
    assert_non_null(strstr(s, "compare"));
    assert_non_null(strstr(s, "train/loss"));
    /* Two colours on the charts: one per run. */
    int seen[CANVAS_NCOLORS] = {0};
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++) {
            const canvas_cell *cell = canvas_at(&c, x, y);
            if (cell->ch > 0x2800 && cell->ch <= 0x28ff)
                seen[cell->fg] = 1;
        }
    assert_true(seen[CANVAS_CYAN] && seen[CANVAS_YELLOW]);
    tui_key(app, KEY_T_ESC);
    assert_int_equal(app->view, TUI_RUNS);
    /* Sorting by each column, reversing, filtering. */
    for (int i = 0; i < 6; i++) {
        tui_key(app, 'o');
        free(s);
        s = draw(app, &c, 100, 10);
    }
    tui_key(app, 'r');
    tui_key(app, '/');
    for (const char *p = "bbbb"; *p; p++)
        tui_key(app, *p);
    tui_key(app, KEY_T_ENTER);
    free(s);
    s = draw(app, &c, 100, 10);
    assert_null(strstr(s, "aaaa1111"));
    assert_non_null(strstr(s, "bbbb2222"));
    /* Enter opens the run under the cursor. */
    tui_key(app, KEY_T_ENTER);
    assert_int_equal(app->view, TUI_RUN);
    free(s);
    s = draw(app, &c, 30, 8);
    free(s);
    canvas_free(&c);
    tui_app_free(app);
}

static void test_help(void **state)
{
    (void)state;
    tui_app *app = tui_app_new("/nonexistent");
    canvas c = {0};
    tui_key(app, '?');
    assert_int_equal(app->view, TUI_HELP);
    char *s = draw(app, &c, 140, 80);
    /* Every help line of the key table is on the screen, whole, and every
     * description starts in the same column. */
    size_t n;
    const keymap_entry *t = keymap_table(&n);
    long col = -1;
    for (size_t i = 0; i < n; i++)
        if (t[i].help) {
            const char *at = strstr(s, t[i].help);
            assert_non_null(at);
            const char *bol = at;
            while (bol > s && bol[-1] != '\n')
                bol--;
            if (col < 0)
                col = at - bol;
            assert_int_equal(at - bol, col);
        }
    free(s);
    /* At 30 columns the descriptions wrap onto lines of their own: every
     * word is there and nothing is cut short with '~'. */
    s = draw(app, &c, 30, 200);
    assert_null(strchr(s, '~'));
    for (size_t i = 0; i < n; i++) {
        if (!t[i].help)
            continue;
        char word[128];
        for (const char *p = t[i].help; *p;) {
            size_t len = strcspn(p, " ");
            snprintf(word, sizeof word, "%.*s", (int)len, p);
            assert_non_null(strstr(s, word));
            p += len;
            while (*p == ' ')
                p++;
        }
    }
    tui_key(app, KEY_T_ESC);
    assert_int_equal(app->view, TUI_RUNS);
    free(s);
    s = draw(app, &c, 30, 8);
    assert_non_null(strstr(s, "no runs"));
    free(s);
    canvas_free(&c);
    tui_app_free(app);
}

static void test_hostile_text(void **state)
{
    fixture *f = *state;
    tally_options o = {.dir = f->dir,
                       .project = "evil",
                       .name = "run\033]0;PWNED\007\033[2J",
                       .notes = "\033[31mred\033[0m",
                       .flush_ms = 5,
                       .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE,
                       .config_json = "{\"k\":\"\\u001b]2;title\\u0007\\u009b2J\"}"};
    tally_run *run = NULL;
    assert_int_equal(tally_init_ex(&o, &run), 0);
    tally_log(run,
              "m\xc2\x9b"
              "2J",
              1);
    tally_log(run, "ok", 2);
    tally_commit(run);
    char *path = tu_run_finish(run, 0);
    tui_app *app = tui_app_new(f->dir);
    canvas c = {0};
    tui_poll(app, 100);
    for (int tab = -1; tab < TAB_COUNT; tab++) {
        if (tab >= 0)
            assert_int_equal(tui_open_run(app, path, (tui_tab)tab), 0);
        char *s = draw(app, &c, 120, 30);
        assert_null(strchr(s, '\033'));
        assert_null(strchr(s, '\007'));
        assert_null(strstr(s, "\xc2\x9b"));
        for (int y = 0; y < c.h; y++)
            for (int x = 0; x < c.w; x++) {
                uint32_t ch = canvas_at(&c, x, y)->ch;
                assert_true(ch >= 0x20 && ch != 0x7f && !(ch >= 0x80 && ch < 0xa0));
            }
        free(s);
    }
    free(path);
    canvas_free(&c);
    tui_app_free(app);
}

static int same_y(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static int same_buckets(const tally_bucket *a, const tally_bucket *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i].n != b[i].n)
            return 0;
        if (a[i].n && (a[i].x_first != b[i].x_first || a[i].x_last != b[i].x_last ||
                       !same_y(a[i].y_min, b[i].y_min) || !same_y(a[i].y_max, b[i].y_max) ||
                       !same_y(a[i].y_first, b[i].y_first) || !same_y(a[i].y_last, b[i].y_last)))
            return 0;
    }
    return 1;
}

/* The series cache answers exactly what tally_store_series does, while a
 * run grows under it and the grid pans by whole and partial buckets. */
static void test_series_cache_live(void **state)
{
    fixture *f = *state;
    tally_run *run = tu_run_start(f->dir, "cccc3333");
    tally_store *st = NULL;
    series_cache *cache = series_cache_new();
    enum { NB = 40 };
    tally_bucket got[NB], want[NB];
    tu_rng rng;
    tu_rng_seed(&rng, 3);
    int64_t step = 0;
    for (int round = 0; round < 30; round++) {
        int add = (int)tu_rng_below(&rng, 400) + 1;
        for (int i = 0; i < add; i++, step++) {
            tally_log(run, "y", i % 17 == 0 ? NAN : tu_rng_unit(&rng));
            tally_commit(run);
        }
        assert_int_equal(tally_flush(run), 0);
        if (!st)
            st = tu_store_open(tally_run_path(run));
        else
            assert_int_equal(tally_store_refresh(st, NULL), 0);
        const tally_metric_info *m = tally_store_find_metric(st, "y");
        assert_non_null(m);
        /* A grid following the end, one fixed at the start, one panning. */
        int64_t k = step / NB + 1;
        const int64_t grids[3][2] = {{0, k}, {0, 50}, {(int64_t)round * 37, 13}};
        for (int g = 0; g < 3; g++) {
            int64_t x0 = grids[g][0], kk = grids[g][1];
            assert_int_equal(series_cache_get(cache, st, m, x0, kk, NB, got), 0);
            assert_int_equal(tally_store_series(st, m->id, x0, x0 + kk * NB - 1, NB, want), 0);
            assert_true(same_buckets(got, want, NB));
        }
    }
    series_cache_forget(cache, st);
    series_cache_free(cache);
    tally_store_close(st);
    free(tu_run_finish(run, 0));
}

/* A run as the capture work will write it: system.* series on the time
 * axis and console lines (stderr among them), through the store writer. */
static char *write_synthetic(const char *dir, int nlines)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/synth", dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/synth/20260101-000000-synth001.db", dir);
    double t0 = 1.7e9;
    writer_run_row row = {.id = "synth001", .project = "synth", .name = "synthetic",
                          .tags_json = "[]", .mode = "offline", .host = "nowhere", .pid = 1,
                          .heartbeat_ms = 1000, .start_time = t0};
    store_writer *w;
    assert_int_equal(writer_create(path, &row, &w), 0);
    assert_int_equal(writer_begin(w), 0);
    assert_int_equal(writer_metric_create(w, 1, "loss", TALLY_AXIS_STEP, 0), 0);
    assert_int_equal(writer_metric_create(w, 2, "system.cpu", TALLY_AXIS_TIME, 0), 0);
    for (int64_t i = 0; i < 200; i++) {
        double y = exp(-(double)i / 50), cpu = 50 + 40 * sin((double)i / 10);
        int64_t ms = i * 2000;
        assert_int_equal(writer_points(w, 1, &i, &y, 1), 0);
        assert_int_equal(writer_points(w, 2, &ms, &cpu, 1), 0);
    }
    for (int i = 0; i < nlines; i++) {
        char line[64];
        int stream = i % 10 == 3 ? 2 : 1;
        snprintf(line, sizeof line, "%s line %d\033[2J", stream == 2 ? "err" : "out", i);
        assert_int_equal(writer_log(w, t0 + i, stream, line, strlen(line)), 0);
    }
    assert_int_equal(writer_progress(w, 200, 199, 1234, t0 + 400), 0); /* 1234 values dropped */
    assert_int_equal(writer_end(w, "finished", 0, t0 + 400), 0);
    assert_int_equal(writer_commit(w), 0);
    writer_close(w);
    return strdup(path);
}

static void test_system_and_logs(void **state)
{
    fixture *f = *state;
    char *dir = tu_tmpdir();
    char *path = write_synthetic(dir, 25000);
    tui_app *app = tui_app_new(dir);
    canvas c = {0};
    assert_int_equal(tui_open_run(app, path, TAB_SYSTEM), 0);
    char *s = draw(app, &c, 100, 30);
    assert_non_null(strstr(s, "1234 dropped")); /* the header never hides a loss */
    assert_non_null(strstr(s, "system.cpu"));
    assert_null(strstr(s, "loss")); /* step metrics stay on the charts tab */
    assert_true(braille_cells(&c) > 50);
    tui_key(app, KEY_T_ENTER); /* focused: the x axis reads as time */
    free(s);
    s = draw(app, &c, 100, 30);
    assert_non_null(strstr(s, "m"));
    assert_non_null(strstr(s, "6m"));
    assert_non_null(strstr(s, "system.cpu (%)")); /* its unit */
    assert_non_null(strstr(s, " time\n"));        /* the x axis: time, not step */
    assert_null(strstr(s, "step\n"));

    /* Logs: the newest lines, at most the kept window, stderr marked. */
    tui_key(app, '4');
    free(s);
    s = draw(app, &c, 100, 30);
    assert_true(app->logs.n <= 20000 && app->logs.n >= 10000);
    assert_non_null(strstr(s, "out line 24999?[2J"));
    assert_non_null(strstr(s, "\xe2\x96\x8c err line 24993"));
    assert_null(strchr(s, '\033'));
    /* Search: the newest match, then older ones; following stops. */
    tui_key(app, '/');
    for (const char *p = "line 2499"; *p; p++)
        tui_key(app, *p);
    tui_key(app, KEY_T_ENTER);
    assert_int_equal(app->logs.follow, 0);
    long first = app->logs.match;
    assert_true(first >= 0);
    assert_string_equal(app->logs.lines[first].text, "out line 24999\033[2J");
    tui_key(app, KEY_T_ENTER);
    assert_int_equal(app->logs.match, first - 1);
    free(s);
    s = draw(app, &c, 100, 30);
    assert_non_null(strstr(s, "scrolled"));
    tui_key(app, 'g');
    free(s);
    s = draw(app, &c, 100, 30);
    assert_null(strstr(s, "line 24999"));
    tui_key(app, 'G');
    assert_int_equal(app->logs.follow, 1);

    /* ASCII terminals: nothing above 0x7e anywhere, on every tab. */
    app->ascii = 1;
    for (int tab = '1'; tab <= '4'; tab++) {
        tui_key(app, tab);
        free(s);
        s = draw(app, &c, 100, 30);
        for (int y = 0; y < c.h; y++)
            for (int x = 0; x < c.w; x++)
                assert_true(canvas_at(&c, x, y)->ch < 0x7f);
    }
    (void)f;
    free(s);
    canvas_free(&c);
    tui_app_free(app);
    free(path);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_view),
        cmocka_unit_test(test_runs_and_compare),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_hostile_text),
        cmocka_unit_test(test_series_cache_live),
        cmocka_unit_test(test_system_and_logs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
