/*
 * test_tui_runs.c — the runs browser's pure parts: filter expressions
 * (parse, errors, matching on state, name, tags, config and nested
 * summaries), summary values and column keys, and a fuzz run of the
 * parser and matcher on random expressions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/json.h"
#include "testutil.h"
#include "tui/groups.h"
#include "tui/palette.h"
#include "tui/runquery.h"

typedef struct sample {
    cJSON *summary, *config, *tags;
    runquery_run run;
} sample;

static void sample_init(sample *s)
{
    s->summary = json_parse("{\"val/loss\":{\"min\":0.2,\"last\":0.25},\"train/loss\":0.3,"
                            "\"best\":{\"max\":0.9},\"note\":\"ok\",\"_runtime\":12}");
    s->config = json_parse("{\"lr\":0.001,\"optimizer\":{\"name\":\"adam\",\"beta\":0.9},"
                           "\"amp\":true}");
    s->tags = json_parse("[\"baseline\",\"gpu\"]");
    s->run = (runquery_run){"sweep-3", "vision", "abc123", "grp1", "train", "first try",
                            "finished", s->tags, s->summary, s->config};
}

static void sample_free(sample *s)
{
    cJSON_Delete(s->summary);
    cJSON_Delete(s->config);
    cJSON_Delete(s->tags);
}

static int matches(const sample *s, const char *expr)
{
    char err[160];
    runquery *q = runquery_parse(expr, err, sizeof err);
    if (!q)
        fail_msg("\"%s\" did not parse: %s", expr, err);
    int m = runquery_match(q, &s->run);
    runquery_free(q);
    return m;
}

static void test_match(void **state)
{
    (void)state;
    sample s;
    sample_init(&s);
    static const struct {
        const char *expr;
        int want;
    } cases[] = {
        {"", 1},
        {"lr>1e-3", 0},
        {"lr>=1e-3", 1},
        {"lr<0.01 lr>0.0001", 1},
        {"val/loss<0.3", 1},       /* a summary with rules reads as its last */
        {"val/loss<0.22", 0},
        {"val/loss.min<0.21", 1},  /* one rule by name */
        {"summary.val/loss.last=0.25", 1},
        {"best>0.8", 1},           /* the only rule */
        {"train/loss<=0.3", 1},
        {"state=finished", 1},
        {"state=FINISHED", 1},
        {"state=running", 0},
        {"state!=running", 1},
        {"optimizer.name=adam", 1},
        {"optimizer/name=adam", 1},
        {"config.optimizer.beta>0.5", 1},
        {"summary.lr>0", 0},       /* lr is config only */
        {"config.train/loss>0", 0},
        {"amp=true", 1},
        {"amp=false", 0},
        {"tag=baseline", 1},
        {"tags=gpu", 1},
        {"tag=cpu", 0},
        {"tag!=baseline", 0},
        {"tag!=cpu", 1},
        {"tag~^base", 1},
        {"tag!~^base", 0},
        {"sweep", 1},
        {"SWEEP", 1},
        {"!sweep", 0},
        {"!resnet", 1},
        {"gpu", 1},                /* words search the tags too */
        {"sw*", 1},
        {"name~^sw.*-3$", 1},
        {"name!~^sw", 0},
        {"name=SWEEP-3", 1},
        {"name=sweep-*", 1},
        {"name=sweep", 0},
        {"name!=sweep-*", 0},
        {"name>sweep-2", 1},
        {"project=vision", 1},
        {"group=grp1", 1},
        {"job_type=train", 1},
        {"notes~first", 1},
        {"id=abc*", 1},
        {"note=ok", 1},            /* a string summary value */
        {"note>1", 0},
        {"missing>1", 0},          /* a run without the key never matches */
        {"missing!=1", 0},
        {"lr>1e-4 val/loss<0.3 state=finished", 1},
        {"lr>1e-4 val/loss<0.3 state=running", 0},
        {"name=\"sweep-3\"", 1},
        {"notes=\"first try\"", 1},
        {"lr==0.001", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (matches(&s, cases[i].expr) != cases[i].want)
            fail_msg("\"%s\" should %smatch", cases[i].expr, cases[i].want ? "" : "not ");
    sample_free(&s);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *expr, *says;
    } cases[] = {{"name~(", "invalid regex"},
                 {"lr>1e-3 tag~[a", "invalid regex in \"tag~[a\""},
                 {"(unclosed", "invalid regex"},
                 {"lr>", "needs a value"},
                 {"state=", "needs a value"},
                 {"name=\"open", "unclosed quote"},
                 /* regcomp's memory grows with stacked repetitions (make fuzz) */
                 {"k+++++++++++++++++++++++++++++++++", "regex too costly"},
                 {"name~((a{1,99}){1,99}){1,99}", "regex too costly"},
                 {"x{1,1000}", "regex too costly"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[160] = "";
        runquery *q = runquery_parse(cases[i].expr, err, sizeof err);
        assert_null(q);
        if (!strstr(err, cases[i].says))
            fail_msg("\"%s\": \"%s\" does not say \"%s\"", cases[i].expr, err, cases[i].says);
    }
    char err[160];
    runquery *q = runquery_parse("  a   b=1  ", err, sizeof err);
    assert_non_null(q);
    assert_int_equal(runquery_terms(q), 2);
    runquery_free(q);
    /* An empty quoted term (found by make fuzz) is no term. */
    q = runquery_parse("\n\"\" x \"\"", err, sizeof err);
    assert_non_null(q);
    assert_int_equal(runquery_terms(q), 1);
    runquery_free(q);
}

