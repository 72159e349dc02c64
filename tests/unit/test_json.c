/*
 * test_json.c — the JSON writer (common/json.h): strings always valid
 * UTF-8 with every control, C1, bidi control and line separator escaped;
 * malformed UTF-8 (overlongs, surrogates, truncated sequences, stray
 * continuation bytes, past U+10FFFF) replaced by U+FFFD; non-finite numbers
 * as strings (strict) or bare tokens (JSON_BARE_NONFINITE); stored JSON
 * re-written through the same writer.  A seeded fuzz loop checks that
 * whatever bytes go in, strict JSON comes out and reads back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/text.h"
#include "testutil.h"

#define FFFD "\xef\xbf\xbd"

static char *string_n(const char *s, size_t n)
{
    buf b = BUF_INIT;
    json_string_n(&b, s, n);
    assert_false(b.oom);
    return buf_steal(&b);
}

static void expect_json_string(const char *in, const char *want)
{
    char *got = string_n(in, strlen(in));
    if (strcmp(got, want) != 0)
        fail_msg("json_string(\"%s\"): got %s, want %s", in, got, want);
    free(got);
}

static void test_escapes(void **state)
{
    (void)state;
    expect_json_string("", "\"\"");
    expect_json_string("plain / text", "\"plain / text\"");
    expect_json_string("q\"b\\n\nr\rt\t", "\"q\\\"b\\\\n\\nr\\rt\\t\"");
    /* every other C0 control, and DEL, as \u00XX */
    for (unsigned c = 1; c < 0x20; c++) {
        if (c == '\n' || c == '\r' || c == '\t')
            continue;
        char in[2] = {(char)c, 0}, want[16];
        snprintf(want, sizeof want, "\"\\u%04x\"", c);
        expect_json_string(in, want);
    }
    expect_json_string("\x7f", "\"\\u007f\"");
    expect_json_string("\033]0;title\007", "\"\\u001b]0;title\\u0007\"");
    /* C1 controls (U+0080..U+009F, two bytes each in UTF-8) */
    for (unsigned cp = 0x80; cp <= 0x9f; cp++) {
        char in[3] = {(char)(0xc0 | cp >> 6), (char)(0x80 | (cp & 0x3f)), 0}, want[16];
        snprintf(want, sizeof want, "\"\\u%04x\"", cp);
        expect_json_string(in, want);
    }
    /* bidi controls, and the line and paragraph separators */
    static const struct {
        const char *in, *want;
    } marks[] = {{"\xd8\x9c", "\"\\u061c\""},     {"\xe2\x80\x8e", "\"\\u200e\""},
                 {"\xe2\x80\x8f", "\"\\u200f\""}, {"\xe2\x80\xaa", "\"\\u202a\""},
                 {"\xe2\x80\xae", "\"\\u202e\""}, {"\xe2\x81\xa6", "\"\\u2066\""},
                 {"\xe2\x81\xa9", "\"\\u2069\""}, {"\xe2\x80\xa8", "\"\\u2028\""},
                 {"\xe2\x80\xa9", "\"\\u2029\""}};
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
        expect_json_string(marks[i].in, marks[i].want);
    /* what is not a control stays as it is: accents, CJK, emoji, U+00A0,
     * and the neighbours of the bidi ranges */
    expect_json_string("h\xc3\xa9llo \xe4\xb8\xad \xf0\x9f\x8e\x89 \xc2\xa0",
                  "\"h\xc3\xa9llo \xe4\xb8\xad \xf0\x9f\x8e\x89 \xc2\xa0\"");
    expect_json_string("\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa",
                  "\"\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\"");
    /* an embedded NUL, given a length */
    char *s = string_n("a\0b", 3);
    assert_string_equal(s, "\"a\\u0000b\"");
    free(s);
    /* NULL is the empty string */
    buf b = BUF_INIT;
    json_string(&b, NULL);
    assert_string_equal(buf_cstr(&b), "\"\"");
    buf_free(&b);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"\x80", "\"" FFFD "\""},                            /* stray continuation */
        {"a\xbf" "b", "\"a" FFFD "b\""},
        {"\xc0\xaf", "\"" FFFD FFFD "\""},                   /* overlong '/' */
        {"\xc1\xbf", "\"" FFFD FFFD "\""},                   /* overlong U+007F */
        {"\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\""},          /* overlong, 3 bytes */
        {"\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\""}, /* overlong, 4 bytes */
        {"\xed\xa0\x80", "\"" FFFD FFFD FFFD "\""},          /* U+D800, a surrogate */
        {"\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\""},          /* U+DFFF */
        {"\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""}, /* past U+10FFFF */
        {"\xf5\x80", "\"" FFFD FFFD "\""},
        {"\xff\xfe", "\"" FFFD FFFD "\""},
        {"x\xe2\x82", "\"x" FFFD FFFD "\""},                 /* truncated at the end */
        {"\xe2\x82x", "\"" FFFD FFFD "x\""},                 /* truncated in the middle */
        {"\xf0\x9f\x8e", "\"" FFFD FFFD FFFD "\""},
        {"\xc2", "\"" FFFD "\""},
        /* a control after a malformed byte is still escaped */
        {"\xc2\x1b[2J", "\"" FFFD "\\u001b[2J\""},
        /* valid edges stay */
        {"\xed\x9f\xbf", "\"\xed\x9f\xbf\""},                /* U+D7FF */
        {"\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""},        /* U+10FFFF */
        {"\xc2\xa0", "\"\xc2\xa0\""},                        /* U+00A0, past C1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_json_string(cases[i].in, cases[i].want);
}

static void test_numbers(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    double v[] = {NAN, INFINITY, -INFINITY, 0.25, -0.0, 3, 1e300};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        buf_putc(&b, ' ');
        json_number(&b, v[i], 0);
    }
    assert_string_equal(buf_cstr(&b), " \"NaN\" \"Infinity\" \"-Infinity\" 0.25 -0 3 1e+300");
    buf_reset(&b);
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        buf_putc(&b, ' ');
        json_number(&b, v[i], JSON_BARE_NONFINITE);
    }
    assert_string_equal(buf_cstr(&b), " NaN Infinity -Infinity 0.25 -0 3 1e+300");
    buf_reset(&b);
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        buf_putc(&b, ' ');
        json_float(&b, v[i], 0);
    }
    assert_string_equal(buf_cstr(&b), " \"NaN\" \"Infinity\" \"-Infinity\" 0.25 -0.0 3.0 1e+300");
    buf_reset(&b);
    json_float(&b, NAN, JSON_BARE_NONFINITE);
    assert_string_equal(buf_cstr(&b), "NaN");
    buf_free(&b);
}

static char *write_json(const cJSON *v, unsigned flags)
{
    buf b = BUF_INIT;
    json_write(&b, v, flags);
    assert_false(b.oom);
    return buf_steal(&b);
}

static void test_write_strict(void **state)
{
    (void)state;
    cJSON *v = json_parse("{\"a\":NaN,\"b\":[Infinity,-Infinity,1.5],\"s\":\"\\u009b\\u202e\","
                          "\"\\u001b]0;k\\u0007\":{\"n\":NaN}}");
    assert_non_null(v);
    char *s = write_json(v, 0);
    assert_string_equal(s, "{\"a\":\"NaN\",\"b\":[\"Infinity\",\"-Infinity\",1.5],"
                           "\"s\":\"\\u009b\\u202e\",\"\\u001b]0;k\\u0007\":{\"n\":\"NaN\"}}");
    /* a strict parser (cJSON takes no NaN token) reads it */
    cJSON *strict = cJSON_Parse(s);
    assert_non_null(strict);
    cJSON_Delete(strict);
    free(s);
    s = write_json(v, JSON_BARE_NONFINITE);
    assert_string_equal(s, "{\"a\":NaN,\"b\":[Infinity,-Infinity,1.5],"
                           "\"s\":\"\\u009b\\u202e\",\"\\u001b]0;k\\u0007\":{\"n\":NaN}}");
    free(s);
    s = write_json(v, JSON_PRETTY);
    assert_non_null(strstr(s, "\n  \"a\": \"NaN\",\n  \"b\": [\n    \"Infinity\","));
    free(s);
    s = json_print(v, 0);
    assert_non_null(s);
    assert_null(strstr(s, "\n"));
    free(s);
    cJSON_Delete(v);

    /* cJSON trees built in memory may hold malformed strings and keys */
    v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "k\xff", "v\xc0\xaf\xc2\x9b");
    s = write_json(v, 0);
    assert_string_equal(s, "{\"k" FFFD "\":\"v" FFFD FFFD "\\u009b\"}");
    free(s);
    cJSON_Delete(v);
}

