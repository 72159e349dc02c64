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
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/writer.h"
#include "testutil.h"
#include "tui/palette.h"
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

/* Sends key, then draws afresh: the new dump (the old one freed). */
static char *key_draw(tui_app *app, canvas *c, char *old, int key, int w, int h)
{
    free(old);
    tui_key(app, key);
    return draw(app, c, w, h);
}

/* The row of the first line of a dump that contains needle, -1 when none. */
static int row_of(const char *dump, const char *needle)
{
    const char *hit = strstr(dump, needle);
    if (!hit)
        return -1;
    int y = 0;
    for (const char *p = dump; p < hit; p++)
        y += *p == '\n';
    return y;
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
    assert_non_null(strstr(s, "no system samples were recorded"));
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
    assert_true(seen[palette_run_color(0)] && seen[palette_run_color(1)]);
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
    assert_non_null(strstr(s, "1 of 2 runs"));
    assert_int_equal(app->norder, 1);
    assert_string_equal(app->list->runs[app->order[0]].id, "bbbb2222");
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
    char *s = draw(app, &c, 140, 120);
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
    s = draw(app, &c, 30, 300);
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
    char *path = write_synthetic(dir, 100000);
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

    /* Logs: the newest lines, stderr marked, other escapes neutralised. */
    s = key_draw(app, &c, s, '4', 100, 30);
    assert_non_null(strstr(s, "out line 99999?[2J"));
    assert_non_null(strstr(s, "\xe2\x96\x8c err line 99993"));
    assert_non_null(strstr(s, "of 100000"));
    assert_null(strchr(s, '\033'));
    /* Search covers every line: the newest match, then older ones, down
     * to the first lines of the log; following stops. */
    tui_key(app, '/');
    for (const char *p = "line 1234"; *p; p++)
        tui_key(app, *p);
    tui_key(app, KEY_T_ENTER);
    assert_int_equal(app->logs.follow, 0);
    free(s);
    s = draw(app, &c, 100, 30);
    int y = row_of(s, "out line 12349?[2J");
    assert_true(y > 0);
    assert_true(canvas_at(&c, 6, y)->attr & CANVAS_REVERSE); /* the match stands out */
    assert_false(canvas_at(&c, 6, y + 1)->attr & CANVAS_REVERSE);
    for (int k = 0; k < 9; k++)
        s = key_draw(app, &c, s, KEY_T_ENTER, 100, 30);
    assert_true(canvas_at(&c, 6, row_of(s, "out line 12340?[2J"))->attr & CANVAS_REVERSE);
    tui_key(app, KEY_T_ENTER); /* 12 % of the way into a 100,000-line log */
    free(s);
    s = draw(app, &c, 100, 30);
    assert_true(canvas_at(&c, 6, row_of(s, "out line 1234?[2J"))->attr & CANVAS_REVERSE);
    assert_non_null(strstr(s, "scrolled"));
    tui_key(app, KEY_T_ENTER);
    assert_non_null(strstr(app->message, "no older line"));
    tui_key(app, 'N'); /* back to a newer match */
    free(s);
    s = draw(app, &c, 100, 30);
    assert_true(canvas_at(&c, 6, row_of(s, "out line 12340?[2J"))->attr & CANVAS_REVERSE);
    /* g reaches line 1, G the end again. */
    s = key_draw(app, &c, s, 'g', 100, 30);
    assert_non_null(strstr(s, " out line 0?[2J"));
    assert_non_null(strstr(s, "line 1 of 100000"));
    assert_null(strstr(s, "line 99999"));
    tui_key(app, 'k'); /* nothing above line 1 */
    s = key_draw(app, &c, s, 'j', 100, 30);
    assert_non_null(strstr(s, "line 2 of 100000"));
    tui_key(app, 'G');
    assert_int_equal(app->logs.follow, 1);
    /* Timestamps, and a narrow screen scrolled sideways. */
    s = key_draw(app, &c, s, 't', 100, 30);
    assert_non_null(strstr(s, ".000 out line 99999"));
    tui_key(app, 't');
    tui_key(app, 't');
    s = key_draw(app, &c, s, 'l', 100, 30);
    assert_non_null(strstr(s, "\n   99999?[2J")); /* "out line" scrolled off */
    assert_null(strstr(s, "line 99999"));
    tui_key(app, 'h');

    /* ASCII terminals: nothing above 0x7e anywhere, on every tab. */
    app->ascii = 1;
    for (int tab = '1'; tab <= '4'; tab++) {
        tui_key(app, tab);
        free(s);
        s = draw(app, &c, 100, 30);
        for (int row = 0; row < c.h; row++)
            for (int x = 0; x < c.w; x++)
                assert_true(canvas_at(&c, x, row)->ch < 0x7f);
    }
    (void)f;
    free(s);
    canvas_free(&c);
    tui_app_free(app);
    free(path);
    tu_rmrf(dir);
}

