/*
 * test_text.c — the text helpers of src/common: UTF-8 validation against a
 * reference of the Unicode well-formedness table, the terminal-safety gate
 * (text_sanitize), shortest round-trip number formatting (numfmt), the
 * relaxed JSON reader and exact writer (json.h), and the byte buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/numfmt.h"
#include "common/text.h"
#include "testutil.h"

/* ---- UTF-8 ---- */

/* Length of the well-formed sequence at s (Unicode table 3-7), 0 if none. */
static size_t ref_utf8_len(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char a = s[0];
    if (a < 0x80)
        return 1;
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;
    if (a >= 0xc2 && a <= 0xdf)
        len = 2;
    else if (a >= 0xe0 && a <= 0xef)
        len = 3;
    else if (a >= 0xf0 && a <= 0xf4)
        len = 4;
    else
        return 0;
    if (a == 0xe0)
        lo = 0xa0;
    else if (a == 0xed)
        hi = 0x9f;
    else if (a == 0xf0)
        lo = 0x90;
    else if (a == 0xf4)
        hi = 0x8f;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

static int ref_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t len = ref_utf8_len(s + i, n - i);
        if (len == 0)
            return 0;
        i += len;
    }
    return 1;
}

static size_t encode(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

static void test_utf8_cases(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int valid;
    } cases[] = {
        {"", 1},
        {"plain ascii", 1},
        {"\xc3\xa9", 1},             /* U+00E9 */
        {"\xe2\x82\xac", 1},         /* U+20AC */
        {"\xf0\x9d\x84\x9e", 1},     /* U+1D11E */
        {"\xf4\x8f\xbf\xbf", 1},     /* U+10FFFF, the last */
        {"\xed\x9f\xbf", 1},         /* U+D7FF, before the surrogates */
        {"\xee\x80\x80", 1},         /* U+E000, after them */
        {"\xef\xbf\xbf", 1},         /* U+FFFF */
        {"\xc2\x80", 1},             /* U+0080, the first two-byte */
        {"\xc0\x80", 0},             /* overlong NUL */
        {"\xc0\xaf", 0},             /* overlong '/' */
        {"\xc1\xbf", 0},             /* overlong U+007F */
        {"\xe0\x80\xaf", 0},         /* overlong, three bytes */
        {"\xe0\x9f\xbf", 0},         /* overlong U+07FF */
        {"\xf0\x80\x80\xaf", 0},     /* overlong, four bytes */
        {"\xf0\x8f\xbf\xbf", 0},     /* overlong U+FFFF */
        {"\xed\xa0\x80", 0},         /* U+D800 */
        {"\xed\xbf\xbf", 0},         /* U+DFFF */
        {"\xed\xa0\xbd\xed\xb8\x80", 0}, /* a CESU-8 surrogate pair */
        {"\xf4\x90\x80\x80", 0},     /* U+110000 */
        {"\xf5\x80\x80\x80", 0},
        {"\xf7\xbf\xbf\xbf", 0},
        {"\xf8\x88\x80\x80\x80", 0}, /* five-byte form */
        {"\xfc\x84\x80\x80\x80\x80", 0},
        {"\xfe", 0},
        {"\xff", 0},
        {"\x80", 0},                 /* lone continuation */
        {"a\xbf", 0},
        {"\xc3", 0},                 /* truncated */
        {"\xe2\x82", 0},
        {"\xf0\x9d\x84", 0},
        {"\xe2\x82x", 0},            /* continuation missing mid-string */
        {"\xc3\xa9\xc3", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = strlen(cases[i].s);
        if (utf8_valid(cases[i].s, n) != cases[i].valid)
            fail_msg("case %zu: utf8_valid says %d", i, !cases[i].valid);
        assert_int_equal(ref_utf8_valid((const unsigned char *)cases[i].s, n), cases[i].valid);
    }
    /* n is honoured: NUL is a character, and bytes past n are not read */
    assert_true(utf8_valid("a\0b", 3));
    assert_true(utf8_valid("\xc3\xa9", 0));
    assert_false(utf8_valid("\xc3\xa9", 1));
}

static void test_utf8_every_code_point(void **state)
{
    (void)state;
    unsigned char b[4];
    for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
        size_t n = encode(cp, b);
        uint32_t got = 0xffffffff;
        size_t len = utf8_decode((const char *)b, n, &got);
        int surrogate = cp >= 0xd800 && cp <= 0xdfff;
        if (surrogate) {
            if (len != 0 || utf8_valid((const char *)b, n))
                fail_msg("surrogate U+%04X accepted", cp);
            continue;
        }
        if (len != n || got != cp)
            fail_msg("U+%04X: length %zu, code point %X", cp, len, got);
        if (!utf8_valid((const char *)b, n))
            fail_msg("U+%04X refused", cp);
        /* every strict prefix is refused */
        for (size_t k = 1; k < n; k++)
            if (utf8_decode((const char *)b, k, &got) != 0)
                fail_msg("U+%04X: prefix of %zu bytes accepted", cp, k);
    }
}

