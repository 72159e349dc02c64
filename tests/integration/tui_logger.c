/*
 * tui_logger.c — runs for the dashboard's tmux tests; prints the run file.
 *   DIR hostile: escape sequences in name, notes, config, metric names
 *   DIR live MS: a step every MS milliseconds until killed
 *   DIR synthetic: system (time-axis) series and console lines, hostile ones
 *   included, written with the store's writer as the capture work would
 *   DIR sweep N: N finished runs sweep-0.. of a learning-rate sweep (config
 *   lr = 1e-4 * 2^k), val/loss kept with min and last summary rules
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/writer.h"
#include "tally.h"

/* What the capture work records, written directly: system.* series on the
 * time axis and stdout / stderr lines, some of them hostile. */
static int synthetic(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/synth", dir);
    mkdir(dir, 0777);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/synth/20260101-000000-synth001.db", dir);
    double t0 = (double)time(NULL) - 600;
    writer_run_row row = {.id = "synth001",
                          .project = "synth",
                          .name = "synthetic",
                          .tags_json = "[]",
                          .mode = "offline",
                          .host = "nowhere",
                          .pid = 1,
                          .heartbeat_ms = 1000,
                          .start_time = t0};
    store_writer *w;
    if (writer_create(path, &row, &w))
        return 1;
    int rc = writer_begin(w);
    rc = rc ? rc : writer_metric_create(w, 1, "loss", TALLY_AXIS_STEP, 0);
    rc = rc ? rc : writer_metric_create(w, 2, "system.cpu", TALLY_AXIS_TIME, 0);
    rc = rc ? rc : writer_metric_create(w, 3, "system.gpu.0.temp", TALLY_AXIS_TIME, 0);
    for (int64_t i = 0; i < 300 && !rc; i++) {
        double y = exp(-(double)i / 80.0), cpu = 50 + 40 * sin((double)i / 20.0);
        double temp = 60 + 0.05 * (double)i;
        int64_t ms = i * 2000;
        rc = writer_points(w, 1, &i, &y, 1);
        rc = rc ? rc : writer_points(w, 2, &ms, &cpu, 1);
        rc = rc ? rc : writer_points(w, 3, &ms, &temp, 1);
    }
    for (int i = 0; i < 120 && !rc; i++) {
        char line[128];
        snprintf(line, sizeof line, "epoch %d step %d loss %.4f", i / 10, i * 10, exp(-i / 40.0));
        rc = writer_log(w, t0 + i, 1, line, strlen(line));
        if (!rc && i % 25 == 7) {
            const char *err = "warning: \033]0;PWNED-LOG\007 \033[2J\033[H"
                              "\xc2\x9b"
                              "2J lr too high";
            rc = writer_log(w, t0 + i, 2, err, strlen(err));
        }
    }
    const char *title = "\033]2;PWNED-TAIL\033\\\033c the end";
    rc = rc ? rc : writer_log(w, t0 + 200, 1, title, strlen(title));
    rc = rc ? rc : writer_progress(w, 300, 299, 0, t0 + 600);
    rc = rc ? rc : writer_end(w, "finished", 0, t0 + 600);
    rc = rc ? rc : writer_commit(w);
    writer_close(w);
    if (rc)
        return 1;
    printf("%s\n", path);
    return 0;
}

/* A finished learning-rate sweep: sweep-k has lr 1e-4 * 2^k and a val/loss
 * that bottoms out at 0.1 + 0.05 * (3k mod 8), ending 0.02 above it. */
static int sweep(const char *dir, int n)
{
    for (int k = 0; k < n; k++) {
        char name[32], config[64];
        snprintf(name, sizeof name, "sweep-%d", k);
        snprintf(config, sizeof config, "{\"lr\":%g,\"batch\":%d}", 1e-4 * (1 << k), 32);
        tally_options o = {.dir = dir,
                           .project = "sweep",
                           .name = name,
                           .config_json = config,
                           .sample_ms = -1,
                           .capture = TALLY_CAPTURE_NONE};
        tally_run *run;
        int rc = tally_init_ex(&o, &run);
        if (rc) {
            fprintf(stderr, "tui_logger: %s\n", tally_strerror(rc));
            return 1;
        }
        tally_define_metric(run, "val/loss", NULL, TALLY_SUMMARY_MIN | TALLY_SUMMARY_LAST,
                            TALLY_GOAL_MINIMIZE);
        double best = 0.1 + 0.05 * (3 * k % 8);
        for (int i = 0; i < 50; i++) {
            tally_log(run, "train/loss", 1.0 / (i + 1));
            tally_log(run, "val/loss", i < 49 ? best + 1.0 / (i + 1) : best + 0.02);
            if (i == 40)
                tally_log(run, "val/loss", best);
            tally_commit(run);
        }
        if (tally_finish(run, 0))
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tui_logger DIR hostile|live [DELAY_MS]\n");
        return 2;
    }
    if (strcmp(argv[2], "synthetic") == 0)
        return synthetic(argv[1]);
    if (strcmp(argv[2], "sweep") == 0)
        return sweep(argv[1], argc > 3 ? atoi(argv[3]) : 8);
    int hostile = strcmp(argv[2], "hostile") == 0;
    tally_options o = {.dir = argv[1],
                       .project = hostile ? "evil" : "live",
                       .flush_ms = 100,
                       .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    if (hostile) {
        o.name = "run\033]0;PWNED\007\033[2J\033[H";
        o.notes = "\033]2;PWNED2\033\\\033c";
        o.config_json = "{\"title\":\"\\u001b]0;PWNED3\\u0007\",\"clear\":\"\\u001b[2J\\u009b2J\"}";
    }
    tally_run *run = NULL;
    int rc = tally_init_ex(&o, &run);
    if (rc) {
        fprintf(stderr, "tui_logger: %s\n", tally_strerror(rc));
        return 1;
    }
    printf("%s\n", tally_run_path(run));
    fflush(stdout);
    if (hostile) {
        for (int i = 0; i < 200; i++) {
            tally_log(run,
                      "loss\xc2\x9b"
                      "2J",
                      exp(-i / 50.0));
            tally_log(run, "acc", 1 - exp(-i / 50.0));
            tally_log_str(run, "note", "\033]0;PWNED4\007");
            tally_commit(run);
        }
        return tally_finish(run, 0) ? 1 : 0;
    }
    long delay = argc > 3 ? strtol(argv[3], NULL, 10) : 20;
    for (long i = 0;; i++) {
        tally_log(run, "loss", 2 * exp(-i / 500.0) + 0.1 * sin(i / 7.0));
        tally_log(run, "acc", 1 - exp(-i / 400.0));
        tally_commit(run);
        struct timespec ts = {delay / 1000, (delay % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}
