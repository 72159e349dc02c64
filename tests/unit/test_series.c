/*
 * test_series.c — reading series back (src/store/series.c): decimation by
 * tally_store_series() must equal a brute-force reference computed from the
 * raw points for any range and bucket count, tally_points must return the
 * points bit-exact, and tally_bucket_index must split ranges exactly.  The
 * data is written through the public logging API, several chunks long.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/chunk.h"
#include "store/writer.h"
#include "testutil.h"

/* One metric as logged: the reference every read is checked against. */
typedef struct series {
    const char *name;
    int64_t *x;
    double *y;
    size_t n, cap;
    int64_t id;
} series;

enum { DENSE, SPARSE, ALLNAN, NSERIES };

static struct {
    char *dir, *path;
    tally_store *st;
    series s[NSERIES];
    int64_t max_x;
} fx;

static void series_push(series *s, int64_t x, double y)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->x = realloc(s->x, s->cap * sizeof *s->x);
        s->y = realloc(s->y, s->cap * sizeof *s->y);
        assert_non_null(s->x);
        assert_non_null(s->y);
    }
    s->x[s->n] = x;
    s->y[s->n] = y;
    s->n++;
}

/* Logs ~18k rows with gaps in the steps: "dense" every row (more than four
 * chunks), "sparse" on about a third of them, "allnan" every 100th, NaN and
 * infinities sprinkled in, and a flush every 2500 rows. */
static int setup(void **state)
{
    (void)state;
    fx.dir = tu_tmpdir();
    tally_run *run = tu_run_start(fx.dir, NULL);
    fx.s[DENSE].name = "dense";
    fx.s[SPARSE].name = "group/sparse";
    fx.s[ALLNAN].name = "allnan";
    tu_rng r;
    tu_rng_seed(&r, 2024);
    int64_t step = 0;
    double walk = 0;
    for (int row = 0; row < 18000; row++) {
        if (row > 0)
            step += tu_rng_below(&r, 200) == 0 ? 2 + (int64_t)tu_rng_below(&r, 3000) : 1;
        walk += tu_rng_unit(&r) - 0.5;
        uint64_t k = tu_rng_below(&r, 1000);
        double v = k < 20 ? NAN : k < 22 ? INFINITY : k < 24 ? -INFINITY : k < 26 ? -0.0 : walk;
        assert_int_equal(tally_log_at(run, step, "dense", v), TALLY_OK);
        series_push(&fx.s[DENSE], step, v);
        if (tu_rng_below(&r, 3) == 0) {
            double w = tu_rng_below(&r, 10) == 0 ? NAN : tu_rng_unit(&r) * 100 - 50;
            assert_int_equal(tally_log(run, "group/sparse", w), TALLY_OK);
            series_push(&fx.s[SPARSE], step, w);
        }
        if (row % 100 == 0) {
            double nan = tu_from_bits(0x7ff8000000000000u | (uint64_t)row);
            assert_int_equal(tally_log(run, "allnan", nan), TALLY_OK);
            series_push(&fx.s[ALLNAN], step, nan);
        }
        assert_int_equal(tally_commit(run), TALLY_OK);
        if (row % 2500 == 2499)
            assert_int_equal(tally_flush(run), TALLY_OK);
    }
    fx.max_x = step;
    fx.path = tu_run_finish(run, 0);
    fx.st = tu_store_open(fx.path);
    for (int i = 0; i < NSERIES; i++) {
        const tally_metric_info *m = tally_store_find_metric(fx.st, fx.s[i].name);
        assert_non_null(m);
        fx.s[i].id = m->id;
    }
    assert_true(fx.s[DENSE].n > 2 * WRITER_CHUNK_POINTS);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tally_store_close(fx.st);
    for (int i = 0; i < NSERIES; i++) {
        free(fx.s[i].x);
        free(fx.s[i].y);
    }
    free(fx.path);
    tu_rmrf(fx.dir);
    return 0;
}

/* NaN equals NaN; otherwise plain equality (chunk headers go through SQLite
 * REAL columns, where -0.0 may come back as 0.0). */
