/*
 * test_jscan.c — tally_log_json's fast scanner (src/core/jscan.c) against
 * the general parser (json_parse, cJSON): on generated and mutated
 * objects, whatever the scanner accepts must flatten to exactly what the
 * general path reads, and nothing it is fed may crash it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "core/jscan.h"
#include "testutil.h"

/* The general path's reading, flattened as log.c does; 0 when it holds
 * something the scanner must have declined. */
static int reference(const cJSON *obj, buf *path, const jscan *sc, size_t *i)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        size_t mark = path->len;
        if (mark)
            buf_putc(path, '/');
        buf_puts(path, it->string);
        if (cJSON_IsObject(it)) {
            if (cJSON_GetObjectItemCaseSensitive(it, "_type") || !reference(it, path, sc, i))
                return 0;
        } else {
            if (*i >= sc->n)
                return 0;
            const jscan_item *got = &sc->items[(*i)++];
            if (strcmp(sc->text.data + got->key, buf_cstr(path)) != 0)
                return 0;
            if (cJSON_IsString(it)) {
                if (!got->is_str || strcmp(sc->text.data + got->str, it->valuestring) != 0)
                    return 0;
            } else if (cJSON_IsNumber(it) && !it->valuestring) {
                if (got->is_str || tu_bits(got->number) != tu_bits(it->valuedouble))
                    return 0;
            } else {
                return 0;
            }
        }
        path->len = mark;
        path->data[mark] = '\0';
    }
    return 1;
}

static int accepted; /* how many documents the scanner took */

static void check_doc(const char *doc)
{
    jscan sc;
    int rc = jscan_object(doc, &sc);
    accepted += rc == 1;
    assert_true(rc == 0 || rc == 1);
    if (rc == 1) {
        cJSON *root = json_parse(doc);
        if (!cJSON_IsObject(root))
            fail_msg("scanner accepted what the parser refuses: %s", doc);
        buf path = BUF_INIT;
        size_t i = 0;
        if (!reference(root, &path, &sc, &i) || i != sc.n)
            fail_msg("scanner and parser disagree on: %s", doc);
        buf_free(&path);
        cJSON_Delete(root);
    }
    jscan_free(&sc);
}

static void gen_number(buf *b, tu_rng *r)
{
    static const char *const odd[] = {"0", "-0", "1e308", "1e309", "-1e-320", "4.9e-324",
                                      "123456789012345", "1234567890123456", "9007199254740993",
                                      "0.1", "1E+2", "2.5e-3", "NaN", "Infinity", "-Infinity",
                                      "01", "1.", ".5", "+1", "0x10", "1e", "--1"};
    if (tu_rng_below(r, 3) == 0) {
        buf_puts(b, odd[tu_rng_below(r, sizeof odd / sizeof *odd)]);
        return;
    }
    if (tu_rng_below(r, 2) == 0) {
        /* digits around the scanner's exact limits: 15 figures, 10^+-22 */
        int n = 1 + (int)tu_rng_below(r, 18), point = (int)tu_rng_below(r, (uint64_t)n + 1);
        if (tu_rng_below(r, 2))
            buf_putc(b, '-');
        for (int i = 0; i < n; i++) {
            if (i == point && i > 0)
                buf_putc(b, '.');
            buf_putc(b, (char)('0' + (i == 0 ? 1 + tu_rng_below(r, 9) : tu_rng_below(r, 10))));
        }
        if (tu_rng_below(r, 2))
            buf_printf(b, "e%d", (int)tu_rng_below(r, 60) - 30);
        return;
    }
    double v = (tu_rng_unit(r) - 0.5) * pow(10, (double)tu_rng_below(r, 40) - 20);
    buf_printf(b, tu_rng_below(r, 2) ? "%.17g" : "%g", v);
}

static void gen_string(buf *b, tu_rng *r)
{
    static const char *const parts[] = {"loss", "a", "", "/", "_type", "h\xc3\xa9", "\\n",
                                        "\\\"", "\\u00e9", " ", "\xff", "\t", "x/y"};
    buf_putc(b, '"');
    for (int k = (int)tu_rng_below(r, 3); k >= 0; k--)
        buf_puts(b, parts[tu_rng_below(r, sizeof parts / sizeof *parts)]);
    buf_putc(b, '"');
}

static void gen_object(buf *b, tu_rng *r, int depth)
{
    static const char *const ws[] = {"", " ", "\n", "\t", "  "};
    buf_putc(b, '{');
    int n = (int)tu_rng_below(r, 5);
    for (int i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ',');
        buf_puts(b, ws[tu_rng_below(r, 5)]);
        gen_string(b, r);
        buf_puts(b, ws[tu_rng_below(r, 5)]);
        buf_putc(b, ':');
        buf_puts(b, ws[tu_rng_below(r, 5)]);
        switch (tu_rng_below(r, 8)) {
        case 0: buf_puts(b, "[1,2]"); break;
        case 1: buf_puts(b, tu_rng_below(r, 2) ? "true" : "null"); break;
        case 2:
        case 3: gen_string(b, r); break;
        case 4:
            if (depth < 4) {
                gen_object(b, r, depth + 1);
                break;
            }
            /* fall through */
        default: gen_number(b, r); break;
        }
    }
    buf_puts(b, ws[tu_rng_below(r, 5)]);
    buf_putc(b, '}');
}

