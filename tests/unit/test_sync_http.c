/*
 * test_sync_http.c — the pure parts of src/sync/http.c: the retry backoff
 * schedule (exponential, capped, jittered, Retry-After honoured), which
 * statuses are retried, Retry-After parsing, gzip bodies and URL escaping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sync/http.h"

static void test_backoff_schedule(void **state)
{
    (void)state;
    uint64_t rng = 42;
    for (int trial = 0; trial < 200; trial++) {
        long want = 250;
        for (int attempt = 0; attempt < 20; attempt++) {
            long d = http_backoff_ms(attempt, 250, 30000, -1, &rng);
            /* Equal jitter: between half and all of the exponential step. */
            assert_true(d >= want / 2);
            assert_true(d <= want);
            want = want * 2 > 30000 ? 30000 : want * 2;
        }
    }
}

static void test_backoff_grows_then_caps(void **state)
{
    (void)state;
    uint64_t rng = 7;
    assert_true(http_backoff_ms(0, 250, 30000, -1, &rng) <= 250);
    assert_true(http_backoff_ms(3, 250, 30000, -1, &rng) >= 1000);
    assert_true(http_backoff_ms(3, 250, 30000, -1, &rng) <= 2000);
    for (int a = 8; a < 64; a++) {
        long d = http_backoff_ms(a, 250, 30000, -1, &rng);
        assert_true(d >= 15000 && d <= 30000);
    }
}

static void test_backoff_jitter_varies(void **state)
{
    (void)state;
    uint64_t rng = 1;
    long first = http_backoff_ms(5, 250, 30000, -1, &rng);
    int differs = 0;
    for (int i = 0; i < 20; i++)
        differs |= http_backoff_ms(5, 250, 30000, -1, &rng) != first;
    assert_true(differs);
}

static void test_backoff_retry_after(void **state)
{
    (void)state;
    uint64_t rng = 3;
    /* The server's Retry-After wins when longer, even past the cap... */
    assert_true(http_backoff_ms(0, 250, 30000, 5000, &rng) == 5000);
    assert_true(http_backoff_ms(0, 250, 1000, 45000, &rng) == 45000);
    /* ...up to five minutes; a shorter one does not shorten the backoff. */
    assert_true(http_backoff_ms(0, 250, 30000, 3600000, &rng) == 300000);
    long d = http_backoff_ms(6, 250, 30000, 10, &rng);
    assert_true(d >= 8000 && d <= 16000);
}

static void test_retryable(void **state)
{
    (void)state;
    long yes[] = {408, 429, 500, 502, 503, 504, 599};
    long no[] = {200, 400, 401, 403, 404, 410, 413, 422};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        assert_true(http_status_retryable(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_false(http_status_retryable(no[i]));
}

static void test_retry_after_parse(void **state)
{
    (void)state;
    assert_int_equal(http_retry_after_ms(" 3\r\n", 0), 3000);
    assert_int_equal(http_retry_after_ms("0", 0), 0);
    assert_int_equal(http_retry_after_ms(NULL, 0), -1);
    assert_int_equal(http_retry_after_ms("soon", 0), -1);
    assert_int_equal(http_retry_after_ms("99999", 0), 300000);
    /* An HTTP date, 10 s after "now". */
    double now = 784111767.0; /* Sun, 06 Nov 1994 08:49:27 GMT */
    assert_int_equal(http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", now), 10000);
    assert_int_equal(http_retry_after_ms("Sun, 06 Nov 1994 08:49:17 GMT", now), 0);
}

static void test_gzip_round_trip(void **state)
{
    (void)state;
    buf in = BUF_INIT, out = BUF_INIT;
    for (int i = 0; i < 5000; i++)
        buf_printf(&in, "{\"_step\":%d,\"loss\":%g}\n", i, 1.0 / (i + 1));
    assert_int_equal(http_gzip(in.data, in.len, &out), 0);
    assert_true(out.len < in.len / 3);
    assert_int_equal((unsigned char)out.data[0], 0x1f); /* gzip magic */
    assert_int_equal((unsigned char)out.data[1], 0x8b);
    char *back = malloc(in.len + 1);
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)out.data;
    z.avail_in = (uInt)out.len;
    z.next_out = (Bytef *)back;
    z.avail_out = (uInt)in.len + 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, in.len);
    assert_memory_equal(back, in.data, in.len);
    inflateEnd(&z);
    free(back);
    buf_free(&in);
    buf_free(&out);
}

static void test_escape(void **state)
{
    (void)state;
    char *s = http_escape("my project/ü?x");
    assert_string_equal(s, "my%20project%2F%C3%BC%3Fx");
    free(s);
    s = http_escape("run-1_a.b~");
    assert_string_equal(s, "run-1_a.b~");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_schedule),   cmocka_unit_test(test_backoff_grows_then_caps),
        cmocka_unit_test(test_backoff_jitter_varies), cmocka_unit_test(test_backoff_retry_after),
        cmocka_unit_test(test_retryable),          cmocka_unit_test(test_retry_after_parse),
        cmocka_unit_test(test_gzip_round_trip),    cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
