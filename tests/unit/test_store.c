/*
 * test_store.c — the run file as a format (src/store/writer.c, reader.c,
 * series.c): rows are appended, never rewritten; a slow metric's small rows
 * are merged when its tail is full, idle or finished; a resumed writer goes
 * on with the tail it finds; strings travel in batches; a live run's .db
 * copied alone reads; readers leave no side files, and play back the
 * journal a process killed mid-commit left; schema 1 files read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "store/chunk.h"
#include "store/writer.h"
#include "testutil.h"

static int64_t query_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static int exists(const char *path, const char *suffix)
{
    char p[4200];
    snprintf(p, sizeof p, "%s%s", path, suffix);
    struct stat sb;
    return stat(p, &sb) == 0;
}

static void check_metric(tally_store *st, const char *name, int64_t n, double scale)
{
    int64_t *x;
    double *y;
    assert_int_equal(tu_points(st, name, &x, &y), (size_t)n);
    for (int64_t i = 0; i < n; i++)
        if (x[i] != i || y[i] != (double)i * scale)
            fail_msg("%s point %lld: %lld %g", name, (long long)i, (long long)x[i], y[i]);
    free(x);
    free(y);
}

/* Every (rowid, crc) of a metric's rows, as one string: a row rewritten
 * or deleted changes it. */
static char *row_set(const char *path, const char *name)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT group_concat(rowid || ':' || crc, ',') FROM"
                                        " (SELECT rowid, crc FROM chunk WHERE metric_id ="
                                        " (SELECT id FROM metric WHERE name = ?) ORDER BY rowid)",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    const char *t = (const char *)sqlite3_column_text(q, 0);
    char *out = strdup(t ? t : "");
    sqlite3_finalize(q);
    sqlite3_close(db);
    return out;
}

static int64_t rows_of(const char *path, const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM chunk WHERE metric_id = (SELECT id FROM metric WHERE name = "
             "'%s')",
             name);
    return query_int(path, sql);
}

/* Logs n steps of metric name from *step, flushing every `every` steps. */
static void log_steps(tally_run *run, const char *name, int64_t *step, int n, int every,
                      double scale)
{
    for (int i = 0; i < n; i++, (*step)++) {
        assert_int_equal(tally_log_at(run, *step, name, (double)*step * scale), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
        if (i % every == every - 1)
            assert_int_equal(tally_flush(run), TALLY_OK);
    }
}

/* 100 points a flush: each flush appends one row and no row already
 * written is ever rewritten or deleted; readers see every point flushed. */
static void test_rows_appended_never_rewritten(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "append01");
    const char *path = tally_run_path(run);
    int64_t step = 0;
    char *before = strdup("");
    for (int flush = 0; flush < 50; flush++) {
        log_steps(run, "a", &step, 100, 100, 1);
        char *now = row_set(path, "a");
        /* the old rows, unchanged, then one more */
        assert_true(strncmp(now, before, strlen(before)) == 0);
        assert_int_equal(rows_of(path, "a"), flush + 1);
        free(before);
        before = now;
        if (flush % 10 == 9) {
            tally_store *st = tu_store_open(path);
            check_metric(st, "a", step, 1);
            tally_store_close(st);
        }
    }
    char *done = tu_run_finish(run, 0);
    char *after = row_set(done, "a");
    assert_string_equal(after, before); /* finishing rewrites nothing either */
    free(after);
    free(before);
    tally_store *st = tu_store_open(done);
    check_metric(st, "a", 5000, 1);
    tally_store_close(st);
    free(done);
}

