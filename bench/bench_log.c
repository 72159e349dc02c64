/*
 * bench_log.c — the cost of logging: 100 metrics x 100k steps through the
 * public API, against a raw SQLite baseline in the same process.
 *
 * Prints the caller-side cost per scalar (time inside tally_log and
 * tally_commit), end-to-end scalars/s from tally_init to a durable
 * tally_finish, bytes on disk per scalar, and the same run written the
 * plainest fast way SQLite allows: one prepared INSERT of a packed blob per
 * step, WAL, batched transactions.  Ratios, not absolute times, are what
 * survive a noisy shared machine.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tally.h"

#define METRICS 100
#define STEPS 100000
#define BASELINE_BATCH 1000 /* rows per baseline transaction */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Training-like values: a decaying curve per metric plus noise. */
static double value(int metric, long step, unsigned long long *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    double noise = (double)(*rng >> 11) / 9007199254740992.0 - 0.5;
    return (1.0 + metric) * exp(-(double)step / 30000.0) + 0.01 * noise;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static int bench_tally(const char *dir, double *caller_ns, double *rate, double *bytes)
{
    char keys[METRICS][32];
    for (int m = 0; m < METRICS; m++)
        snprintf(keys[m], sizeof keys[m], "layer%02d/loss", m);
    tally_options opts = {.dir = dir, .project = "bench", .sample_ms = -1,
                          .capture = TALLY_CAPTURE_NONE};
    unsigned long long rng = 1;
    double t0 = now();
    tally_run *run;
    int rc = tally_init_ex(&opts, &run);
    if (rc) {
        fprintf(stderr, "tally_init: %s\n", tally_strerror(rc));
        return 1;
    }
    double in_calls = 0;
    for (long step = 0; step < STEPS; step++) {
        double v[METRICS];
        for (int m = 0; m < METRICS; m++)
            v[m] = value(m, step, &rng);
        double c0 = now();
        for (int m = 0; m < METRICS; m++)
            tally_log(run, keys[m], v[m]);
        tally_commit(run);
        in_calls += now() - c0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", tally_run_path(run));
    rc = tally_finish(run, 0);
    double t1 = now();
    if (rc) {
        fprintf(stderr, "tally_finish: %s\n", tally_strerror(rc));
        return 1;
    }
    double scalars = (double)METRICS * STEPS;
    *caller_ns = in_calls / scalars * 1e9;
    *rate = scalars / (t1 - t0);
    *bytes = (double)file_size(path) / scalars;
    return 0;
}

static int bench_baseline(const char *dir, double *rate, double *bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/baseline.db", dir);
    unlink(path);
    unsigned long long rng = 1;
    double t0 = now();
    sqlite3 *db;
    sqlite3_stmt *ins;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE row(step INTEGER PRIMARY KEY, t REAL, data BLOB);",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO row(step, t, data) VALUES(?,?,?)", -1, &ins,
                           NULL) != SQLITE_OK) {
        fprintf(stderr, "baseline: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    for (long step = 0; step < STEPS; step++) {
        if (step % BASELINE_BATCH == 0)
            sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        double v[METRICS];
        for (int m = 0; m < METRICS; m++)
            v[m] = value(m, step, &rng);
        sqlite3_bind_int64(ins, 1, step);
        sqlite3_bind_double(ins, 2, now());
        sqlite3_bind_blob(ins, 3, v, sizeof v, SQLITE_STATIC);
        sqlite3_step(ins);
        sqlite3_reset(ins);
        if (step % BASELINE_BATCH == BASELINE_BATCH - 1 || step == STEPS - 1)
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    sqlite3_finalize(ins);
    /* Durable, like tally_finish: a full sync and the WAL folded in. */
    sqlite3_exec(db, "PRAGMA synchronous=FULL; BEGIN; COMMIT; PRAGMA wal_checkpoint(TRUNCATE);",
                 NULL, NULL, NULL);
    sqlite3_close(db);
    double t1 = now();
    double scalars = (double)METRICS * STEPS;
    *rate = scalars / (t1 - t0);
    *bytes = (double)file_size(path) / scalars;
    unlink(path);
    return 0;
}

int main(void)
{
    char dir[] = "/tmp/tally-bench-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    double caller_ns, rate, bytes, base_rate, base_bytes;
    /* Baseline, tally, baseline again: the two baselines show the noise. */
    if (bench_baseline(dir, &base_rate, &base_bytes) || bench_tally(dir, &caller_ns, &rate, &bytes))
        return 1;
    double base_rate2, base_bytes2;
    if (bench_baseline(dir, &base_rate2, &base_bytes2))
        return 1;
    double base = (base_rate + base_rate2) / 2;
    printf("workload: %d metrics x %d steps = %.0f scalars\n", METRICS, STEPS,
           (double)METRICS * STEPS);
    printf("tally caller cost      %8.1f ns/scalar      (target <= 50)\n", caller_ns);
    printf("tally end to end       %8.2f M scalars/s\n", rate / 1e6);
    printf("raw SQLite baseline    %8.2f M scalars/s     (runs: %.2f, %.2f)\n", base / 1e6,
           base_rate / 1e6, base_rate2 / 1e6);
    printf("tally / baseline       %8.2f x               (target >= 0.5)\n", rate / base);
    printf("tally bytes on disk    %8.2f bytes/scalar   (target <= 10; baseline %.2f)\n", bytes,
           base_bytes);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
