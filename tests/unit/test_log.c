/*
 * test_log.c — the logging semantics of libtally (src/core), through the
 * public API and read back through tally_store.h: steps, tally_log_at,
 * summaries and rules, config, ints, strings, JSON, non-finite values,
 * threads, disabled mode, resume, saved files, live, crashed and disk-full
 * runs, the run catalog, console lines and the time axis.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/clock.h"
#include "common/procinfo.h"
#include "core/run_internal.h" /* run_log_line, run_log_time: what capture calls */
#include "store/runlock.h"
#include "testutil.h"

/* A number member of a JSON object (a summary or config); fails when absent. */
static double num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        fail_msg("%s is not a number", key);
    return v->valuedouble;
}

static void expect_points(tally_store *st, const char *name, const int64_t *x, const double *y,
                          size_t n)
{
    int64_t *px;
    double *py;
    size_t got = tu_points(st, name, &px, &py);
    if (got != n)
        fail_msg("%s: %zu points, want %zu", name, got, n);
    for (size_t i = 0; i < n; i++) {
        if (px[i] != x[i] || tu_bits(py[i]) != tu_bits(y[i]))
            fail_msg("%s point %zu: (%lld, %g) want (%lld, %g)", name, i, (long long)px[i],
                     py[i], (long long)x[i], y[i]);
    }
    free(px);
    free(py);
}

static void test_stage_commit(void **state)
{
    const char *dir = *state;
    double t0 = clock_wall();
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_step(run), 0);
    assert_int_equal(tally_log(run, "a", 1), TALLY_OK);
    assert_int_equal(tally_log(run, "b", 2), TALLY_OK);
    assert_int_equal(tally_step(run), 0); /* staging does not move the step */
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_step(run), 1);
    assert_int_equal(tally_log(run, "a", 3), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_step(run), 2);
    char *path = tu_run_finish(run, 0);
    double t1 = clock_wall();

    tally_store *st = tu_store_open(path);
    const tally_run_info *in = tally_store_info(st);
    assert_int_equal(in->rows, 2);
    assert_int_equal(in->last_step, 1);
    assert_int_equal(in->state, TALLY_STATE_FINISHED);
    expect_points(st, "a", (int64_t[]){0, 1}, (double[]){1, 3}, 2);
    expect_points(st, "b", (int64_t[]){0}, (double[]){2}, 1);

    /* every row has _timestamp and _runtime */
    int64_t *x;
    double *ts, *rt;
    assert_int_equal(tu_points(st, "_timestamp", &x, &ts), 2);
    assert_true(x[0] == 0 && x[1] == 1);
    free(x);
    assert_int_equal(tu_points(st, "_runtime", &x, &rt), 2);
    assert_true(x[0] == 0 && x[1] == 1);
    free(x);
    for (int i = 0; i < 2; i++) {
        assert_true(ts[i] >= t0 - 1 && ts[i] <= t1 + 1);
        assert_true(rt[i] >= 0 && rt[i] <= t1 - t0 + 1);
    }
    assert_true(ts[1] >= ts[0] && rt[1] >= rt[0]);
    free(ts);
    free(rt);
    assert_true(tally_store_find_metric(st, "_timestamp")->hidden);
    assert_true(tally_store_find_metric(st, "_runtime")->hidden);
    tally_store_close(st);
    free(path);
}

/* The next key is predicted from the previous row's order; whatever the
 * order, a missed or wrong guess must still land every value on its key.
 * One buffer holds every key, as a caller formatting keys would do. */
static void test_key_prediction(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    static const char *const orders[] = {"abc", "abc", "cba", "ab", "abcd", "dcba", "b", "bd"};
    char key[8];
    size_t expect[4] = {0};
    for (size_t r = 0; r < sizeof orders / sizeof *orders; r++) {
        for (const char *k = orders[r]; *k; k++) {
            snprintf(key, sizeof key, "k%c", *k);
            assert_int_equal(tally_log(run, key, (double)(r * 10 + (size_t)(*k - 'a'))), TALLY_OK);
            expect[*k - 'a']++;
        }
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    for (int k = 0; k < 4; k++) {
        snprintf(key, sizeof key, "k%c", 'a' + k);
        int64_t *x;
        double *y;
        size_t n = tu_points(st, key, &x, &y);
        assert_int_equal(n, expect[k]);
        for (size_t i = 0; i < n; i++)
            assert_true(y[i] == (double)(x[i] * 10 + k)); /* row r is step r */
        free(x);
        free(y);
    }
    tally_store_close(st);
    free(path);
}

/* A caller that outruns the disk is held at the soft bound: pending
 * points stay bounded (they reached hundreds of MB for one metric logged
 * in a tight loop) and nothing is dropped. */
static void test_pending_bound(void **state)
{
    const char *dir = *state;
    tally_options o = {.dir = dir, .project = "unit", .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    assert_int_equal(tally_init_ex(&o, &run), TALLY_OK);
    const long steps = 3000000; /* 9 M points with _timestamp and _runtime */
    size_t peak = 0;
    for (long s = 0; s < steps; s++) {
        assert_int_equal(tally_log(run, "loss", (double)s), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
        if (s % 1024 == 0) { /* seldom: the loop must stay as fast as it can */
            RUN_LOCK(run);
            if (run->pending_points > peak)
                peak = run->pending_points;
            RUN_UNLOCK(run);
        }
    }
    assert_true(peak <= RUN_SOFT_PENDING_POINTS + 3);
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->rows, steps);
    assert_int_equal(tally_store_info(st)->dropped, 0);
    assert_int_equal(tally_store_find_metric(st, "loss")->n, steps);
    tally_store_close(st);
    free(path);
}

static void test_empty_step(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_commit(run), TALLY_OK); /* nothing staged */
    assert_int_equal(tally_step(run), 0);
    assert_int_equal(tally_log(run, "a", 5), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_step(run), 1);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_step(run), 1);
    assert_int_equal(tally_flush(run), TALLY_OK);
    /* tally_finish commits the pending row */
    assert_int_equal(tally_log(run, "b", 6), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->rows, 2);
    expect_points(st, "a", (int64_t[]){0}, (double[]){5}, 1);
    expect_points(st, "b", (int64_t[]){1}, (double[]){6}, 1);
    assert_int_equal(tally_store_find_metric(st, "_timestamp")->n, 2);
    tally_store_close(st);
    free(path);

    /* a run with no row at all */
    run = tu_run_start(dir, NULL);
    assert_int_equal(tally_commit(run), TALLY_OK);
    path = tu_run_finish(run, 0);
    st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->rows, 0);
    assert_int_equal(tally_store_info(st)->last_step, -1);
    assert_int_equal(tally_store_find_metric(st, "_timestamp")->n, 0);
    tally_store_close(st);
    free(path);
}

static void test_log_at(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_log(run, "a", 1), TALLY_OK);
    /* a later step commits the pending row first, then moves there */
    assert_int_equal(tally_log_at(run, 5, "b", 2), TALLY_OK);
    assert_int_equal(tally_step(run), 5);
    assert_int_equal(tally_log_at(run, 5, "c", 3), TALLY_OK); /* the same step: staged */
    assert_int_equal(tally_log(run, "d", 4), TALLY_OK);
    /* an earlier step is refused and changes nothing */
    assert_int_equal(tally_log_at(run, 4, "b", 99), TALLY_ESTEP);
    assert_int_equal(tally_log_at(run, 0, "never", 99), TALLY_ESTEP);
    assert_int_equal(tally_log_at(run, INT64_MIN, "b", 99), TALLY_ESTEP);
    assert_int_equal(tally_step(run), 5);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_step(run), 6);
    /* moving with an empty row stores nothing */
    assert_int_equal(tally_log_at(run, 10, "e", 5), TALLY_OK);
    assert_int_equal(tally_step(run), 10);
    assert_int_equal(tally_log_at(run, 5, "e", 6), TALLY_ESTEP);
    /* a huge step is fine */
    assert_int_equal(tally_log_at(run, INT64_MAX - 1, "f", 7), TALLY_OK);
    assert_int_equal(tally_step(run), INT64_MAX - 1);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    expect_points(st, "a", (int64_t[]){0}, (double[]){1}, 1);
    expect_points(st, "b", (int64_t[]){5}, (double[]){2}, 1);
    expect_points(st, "c", (int64_t[]){5}, (double[]){3}, 1);
    expect_points(st, "d", (int64_t[]){5}, (double[]){4}, 1);
    expect_points(st, "e", (int64_t[]){10}, (double[]){5}, 1);
    expect_points(st, "f", (int64_t[]){INT64_MAX - 1}, (double[]){7}, 1);
    assert_null(tally_store_find_metric(st, "never"));
    int64_t *x;
    double *y;
    assert_int_equal(tu_points(st, "_timestamp", &x, &y), 4);
    assert_true(x[0] == 0 && x[1] == 5 && x[2] == 10 && x[3] == INT64_MAX - 1);
    free(x);
    free(y);
    assert_int_equal(tu_points(st, "_runtime", &x, &y), 4);
    free(x);
    free(y);
    assert_int_equal(tally_store_info(st)->rows, 4);
    assert_true(tally_store_info(st)->last_step == INT64_MAX - 1);
    tally_store_close(st);
    free(path);
}

/* Steps end at INT64_MAX: the row there has no next step, and is refused
 * rather than wrapping the step around to INT64_MIN. */