/* Colours of the charts' braille cells. */
static void chart_colors(const canvas *c, int seen[CANVAS_NCOLORS])
{
    memset(seen, 0, CANVAS_NCOLORS * sizeof *seen);
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++) {
            const canvas_cell *cell = canvas_at(c, x, y);
            if (cell->ch > 0x2800 && cell->ch <= 0x28ff && cell->fg < CANVAS_NCOLORS)
                seen[cell->fg] = 1;
        }
}

/* Compare 18 runs: 16 distinct colours before they repeat, the legend, a
 * run hidden and shown again with t, and d: only the config keys
 * that differ. */
static void test_compare_legend_toggle_diff(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    enum { N = 18 };
    for (int k = 0; k < N; k++) {
        char id[16], lr[32];
        snprintf(id, sizeof id, "cmp%05d", k);
        tally_run *run = tu_run_start(dir, id);
        snprintf(lr, sizeof lr, "%g", 1e-4 * (k + 1));
        tally_config_set(run, "lr", lr);
        tally_config_set(run, "batch", "64");
        tally_config_set(run, "opt", k % 2 ? "\"adam\"" : "\"sgd\"");
        for (int i = 0; i < 50; i++) {
            tally_log(run, "loss", (k + 1) * 0.1 + 1.0 / (i + 1));
            tally_commit(run);
        }
        free(tu_run_finish(run, 0));
    }
    tui_app *app = tui_app_new(dir);
    canvas c = {0};
    tui_poll(app, 0);
    for (int k = 0; k < N; k++)
        tui_key(app, ' ');
    tui_key(app, 'c');
    assert_int_equal(app->view, TUI_COMPARE);
    int colors[N];
    for (int k = 0; k < N; k++) {
        colors[k] = app->cmp[k].color;
        for (int j = 0; j < k && j < 16; j++)
            if (k < 16)
                assert_int_not_equal(colors[k], colors[j]);
    }
    char *s = draw(app, &c, 200, 50);
    assert_non_null(strstr(s, "compare"));
    assert_non_null(strstr(s, "18 of 18 runs"));
    /* The legend names every run. */
    for (int k = 0; k < N; k++) {
        char want[32];
        snprintf(want, sizeof want, "%.22s", tally_store_info(app->cmp[k].store)->name);
        assert_non_null(strstr(s, want));
    }
    int seen[CANVAS_NCOLORS];
    tui_key(app, KEY_T_ENTER); /* focus: one big chart */
    free(s);
    s = draw(app, &c, 200, 50);
    chart_colors(&c, seen);
    assert_true(seen[colors[2]]);
    /* Hide the third run: its colour leaves the chart; t again brings it back. */
    tui_key(app, '>');
    tui_key(app, '>');
    tui_key(app, 't');
    assert_true(app->cmp[2].hidden);
    free(s);
    s = draw(app, &c, 200, 50);
    assert_non_null(strstr(s, "17 of 18 runs"));
    chart_colors(&c, seen);
    assert_false(seen[colors[2]]);
    assert_true(seen[colors[3]]);
    s = key_draw(app, &c, s, 't', 200, 50);
    chart_colors(&c, seen);
    assert_true(seen[colors[2]]);
    /* Grouped: by group (none here: one group), then by lr (a group a
     * run, at most 16), then by opt: two groups, mean over a dim band. */
    s = key_draw(app, &c, s, 'a', 200, 50);
    assert_non_null(strstr(s, "by group: "));
    printf("%.400s\n", s);
    assert_non_null(strstr(s, "(none) \xc3\x97" "18"));
    s = key_draw(app, &c, s, 'a', 200, 50);
    assert_non_null(strstr(s, "by lr: "));
    s = key_draw(app, &c, s, 'a', 200, 50);
    assert_non_null(strstr(s, "by opt: "));
    assert_non_null(strstr(s, "sgd \xc3\x97" "9"));
    assert_non_null(strstr(s, "adam \xc3\x97" "9"));
    chart_colors(&c, seen);
    assert_true(seen[palette_run_color(0)] && seen[palette_run_color(1)]);
    assert_false(seen[palette_run_color(2)]);
    int dim = 0, bright = 0;
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++) {
            const canvas_cell *cell = canvas_at(&c, x, y);
            if (cell->ch > 0x2800 && cell->ch <= 0x28ff && cell->fg == palette_run_color(0))
                *(cell->attr & CANVAS_DIM ? &dim : &bright) += 1;
        }
    assert_true(dim > 10 && bright > 10); /* the band, and the mean over it */
    tui_key(app, 'a'); /* off again */
    free(s);
    s = draw(app, &c, 200, 50);
    assert_null(strstr(s, "by opt"));
    /* The config diff: lr and opt differ, batch does not. */
    s = key_draw(app, &c, s, 'd', 200, 50);
    assert_non_null(strstr(s, "config diff"));
    assert_non_null(strstr(s, "\n lr "));
    assert_non_null(strstr(s, "\n opt "));
    assert_non_null(strstr(s, "adam"));
    assert_null(strstr(s, "batch"));
    tui_key(app, KEY_T_ESC); /* back to the charts, then to the browser */
    assert_int_equal(app->view, TUI_COMPARE);
    tui_key(app, KEY_T_ESC);
    tui_key(app, KEY_T_ESC);
    assert_int_equal(app->view, TUI_RUNS);
    free(s);
    canvas_free(&c);
    tui_app_free(app);
    tu_rmrf(dir);
}