static void test_against_parser(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 8);
    for (int t = 0; t < 20000; t++) {
        buf b = BUF_INIT;
        gen_object(&b, &r, 0);
        check_doc(buf_cstr(&b));
        /* and mutated: a byte changed, dropped or cut short */
        char *doc = strdup(buf_cstr(&b));
        size_t len = strlen(doc);
        if (len > 1) {
            size_t at = tu_rng_below(&r, len);
            switch (tu_rng_below(&r, 3)) {
            case 0: doc[at] = (char)(tu_rng_below(&r, 255) + 1); break;
            case 1: memmove(doc + at, doc + at + 1, len - at); break;
            default: doc[at] = '\0'; break;
            }
            check_doc(doc);
        }
        free(doc);
        buf_free(&b);
    }
    /* the comparison means something only if both kinds were seen */
    assert_true(accepted > 4000 && accepted < 36000);
}

static void test_shapes(void **state)
{
    (void)state;
    jscan sc;
    assert_int_equal(jscan_object("{\"a\":1,\"b\":{\"c\":\"x\",\"d\":{}}}", &sc), 1);
    assert_int_equal(sc.n, 2);
    assert_string_equal(sc.text.data + sc.items[0].key, "a");
    assert_true(sc.items[0].number == 1 && !sc.items[0].is_str);
    assert_string_equal(sc.text.data + sc.items[1].key, "b/c");
    assert_true(sc.items[1].is_str);
    assert_string_equal(sc.text.data + sc.items[1].str, "x");
    jscan_free(&sc);
    /* declined: each needs the general path */
    static const char *const declined[] = {
        "", "[]", "{", "{\"a\":[1]}", "{\"a\":true}", "{\"a\":\"\\n\"}", "{\"a\\u0041\":1}",
        "{\"a\":NaN}", "{\"a\":1e}", "{\"a\":9007199254740993}", "{\"h\":{\"_type\":\"x\"}}",
        "{\"a\":1} x", "{\"a\":1,}", "{\"a\":01}"};
    for (size_t i = 0; i < sizeof declined / sizeof *declined; i++) {
        if (jscan_object(declined[i], &sc) != 0)
            fail_msg("accepted %s", declined[i]);
        jscan_free(&sc);
    }
    /* deep nesting is declined, not recursed into without end */
    buf deep = BUF_INIT;
    for (int i = 0; i < 100000; i++)
        buf_puts(&deep, "{\"a\":");
    assert_int_equal(jscan_object(buf_cstr(&deep), &sc), 0);
    jscan_free(&sc);
    buf_free(&deep);
}

/* Numbers of 16 to 19 significant digits (what "%.17g" prints) take the
 * extended-precision path: each must read back bit for bit as strtod reads
 * it, including the hard cases (near midpoints, powers of two, the edges of
 * the exponent range) that the path must decline to strtod. */
static void test_long_numbers(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 17);
    static const char *const formats[] = {"%.16g", "%.17g", "%.18g", "%.19g", "%.17e"};
    static const char *const hard[] = {
        "9007199254740993", "0.30000000000000004", "2.2250738585072014e-308",
        "1.7976931348623157e+308", "9.999999999999999e22", "1.0000000000000001",
        "0.1000000000000000055511151231257827", "4.9406564584124654e-324",
        "1.00000000000000011102230246251565404236316680908203125",
        "123456789012345678e-27", "1234567890123456789e27"};
    char text[128];
    jscan sc;
    long checked = 0;
    for (int t = 0; t < 200000 + (int)(sizeof hard / sizeof *hard); t++) {
        const char *num;
        char tmp[64];
        if (t < (int)(sizeof hard / sizeof *hard)) {
            num = hard[t];
        } else {
            uint64_t bits = tu_rng_next(&r);
            double v;
            if (t % 2) { /* training-like values, where most logged numbers lie */
                v = (double)(bits >> 11) / 9007199254740992.0 * pow(10, (double)(t % 9) - 4);
            } else {
                memcpy(&v, &bits, sizeof v);
                if (!isfinite(v))
                    continue;
            }
            snprintf(tmp, sizeof tmp, formats[t % 5], v);
            num = tmp;
        }
        snprintf(text, sizeof text, "{\"v\": %s}", num);
        if (jscan_object(text, &sc) == 1) {
            assert_int_equal(sc.n, 1);
            if (tu_bits(sc.items[0].number) != tu_bits(strtod(num, NULL)))
                fail_msg("%s read as %.17g", num, sc.items[0].number);
            checked++;
        }
        jscan_free(&sc);
    }
    assert_true(checked > 150000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_long_numbers),
        cmocka_unit_test(test_against_parser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
