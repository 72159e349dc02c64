/*
 * crash_logger.c — a steady logger for the integration tests.  Each step
 * logs a few metrics whose values a script can recompute bit for bit (IEEE
 * arithmetic only, no libm), commits, and prints "STEP SECONDS" (the step
 * just committed, seconds since tally_init) on a line-buffered stdout.
 *
 * crash.sh runs it unbounded, a step every millisecond, and kill -9s it:
 * the printed lines say what had been committed and at what rate.  cli.sh
 * runs it with --steps N: N steps at full speed, then tally_finish().
 *
 * usage: crash_logger --dir DIR [--flush-ms MS] [--steps N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tally.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One step's values; lib.sh (STEADY_PY) recomputes them the same way. */
static int log_step(tally_run *run, int64_t step)
{
    double x = (double)step;
    double scale = ldexp(x * 0.1 + 1.0 / 7.0, (int)(step % 200) - 100);
    int rc;
    if ((rc = tally_log(run, "loss", 1.0 / (1.0 + x))) != 0 ||
        (rc = tally_log(run, "acc", x / (x + 10.0))) != 0 ||
        (rc = tally_log(run, "lr", 1e-3 * (double)(step % 100))) != 0 ||
        (rc = tally_log(run, "scale", step % 2 ? -scale : scale)) != 0 ||
        (rc = tally_log_int(run, "epoch", step / 100)) != 0)
        return rc;
    return tally_commit(run);
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int flush_ms = 200, bad = argc % 2 == 0;
    long long steps = -1; /* unbounded: until killed */
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--flush-ms") == 0)
            flush_ms = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--steps") == 0)
            steps = atoll(argv[i + 1]);
        else
            bad = 1;
    }
    if (bad || !dir || flush_ms <= 0) {
        fprintf(stderr, "usage: crash_logger --dir DIR [--flush-ms MS] [--steps N]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    tally_options opts = {
        .dir = dir,
        .project = "steady",
        .name = "steady-logger",
        .config_json = "{\"purpose\":\"integration test\",\"third\":0.3333333333333333}",
        .flush_ms = flush_ms,
        .sample_ms = -1,
        .capture = TALLY_CAPTURE_NONE, /* stdout must reach the script untouched */
    };
    tally_run *run;
    int rc = tally_init_ex(&opts, &run);
    if (rc) {
        fprintf(stderr, "crash_logger: tally_init: %s\n", tally_strerror(rc));
        return 1;
    }
    printf("run %s %s\n", tally_run_id(run), tally_run_path(run));
    double t0 = now();
    const struct timespec tick = {0, 1000000};
    for (int64_t step = 0; steps < 0 || step < steps; step++) {
        if ((rc = log_step(run, step)) != 0) {
            fprintf(stderr, "crash_logger: step %lld: %s\n", (long long)step,
                    tally_strerror(rc));
            return 1;
        }
        printf("%lld %.6f\n", (long long)step, now() - t0);
        if (steps < 0)
            nanosleep(&tick, NULL);
    }
    if ((rc = tally_finish(run, 0)) != 0) {
        fprintf(stderr, "crash_logger: tally_finish: %s\n", tally_strerror(rc));
        return 1;
    }
    return 0;
}