/* A run that crashed 3 s after it started, 400 s ago, on another host (so
 * its stale heartbeat says so): the header shows 3s of runtime, not the
 * time since; its system tab, with a system metric that never got a
 * sample, says there are no samples instead of staying blank. */
static void test_crashed_run_and_no_samples(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/crash", dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/crash/20260101-000000-crash001.db", dir);
    double t0 = (double)time(NULL) - 400;
    writer_run_row row = {.id = "crash001", .project = "crash", .name = "crashed-run",
                          .tags_json = "[]", .mode = "offline", .host = "elsewhere", .pid = 1,
                          .heartbeat_ms = 1000, .start_time = t0};
    store_writer *w;
    assert_int_equal(writer_create(path, &row, &w), 0);
    assert_int_equal(writer_begin(w), 0);
    assert_int_equal(writer_metric_create(w, 1, "loss", TALLY_AXIS_STEP, 0), 0);
    assert_int_equal(writer_metric_create(w, 2, "system.gpu.0.util", TALLY_AXIS_TIME, 0), 0);
    for (int64_t i = 0; i < 30; i++) {
        double y = 1.0 / (double)(i + 1);
        assert_int_equal(writer_points(w, 1, &i, &y, 1), 0);
    }
    assert_int_equal(writer_progress(w, 30, 29, 0, t0 + 3), 0);
    assert_int_equal(writer_commit(w), 0);
    writer_close(w);

    tui_app *app = tui_app_new(dir);
    canvas c = {0};
    assert_int_equal(tui_open_run(app, path, TAB_CHARTS), 0);
    char *s = draw(app, &c, 120, 20);
    assert_non_null(strstr(s, "crashed"));
    assert_non_null(strstr(s, "  3s"));
    assert_null(strstr(s, "6m"));
    s = key_draw(app, &c, s, '3', 120, 20);
    assert_non_null(strstr(s, "no system samples were recorded for this run"));
    assert_int_equal(braille_cells(&c), 0);
    /* The browser agrees on the duration. */
    tui_key(app, KEY_T_ESC);
    tui_poll(app, 0);
    free(s);
    s = draw(app, &c, 120, 20);
    assert_non_null(strstr(s, "3s crashed"));
    free(s);
    canvas_free(&c);
    tui_app_free(app);
    tu_rmrf(dir);
}