/* A flush of more than WRITER_CHUNK_POINTS points writes full rows. */
static void test_big_flush_split(void **state)
{
    const char *dir = *state;
    /* No timed flush in the middle: the one flush brings every point. */
    tally_options o = {.dir = dir, .project = "unit", .id = "bigflush", .flush_ms = 100000,
                       .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    assert_int_equal(tally_init_ex(&o, &run), TALLY_OK);
    int64_t step = 0;
    log_steps(run, "a", &step, 3 * WRITER_CHUNK_POINTS + 5, 3 * WRITER_CHUNK_POINTS + 5, 1);
    char *done = tu_run_finish(run, 0);
    assert_int_equal(rows_of(done, "a"), 4);
    assert_int_equal(query_int(done, "SELECT max(n) FROM chunk"), WRITER_CHUNK_POINTS);
    tally_store *st = tu_store_open(done);
    check_metric(st, "a", step, 1);
    tally_store_close(st);
    free(done);
}

/* Rows but the newest of a slow metric: every one must hold at least
 * WRITER_MERGE_POINTS points (the newest may still be growing). */
static int64_t small_rows(const char *path, const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM chunk WHERE metric_id = (SELECT id FROM metric WHERE name = "
             "'%s') AND n < %d AND rowid < (SELECT max(rowid) FROM chunk WHERE metric_id = "
             "(SELECT id FROM metric WHERE name = '%s'))",
             name, WRITER_MERGE_POINTS, name);
    return query_int(path, sql);
}

/* A slow metric (a few points a flush) grows its newest row in place
 * instead of adding a row a flush, so no row of it stays small; its tail
 * closes when full, when it goes idle, and at the end of the run. */
static void test_slow_metric_grows(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "slowmet1");
    const char *path = tally_run_path(run);
    int64_t step = 0;
    log_steps(run, "slow", &step, WRITER_CHUNK_POINTS - 32, 32, 1);
    int64_t rows = rows_of(path, "slow");
    assert_true(rows >= 2 && rows <= (WRITER_CHUNK_POINTS - 32) / 32 / 4); /* 127 flushes */
    assert_int_equal(small_rows(path, "slow"), 0);
    assert_true(query_int(path, "SELECT max(length(data)) FROM chunk") <
                WRITER_GROW_BYTES + 32 * 10);
    tally_store *st = tu_store_open(path);
    check_metric(st, "slow", step, 1); /* readers see every flush */
    tally_store_close(st);
    log_steps(run, "slow", &step, 32, 32, 1);
    assert_int_equal(query_int(path, "SELECT tail_from IS NULL FROM metric WHERE name = 'slow'"),
                     1); /* full: closed */
    log_steps(run, "slow", &step, 3 * 32, 32, 1);
    assert_int_equal(rows_of(path, "slow"), rows + 1); /* the new tail: one growing row */
    /* idle: another metric goes on, "slow"'s tail is closed after a while */
    int64_t busy = step;
    log_steps(run, "busy", &busy, WRITER_IDLE_FLUSHES + 1, 1, 1);
    assert_int_equal(query_int(path, "SELECT tail_from IS NULL FROM metric WHERE name = 'slow'"),
                     1);
    assert_int_equal(rows_of(path, "busy"), 1); /* a point a flush: one row */
    st = tu_store_open(path);
    check_metric(st, "slow", step, 1);
    tally_store_close(st);
    char *done = tu_run_finish(run, 0);
    assert_int_equal(rows_of(done, "busy"), 1);
    assert_int_equal(rows_of(done, "slow"), rows + 1);
    st = tu_store_open(done);
    check_metric(st, "slow", step, 1);
    tally_store_close(st);
    free(done);
}

/* Rows too small to grow (the newest row is a big one each time) are still
 * merged into one when the tail closes. */
static void test_small_rows_merged(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "smallrow");
    int64_t step = 0;
    for (int i = 0; i < 10; i++) {
        log_steps(run, "m", &step, WRITER_MERGE_POINTS, WRITER_MERGE_POINTS, 1); /* a big row */
        log_steps(run, "m", &step, 3, 3, 1); /* a small one: the row before may not grow */
    }
    assert_int_equal(rows_of(tally_run_path(run), "m"), 20);
    char *done = tu_run_finish(run, 0);
    assert_int_equal(rows_of(done, "m"), 1); /* 670 points in 20 rows: merged at the end */
    tally_store *st = tu_store_open(done);
    check_metric(st, "m", step, 1);
    tally_store_close(st);
    free(done);
}

#define V1_CHUNK_POINTS 4096 /* the chunk size of the writers of schema 1 */
#define RESUME_POINTS (WRITER_CHUNK_POINTS + 904)