static int same_y(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* The reference split: bucket = floor((x - x0) * nbuckets / (x1 - x0 + 1)). */
static size_t ref_index(int64_t x, int64_t x0, int64_t x1, size_t nbuckets)
{
    __int128 off = (__int128)x - x0, span = (__int128)x1 - x0 + 1;
    return (size_t)(off * (__int128)nbuckets / span);
}

static void ref_series(const series *s, int64_t x0, int64_t x1, size_t nb, tally_bucket *out)
{
    for (size_t i = 0; i < nb; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].y_min = out[i].y_max = out[i].y_first = out[i].y_last = NAN;
    }
    for (size_t i = 0; i < s->n; i++) {
        int64_t x = s->x[i];
        double y = s->y[i];
        if (x < x0 || x > x1)
            continue;
        tally_bucket *b = &out[ref_index(x, x0, x1, nb)];
        if (b->n == 0) {
            b->x_first = x;
            b->y_first = y;
        }
        b->n++;
        b->x_last = x;
        b->y_last = y;
        if (!isnan(y)) {
            if (isnan(b->y_min) || y < b->y_min)
                b->y_min = y;
            if (isnan(b->y_max) || y > b->y_max)
                b->y_max = y;
        }
    }
}

static void check_series(const series *s, int64_t x0, int64_t x1, size_t nb)
{
    tally_bucket *got = malloc(nb * sizeof *got), *want = malloc(nb * sizeof *want);
    assert_non_null(got);
    assert_non_null(want);
    assert_int_equal(tally_store_series(fx.st, s->id, x0, x1, nb, got), TALLY_OK);
    ref_series(s, x0, x1, nb, want);
    for (size_t i = 0; i < nb; i++) {
        const tally_bucket *g = &got[i], *w = &want[i];
        int ok = g->n == w->n;
        if (ok && w->n > 0)
            ok = g->x_first == w->x_first && g->x_last == w->x_last &&
                 same_y(g->y_first, w->y_first) && same_y(g->y_last, w->y_last) &&
                 same_y(g->y_min, w->y_min) && same_y(g->y_max, w->y_max);
        if (ok && w->n == 0)
            ok = isnan(g->y_min) && isnan(g->y_max) && isnan(g->y_first) && isnan(g->y_last);
        if (!ok)
            fail_msg("%s [%lld, %lld] / %zu, bucket %zu: n %lld want %lld, x %lld..%lld want "
                     "%lld..%lld, y first %g last %g min %g max %g, want %g %g %g %g",
                     s->name, (long long)x0, (long long)x1, nb, i, (long long)g->n,
                     (long long)w->n, (long long)g->x_first, (long long)g->x_last,
                     (long long)w->x_first, (long long)w->x_last, g->y_first, g->y_last,
                     g->y_min, g->y_max, w->y_first, w->y_last, w->y_min, w->y_max);
    }
    free(got);
    free(want);
}

static size_t count_in(const series *s, int64_t x0, int64_t x1)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->x[i] >= x0 && s->x[i] <= x1;
    return n;
}

static void test_series_random(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 11);
    static const size_t fixed[] = {1, 2, 7, 200};
    for (int i = 0; i < NSERIES; i++) {
        const series *s = &fx.s[i];
        for (int q = 0; q < 120; q++) {
            int64_t a = (int64_t)tu_rng_below(&r, (uint64_t)fx.max_x + 101) - 50;
            int64_t b = (int64_t)tu_rng_below(&r, (uint64_t)fx.max_x + 101) - 50;
            if (q % 10 == 0)
                b = a + (int64_t)tu_rng_below(&r, 20); /* short ranges */
            int64_t x0 = a < b ? a : b, x1 = a < b ? b : a;
            for (size_t f = 0; f < 4; f++)
                check_series(s, x0, x1, fixed[f]);
            check_series(s, x0, x1, 1 + (size_t)tu_rng_below(&r, 1000));
            /* more buckets than points */
            check_series(s, x0, x1, count_in(s, x0, x1) * 2 + 3);
        }
    }
}

static void test_series_chunk_edges(void **state)
{
    (void)state;
    const series *s = &fx.s[DENSE];
    static const size_t counts[] = {1, 2, 3, 7, 200, 5000};
    /* Chunks hold WRITER_CHUNK_POINTS points each: ranges that start, end,
     * or cut exactly at their edges. */
    for (size_t c = WRITER_CHUNK_POINTS; c < s->n; c += WRITER_CHUNK_POINTS) {
        int64_t last = s->x[c - 1], first = s->x[c];
        int64_t ends[][2] = {
            {last, first},
            {first, first},
            {last, last},
            {s->x[c - WRITER_CHUNK_POINTS], last}, /* exactly one chunk */
            {s->x[c - WRITER_CHUNK_POINTS] + 1, last - 1},
            {first, c + WRITER_CHUNK_POINTS <= s->n ? s->x[c + WRITER_CHUNK_POINTS - 1] : first},
            {last - 1, first + 1},
            {s->x[c - 10], s->x[c + 10 < s->n ? c + 10 : s->n - 1]},
            {s->x[0], last},
            {first, fx.max_x + 100},
        };
        for (size_t e = 0; e < sizeof ends / sizeof *ends; e++)
            for (size_t k = 0; k < sizeof counts / sizeof *counts; k++)
                if (ends[e][0] <= ends[e][1])
                    check_series(s, ends[e][0], ends[e][1], counts[k]);
    }
}

