/*
 * bench_export.c — `tally export` throughput: a run of 100 metrics x 20k
 * steps (written through the public API: 98 float series, two of integers)
 * exported as JSON lines and as CSV by the real binary, against
 * `sqlite3 FILE .dump` of the same run file in the same run.  Both are
 * timed as the CPU time (user + system) of the child process, the best of
 * five; wall time on a shared machine says more about the neighbours.
 *
 *   bench_export [STEPS [OTHER_TALLY]]   (default 20000; needs the sqlite3 shell)
 *
 * OTHER_TALLY, another build's tally binary, is timed on the same file too
 * (to compare a change against the build before it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"

#define RUNS 5

#ifndef TALLY_BIN
#define TALLY_BIN "src/tally"
#endif
#ifndef SQLITE3_BIN
#define SQLITE3_BIN "sqlite3"
#endif

/* Runs argv with stdout to out (a path); returns its CPU seconds, or -1. */
static double cpu_seconds(char *const argv[], const char *out)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (!freopen(out, "w", stdout))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_export: %s failed\n", argv[0]);
        return -1;
    }
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static double best_of(char *const argv[], const char *out)
{
    double best = -1;
    for (int i = 0; i < RUNS; i++) {
        double t = cpu_seconds(argv, out);
        if (t < 0)
            return -1;
        if (best < 0 || t < best)
            best = t;
    }
    return best;
}

static long long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long long n = ftell(f);
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    long steps = argc > 1 ? atol(argv[1]) : 20000;
    char dir[] = "/tmp/tally-bench-export-XXXXXX";
    if (steps < 1 || !mkdtemp(dir)) {
        perror("bench_export");
        return 1;
    }
    char *path = bench_write_run(dir, steps, 2);
    if (!path)
        return 1;
    char out[4200];
    snprintf(out, sizeof out, "%s/out", dir);
    char *dump[] = {SQLITE3_BIN, path, ".dump", NULL};
    char *jsonl[] = {TALLY_BIN, "export", "--format", "jsonl", path, NULL};
    char *csv[] = {TALLY_BIN, "export", "--format", "csv", path, NULL};

    /* Baseline, tally, baseline again: the two baselines show the noise. */
    double base1 = best_of(dump, out);
    long long dump_bytes = file_size(out);
    double tj = best_of(jsonl, out);
    long long jsonl_bytes = file_size(out);
    double tc = best_of(csv, out);
    long long csv_bytes = file_size(out);
    double to = 0;
    if (argc > 2) {
        char *other[] = {argv[2], "export", "--format", "jsonl", path, NULL};
        to = best_of(other, out);
    }
    double base2 = best_of(dump, out);
    if (base1 <= 0 || base2 <= 0 || tj < 0 || tc < 0 || to < 0)
        return 1;
    double base = (base1 + base2) / 2, scalars = (double)BENCH_METRICS * (double)steps;
    printf("workload: %d metrics x %ld steps = %.0f scalars, CPU time, best of %d\n", BENCH_METRICS,
           steps, scalars, RUNS);
    printf("sqlite3 .dump          %8.3f s  %6.1f MB     (runs: %.3f, %.3f)\n", base,
           (double)dump_bytes / 1e6, base1, base2);
    printf("export --format jsonl  %8.3f s  %6.1f MB  %5.2f M scalars/s  %5.2f x .dump "
           "(target <= 10)\n",
           tj, (double)jsonl_bytes / 1e6, scalars / tj / 1e6, tj / base);
    printf("export --format csv    %8.3f s  %6.1f MB  %5.2f M scalars/s  %5.2f x .dump "
           "(target <= 10)\n",
           tc, (double)csv_bytes / 1e6, scalars / tc / 1e6, tc / base);
    if (argc > 2)
        printf("%s jsonl  %8.3f s  %5.2f M scalars/s  %5.2f x .dump\n", argv[2], to,
               scalars / to / 1e6, to / base);
    free(path);
    snprintf(out, sizeof out, "rm -rf '%s'", dir);
    if (system(out) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
