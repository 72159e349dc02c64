/*
 * benchutil.h — what the benchmarks share: a training-like run written
 * through the public API, and the clocks they measure with.
 */
#ifndef TALLY_BENCHUTIL_H
#define TALLY_BENCHUTIL_H

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "common/clock.h"
#include "tally.h"

#define BENCH_METRICS 100

/* Wall-clock seconds (monotonic). */
static inline double bench_now(void)
{
    return (double)clock_mono_ns() * 1e-9;
}

/* CPU seconds of the calling thread: what caller costs and their floors
 * are measured in, so neither the shared machine's other processes nor the
 * run's own flusher count against the caller. */
static inline double bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A run in project under dir with nothing recorded by itself (no sampler,
 * no console or git capture), so only what a benchmark logs is measured;
 * NULL after one line on stderr. */
static inline tally_run *bench_start_run(const char *dir, const char *project)
{
    tally_options o = {.dir = dir, .project = project, .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    int rc = tally_init_ex(&o, &run);
    if (rc)
        fprintf(stderr, "tally_init: %s\n", tally_strerror(rc));
    return run;
}

/* A file's size in bytes, -1 when it cannot be read. */
static inline long long bench_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* A finished run under dir of BENCH_METRICS metrics x steps: the first
 * int_series are integer series ("count00", ...), the rest decaying float
 * curves with noise ("layer02/loss", ...).  Returns its path (malloc'd),
 * NULL on failure. */
char *bench_write_run(const char *dir, long steps, int int_series);

#endif