static void check_same_as_ref(const unsigned char *s, size_t n)
{
    int want = ref_utf8_valid(s, n);
    if (utf8_valid((const char *)s, n) != want)
        fail_msg("%02x %02x %02x %02x (n %zu): want %d", s[0], n > 1 ? s[1] : 0,
                 n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n, want);
    uint32_t cp;
    size_t len = utf8_decode((const char *)s, n, &cp);
    assert_int_equal(len, ref_utf8_len(s, n));
}

static void test_utf8_byte_space(void **state)
{
    (void)state;
    unsigned char s[4];
    /* every one- and two-byte string */
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (unsigned char)a;
        check_same_as_ref(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            check_same_as_ref(s, 2);
        }
    }
    /* three and four bytes: every lead and second byte, edge values after */
    static const unsigned char edges[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
                                          0xa0, 0xbf, 0xc0, 0xc2, 0xf4, 0xff};
    for (unsigned a = 0xc0; a < 256; a++) {
        s[0] = (unsigned char)a;
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            for (size_t c = 0; c < sizeof edges; c++) {
                s[2] = edges[c];
                check_same_as_ref(s, 3);
                for (size_t d = 0; d < sizeof edges; d += 3) {
                    s[3] = edges[d];
                    check_same_as_ref(s, 4);
                }
            }
        }
    }
}

/* ---- text_sanitize ---- */

static char *sanitize(const char *s, size_t n, unsigned flags)
{
    buf b = BUF_INIT;
    text_sanitize(&b, s, n, flags);
    assert_false(b.oom);
    return buf_steal(&b);
}

static void expect_sanitized(const char *in, size_t n, unsigned flags, const char *want)
{
    char *got = sanitize(in, n, flags);
    if (strcmp(got, want) != 0)
        fail_msg("sanitize(\"%s\"): \"%s\", want \"%s\"", in, got, want);
    free(got);
}

#define S(lit) lit, sizeof lit - 1
#define FFFD "\xef\xbf\xbd"