static int64_t count_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* A copy of the fixture's file, to change. */
static char *copy_fixture(const char *name)
{
    size_t size;
    void *data = tu_read_file(fx.path, &size);
    assert_non_null(data);
    size_t len = strlen(fx.dir) + strlen(name) + 2;
    char *path = malloc(len);
    assert_non_null(path);
    snprintf(path, len, "%s/%s", fx.dir, name);
    assert_int_equal(tu_write_file(path, data, size), 0);
    free(data);
    return path;
}

/* Sets every chunk's blocks to NULL (or, with truncate, cuts their last
 * byte off) and stores the checksum such a row must carry, so that the rows
 * stay valid: what a reader sees is then the other code path, never
 * damage. */
static void rewrite_blocks(const char *path, int truncate)
{
    sqlite3 *db;
    sqlite3_stmt *q, *u;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT rowid, metric_id, first_x, last_x, n, y_min, "
                                        "y_max, y_first, y_last, data, blocks FROM chunk",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE chunk SET blocks = ?, crc = ? WHERE rowid = ?",
                                        -1, &u, NULL),
                     SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        chunk_stats h = {.first_x = sqlite3_column_int64(q, 2),
                         .last_x = sqlite3_column_int64(q, 3),
                         .n = sqlite3_column_int64(q, 4)};
        double *reals[] = {&h.y_min, &h.y_max, &h.y_first, &h.y_last};
        for (int i = 0; i < 4; i++)
            *reals[i] = sqlite3_column_type(q, 5 + i) == SQLITE_NULL
                            ? NAN
                            : sqlite3_column_double(q, 5 + i);
        size_t len = (size_t)sqlite3_column_bytes(q, 9);
        unsigned char *data = malloc(len + 1);
        memcpy(data, sqlite3_column_blob(q, 9), len);
        size_t nsums = (size_t)sqlite3_column_bytes(q, 10);
        unsigned char *sums = NULL;
        if (truncate && nsums > 0) {
            sums = malloc(nsums);
            memcpy(sums, sqlite3_column_blob(q, 10), nsums);
            nsums--;
        }
        sqlite3_reset(u);
        if (sums)
            sqlite3_bind_blob(u, 1, sums, (int)nsums, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(u, 1);
        sqlite3_bind_int64(u, 2, chunk_checksum(sqlite3_column_int64(q, 1), &h, data, len, sums,
                                                sums ? nsums : 0));
        sqlite3_bind_int64(u, 3, sqlite3_column_int64(q, 0));
        assert_int_equal(sqlite3_step(u), SQLITE_DONE);
        free(data);
        free(sums);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(u);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* The random and edge queries, against the file at path. */
static void check_file(const char *path)
{
    tally_store *keep = fx.st;
    fx.st = tu_store_open(path);
    tu_rng r;
    tu_rng_seed(&r, 3);
    static const size_t counts[] = {1, 3, 100, 200, 5000};
    for (int i = 0; i < NSERIES; i++) {
        const series *s = &fx.s[i];
        for (size_t k = 0; k < sizeof counts / sizeof *counts; k++)
            check_series(s, 0, fx.max_x, counts[k]);
        for (int q = 0; q < 30; q++) {
            int64_t a = (int64_t)tu_rng_below(&r, (uint64_t)fx.max_x + 1);
            int64_t b = a + (int64_t)tu_rng_below(&r, (uint64_t)fx.max_x / 3 + 1);
            check_series(s, a, b, 1 + (size_t)tu_rng_below(&r, 400));
        }
    }
    assert_int_equal(tally_store_damage_count(fx.st), 0);
    tally_store_close(fx.st);
    fx.st = keep;
}

/* The fixture's big chunks carry block summaries: the random and edge
 * tests above go through them, and they cost little room. */
static void test_blocks_written(void **state)
{
    (void)state;
    assert_int_equal(tally_store_info(fx.st)->schema_version, TALLY_SCHEMA_VERSION);
    char sql[256];
    for (int i = 0; i < NSERIES; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM chunk WHERE metric_id = %lld AND n >= %d AND"
                 " (blocks IS NULL OR length(blocks) > 1 + 2 + (n / %d + 1) * 36)",
                 (long long)fx.s[i].id, CHUNK_BLOCKS_MIN, CHUNK_BLOCK_POINTS);
        assert_int_equal(count_sql(fx.path, sql), 0);
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM chunk WHERE metric_id = %lld AND n < %d AND"
                 " blocks IS NOT NULL",
                 (long long)fx.s[i].id, CHUNK_BLOCKS_MIN);
        assert_int_equal(count_sql(fx.path, sql), 0);
    }
    static const char with_blocks[] =
        "SELECT count(*) FROM chunk WHERE metric_id = %lld AND blocks IS NOT NULL";
    snprintf(sql, sizeof sql, with_blocks, (long long)fx.s[DENSE].id);
    assert_true(count_sql(fx.path, sql) >= 4);
    snprintf(sql, sizeof sql, with_blocks, (long long)fx.s[SPARSE].id);
    assert_true(count_sql(fx.path, sql) >= 2);
}