static void test_last_step(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_log_at(run, INT64_MAX - 1, "f", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_true(tally_step(run) == INT64_MAX);
    assert_int_equal(tally_log(run, "g", 2), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_EINVAL);
    assert_true(tally_step(run) == INT64_MAX);
    assert_int_equal(tally_log_at(run, INT64_MAX, "g", 3), TALLY_EINVAL);
    assert_int_equal(tally_log_at(run, 0, "g", 4), TALLY_ESTEP);
    assert_int_equal(tally_commit(run), TALLY_OK); /* nothing staged */
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    expect_points(st, "f", (int64_t[]){INT64_MAX - 1}, (double[]){1}, 1);
    int64_t *x;
    double *y;
    assert_int_equal(tu_points(st, "g", &x, &y), 0);
    assert_int_equal(tally_store_info(st)->rows, 1);
    assert_true(tally_store_info(st)->last_step == INT64_MAX - 1);
    tally_store_close(st);
    free(path);
}

static void test_same_key_twice(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_log(run, "a", 1), TALLY_OK);
    assert_int_equal(tally_log(run, "b", 10), TALLY_OK);
    assert_int_equal(tally_log(run, "a", 2), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_log_json(run, "{\"a\":3,\"a2\":1}"), TALLY_OK);
    assert_int_equal(tally_log(run, "a", 4), TALLY_OK);
    assert_int_equal(tally_log_at(run, 1, "a", 5), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_log_int(run, "a", 6), TALLY_OK);
    assert_int_equal(tally_log(run, "a", 7.5), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    expect_points(st, "a", (int64_t[]){0, 1, 2}, (double[]){2, 5, 7.5}, 3);
    expect_points(st, "b", (int64_t[]){0}, (double[]){10}, 1);
    assert_false(tally_store_find_metric(st, "a")->is_int);
    cJSON *sum = tu_summary(st);
    assert_true(num(sum, "a") == 7.5);
    cJSON_Delete(sum);
    tally_store_close(st);
    free(path);
}

static void test_summary_default(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    double losses[] = {3, 1, 2};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tally_log(run, "loss", losses[i]), TALLY_OK);
        assert_int_equal(tally_log(run, "acc", i == 2 ? NAN : 0.5), TALLY_OK);
        assert_int_equal(tally_log(run, "up", i == 2 ? INFINITY : 1), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
        if (i == 1)
            assert_int_equal(tally_flush(run), TALLY_OK);
    }
    assert_int_equal(tally_log_int(run, "epoch", 5), TALLY_OK);
    assert_int_equal(tally_log_str(run, "phase", "train"), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    cJSON *sum = tu_summary(st);
    assert_true(num(sum, "loss") == 2); /* the last value, flat */
    assert_true(isnan(num(sum, "acc")));
    assert_true(num(sum, "up") == INFINITY);
    assert_true(num(sum, "epoch") == 5);
    const cJSON *phase = cJSON_GetObjectItemCaseSensitive(sum, "phase");
    assert_true(cJSON_IsString(phase));
    assert_string_equal(phase->valuestring, "train");
    cJSON_Delete(sum);
    /* the run row carries the same summary */
    char *text;
    assert_int_equal(tally_store_summary(st, &text), TALLY_OK);
    assert_string_equal(tally_store_info(st)->summary_json, text);
    free(text);
    tally_store_close(st);
    free(path);
}

static void test_summary_rules(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_define_metric(run, "val/*", NULL, TALLY_SUMMARY_MIN | TALLY_SUMMARY_LAST,
                                         TALLY_GOAL_MINIMIZE),
                     TALLY_OK);
    assert_int_equal(tally_define_metric(run, "val/special", NULL, TALLY_SUMMARY_MAX,
                                         TALLY_GOAL_MAXIMIZE),
                     TALLY_OK);
    unsigned acc_rules = TALLY_SUMMARY_MAX | TALLY_SUMMARY_MEAN | TALLY_SUMMARY_FIRST;
    assert_int_equal(tally_define_metric(run, "acc", "epoch", acc_rules, TALLY_GOAL_MAXIMIZE),
                     TALLY_OK);
    assert_int_equal(tally_define_metric(run, "noisy/*", NULL, TALLY_SUMMARY_NONE, TALLY_GOAL_NONE),
                     TALLY_OK);
    assert_int_equal(tally_log(run, "late", 5), TALLY_OK);
    double loss[] = {3, 1, 2}, acc[] = {1, 2, 6}, vacc[] = {NAN, 0.5, INFINITY};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tally_log(run, "val/loss", loss[i]), TALLY_OK);
        assert_int_equal(tally_log(run, "val/acc", vacc[i]), TALLY_OK);
        assert_int_equal(tally_log(run, "val/special", loss[i]), TALLY_OK);
        assert_int_equal(tally_log(run, "acc", acc[i]), TALLY_OK);
        assert_int_equal(tally_log(run, "noisy/x", acc[i]), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    assert_int_equal(tally_log(run, "late", 7), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_flush(run), TALLY_OK);
    /* a rule defined after the key was logged applies to it */
    assert_int_equal(tally_define_metric(run, "late", NULL, TALLY_SUMMARY_MIN, TALLY_GOAL_NONE),
                     TALLY_OK);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    cJSON *sum = tu_summary(st);
    const cJSON *vl = cJSON_GetObjectItemCaseSensitive(sum, "val/loss");
    assert_true(cJSON_IsObject(vl));
    assert_int_equal(cJSON_GetArraySize(vl), 2);
    assert_true(num(vl, "min") == 1);
    assert_true(num(vl, "last") == 2);
    const cJSON *va = cJSON_GetObjectItemCaseSensitive(sum, "val/acc");
    assert_true(num(va, "min") == 0.5); /* min skips NaN and infinities */
    assert_true(num(va, "last") == INFINITY);
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(sum, "val/special");
    assert_int_equal(cJSON_GetArraySize(vs), 1); /* the exact rule wins over the prefix */
    assert_true(num(vs, "max") == 3);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(sum, "acc");
    assert_int_equal(cJSON_GetArraySize(a), 3);
    assert_true(num(a, "max") == 6);
    assert_true(num(a, "mean") == 3);
    assert_true(num(a, "first") == 1);
    assert_null(cJSON_GetObjectItemCaseSensitive(sum, "noisy/x"));
    const cJSON *late = cJSON_GetObjectItemCaseSensitive(sum, "late");
    assert_true(cJSON_IsObject(late));
    assert_true(num(late, "min") == 5);
    cJSON_Delete(sum);

    const tally_metric_info *m = tally_store_find_metric(st, "val/loss");
    assert_int_equal(m->summary, TALLY_SUMMARY_MIN | TALLY_SUMMARY_LAST);
    assert_int_equal(m->goal, TALLY_GOAL_MINIMIZE);
    assert_null(m->step_metric);
    m = tally_store_find_metric(st, "acc");
    assert_non_null(m->step_metric);
    assert_string_equal(m->step_metric, "epoch");
    assert_int_equal(m->goal, TALLY_GOAL_MAXIMIZE);
    m = tally_store_find_metric(st, "val/special");
    assert_int_equal(m->summary, TALLY_SUMMARY_MAX);
    /* the points are stored whatever the summary rule */
    assert_int_equal(tally_store_find_metric(st, "noisy/x")->n, 3);
    tally_store_close(st);
    free(path);
}

/* TALLY_METRIC_HIDDEN: keys matching the rule are stored hidden, whether
 * logged after the rule or before it; the summary bits beside it apply. */
static void test_hidden_rule(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_log(run, "early", 1), TALLY_OK);
    assert_int_equal(tally_log(run, "shown", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_flush(run), TALLY_OK);
    assert_int_equal(tally_define_metric(run, "dbg/*", NULL,
                                         TALLY_METRIC_HIDDEN | TALLY_SUMMARY_MAX, 0),
                     TALLY_OK);
    assert_int_equal(tally_define_metric(run, "early", NULL, TALLY_METRIC_HIDDEN, 0), TALLY_OK);
    assert_int_equal(tally_define_metric(run, "x", NULL, 0x80u, 0), TALLY_EINVAL);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tally_log(run, "dbg/grad", i), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    const tally_metric_info *m = tally_store_find_metric(st, "dbg/grad");
    assert_non_null(m);
    assert_true(m->hidden);
    assert_int_equal(m->summary, TALLY_SUMMARY_MAX); /* the bit is not a summary rule */
    assert_int_equal(m->n, 3);
    assert_true(tally_store_find_metric(st, "early")->hidden);
    assert_false(tally_store_find_metric(st, "shown")->hidden);
    cJSON *sum = tu_summary(st);
    assert_true(num(cJSON_GetObjectItemCaseSensitive(sum, "dbg/grad"), "max") == 2);
    cJSON_Delete(sum);
    tally_store_close(st);
    free(path);
}