static void test_sanitize_cases(void **state)
{
    (void)state;
    expect_sanitized(S("plain text 123 ~!"), 0, "plain text 123 ~!");
    expect_sanitized(S(""), 0, "");
    expect_sanitized(S("\x1b[31mred\x1b[0m"), 0, "?[31mred?[0m");
    expect_sanitized(S("\x1b]0;title\x07"), 0, "?]0;title?");
    expect_sanitized(S("a\nb\rc\0d\x01"), 0, "a?b?c?d?");
    expect_sanitized(S("tab\there"), 0, "tab here");
    expect_sanitized(S("tab\there"), TEXT_KEEP_TAB, "tab\there");
    expect_sanitized(S("a\nb\rc"), TEXT_KEEP_NL, "a\nb?c");
    expect_sanitized(S("del\x7f"), 0, "del?");
    expect_sanitized(S("\xc2\x9b" "31m"), 0, "?31m");       /* U+009B CSI */
    expect_sanitized(S("\xc2\x85\xc2\x80\xc2\x9f"), 0, "???"); /* C1 */
    expect_sanitized(S("\xc2\xa0"), 0, "\xc2\xa0");           /* U+00A0 is printable */
    expect_sanitized(S("\x9b" "31m"), 0, FFFD "31m");          /* raw 8-bit CSI */
    expect_sanitized(S("\x9b" "31m"), TEXT_ASCII, "?31m");
    expect_sanitized(S("\xe2\x80\xae" "evil"), 0, "?evil");   /* U+202E */
    expect_sanitized(S("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"), 0, "????");
    expect_sanitized(S("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"), 0, "????");
    expect_sanitized(S("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"), 0, "???"); /* LRM RLM ALM */
    expect_sanitized(S("h\xc3\xa9llo \xf0\x9f\x98\x80"), 0, "h\xc3\xa9llo \xf0\x9f\x98\x80");
    expect_sanitized(S("h\xc3\xa9llo \xf0\x9f\x98\x80"), TEXT_ASCII, "h?llo ?");
    expect_sanitized(S("\xe2\x82"), 0, FFFD FFFD);             /* truncated */
    expect_sanitized(S("\xc0\xaf"), 0, FFFD FFFD);             /* overlong */
    expect_sanitized(S("\xed\xa0\x80"), 0, FFFD FFFD FFFD);    /* surrogate */
    expect_sanitized(S("\xc0\xaf"), TEXT_ASCII, "??");
    /* n bounds the input: the rest is not read */
    expect_sanitized("abc\x1b", 3, 0, "abc");
    /* it appends */
    buf b = BUF_INIT;
    buf_puts(&b, "pre:");
    text_sanitize(&b, S("\x1bx"), 0);
    assert_string_equal(buf_cstr(&b), "pre:?x");
    buf_free(&b);
}

/* Checks what every sanitized string must be. */
static void check_safe(const char *out, unsigned flags)
{
    size_t n = strlen(out);
    assert_true(utf8_valid(out, n));
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(out + i, n - i, &cp);
        assert_true(len > 0);
        int tab_ok = cp == '\t' && (flags & TEXT_KEEP_TAB);
        if (flags & TEXT_ASCII)
            assert_true((cp >= 0x20 && cp < 0x7f) || tab_ok);
        if (!tab_ok && (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
                        (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
                        cp == 0x200e || cp == 0x200f || cp == 0x061c))
            fail_msg("U+%04X got through at byte %zu", cp, i);
        i += len;
    }
    assert_null(memchr(out, 0x1b, n));
}

static void test_sanitize_fuzz(void **state)
{
    (void)state;
    static const char *const pieces[] = {"\x1b", "[", "31m", "\x9b", "\xc2\x9b", "\xc2",
                                         "\xe2\x80\xae", "\xe2\x81", "\xf0\x9f\x98\x80", "\x7f",
                                         "\t", "\n", "a", "\xc3\xa9", "\xed\xa0\x80", "\xff"};
    tu_rng r;
    tu_rng_seed(&r, 31337);
    char in[256];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = 0, want = (size_t)tu_rng_below(&r, 200);
        while (n < want) {
            if (tu_rng_below(&r, 2)) {
                in[n++] = (char)tu_rng_next(&r);
            } else {
                const char *p = pieces[tu_rng_below(&r, sizeof pieces / sizeof *pieces)];
                size_t len = strlen(p);
                if (n + len > sizeof in)
                    break;
                memcpy(in + n, p, len);
                n += len;
            }
        }
        unsigned flags = (unsigned)tu_rng_below(&r, 4);
        char *out = sanitize(in, n, flags);
        check_safe(out, flags);
        free(out);
    }
}