/* A writer killed with an open tail; the resumed run goes on filling the
 * same tail and closes it as if it had never stopped. */
static void test_resume_continues_tail(void **state)
{
    const char *dir = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        tally_options o = {.dir = dir, .project = "unit", .id = "resumet1", .flush_ms = 100000,
                           .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
        tally_run *run;
        if (tally_init_ex(&o, &run))
            _exit(1);
        for (int i = 0; i < 3000; i++) {
            tally_log(run, "a", i * 0.5);
            tally_commit(run);
            if (i % 30 == 29 && tally_flush(run))
                _exit(2);
        }
        _exit(0); /* no tally_finish: a crash */
    }
    assert_int_equal(tu_wait_child(pid), 0);
    tally_options o = {.dir = dir, .project = "unit", .id = "resumet1", .flush_ms = 100000,
                       .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    assert_int_equal(tally_init_ex(&o, &run), TALLY_OK);
    const char *path = tally_run_path(run);
    int64_t rows = rows_of(path, "a");
    assert_true(rows >= 2 && rows <= 25); /* 100 flushes, grown rows */
    int64_t tail = query_int(path, "SELECT tail_from FROM metric WHERE name = 'a'");
    assert_true(tail > 0);
    for (int i = 3000; i < RESUME_POINTS; i++) {
        assert_int_equal(tally_log(run, "a", i * 0.5), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
        if (i % 30 == 29)
            assert_int_equal(tally_flush(run), TALLY_OK);
    }
    /* the same tail, closed once full at 4096 points, and a new one */
    assert_true(query_int(path, "SELECT tail_from FROM metric WHERE name = 'a'") > tail);
    int64_t tail_n = query_int(path, "SELECT tail_n FROM metric WHERE name = 'a'");
    assert_true(tail_n > 0 && tail_n <= RESUME_POINTS - WRITER_CHUNK_POINTS);
    char *done = tu_run_finish(run, 0);
    assert_true(small_rows(done, "a") <= 1); /* the crashed writer's newest row may stay small */
    tally_store *st = tu_store_open(done);
    check_metric(st, "a", RESUME_POINTS, 0.5);
    tally_store_close(st);
    free(done);
}

/* Strings go in one row a flush, come back in order, exact; a damaged
 * batch is reported and the others still read. */
static void test_string_batches(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "strings1");
    char text[64];
    for (int i = 0; i < 30000; i++) {
        snprintf(text, sizeof text, "s%d \"q\" \\ \t", i);
        assert_int_equal(tally_log_str(run, "s", text), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
        if (i % 10000 == 9999)
            assert_int_equal(tally_flush(run), TALLY_OK);
    }
    char *path = tu_run_finish(run, 0);
    int64_t batches = query_int(path, "SELECT count(*) FROM object_batch");
    assert_true(batches >= 3 && batches < 100);
    assert_int_equal(query_int(path, "SELECT sum(n) FROM object_batch"), 30000);
    tally_store *st = tu_store_open(path);
    const tally_metric_info *m = tally_store_find_metric(st, "s");
    assert_non_null(m);
    tally_objects *o;
    assert_int_equal(tally_objects_open(st, INT64_MIN, INT64_MAX, &o), TALLY_OK);
    tally_object obj;
    int64_t n = 0;
    while (tally_objects_next(o, &obj) == 1) {
        buf want = BUF_INIT;
        snprintf(text, sizeof text, "s%lld \"q\" \\ \t", (long long)n);
        json_string(&want, text);
        assert_int_equal(obj.x, n);
        assert_int_equal(obj.metric_id, m->id);
        assert_string_equal(obj.type, "string");
        assert_string_equal(obj.json, buf_cstr(&want));
        buf_free(&want);
        n++;
    }
    tally_objects_close(o);
    assert_int_equal(n, 30000);
    tally_store_close(st);

    /* damage the second batch */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE object_batch SET data = substr(data, 1, 20) ||"
                                  " X'00' || substr(data, 22) WHERE id ="
                                  " (SELECT id FROM object_batch ORDER BY first_x LIMIT 1 OFFSET 1)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    int64_t lost = 0, lo = 0, hi = 0;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT n, first_x, last_x FROM object_batch ORDER BY"
                                        " first_x LIMIT 1 OFFSET 1",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    lost = sqlite3_column_int64(q, 0);
    lo = sqlite3_column_int64(q, 1);
    hi = sqlite3_column_int64(q, 2);
    sqlite3_finalize(q);
    sqlite3_close(db);
    st = tu_store_open(path);
    assert_int_equal(tally_objects_open(st, INT64_MIN, INT64_MAX, &o), TALLY_OK);
    int rc, corrupt = 0;
    n = 0;
    while ((rc = tally_objects_next(o, &obj)) != 0) {
        if (rc == TALLY_ECORRUPT) {
            corrupt++;
            continue;
        }
        assert_int_equal(rc, 1);
        assert_true(obj.x < lo || obj.x > hi);
        n++;
    }
    tally_objects_close(o);
    assert_int_equal(corrupt, 1);
    assert_int_equal(n, 30000 - lost);
    assert_int_equal(tally_store_damage_count(st), 1);
    const tally_damage *d = tally_store_damage(st, 0);
    assert_int_equal(d->metric_id, -1);
    assert_int_equal(d->first_x, lo);
    assert_int_equal(d->last_x, hi);
    tally_store_close(st);
    free(path);
}

/* A live run's .db copied alone, without its WAL, holds everything flushed;
 * neither that copy nor a finished run grows side files when read. */
static void test_copy_alone_and_side_files(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "copyrun1");
    for (int i = 0; i < 6000; i++) {
        assert_int_equal(tally_log(run, "a", i), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
        if (i % 1000 == 999)
            assert_int_equal(tally_flush(run), TALLY_OK);
    }
    size_t size;
    void *bytes = tu_read_file(tally_run_path(run), &size);
    assert_non_null(bytes);
    char copy[4200];
    snprintf(copy, sizeof copy, "%s/copy.db", dir);
    assert_int_equal(tu_write_file(copy, bytes, size), 0);
    free(bytes);
    tally_store *st = tu_store_open(copy);
    check_metric(st, "a", 6000, 1);
    assert_int_equal(tally_store_info(st)->rows, 6000);
    tally_store_close(st);
    assert_false(exists(copy, "-wal"));
    assert_false(exists(copy, "-shm"));

    char *done = tu_run_finish(run, 0);
    assert_false(exists(done, "-wal"));
    assert_false(exists(done, "-shm"));
    st = tu_store_open(done);
    check_metric(st, "a", 6000, 1);
    tally_store_close(st);
    assert_false(exists(done, "-wal"));
    assert_false(exists(done, "-shm"));
    assert_false(exists(done, "-journal"));
    free(done);
}

/* A child that opens path read-write and dies of SIGKILL in the middle of a
 * commit, the way a killed `tally sync` can: with one page of cache the
 * update spills, so the journal's header and the changed pages are already
 * in the file when it dies.  Returns the file's bytes from before. */
static void *die_mid_commit(const char *path, size_t *size)
{
    void *before = tu_read_file(path, size);
    assert_non_null(before);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3 *db;
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
            sqlite3_exec(db,
                         "PRAGMA cache_size = 1; BEGIN IMMEDIATE;"
                         " UPDATE chunk SET data = zeroblob(length(data));"
                         " UPDATE run SET rows = 0",
                         NULL, NULL, NULL) != SQLITE_OK)
            _exit(1);
        raise(SIGKILL);
        _exit(2);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status))
        fail_msg("the child did not die mid-commit (exit %d)", WEXITSTATUS(status));
    assert_true(exists(path, "-journal"));
    size_t n;
    void *now = tu_read_file(path, &n);
    assert_non_null(now);
    assert_true(n != *size || memcmp(now, before, n) != 0); /* pages already written */
    free(now);
    return before;
}