static void collect(void *ctx, const char *key)
{
    buf *b = ctx;
    buf_printf(b, "%s|", key);
}

static void test_values_and_keys(void **state)
{
    (void)state;
    sample s;
    sample_init(&s);
    const cJSON *v = runquery_scalar(runquery_lookup(s.summary, "val/loss"));
    assert_non_null(v);
    assert_true(v->valuedouble == 0.25);
    assert_true(runquery_scalar(runquery_lookup(s.summary, "best"))->valuedouble == 0.9);
    assert_null(runquery_lookup(s.summary, "val"));
    assert_null(runquery_lookup(s.summary, "val/loss.median"));
    assert_string_equal(runquery_lookup(s.config, "optimizer.name")->valuestring, "adam");
    cJSON *rules = json_parse("{\"min\":1,\"max\":3}");
    assert_true(runquery_scalar(rules)->valuedouble == 1); /* no last: min */
    cJSON_Delete(rules);
    cJSON *nested = json_parse("{\"a\":{\"b\":{\"c\":1}}}");
    assert_null(runquery_scalar(runquery_lookup(nested, "a"))); /* not a rule object */
    cJSON_Delete(nested);

    buf b = BUF_INIT;
    runquery_keys(s.summary, collect, &b);
    assert_string_equal(buf_cstr(&b), "val/loss|val/loss.min|val/loss.last|train/loss|best|"
                                      "best.max|note|_runtime|");
    b.len = 0;
    runquery_keys(s.config, collect, &b);
    assert_string_equal(buf_cstr(&b), "lr|optimizer.name|optimizer.beta|amp|");
    buf_free(&b);
    sample_free(&s);
}

/* Random expressions from pieces of the grammar and random bytes: each
 * parses or says why, and matching never crashes. */
static void test_fuzz(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "lr",    "val/loss", ".min", "state", "name",  "tag",  "config.", "summary.", "=",
        "!=",    "<",        "<=",   ">",     ">=",    "~",    "!~",      "\"",       " ",
        "1e-3",  "0.3",      "nan",  "inf",   "(",     "[",    "*",       "?",        "\\",
        "fin",   "!",        "\xff", "\xc3\xa9", ".",  "/",    "-",       "x"};
    sample s;
    sample_init(&s);
    tu_rng r;
    tu_rng_seed(&r, 4242);
    char in[200];
    int parsed = 0;
    for (int iter = 0; iter < 20000; iter++) {
        tu_fuzz_text(&r, pieces, sizeof pieces / sizeof *pieces, 11, in, sizeof in);
        char err[160] = "";
        runquery *q = runquery_parse(in, err, sizeof err);
        if (q) {
            parsed++;
            int m = runquery_match(q, &s.run);
            assert_true(m == 0 || m == 1);
            runquery_run empty = {0};
            assert_true(runquery_match(q, &empty) <= 1); /* nothing known about the run */
            runquery_free(q);
        } else {
            assert_true(err[0] != 0);
        }
    }
    assert_true(parsed > 1000);
    sample_free(&s);
}

/* The 16 run colours: distinct, far apart in RGB, none grey or near
 * black (unreadable on a dark terminal); the 17th repeats the first; the
 * fallback is one of the six basic colours. */
