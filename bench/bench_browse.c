/*
 * bench_browse.c — the runs browser and compare at the scale of a real
 * store.  Fixtures (built once, cached in bench-browse-fixture/ or
 * $TALLY_BENCH_BROWSE_DIR): 2,000 finished runs of a sweep (config, a
 * min/last summary, 20 steps each), and 20 runs of 50,000 steps of four
 * metrics.  Measured, as in a terminal but into a canvas:
 *   - the browser's first frame on 2,000 runs, warm (the files in the page
 *     cache, the catalog cache filled by an earlier listing), against the
 *     same-run baseline of reading every run file once (what every poll
 *     cost before), and without the catalog cache;
 *   - the browser's CPU while idle (polled as screen.c polls, 10 s), as a
 *     share of one core;
 *   - compare's first frame on the 20 long runs, warm.
 * Targets: first frame <= 200 ms, idle <= 2 % of a core, compare <= 150 ms.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/writer.h"
#include "tally_store.h"
#include "tui/tui.h"

#include "benchutil.h"

#define RUNS 2000
#define LONG_RUNS 20
#define LONG_STEPS 50000
#define SCREEN_W 200
#define SCREEN_H 50
#define ROUNDS 5
#define IDLE_S 10.0
#define POLL_S 0.25 /* screen.c's SCREEN_POLL_MS */

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static int fail(const char *what)
{
    fprintf(stderr, "bench_browse: %s\n", what);
    return -1;
}

/* One finished run file written straight through the store writer. */
static int write_run(const char *dir, int k, int steps, int nmetrics)
{
    char path[4200], id[16], name[32], json[64];
    snprintf(id, sizeof id, "r%07d", k);
    snprintf(name, sizeof name, "sweep-%04d", k);
    snprintf(path, sizeof path, "%s/20260101-%06d-%s.db", dir, k, id);
    double t0 = 1.7e9 + k * 60.0;
    writer_run_row row = {.id = id, .project = "sweep", .name = name, .tags_json = "[\"bench\"]",
                          .mode = "offline", .host = "nowhere", .pid = 1, .heartbeat_ms = 1000,
                          .start_time = t0};
    store_writer *w;
    if (writer_create(path, &row, &w))
        return fail("cannot create a fixture run");
    int rc = writer_begin(w);
    static const char *const names[] = {"train/loss", "val/loss", "train/acc", "lr"};
    double lr = 1e-4 * (1 + k % 10), scale = 0.5 + (k * 7919 % 1000) / 1000.0;
    for (int m = 0; m < nmetrics && !rc; m++)
        rc = writer_metric_create(w, m + 1, names[m % 4], TALLY_AXIS_STEP, 0);
    int64_t *x = malloc((size_t)steps * sizeof *x);
    double *y = malloc((size_t)steps * sizeof *y);
    if (!x || !y)
        rc = -1;
    for (int m = 0; m < nmetrics && !rc; m++) {
        for (int s = 0; s < steps; s++) {
            x[s] = s;
            y[s] = m == 3 ? lr : scale * exp(-s / (steps / 4.0)) + 0.01 * sin(s + m);
        }
        rc = writer_points(w, m + 1, x, y, (size_t)steps);
    }
    free(x);
    free(y);
    snprintf(json, sizeof json, "%g", lr);
    if (!rc)
        rc = writer_config(w, "lr", json);
    snprintf(json, sizeof json, "%d", 32 << (k % 4));
    if (!rc)
        rc = writer_config(w, "batch_size", json);
    snprintf(json, sizeof json, "{\"min\":%.6f,\"last\":%.6f}", scale * 0.1, scale * 0.12);
    if (!rc)
        rc = writer_summary(w, "val/loss", json);
    snprintf(json, sizeof json, "%.6f", scale * 0.11);
    if (!rc)
        rc = writer_summary(w, "train/loss", json);
    if (!rc)
        rc = writer_progress(w, steps, steps - 1, 0, t0 + 600);
    if (!rc)
        rc = writer_end(w, "finished", 0, t0 + 600);
    if (!rc)
        rc = writer_commit(w);
    writer_close(w);
    return rc ? fail("cannot write a fixture run") : 0;
}

