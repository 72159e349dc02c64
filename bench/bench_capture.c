/*
 * bench_capture.c — what capture costs.  (1) Console capture throughput:
 * the same program writes the same lines to stdout, first with fd 1 on
 * /dev/null and nothing captured, then with console capture on (the tee
 * forwards to that same /dev/null and records every line); MB/s of each,
 * tally_finish's drain included.  (2) The sampler's own CPU: the sampler
 * thread runs at a fast period, its CLOCK_THREAD_CPUTIME_ID per sample is
 * scaled to the default 2 s period, as % of one core.
 *
 * usage: bench_capture [MB] (default 32)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/sampler.h"
#include "tally.h"
#include "tally_store.h"

#include "benchutil.h"

#define LINE_BYTES 100
#define SAMPLER_FAST_MS 20
#define SAMPLER_SECONDS 3

/* The "program": n lines of LINE_BYTES through stdio. */
static void write_lines(size_t n)
{
    char line[LINE_BYTES + 1];
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(line, sizeof line, "step %zu loss=%.6f ", i, 1.0 / (double)(i + 1));
        memset(line + k, 'x', LINE_BYTES - 1 - (size_t)k);
        line[LINE_BYTES - 1] = '\n';
        fwrite(line, 1, LINE_BYTES, stdout);
    }
    fflush(stdout);
}

static int count_line(void *ctx, const tally_log_line *l)
{
    (void)l;
    ++*(size_t *)ctx;
    return 0;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)atoi(argv[1]) : 32;
    size_t lines = mb * 1000000 / LINE_BYTES;
    char dir[] = "/tmp/bench-capture-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    FILE *report = fdopen(dup(STDOUT_FILENO), "w");
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    close(null);

    /* (1) baseline, then captured */
    double t0 = bench_now();
    write_lines(lines);
    double plain = bench_now() - t0;

    tally_options o = {.dir = dir, .project = "bench", .sample_ms = -1,
                       .capture = TALLY_CAPTURE_CONSOLE};
    tally_run *run;
    if (tally_init_ex(&o, &run) != 0)
        return 1;
    char *path = strdup(tally_run_path(run));
    t0 = bench_now();
    write_lines(lines);
    double tee = bench_now() - t0;
    tally_finish(run, 0);
    double captured = bench_now() - t0;
    tally_store *st;
    size_t stored = 0;
    if (tally_store_open(path, &st) == 0) {
        tally_store_logs(st, 0, 0, count_line, &stored);
        tally_store_close(st);
    }
    double bytes = (double)lines * LINE_BYTES / 1e6;
    fprintf(report, "console capture, %zu MB in %zu lines of %d bytes:\n", mb, lines, LINE_BYTES);
    fprintf(report, "  to /dev/null, not captured   %8.1f MB/s\n", bytes / plain);
    fprintf(report, "  captured (writer side)       %8.1f MB/s\n", bytes / tee);
    fprintf(report, "  captured, finish included    %8.1f MB/s  (%.1fx the plain time)\n",
            bytes / captured, captured / plain);
    fprintf(report, "  lines recorded               %zu of %zu\n", stored, lines);

    /* (2) the sampler's CPU */
    tally_options so = {.dir = dir, .project = "bench", .sample_ms = -1,
                        .capture = TALLY_CAPTURE_NONE};
    if (tally_init_ex(&so, &run) != 0)
        return 1;
    sampler *s;
    if (sampler_start(run, SAMPLER_FAST_MS, getpid(), &s) != 0)
        return 1;
    usleep(500000); /* past the start: the GPU probe and the baseline reading */
    int64_t cpu0 = sampler_cpu_ns(s), n0 = sampler_samples(s);
    sleep(SAMPLER_SECONDS);
    int64_t cpu1 = sampler_cpu_ns(s), n1 = sampler_samples(s);
    sampler_stop(s);
    tally_finish(run, 0);
    int procs = 0;
    FILE *ls = popen("ls -d /proc/[0-9]* | wc -l", "r");
    if (ls) {
        if (fscanf(ls, "%d", &procs) != 1)
            procs = 0;
        pclose(ls);
    }
    double per = n1 > n0 ? (double)(cpu1 - cpu0) / (double)(n1 - n0) : 0;
    fprintf(report, "sampler, %lld samples at %d ms, %d processes on the host:\n",
            (long long)(n1 - n0), SAMPLER_FAST_MS, procs);
    fprintf(report, "  CPU per sample               %8.1f us\n", per / 1e3);
    fprintf(report, "  at the default 2000 ms       %8.4f %% of one core (limit 0.5 %%)\n",
            100.0 * per / 2e9);
    fclose(report);
    free(path);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