static void test_utf8_copy(void **state)
{
    (void)state;
    char out[8];
    text_utf8_copy(out, sizeof out, "proj");
    assert_string_equal(out, "proj");
    text_utf8_copy(out, sizeof out, "a\xff" "b");
    assert_string_equal(out, "a" FFFD "b");
    text_utf8_copy(out, sizeof out, "\xed\xa0\x80"); /* 3 bytes, 9 once replaced: cut */
    assert_string_equal(out, FFFD FFFD);
    /* a cut falls between characters, never inside one */
    text_utf8_copy(out, sizeof out, "abcdef\xc3\xa9"); /* 8 bytes: the last char does not fit */
    assert_string_equal(out, "abcdef");
    text_utf8_copy(out, sizeof out, "abcd\xc3\xa9z"); /* 7 bytes: it all fits */
    assert_string_equal(out, "abcd\xc3\xa9z");
    /* the control characters are kept: it only repairs UTF-8 */
    text_utf8_copy(out, sizeof out, "\x1b[2J");
    assert_string_equal(out, "\x1b[2J");
    text_utf8_copy(out, 1, "abc");
    assert_string_equal(out, "");
}

static void test_text_width(void **state)
{
    (void)state;
    /* malformed bytes and unprintable code points count one column each */
    assert_int_equal(text_width(""), 0);
    assert_int_equal(text_width("abc"), 3);
    assert_int_equal(text_width("a\xff" "b"), 3);
    if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "en_US.UTF-8"))
        skip(); /* wcwidth needs a UTF-8 locale */
    assert_int_equal(text_width("h\xc3\xa9llo"), 5);
    assert_int_equal(text_width("\xe4\xb8\xad\xe6\x96\x87"), 4);  /* two wide CJK characters */
    assert_int_equal(text_width("\xf0\x9f\x98\x80"), 2);          /* an emoji */
    assert_int_equal(text_width("e\xcc\x81"), 1);                  /* e + combining acute */
    assert_int_equal(text_width("\xe2\x82"), 2);                   /* truncated: one per byte */
    setlocale(LC_CTYPE, "C");
}

/* ---- numfmt ---- */

static int reads_back(const char *s, double v)
{
    char *end;
    double back = strtod(s, &end);
    return *end == '\0' && tu_bits(back) == tu_bits(v);
}

/* The shortest %.*g that reads back: the yardstick for numfmt_double. */
static void shortest_g(double v, char out[NUMFMT_MAX])
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, NUMFMT_MAX, "%.*g", digits, v);
        if (reads_back(out, v))
            return;
    }
    fail_msg("%a: no %%g form reads back", v);
}

static void check_numfmt(double v)
{
    char out[NUMFMT_MAX], best[NUMFMT_MAX];
    const char *s = numfmt_double(out, v);
    assert_ptr_equal(s, out);
    if (isnan(v)) {
        assert_string_equal(s, "NaN");
        return;
    }
    if (!reads_back(s, v))
        fail_msg("%a printed as %s, which reads back differently", v, s);
    if (v == floor(v) && fabs(v) <= 9007199254740992.0 && !(v == 0 && signbit(v))) {
        snprintf(best, sizeof best, "%.0f", v); /* integers: no exponent, no point */
        assert_string_equal(s, best);
        return;
    }
    if (isinf(v))
        return;
    shortest_g(v, best);
    if (strlen(s) > strlen(best))
        fail_msg("%a printed as %s; %s is shorter and reads back", v, s, best);
}