/* dir/NAME/ with n runs, built unless its DONE marker is there. */
static int fixture(const char *dir, const char *name, int n, int steps, int nmetrics,
                   char *root, size_t size)
{
    snprintf(root, size, "%s/%s", dir, name);
    char proj[4096], marker[4096];
    snprintf(proj, sizeof proj, "%s/sweep", root);
    snprintf(marker, sizeof marker, "%s/DONE", root);
    struct stat sb;
    if (stat(marker, &sb) == 0)
        return 0;
    fprintf(stderr, "building %s: %d runs x %d steps (once)...\n", root, n, steps);
    mkdir(root, 0777);
    mkdir(proj, 0777);
    for (int k = 0; k < n; k++)
        if (write_run(proj, k, steps, nmetrics))
            return -1;
    FILE *f = fopen(marker, "w");
    if (!f)
        return fail("cannot write the fixture marker");
    fclose(f);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

int main(void)
{
    const char *dir = getenv("TALLY_BENCH_BROWSE_DIR");
    if (!dir)
        dir = "bench-browse-fixture";
    mkdir(dir, 0777);
    /* The catalog cache of the benchmark's own, beside its fixtures. */
    char cache[4200];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    if (!getenv("TALLY_CACHE_DIR"))
        setenv("TALLY_CACHE_DIR", cache, 1);
    char many[4096], longs[4096];
    if (fixture(dir, "runs2000", RUNS, 20, 4, many, sizeof many) ||
        fixture(dir, "long20", LONG_RUNS, LONG_STEPS, 4, longs, sizeof longs))
        return 1;
    canvas c = {0};
    canvas_resize(&c, SCREEN_W, SCREEN_H);

    /* Baseline: one full listing of the store reading every file, warm
     * (what the browser did on every poll before). */
    const char *cache_env = getenv("TALLY_CACHE_DIR");
    char *saved = cache_env ? strdup(cache_env) : NULL;
    setenv("TALLY_CACHE_DIR", "none", 1);
    double base[ROUNDS], first[ROUNDS], nocache[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        tally_run_list *list;
        double t0 = bench_now();
        if (tally_store_list(many, &list) || list->n != RUNS)
            return fail("the fixture does not list") ? 1 : 1;
        base[r] = bench_now() - t0;
        tally_run_list_free(list);
    }
    /* The first frame with no catalog cache (a store no process listed). */
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now();
        tui_app *app = tui_app_new(many);
        tui_poll(app, t0);
        tui_draw(app, &c);
        nocache[r] = bench_now() - t0;
        tui_app_free(app);
    }
    if (saved)
        setenv("TALLY_CACHE_DIR", saved, 1);
    else
        unsetenv("TALLY_CACHE_DIR");
    free(saved);
    /* Once to fill the cache, as any earlier listing of the store would. */
    tally_run_list *warm;
    if (tally_store_list(many, &warm) == 0)
        tally_run_list_free(warm);
    /* The browser's first frame (a poll reads the store, then a draw). */
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now();
        tui_app *app = tui_app_new(many);
        tui_poll(app, t0);
        tui_draw(app, &c);
        first[r] = bench_now() - t0;
        tui_app_free(app);
    }
    /* Idle: poll and redraw as the screen loop does, for IDLE_S. */
    tui_app *app = tui_app_new(many);
    tui_poll(app, bench_now());
    tui_draw(app, &c);
    double w0 = bench_now(), c0 = cpu_s();
    int redraws = 0;
    while (bench_now() - w0 < IDLE_S) {
        struct timespec ts = {0, (long)(POLL_S * 1e9)};
        nanosleep(&ts, NULL);
        if (tui_poll(app, bench_now())) {
            tui_draw(app, &c);
            redraws++;
        }
    }
    double idle = (cpu_s() - c0) / (bench_now() - w0);
    tui_app_free(app);

    /* Compare 20 long runs: select them all, c, the first frame. */
    double cmp[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        tui_app *a = tui_app_new(longs);
        tui_poll(a, bench_now());
        tui_draw(a, &c);
        for (int k = 0; k < LONG_RUNS; k++)
            tui_key(a, ' ');
        double t0 = bench_now();
        tui_key(a, 'c');
        tui_draw(a, &c);
        cmp[r] = bench_now() - t0;
        if (a->view != TUI_COMPARE)
            return fail("compare did not open") ? 1 : 1;
        tui_app_free(a);
    }
    canvas_free(&c);

    double b = median(base, ROUNDS), f = median(first, ROUNDS), cm = median(cmp, ROUNDS),
           nc = median(nocache, ROUNDS);
    printf("runs browser, %d runs, screen %dx%d\n", RUNS, SCREEN_W, SCREEN_H);
    printf("baseline:      %6.1f ms to read every run file once (median of %d)\n",
           b * 1e3, ROUNDS);
    printf("first frame:   %6.1f ms median, %.2fx the baseline  [target <= 200]\n", f * 1e3,
           f / b);
    printf("  no cache:    %6.1f ms, %.2fx the baseline (no process listed the store before)\n",
           nc * 1e3, nc / b);
    printf("idle:          %6.2f %% of a core over %.0f s (%d redraws)  [target <= 2]\n",
           idle * 100, IDLE_S, redraws);
    printf("compare:       %6.1f ms first frame, %d runs x %d steps, %.2fx the baseline"
           "  [target <= 150]\n",
           cm * 1e3, LONG_RUNS, LONG_STEPS, cm / b);
    int ok = f <= 0.200 && idle <= 0.02 && cm <= 0.150;
    printf("%s\n", ok ? "all targets met" : "TARGET MISSED");
    return 0;
}
