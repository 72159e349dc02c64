/*
 * test_sync_cursor.c — sync cursors in the run file (src/store/sync_state.c)
 * and how the sync driver uses them: defaults, atomic multi-cursor sets,
 * targets kept apart, writes beside a live writer, the history iterator
 * resuming after a step, and a dry run counting only what the cursors say
 * the server lacks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "store/history.h"
#include "sync/sync.h"
#include "tally_store.h"

static char dir[64];

static char *make_run(int steps, int finish, tally_run **live)
{
    snprintf(dir, sizeof dir, "/tmp/tally-cursor-XXXXXX");
    assert_non_null(mkdtemp(dir));
    tally_options o = {.dir = dir, .project = "p", .flush_ms = 50, .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run;
    assert_int_equal(tally_init_ex(&o, &run), 0);
    for (int s = 0; s < steps; s++) {
        tally_log(run, "loss", 1.0 / (s + 1));
        if (s % 2)
            tally_log(run, "odd", s);
        tally_commit(run);
    }
    char *path = strdup(tally_run_path(run));
    if (finish) {
        assert_int_equal(tally_finish(run, 0), 0);
    } else {
        assert_int_equal(tally_flush(run), 0);
        *live = run;
    }
    return path;
}

static void cleanup(char *path)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(path);
}

static void test_cursor_get_set_clear(void **state)
{
    (void)state;
    char *path = make_run(10, 1, NULL);
    tally_sync_state *s;
    assert_int_equal(tally_sync_state_open(path, &s), 0);
    int64_t v = 0;
    assert_int_equal(tally_sync_cursor_get(s, "A", "history", -7, &v), 0);
    assert_int_equal(v, -7);
    const char *names[] = {"history", "history.step", "summary"};
    int64_t values[] = {10, 9, INT64_MAX};
    assert_int_equal(tally_sync_cursor_set(s, "A", names, values, 3), 0);
    assert_int_equal(tally_sync_cursor_get(s, "A", "history.step", 0, &v), 0);
    assert_int_equal(v, 9);
    assert_int_equal(tally_sync_cursor_get(s, "A", "summary", 0, &v), 0);
    assert_true(v == INT64_MAX);
    /* Another target is another server: its own cursors. */
    assert_int_equal(tally_sync_cursor_get(s, "B", "history", 0, &v), 0);
    assert_int_equal(v, 0);
    /* Moving a cursor replaces it. */
    int64_t more[] = {20};
    assert_int_equal(tally_sync_cursor_set(s, "A", names, more, 1), 0);
    assert_int_equal(tally_sync_cursor_get(s, "A", "history", 0, &v), 0);
    assert_int_equal(v, 20);
    tally_sync_state_close(s);
    /* They are in the file. */
    assert_int_equal(tally_sync_state_open(path, &s), 0);
    assert_int_equal(tally_sync_cursor_get(s, "A", "history", 0, &v), 0);
    assert_int_equal(v, 20);
    assert_int_equal(tally_sync_cursor_clear(s, "A"), 0);
    assert_int_equal(tally_sync_cursor_get(s, "A", "history", -1, &v), 0);
    assert_int_equal(v, -1);
    tally_sync_state_close(s);
    assert_int_equal(tally_sync_state_open("/nonexistent/x.db", &s), TALLY_ENOTFOUND);
    cleanup(path);
}

static void test_cursor_beside_live_writer(void **state)
{
    (void)state;
    tally_run *run = NULL;
    char *path = make_run(100, 0, &run);
    tally_sync_state *s;
    assert_int_equal(tally_sync_state_open(path, &s), 0);
    const char *names[] = {"history"};
    for (int i = 0; i < 50; i++) {
        for (int k = 0; k < 100; k++) {
            tally_log(run, "loss", k);
            tally_commit(run);
        }
        int64_t v = i;
        assert_int_equal(tally_sync_cursor_set(s, "T", names, &v, 1), 0);
    }
    assert_int_equal(tally_finish(run, 0), 0);
    int64_t v;
    assert_int_equal(tally_sync_cursor_get(s, "T", "history", 0, &v), 0);
    assert_int_equal(v, 49);
    tally_sync_state_close(s);
    /* The writer lost nothing. */
    tally_store *st;
    assert_int_equal(tally_store_open(path, &st), 0);
    assert_int_equal(tally_store_info(st)->rows, 100 + 50 * 100);
    tally_store_close(st);
    cleanup(path);
}