static void test_summary_set(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_summary_set(run, "best", 0.5), TALLY_OK); /* never logged */
    assert_int_equal(tally_log(run, "loss", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_summary_set(run, "loss", 42), TALLY_OK);
    assert_int_equal(tally_log(run, "kept", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_summary_set(run, "kept", -1), TALLY_OK);
    assert_int_equal(tally_flush(run), TALLY_OK);
    /* logging the key again replaces the explicit value */
    assert_int_equal(tally_log(run, "loss", 3), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    /* also when both happen before the same flush */
    assert_int_equal(tally_summary_set(run, "fresh", 9), TALLY_OK);
    assert_int_equal(tally_log(run, "fresh", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_summary_set(run, "nan", NAN), TALLY_OK);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    cJSON *sum = tu_summary(st);
    assert_true(num(sum, "best") == 0.5);
    assert_true(num(sum, "loss") == 3);
    assert_true(num(sum, "kept") == -1);
    assert_true(num(sum, "fresh") == 1);
    assert_true(isnan(num(sum, "nan")));
    cJSON_Delete(sum);
    tally_store_close(st);
    free(path);
}

/* tally_set_step: wandb's log(step=N) for a row that may hold no number. */
static void test_set_step(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_set_step(run, 0), TALLY_OK); /* the current step: no-op */
    assert_int_equal(tally_log_str(run, "s", "first"), TALLY_OK);
    assert_int_equal(tally_set_step(run, 4), TALLY_OK); /* commits row 0, moves to 4 */
    assert_int_equal(tally_step(run), 4);
    assert_int_equal(tally_log(run, "a", 1), TALLY_OK);
    assert_int_equal(tally_set_step(run, 4), TALLY_OK); /* same step: still pending */
    assert_int_equal(tally_log(run, "b", 2), TALLY_OK);
    assert_int_equal(tally_set_step(run, 3), TALLY_ESTEP);
    assert_int_equal(tally_step(run), 4);
    assert_int_equal(tally_set_step(run, INT64_MAX), TALLY_EINVAL);
    assert_int_equal(tally_set_step(NULL, 1), TALLY_EINVAL);
    assert_int_equal(tally_set_step(run, 9), TALLY_OK); /* commits row 4 */
    assert_int_equal(tally_set_step(run, 12), TALLY_OK); /* empty row 9: not stored */
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    expect_points(st, "a", (int64_t[]){4}, (double[]){1}, 1);
    expect_points(st, "b", (int64_t[]){4}, (double[]){2}, 1);
    assert_int_equal(tally_store_info(st)->rows, 2);
    assert_true(tally_store_info(st)->last_step == 4);
    tally_store_close(st);
    free(path);
}

/* tally_summary_set_json: any JSON value, until the key is logged again. */
static void test_summary_set_json(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_summary_set_json(run, "model", "\"best.pt\""), TALLY_OK);
    assert_int_equal(tally_summary_set_json(run, "f1", "{\"macro\": 0.5}"), TALLY_OK);
    assert_int_equal(tally_log(run, "loss", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_summary_set_json(run, "loss", "[1, 2]"), TALLY_OK);
    assert_int_equal(tally_log(run, "acc", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_summary_set_json(run, "acc", "true"), TALLY_OK);
    assert_int_equal(tally_flush(run), TALLY_OK);
    assert_int_equal(tally_log(run, "acc", 0.75), TALLY_OK); /* replaces the set value */
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_summary_set_json(run, "bad", "{nope"), TALLY_EJSON);
    assert_int_equal(tally_summary_set_json(run, "", "1"), TALLY_EKEY);
    assert_int_equal(tally_summary_set_json(run, "x", NULL), TALLY_EINVAL);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    cJSON *sum = tu_summary(st);
    assert_string_equal(cJSON_GetObjectItem(sum, "model")->valuestring, "best.pt");
    assert_true(num(cJSON_GetObjectItem(sum, "f1"), "macro") == 0.5);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(sum, "loss")));
    assert_true(num(sum, "acc") == 0.75);
    assert_null(cJSON_GetObjectItem(sum, "bad"));
    cJSON_Delete(sum);
    tally_store_close(st);
    free(path);
}

static void test_config(void **state)
{
    const char *dir = *state;
    tally_options o = {.dir = dir,
                       .project = "unit",
                       .flush_ms = 5,
                       .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE,
                       .config_json = "{\"lr\":0.01,\"name\":\"x\"}"};
    tally_run *run = tally_init(&o);
    assert_non_null(run);
    assert_int_equal(tally_config_set(run, "opt", "\"adam\""), TALLY_OK);
    assert_int_equal(tally_config_set(run, "layers", " [1, 2,\n 3] "), TALLY_OK);
    assert_int_equal(tally_config_set(run, "lr", "0.001"), TALLY_OK); /* later wins */
    assert_int_equal(tally_config_json(run, "{\"batch\":32,\"nested\":{\"a\":true}}"), TALLY_OK);
    assert_int_equal(tally_config_set(run, "k", "{bad"), TALLY_EJSON);
    assert_int_equal(tally_config_set(run, "k", NULL), TALLY_EINVAL);
    assert_int_equal(tally_config_set(run, "k", ""), TALLY_EJSON);
    assert_int_equal(tally_config_set(run, "k", "0.1 oops"), TALLY_EJSON); /* trailing text */
    assert_int_equal(tally_config_json(run, "{\"k\":1} {"), TALLY_EJSON);
    assert_int_equal(tally_config_json(run, "[1]"), TALLY_EJSON);
    assert_int_equal(tally_config_json(run, "nope"), TALLY_EJSON);
    assert_int_equal(tally_config_json(run, "{\"k\":1,\"\":2}"), TALLY_EKEY); /* all or nothing */
    assert_int_equal(tally_config_json(run, NULL), TALLY_EINVAL);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    cJSON *cfg = tu_config(st);
    assert_true(num(cfg, "lr") == 0.001);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(cfg, "name")->valuestring, "x");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(cfg, "opt")->valuestring, "adam");
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    assert_true(cJSON_IsArray(layers));
    assert_int_equal(cJSON_GetArraySize(layers), 3);
    assert_true(num(cfg, "batch") == 32);
    const cJSON *nested = cJSON_GetObjectItemCaseSensitive(cfg, "nested");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(nested, "a")));
    assert_null(cJSON_GetObjectItemCaseSensitive(cfg, "k"));
    assert_int_equal(cJSON_GetArraySize(cfg), 6);
    cJSON_Delete(cfg);
    tally_store_close(st);
    free(path);
}

/* The value an int key reads back as: a point, or an "int" object for
 * values a double cannot hold. */
static int64_t int_back(tally_store *st, const char *key)
{
    int64_t *x;
    double *y;
    size_t n = tu_points(st, key, &x, &y);
    if (n == 1) {
        double v = y[0];
        free(x);
        free(y);
        assert_true(v >= -9223372036854775808.0 && v < 9223372036854775808.0);
        return (int64_t)v;
    }
    assert_int_equal(n, 0);
    char *type, *json;
    if (!tu_object(st, key, NULL, &type, &json))
        fail_msg("%s: no value stored", key);
    assert_string_equal(type, "int");
    char *end;
    long long v = strtoll(json, &end, 10);
    assert_true(*end == '\0');
    free(type);
    free(json);
    return v;
}

static void test_log_int(void **state)
{
    const int64_t two53 = INT64_C(1) << 53;
    const int64_t values[] = {0,          -1,           42,           two53 - 1,
                              two53,      -two53,       two53 + 1,    -(two53 + 1),
                              two53 + 3,  (INT64_C(1) << 62) + 3, INT64_MAX, INT64_MIN,
                              INT64_MAX - 1, INT64_MIN + 1};
    enum { N = sizeof values / sizeof *values };
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "i%d", i);
        assert_int_equal(tally_log_int(run, key, values[i]), TALLY_OK);
    }
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_log_int(run, "mixed", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_log(run, "mixed", 1.5), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "i%d", i);
        int64_t got = int_back(st, key);
        if (got != values[i])
            fail_msg("%s: %lld, want %lld", key, (long long)got, (long long)values[i]);
    }
    assert_true(tally_store_find_metric(st, "i2")->is_int);
    assert_true(tally_store_find_metric(st, "i10")->is_int); /* stored as an "int" object */
    assert_false(tally_store_find_metric(st, "mixed")->is_int);
    /* the summary holds big values exactly too */
    char *sum;
    assert_int_equal(tally_store_summary(st, &sum), TALLY_OK);
    assert_non_null(strstr(sum, "\"i10\":9223372036854775807"));
    assert_non_null(strstr(sum, "\"i6\":9007199254740993"));
    assert_non_null(strstr(sum, "\"i11\":-9223372036854775808"));
    free(sum);
    tally_store_close(st);
    free(path);
}

static void test_log_str(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    char *big = malloc(10001);
    memset(big, 'z', 10000);
    big[10000] = '\0';
    const char *values[] = {"hello", "", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80",
                            "quote\" back\\ nl\n tab\t ctl\x01 del\x7f esc\x1b[0m", big};
    enum { N = sizeof values / sizeof *values };
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "s%d", i);
        assert_int_equal(tally_log_str(run, key, values[i]), TALLY_OK);
    }
    assert_int_equal(tally_log_str(run, "bad", "\xff"), TALLY_EUTF8);
    assert_int_equal(tally_log_str(run, "bad", "ok\xc0\x80"), TALLY_EUTF8);
    assert_int_equal(tally_log_str(run, "bad", "\xed\xa0\x80"), TALLY_EUTF8);
    assert_int_equal(tally_log_str(run, "bad", "\xe2\x82"), TALLY_EUTF8);
    assert_int_equal(tally_log_str(run, "bad", NULL), TALLY_EINVAL);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "s%d", i);
        char *type, *json;
        int64_t x;
        assert_true(tu_object(st, key, &x, &type, &json));
        assert_int_equal(x, 0);
        assert_string_equal(type, "string");
        cJSON *v = cJSON_Parse(json);
        assert_true(cJSON_IsString(v));
        assert_string_equal(v->valuestring, values[i]);
        cJSON_Delete(v);
        free(type);
        free(json);
    }
    assert_null(tally_store_find_metric(st, "bad"));
    assert_false(tally_store_find_metric(st, "s0")->is_int);
    cJSON *sum = tu_summary(st);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(sum, "s0")->valuestring, "hello");
    cJSON_Delete(sum);
    tally_store_close(st);
    free(path);
    free(big);
}