/* The file holds exactly before's bytes, and nothing lies beside it. */
static void assert_played_back(const char *path, const void *before, size_t size)
{
    size_t n;
    void *now = tu_read_file(path, &n);
    assert_non_null(now);
    assert_int_equal(n, size);
    assert_memory_equal(now, before, size);
    free(now);
    assert_false(exists(path, "-journal"));
    assert_false(exists(path, "-wal"));
    assert_false(exists(path, "-shm"));
}

/* A finished run left with a hot journal by a process killed mid-commit:
 * a new reader, and one that had the file open already, play it back and
 * read the run as it was; a reader that may not write the file says so. */
static void test_hot_journal(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "hotjrnl1");
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(tally_log(run, "a", i), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    char *path = tu_run_finish(run, 0);

    tally_store *open_before = tu_store_open(path);
    size_t size;
    void *before = die_mid_commit(path, &size);
    int changed = -1;
    assert_int_equal(tally_store_refresh(open_before, &changed), TALLY_OK);
    assert_int_equal(tally_store_info(open_before)->rows, 3000);
    check_metric(open_before, "a", 3000, 1);
    tally_store_close(open_before);
    assert_played_back(path, before, size);
    free(before);

    before = die_mid_commit(path, &size);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->rows, 3000);
    assert_int_equal(tally_store_info(st)->state, TALLY_STATE_FINISHED);
    check_metric(st, "a", 3000, 1);
    tally_store_close(st);
    assert_played_back(path, before, size);
    free(before);

    /* Without write access nobody may play it back: TALLY_EACCES, and the
     * file is left as it is.  (As root, in a child that gives root up.) */
    before = die_mid_commit(path, &size);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(chmod(path, 0444), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(77);
        if (access(path, W_OK) == 0)
            _exit(77); /* permissions not enforced here */
        if (access(path, R_OK) != 0)
            _exit(3);
        tally_store *ro = (tally_store *)&pid;
        int rc = tally_store_open(path, &ro);
        _exit(rc == TALLY_EACCES && ro == NULL ? 0 : 1);
    }
    int code = tu_wait_child(pid);
    assert_int_equal(chmod(path, 0644), 0);
    assert_true(exists(path, "-journal"));
    if (code != 77)
        assert_int_equal(code, 0);
    st = tu_store_open(path); /* and whoever may write it, reads it */
    check_metric(st, "a", 3000, 1);
    tally_store_close(st);
    assert_played_back(path, before, size);
    free(before);
    free(path);
}