static void test_palette(void **state)
{
    (void)state;
    double closest = 1e9;
    for (int i = 0; i < PALETTE_SIZE; i++) {
        int a[3];
        palette_rgb(palette_xterm(palette_run_color((size_t)i)), a);
        double lum = 0.3 * a[0] + 0.59 * a[1] + 0.11 * a[2];
        assert_true(lum >= 90 && lum <= 225); /* readable on dark and light */
        assert_false(a[0] == a[1] && a[1] == a[2]); /* not grey */
        int basic = palette_basic(palette_run_color((size_t)i));
        assert_true(basic >= CANVAS_RED && basic <= CANVAS_CYAN);
        for (int j = 0; j < i; j++) {
            int b[3];
            palette_rgb(palette_xterm(palette_run_color((size_t)j)), b);
            double d = 0;
            for (int k = 0; k < 3; k++)
                d += (double)(a[k] - b[k]) * (a[k] - b[k]);
            closest = d < closest ? d : closest;
        }
    }
    assert_true(closest >= 90.0 * 90.0);
    assert_int_equal(palette_run_color(PALETTE_SIZE), palette_run_color(0));
    assert_int_equal(palette_xterm(CANVAS_RED), -1);
    assert_int_equal(palette_basic(CANVAS_RED), CANVAS_RED);
    int rgb[3];
    palette_rgb(196, rgb); /* the cube's pure red */
    assert_true(rgb[0] == 255 && rgb[1] == 0 && rgb[2] == 0);
    palette_rgb(244, rgb);
    assert_true(rgb[0] == 128 && rgb[1] == 128);
}

static void test_diff_keys(void **state)
{
    (void)state;
    cJSON *c[3] = {json_parse("{\"lr\":0.1,\"batch\":32,\"opt\":{\"name\":\"adam\",\"b\":1}}"),
                   json_parse("{\"lr\":0.2,\"batch\":32,\"opt\":{\"name\":\"adam\",\"b\":2}}"),
                   json_parse("{\"lr\":0.1,\"batch\":32,\"opt\":{\"name\":\"adam\",\"b\":1},"
                              "\"seed\":7}")};
    buf b = BUF_INIT;
    runquery_diff_keys((const cJSON *const *)c, 3, collect, &b);
    assert_string_equal(buf_cstr(&b), "lr|opt.b|seed|");
    buf_free(&b);
    runquery_diff_keys((const cJSON *const *)c, 1, collect, &b);
    assert_int_equal(b.len, 0); /* one run differs from nothing */
    cJSON *none[2] = {NULL, json_parse("{\"x\":1}")};
    runquery_diff_keys((const cJSON *const *)none, 2, collect, &b);
    assert_string_equal(buf_cstr(&b), "x|");
    buf_free(&b);
    for (int i = 0; i < 3; i++)
        cJSON_Delete(c[i]);
    cJSON_Delete(none[1]);
}

static void test_groups(void **state)
{
    (void)state;
    const char *labels[] = {"adam", "sgd", NULL, "adam", "sgd", NULL, "rms"};
    int g[7];
    assert_int_equal(groups_assign(labels, 7, g, 16), 4);
    int want[] = {0, 1, 2, 0, 1, 2, 3};
    assert_memory_equal(g, want, sizeof want);
    assert_int_equal(groups_assign(labels, 7, g, 2), 2); /* the rest join the last */
    assert_int_equal(g[6], 1);
    assert_int_equal(g[2], 1);

    /* Two runs over [0, 10) in 5 buckets; the second lacks bucket 4. */
    chart_point a[5], b[4];
    for (int i = 0; i < 5; i++)
        a[i] = (chart_point){2.0 * i + 1, i - 1.0, i + 1.0, i, (double)i, 2.0 * i, 2.0 * i + 2};
    for (int i = 0; i < 4; i++)
        b[i] = (chart_point){2.0 * i + 1, 10.0 * i - 1, 10.0 * i + 1, 0, 10.0 * i, 2.0 * i, 2.0 * i + 2};
    const chart_point *pts[] = {a, b};
    size_t n[] = {5, 4};
    chart_point band[5], mean[5];
    assert_int_equal(groups_merge(pts, n, 2, 0, 10, 5, band, mean), 5);
    assert_true(band[1].y_min == 0 && band[1].y_max == 11); /* a: 0..2, b: 9..11 */
    assert_true(mean[1].y_last == 5.5);                    /* (1 + 10) / 2 */
    assert_true(mean[4].y_last == 4 && band[4].y_min == 3); /* a alone */
    assert_true(band[2].x == 5 && band[2].x0 == 4 && band[2].x1 == 6);
    /* A NaN point (a gap) counts for nothing. */
    b[0].y_min = b[0].y_max = b[0].y_last = NAN;
    assert_int_equal(groups_merge(pts, n, 2, 0, 10, 5, band, mean), 5);
    assert_true(mean[0].y_last == 0 && band[0].y_max == 1);
    assert_int_equal(groups_merge(pts, n, 2, 0, 0, 5, band, mean), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_values_and_keys),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_palette),
        cmocka_unit_test(test_diff_keys),
        cmocka_unit_test(test_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