static void test_numfmt_specials(void **state)
{
    (void)state;
    char out[NUMFMT_MAX];
    assert_string_equal(numfmt_double(out, NAN), "NaN");
    assert_string_equal(numfmt_double(out, -NAN), "NaN");
    assert_string_equal(numfmt_double(out, tu_from_bits(0x7ff0000000000001u)), "NaN");
    assert_string_equal(numfmt_double(out, INFINITY), "Infinity");
    assert_string_equal(numfmt_double(out, -INFINITY), "-Infinity");
    assert_string_equal(numfmt_double(out, 0.0), "0");
    assert_string_equal(numfmt_double(out, -0.0), "-0");
    assert_string_equal(numfmt_double(out, 1), "1");
    assert_string_equal(numfmt_double(out, -12), "-12");
    assert_string_equal(numfmt_double(out, 0.1), "0.1");
    assert_string_equal(numfmt_double(out, 0.5), "0.5");
    assert_string_equal(numfmt_double(out, 1.0 / 3), "0.3333333333333333");
    assert_string_equal(numfmt_double(out, 0.1 + 0.2), "0.30000000000000004");
    assert_string_equal(numfmt_double(out, 9007199254740992.0), "9007199254740992");
    assert_string_equal(numfmt_double(out, 1e300), "1e+300");
    assert_string_equal(numfmt_double(out, 1e-7), "1e-07");
    assert_string_equal(numfmt_double(out, DBL_TRUE_MIN), "5e-324"); /* subnormals too */
    const double specials[] = {0.0,          -0.0,         DBL_MIN,      -DBL_MIN,
                               DBL_MAX,      -DBL_MAX,     DBL_TRUE_MIN, -DBL_TRUE_MIN,
                               2.2250738585072009e-308, 1e-310, 123e-320, DBL_EPSILON,
                               1 + DBL_EPSILON, 9007199254740993.0, 9007199254740994.0,
                               18014398509481984.0, 1e16, 1e22, 1e23, 5e-324 * 3,
                               INFINITY,     -INFINITY,    NAN,          0.1,
                               100.5,        -2.5e-5,      6.02214076e23};
    for (size_t i = 0; i < sizeof specials / sizeof *specials; i++)
        check_numfmt(specials[i]);
}

static void test_numfmt_random(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 123);
    for (int i = 0; i < 30000; i++) {
        double v;
        switch (i % 4) {
        case 0: v = tu_from_bits(tu_rng_next(&r)); break;         /* any exponent */
        case 1: v = tu_rng_unit(&r) * 1000 - 500; break;          /* everyday values */
        case 2: v = (double)(int64_t)tu_rng_below(&r, 1000000) / 1000; break; /* decimals */
        default: v = tu_from_bits(tu_rng_next(&r) & 0x800fffffffffffffu); break; /* subnormal */
        }
        check_numfmt(v);
    }
    char out[NUMFMT_MAX];
    assert_string_equal(numfmt_int(out, 0), "0");
    assert_string_equal(numfmt_int(out, -42), "-42");
    assert_string_equal(numfmt_int(out, INT64_MAX), "9223372036854775807");
    assert_string_equal(numfmt_int(out, INT64_MIN), "-9223372036854775808");
    assert_int_equal(numfmt_double_len(out, -INFINITY), 9);
    assert_int_equal(numfmt_double_len(out, 0.1 + 0.2), strlen("0.30000000000000004"));
    assert_string_equal(numfmt_short(out, NAN, 4), "nan");
    assert_string_equal(numfmt_short(out, INFINITY, 4), "inf");
    assert_string_equal(numfmt_short(out, -INFINITY, 4), "-inf");
    assert_string_equal(numfmt_short(out, 0.123456, 4), "0.1235");
    assert_string_equal(numfmt_short(out, 1234567, 2), "1.2e+06");
    assert_string_equal(numfmt_short(out, 0.5, 0), "0.5");
    assert_string_equal(numfmt_short(out, DBL_MAX, 99), "1.7976931348623157e+308");
}

/* ---- JSON ---- */

/* The run-file dialect (bare non-finite tokens), as the store writes it. */
static char *write_json(const cJSON *v, int pretty)
{
    buf b = BUF_INIT;
    json_write(&b, v, (pretty ? JSON_PRETTY : 0) | JSON_BARE_NONFINITE);
    assert_false(b.oom);
    return buf_steal(&b);
}