/* Finishes run and opens every step row of it. */
static char *finish_and_read(tally_run *run, tally_store **st, tally_history **h)
{
    char *path = tu_run_finish(run, 0);
    *st = tu_store_open(path);
    assert_int_equal(tally_history_open(*st, TALLY_AXIS_STEP, NULL, INT64_MIN, INT64_MAX, h),
                     TALLY_OK);
    return path;
}

/* A key with the step in it: thousands of metrics of one point each.  Rows
 * come out in step order holding exactly their own cells. */
static void test_history_many_keys(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "manykeys");
    char key[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(tally_log(run, key, i * 2.0), TALLY_OK);
        if (i % 3 == 0)
            assert_int_equal(tally_log(run, "loss", i), TALLY_OK);
        if (i % 7 == 0)
            assert_int_equal(tally_log_str(run, "note", "x"), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
        if (i % 500 == 499)
            assert_int_equal(tally_flush(run), TALLY_OK);
    }
    tally_store *st;
    tally_history *h;
    char *path = finish_and_read(run, &st, &h);
    tally_history_row row;
    int64_t want = 0;
    while (tally_history_next(h, &row) == 1) {
        assert_int_equal(row.x, want);
        size_t expect = 3 + (want % 3 == 0) + (want % 7 == 0); /* _timestamp, _runtime, k */
        assert_int_equal(row.nset, expect);
        size_t seen = 0;
        for (size_t i = 0; i < row.ncells; i++) {
            const tally_history_cell *c = &row.cells[i];
            if (!c->kind)
                continue;
            assert_int_equal(row.set[seen++], i); /* the set lists exactly these, in order */
            const char *name = c->metric->name;
            if (name[0] == 'k') {
                assert_int_equal(atoi(name + 1), want);
                assert_true(c->kind == 1 && c->y == want * 2.0);
            } else if (strcmp(name, "loss") == 0) {
                assert_true(c->kind == 1 && c->y == want);
            } else if (strcmp(name, "note") == 0) {
                assert_int_equal(c->kind, 2);
                assert_string_equal(c->json, "\"x\"");
            }
        }
        assert_int_equal(seen, expect);
        want++;
    }
    tally_history_close(h);
    assert_int_equal(want, 3000);
    /* a glob selects columns; rows are still every step */
    assert_int_equal(tally_history_open(st, TALLY_AXIS_STEP, "k1*", INT64_MIN, INT64_MAX, &h),
                     TALLY_OK);
    int64_t rows = 0, with_k = 0;
    while (tally_history_next(h, &row) == 1) {
        rows++;
        with_k += row.any;
    }
    tally_history_close(h);
    assert_int_equal(rows, 3000);
    assert_int_equal(with_k, 1 + 10 + 100 + 1000); /* k1, k1x, k1xx, k1xxx */
    tally_store_close(st);
    free(path);
}

