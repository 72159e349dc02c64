/*
 * test_capture_linebuf.c — the console line model (src/capture/linebuf.c):
 * newlines and CRLF, carriage-return progress bars kept as their final
 * state, input split at every byte boundary giving the same lines, huge
 * lines split at the cap, binary bytes kept, the end of the stream, and
 * the redraw callback that is shown what a redraw forgets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/linebuf.h"
#include "common/buf.h"

/* Lines joined as "line|line|..." for easy comparison. */
static void collect(void *ctx, const char *line, size_t len)
{
    buf *b = ctx;
    buf_append(b, line, len);
    buf_putc(b, '|');
}

static char *lines_of(const char *in, size_t n, size_t max, size_t step)
{
    linebuf lb;
    linebuf_init(&lb, max);
    buf out = BUF_INIT;
    for (size_t i = 0; i < n; i += step)
        linebuf_feed(&lb, in + i, n - i < step ? n - i : step, collect, &out);
    linebuf_flush(&lb, collect, &out);
    linebuf_free(&lb);
    buf_cstr(&out);
    return buf_steal(&out);
}

static void test_cases(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"a\nb\n", "a|b|"},
        {"a\r\nb\r\n", "a|b|"},
        {"no newline", "no newline|"},
        {"\n\n", "||"},
        {"10%\r50%\r100%\n", "100%|"},
        {"\r 10%|#   |\r 20%|##  |\r100%|####|\nnext\n", "100%|####||next|"},
        {"loading...\rdone\n", "done|"},
        {"bar 100%\r", "bar 100%|"},         /* ends on a redraw: its final state */
        {"bar\r\r\rok\n", "ok|"},
        {"a\r\n\r\nb", "a||b|"},
        {"x\ry\r\n", "y|"},
        {"\x1b[32mgreen\x1b[0m\n", "\x1b[32mgreen\x1b[0m|"}, /* escapes kept */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *in = cases[i][0];
        for (size_t step = 1; step <= strlen(in) + 1; step++) {
            char *got = lines_of(in, strlen(in), 0, step);
            if (strcmp(got, cases[i][1]) != 0)
                fail_msg("case %zu step %zu: got '%s'", i, step, got);
            free(got);
        }
    }
}

static void test_redraw(void **state)
{
    (void)state;
    /* "a" and "c" are forgotten by a redraw; an empty state or a "\r\n" is no redraw */
    static const char in[] = "a\rb\r\nc\r\rd\nbar 50%\rbar 100%\r\n";
    for (size_t step = 1; step <= sizeof in; step++) {
        linebuf lb;
        linebuf_init(&lb, 0);
        buf lines = BUF_INIT, forgotten = BUF_INIT;
        linebuf_on_redraw(&lb, collect, &forgotten);
        for (size_t i = 0; i < sizeof in - 1; i += step)
            linebuf_feed(&lb, in + i, sizeof in - 1 - i < step ? sizeof in - 1 - i : step, collect, &lines);
        linebuf_flush(&lb, collect, &lines);
        linebuf_free(&lb);
        assert_string_equal(buf_cstr(&lines), "b|d|bar 100%|");
        assert_string_equal(buf_cstr(&forgotten), "a|c|bar 50%|");
        buf_free(&lines);
        buf_free(&forgotten);
    }
}

static void test_huge_and_binary(void **state)
{
    (void)state;
    /* a 10000-byte line under a 4096 cap: 4096 + 4096 + 1808 */
    size_t n = 10000;
    char *in = malloc(n + 1);
    memset(in, 'x', n);
    in[n] = '\n';
    linebuf lb;
    linebuf_init(&lb, 4096);
    buf out = BUF_INIT;
    linebuf_feed(&lb, in, n + 1, collect, &out);
    linebuf_flush(&lb, collect, &out);
    assert_int_equal(out.len, n + 3);
    assert_true(out.data[4096] == '|' && out.data[8193] == '|' && out.data[n + 2] == '|');
    buf_free(&out);
    linebuf_free(&lb);
    free(in);

    /* NULs and bytes that are not UTF-8 pass as they are */
    static const char bin[] = {'a', 0, (char)0xff, (char)0xfe, '\n', 'b'};
    char *got = lines_of(bin, sizeof bin, 0, 1);
    assert_memory_equal(got, "a\0\xff\xfe|b|", 7);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_redraw),
        cmocka_unit_test(test_huge_and_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