static void test_json_parse_tokens(void **state)
{
    (void)state;
    cJSON *v = json_parse("NaN");
    assert_true(cJSON_IsNumber(v) && isnan(v->valuedouble));
    cJSON_Delete(v);
    v = json_parse(" Infinity ");
    assert_true(cJSON_IsNumber(v) && v->valuedouble == INFINITY);
    cJSON_Delete(v);
    v = json_parse("-Infinity");
    assert_true(cJSON_IsNumber(v) && v->valuedouble == -INFINITY);
    cJSON_Delete(v);

    v = json_parse("[NaN,Infinity,-Infinity,1,-0,[NaN]]");
    assert_true(cJSON_IsArray(v));
    assert_int_equal(cJSON_GetArraySize(v), 6);
    assert_true(isnan(cJSON_GetArrayItem(v, 0)->valuedouble));
    assert_true(cJSON_GetArrayItem(v, 1)->valuedouble == INFINITY);
    assert_true(cJSON_GetArrayItem(v, 2)->valuedouble == -INFINITY);
    assert_true(cJSON_GetArrayItem(v, 3)->valuedouble == 1);
    assert_true(signbit(cJSON_GetArrayItem(v, 4)->valuedouble));
    assert_true(isnan(cJSON_GetArrayItem(cJSON_GetArrayItem(v, 5), 0)->valuedouble));
    cJSON_Delete(v);

    /* tokens inside strings, and keys, are text */
    v = json_parse("{\"a\":NaN,\"b\":{\"c\":-Infinity},\"s\":\"NaN\",\"t\":\"x Infinity\","
                   "\"NaN\":1,\"q\":\"say \\\"NaN\\\"\",\"bs\":\"\\\\\",\"n\":NaN}");
    assert_non_null(v);
    assert_true(isnan(cJSON_GetObjectItemCaseSensitive(v, "a")->valuedouble));
    assert_true(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "b"), "c")
                    ->valuedouble == -INFINITY);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "s")->valuestring, "NaN");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "t")->valuestring, "x Infinity");
    assert_true(cJSON_GetObjectItemCaseSensitive(v, "NaN")->valuedouble == 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "q")->valuestring, "say \"NaN\"");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "bs")->valuestring, "\\");
    assert_true(isnan(cJSON_GetObjectItemCaseSensitive(v, "n")->valuedouble));
    cJSON_Delete(v);

    /* plain JSON is untouched */
    v = json_parse("{\"x\":[1,2.5,\"s\",true,null]}");
    assert_non_null(v);
    cJSON_Delete(v);

    /* lookalikes are errors, not numbers */
    static const char *const bad[] = {"NaNa", "Infinityx", "nan", "inf", "-NaN", "[NaN,]",
                                      "{\"a\":xNaN}", "[1,]", "", "{", "Infinit", "NaN NaN"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = json_parse(bad[i]);
        if (v)
            fail_msg("json_parse(\"%s\") accepted", bad[i]);
    }
    assert_null(json_parse(NULL));
}

static void test_json_write(void **state)
{
    (void)state;
    cJSON *v = json_parse("{\"a\":NaN,\"b\":[1,0.1,-Infinity,true,false,null,-0],"
                          "\"s\":\"q\\\"\\\\\\n\\u0001\\u007f\xc3\xa9\",\"e\":{},\"f\":[]}");
    assert_non_null(v);
    char *s = write_json(v, 0);
    assert_string_equal(s, "{\"a\":NaN,\"b\":[1,0.1,-Infinity,true,false,null,-0],"
                           "\"s\":\"q\\\"\\\\\\n\\u0001\\u007f\xc3\xa9\",\"e\":{},\"f\":[]}");
    /* what it writes it reads back the same */
    cJSON *again = json_parse(s);
    assert_non_null(again);
    char *s2 = write_json(again, 0);
    assert_string_equal(s, s2);
    free(s2);
    cJSON_Delete(again);
    free(s);
    cJSON_Delete(v);

    v = json_parse("{\"a\":1,\"b\":[2,3],\"e\":{}}");
    s = write_json(v, 1);
    assert_string_equal(s, "{\n  \"a\": 1,\n  \"b\": [\n    2,\n    3\n  ],\n  \"e\": {}\n}");
    free(s);
    cJSON_Delete(v);

    /* numbers: exact, shortest, bit-exact through write and parse */
    tu_rng r;
    tu_rng_seed(&r, 8);
    for (int i = 0; i < 5000; i++) {
        double d = tu_from_bits(tu_rng_next(&r));
        if (isnan(d))
            continue;
        cJSON *n = cJSON_CreateNumber(d);
        s = write_json(n, 0);
        cJSON *back = json_parse(s);
        assert_non_null(back);
        if (tu_bits(back->valuedouble) != tu_bits(d))
            fail_msg("%a written as %s", d, s);
        cJSON_Delete(back);
        cJSON_Delete(n);
        free(s);
    }
}