/* What test_history_level logs: metric k's value at step s, or 0 when it
 * logs nothing there. */
static const char *const level_names[] = {"a", "b", "ends", "val", "late", "gap", "note"};

static int level_logged(size_t k, int64_t s, double *y)
{
    *y = (double)s * (double)(k + 1);
    switch (k) {
    case 2:
        return s < 200; /* stops: leaves the dense cursors */
    case 3:
        return s % 50 == 0; /* an eval metric: never dense */
    case 4:
        return s >= 300; /* starts late, dense from then on */
    case 5:
        return s < 100 || s >= 150; /* a gap, then dense again */
    case 6:
        return s % 7 == 0; /* a string */
    default:
        return 1;
    }
}

/* Dense metrics read as one level while others leave, join, pause and
 * come back: every row holds exactly what was logged at its step, with the
 * set in column order. */
static void test_history_level(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "level");
    enum { STEPS = 600, NK = sizeof level_names / sizeof *level_names };
    for (int64_t s = 0; s < STEPS; s++) {
        for (size_t k = 0; k < NK; k++) {
            double y;
            if (!level_logged(k, s, &y))
                continue;
            if (k == 6)
                assert_int_equal(tally_log_str(run, level_names[k], "x"), TALLY_OK);
            else
                assert_int_equal(tally_log(run, level_names[k], y), TALLY_OK);
        }
        assert_int_equal(tally_commit(run), TALLY_OK);
        if (s % 128 == 127)
            assert_int_equal(tally_flush(run), TALLY_OK);
    }
    tally_store *st;
    tally_history *h;
    char *path = finish_and_read(run, &st, &h);
    tally_history_row row;
    int64_t want = 0;
    while (tally_history_next(h, &row) == 1) {
        assert_int_equal(row.x, want);
        size_t seen = 0, expect = 2; /* _timestamp, _runtime */
        for (size_t i = 0; i < row.ncells; i++) {
            const tally_history_cell *c = &row.cells[i];
            const char *name = c->metric->name;
            size_t k = 0;
            while (k < NK && strcmp(level_names[k], name) != 0)
                k++;
            double y;
            int logged = k == NK ? name[0] == '_' : level_logged(k, want, &y);
            if (!logged) {
                assert_int_equal(c->kind, 0);
                continue;
            }
            if (k < NK)
                expect++;
            assert_int_not_equal(c->kind, 0);
            assert_int_equal(row.set[seen++], i); /* in column order */
            if (k == 6)
                assert_string_equal(c->json, "\"x\"");
            else if (k < NK)
                assert_true(c->kind == 1 && c->y == y);
        }
        assert_int_equal(seen, expect);
        assert_int_equal(row.nset, expect);
        want++;
    }
    tally_history_close(h);
    assert_int_equal(want, STEPS);
    tally_store_close(st);
    free(path);
}

