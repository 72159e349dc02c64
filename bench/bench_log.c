/*
 * bench_log.c — the cost of logging: 100 metrics x 100k steps through the
 * public API, against a raw SQLite baseline in the same process.
 *
 * Prints the caller-side cost per scalar (CPU time inside tally_log and
 * tally_commit, default options: sampler and console capture on; the best
 * of three runs) against a floor measured in the same run (best of three,
 * interleaved with them) (a hash lookup, a mutex and an append
 * for the same keys: what any thread-safe logger must do), the cost of one
 * metric logged per step, end-to-end scalars/s from tally_init to a durable
 * tally_finish, bytes on disk per scalar, and the same run written the
 * plainest fast way SQLite allows: one prepared INSERT of a packed blob per
 * step, WAL, batched transactions.  Ratios, not absolute times, are what
 * survive a noisy shared machine.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tally.h"

#include "benchutil.h"

#define METRICS 100
#define STEPS 100000
#define BASELINE_BATCH 1000 /* rows per baseline transaction */
#define CALLER_ROUNDS 3     /* runs of the caller loop and of the floor */

/* Training-like values: a decaying curve per metric plus noise. */
static double value(int metric, long step, unsigned long long *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    double noise = (double)(*rng >> 11) / 9007199254740992.0 - 0.5;
    return (1.0 + metric) * exp(-(double)step / 30000.0) + 0.01 * noise;
}

/* ---- the floor: a hash lookup, a mutex and an append per value ---- */

typedef struct floor_slot {
    const char *key;
    uint64_t hash;
    int64_t *x;
    double *y;
    size_t n, cap;
} floor_slot;

#define FLOOR_SLOTS 256 /* a power of two, at least twice METRICS */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 0x100000001b3u;
    }
    return h;
}

static floor_slot *floor_find(floor_slot *t, const char *key)
{
    uint64_t h = fnv1a(key);
    for (size_t i = h & (FLOOR_SLOTS - 1);; i = (i + 1) & (FLOOR_SLOTS - 1)) {
        if (!t[i].key) {
            t[i].key = key;
            t[i].hash = h;
            return &t[i];
        }
        if (t[i].hash == h && strcmp(t[i].key, key) == 0)
            return &t[i];
    }
}

static void floor_append(floor_slot *s, int64_t x, double y)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->x = realloc(s->x, s->cap * sizeof *s->x);
        s->y = realloc(s->y, s->cap * sizeof *s->y);
        if (!s->x || !s->y)
            abort();
    }
    s->x[s->n] = x;
    s->y[s->n] = y;
    s->n++;
}

/* The same keys and values as bench_tally's caller loop; the buffers are
 * emptied every FLOOR_TAKE_STEPS steps, when the run's flusher would take
 * them too (it wakes early once 2^20 points wait). */
#define FLOOR_TAKE_STEPS ((1L << 20) / METRICS)
static double bench_floor(const char keys[][32])
{
    static floor_slot table[FLOOR_SLOTS];
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    unsigned long long rng = 1;
    double in_calls = 0;
    for (long step = 0; step < STEPS; step++) {
        double v[METRICS];
        for (int m = 0; m < METRICS; m++)
            v[m] = value(m, step, &rng);
        double c0 = bench_cpu_now();
        for (int m = 0; m < METRICS; m++) {
            pthread_mutex_lock(&mu);
            floor_append(floor_find(table, keys[m]), step, v[m]);
            pthread_mutex_unlock(&mu);
        }
        in_calls += bench_cpu_now() - c0;
        if (step % FLOOR_TAKE_STEPS == FLOOR_TAKE_STEPS - 1)
            for (int i = 0; i < FLOOR_SLOTS; i++)
                table[i].n = 0;
    }
    for (int i = 0; i < FLOOR_SLOTS; i++) {
        free(table[i].x);
        free(table[i].y);
    }
    memset(table, 0, sizeof table);
    return in_calls / ((double)METRICS * STEPS) * 1e9;
}

/* A run with default options (the system sampler and console capture run
 * too), or NULL after one line on stderr. */
static tally_run *start_run(const char *dir, const char *project)
{
    tally_options opts = {.dir = dir, .project = project};
    tally_run *run = NULL;
    int rc = tally_init_ex(&opts, &run);
    if (rc) {
        fprintf(stderr, "tally_init: %s\n", tally_strerror(rc));
        return NULL;
    }
    return run;
}

/* One metric logged per step: the commit's own work (its clock reads, the
 * hidden _timestamp and _runtime points) is most of the call. */
static int bench_one_metric(const char *dir, double *ns_per_step)
{
    tally_run *run = start_run(dir, "bench1");
    if (!run)
        return 1;
    const long steps = 2000000;
    double t0 = bench_cpu_now();
    for (long step = 0; step < steps; step++) {
        tally_log(run, "loss", 1.0 / (double)(step + 1));
        tally_commit(run);
    }
    *ns_per_step = (bench_cpu_now() - t0) / (double)steps * 1e9;
    return tally_finish(run, 0) != TALLY_OK;
}

/* tally_log_json: an object of JSON_KEYS numbers a step, as a program
 * passing its metrics dict would log them; CPU time per scalar in the
 * call (the text is formatted outside the timed part). */