static void test_log_json(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_log_json(run, "{\"a\":1,\"b\":{\"c\":2.5,\"d\":{\"e\":-3}},"
                                         "\"s\":\"str\",\"arr\":[1,2],\"t\":true,\"z\":null,"
                                         "\"h\":{\"_type\":\"histogram\",\"bins\":[1,2]},"
                                         "\"empty\":{}}"),
                     TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);

    /* all or nothing: a bad key or value anywhere stages nothing */
    assert_int_equal(tally_log(run, "x", 7), TALLY_OK);
    assert_int_equal(tally_log_json(run, "{\"x\":1,\"y\":2,\"\":3}"), TALLY_EKEY);
    assert_int_equal(tally_log_json(run, "{\"x\":1,\"y\":2,\"_step\":3}"), TALLY_EKEY);
    assert_int_equal(tally_log_json(run, "{\"x\":1,\"y\":2,\"z\":{\"_timestamp\":3},"
                                         "\"_timestamp\":4}"),
                     TALLY_EKEY);
    assert_int_equal(tally_log_json(run, "{\"x\":1,\"y\":\"\xff\"}"), TALLY_EUTF8);
    assert_int_equal(tally_log_json(run, "{\"x\":1,\"y\":2,\"a\\u0001\":3}"), TALLY_EKEY);
    char longkey[512];
    snprintf(longkey, sizeof longkey, "{\"x\":1,\"y\":2,\"%0200d\":{\"%060d\":1}}", 0, 0);
    assert_int_equal(tally_log_json(run, longkey), TALLY_EKEY); /* 261 bytes once joined */
    snprintf(longkey, sizeof longkey, "{\"%0200d\":{\"%055d\":1}}", 0, 0);
    assert_int_equal(tally_log_json(run, longkey), TALLY_OK); /* exactly 256 */
    assert_int_equal(tally_log_json(run, "{\"x\":1"), TALLY_EJSON);
    assert_int_equal(tally_log_json(run, "{\"x\":1} {\"y\":2}"), TALLY_EJSON);
    assert_int_equal(tally_log_json(run, "[1,2]"), TALLY_EJSON);
    assert_int_equal(tally_log_json(run, "3"), TALLY_EJSON);
    assert_int_equal(tally_log_json(run, ""), TALLY_EJSON);
    assert_int_equal(tally_log_json(run, NULL), TALLY_EINVAL);
    assert_int_equal(tally_commit(run), TALLY_OK);
    /* integers past 2^53 keep every digit; NaN and Infinity tokens are numbers */
    assert_int_equal(tally_log_json(run, "{\"big\":9007199254740993,"
                                         "\"neg\":{\"min\":-9223372036854775808},"
                                         "\"nan\":NaN,\"inf\":-Infinity}"),
                     TALLY_OK);
    /* reserved names are refused only as whole keys */
    assert_int_equal(tally_log_json(run, "{\"x\":1,\"y\":{\"_runtime\":3}}"), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    expect_points(st, "a", (int64_t[]){0}, (double[]){1}, 1);
    expect_points(st, "b/c", (int64_t[]){0}, (double[]){2.5}, 1);
    expect_points(st, "b/d/e", (int64_t[]){0}, (double[]){-3}, 1);
    char *type, *json;
    assert_true(tu_object(st, "s", NULL, &type, &json));
    assert_string_equal(type, "string");
    assert_string_equal(json, "\"str\"");
    free(type);
    free(json);
    assert_true(tu_object(st, "arr", NULL, &type, &json));
    assert_string_equal(json, "[1,2]");
    free(type);
    free(json);
    assert_true(tu_object(st, "t", NULL, &type, &json));
    assert_string_equal(json, "true");
    free(type);
    free(json);
    assert_true(tu_object(st, "h", NULL, &type, &json)); /* typed objects are not flattened */
    cJSON *h = cJSON_Parse(json);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(h, "_type")->valuestring, "histogram");
    cJSON_Delete(h);
    free(type);
    free(json);
    assert_null(tally_store_find_metric(st, "h/_type"));
    /* x kept the value logged before the failed calls; y only from the good one */
    expect_points(st, "x", (int64_t[]){1, 2}, (double[]){7, 1}, 2);
    expect_points(st, "y/_runtime", (int64_t[]){2}, (double[]){3}, 1);
    assert_null(tally_store_find_metric(st, "y"));
    assert_null(tally_store_find_metric(st, "z/_timestamp"));
    char big[300];
    snprintf(big, sizeof big, "%0200d/%055d", 0, 0);
    expect_points(st, big, (int64_t[]){1}, (double[]){1}, 1);
    assert_true(int_back(st, "big") == (INT64_C(1) << 53) + 1);
    assert_true(int_back(st, "neg/min") == INT64_MIN);
    expect_points(st, "nan", (int64_t[]){2}, (double[]){NAN}, 1);
    expect_points(st, "inf", (int64_t[]){2}, (double[]){-INFINITY}, 1);
    tally_store_close(st);
    free(path);
}

/* The shapes tally_log_json reads without a tree (src/core/jscan.c) and
 * the ones it hands to the general path give the same values. */