/* Rows without summaries (schema 3, blocks NULL) and files without the
 * column (schema 2) are decoded whole, to the same charts. */
static void test_series_without_blocks(void **state)
{
    (void)state;
    char *path = copy_fixture("noblocks.db");
    rewrite_blocks(path, 0);
    assert_int_equal(count_sql(path, "SELECT count(*) FROM chunk WHERE blocks IS NOT NULL"), 0);
    check_file(path);
    tu_exec_sql(path, "ALTER TABLE chunk DROP COLUMN blocks; PRAGMA user_version = 2;");
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->schema_version, 2);
    tally_store_close(st);
    check_file(path);
    free(path);
}

/* Summaries that pass the checksum but do not describe their blob (a
 * writer's bug) are ignored: the chunk is decoded whole.  Summaries that
 * fail the checksum make their chunk damaged, left out and reported. */
static void test_series_bad_blocks(void **state)
{
    (void)state;
    char *path = copy_fixture("badblocks.db");
    rewrite_blocks(path, 1);
    check_file(path);
    free(path);

    path = copy_fixture("damaged.db");
    tally_bucket b[100];
    char sql[200];
    snprintf(sql, sizeof sql,
             "UPDATE chunk SET blocks = zeroblob(length(blocks)) WHERE rowid = (SELECT min(rowid)"
             " FROM chunk WHERE metric_id = %lld AND blocks IS NOT NULL)",
             (long long)fx.s[DENSE].id);
    tu_exec_sql(path, sql);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_series(st, fx.s[DENSE].id, 0, fx.max_x, 100, b), TALLY_OK);
    assert_int_equal(tally_store_damage_count(st), 1);
    int64_t n = 0;
    for (int i = 0; i < 100; i++)
        n += b[i].n;
    assert_true(n < (int64_t)fx.s[DENSE].n);
    tally_store_close(st);
    free(path);
}

static void test_series_extremes(void **state)
{
    (void)state;
    static const size_t counts[] = {1, 2, 7, 200, 100000};
    for (int i = 0; i < NSERIES; i++) {
        for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
            check_series(&fx.s[i], INT64_MIN, INT64_MAX, counts[k]);
            check_series(&fx.s[i], 0, INT64_MAX, counts[k]);
            check_series(&fx.s[i], INT64_MIN, -1, counts[k]);
            check_series(&fx.s[i], INT64_MIN, 0, counts[k]);
            check_series(&fx.s[i], 0, fx.max_x, counts[k]);
            check_series(&fx.s[i], fx.max_x, fx.max_x, counts[k]);
            check_series(&fx.s[i], fx.max_x + 1, INT64_MAX, counts[k]);
        }
    }
    /* the whole dense series in one bucket: totals of everything */
    tally_bucket b;
    assert_int_equal(tally_store_series(fx.st, fx.s[DENSE].id, 0, fx.max_x, 1, &b), TALLY_OK);
    assert_int_equal(b.n, (int64_t)fx.s[DENSE].n);

    /* bad arguments, and a metric that does not exist */
    assert_int_equal(tally_store_series(fx.st, fx.s[DENSE].id, 0, 10, 0, &b), TALLY_EINVAL);
    assert_int_equal(tally_store_series(fx.st, fx.s[DENSE].id, 10, 9, 1, &b), TALLY_EINVAL);
    assert_int_equal(tally_store_series(NULL, fx.s[DENSE].id, 0, 10, 1, &b), TALLY_EINVAL);
    assert_int_equal(tally_store_series(fx.st, fx.s[DENSE].id, 0, 10, 1, NULL), TALLY_EINVAL);
    tally_bucket none[3];
    assert_int_equal(tally_store_series(fx.st, 999999, 0, 10, 3, none), TALLY_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(none[i].n, 0);
}