/* Rows in the catalog cache under dir/.cache. */
static int cache_rows(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/.cache/catalog.db", dir);
    sqlite3 *db;
    int n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM run", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return n;
}

/* The list refreshed in place reads only changed files; a new listing takes
 * unchanged finished runs from the catalog cache; edits and deletes go
 * through the store and show at the next refresh. */
static void test_list_refresh_and_edits(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char cache[4096];
    snprintf(cache, sizeof cache, "%s/.cache", dir); /* dot directories hold no runs */
    setenv("TALLY_CACHE_DIR", cache, 1);
    char *a = write_run(dir, "list0001", 1.0, 120), *b = write_run(dir, "list0002", 2.0, 80);
    tally_run_list *list;
    assert_int_equal(tally_store_list(dir, &list), 0);
    assert_int_equal(list->n, 2);
    assert_int_equal(cache_rows(dir), 2); /* both finished: remembered */
    const char *name0 = list->runs[0].name;
    int changed = -1;
    assert_int_equal(tally_store_list_refresh(dir, &list, &changed), 0);
    assert_int_equal(changed, 0);
    assert_ptr_equal(list->runs[0].name, name0); /* not read again */

    assert_int_equal(tally_store_set_field(a, "name", "renamed"), 0);
    assert_int_equal(tally_store_set_field(a, "tags", "[\"x\",\"y\"]"), 0);
    assert_int_equal(tally_store_set_field(a, "tags", "[1]"), TALLY_EINVAL);
    assert_int_equal(tally_store_set_field(a, "id", "z"), TALLY_EINVAL);
    assert_int_equal(tally_store_list_refresh(dir, &list, &changed), 0);
    assert_int_equal(changed, 1);
    int ia = strcmp(list->runs[0].path, a) == 0 ? 0 : 1;
    assert_string_equal(list->runs[ia].name, "renamed");
    assert_string_equal(list->runs[ia].tags_json, "[\"x\",\"y\"]");
    /* Another process: the changed file from its new cache entry. */
    tally_run_list *other;
    assert_int_equal(tally_store_list(dir, &other), 0);
    assert_int_equal(other->n, 2);
    int oa = strcmp(other->runs[0].path, a) == 0 ? 0 : 1;
    assert_string_equal(other->runs[oa].name, "renamed");
    assert_string_equal(other->runs[oa].summary_json, list->runs[ia].summary_json);
    assert_string_equal(other->runs[oa].config_json, list->runs[ia].config_json);
    assert_true(other->runs[oa].rows == 120 && other->runs[oa].state == TALLY_STATE_FINISHED);
    tally_run_list_free(other);

    /* A live run is not deleted; a finished one is, and leaves the cache. */
    tally_run *live = tu_run_start(dir, "list0003");
    char *c = strdup(tally_run_path(live));
    tally_log(live, "loss", 1);
    tally_commit(live);
    tally_flush(live);
    assert_int_equal(tally_store_delete(c), TALLY_EBUSY);
    assert_int_equal(tally_store_delete(b), 0);
    assert_int_equal(tally_store_delete(b), TALLY_ENOTFOUND);
    assert_int_equal(tally_store_list_refresh(dir, &list, &changed), 0);
    assert_int_equal(changed, 1);
    assert_int_equal(list->n, 2);
    tally_run_list_free(list);
    assert_int_equal(tally_store_list(dir, &list), 0);
    assert_int_equal(cache_rows(dir), 1); /* b pruned; the live run is never kept */
    tally_run_list_free(list);
    free(tu_run_finish(live, 0));

    /* From the browser: R renames, T tags, e annotates, D deletes after "yes". */
    tui_app *app = tui_app_new(dir);
    canvas cv = {0};
    tui_poll(app, 0);
    tui_key(app, 'G'); /* the older run: a */
    const char *typed[] = {"R", "fresh name", "T", "best, v2", "e", "a note"};
    for (size_t k = 0; k < 6; k += 2) {
        tui_key(app, typed[k][0]);
        assert_true(app->prompting);
        while (app->prompt_len)
            tui_key(app, KEY_T_BACKSPACE);
        for (const char *p = typed[k + 1]; *p; p++)
            tui_key(app, *p);
        tui_key(app, KEY_T_ENTER);
        assert_false(app->prompting);
    }
    char *s = draw(app, &cv, 120, 12);
    assert_non_null(strstr(s, "fresh name"));
    tally_store *st;
    assert_int_equal(tally_store_open(a, &st), 0);
    assert_string_equal(tally_store_info(st)->tags_json, "[\"best\",\"v2\"]");
    assert_string_equal(tally_store_info(st)->notes, "a note");
    tally_store_close(st);
    tui_key(app, '/');
    for (const char *p = "tag=v2"; *p; p++)
        tui_key(app, *p);
    tui_key(app, KEY_T_ENTER);
    free(s);
    s = draw(app, &cv, 120, 12);
    assert_non_null(strstr(s, "1 of 2 runs"));
    tui_key(app, 'D');
    tui_key(app, 'n');
    tui_key(app, 'o');
    tui_key(app, KEY_T_ENTER);
    assert_non_null(strstr(app->message, "nothing deleted"));
    tui_key(app, 'D');
    for (const char *p = "yes"; *p; p++)
        tui_key(app, *p);
    tui_key(app, KEY_T_ENTER);
    assert_non_null(strstr(app->message, "deleted 1 run"));
    struct stat sb;
    assert_int_not_equal(stat(a, &sb), 0);
    free(s);
    s = draw(app, &cv, 120, 12);
    assert_non_null(strstr(s, "0 of 1 run"));
    free(s);
    canvas_free(&cv);
    tui_app_free(app);
    unsetenv("TALLY_CACHE_DIR");
    free(a);
    free(b);
    free(c);
    tu_rmrf(dir);
}

/* The metric filter refuses a regex whose compilation would need memory
 * exponential in its length, as the runs browser's filter does. */
static void test_metric_filter_costly_regex(void **state)
{
    (void)state;
    tui_filter f = {0};
    assert_int_equal(tui_filter_set(&f, "a+++++++++++++++++++++++++++++++"), -1);
    assert_int_equal(tui_filter_set(&f, "((a{1,99}){1,99}){1,99}"), -1);
    assert_false(f.active);
    assert_int_equal(tui_filter_set(&f, "^train/(loss|acc)$"), 0);
    assert_true(tui_filter_match(&f, "train/loss"));
    assert_false(tui_filter_match(&f, "val/loss"));
    tui_filter_clear(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_view),
        cmocka_unit_test(test_metric_filter_costly_regex),
        cmocka_unit_test(test_runs_and_compare),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_hostile_text),
        cmocka_unit_test(test_series_cache_live),
        cmocka_unit_test(test_system_and_logs),
        cmocka_unit_test(test_list_refresh_and_edits),
        cmocka_unit_test(test_crashed_run_and_no_samples),
        cmocka_unit_test(test_compare_legend_toggle_diff),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