static void test_log_json_fast(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    /* step 0: what the scanner reads itself */
    assert_int_equal(tally_log_json(run, " {\"a\" : 1 , \"b\":{\"c\":-2.5e-3,\"d\":{\"e\":0}},"
                                         "\"f\":-0,\"g\":123456789012345,\"h\":1E2,"
                                         "\"s\":\"h\xc3\xa9\",\"b/c2\":7}\n"),
                     TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    /* step 1: the same keys through the general path (an escape, a long
     * integer, a bare NaN each send the whole object there) */
    assert_int_equal(tally_log_json(run, "{\"a\":2,\"s\":\"x\\ty\",\"g\":1234567890123456,"
                                         "\"h\":NaN}"),
                     TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    /* errors come from the general path, and stage nothing */
    assert_int_equal(tally_log_json(run, "{\"a\":3,\"\":4}"), TALLY_EKEY);
    assert_int_equal(tally_log_json(run, "{\"a\":3,\"s\":\"\xff\"}"), TALLY_EUTF8);
    assert_int_equal(tally_log_json(run, "{\"a\":3,\"_runtime\":4}"), TALLY_EKEY);
    assert_int_equal(tally_log_json(run, "{\"a\":}"), TALLY_EJSON);
    assert_int_equal(tally_log_json(run, "{\"a\":3} x"), TALLY_EJSON);
    assert_int_equal(tally_log_json(run, "{\"a\":3,}"), TALLY_EJSON);
    assert_int_equal(tally_log_json(run, "[1]"), TALLY_EJSON);
    assert_int_equal(tally_commit(run), TALLY_OK); /* nothing staged: no row */
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->rows, 2);
    expect_points(st, "a", (int64_t[]){0, 1}, (double[]){1, 2}, 2);
    expect_points(st, "b/c", (int64_t[]){0}, (double[]){-2.5e-3}, 1);
    expect_points(st, "b/d/e", (int64_t[]){0}, (double[]){0}, 1);
    expect_points(st, "b/c2", (int64_t[]){0}, (double[]){7}, 1);
    expect_points(st, "h", (int64_t[]){0, 1}, (double[]){100, NAN}, 2);
    int64_t *x;
    double *y;
    assert_int_equal(tu_points(st, "f", &x, &y), 1);
    assert_true(y[0] == 0 && signbit(y[0])); /* -0 stays -0 */
    free(x);
    free(y);
    assert_int_equal(tu_points(st, "g", &x, &y), 2);
    assert_true(y[0] == 123456789012345.0 && y[1] == 1234567890123456.0);
    free(x);
    free(y);
    assert_true(tally_store_find_metric(st, "a")->is_int);
    assert_true(tally_store_find_metric(st, "g")->is_int);
    assert_false(tally_store_find_metric(st, "b/c")->is_int);
    tally_objects *o;
    assert_int_equal(tally_objects_open(st, INT64_MIN, INT64_MAX, &o), TALLY_OK);
    tally_object obj;
    const char *want[] = {"\"h\xc3\xa9\"", "\"x\\ty\""};
    int got = 0;
    while (tally_objects_next(o, &obj) == 1) {
        assert_true(got < 2);
        assert_int_equal(obj.x, got);
        assert_string_equal(obj.type, "string");
        assert_string_equal(obj.json, want[got]);
        got++;
    }
    assert_int_equal(got, 2);
    tally_objects_close(o);
    tally_store_close(st);
    free(path);
}

static void test_nonfinite(void **state)
{
    const double values[] = {NAN,
                             tu_from_bits(0x7ff8000000000001u),
                             tu_from_bits(0xfff8000000000000u),
                             tu_from_bits(0x7ff0000000000001u),
                             tu_from_bits(0x7ff4000000000000u),
                             tu_from_bits(0xffffffffffffffffu),
                             INFINITY,
                             -INFINITY,
                             -0.0,
                             0.0,
                             DBL_TRUE_MIN,
                             -DBL_MIN,
                             DBL_MAX,
                             0.1,
                             NAN};
    enum { N = sizeof values / sizeof *values };
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    int64_t xs[N];
    for (int i = 0; i < N; i++) {
        xs[i] = i;
        assert_int_equal(tally_log(run, "v", values[i]), TALLY_OK);
        assert_int_equal(tally_log_at(run, i, "w", values[N - 1 - i]), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
        if (i == 5)
            assert_int_equal(tally_flush(run), TALLY_OK);
    }
    assert_int_equal(tally_log(run, "inf", INFINITY), TALLY_OK);
    assert_int_equal(tally_log(run, "ninf", -INFINITY), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    expect_points(st, "v", xs, values, N);
    double rev[N];
    for (int i = 0; i < N; i++)
        rev[i] = values[N - 1 - i];
    expect_points(st, "w", xs, rev, N);
    cJSON *sum = tu_summary(st);
    assert_true(isnan(num(sum, "v")));
    assert_true(isnan(num(sum, "w")));
    assert_true(num(sum, "inf") == INFINITY);
    assert_true(num(sum, "ninf") == -INFINITY);
    cJSON_Delete(sum);
    tally_store_close(st);
    free(path);
}

enum { THREADS = 4, PER_THREAD = 2500 };

typedef struct thread_arg {
    tally_run *run;
    int index;
    int failures;
} thread_arg;

static void *logger(void *p)
{
    thread_arg *a = p;
    char key[32], ikey[32];
    snprintf(key, sizeof key, "thread%d", a->index);
    snprintf(ikey, sizeof ikey, "thread%d/int", a->index);
    for (int i = 0; i < PER_THREAD; i++) {
        a->failures += tally_log(a->run, key, i) != TALLY_OK;
        a->failures += tally_log_int(a->run, ikey, -i) != TALLY_OK;
        a->failures += tally_commit(a->run) != TALLY_OK;
        if (a->index == 0 && i % 700 == 0)
            a->failures += tally_flush(a->run) != TALLY_OK;
        if (a->index == 1 && i % 500 == 0)
            a->failures += tally_summary_set(a->run, "shared", i) != TALLY_OK;
        if (a->index == 2)
            (void)tally_step(a->run);
    }
    return NULL;
}

static void test_threads(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    pthread_t th[THREADS];
    thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (thread_arg){run, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, logger, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    int64_t rows = tally_store_info(st)->rows;
    assert_true(rows >= PER_THREAD && rows <= THREADS * PER_THREAD);
    for (int t = 0; t < THREADS; t++) {
        char key[32];
        int64_t *x;
        double *y;
        for (int pass = 0; pass < 2; pass++) {
            snprintf(key, sizeof key, pass ? "thread%d/int" : "thread%d", t);
            size_t n = tu_points(st, key, &x, &y);
            assert_int_equal(n, PER_THREAD); /* no value lost */
            for (size_t i = 0; i < n; i++) {
                assert_true(y[i] == (pass ? -(double)i : (double)i)); /* in order */
                if (i > 0)
                    assert_true(x[i] > x[i - 1]); /* one value per step */
                assert_true(x[i] >= 0 && x[i] < rows);
            }
            free(x);
            free(y);
        }
    }
    assert_int_equal(tally_store_find_metric(st, "_timestamp")->n, rows);
    tally_store_close(st);
    free(path);
}

static size_t dir_entries(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void disabled_calls(tally_run *run)
{
    assert_int_equal(tally_log(run, "a", 1), TALLY_OK);
    assert_int_equal(tally_log_int(run, "b", INT64_MAX), TALLY_OK);
    assert_int_equal(tally_log_str(run, "c", "s"), TALLY_OK);
    assert_int_equal(tally_log_json(run, "{\"d\":1}"), TALLY_OK);
    assert_int_equal(tally_log_at(run, 10, "e", 1), TALLY_OK);
    assert_int_equal(tally_log_at(run, 0, "e", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_step(run), 0);
    assert_int_equal(tally_define_metric(run, "a*", NULL, TALLY_SUMMARY_MIN, 0), TALLY_OK);
    assert_int_equal(tally_summary_set(run, "a", 1), TALLY_OK);
    assert_int_equal(tally_config_set(run, "lr", "0.1"), TALLY_OK);
    assert_int_equal(tally_config_json(run, "{\"x\":1}"), TALLY_OK);
    assert_int_equal(tally_save_file(run, "/nonexistent/file"), TALLY_OK);
    assert_int_equal(tally_flush(run), TALLY_OK);
    assert_null(tally_run_id(run));
    assert_null(tally_run_path(run));
    assert_null(tally_run_name(run));
}

static void test_disabled(void **state)
{
    const char *dir = *state;
    tally_options o = {.dir = dir, .mode = "disabled"};
    tally_run *run = tally_init(&o);
    assert_non_null(run);
    disabled_calls(run);
    assert_int_equal(tally_finish(run, 0), TALLY_OK);
    assert_int_equal(tally_finish(run, 0), TALLY_EFINISHED);

    /* the same from the environment */
    setenv("TALLY_MODE", "disabled", 1);
    tally_options env = {.dir = dir};
    run = tally_init(&env);
    unsetenv("TALLY_MODE");
    assert_non_null(run);
    disabled_calls(run);
    assert_int_equal(tally_finish(run, 1), TALLY_OK);

    assert_int_equal(dir_entries(dir), 0); /* no file, no directory */
}

/* A resumed run keeps its define_metric rules, and summaries with
 * aggregates cover the values logged before the resume too. */
static void test_resume_rules(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "resume02");
    assert_int_equal(tally_define_metric(run, "val/*", "epoch",
                                         TALLY_SUMMARY_MIN | TALLY_SUMMARY_MEAN |
                                             TALLY_SUMMARY_LAST,
                                         TALLY_GOAL_MINIMIZE),
                     TALLY_OK);
    const double before[] = {5, 3, 4};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tally_log(run, "val/loss", before[i]), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    char *path = tu_run_finish(run, 0);

    run = tu_run_start(dir, "resume02");
    assert_int_equal(tally_log(run, "val/loss", 6), TALLY_OK);
    assert_int_equal(tally_log(run, "val/acc", 0.5), TALLY_OK); /* new: takes the rule */
    assert_int_equal(tally_commit(run), TALLY_OK);
    free(tu_run_finish(run, 0));

    tally_store *st = tu_store_open(path);
    cJSON *summary = tu_summary(st);
    const cJSON *loss = cJSON_GetObjectItemCaseSensitive(summary, "val/loss");
    assert_true(cJSON_IsObject(loss));
    assert_true(cJSON_GetObjectItemCaseSensitive(loss, "min")->valuedouble == 3);
    assert_true(cJSON_GetObjectItemCaseSensitive(loss, "mean")->valuedouble == 4.5);
    assert_true(cJSON_GetObjectItemCaseSensitive(loss, "last")->valuedouble == 6);
    const cJSON *acc = cJSON_GetObjectItemCaseSensitive(summary, "val/acc");
    assert_true(cJSON_IsObject(acc));
    assert_true(cJSON_GetObjectItemCaseSensitive(acc, "min")->valuedouble == 0.5);
    const tally_metric_info *m = tally_store_find_metric(st, "val/acc");
    assert_non_null(m);
    assert_string_equal(m->step_metric, "epoch");
    assert_int_equal(m->goal, TALLY_GOAL_MINIMIZE);
    cJSON_Delete(summary);
    tally_store_close(st);
    free(path);
}

static void test_resume(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "resume01");
    assert_string_equal(tally_run_id(run), "resume01");
    assert_int_equal(tally_config_set(run, "lr", "0.5"), TALLY_OK);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(tally_log(run, "loss", i), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    char *path = tu_run_finish(run, 0);

    run = tu_run_start(dir, "resume01");
    assert_string_equal(tally_run_path(run), path); /* the same file */
    assert_int_equal(tally_step(run), 10);          /* steps continue */
    assert_int_equal(tally_log_at(run, 5, "loss", 0), TALLY_ESTEP);
    /* a live writer cannot be resumed twice */
    tally_options o = {.dir = dir, .project = "unit", .id = "resume01", .flush_ms = 5,
                       .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *twice = NULL;
    assert_int_equal(tally_init_ex(&o, &twice), TALLY_EBUSY);
    assert_null(twice);
    for (int i = 10; i < 12; i++) {
        assert_int_equal(tally_log(run, "loss", i), TALLY_OK);
        assert_int_equal(tally_log(run, "extra", -i), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    char *path2 = tu_run_finish(run, 0);
    assert_string_equal(path, path2);

    tally_store *st = tu_store_open(path);
    const tally_run_info *in = tally_store_info(st);
    assert_string_equal(in->id, "resume01");
    assert_int_equal(in->rows, 12);
    assert_int_equal(in->last_step, 11);
    assert_int_equal(in->state, TALLY_STATE_FINISHED);
    int64_t xs[12];
    double ys[12];
    for (int i = 0; i < 12; i++) {
        xs[i] = i;
        ys[i] = i;
    }
    expect_points(st, "loss", xs, ys, 12);
    expect_points(st, "extra", (int64_t[]){10, 11}, (double[]){-10, -11}, 2);
    assert_int_equal(tally_store_find_metric(st, "_timestamp")->n, 12);
    int64_t *x;
    double *rt;
    assert_int_equal(tu_points(st, "_runtime", &x, &rt), 12);
    for (int i = 1; i < 12; i++)
        assert_true(rt[i] >= rt[i - 1]); /* runtime keeps counting */
    free(x);
    free(rt);
    cJSON *cfg = tu_config(st);
    assert_true(num(cfg, "lr") == 0.5);
    cJSON_Delete(cfg);
    cJSON *sum = tu_summary(st);
    assert_true(num(sum, "loss") == 11);
    cJSON_Delete(sum);
    tally_store_close(st);
    free(path);
    free(path2);
}

typedef struct file_seen {
    char names[8][64];
    int64_t sizes[8];
    int n;
} file_seen;

static int on_file(void *ctx, const tally_file_info *f)
{
    file_seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->names[s->n], sizeof s->names[0], "%s", f->path);
        s->sizes[s->n] = f->size;
        s->n++;
    }
    return 0;
}

static void test_save_file(void **state)
{
    const char *dir = *state;
    char text[4200], bin[4200], empty[4200], missing[4200];
    snprintf(text, sizeof text, "%s/notes.txt", dir);
    snprintf(bin, sizeof bin, "%s/blob.bin", dir);
    snprintf(empty, sizeof empty, "%s/empty.txt", dir);
    snprintf(missing, sizeof missing, "%s/missing.txt", dir);
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    assert_int_equal(tu_write_file(text, "hello\nworld\n", 12), 0);
    assert_int_equal(tu_write_file(bin, bytes, sizeof bytes), 0);
    assert_int_equal(tu_write_file(empty, "", 0), 0);

    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_save_file(run, text), TALLY_OK);
    assert_int_equal(tally_save_file(run, bin), TALLY_OK);
    assert_int_equal(tally_save_file(run, empty), TALLY_OK);
    assert_int_equal(tally_save_file(run, missing), TALLY_OK); /* reported later, once */
    assert_int_equal(tally_save_file(run, ""), TALLY_EINVAL);
    assert_int_equal(tally_save_file(run, NULL), TALLY_EINVAL);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    file_seen seen = {0};
    assert_int_equal(tally_store_files(st, on_file, &seen), TALLY_OK);
    assert_int_equal(seen.n, 3); /* ordered by path */
    assert_string_equal(seen.names[0], "blob.bin");
    assert_string_equal(seen.names[1], "empty.txt");
    assert_string_equal(seen.names[2], "notes.txt");
    assert_int_equal(seen.sizes[0], 256);
    assert_int_equal(seen.sizes[1], 0);
    assert_int_equal(seen.sizes[2], 12);
    void *data;
    size_t size;
    assert_int_equal(tally_store_file_read(st, "notes.txt", &data, &size), TALLY_OK);
    assert_int_equal(size, 12);
    assert_memory_equal(data, "hello\nworld\n", 12);
    free(data);
    assert_int_equal(tally_store_file_read(st, "blob.bin", &data, &size), TALLY_OK);
    assert_int_equal(size, 256);
    assert_memory_equal(data, bytes, 256);
    free(data);
    assert_int_equal(tally_store_file_read(st, "empty.txt", &data, &size), TALLY_OK);
    assert_int_equal(size, 0);
    free(data);
    assert_int_equal(tally_store_file_read(st, "missing.txt", &data, &size), TALLY_ENOTFOUND);
    tally_store_close(st);
    free(path);
}

static void test_run_info(void **state)
{
    const char *dir = *state;
    const char *tags[] = {"a", "b\"c", NULL};
    tally_options o = {.dir = dir,
                       .project = "proj",
                       .name = "my-run",
                       .group = "g",
                       .job_type = "train",
                       .notes = "some notes",
                       .tags = tags,
                       .flush_ms = 5,
                       .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    double t0 = clock_wall();
    tally_run *run = tally_init(&o);
    assert_non_null(run);
    char id[64];
    snprintf(id, sizeof id, "%s", tally_run_id(run));
    assert_int_equal(strlen(id), 8);
    for (const char *p = id; *p; p++)
        assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'));
    assert_string_equal(tally_run_name(run), "my-run");
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "%s/proj/", dir);
    assert_memory_equal(tally_run_path(run), prefix, strlen(prefix));
    assert_int_equal(tally_log(run, "x", 1), TALLY_OK);
    char *path = tu_run_finish(run, 3);
    char suffix[80];
    snprintf(suffix, sizeof suffix, "-%s.db", id);
    assert_string_equal(path + strlen(path) - strlen(suffix), suffix);

    tally_store *st = tu_store_open(path);
    const tally_run_info *in = tally_store_info(st);
    assert_string_equal(in->id, id);
    assert_string_equal(in->project, "proj");
    assert_string_equal(in->name, "my-run");
    assert_string_equal(in->group, "g");
    assert_string_equal(in->job_type, "train");
    assert_string_equal(in->notes, "some notes");
    cJSON *t = cJSON_Parse(in->tags_json);
    assert_int_equal(cJSON_GetArraySize(t), 2);
    assert_string_equal(cJSON_GetArrayItem(t, 1)->valuestring, "b\"c");
    cJSON_Delete(t);
    assert_int_equal(in->state, TALLY_STATE_FAILED);
    assert_true(in->has_exit_code);
    assert_int_equal(in->exit_code, 3);
    assert_int_equal(in->pid, getpid());
    assert_true(in->start_time >= t0 - 1 && in->start_time <= in->end_time);
    assert_int_equal(in->schema_version, TALLY_SCHEMA_VERSION);
    tally_store_close(st);
    free(path);
}

static void test_many_metrics(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    char key[32];
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < 1500; i++) { /* the key table grows several times */
            snprintf(key, sizeof key, "m/%04d", i);
            assert_int_equal(tally_log(run, key, i * 10 + step), TALLY_OK);
        }
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_metric_count(st), 1502);
    for (int i = 0; i < 1500; i += 7) {
        snprintf(key, sizeof key, "m/%04d", i);
        expect_points(st, key, (int64_t[]){0, 1, 2},
                      (double[]){i * 10, i * 10 + 1, i * 10 + 2}, 3);
    }
    tally_store_close(st);
    free(path);
}

/* New keys and rules while the flusher writes: it must not read the run's
 * metric and rule arrays, which the loggers grow, without the lock. */
static void *new_keys(void *arg)
{
    tally_run *run = arg;
    char key[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "grow/%04d", i);
        if (tally_log(run, key, i) != TALLY_OK || tally_commit(run) != TALLY_OK)
            return "log";
        if (i % 100 == 0) {
            snprintf(key, sizeof key, "grow/%02d*", i / 100);
            if (tally_define_metric(run, key, NULL, TALLY_SUMMARY_MAX, 0) != TALLY_OK)
                return "define";
        }
    }
    return NULL;
}

static void test_new_keys_while_flushing(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, new_keys, run), 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(tally_flush(run), TALLY_OK);
    void *res;
    pthread_join(th, &res);
    assert_null(res);
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_metric_count(st), 3002);
    expect_points(st, "grow/2999", (int64_t[]){2999}, (double[]){2999}, 1);
    tally_store_close(st);
    free(path);
}