/* Schema 1 as tally wrote it before checksums, pieces and batches. */
static const char v1_schema[] =
    "CREATE TABLE run(id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL,"
    "  grp TEXT, job_type TEXT, notes TEXT, tags TEXT NOT NULL DEFAULT '[]',"
    "  mode TEXT NOT NULL DEFAULT 'offline', state TEXT NOT NULL, exit_code INTEGER,"
    "  start_time REAL NOT NULL, heartbeat REAL NOT NULL, end_time REAL,"
    "  heartbeat_ms INTEGER NOT NULL, host TEXT, boot_id TEXT, pid INTEGER, pid_start INTEGER,"
    "  user TEXT, os TEXT, command TEXT, cwd TEXT, git TEXT, version TEXT,"
    "  rows INTEGER NOT NULL DEFAULT 0, last_step INTEGER NOT NULL DEFAULT -1);"
    "CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE summary(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE metric(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  axis TEXT NOT NULL CHECK(axis IN ('step','time')), is_int INTEGER NOT NULL DEFAULT 0,"
    "  step_metric TEXT, summary INTEGER NOT NULL DEFAULT 0, goal INTEGER NOT NULL DEFAULT 0,"
    "  hidden INTEGER NOT NULL DEFAULT 0, n INTEGER NOT NULL DEFAULT 0, x_min INTEGER,"
    "  x_max INTEGER, y_min REAL, y_max REAL, y_last REAL);"
    "CREATE TABLE metric_rule(pattern TEXT PRIMARY KEY, step_metric TEXT,"
    "  summary INTEGER NOT NULL, goal INTEGER NOT NULL);"
    "CREATE TABLE chunk(metric_id INTEGER NOT NULL REFERENCES metric(id),"
    "  first_x INTEGER NOT NULL, last_x INTEGER NOT NULL, n INTEGER NOT NULL,"
    "  y_min REAL, y_max REAL, y_first REAL, y_last REAL, data BLOB NOT NULL);"
    "CREATE INDEX chunk_by_x ON chunk(metric_id, first_x, last_x, n,"
    "  y_min, y_max, y_first, y_last);"
    "CREATE TABLE object(metric_id INTEGER NOT NULL REFERENCES metric(id), x INTEGER NOT NULL,"
    "  type TEXT NOT NULL, json TEXT NOT NULL, data BLOB);"
    "CREATE INDEX object_by_x ON object(x, metric_id);"
    "CREATE TABLE log(seq INTEGER PRIMARY KEY, t REAL NOT NULL, stream INTEGER NOT NULL,"
    "  line TEXT NOT NULL);"
    "CREATE TABLE file(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime REAL NOT NULL,"
    "  data BLOB NOT NULL);"
    "CREATE TABLE sync(target TEXT NOT NULL, stream TEXT NOT NULL, cursor INTEGER NOT NULL,"
    "  PRIMARY KEY(target, stream));"
    "INSERT INTO run(id, project, name, state, start_time, heartbeat, end_time, heartbeat_ms,"
    "  exit_code, rows, last_step) VALUES('oldrun01', 'unit', 'old', 'finished', 1.7e9,"
    "  1.7e9, 1.7e9, 5000, 0, 5000, 4999);"
    "INSERT INTO metric(id, name, axis, hidden) VALUES(1, '_timestamp', 'step', 1),"
    "  (2, '_runtime', 'step', 1), (3, 'a', 'step', 0), (4, 's', 'step', 0);"
    "INSERT INTO object(metric_id, x, type, json) VALUES(4, 7, 'string', '\"seven\"'),"
    "  (4, 4000, 'json', '[1,2]');"
    "PRAGMA application_id=1413565529; PRAGMA user_version=1;";

/* Inserts chunks of metric id as the schema 1 writer did: 4096 points a
 * chunk, y = x * scale + offset. */
static void v1_chunks(sqlite3 *db, int64_t id, double scale, double offset)
{
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO chunk VALUES(?,?,?,?,?,?,?,?,?)", -1, &q,
                                        NULL),
                     SQLITE_OK);
    for (int64_t from = 0; from < 5000; from += V1_CHUNK_POINTS) {
        int64_t x[V1_CHUNK_POINTS];
        double y[V1_CHUNK_POINTS];
        size_t n = 0;
        for (int64_t i = from; i < 5000 && n < V1_CHUNK_POINTS; i++, n++) {
            x[n] = i;
            y[n] = (double)i * scale + offset;
        }
        buf blob = BUF_INIT;
        chunk_stats s;
        assert_int_equal(chunk_encode(x, y, n, &blob, &s), 0);
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int64(q, 2, s.first_x);
        sqlite3_bind_int64(q, 3, s.last_x);
        sqlite3_bind_int64(q, 4, s.n);
        sqlite3_bind_double(q, 5, s.y_min);
        sqlite3_bind_double(q, 6, s.y_max);
        sqlite3_bind_double(q, 7, s.y_first);
        sqlite3_bind_double(q, 8, s.y_last);
        sqlite3_bind_blob(q, 9, blob.data, (int)blob.len, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(q), SQLITE_DONE);
        buf_free(&blob);
    }
    sqlite3_finalize(q);
}