static void check_points(const series *s, int64_t x0, int64_t x1)
{
    tally_points *p;
    assert_int_equal(tally_points_open(fx.st, s->id, x0, x1, &p), TALLY_OK);
    size_t i = 0;
    while (i < s->n && s->x[i] < x0)
        i++;
    int64_t x;
    double y;
    int rc;
    while ((rc = tally_points_next(p, &x, &y)) == 1) {
        assert_true(i < s->n);
        assert_true(x == s->x[i]);
        if (tu_bits(y) != tu_bits(s->y[i]))
            fail_msg("%s point %zu: %016llx want %016llx", s->name, i,
                     (unsigned long long)tu_bits(y), (unsigned long long)tu_bits(s->y[i]));
        i++;
    }
    assert_int_equal(rc, 0);
    assert_true(i == s->n || s->x[i] > x1);
    /* at the end it stays at the end */
    assert_int_equal(tally_points_next(p, &x, &y), 0);
    tally_points_close(p);
}

static void test_points_roundtrip(void **state)
{
    (void)state;
    for (int i = 0; i < NSERIES; i++) {
        const series *s = &fx.s[i];
        int64_t *x;
        double *y;
        size_t n = tu_points(fx.st, s->name, &x, &y);
        assert_int_equal(n, s->n);
        for (size_t k = 0; k < n; k++) {
            assert_true(x[k] == s->x[k]);
            assert_true(tu_bits(y[k]) == tu_bits(s->y[k]));
        }
        free(x);
        free(y);
        check_points(s, INT64_MIN, INT64_MAX);
    }
    tu_rng r;
    tu_rng_seed(&r, 5);
    for (int q = 0; q < 60; q++) {
        const series *s = &fx.s[q % NSERIES];
        int64_t a = (int64_t)tu_rng_below(&r, (uint64_t)fx.max_x + 11) - 5;
        int64_t b = a + (int64_t)tu_rng_below(&r, 9000);
        check_points(s, a, b);
    }
    /* ranges on chunk edges */
    const series *d = &fx.s[DENSE];
    for (size_t c = WRITER_CHUNK_POINTS; c < d->n; c += WRITER_CHUNK_POINTS) {
        check_points(d, d->x[c - 1], d->x[c]);
        check_points(d, d->x[c], d->x[c]);
        check_points(d, d->x[c - 1], d->x[c - 1]);
    }
    tally_points *p;
    assert_int_equal(tally_points_open(fx.st, d->id, 5, 4, &p), TALLY_EINVAL);
    assert_int_equal(tally_points_open(NULL, d->id, 0, 4, &p), TALLY_EINVAL);
}

static void test_metric_info(void **state)
{
    (void)state;
    for (int i = 0; i < NSERIES; i++) {
        const series *s = &fx.s[i];
        const tally_metric_info *m = tally_store_find_metric(fx.st, s->name);
        assert_non_null(m);
        assert_int_equal(m->n, (int64_t)s->n);
        assert_true(m->x_min == s->x[0]);
        assert_true(m->x_max == s->x[s->n - 1]);
        assert_int_equal(m->axis, TALLY_AXIS_STEP);
        assert_false(m->hidden);
        tally_bucket all;
        ref_series(s, INT64_MIN, INT64_MAX, 1, &all);
        /* docs/format.md: over the non-NaN values, NULL (NaN) when none */
        assert_true(same_y(m->y_min, all.y_min));
        assert_true(same_y(m->y_max, all.y_max));
        assert_true(same_y(m->y_last, s->y[s->n - 1]));
    }
    assert_true(isnan(tally_store_find_metric(fx.st, "allnan")->y_min));
    const tally_metric_info *ts = tally_store_find_metric(fx.st, "_timestamp");
    assert_non_null(ts);
    assert_true(ts->hidden);
    assert_int_equal(ts->n, (int64_t)fx.s[DENSE].n);
}

