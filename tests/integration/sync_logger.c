/*
 * sync_logger.c — a run for the sync tests: history with NaN / ±Inf,
 * strings and integers, system samples, console lines (through the
 * capture entry points in run_internal.h, as src/capture feeds them), a
 * config, tags, summary rules and a saved file.
 *
 *   sync_logger DIR STEPS DELAY_MS [EXIT_CODE]
 *
 * Prints "<run id> <run file>" first, then logs STEPS steps, DELAY_MS apart.
 * The mode comes from $TALLY_MODE (online for the live test).  With
 * $SYNC_LOGGER_DUMPABLE set, writes "<while running> <after finish>" there:
 * prctl(PR_GET_DUMPABLE) while the run (and online mode's key) is live, and
 * once tally_finish() returned.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "common/clock.h"
#include "core/run_internal.h"
#include "tally.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: sync_logger DIR STEPS DELAY_MS [EXIT_CODE]\n");
        return 2;
    }
    long steps = atol(argv[2]), delay = atol(argv[3]);
    int exit_code = argc > 4 ? atoi(argv[4]) : 0;
    const char *tags[] = {"sync", "test", NULL};
    tally_options o = {.dir = argv[1], .project = "synctest", .name = "sync-test-run",
                       .tags = tags, .group = "g1", .job_type = "train",
                       .notes = "a run for the sync tests",
                       .config_json = "{\"lr\":0.001,\"batch\":64,\"opt\":{\"name\":\"adam\"}}",
                       .flush_ms = 200, .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run;
    int rc = tally_init_ex(&o, &run);
    if (rc) {
        fprintf(stderr, "sync_logger: %s\n", tally_strerror(rc));
        return 1;
    }
    char extra[256];
    snprintf(extra, sizeof extra, "%s/requirements.txt", argv[1]);
    FILE *f = fopen(extra, "w");
    if (f) {
        fputs("numpy==1.26\ntorch==2.3\n", f);
        fclose(f);
    }
    int dumpable_running = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    printf("%s %s\n", tally_run_id(run), tally_run_path(run));
    fflush(stdout);
    tally_define_metric(run, "val/*", NULL, TALLY_SUMMARY_MIN | TALLY_SUMMARY_LAST,
                        TALLY_GOAL_MINIMIZE);
    tally_save_file(run, extra);
    for (long s = 0; s < steps; s++) {
        double loss = 2.0 * exp(-(double)s / 300.0) + 0.001 * (double)(s % 7);
        tally_log(run, "train/loss", loss);
        tally_log(run, "train/acc", 1.0 - loss / 3.0);
        tally_log_int(run, "epoch", s / 100);
        if (s % 50 == 7)
            tally_log(run, "weird", s % 150 == 7 ? NAN : s % 150 == 57 ? INFINITY : -INFINITY);
        if (s % 25 == 0)
            tally_log(run, "val/loss", loss * 1.1);
        if (s % 100 == 3)
            tally_log_str(run, "phase", s % 200 == 3 ? "warm \"up\"" : "main");
        tally_commit(run);
        if (s % 10 == 0) {
            int64_t t = run_elapsed_ms(run) + s; /* strictly increasing */
            run_log_time(run, "system.cpu", t, 10.0 + (double)(s % 90));
            run_log_time(run, "system.memory_percent", t, 42.5);
        }
        if (s % 7 == 0) {
            char line[128];
            int n = snprintf(line, sizeof line, "step %ld: loss=%.4f ünïcode", s, loss);
            run_log_line(run, clock_wall(), s % 21 == 0 ? 2 : 1, line, (size_t)n);
        }
        if (delay)
            sleep_ms(delay);
    }
    rc = tally_finish(run, exit_code);
    const char *report = getenv("SYNC_LOGGER_DUMPABLE");
    if (report && report[0]) {
        FILE *r = fopen(report, "w");
        if (r) {
            fprintf(r, "%d %d\n", dumpable_running, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
            fclose(r);
        }
    }
    return rc ? 1 : 0;
}
