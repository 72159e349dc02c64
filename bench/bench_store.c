/*
 * bench_store.c — what the run file costs to write, and what a reader costs
 * the writer.  Each figure is a ratio against something measured in the
 * same run, never an absolute time (the machine is shared and noisy).
 *
 *  - bytes written / final file size for three live shapes, each a child
 *    process logging at a fixed rate for BENCH_SECONDS (default 60): the
 *    kernel's write_bytes (/proc/self/io: the file, its WAL and journal,
 *    and checkpoints, counted when pages are dirtied) over the .db's size
 *    after tally_finish;
 *  - strings: tally_log_str + tally_commit in a loop, end to end (init to a
 *    durable finish), and every string checked to be in the file;
 *  - writer throughput with a reader polling the file like the dashboard
 *    does, over the same writer without one; and the largest WAL seen;
 *  - a run of a million distinct keys (a key with the step in it): the
 *    time to open it and list its metrics, and to export every row, each
 *    against the time it took to write; and the writer's heap per idle
 *    metric (mallinfo2: every point written, none pending).
 */
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tally.h"
#include "tally_store.h"

#include "benchutil.h"

/* This process's write_bytes so far. */
static long long write_bytes(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    long long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "write_bytes: %lld", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

/* Training-like values: a decaying curve per metric plus noise. */
static double value(int metric, long step, unsigned long long *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    double noise = (double)(*rng >> 11) / 9007199254740992.0 - 0.5;
    return (1.0 + metric) * exp(-(double)step / 30000.0) + 0.01 * noise;
}

/* ---- bytes written for a live shape ---- */

typedef struct shape {
    int metrics, steps_per_s;
} shape;

/* In a child: logs the shape at its rate for seconds, finishes, and writes
 * "written size" to fd. */
static int live_shape(const char *dir, shape s, double seconds, int fd)
{
    char project[64];
    snprintf(project, sizeof project, "live%dx%d", s.metrics, s.steps_per_s);
    char(*keys)[32] = malloc((size_t)s.metrics * sizeof *keys);
    if (!keys)
        return 1;
    for (int m = 0; m < s.metrics; m++)
        snprintf(keys[m], sizeof keys[m], "layer%04d/loss", m);
    long long w0 = write_bytes();
    tally_run *run = bench_start_run(dir, project);
    if (!run)
        return 1;
    unsigned long long rng = 7;
    long steps = (long)(seconds * s.steps_per_s);
    double t0 = bench_now();
    for (long step = 0; step < steps; step++) {
        /* step n is due at t0 + n / rate: sleep until then */
        double due = t0 + (double)step / s.steps_per_s, wait = due - bench_now();
        if (wait > 0) {
            struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
        for (int m = 0; m < s.metrics; m++)
            tally_log(run, keys[m], value(m, step, &rng));
        tally_commit(run);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", tally_run_path(run));
    if (tally_finish(run, 0) != TALLY_OK)
        return 1;
    long long written = write_bytes() - w0;
    char out[128];
    int n = snprintf(out, sizeof out, "%lld %lld\n", written, bench_file_size(path));
    free(keys);
    return write(fd, out, (size_t)n) == n ? 0 : 1;
}

static void bench_live_shapes(const char *dir, double seconds)
{
    static const shape shapes[] = {{1000, 100}, {100, 1000}, {1, 10}};
    enum { NSHAPES = sizeof shapes / sizeof *shapes };
    int fds[NSHAPES];
    pid_t pids[NSHAPES];
    /* The shapes run side by side: bytes, not time, are measured. */
    for (int i = 0; i < NSHAPES; i++) {
        int p[2];
        if (pipe(p) != 0) {
            perror("pipe");
            exit(1);
        }
        pids[i] = fork();
        if (pids[i] == 0) {
            close(p[0]);
            _exit(live_shape(dir, shapes[i], seconds, p[1]));
        }
        close(p[1]);
        fds[i] = p[0];
    }
    for (int i = 0; i < NSHAPES; i++) {
        char text[128] = "";
        ssize_t n = read(fds[i], text, sizeof text - 1);
        close(fds[i]);
        int status;
        waitpid(pids[i], &status, 0);
        long long written = 0, size = 0;
        if (n <= 0 || sscanf(text, "%lld %lld", &written, &size) != 2 || size <= 0) {
            printf("live %4d metrics x %4d steps/s: failed\n", shapes[i].metrics,
                   shapes[i].steps_per_s);
            continue;
        }
        printf("live %4d metrics x %4d steps/s, %.0f s: written %7.1f MB / file %7.1f MB"
               " = %5.2f x   (target <= 2)\n",
               shapes[i].metrics, shapes[i].steps_per_s, seconds, written / 1e6, size / 1e6,
               (double)written / (double)size);
    }
}

/* ---- strings ---- */

static void bench_strings(const char *dir, long count)
{
    tally_run *run = bench_start_run(dir, "strings");
    if (!run)
        return;
    /* Texts made beforehand: the loop measures tally, not snprintf. */
    enum { NTEXTS = 1024 };
    static char texts[NTEXTS][32];
    for (int i = 0; i < NTEXTS; i++)
        snprintf(texts[i], sizeof texts[i], "sample %d of the run", i * 7919);
    long refused = 0;
    double t0 = bench_now();
    for (long i = 0; i < count; i++) {
        if (tally_log_str(run, "text", texts[i % NTEXTS]) != TALLY_OK)
            refused++;
        tally_commit(run);
    }
    double tloop = bench_now();
    char path[4096];
    snprintf(path, sizeof path, "%s", tally_run_path(run));
    int rc = tally_finish(run, 0);
    double t1 = bench_now();
    long stored = 0;
    tally_store *st;
    if (rc == TALLY_OK && tally_store_open(path, &st) == TALLY_OK) {
        tally_objects *o;
        tally_object obj;
        if (tally_objects_open(st, INT64_MIN, INT64_MAX, &o) == TALLY_OK) {
            while (tally_objects_next(o, &obj) == 1)
                stored++;
            tally_objects_close(o);
        }
        tally_store_close(st);
    }
    printf("strings                %8.2f M/s end to end  (target >= 2); %ld logged, %ld stored,"
           " %ld refused; the loop %.2f s, tally_finish %.2f s\n",
           count / (t1 - t0) / 1e6, count, stored, refused, tloop - t0, t1 - tloop);
}

/* ---- a reader beside the writer ---- */

/* Polls the run like the dashboard, ten times a second until killed:
 * refresh, then for twelve charts 200 columns wide the newest two columns
 * (the dashboard's series cache re-reads only the buckets that changed),
 * and once a second every column of each (as after a resize or a zoom). */
static void reader_loop(const char *path)
{
    tally_store *st = NULL;
    tally_bucket b[200];
    for (long poll = 0;; poll++) {
        if (!st && tally_store_open(path, &st) != TALLY_OK)
            st = NULL;
        if (st && tally_store_refresh(st, NULL) == TALLY_OK) {
            for (size_t i = 0; i < tally_store_metric_count(st) && i < 12; i++) {
                const tally_metric_info *m = tally_store_metric(st, i);
                if (m->n <= 0)
                    continue;
                int64_t span = m->x_max - m->x_min + 1, col = span / 200 + 1;
                if (poll % 10 == (long)i % 10)
                    tally_store_series(st, m->id, m->x_min, m->x_max, 200, b);
                else
                    tally_store_series(st, m->id, m->x_max - 2 * col + 1, m->x_max, 2, b);
            }
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* 100 metrics as fast as the loop goes for steps; returns scalars/s, end to
 * end, and the largest WAL seen. */
static double tight_writer(const char *dir, const char *project, long steps, int with_reader,
                           long long *wal_max)
{
    tally_run *run = bench_start_run(dir, project);
    if (!run)
        return 0;
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", tally_run_path(run));
    pid_t reader = -1;
    if (with_reader) {
        tally_commit(run);
        tally_flush(run);
        reader = fork();
        if (reader == 0) {
            reader_loop(tally_run_path(run));
            _exit(0);
        }
    }
    char keys[100][32];
    for (int m = 0; m < 100; m++)
        snprintf(keys[m], sizeof keys[m], "layer%02d/loss", m);
    unsigned long long rng = 1;
    *wal_max = 0;
    double t0 = bench_now();
    for (long step = 0; step < steps; step++) {
        for (int m = 0; m < 100; m++)
            tally_log(run, keys[m], value(m, step, &rng));
        tally_commit(run);
        if (step % 1000 == 0 && bench_file_size(wal) > *wal_max)
            *wal_max = bench_file_size(wal);
    }
    tally_finish(run, 0);
    double t1 = bench_now();
    if (reader > 0) {
        kill(reader, SIGKILL);
        waitpid(reader, NULL, 0);
    }
    return 100.0 * (double)steps / (t1 - t0);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Alone and with a reader, interleaved three times each: the medians are
 * compared, so that a burst of load on the machine moves neither much. */
static void bench_reader(const char *dir, long steps)
{
    enum { TRIES = 3 };
    double alone[TRIES], read[TRIES];
    long long wal_alone = 0, wal_read = 0, w;
    for (int i = 0; i < TRIES; i++) {
        char project[32];
        snprintf(project, sizeof project, "alone%d", i);
        alone[i] = tight_writer(dir, project, steps, 0, &w);
        wal_alone = w > wal_alone ? w : wal_alone;
        snprintf(project, sizeof project, "read%d", i);
        read[i] = tight_writer(dir, project, steps, 1, &w);
        wal_read = w > wal_read ? w : wal_read;
    }
    qsort(alone, TRIES, sizeof *alone, by_value);
    qsort(read, TRIES, sizeof *read, by_value);
    printf("writer with a reader   %8.2f M scalars/s (median of %d: %.2f..%.2f); alone %.2f"
           " (%.2f..%.2f)\n",
           read[1] / 1e6, TRIES, read[0] / 1e6, read[TRIES - 1] / 1e6, alone[1] / 1e6,
           alone[0] / 1e6, alone[TRIES - 1] / 1e6);
    printf("with reader / alone    %8.2f x               (target >= 0.8)\n", read[1] / alone[1]);
    printf("largest WAL            %8.1f MB with a reader, %.1f MB alone (target <= 64)\n",
           wal_read / 1e6, wal_alone / 1e6);
}

/* ---- a million keys ---- */

static void bench_keys(const char *dir, long keys)
{
    tally_run *run = bench_start_run(dir, "keys");
    if (!run)
        return;
    char key[48];
    tally_flush(run);
    struct mallinfo2 mi = mallinfo2();
    double heap0 = (double)mi.uordblks + (double)mi.hblkhd; /* small blocks and mmapped ones */
    double t0 = bench_now();
    for (long i = 0; i < keys; i++) {
        snprintf(key, sizeof key, "step_%ld/loss", i);
        tally_log(run, key, (double)i);
        tally_commit(run);
    }
    /* Idle metrics: every point written, none pending.  The writer keeps
     * a metric's state for the commit after its last points (the next
     * flush usually brings more): one more commit, of another value, and
     * every key is idle. */
    tally_flush(run);
    tally_log(run, "idle/marker", 1);
    tally_commit(run);
    tally_flush(run);
    mi = mallinfo2();
    double idle = ((double)mi.uordblks + (double)mi.hblkhd - heap0) / (double)keys;
    char path[4096];
    snprintf(path, sizeof path, "%s", tally_run_path(run));
    tally_finish(run, 0);
    double t1 = bench_now();
    tally_store *st;
    if (tally_store_open(path, &st) != TALLY_OK) {
        printf("keys: cannot open the run\n");
        return;
    }
    size_t metrics = tally_store_metric_count(st);
    double t2 = bench_now();
    tally_history *h;
    long rows = 0, cells = 0;
    if (tally_history_open(st, TALLY_AXIS_STEP, NULL, INT64_MIN, INT64_MAX, &h) == TALLY_OK) {
        tally_history_row row;
        while (tally_history_next(h, &row) == 1) {
            rows++;
            cells += (long)row.nset;
        }
        tally_history_close(h);
    }
    double t3 = bench_now();
    tally_store_close(st);
    printf("%ld keys: written in %.1f s; listed %zu metrics in %.2f s (target <= 5),"
           " %ld rows (%ld values) read in %.1f s (target <= 60)\n",
           keys, t1 - t0, metrics, t2 - t1, rows, cells, t3 - t2);
    printf("idle metric            %8.0f bytes of heap each (target <= 200; key names of"
           " %zu bytes included)\n",
           idle, strlen("step_500000/loss"));
}

/* With arguments (reader, strings, keys, live), runs only those parts. */
static int wanted(int argc, char **argv, const char *part)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], part) == 0)
            return 1;
    return argc <= 1;
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/tally-bench-store-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    const char *env = getenv("BENCH_SECONDS");
    double seconds = env && atof(env) > 0 ? atof(env) : 60;
    /* Reader and strings first, alone on the machine; then the live shapes,
     * which mostly sleep. */
    if (wanted(argc, argv, "reader"))
        bench_reader(dir, 100000);
    if (wanted(argc, argv, "strings"))
        bench_strings(dir, 10 * 1000 * 1000);
    if (wanted(argc, argv, "keys"))
        bench_keys(dir, 1000 * 1000);
    if (wanted(argc, argv, "live"))
        bench_live_shapes(dir, seconds);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