static void test_text_rewrite(void **state)
{
    (void)state;
    static const struct {
        const char *in, *strict, *bare;
    } cases[] = {
        {"NaN", "\"NaN\"", "NaN"},
        {"[1,-Infinity]", "[1,\"-Infinity\"]", "[1,-Infinity]"},
        {"{\"h\": [0.5, NaN]}", "{\"h\":[0.5,\"NaN\"]}", "{\"h\":[0.5,NaN]}"},
        {"\"raw\x1b[31m\xc2\x9b\"", "\"raw\\u001b[31m\\u009b\"", "\"raw\\u001b[31m\\u009b\""},
        {"\"bad \xed\xa0\x80\"", "\"bad " FFFD FFFD FFFD "\"", "\"bad " FFFD FFFD FFFD "\""},
        {"9007199254740993", "9007199254740993", "9007199254740993"},
        /* already canonical strings are copied as they are */
        {"\"plain \\u001b \\\" \xc3\xa9\"", "\"plain \\u001b \\\" \xc3\xa9\"",
         "\"plain \\u001b \\\" \xc3\xa9\""},
        /* a surrogate pair is decoded; a lone surrogate does not parse */
        {"\"\\ud83c\\udf89\"", "\"\xf0\x9f\x8e\x89\"", "\"\xf0\x9f\x8e\x89\""},
        {"\"\\ud800\"", "\"\\\"\\\\ud800\\\"\"", "\"\\\"\\\\ud800\\\"\""},
        /* text after the closing quote is not a string */
        {"\"a\" x", "\"\\\"a\\\" x\"", "\"\\\"a\\\" x\""},
        /* what does not parse is kept, as a string of its text */
        {"{\"a\":", "\"{\\\"a\\\":\"", "\"{\\\"a\\\":\""},
        {"\x1b]52;c;aGk=\x07", "\"\\u001b]52;c;aGk=\\u0007\"", "\"\\u001b]52;c;aGk=\\u0007\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        buf b = BUF_INIT;
        json_text(&b, cases[i].in, 0);
        if (strcmp(buf_cstr(&b), cases[i].strict) != 0)
            fail_msg("json_text(%s): got %s, want %s", cases[i].in, buf_cstr(&b), cases[i].strict);
        buf_reset(&b);
        json_text(&b, cases[i].in, JSON_BARE_NONFINITE | JSON_PRETTY); /* never pretty */
        if (strcmp(buf_cstr(&b), cases[i].bare) != 0)
            fail_msg("json_text(%s, bare): got %s, want %s", cases[i].in, buf_cstr(&b),
                     cases[i].bare);
        buf_free(&b);
    }
}

/* No raw byte a terminal could act on: C0 but none, DEL, and (decoded) no
 * C1 or bidi control. */
static void assert_inert(const char *s)
{
    size_t n = strlen(s), i = 0;
    assert_true(utf8_valid(s, n));
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        assert_true(len > 0);
        if (text_unsafe(cp) || cp == 0x2028 || cp == 0x2029)
            fail_msg("raw U+%04X at byte %zu of %s", (unsigned)cp, i, s);
        i += len;
    }
}