/* A fork()ed child of the host has the run's memory but not its threads:
 * flush and finish there refuse instead of waiting on or joining threads
 * that do not exist, and the parent's run goes on untouched. */
typedef struct spam_ctx {
    tally_run *run;
    atomic_int stop;
} spam_ctx;

static void *spam_log(void *arg)
{
    spam_ctx *c = arg;
    for (int64_t i = 0; !atomic_load(&c->stop); i++) {
        tally_log(c->run, "spam", (double)i);
        if (i % 64 == 0)
            tally_commit(c->run);
    }
    return NULL;
}

/* fork() while another thread holds the run lock: the fork handlers hand
 * the child an unlocked run, so its logging calls return instead of
 * waiting forever on a lock no thread of the child will release. */
static void test_fork_while_logging(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    spam_ctx c = {run, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, spam_log, &c), 0);
    int hung = 0;
    for (int i = 0; i < 100; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            alarm(5); /* a deadlock dies of SIGALRM instead of hanging the test */
            tally_log(run, "child", 1);
            tally_commit(run);
            _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            hung = 1; /* one is enough: fail now rather than wait out 100 alarms */
            break;
        }
    }
    atomic_store(&c.stop, 1);
    pthread_join(th, NULL);
    assert_int_equal(hung, 0);
    free(tu_run_finish(run, 0));
}

