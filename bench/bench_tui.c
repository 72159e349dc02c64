/*
 * bench_tui.c — the dashboard on a 100-metric x 1M-step run (built once
 * through tally.h, cached in bench-tui-fixture/ or $TALLY_BENCH_TUI_DIR):
 * time to the first full frame of the run view in a canvas (no terminal),
 * time of a live refresh while a writer appends, peak RSS.
 * Targets: first frame <= 150 ms, refresh <= 10 ms, RSS <= 64 MB.
 * And a wide run, 1,000 metrics x 100k steps (cached in <dir>/wide): its
 * first frame <= 60 ms, and the focused chart with the cursor legend.
 * And the media tab (in a child process of its own, its fixture in
 * <dir>/media): a 1,000-step key of 512x512 images and a 10,000-row table;
 * a slider move redraws in <= 50 ms, the table opens in <= 100 ms, and
 * scrubbing through all 1,000 images keeps peak RSS <= 64 MB.
 */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tally.h"
#include "tally_store.h"
#include "media/media.h"
#include "tui/tui.h"

#include "benchutil.h"

#define METRICS 100
#define STEPS 1000000L
#define SCREEN_W 200
#define SCREEN_H 50
#define ROUNDS 5

#define WIDE_METRICS 1000
#define WIDE_STEPS 100000L

/* The cached fixture's path (malloc'd) from dir/PATH, or NULL. */
static char *cached(const char *dir)
{
    char marker[4096];
    snprintf(marker, sizeof marker, "%s/PATH", dir);
    FILE *f = fopen(marker, "r");
    if (!f)
        return NULL;
    char line[4096] = "";
    if (!fgets(line, sizeof line, f))
        line[0] = 0;
    fclose(f);
    line[strcspn(line, "\n")] = 0;
    struct stat st;
    if (!line[0] || stat(line, &st) != 0)
        return NULL;
    return strdup(line);
}

/* Builds a fixture of metrics x steps (in a child, so its memory is not
 * counted): metric m decays from 1 + m with noise, ten metrics a group. */