/* Seeded fuzz: random bytes (biased towards the interesting ones) in
 * strings and keys always give strict JSON, inert on a terminal; when the
 * input was valid UTF-8 it reads back to exactly the input. */
static void test_fuzz(void **state)
{
    (void)state;
    static const unsigned char pool[] = {0x00, 0x1b, 0x07, 0x7f, 0x80, 0x9b, 0xbf, 0xc0, 0xc2,
                                         0xe0, 0xe2, 0x80, 0xae, 0xed, 0xa0, 0xf0, 0xf4, 0x90,
                                         0xff, '"', '\\', 'a', '\n', 0xd8, 0x9c, 0xa8};
    tu_rng r;
    tu_rng_seed(&r, 14);
    char in[40];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = tu_rng_below(&r, sizeof in);
        for (size_t i = 0; i < n; i++)
            in[i] = tu_rng_below(&r, 2) ? (char)pool[tu_rng_below(&r, sizeof pool)]
                                        : (char)tu_rng_below(&r, 256);
        char *s = string_n(in, n);
        assert_inert(s);
        cJSON *back = cJSON_Parse(s);
        if (!cJSON_IsString(back))
            fail_msg("not strict JSON: %s", s);
        if (utf8_valid(in, n) && !memchr(in, 0, n) &&
            (strlen(back->valuestring) != n || memcmp(back->valuestring, in, n) != 0))
            fail_msg("valid UTF-8 did not read back: %s", s);
        cJSON_Delete(back);
        free(s);

        /* the same bytes as a key and a value of a stored document */
        in[n] = 0;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, in, in);
        cJSON_AddNumberToObject(o, "n", tu_rng_below(&r, 2) ? NAN : -INFINITY);
        char *w = json_print(o, 0);
        assert_non_null(w);
        assert_inert(w);
        back = cJSON_Parse(w);
        if (!cJSON_IsObject(back))
            fail_msg("not strict JSON: %s", w);
        cJSON_Delete(back);
        buf t = BUF_INIT;
        json_text(&t, in, 0); /* mostly not JSON at all: kept as a string */
        assert_inert(buf_cstr(&t));
        back = cJSON_Parse(buf_cstr(&t));
        assert_non_null(back);
        cJSON_Delete(back);
        /* the same bytes between quotes: a stored string cell, which may
         * take the copy path; what comes out reads as what went in did */
        buf q = BUF_INIT;
        buf_putc(&q, '"');
        buf_puts(&q, in);
        buf_putc(&q, '"');
        buf_reset(&t);
        json_text(&t, buf_cstr(&q), 0);
        assert_inert(buf_cstr(&t));
        back = cJSON_Parse(buf_cstr(&t));
        if (!back)
            fail_msg("json_text(%s) is not strict JSON: %s", buf_cstr(&q), buf_cstr(&t));
        cJSON *orig = json_parse(buf_cstr(&q));
        if (cJSON_IsString(orig) && utf8_valid(orig->valuestring, strlen(orig->valuestring)) &&
            (!cJSON_IsString(back) || strcmp(orig->valuestring, back->valuestring) != 0))
            fail_msg("json_text(%s) changed the string: %s", buf_cstr(&q), buf_cstr(&t));
        cJSON_Delete(orig);
        cJSON_Delete(back);
        buf_free(&q);
        buf_free(&t);
        free(w);
        cJSON_Delete(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),      cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_numbers),      cmocka_unit_test(test_write_strict),
        cmocka_unit_test(test_text_rewrite), cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