static void test_bucket_index(void **state)
{
    (void)state;
    /* outside the range: clamped */
    assert_int_equal(tally_bucket_index(-5, 0, 9, 10), 0);
    assert_int_equal(tally_bucket_index(INT64_MIN, 0, 9, 10), 0);
    assert_int_equal(tally_bucket_index(10, 0, 9, 10), 9);
    assert_int_equal(tally_bucket_index(INT64_MAX, 0, 9, 10), 9);
    /* one bucket, or none asked: everything in bucket 0 */
    assert_int_equal(tally_bucket_index(5, 0, 9, 1), 0);
    assert_int_equal(tally_bucket_index(5, 0, 9, 0), 0);
    /* one value per bucket */
    for (int64_t x = 0; x <= 9; x++)
        assert_int_equal(tally_bucket_index(x, 0, 9, 10), (size_t)x);
    /* a single-value range */
    assert_int_equal(tally_bucket_index(7, 7, 7, 5), 0);
    assert_int_equal(tally_bucket_index(8, 7, 7, 5), 4);
    /* more buckets than values: value i lands in bucket i * nb / span */
    for (int64_t x = 0; x < 3; x++)
        assert_int_equal(tally_bucket_index(x, 0, 2, 7), (size_t)(x * 7 / 3));
    /* the whole int64 range: halves split at 0 */
    assert_int_equal(tally_bucket_index(INT64_MIN, INT64_MIN, INT64_MAX, 2), 0);
    assert_int_equal(tally_bucket_index(-1, INT64_MIN, INT64_MAX, 2), 0);
    assert_int_equal(tally_bucket_index(0, INT64_MIN, INT64_MAX, 2), 1);
    assert_int_equal(tally_bucket_index(INT64_MAX, INT64_MIN, INT64_MAX, 2), 1);
    assert_int_equal(tally_bucket_index(INT64_MIN / 2 - 1, INT64_MIN, INT64_MAX, 4), 0);
    assert_int_equal(tally_bucket_index(INT64_MIN / 2, INT64_MIN, INT64_MAX, 4), 1);
    assert_int_equal(tally_bucket_index(INT64_MAX / 2 + 1, INT64_MIN, INT64_MAX, 4), 3);
    /* (2^64 - 2) * (2^64 - 1) / 2^64, without overflow */
    assert_int_equal(tally_bucket_index(INT64_MAX - 1, INT64_MIN, INT64_MAX, SIZE_MAX),
                     SIZE_MAX - 2);
    assert_int_equal(tally_bucket_index(INT64_MAX, INT64_MIN, INT64_MAX, SIZE_MAX), SIZE_MAX - 1);
    /* against the reference, and monotonic, over random ranges */
    tu_rng r;
    tu_rng_seed(&r, 77);
    for (int i = 0; i < 20000; i++) {
        int64_t a = (int64_t)tu_rng_next(&r), b = (int64_t)tu_rng_next(&r);
        if (i % 3 == 0)
            b = a + (int64_t)tu_rng_below(&r, 1000);
        if (b < a) {
            int64_t t = a;
            a = b;
            b = t;
        }
        size_t nb = 1 + (size_t)tu_rng_below(&r, i % 2 ? 7 : 100000);
        uint64_t span = (uint64_t)b - (uint64_t)a;
        int64_t x = (int64_t)((uint64_t)a + (span == UINT64_MAX ? tu_rng_next(&r)
                                                                : tu_rng_below(&r, span + 1)));
        size_t got = tally_bucket_index(x, a, b, nb);
        assert_int_equal(got, ref_index(x, a, b, nb));
        assert_true(got < nb);
        if (x < b)
            assert_true(tally_bucket_index(x + 1, a, b, nb) >= got);
    }
    /* every bucket is hit when there are at least as many values */
    size_t hits[7] = {0};
    for (int64_t x = -3; x <= 17; x++)
        hits[tally_bucket_index(x, -3, 17, 7)]++;
    for (int i = 0; i < 7; i++)
        assert_int_equal(hits[i], 3);
}

int main(void)
{
    setenv("TALLY_QUIET", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_index),
        cmocka_unit_test(test_points_roundtrip),
        cmocka_unit_test(test_metric_info),
        cmocka_unit_test(test_series_random),
        cmocka_unit_test(test_series_chunk_edges),
        cmocka_unit_test(test_series_extremes),
        cmocka_unit_test(test_blocks_written),
        cmocka_unit_test(test_series_without_blocks),
        cmocka_unit_test(test_series_bad_blocks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