static int build(const char *dir, int metrics, long steps)
{
    fprintf(stderr, "building the fixture: %d metrics x %ld steps (once)...\n", metrics, steps);
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        tally_options o = {.dir = dir,
                           .project = "bench",
                           .name = "bench-tui",
                           .sample_ms = -1,
                           .capture = TALLY_CAPTURE_NONE};
        tally_run *run;
        if (tally_init_ex(&o, &run))
            _exit(1);
        char(*keys)[32] = calloc((size_t)metrics, sizeof *keys);
        if (!keys)
            _exit(1);
        for (int m = 0; m < metrics; m++)
            snprintf(keys[m], sizeof keys[m], "group%d/metric%02d", m / 10, m);
        unsigned long long rng = 7;
        for (long s = 0; s < steps; s++) {
            for (int m = 0; m < metrics; m++) {
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                double noise = (double)(rng >> 11) / 9007199254740992.0 - 0.5;
                double v = (1.0 + m) * exp(-(double)s / ((double)steps / 5)) + 0.05 * noise;
                while (tally_log(run, keys[m], v) == TALLY_EFULL)
                    tally_flush(run); /* the disk is behind: wait for it */
            }
            tally_commit(run);
        }
        FILE *f;
        char marker[4096];
        snprintf(marker, sizeof marker, "%s/PATH", dir);
        char path[4096];
        snprintf(path, sizeof path, "%s", tally_run_path(run));
        if (tally_finish(run, 0) || !(f = fopen(marker, "w")))
            _exit(1);
        fprintf(f, "%s\n", path);
        fclose(f);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    fprintf(stderr, "built in %.1f s\n", bench_now() - t0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The wide run: 1,000 metrics x 100k steps, first frame of the run view
 * (the grid's first page) and of one focused chart with the cursor on,
 * each a fresh app; the baseline, in the same run, is tally_store_series
 * over the same charts at the same width without the dashboard. */
static int bench_wide(const char *top)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/wide", top);
    mkdir(dir, 0777);
    char *path = cached(dir);
    if (!path && (build(dir, WIDE_METRICS, WIDE_STEPS) != 0 || !(path = cached(dir)))) {
        fprintf(stderr, "bench_tui: could not build the wide fixture in %s\n", dir);
        return 1;
    }
    canvas c = {0};
    double grid[ROUNDS], focus[ROUNDS], base[ROUNDS];
    int per_page = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now();
        tui_app *app = tui_app_new(dir);
        if (!app || tui_open_run(app, path, TAB_CHARTS) != 0) {
            fprintf(stderr, "bench_tui: cannot open the wide fixture\n");
            return 1;
        }
        canvas_resize(&c, SCREEN_W, SCREEN_H);
        tui_draw(app, &c);
        grid[r] = bench_now() - t0;
        per_page = app->charts.per_page;
        tui_app_free(app);

        t0 = bench_now();
        app = tui_app_new(dir);
        tui_open_run(app, path, TAB_CHARTS);
        tui_key(app, KEY_T_ENTER);
        tui_key(app, '[');
        canvas_resize(&c, SCREEN_W, SCREEN_H);
        tui_draw(app, &c);
        focus[r] = bench_now() - t0;
        tui_app_free(app);

        /* Baseline: the store alone, per_page series of SCREEN_W / 2
         * columns of two pixels. */
        t0 = bench_now();
        tally_store *st;
        if (tally_store_open(path, &st) != 0)
            return 1;
        tally_bucket *b = malloc(SCREEN_W * sizeof *b);
        for (int m = 0; m < per_page && (size_t)m < tally_store_metric_count(st); m++) {
            const tally_metric_info *mi = tally_store_metric(st, (size_t)m);
            tally_store_series(st, mi->id, 0, mi->x_max, SCREEN_W / 2, b);
        }
        free(b);
        tally_store_close(st);
        base[r] = bench_now() - t0;
    }
    canvas_free(&c);
    qsort(grid, ROUNDS, sizeof *grid, cmp_double);
    qsort(focus, ROUNDS, sizeof *focus, cmp_double);
    qsort(base, ROUNDS, sizeof *base, cmp_double);
    double g = grid[ROUNDS / 2], f = focus[ROUNDS / 2], b0 = base[ROUNDS / 2];
    printf("wide run:      %d metrics x %ld steps, %d charts on the page\n", WIDE_METRICS,
           WIDE_STEPS, per_page);
    printf("wide first frame: %6.1f ms median (%.2fx the store baseline of %.1f ms)  "
           "[target <= 60]\n",
           g * 1e3, g / b0, b0 * 1e3);
    printf("wide focused + cursor: %6.1f ms median (%.2fx the baseline)\n", f * 1e3, f / b0);
    free(path);
    return g <= 0.060 ? 0 : 2;
}

#define MEDIA_IMAGES 1000
#define MEDIA_SIDE 512
#define MEDIA_ROWS 10000

/* The media fixture, logged through tally.h in a child. */
static int build_media(const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        tally_options o = {.dir = dir, .project = "media", .flush_ms = 200, .sample_ms = -1,
                           .capture = TALLY_CAPTURE_NONE};
        tally_run *run;
        if (tally_init_ex(&o, &run))
            _exit(1);
        unsigned char *px = malloc((size_t)MEDIA_SIDE * MEDIA_SIDE * 3);
        for (int i = 0; i < MEDIA_IMAGES; i++) {
            for (int y = 0; y < MEDIA_SIDE; y++)
                for (int x = 0; x < MEDIA_SIDE; x++) {
                    unsigned char *q = px + ((size_t)y * MEDIA_SIDE + x) * 3;
                    q[0] = (unsigned char)(x / 2 + i), q[1] = (unsigned char)(y / 2);
                    q[2] = (unsigned char)(i * 7);
                }
            tally_image im = {.pixels = px, .width = MEDIA_SIDE, .height = MEDIA_SIDE,
                              .channels = 3};
            int rc = tally_log_image(run, "img", &im);
            for (int tries = 0; rc == TALLY_EFULL && tries < 20; tries++) {
                tally_flush(run); /* the encoder behind: wait for it, then again */
                rc = tally_log_image(run, "img", &im);
            }
            if (rc)
                _exit(1);
            if (i == 0) {
                size_t cap = (size_t)MEDIA_ROWS * 64 + 64, n = 0;
                char *json = malloc(cap);
                n += (size_t)snprintf(json, cap, "{\"columns\":[\"id\",\"name\",\"score\"],\"data\":[");
                for (int r = 0; r < MEDIA_ROWS; r++)
                    n += (size_t)snprintf(json + n, cap - n, "%s[%d,\"row %d\",%.4f]", r ? "," : "",
                                          r, r * 7 % 1000, (r * 37 % 1000) / 1000.0);
                snprintf(json + n, cap - n, "]}");
                if (tally_log_table(run, "big", json))
                    _exit(1);
                free(json);
            }
            tally_commit(run);
        }
        char marker[4200];
        snprintf(marker, sizeof marker, "%s/PATH", dir);
        FILE *f = fopen(marker, "w");
        if (f) {
            fprintf(f, "%s\n", tally_run_path(run));
            fclose(f);
        }
        _exit(tally_finish(run, 0) ? 1 : 0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* The media measures (run in a child: its peak RSS is its own).  Returns
 * 0 when the targets are met, 2 when not, 1 on failure. */
static int bench_media(const char *top)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/media", top);
    mkdir(dir, 0777);
    char *path = cached(dir);
    if (!path && (build_media(dir) != 0 || !(path = cached(dir)))) {
        fprintf(stderr, "bench_tui: could not build the media fixture in %s\n", dir);
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss0 = ru.ru_maxrss / 1024.0;
    canvas c = {0};
    canvas_resize(&c, SCREEN_W, SCREEN_H);
    enum { MOVES = 21 };

    /* The slider on the image key, one step back at a time (each a step
     * not drawn before); baseline: reading and decoding that image alone. */
    tui_app *app = tui_app_new(dir);
    if (!app || tui_open_run(app, path, TAB_MEDIA) != 0)
        return 1;
    tui_filter_set(&app->metric_filter, "^img$");
    tui_draw(app, &c);
    const tally_media_key *mk = tally_store_find_media_key(app->run.store, "img");
    int64_t *steps = NULL;
    size_t nsteps = 0;
    if (!mk || tally_media_steps(app->run.store, mk->metric_id, &steps, &nsteps) || nsteps < MOVES + 1)
        return 1;
    double move[MOVES], base[MOVES];
    for (int i = 0; i < MOVES; i++) {
        tui_key(app, '[');
        double t0 = bench_now();
        tui_draw(app, &c);
        move[i] = bench_now() - t0;
        /* The baseline: the next step's file read and decoded. */
        tally_media_iter *it;
        tally_media md;
        int64_t s = steps[nsteps - 3 - (size_t)i];
        t0 = bench_now();
        if (tally_media_open(app->run.store, mk->metric_id, s, s, &it) == 0) {
            if (tally_media_next(it, &md) == 1 && md.nfiles) {
                void *data;
                size_t size;
                media_pixels px = {0};
                if (tally_store_blob(app->run.store, md.files[0].sha256, &data, &size) == 0) {
                    media_image_decode_rgba(data, size, &px);
                    free(data);
                    media_pixels_free(&px);
                }
            }
            tally_media_close(it);
        }
        base[i] = bench_now() - t0;
    }
    double mv = median(move, MOVES), bs = median(base, MOVES);
    tui_app_free(app);

    /* The 10,000-row table, opened in a fresh app; baseline: its read
     * through tally_media_table alone. */
    double topen[5], tbase[5];
    for (int r = 0; r < 5; r++) {
        app = tui_app_new(dir);
        if (!app || tui_open_run(app, path, TAB_MEDIA) != 0)
            return 1;
        tui_filter_set(&app->metric_filter, "^big$");
        double t0 = bench_now();
        tui_draw(app, &c);
        tui_key(app, KEY_T_ENTER);
        tui_draw(app, &c);
        topen[r] = bench_now() - t0;
        const tally_media_key *bk = tally_store_find_media_key(app->run.store, "big");
        tally_media_iter *it;
        tally_media md;
        t0 = bench_now();
        if (bk && tally_media_open(app->run.store, bk->metric_id, INT64_MIN, INT64_MAX, &it) == 0) {
            tally_table *t;
            if (tally_media_next(it, &md) == 1 && tally_media_table(app->run.store, &md, &t) == 0)
                tally_table_free(t);
            tally_media_close(it);
        }
        tbase[r] = bench_now() - t0;
        tui_app_free(app);
    }
    double to = median(topen, 5), tb = median(tbase, 5);

    /* Every image once, first to last (a gallery-sized cache stays bounded). */
    app = tui_app_new(dir);
    if (!app || tui_open_run(app, path, TAB_MEDIA) != 0)
        return 1;
    tui_filter_set(&app->metric_filter, "^img$");
    tui_key(app, '{');
    double t0 = bench_now();
    for (size_t i = 0; i < nsteps; i++) {
        tui_draw(app, &c);
        tui_key(app, ']');
    }
    double scrub = bench_now() - t0;
    tui_app_free(app);
    getrusage(RUSAGE_SELF, &ru);
    double rss = ru.ru_maxrss / 1024.0;
    free(steps);
    canvas_free(&c);
    free(path);
    printf("media slider:  %6.1f ms median a move on a %dx%d image key (%.2fx reading and "
           "decoding the image alone, %.1f ms)  [target <= 50]\n",
           mv * 1e3, MEDIA_SIDE, MEDIA_SIDE, mv / bs, bs * 1e3);
    printf("media table:   %6.1f ms median to open %d rows (%.2fx tally_media_table alone, %.1f "
           "ms)  [target <= 100]\n",
           to * 1e3, MEDIA_ROWS, to / tb, tb * 1e3);
    printf("media scrub:   %zu images in %.2f s; peak RSS %.1f MB (%.1f MB before the media tab)"
           "  [target <= 64]\n",
           nsteps, scrub, rss, rss0);
    return mv <= 0.050 && to <= 0.100 && rss <= 64 ? 0 : 2;
}

/* `bench_tui wide` measures the wide run alone. */
int main(int argc, char **argv)
{
    const char *dir = getenv("TALLY_BENCH_TUI_DIR");
    if (!dir)
        dir = "bench-tui-fixture";
    mkdir(dir, 0777);
    if (argc > 1 && strcmp(argv[1], "wide") == 0)
        return bench_wide(dir) == 1;
    if (argc > 1 && strcmp(argv[1], "media") == 0)
        return bench_media(dir) == 1;
    char *path = cached(dir);
    if (!path) {
        if (build(dir, METRICS, STEPS) != 0 || !(path = cached(dir))) {
            fprintf(stderr, "bench_tui: could not build the fixture in %s\n", dir);
            return 1;
        }
    }
    struct stat st;
    stat(path, &st);
    printf("fixture: %s (%.0f MB), %d metrics x %ld steps\n", path, st.st_size / 1e6, METRICS,
           STEPS);

    double first[ROUNDS];
    canvas c = {0};
    char title[64] = "";
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now();
        tui_app *app = tui_app_new(dir);
        if (!app || tui_open_run(app, path, TAB_CHARTS) != 0) {
            fprintf(stderr, "bench_tui: cannot open the fixture\n");
            return 1;
        }
        canvas_resize(&c, SCREEN_W, SCREEN_H);
        tui_draw(app, &c);
        first[r] = bench_now() - t0;
        if (r == 0) {
            snprintf(title, sizeof title, "%d charts on the page", app->charts.per_page);
        }
        tui_app_free(app);
    }

    /* Live refresh: a child resumes the run and appends 25 steps of every
     * metric each 250 ms (100 steps/s, a flush each time); the dashboard
     * polls, and each time the file changed, redraws the page.  A refresh
     * is that poll plus the redraw. */
    const tally_run_info *info0;
    tui_app *app = tui_app_new(dir);
    tui_open_run(app, path, TAB_CHARTS);
    info0 = tally_store_info(app->run.store);
    char id[64], project[64];
    snprintf(id, sizeof id, "%s", info0->id);
    snprintf(project, sizeof project, "%s", info0->project);
    canvas_resize(&c, SCREEN_W, SCREEN_H);
    tui_draw(app, &c);
    enum { REFRESHES = 16 };
    pid_t writer = fork();
    if (writer == 0) {
        tally_options o = {.dir = dir,
                           .project = project,
                           .id = id,
                           .sample_ms = -1,
                           .capture = TALLY_CAPTURE_NONE,
                           .flush_ms = 100000};
        tally_run *run;
        if (tally_init_ex(&o, &run))
            _exit(1);
        for (int r = 0; r < REFRESHES + 4; r++) {
            for (int s = 0; s < 25; s++) {
                for (int m = 0; m < METRICS; m++) {
                    char key[32];
                    snprintf(key, sizeof key, "group%d/metric%02d", m / 10, m);
                    tally_log(run, key, 0.5 + 0.01 * s);
                }
                tally_commit(run);
            }
            tally_flush(run);
            struct timespec ts = {0, 250000000};
            nanosleep(&ts, NULL);
        }
        _exit(tally_finish(run, 0) ? 1 : 0);
    }
    double redraw[REFRESHES], poll_total = 0;
    int polls = 0, got = 0;
    double deadline = bench_now() + 30;
    int64_t step0 = -1, step1 = -1;
    while (got < REFRESHES && bench_now() < deadline) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        double t0 = bench_now();
        int changed = view_run_poll(app);
        double t1 = bench_now();
        poll_total += t1 - t0;
        polls++;
        if (!changed)
            continue;
        canvas_resize(&c, SCREEN_W, SCREEN_H);
        tui_draw(app, &c);
        redraw[got++] = bench_now() - t0;
        step1 = tally_store_info(app->run.store)->last_step;
        if (step0 < 0)
            step0 = step1;
    }
    kill(writer, SIGTERM);
    waitpid(writer, NULL, 0);
    if (got < 4) {
        fprintf(stderr, "bench_tui: the live writer did not show up (%d refreshes)\n", got);
        return 1;
    }
    /* Zoomed in 64x at the live end, the common view of a long run. */
    for (int i = 0; i < 6; i++)
        tui_key(app, '+');
    double t0 = bench_now();
    for (int i = 0; i < 10; i++)
        tui_draw(app, &c);
    double zoomed = (bench_now() - t0) / 10;
    /* The other x axes (wall and relative time map each bucket through the
     * _timestamp / _runtime series): the first frame after the switch. */
    tui_key(app, '0');
    double xframe[XMODE_COUNT] = {0};
    for (int mode = 1; mode < XMODE_COUNT; mode++) {
        tui_key(app, 'x');
        t0 = bench_now();
        tui_draw(app, &c);
        xframe[mode] = bench_now() - t0;
    }
    tui_key(app, 'x');
    tui_app_free(app);
    canvas_free(&c);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mb = ru.ru_maxrss / 1024.0;
    /* The first change reloads the metric list after the resume: skip it. */
    qsort(redraw + 1, (size_t)got - 1, sizeof *redraw, cmp_double);
    double sorted[ROUNDS];
    memcpy(sorted, first, sizeof first);
    qsort(sorted, ROUNDS, sizeof *sorted, cmp_double);

    printf("screen %dx%d, %s\n", SCREEN_W, SCREEN_H, title);
    printf("first frame:   %6.1f ms (first round), median %.1f ms, max %.1f ms  [target <= 150]\n",
           first[0] * 1e3, sorted[ROUNDS / 2] * 1e3, sorted[ROUNDS - 1] * 1e3);
    printf("live refresh:  %6.2f ms median, max %.2f ms over %d refreshes while steps %lld..%lld "
           "were appended (an idle poll: %.3f ms)  [target <= 10]\n",
           redraw[1 + (got - 1) / 2] * 1e3, redraw[got - 1] * 1e3, got - 1, (long long)step0,
           (long long)step1, poll_total / polls * 1e3);
    printf("zoomed 64x:    %6.2f ms a frame\n", zoomed * 1e3);
    printf("x axis:        %6.1f ms relative time, %.1f ms wall time, %.1f ms _step "
           "(first frame after the switch)\n",
           xframe[XMODE_RELTIME] * 1e3, xframe[XMODE_WALL] * 1e3, xframe[XMODE_RAW_STEP] * 1e3);
    printf("peak RSS:      %6.1f MB  [target <= 64]\n", rss_mb);
    int ok = sorted[ROUNDS / 2] <= 0.150 && redraw[1 + (got - 1) / 2] <= 0.010 && rss_mb <= 64;
    free(path);
    int wide = bench_wide(dir);
    if (wide == 1)
        return 1;
    ok = ok && wide == 0;
    fflush(stdout);
    pid_t pid = fork(); /* the media tab's peak RSS, apart from the run view's */
    if (pid == 0)
        _exit(bench_media(dir));
    int status = 1;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 1)
        return 1;
    ok = ok && WEXITSTATUS(status) == 0;
    printf("%s\n", ok ? "all targets met" : "TARGET MISSED");
    return 0;
}