/* A run file of schema 1 reads: points, objects, history rows; a damaged
 * blob is still caught by its encoding; a writer does not append to it. */
static void test_schema1_reads(void **state)
{
    const char *dir = *state;
    char path[4200];
    snprintf(path, sizeof path, "%s/unit", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/unit/20240101-000000-oldrun01.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK);
    v1_chunks(db, 1, 0.001, 1.7e9);
    v1_chunks(db, 2, 0.001, 0);
    v1_chunks(db, 3, 1, 0);
    assert_int_equal(sqlite3_exec(db, "UPDATE metric SET n = 5000, x_min = 0, x_max = 4999",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->schema_version, 1);
    check_metric(st, "a", 5000, 1);
    int64_t x;
    char *type, *json;
    assert_int_equal(tu_object(st, "s", &x, &type, &json), 1);
    assert_int_equal(x, 7);
    assert_string_equal(type, "string");
    assert_string_equal(json, "\"seven\"");
    free(type);
    free(json);
    tally_history *h;
    assert_int_equal(tally_history_open(st, TALLY_AXIS_STEP, NULL, INT64_MIN, INT64_MAX, &h),
                     TALLY_OK);
    tally_history_row row;
    int64_t rows = 0, strings = 0;
    while (tally_history_next(h, &row) == 1) {
        rows++;
        for (size_t i = 0; i < row.ncells; i++)
            strings += row.cells[i].kind == 2;
    }
    tally_history_close(h);
    assert_int_equal(rows, 5000);
    assert_int_equal(strings, 2);
    tally_store_close(st);

    /* no checksums in schema 1: a blob that does not decode is still caught */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE chunk SET data = X'11FF' WHERE metric_id = 3 AND"
                                      " first_x = 0",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    st = tu_store_open(path);
    int64_t *px;
    double *py;
    const tally_metric_info *a = tally_store_find_metric(st, "a");
    tally_points *p;
    assert_int_equal(tally_points_open(st, a->id, INT64_MIN, INT64_MAX, &p), TALLY_OK);
    int rc;
    double yv;
    size_t got = 0;
    while ((rc = tally_points_next(p, &x, &yv)) != 0)
        got += rc == 1;
    tally_points_close(p);
    assert_int_equal(got, 5000 - V1_CHUNK_POINTS);
    assert_int_equal(tally_store_damage_count(st), 1);
    assert_int_equal(tally_store_damage(st, 0)->first_x, 0);
    (void)px;
    (void)py;
    tally_store_close(st);

    /* older files are read, never appended to */
    tally_options o = {.dir = dir, .project = "unit", .id = "oldrun01",
                       .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    assert_int_equal(tally_init_ex(&o, &run), TALLY_EVERSION);
    assert_null(run);
    /* and sync can still keep its cursors in it */
    tally_sync_state *ss;
    assert_int_equal(tally_sync_state_open(path, &ss), TALLY_OK);
    tally_sync_state_close(ss);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TU_DIR_TEST(test_rows_appended_never_rewritten),
        TU_DIR_TEST(test_big_flush_split),
        TU_DIR_TEST(test_slow_metric_grows),
        TU_DIR_TEST(test_small_rows_merged),
        TU_DIR_TEST(test_resume_continues_tail),
        TU_DIR_TEST(test_string_batches),
        TU_DIR_TEST(test_history_many_keys),
        TU_DIR_TEST(test_history_level),
        TU_DIR_TEST(test_copy_alone_and_side_files),
        TU_DIR_TEST(test_hot_journal),
        TU_DIR_TEST(test_schema1_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
