/*
 * test_dtoa.c — the shortest round-trip formatter (src/common/dtoa.c)
 * against the C library: every output reads back bit-exact through strtod;
 * no decimal with fewer digits reads back (both neighbours of v at each
 * shorter length are tried); of the decimals with as many digits, it is the
 * closest to v, as printf's correctly rounded %.*e says; and the text is
 * printf's %.*g at that many digits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dtoa.h"
#include "common/dtoa_log.h"
#include "testutil.h"

#define ROUND_TRIPS 10000000 /* random bit patterns that must read back */
#define SHORTEST 100000      /* random values checked for shortest and closest */

static int reads_back(const char *s, double v)
{
    char *end;
    double back = strtod(s, &end);
    return *end == '\0' && tu_bits(back) == tu_bits(v);
}

static int count_digits(uint64_t n)
{
    int len = 1;
    while (n >= 10) {
        n /= 10;
        len++;
    }
    return len;
}

/* The two decimals with `digits` significant digits around v > 0: the
 * nearest (printf rounds correctly) and the one on v's other side. */
static void neighbours(double v, int digits, char nearest[64], char other[64])
{
    char e_form[64];
    snprintf(e_form, sizeof e_form, "%.*e", digits - 1, v);
    uint64_t m = 0;
    for (const char *p = e_form; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            m = m * 10 + (uint64_t)(*p - '0');
    int exp10 = atoi(strchr(e_form, 'e') + 1) - (digits - 1);
    snprintf(nearest, 64, "%" PRIu64 "e%d", m, exp10);
    double back = strtod(nearest, NULL);
    snprintf(other, 64, "%" PRIu64 "e%d", back < v ? m + 1 : m - 1, exp10);
}

/* Everything test_dtoa promises about one finite v. */
static void check_value(double v)
{
    char out[DTOA_MAX];
    size_t len = dtoa_format(out, v, 0);
    assert_int_equal(len, strlen(out));
    if (!reads_back(out, v))
        fail_msg("%a printed as %s, which reads back as %a", v, out, strtod(out, NULL));
    double a = fabs(v);
    dtoa_decimal d = dtoa_shortest(v);
    if (a == 0) {
        assert_true(d.digits == 0 && d.exponent == 0);
        assert_string_equal(out, signbit(v) ? "-0" : "0");
        return;
    }
    assert_true(d.digits % 10 != 0);
    int n = count_digits(d.digits);
    char nearest[64], other[64];
    /* Shortest: at every shorter length both neighbours of v read back as
     * something else, so no decimal that short lies in v's interval. */
    for (int j = 1; j < n; j++) {
        neighbours(a, j, nearest, other);
        if (reads_back(nearest, a) || reads_back(other, a))
            fail_msg("%a printed as %s, but %s or %s is shorter and reads back", v, out, nearest,
                     other);
    }
    /* Closest: the nearest n-digit decimal when it reads back, else the other. */
    neighbours(a, n, nearest, other);
    const char *want = reads_back(nearest, a) ? nearest : other;
    char got[64];
    snprintf(got, sizeof got, "%" PRIu64 "e%d", d.digits, d.exponent);
    if (strtod(want, NULL) != a || strcmp(want, got) != 0) {
        /* The same decimal may be spelled with a trailing zero ("10e-1"). */
        uint64_t m = strtoull(want, NULL, 10);
        int e = atoi(strchr(want, 'e') + 1);
        while (m % 10 == 0) {
            m /= 10;
            e++;
        }
        if (m != d.digits || e != d.exponent)
            fail_msg("%a: %s has %d digits but the closest is %s", v, got, n, want);
    }
    /* The text is printf's %g at that precision (which prints the nearest
     * n-digit decimal, so only when that is the one chosen). */
    char g[64];
    snprintf(g, sizeof g, "%.*g", n, v);
    if (want == nearest && strcmp(out, g) != 0)
        fail_msg("%a printed as %s; %%.%dg prints %s", v, out, n, g);
}

/* The edge cases any formatter gets wrong first. */
static void test_edges(void **state)
{
    (void)state;
    const double edges[] = {
        0.0, -0.0, DBL_TRUE_MIN, -DBL_TRUE_MIN, DBL_MIN, -DBL_MIN, DBL_MAX, -DBL_MAX,
        2.2250738585072009e-308, /* largest subnormal */
        2 * DBL_TRUE_MIN, 3 * DBL_TRUE_MIN, 20 * DBL_TRUE_MIN, 1e-323, 0.1, 0.2, 0.3, 1.0 / 3,
        2.0 / 3, 0.1 + 0.2, 1e23, 8.41e21, 5e-324, 1.7976931348623157e308, 9007199254740993.0,
        9007199254740992.0 + 2, 4503599627370497.5, 123456789012345678.0, 1e21, 1e22,
        DBL_EPSILON, 1 + DBL_EPSILON, 1 - DBL_EPSILON / 2, 299792458.0, 6.02214076e23,
        1.602176634e-19, 2.718281828459045, 3.141592653589793, 1.5e-5, 123e-320};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        check_value(edges[i]);
    /* Powers of two, where the interval below is half as wide. */
    for (int e = -1074; e <= 1023; e++) {
        check_value(ldexp(1, e));
        check_value(nextafter(ldexp(1, e), 0));
        check_value(nextafter(ldexp(1, e), INFINITY));
    }
    /* Powers of ten and the doubles just around them. */
    for (int e = -323; e <= 308; e++) {
        char s[16];
        snprintf(s, sizeof s, "1e%d", e);
        double p = strtod(s, NULL);
        check_value(p);
        check_value(-p);
        check_value(nextafter(p, 0));
        check_value(nextafter(p, INFINITY));
        check_value(nextafter(nextafter(p, INFINITY), INFINITY));
    }
}

/* The text, pinned: these are what export, sync and --json print. */
static void test_text(void **state)
{
    (void)state;
    static const struct {
        double v;
        int whole;
        const char *text;
    } cases[] = {
        {0.0, 0, "0"},
        {-0.0, 0, "-0"},
        {-0.0, 1, "-0"},
        {1, 0, "1"},
        {100, 0, "1e+02"},
        {100, 1, "100"},
        {-12, 1, "-12"},
        {0.1, 0, "0.1"},
        {123.5, 0, "123.5"},
        {0.0001, 0, "0.0001"},
        {0.00001, 0, "1e-05"},
        {1e-7, 1, "1e-07"},
        {1e15, 1, "1000000000000000"},
        {1e15, 0, "1e+15"},
        {9007199254740992.0, 1, "9007199254740992"},
        {9007199254740994.0, 1, "9007199254740994"},
        {1e16, 1, "1e+16"},
        {18014398509481984.0, 1, "18014398509481984"},
        {1e23, 1, "1e+23"},
        {1e300, 1, "1e+300"},
        {5e-324, 1, "5e-324"},
        {DBL_MAX, 1, "1.7976931348623157e+308"},
        {DBL_MIN, 1, "2.2250738585072014e-308"},
        {-DBL_MIN, 1, "-2.2250738585072014e-308"},
        {0.1 + 0.2, 1, "0.30000000000000004"},
        {1.0 / 3, 1, "0.3333333333333333"},
        {1234567890123456.5, 1, "1234567890123456.5"},
        {NAN, 1, "nan"},
        {INFINITY, 1, "inf"},
        {-INFINITY, 1, "-inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[DTOA_MAX];
        dtoa_format(out, cases[i].v, cases[i].whole);
        if (strcmp(out, cases[i].text) != 0)
            fail_msg("%a (whole %d) printed as %s, not %s", cases[i].v, cases[i].whole, out,
                     cases[i].text);
    }
    dtoa_decimal d = dtoa_shortest(1.25e-10);
    assert_true(d.digits == 125 && d.exponent == -12);
    d = dtoa_shortest(-4e20);
    assert_true(d.digits == 4 && d.exponent == 20);
    d = dtoa_shortest(NAN);
    assert_true(d.digits == 0 && d.exponent == 0);
}

/* Whole numbers print in full up to 2^53, as %.0f does. */
static void test_whole(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 53);
    for (int i = 0; i < 100000; i++) {
        double v = floor(ldexp((double)tu_rng_below(&r, (UINT64_C(1) << 53) + 1), -(i % 8) * 7));
        if (i & 1)
            v = -v;
        char out[DTOA_MAX], want[64];
        dtoa_format(out, v, 1);
        snprintf(want, sizeof want, "%.0f", v);
        if (strcmp(out, want) != 0)
            fail_msg("%a printed as %s, not %s", v, out, want);
    }
}

/* 10^7 random bit patterns, all exponents alike: each reads back. */
static void test_round_trip(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 2026);
    char out[DTOA_MAX];
    long checked = 0;
    while (checked < ROUND_TRIPS) {
        double v = tu_from_bits(tu_rng_next(&r));
        if (!isfinite(v))
            continue;
        dtoa_format(out, v, checked & 1);
        if (!reads_back(out, v))
            fail_msg("%a printed as %s, which reads back as %a", v, out, strtod(out, NULL));
        checked++;
    }
}