#define JSON_KEYS 10
static int bench_json(const char *dir, double *ns_per_scalar)
{
    tally_run *run = start_run(dir, "benchjson");
    if (!run)
        return 1;
    const long steps = 200000;
    unsigned long long rng = 1;
    double in_calls = 0;
    char text[1024];
    for (long step = 0; step < steps; step++) {
        int n = snprintf(text, sizeof text, "{");
        for (int m = 0; m < JSON_KEYS; m++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s\"train/metric%02d\": %.17g",
                          m ? ", " : "", m, value(m, step, &rng));
        snprintf(text + n, sizeof text - (size_t)n, "}");
        double c0 = bench_cpu_now();
        tally_log_json(run, text);
        tally_commit(run);
        in_calls += bench_cpu_now() - c0;
    }
    *ns_per_scalar = in_calls / ((double)steps * JSON_KEYS) * 1e9;
    return tally_finish(run, 0) != TALLY_OK;
}

static void make_keys(char keys[][32])
{
    for (int m = 0; m < METRICS; m++)
        snprintf(keys[m], 32, "layer%02d/loss", m);
}

static int bench_tally(const char *dir, double *caller_ns, double *rate, double *bytes)
{
    char keys[METRICS][32];
    make_keys(keys);
    unsigned long long rng = 1;
    double t0 = bench_now();
    tally_run *run = start_run(dir, "bench");
    if (!run)
        return 1;
    double in_calls = 0;
    for (long step = 0; step < STEPS; step++) {
        double v[METRICS];
        for (int m = 0; m < METRICS; m++)
            v[m] = value(m, step, &rng);
        double c0 = bench_cpu_now();
        for (int m = 0; m < METRICS; m++)
            tally_log(run, keys[m], v[m]);
        tally_commit(run);
        in_calls += bench_cpu_now() - c0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s", tally_run_path(run));
    int rc = tally_finish(run, 0);
    double t1 = bench_now();
    if (rc) {
        fprintf(stderr, "tally_finish: %s\n", tally_strerror(rc));
        return 1;
    }
    double scalars = (double)METRICS * STEPS;
    *caller_ns = in_calls / scalars * 1e9;
    *rate = scalars / (t1 - t0);
    *bytes = (double)bench_file_size(path) / scalars;
    return 0;
}

static int bench_baseline(const char *dir, double *rate, double *bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/baseline.db", dir);
    unlink(path);
    unsigned long long rng = 1;
    double t0 = bench_now();
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
        sqlite3_bind_double(ins, 2, bench_now());
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
    double t1 = bench_now();
    double scalars = (double)METRICS * STEPS;
    *rate = scalars / (t1 - t0);
    *bytes = (double)bench_file_size(path) / scalars;
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
    double caller_ns, rate, bytes, base_rate, base_bytes, one_ns, json_ns;
    char keys[METRICS][32];
    make_keys(keys);
    /* Baseline, tally, baseline again: the two baselines show the noise. */
    if (bench_baseline(dir, &base_rate, &base_bytes) || bench_tally(dir, &caller_ns, &rate, &bytes))
        return 1;
    double base_rate2, base_bytes2;
    if (bench_baseline(dir, &base_rate2, &base_bytes2) || bench_one_metric(dir, &one_ns) ||
        bench_json(dir, &json_ns))
        return 1;
    /* Caller cost against the floor: CALLER_ROUNDS runs of each,
     * interleaved, and the ratio of the bests (the least disturbed run of
     * each: on a shared machine one run alone moves by a third). */
    double floor_ns = bench_floor((const char(*)[32])keys), floor_all[CALLER_ROUNDS];
    double caller_all[CALLER_ROUNDS];
    caller_all[0] = caller_ns;
    floor_all[0] = floor_ns;
    for (int i = 1; i < CALLER_ROUNDS; i++) {
        double r, b;
        if (bench_tally(dir, &caller_all[i], &r, &b))
            return 1;
        floor_all[i] = bench_floor((const char(*)[32])keys);
    }
    for (int i = 0; i < CALLER_ROUNDS; i++) {
        caller_ns = caller_all[i] < caller_ns ? caller_all[i] : caller_ns;
        floor_ns = floor_all[i] < floor_ns ? floor_all[i] : floor_ns;
    }
    double base = (base_rate + base_rate2) / 2;
    printf("workload: %d metrics x %d steps = %.0f scalars\n", METRICS, STEPS,
           (double)METRICS * STEPS);
    printf("tally caller cost      %8.1f ns/scalar  (best of %d:", caller_ns, CALLER_ROUNDS);
    for (int i = 0; i < CALLER_ROUNDS; i++)
        printf(" %.1f", caller_all[i]);
    printf(")\nfloor (hash+mutex+append) %5.1f ns/scalar  (best of %d:", floor_ns, CALLER_ROUNDS);
    for (int i = 0; i < CALLER_ROUNDS; i++)
        printf(" %.1f", floor_all[i]);
    printf(")\n");
    printf("caller / floor         %8.2f x               (target <= 1.5)\n", caller_ns / floor_ns);
    printf("one metric per step    %8.1f ns/step (log + commit)\n", one_ns);
    printf("tally_log_json         %8.1f ns/scalar      (target <= 300; %d keys an object)\n",
           json_ns, JSON_KEYS);
    printf("tally end to end       %8.2f M scalars/s\n", rate / 1e6);
    printf("raw SQLite baseline    %8.2f M scalars/s     (runs: %.2f, %.2f)\n", base / 1e6,
           base_rate / 1e6, base_rate2 / 1e6);
    printf("tally / baseline       %8.2f x               (target >= 0.6)\n", rate / base);
    printf("tally bytes on disk    %8.2f bytes/scalar   (target <= 7.2; baseline %.2f)\n", bytes,
           base_bytes);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