static void test_fork_child(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    assert_int_equal(tally_log(run, "a", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_flush(run), TALLY_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(20); /* a hang fails the test instead of blocking it */
        int ok = tally_flush(run) == TALLY_EFINISHED && tally_finish(run, 3) == TALLY_EFINISHED;
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(tu_wait_child(pid), 0);
    assert_int_equal(tally_log(run, "a", 2), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->state, TALLY_STATE_FINISHED);
    expect_points(st, "a", (int64_t[]){0, 1}, (double[]){1, 2}, 2);
    tally_store_close(st);
    free(path);
}

/* One warning line per kind of problem: online sync's codes (-100 and on)
 * do not silence the library's own, such as a failing disk. */
static void test_warn_once_per_code(void **state)
{
    const char *dir = *state;
    char path[4200];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    tally_run *run = tu_run_start(dir, NULL);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    unsetenv("TALLY_QUIET");
    run_warn(run, -103, "sync: unreachable"); /* SYNC_ENET */
    run_warn(run, -103, "sync: unreachable");
    run_warn(run, TALLY_EIO, "disk: io");
    run_warn(run, -104, "sync: protocol"); /* SYNC_EPROTO */
    run_warn(run, TALLY_ENOSPC, "disk: full");
    run_warn(run, TALLY_ENOSPC, "disk: full");
    setenv("TALLY_QUIET", "1", 1);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *path_run = tu_run_finish(run, 0);
    free(path_run);
    size_t size;
    char *text = tu_read_file(path, &size);
    assert_non_null(text);
    text[size] = '\0'; /* tu_read_file leaves room past the end */
    size_t lines = 0;
    for (size_t i = 0; i < size; i++)
        lines += text[i] == '\n';
    assert_int_equal(lines, 4);
    assert_non_null(strstr(text, "disk: io"));
    assert_non_null(strstr(text, "disk: full"));
    free(text);
}

/* A reader follows a run while it is written. */
static void test_live_read(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(tally_log(run, "a", i), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    assert_int_equal(tally_flush(run), TALLY_OK);
    tally_store *st = tu_store_open(tally_run_path(run));
    assert_int_equal(tally_store_info(st)->state, TALLY_STATE_RUNNING);
    assert_int_equal(tally_store_info(st)->rows, 10);
    assert_int_equal(tally_store_find_metric(st, "a")->n, 10);
    int changed = -1;
    for (int i = 10; i < 20; i++) {
        assert_int_equal(tally_log(run, "a", i), TALLY_OK);
        assert_int_equal(tally_log(run, "b", -i), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
    }
    assert_int_equal(tally_flush(run), TALLY_OK);
    assert_int_equal(tally_store_refresh(st, &changed), TALLY_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(tally_store_info(st)->rows, 20);
    assert_int_equal(tally_store_find_metric(st, "a")->n, 20);
    assert_non_null(tally_store_find_metric(st, "b"));
    int64_t *x;
    double *y;
    assert_int_equal(tu_points(st, "a", &x, &y), 20);
    for (int i = 0; i < 20; i++)
        assert_true(x[i] == i && y[i] == i);
    free(x);
    free(y);
    assert_int_equal(tally_store_refresh(st, &changed), TALLY_OK);
    assert_int_equal(changed, 0);
    char *path = tu_run_finish(run, 0); /* with the reader still open */
    assert_int_equal(tally_store_refresh(st, &changed), TALLY_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(tally_store_info(st)->state, TALLY_STATE_FINISHED);
    tally_store_close(st);
    st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->rows, 20);
    tally_store_close(st);
    free(path);
}

/* A process that dies without tally_finish: its run reads as crashed,
 * keeps what was flushed, and can be resumed. */
static void test_crashed_then_resume(void **state)
{
    const char *dir = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        tally_options o = {.dir = dir, .project = "unit", .id = "crash001", .flush_ms = 5,
                           .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
        tally_run *run = NULL;
        int bad = tally_init_ex(&o, &run) != TALLY_OK;
        for (int i = 0; i < 5 && !bad; i++)
            bad = tally_log(run, "loss", i) || tally_commit(run);
        if (!bad)
            bad = tally_flush(run) != TALLY_OK;
        _exit(bad); /* no tally_finish */
    }
    assert_int_equal(tu_wait_child(pid), 0);
    char *path = NULL;
    assert_int_equal(tally_store_resolve(dir, "crash001", &path), TALLY_OK);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->state, TALLY_STATE_CRASHED);
    assert_false(tally_store_info(st)->has_exit_code);
    assert_int_equal(tally_store_info(st)->rows, 5);
    expect_points(st, "loss", (int64_t[]){0, 1, 2, 3, 4}, (double[]){0, 1, 2, 3, 4}, 5);
    tally_store_close(st);

    tally_run *run = tu_run_start(dir, "crash001");
    assert_int_equal(tally_step(run), 5);
    assert_int_equal(tally_log(run, "loss", 5), TALLY_OK);
    char *again = tu_run_finish(run, 0);
    assert_string_equal(again, path);
    st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->state, TALLY_STATE_FINISHED);
    assert_int_equal(tally_store_info(st)->rows, 6);
    expect_points(st, "loss", (int64_t[]){0, 1, 2, 3, 4, 5}, (double[]){0, 1, 2, 3, 4, 5}, 6);
    tally_store_close(st);
    free(again);
    free(path);
}

static void test_catalog(void **state)
{
    const char *dir = *state;
    static const char *const ids[] = {"abc11111", "abc22222", "xyz00000"};
    char *paths[3];
    for (int i = 0; i < 3; i++) {
        tally_run *run = tu_run_start(dir, ids[i]);
        assert_int_equal(tally_log(run, "x", i), TALLY_OK);
        paths[i] = tu_run_finish(run, 0);
    }
    tally_run_list *list;
    assert_int_equal(tally_store_list(dir, &list), TALLY_OK);
    assert_int_equal(list->n, 3);
    assert_int_equal(list->skipped, 0);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(list->runs[i].id, ids[2 - i]); /* newest first */
        assert_string_equal(list->runs[i].path, paths[2 - i]);
        assert_string_equal(list->runs[i].project, "unit");
        assert_int_equal(list->runs[i].state, TALLY_STATE_FINISHED);
        if (i > 0)
            assert_true(list->runs[i].start_time <= list->runs[i - 1].start_time);
    }
    tally_run_list_free(list);

    char *path = NULL;
    assert_int_equal(tally_store_resolve(dir, "xyz00000", &path), TALLY_OK);
    assert_string_equal(path, paths[2]);
    free(path);
    assert_int_equal(tally_store_resolve(dir, "xy", &path), TALLY_OK); /* a unique prefix */
    assert_string_equal(path, paths[2]);
    free(path);
    assert_int_equal(tally_store_resolve(dir, "abc2", &path), TALLY_OK);
    assert_string_equal(path, paths[1]);
    free(path);
    assert_int_equal(tally_store_resolve(dir, "abc", &path), TALLY_EINVAL); /* ambiguous */
    assert_null(path);
    assert_int_equal(tally_store_resolve(dir, "nope", &path), TALLY_ENOTFOUND);
    assert_int_equal(tally_store_resolve(dir, paths[0], &path), TALLY_OK); /* a path */
    assert_string_equal(path, paths[0]);
    free(path);
    assert_int_equal(tally_store_resolve(dir, "/no/such/run.db", &path), TALLY_ENOTFOUND);
    assert_int_equal(tally_store_resolve(dir, "", &path), TALLY_EINVAL);
    assert_int_equal(tally_store_resolve(NULL, "x", &path), TALLY_EINVAL);

    /* a root with no store yet holds no runs */
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/none", dir);
    assert_int_equal(tally_store_list(missing, &list), TALLY_OK);
    assert_int_equal(list->n, 0);
    tally_run_list_free(list);

    setenv("TALLY_DIR", dir, 1);
    assert_string_equal(tally_store_default_root(), dir);
    unsetenv("TALLY_DIR");
    assert_string_equal(tally_store_default_root(), "./tally");
    for (int i = 0; i < 3; i++)
        free(paths[i]);
}

typedef struct lines_seen {
    int n, stop_after;
    int64_t seq[8];
    int stream[8];
    char text[8][32];
} lines_seen;

static int on_line(void *ctx, const tally_log_line *line)
{
    lines_seen *s = ctx;
    if (s->n < 8) {
        s->seq[s->n] = line->seq;
        s->stream[s->n] = line->stream;
        snprintf(s->text[s->n], sizeof s->text[0], "%s", line->text);
    }
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

/* What capture records through the core's internal calls: console lines
 * and samples on the time axis. */
static void test_console_and_time_axis(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    double now = clock_wall();
    assert_int_equal(run_log_line(run, now, 1, "first line", 10), TALLY_OK);
    assert_int_equal(run_log_line(run, now, 2, "an error\x1b[0m", 12), TALLY_OK);
    assert_int_equal(run_log_line(run, now, 1, "", 0), TALLY_OK);
    assert_int_equal(run_log_time(run, "sys/cpu", 0, 1.5), TALLY_OK);
    assert_int_equal(run_log_time(run, "sys/cpu", 2000, 2.5), TALLY_OK);
    assert_int_equal(run_log_time(run, "sys/cpu", 2000, 3.5), TALLY_OK); /* same ms */
    assert_int_equal(tally_log(run, "loss", 1), TALLY_OK);
    /* a key keeps its axis */
    assert_int_equal(run_log_time(run, "loss", 10, 1), TALLY_EKEY);
    assert_int_equal(tally_log(run, "sys/cpu", 1), TALLY_EKEY);
    assert_int_equal(tally_log_at(run, 0, "sys/cpu", 1), TALLY_EKEY);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);

    tally_store *st = tu_store_open(path);
    const tally_metric_info *cpu = tally_store_find_metric(st, "sys/cpu");
    assert_non_null(cpu);
    assert_int_equal(cpu->axis, TALLY_AXIS_TIME);
    assert_false(cpu->is_int);
    expect_points(st, "sys/cpu", (int64_t[]){0, 2000, 2000}, (double[]){1.5, 2.5, 3.5}, 3);
    assert_int_equal(tally_store_find_metric(st, "loss")->axis, TALLY_AXIS_STEP);

    lines_seen seen = {0};
    assert_int_equal(tally_store_logs(st, 0, 0, on_line, &seen), TALLY_OK);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.text[0], "first line");
    assert_string_equal(seen.text[1], "an error\x1b[0m"); /* stored as is: readers sanitize */
    assert_string_equal(seen.text[2], "");
    assert_int_equal(seen.stream[0], 1);
    assert_int_equal(seen.stream[1], 2);
    assert_true(seen.seq[0] < seen.seq[1] && seen.seq[1] < seen.seq[2]);
    lines_seen after = {0};
    assert_int_equal(tally_store_logs(st, seen.seq[0], 0, on_line, &after), TALLY_OK);
    assert_int_equal(after.n, 2);
    assert_string_equal(after.text[0], "an error\x1b[0m");
    lines_seen one = {0};
    assert_int_equal(tally_store_logs(st, 0, 1, on_line, &one), TALLY_OK);
    assert_int_equal(one.n, 1);
    lines_seen stop = {.stop_after = 2};
    assert_int_equal(tally_store_logs(st, 0, 0, on_line, &stop), TALLY_OK);
    assert_int_equal(stop.n, 2);
    tally_store_close(st);
    free(path);
}

static off_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/* The scenario of test_write_failure, in a child whose file size limit
 * stands in for a full disk.  Returns what went wrong, 0 when nothing. */
static int write_failure_child(const char *dir)
{
    signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG */
    tally_options o = {.dir = dir, .project = "unit", .id = "diskfull", .flush_ms = 5,
                       .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    if (tally_init_ex(&o, &run) != TALLY_OK)
        return 1;
    int step = 0;
    for (; step < 100; step++)
        if (tally_log(run, "a", step) || tally_commit(run))
            return 2;
    if (tally_flush(run) != TALLY_OK)
        return 3;
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", tally_run_path(run));
    off_t big = file_size(wal) > file_size(tally_run_path(run)) ? file_size(wal)
                                                                : file_size(tally_run_path(run));
    struct rlimit lim = {(rlim_t)big + 8192, RLIM_INFINITY};
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
        return 4;
    /* Enough that the WAL, which starts over after each checkpoint, must
     * outgrow its old size once the checkpoints cannot grow the file. */
    for (; step < 40000; step++) {
        tally_log(run, "a", step); /* staged; may report the failing disk */
        if (step >= 2000)
            tally_log(run, "b", step); /* a metric born while the disk fails */
        tally_commit(run);
    }
    int rc = tally_flush(run);
    if (rc != TALLY_EIO && rc != TALLY_ENOSPC)
        return 5;
    for (int retry = 0; retry < 3; retry++) /* each failed retry rolls back again */
        if (tally_flush(run) != rc)
            return 10;
    if (tally_log(run, "a", step) != rc) /* the error is reported to the logging calls */
        return 6;
    tally_commit(run);
    step++;
    lim.rlim_cur = RLIM_INFINITY;
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
        return 7;
    if (tally_flush(run) != TALLY_OK) /* the kept batch is written now */
        return 8;
    if (tally_log(run, "a", step) != TALLY_OK || tally_finish(run, 0) != TALLY_OK)
        return 9;
    return 0;
}

/* A flush that fails (the disk is full) loses nothing: the batch is kept
 * and written by the next flush that succeeds. */
static void test_write_failure(void **state)
{
    const char *dir = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(write_failure_child(dir));
    assert_int_equal(tu_wait_child(pid), 0);
    char *path = NULL;
    assert_int_equal(tally_store_resolve(dir, "diskfull", &path), TALLY_OK);
    tally_store *st = tu_store_open(path);
    assert_int_equal(tally_store_info(st)->state, TALLY_STATE_FINISHED);
    assert_int_equal(tally_store_info(st)->rows, 40002);
    int64_t *x;
    double *y;
    assert_int_equal(tu_points(st, "a", &x, &y), 40002);
    for (int i = 0; i < 40002; i++)
        assert_true(x[i] == i && y[i] == i);
    free(x);
    free(y);
    /* The counts agree with what is stored, however many flushes failed. */
    assert_int_equal(tally_store_find_metric(st, "a")->n, 40002);
    assert_int_equal(tu_points(st, "b", &x, &y), 38000);
    assert_int_equal(tally_store_find_metric(st, "b")->n, 38000);
    assert_int_equal(tally_store_find_metric(st, "b")->x_min, 2000);
    assert_int_equal(tally_store_find_metric(st, "b")->x_max, 39999);
    free(x);
    free(y);
    tally_store_close(st);
    free(path);
}

/* Strings logged while the disk fails are kept up to a bound, then refused
 * with TALLY_EFULL: memory stays bounded, and what was kept is written once
 * the disk recovers.  Returns what went wrong, 0 when nothing. */
static int object_cap_child(const char *dir)
{
    signal(SIGXFSZ, SIG_IGN);
    tally_options o = {.dir = dir, .project = "unit", .id = "objcap", .flush_ms = 5,
                       .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    if (tally_init_ex(&o, &run) != TALLY_OK || tally_log_str(run, "s", "first") ||
        tally_commit(run) || tally_flush(run))
        return 1;
    const size_t big = 1u << 20; /* a 1 MiB string a step */
    char *text = malloc(big);
    if (!text)
        return 2;
    memset(text, 'x', big - 1);
    text[big - 1] = '\0';
    struct rlimit lim = {(rlim_t)file_size(tally_run_path(run)) + 4096, RLIM_INFINITY};
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
        return 3;
    int full = 0, kept = 0;
    for (int step = 1; step < 200 && !full; step++) {
        tally_log_str(run, "s", text);
        int rc = tally_commit(run);
        if (rc == TALLY_EFULL)
            full = 1;
        else
            kept++;
    }
    int refused = full;
    for (int more = 0; more < 5; more++) { /* still full: refused, and counted */
        tally_log_str(run, "s", text);
        refused += tally_commit(run) == TALLY_EFULL;
    }
    free(text);
    if (!full || kept < 32 || kept > (int)(RUN_MAX_OBJECT_BYTES / big) + 1 || refused != 6)
        return 4; /* refused at the bound, not before, not never */
    lim.rlim_cur = RLIM_INFINITY;
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0 || tally_flush(run) != TALLY_OK)
        return 5;
    char *path = strdup(tally_run_path(run));
    if (tally_log_str(run, "s", "after") || tally_finish(run, 0))
        return 6;
    /* The run says how many values it could not keep. */
    tally_store *st = NULL;
    int rc = path ? tally_store_open(path, &st) : TALLY_ENOMEM;
    int64_t dropped = rc ? -1 : tally_store_info(st)->dropped;
    tally_store_close(st);
    free(path);
    return dropped == refused ? 0 : 7;
}

static void test_object_cap(void **state)
{
    const char *dir = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(object_cap_child(dir));
    assert_int_equal(tu_wait_child(pid), 0);
}

static void set_run_row(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

static tally_state state_of(const char *path)
{
    tally_store *st = tu_store_open(path);
    tally_state s = tally_store_info(st)->state;
    tally_store_close(st);
    return s;
}

/* How a reader tells a live run from a crashed one (docs/format.md). */
static void test_state_judgement(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    char *path = tu_run_finish(run, 0);
    char sql[512], host[PROCINFO_ID_MAX];
    procinfo_hostname(host);
    long long me = (long long)getpid(), ticks = (long long)procinfo_start_ticks(getpid());
    double now = clock_wall();

    /* this host: the writer's claim on the file decides */
    sqlite3_snprintf(sizeof sql, sql,
                     "UPDATE run SET state='running', exit_code=NULL, host=%Q, pid=%lld,"
                     " pid_start=%lld, heartbeat=%.3f",
                     host, me, ticks, now - 100000);
    set_run_row(path, sql);
    runlock *claim;
    assert_int_equal(runlock_open(path, &claim), TALLY_OK);
    assert_int_equal(runlock_claim(claim), TALLY_OK);
    assert_int_equal(state_of(path), TALLY_STATE_RUNNING); /* claimed, however old the heartbeat */
    runlock_close(claim);
    /* the row names a live process, but nobody holds the claim */
    assert_int_equal(state_of(path), TALLY_STATE_CRASHED);
    sqlite3_snprintf(sizeof sql, sql, "UPDATE run SET pid_start=%lld", ticks + 1);
    set_run_row(path, sql);
    assert_int_equal(state_of(path), TALLY_STATE_CRASHED); /* the pid was reused */
    set_run_row(path, "UPDATE run SET pid=2147483000, pid_start=0");
    assert_int_equal(state_of(path), TALLY_STATE_CRASHED); /* no such process */
    sqlite3_snprintf(sizeof sql, sql, "UPDATE run SET pid=%lld, pid_start=%lld, boot_id='x'",
                     me, ticks);
    set_run_row(path, sql);
    assert_int_equal(state_of(path), TALLY_STATE_CRASHED); /* another boot */

    /* another host: the heartbeat decides */
    sqlite3_snprintf(sizeof sql, sql,
                     "UPDATE run SET host='elsewhere.invalid', heartbeat=%.3f, heartbeat_ms=5000",
                     now);
    set_run_row(path, sql);
    assert_int_equal(state_of(path), TALLY_STATE_RUNNING);
    sqlite3_snprintf(sizeof sql, sql, "UPDATE run SET heartbeat=%.3f", now - 3600);
    set_run_row(path, sql);
    assert_int_equal(state_of(path), TALLY_STATE_CRASHED);

    /* stored end states are taken as they are */
    set_run_row(path, "UPDATE run SET state='failed', exit_code=2");
    assert_int_equal(state_of(path), TALLY_STATE_FAILED);
    set_run_row(path, "UPDATE run SET state='finished', exit_code=0");
    assert_int_equal(state_of(path), TALLY_STATE_FINISHED);
    assert_string_equal(tally_state_name(TALLY_STATE_RUNNING), "running");
    assert_string_equal(tally_state_name(TALLY_STATE_FINISHED), "finished");
    assert_string_equal(tally_state_name(TALLY_STATE_FAILED), "failed");
    assert_string_equal(tally_state_name(TALLY_STATE_CRASHED), "crashed");
    free(path);
}

int main(void)
{
    setenv("TALLY_QUIET", "1", 1);
    unsetenv("TALLY_MODE");
    const struct CMUnitTest tests[] = {
        TU_DIR_TEST(test_stage_commit),
        TU_DIR_TEST(test_key_prediction),
        TU_DIR_TEST(test_pending_bound),
        TU_DIR_TEST(test_empty_step),
        TU_DIR_TEST(test_log_at),
        TU_DIR_TEST(test_last_step),
        TU_DIR_TEST(test_same_key_twice),
        TU_DIR_TEST(test_summary_default),
        TU_DIR_TEST(test_summary_rules),
        TU_DIR_TEST(test_hidden_rule),
        TU_DIR_TEST(test_summary_set),
        TU_DIR_TEST(test_set_step),
        TU_DIR_TEST(test_summary_set_json),
        TU_DIR_TEST(test_config),
        TU_DIR_TEST(test_log_int),
        TU_DIR_TEST(test_log_str),
        TU_DIR_TEST(test_log_json),
        TU_DIR_TEST(test_log_json_fast),
        TU_DIR_TEST(test_nonfinite),
        TU_DIR_TEST(test_threads),
        TU_DIR_TEST(test_disabled),
        TU_DIR_TEST(test_resume),
        TU_DIR_TEST(test_resume_rules),
        TU_DIR_TEST(test_save_file),
        TU_DIR_TEST(test_run_info),
        TU_DIR_TEST(test_many_metrics),
        TU_DIR_TEST(test_new_keys_while_flushing),
        TU_DIR_TEST(test_fork_child),
        TU_DIR_TEST(test_fork_while_logging),
        TU_DIR_TEST(test_warn_once_per_code),
        TU_DIR_TEST(test_live_read),
        TU_DIR_TEST(test_crashed_then_resume),
        TU_DIR_TEST(test_catalog),
        TU_DIR_TEST(test_console_and_time_axis),
        TU_DIR_TEST(test_state_judgement),
        TU_DIR_TEST(test_write_failure),
        TU_DIR_TEST(test_object_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
