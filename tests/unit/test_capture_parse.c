/*
 * test_capture_parse.c — metrics from output lines (src/capture/parse.c):
 * JSON object lines (step fields, nesting, non-numbers skipped), key=value
 * tokens, lines that only look like either, escape sequences, junk.
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
#include "common/buf.h"

/* "step:S k=v k=v" (or "nostep k=v") for comparison. */
static char *describe(const char *line, parse_mode mode)
{
    parse_result r = {0};
    int n = parse_line(line, strlen(line), mode, &r);
    assert_true(n >= 0);
    assert_int_equal((size_t)n, r.n);
    buf b = BUF_INIT;
    if (r.has_step)
        buf_printf(&b, "step:%lld", (long long)r.step);
    else
        buf_puts(&b, "nostep");
    for (size_t i = 0; i < r.n; i++)
        buf_printf(&b, " %s=%.17g", r.v[i].key, r.v[i].value);
    parse_result_free(&r);
    buf_cstr(&b);
    return buf_steal(&b);
}

static void expect(const char *line, parse_mode mode, const char *want)
{
    char *got = describe(line, mode);
    if (strcmp(got, want) != 0)
        fail_msg("'%s': got '%s', want '%s'", line, got, want);
    free(got);
}

static void test_json(void **state)
{
    (void)state;
    expect("{\"step\": 3, \"loss\": 0.25}", PARSE_AUTO, "step:3 loss=0.25");
    expect("  {\"_step\": 7, \"acc\": 1}  ", PARSE_AUTO, "step:7 acc=1");
    expect("{\"global_step\": 10, \"lr\": 3e-4}", PARSE_JSON, "step:10 lr=0.00029999999999999997");
    expect("{\"loss\": 1.5, \"name\": \"x\", \"ok\": true, \"l\": [1], \"n\": null}", PARSE_AUTO,
           "nostep loss=1.5");
    expect("{\"val\": {\"loss\": 2, \"deep\": {\"a\": 1}}}", PARSE_AUTO,
           "nostep val/loss=2 val/deep/a=1");
    expect("{\"step\": 1.5, \"x\": 1}", PARSE_AUTO, "nostep x=1"); /* not a whole step */
    expect("{\"step\": -1, \"x\": 1}", PARSE_AUTO, "nostep x=1");
    expect("{\"step\": 4}", PARSE_AUTO, "nostep"); /* a step alone logs nothing */
    expect("{\"_runtime\": 4, \"x\": 2}", PARSE_AUTO, "nostep x=2");
    expect("{\"loss\": 0.5,}", PARSE_AUTO, "nostep");       /* not JSON: nothing */
    expect("{\"a=1\": \"b=2\"}", PARSE_AUTO, "nostep");       /* JSON lines are never kv */
    expect("{\"step\": 3, \"loss\": 0.25}", PARSE_KV, "nostep");
    expect("\x1b[1m{\"x\": 1}\x1b[0m", PARSE_AUTO, "nostep x=1");
    expect("[1, 2]", PARSE_AUTO, "nostep");
}

static void test_kv(void **state)
{
    (void)state;
    expect("step=3 loss=0.2 lr=3e-4", PARSE_AUTO,
           "step:3 loss=0.20000000000000001 lr=0.00029999999999999997");
    expect("epoch 2: train/loss=1.25, acc=0.5; done", PARSE_AUTO,
           "nostep train/loss=1.25 acc=0.5");
    expect("global_step=100 x=-2.5E+3", PARSE_KV, "step:100 x=-2500");
    expect("loss=0.2 loss=0.1", PARSE_AUTO, "nostep loss=0.10000000000000001");
    expect("path=/tmp/x name=abc n=12abc v=.5 w=5. z=1e", PARSE_AUTO, "nostep v=0.5 w=5");
    expect("x=nan y=inf z=0x10 =3 9a=1 a b=", PARSE_AUTO, "nostep");
    expect("\x1b[32mloss=\x1b[0m0.5", PARSE_AUTO, "nostep loss=0.5");
    expect("a==1 b=1=2", PARSE_AUTO, "nostep");
    expect("loss=0.5", PARSE_JSON, "nostep");
    expect("loss=0.5", PARSE_NONE, "nostep");
    expect("", PARSE_AUTO, "nostep");
    expect("just a log line", PARSE_AUTO, "nostep");
}

static void test_junk(void **state)
{
    (void)state;
    /* random bytes never crash and never give a key that is not text */
    unsigned seed = 12345;
    char line[200];
    for (int i = 0; i < 20000; i++) {
        size_t n = 1 + (seed % 199);
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            static const char alphabet[] = "{}\":=,. a1e-+_\x1b[\r\t\xff";
            line[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        parse_result r = {0};
        assert_true(parse_line(line, n, PARSE_AUTO, &r) >= 0);
        for (size_t k = 0; k < r.n; k++)
            assert_true(strlen(r.v[k].key) > 0);
        parse_result_free(&r);
    }
    parse_mode m;
    assert_int_equal(parse_mode_of("kv", &m), 0);
    assert_int_equal(m, PARSE_KV);
    assert_int_equal(parse_mode_of("yaml", &m), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_kv),
        cmocka_unit_test(test_junk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