/* 10^5 random values, shortest and closest, from every range a run logs. */
static void test_shortest(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 14);
    for (int i = 0; i < SHORTEST; i++) {
        double v;
        switch (i % 5) {
        case 0: v = tu_from_bits(tu_rng_next(&r)); break;                 /* any exponent */
        case 1: v = tu_rng_unit(&r); break;                               /* losses */
        case 2: v = (double)(int64_t)tu_rng_below(&r, 100000000) / 1e4; break; /* decimals */
        case 3: v = tu_from_bits(tu_rng_next(&r) & 0x800fffffffffffffu); break; /* subnormal */
        default: v = ldexp(tu_rng_unit(&r) + 1, (int)tu_rng_below(&r, 200) - 100); break;
        }
        if (isfinite(v))
            check_value(v);
    }
}

/* The fixed-point logarithms over the exponents dtoa uses, against long
 * double arithmetic (its error is far below the distance of q*log10(2) from
 * any integer in this range); dtoa_gen checks them exactly at build time. */
static void test_logs(void **state)
{
    (void)state;
    for (int q = -1100; q <= 1100; q++) {
        assert_int_equal(dtoa_floor_log10_pow2(q), (int)floorl(q * log10l(2.0L)));
        assert_int_equal(dtoa_floor_log10_three_quarters_pow2(q),
                         (int)floorl(q * log10l(2.0L) + log10l(0.75L)));
    }
    for (int e = -350; e <= 350; e++)
        assert_int_equal(dtoa_floor_log2_pow10(e), (int)floorl(e * log2l(10.0L)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logs),      cmocka_unit_test(test_edges),
        cmocka_unit_test(test_text),      cmocka_unit_test(test_whole),
        cmocka_unit_test(test_shortest),  cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
