/*
 * test_capture_pattern.c — user grammars (src/capture/pattern.c):
 * templates with {key} holes ({step}, {epoch}, any key), regular
 * expressions with named groups, what does not match, and the errors a
 * bad pattern gets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/parse.h"
#include "capture/pattern.h"

static double value_of(const parse_result *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].key, key) == 0)
            return r->v[i].value;
    fail_msg("no %s", key);
    return 0;
}

static int match(pattern_set *ps, const char *line, parse_result *r)
{
    parse_result_reset(r);
    return pattern_match(ps, line, strlen(line), r);
}

static void test_template(void **state)
{
    (void)state;
    pattern_set *ps;
    char err[200];
    assert_int_equal(pattern_set_new(&ps), 0);
    assert_int_equal(pattern_add_template(ps, "iter {step}: loss {train/loss}", err, sizeof err), 0);
    assert_int_equal(pattern_add_template(ps, "ep {epoch} acc={acc}% {{ok}}", err, sizeof err), 0);
    assert_int_equal(pattern_count(ps), 2);
    parse_result r = {0};

    assert_int_equal(match(ps, "[x] iter 120:   loss 2.5e-1, rest", &r), 1);
    assert_true(r.has_step);
    assert_int_equal(r.step, 120);
    assert_int_equal(r.n, 1);
    assert_true(value_of(&r, "train/loss") == 0.25);

    assert_int_equal(match(ps, "iter 7: loss nan", &r), 1);
    assert_true(isnan(value_of(&r, "train/loss")));

    assert_int_equal(match(ps, "ep 3 acc=91.5% {ok}", &r), 1);
    assert_true(r.has_epoch && r.epoch == 3 && r.has_epoch_index && r.epoch_index == 3);
    assert_true(value_of(&r, "acc") == 91.5);

    /* a hole is a number and nothing else; the literal text must be there */
    assert_int_equal(match(ps, "iter x: loss 2", &r), 0);
    assert_int_equal(match(ps, "iteration 1: loss 2", &r), 0);
    assert_int_equal(match(ps, "iter 1: loss", &r), 0);
    assert_int_equal(r.n, 0);
    /* a step must be a whole number: the metric still counts */
    assert_int_equal(match(ps, "iter 1.5: loss 3", &r), 1);
    assert_false(r.has_step);
    assert_int_equal(r.n, 1);
    parse_result_free(&r);
    pattern_set_free(ps);
}

static void test_regex(void **state)
{
    (void)state;
    pattern_set *ps;
    char err[200];
    assert_int_equal(pattern_set_new(&ps), 0);
    assert_int_equal(pattern_add_regex(ps, "^E(?<epoch>\\d+) B(?<step>\\d+) (?<loss>\\S+)$", err, sizeof err), 0);
    assert_int_equal(pattern_add_regex(ps, "ppl=(?<ppl>[0-9.]+)", err, sizeof err), 0);
    parse_result r = {0};
    assert_int_equal(match(ps, "E2 B40 0.125 ppl=9.5", &r), 1); /* the first is anchored */
    assert_int_equal(r.n, 1);
    assert_true(value_of(&r, "ppl") == 9.5);
    assert_int_equal(match(ps, "E2 B40 0.125", &r), 1);
    assert_true(r.has_step && r.step == 40 && r.has_epoch && r.epoch == 2);
    assert_true(value_of(&r, "loss") == 0.125);
    assert_int_equal(match(ps, "E2 B40 abc", &r), 1); /* matched, but no number: nothing */
    assert_int_equal(r.n, 0);
    assert_int_equal(match(ps, "E2 B40 0x10", &r), 1); /* hex is no decimal number */
    assert_int_equal(r.n, 0);
    assert_int_equal(match(ps, "E2 B40 -Infinity", &r), 1);
    assert_true(value_of(&r, "loss") == -INFINITY);
    assert_int_equal(match(ps, "nothing here", &r), 0);
    parse_result_free(&r);
    pattern_set_free(ps);
}

static void test_errors(void **state)
{
    (void)state;
    pattern_set *ps;
    char err[200];
    assert_int_equal(pattern_set_new(&ps), 0);
    assert_int_equal(pattern_add_template(ps, "loss {loss", err, sizeof err), TALLY_EINVAL);
    assert_non_null(strstr(err, "offset 5"));
    assert_int_equal(pattern_add_template(ps, "loss {}", err, sizeof err), TALLY_EINVAL);
    assert_int_equal(pattern_add_template(ps, "loss } {x}", err, sizeof err), TALLY_EINVAL);
    assert_int_equal(pattern_add_template(ps, "no holes", err, sizeof err), TALLY_EINVAL);
    assert_non_null(strstr(err, "{key}"));
    assert_int_equal(pattern_add_regex(ps, "(?<a>[0-9", err, sizeof err), TALLY_EINVAL);
    assert_non_null(strstr(err, "offset"));
    assert_int_equal(pattern_add_regex(ps, "loss ([0-9]+)", err, sizeof err), TALLY_EINVAL);
    assert_non_null(strstr(err, "named group"));
    assert_int_equal(pattern_count(ps), 0);
    /* regex metacharacters in a template are literal */
    assert_int_equal(pattern_add_template(ps, "a.b (x) [{v}]*", err, sizeof err), 0);
    parse_result r = {0};
    assert_int_equal(match(ps, "a.b (x) [4]*", &r), 1);
    assert_int_equal(match(ps, "aXb (x) [4]*", &r), 0);
    parse_result_free(&r);
    pattern_set_free(ps);
    pattern_set_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