static void test_history_resumes_after_step(void **state)
{
    (void)state;
    char *path = make_run(30, 1, NULL);
    tally_store *st;
    assert_int_equal(tally_store_open(path, &st), 0);
    tally_history *h;
    assert_int_equal(tally_history_open(st, TALLY_AXIS_STEP, NULL, 20, INT64_MAX, &h), 0);
    tally_history_row row;
    int64_t want = 20;
    int rc;
    while ((rc = tally_history_next(h, &row)) == 1) {
        assert_int_equal(row.x, want);
        /* _timestamp, _runtime, loss, odd */
        assert_int_equal(row.ncells, 4);
        assert_int_equal(row.cells[2].kind, 1);
        assert_true(row.cells[2].y == 1.0 / (double)(want + 1));
        assert_int_equal(row.cells[3].kind, want % 2 ? 1 : 0);
        want++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(want, 30);
    tally_history_close(h);
    tally_store_close(st);
    cleanup(path);
}

/* The JSON line of a history row is the same whether the names come from
 * the keys the history escaped once or are escaped for each row. */
static void test_history_row_json_keys(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tally-cursor-XXXXXX");
    assert_non_null(mkdtemp(dir));
    tally_options o = {.dir = dir, .project = "p", .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run;
    assert_int_equal(tally_init_ex(&o, &run), 0);
    for (int s = 0; s < 20; s++) {
        tally_log(run, "say \"hi\"", s * 0.25);
        if (s % 3 == 0)
            tally_log_int(run, "back\\slash", -s);
        if (s % 5 == 0)
            tally_log_str(run, "caf\xc3\xa9", "warm");
        tally_commit(run);
    }
    char *path = strdup(tally_run_path(run));
    assert_int_equal(tally_finish(run, 0), 0);
    tally_store *st;
    assert_int_equal(tally_store_open(path, &st), 0);
    tally_history *h;
    assert_int_equal(tally_history_open(st, TALLY_AXIS_STEP, NULL, INT64_MIN, INT64_MAX, &h), 0);
    tally_history_row row;
    buf once = BUF_INIT, each = BUF_INIT;
    int rows = 0;
    while (tally_history_next(h, &row) == 1) {
        buf_reset(&once);
        buf_reset(&each);
        history_row_json(&once, h, &row, 0);
        history_row_json(&each, NULL, &row, 0);
        assert_string_equal(buf_cstr(&once), buf_cstr(&each));
        assert_non_null(strstr(buf_cstr(&once), "\"say \\\"hi\\\"\":"));
        if (rows % 3 == 0)
            assert_non_null(strstr(buf_cstr(&once), "\"back\\\\slash\":"));
        rows++;
    }
    assert_int_equal(rows, 20);
    buf_free(&once);
    buf_free(&each);
    tally_history_close(h);
    tally_store_close(st);
    cleanup(path);
}

static void test_dry_run_follows_cursors(void **state)
{
    (void)state;
    char *path = make_run(40, 1, NULL);
    sync_options o = {.base_url = "http://127.0.0.1:9", .api_key = "k", .entity = "e",
                      .project = "p", .dry_run = 1};
    sync_result r;
    assert_int_equal(sync_run(path, &o, &r), 0);
    assert_int_equal(r.history, 40);
    assert_true(r.upsert && r.summary && r.complete);
    /* The server has 25 rows (through step 24): only the rest is due. */
    tally_sync_state *s;
    assert_int_equal(tally_sync_state_open(path, &s), 0);
    const char *names[] = {"history", "history.step", "complete"};
    int64_t values[] = {25, 24, 1};
    assert_int_equal(tally_sync_cursor_set(s, "http://127.0.0.1:9/e/p", names, values, 3), 0);
    tally_sync_state_close(s);
    assert_int_equal(sync_run(path, &o, &r), 0);
    assert_int_equal(r.history, 15);
    assert_false(r.complete);
    /* A dry run moves no cursor. */
    assert_int_equal(sync_run(path, &o, &r), 0);
    assert_int_equal(r.history, 15);
    /* Another project is another target: everything is due there. */
    o.project = "q";
    assert_int_equal(sync_run(path, &o, &r), 0);
    assert_int_equal(r.history, 40);
    cleanup(path);
}

int main(void)
{
    setenv("TALLY_QUIET", "1", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_get_set_clear),
        cmocka_unit_test(test_cursor_beside_live_writer),
        cmocka_unit_test(test_history_resumes_after_step),
        cmocka_unit_test(test_history_row_json_keys),
        cmocka_unit_test(test_dry_run_follows_cursors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
