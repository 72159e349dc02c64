/*
 * test_capture_corpus.c — what `tally run` reads from real training
 * output.  tests/unit/data/capture_corpus.txt holds lines in the formats
 * of the tools people train with (each written from the tool's documented
 * output format), each followed by the exact (step, key, value) triples
 * parse.c and stepper.c must give for it; a line with none must give
 * nothing (timestamps, dates, versions, paths, addresses, bars at 100%).
 * Prints the capture rate; fails under 95 % or on any value not expected.
 *
 * Corpus format: "## name" starts a program (a fresh stepper); "> line"
 * is one line of output (C escapes \r \b \t \e \\ \xHH); "= STEP KEY
 * VALUE" lines after it are what it must give; '#' lines are comments.
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
#include "capture/stepper.h"

#include "testutil.h"

#define CORPUS_MIN_RATE 0.95

typedef struct want {
    long long step;
    char key[TALLY_KEY_MAX + 1];
    double value;
    int seen;
} want;

typedef struct tally_counts {
    size_t wanted, captured, extra, lines, negative_lines;
} tally_counts;

static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b))
        return a == b;
    return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b));
}

/* Checks one output line against its wanted triples.  r is the program's
 * (a table's header is read with the rows after it). */
static void check_line(const char *line, size_t len, parse_result *r, stepper *st, want *w,
                       size_t nw, tally_counts *c)
{
    int n = parse_line(line, len, PARSE_AUTO, r);
    assert_true(n >= 0);
    int64_t step = 0;
    n = stepper_place(st, 0, r, &step);
    assert_true(n >= 0);
    c->lines++;
    c->wanted += nw;
    if (nw == 0)
        c->negative_lines++;
    for (size_t i = 0; i < r->n; i++) {
        int ok = 0;
        for (size_t k = 0; k < nw && !ok; k++)
            if (!w[k].seen && strcmp(w[k].key, r->v[i].key) == 0 && w[k].step == step &&
                same(r->v[i].value, w[k].value))
                ok = w[k].seen = 1;
        if (ok) {
            c->captured++;
        } else {
            c->extra++;
            printf("  unexpected %lld %s %.17g from: %.*s\n", (long long)step, r->v[i].key,
                   r->v[i].value, (int)len, line);
        }
    }
    for (size_t k = 0; k < nw; k++)
        if (!w[k].seen)
            printf("  missed %lld %s %.17g from: %.*s\n", w[k].step, w[k].key, w[k].value,
                   (int)len, line);
}

static void test_corpus(void **state)
{
    (void)state;
    FILE *f = fopen(TEST_DATA "/capture_corpus.txt", "r");
    assert_non_null(f);
    char raw[8192], line[8192];
    size_t len = 0, nw = 0;
    int have_line = 0;
    want w[64];
    stepper st = {0};
    parse_result r = {0};
    tally_counts c = {0};
    size_t programs = 0;
    for (;;) {
        char *got = fgets(raw, sizeof raw, f);
        if (have_line && (!got || raw[0] == '>' || (raw[0] == '#' && raw[1] == '#'))) {
            check_line(line, len, &r, &st, w, nw, &c);
            have_line = 0;
            nw = 0;
        }
        if (!got)
            break;
        if (raw[0] == '#' && raw[1] == '#') {
            stepper_free(&st);
            parse_result_free(&r);
            programs++;
        } else if (raw[0] == '>') {
            len = tu_unescape(raw + 2, line);
            have_line = 1;
        } else if (raw[0] == '=') {
            assert_true(have_line);
            assert_true(nw < sizeof w / sizeof *w);
            char value[64];
            assert_int_equal(sscanf(raw + 1, "%lld %256s %63s", &w[nw].step, w[nw].key, value), 3);
            w[nw].value = strtod(value, NULL);
            w[nw].seen = 0;
            nw++;
        }
    }
    fclose(f);
    stepper_free(&st);
    parse_result_free(&r);
    double rate = c.wanted ? (double)c.captured / (double)c.wanted : 0;
    printf("capture corpus: %zu programs, %zu lines (%zu that must give nothing); "
           "%zu/%zu values captured with the right key, value and step (%.1f %%); "
           "%zu unexpected values\n",
           programs, c.lines, c.negative_lines, c.captured, c.wanted, 100 * rate, c.extra);
    assert_true(c.wanted >= 150);
    assert_true(rate >= CORPUS_MIN_RATE);
    assert_int_equal(c.extra, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