static void test_json_big_integers(void **state)
{
    (void)state;
    /* past 2^53 the digits are kept and written back exactly */
    static const char *const exact[] = {"9007199254740993", "-9007199254740993",
                                        "9223372036854775807", "-9223372036854775808",
                                        "123456789012345678901234567890"};
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++) {
        cJSON *v = json_parse(exact[i]);
        assert_true(cJSON_IsNumber(v));
        assert_non_null(v->valuestring);
        assert_string_equal(v->valuestring, exact[i]);
        assert_true(v->valuedouble == strtod(exact[i], NULL));
        char *s = json_print(v, JSON_BARE_NONFINITE);
        assert_string_equal(s, exact[i]);
        free(s);
        cJSON_Delete(v);
    }
    /* nested, beside NaN, and with 2^53 itself (exact as a double) */
    cJSON *v = json_parse("{\"a\": [1, 9007199254740993, NaN],\"b\":{\"c\":-18014398509481985},"
                          "\"d\":9007199254740992,\"e\":\"9007199254740993\","
                          "\"f\":90071992547409930.5,\"g\":90071992547409930e2}");
    assert_non_null(v);
    char *s = json_print(v, JSON_BARE_NONFINITE);
    assert_string_equal(s, "{\"a\":[1,9007199254740993,NaN],\"b\":{\"c\":-18014398509481985},"
                           "\"d\":9007199254740992,\"e\":\"9007199254740993\","
                           "\"f\":9.007199254740994e+16,\"g\":9.007199254740993e+18}");
    free(s);
    assert_null(cJSON_GetObjectItemCaseSensitive(v, "d")->valuestring);
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "e")));
    cJSON_Delete(v);
    /* long digit runs inside strings and keys stay text */
    v = json_parse("{\"12345678901234567890\":\"12345678901234567890\"}");
    assert_non_null(v);
    assert_string_equal(v->child->string, "12345678901234567890");
    assert_string_equal(v->child->valuestring, "12345678901234567890");
    cJSON_Delete(v);
    assert_null(json_parse("[12345678901234567890 x]"));
}

/* ---- buf ---- */

static void test_buf(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    assert_string_equal(buf_cstr(&b), "");
    char *empty = buf_steal(&b);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    free(empty);

    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i);
    assert_false(b.oom);
    assert_int_equal(b.len, strlen(buf_cstr(&b)));
    assert_memory_equal(buf_cstr(&b), "0,1,2,", 6);
    assert_string_equal(buf_cstr(&b) + b.len - 4, "999,");
    size_t cap = b.cap;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(b.cap, cap);
    buf_append(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);
    buf_free(&b);

    buf_puts(&b, "NaN -Infinity 0.25");
    char *s = buf_steal(&b);
    assert_string_equal(s, "NaN -Infinity 0.25");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_cases),
        cmocka_unit_test(test_utf8_every_code_point),
        cmocka_unit_test(test_utf8_byte_space),
        cmocka_unit_test(test_sanitize_cases),
        cmocka_unit_test(test_sanitize_fuzz),
        cmocka_unit_test(test_utf8_copy),
        cmocka_unit_test(test_text_width),
        cmocka_unit_test(test_numfmt_specials),
        cmocka_unit_test(test_numfmt_random),
        cmocka_unit_test(test_json_parse_tokens),
        cmocka_unit_test(test_json_write),
        cmocka_unit_test(test_json_big_integers),
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
