/*
 * values_logger.c — logs the awkward values through the public API for
 * values.sh: NaN and the infinities, the extremes of double, integers past
 * 2^53, strings with quotes and non-ASCII text, nested JSON, summary rules,
 * an explicit summary, a jump with tally_log_at; then a second run that
 * finishes with a failing exit code.  values.sh holds the same table and
 * checks what `tally export` and `tally show --json` read back.
 *
 * usage: values_logger DIR      prints "run ID PATH" for each run
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "tally.h"

static int failures;

static void expect(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "values_logger: %s: %s\n", what, tally_strerror(rc));
        failures++;
    }
}

/* Three rows of doubles: each column ends on the value the summary keeps. */
static const struct {
    const char *key;
    double v[3];
} doubles[] = {
    {"f/nan", {NAN, 1.5, NAN}},
    {"f/inf", {INFINITY, -INFINITY, INFINITY}},
    {"f/ninf", {-INFINITY, -INFINITY, -INFINITY}},
    {"f/max", {DBL_MAX, -DBL_MAX, DBL_MAX}},
    {"f/min_normal", {DBL_MIN, -DBL_MIN, DBL_MIN}},
    {"f/denormal", {4.9406564584124654e-324, -4.9406564584124654e-324, 4.9406564584124654e-324}},
    {"f/third", {1.0 / 3.0, 2.0 / 3.0, -1.0 / 3.0}},
    {"f/pi", {M_PI, -M_PI, M_PI * 1e100}},
    {"f/tiny", {1e-300, -1e-300, 1.0000000000000002}},
    {"f/big", {1e300, 123456789012345678.0, 0.1}},
};
#define NDOUBLES (sizeof doubles / sizeof *doubles)

static const struct {
    const char *key;
    int64_t v[3];
} ints[] = {
    {"i/past53", {9007199254740993LL, 9007199254740995LL, 9007199254740993LL}},
    {"i/max", {INT64_MAX, INT64_MAX - 1, INT64_MAX}},
    {"i/min", {INT64_MIN, INT64_MIN + 1, INT64_MIN}},
    {"i/small", {0, -1, 42}},
};
#define NINTS (sizeof ints / sizeof *ints)

static const char *const strings[3] = {
    "plain",
    "quote \" backslash \\ slash / newline \n tab \t",
    "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x8e\x89",
};

/* Nested objects become a/b keys. */
static const char *const nested[3] = {
    "{\"j\":{\"a\":0.5,\"b\":{\"c\":\"deep\",\"d\":-2}}}",
    "{\"j\":{\"a\":1e-10,\"b\":{\"c\":\"deeper\",\"d\":9007199254740993}}}",
    "{\"j\":{\"a\":NaN,\"b\":{\"c\":\"deepest\",\"d\":7}}}",
};

static const double scores[3] = {2.5, 0.5, 1.5};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: values_logger DIR\n");
        return 2;
    }
    tally_options opts = {
        .dir = argv[1],
        .project = "values",
        .name = "awkward-values",
        .config_json = "{\"lr\":0.001,\"layers\":[64,32],\"opt\":{\"name\":\"adam\",\"beta\":0.9},"
                       "\"big\":9007199254740993,\"flag\":true,\"none\":null}",
        .sample_ms = -1,
        .capture = TALLY_CAPTURE_NONE,
    };
    tally_run *run;
    int rc = tally_init_ex(&opts, &run);
    if (rc) {
        fprintf(stderr, "values_logger: tally_init: %s\n", tally_strerror(rc));
        return 1;
    }
    printf("run %s %s\n", tally_run_id(run), tally_run_path(run));
    expect(tally_define_metric(run, "r/*", NULL,
                               TALLY_SUMMARY_MIN | TALLY_SUMMARY_MAX | TALLY_SUMMARY_MEAN |
                                   TALLY_SUMMARY_LAST | TALLY_SUMMARY_FIRST,
                               TALLY_GOAL_MINIMIZE),
           "define_metric r/*");
    expect(tally_config_set(run, "seed", "1234"), "config_set");
    expect(tally_config_set(run, "ratio", "0.30000000000000004"), "config_set ratio");

    for (int step = 0; step < 3; step++) {
        for (size_t i = 0; i < NDOUBLES; i++)
            expect(tally_log(run, doubles[i].key, doubles[i].v[step]), doubles[i].key);
        for (size_t i = 0; i < NINTS; i++)
            expect(tally_log_int(run, ints[i].key, ints[i].v[step]), ints[i].key);
        expect(tally_log_str(run, "s/text", strings[step]), "log_str");
        expect(tally_log_json(run, nested[step]), "log_json");
        expect(tally_log(run, "r/score", scores[step]), "r/score");
        expect(tally_commit(run), "commit");
    }
    /* A jump: step 10 commits nothing pending and moves there. */
    expect(tally_log_at(run, 10, "late", 0.25), "log_at 10");
    expect(tally_log_at(run, 3, "late", 1.0) == TALLY_ESTEP ? 0 : -1, "log_at back refused");
    expect(tally_summary_set(run, "best", 0.875), "summary_set");
    expect(tally_finish(run, 0), "finish");

    /* A second run that fails. */
    opts.name = "fails-with-3";
    opts.config_json = NULL;
    rc = tally_init_ex(&opts, &run);
    if (rc) {
        fprintf(stderr, "values_logger: second tally_init: %s\n", tally_strerror(rc));
        return 1;
    }
    printf("run %s %s\n", tally_run_id(run), tally_run_path(run));
    expect(tally_log(run, "loss", 0.5), "log");
    expect(tally_finish(run, 3), "finish 3");
    return failures ? 1 : 0;
}
