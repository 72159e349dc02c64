/*
 * test_sync_filestream.c — what sync puts on the wire: history lines
 * (the shared store/history.h form: NaN / Infinity bare, integers without
 * a fraction, non-scalars as JSON), events, output.log and summary lines,
 * and batches split under the size cap with their offsets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "store/history.h"
#include "sync/filestream.h"
#include "sync/graphql.h"

static tally_metric_info metric(const char *name, int hidden)
{
    tally_metric_info m = {0};
    m.name = name;
    m.hidden = hidden;
    return m;
}

static void test_history_line(void **state)
{
    (void)state;
    tally_metric_info ms[7] = {metric("_timestamp", 1), metric("_runtime", 1),
                               metric("loss", 0),       metric("nan", 0),
                               metric("inf", 0),        metric("phase", 0),
                               metric("absent", 0)};
    tally_history_cell cells[7] = {
        {&ms[0], 1, 1700000000.25, NULL, NULL}, {&ms[1], 1, 1.5, NULL, NULL},
        {&ms[2], 1, 0.1, NULL, NULL},           {&ms[3], 1, NAN, NULL, NULL},
        {&ms[4], 1, -INFINITY, NULL, NULL},
        {&ms[5], 2, 0, "\"warm \\\"up\\\"\"", "string"},
        {&ms[6], 0, 0, NULL, NULL}};
    static const size_t set[] = {0, 1, 2, 3, 4, 5}; /* every cell but "absent" */
    tally_history_row row = {42, 7, cells, 1, 6, set};
    buf b = BUF_INIT;
    history_row_json(&b, NULL, &row, JSON_BARE_NONFINITE);
    assert_string_equal(buf_cstr(&b),
                        "{\"_step\":42,\"_timestamp\":1700000000.25,\"_runtime\":1.5,"
                        "\"loss\":0.1,\"nan\":NaN,\"inf\":-Infinity,"
                        "\"phase\":\"warm \\\"up\\\"\"}");
    /* And it reads back with the relaxed reader. */
    cJSON *v = json_parse(buf_cstr(&b));
    assert_non_null(v);
    assert_true(isnan(cJSON_GetObjectItem(v, "nan")->valuedouble));
    cJSON_Delete(v);
    cells[2].y = 3.0;
    cells[4].y = INFINITY;
    buf_reset(&b);
    history_row_json(&b, NULL, &row, JSON_BARE_NONFINITE);
    /* A whole number in a float series stays a float, as Python writes it. */
    assert_non_null(strstr(buf_cstr(&b), "\"loss\":3.0,\"nan\":NaN,\"inf\":Infinity"));
    /* In a series of integers it is an integer. */
    ms[2].is_int = 1;
    buf_reset(&b);
    history_row_json(&b, NULL, &row, JSON_BARE_NONFINITE);
    assert_non_null(strstr(buf_cstr(&b), "\"loss\":3,\"nan\":NaN"));
    buf_free(&b);
}

static void test_events_line(void **state)
{
    (void)state;
    tally_metric_info ms[3] = {metric("system.cpu", 0), metric("system/gpu.0.temp", 0),
                               metric("memory", 0)};
    tally_history_cell cells[3] = {{&ms[0], 1, 31.5, NULL, NULL},
                                   {&ms[1], 1, 60, NULL, NULL},
                                   {&ms[2], 0, 0, NULL, NULL}};
    static const size_t set[] = {0, 1};
    tally_history_row row = {2500, 3, cells, 1, 2, set};
    buf b = BUF_INIT;
    fstream_events_line(&b, &row, 1000.0);
    assert_string_equal(buf_cstr(&b), "{\"_wandb\":true,\"_timestamp\":1002.5,\"_runtime\":2.5,"
                                      "\"system.cpu\":31.5,\"system.gpu.0.temp\":60}");
    buf_free(&b);
}

static void test_output_line(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    fstream_output_line(&b, 1704103200.123456, 1, "hello");
    assert_string_equal(buf_cstr(&b), "2024-01-01T10:00:00.123456 hello");
    buf_reset(&b);
    fstream_output_line(&b, 1704103200.2, 2, "boom");
    assert_string_equal(buf_cstr(&b), "ERROR 2024-01-01T10:00:00.200000 boom");
    buf_reset(&b);
    fstream_output_line(&b, 0, 1, "two\nlines \xff");
    assert_null(strchr(buf_cstr(&b), '\n')); /* one line stays one line */
    buf_free(&b);
}

static void test_summary_line(void **state)
{
    (void)state;
    tally_run_info info = {0};
    info.rows = 100;
    info.last_step = 99;
    info.start_time = 10;
    info.end_time = 25;
    buf b = BUF_INIT;
    assert_int_equal(
        fstream_summary_line(&b, "{\"loss\":0.1,\"val/loss\":{\"min\":0.12,\"last\":NaN}}", &info),
        0);
    assert_string_equal(buf_cstr(&b), "{\"loss\":0.1,\"val/loss\":{\"min\":0.12,\"last\":NaN},"
                                      "\"_step\":99,\"_runtime\":15,\"_timestamp\":25}");
    buf_free(&b);
}

static void test_config_wrap(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    assert_int_equal(gql_wrap_config("{\"lr\":0.001,\"opt\":{\"name\":\"adam\"},\"x\":NaN}", &b),
                     0);
    assert_string_equal(buf_cstr(&b), "{\"lr\":{\"value\":0.001},\"opt\":{\"value\":{\"name\":"
                                      "\"adam\"}},\"x\":{\"value\":NaN}}");
    buf_reset(&b);
    assert_int_equal(gql_wrap_config("{}", &b), 0);
    assert_string_equal(buf_cstr(&b), "{}");
    assert_int_equal(gql_wrap_config("[1]", &b), TALLY_EJSON);
    buf_free(&b);
}

/* Fills batches of at most cap bytes from n lines; checks every body. */
static void split(size_t cap, int n, size_t line_len)
{
    fstream_batch b;
    fstream_batch_init(&b, cap);
    buf body = BUF_INIT, line = BUF_INIT;
    int64_t sent = 0;
    int batches = 0, i = 0;
    while (i < n) {
        fstream_batch_reset(&b);
        int64_t offset = sent;
        int in_batch = 0;
        for (; i < n; i++) {
            buf_reset(&line);
            buf_printf(&line, "{\"_step\":%d,\"v\":\"", i);
            for (size_t k = 0; k < line_len; k++)
                buf_putc(&line, (char)('a' + (i + (int)k) % 26));
            buf_puts(&line, "\"}");
            int rc = fstream_add(&b, FSTREAM_HISTORY, offset, line.data, line.len);
            if (rc == FSTREAM_FULL)
                break;
            assert_int_equal(rc, 0);
            in_batch++;
        }
        if (i == n && !in_batch)
            break;
        assert_true(in_batch > 0);
        fstream_body(&b, &body);
        /* The exact size is known before building, and under the cap. */
        assert_int_equal(body.len, b.size);
        assert_true(body.len <= cap || in_batch == 1);
        cJSON *doc = json_parse(buf_cstr(&body));
        assert_non_null(doc);
        cJSON *part = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "files"),
                                          "wandb-history.jsonl");
        assert_int_equal((int64_t)cJSON_GetObjectItem(part, "offset")->valuedouble, sent);
        cJSON *content = cJSON_GetObjectItem(part, "content");
        assert_int_equal(cJSON_GetArraySize(content), in_batch);
        /* Each line is the JSON text of its row, as a string. */
        cJSON *first = json_parse(cJSON_GetArrayItem(content, 0)->valuestring);
        assert_int_equal(cJSON_GetObjectItem(first, "_step")->valueint, (int)sent);
        cJSON_Delete(first);
        cJSON_Delete(doc);
        sent += in_batch;
        batches++;
    }
    assert_int_equal(sent, n);
    assert_true(batches >= 1);
    fstream_batch_free(&b);
    buf_free(&body);
    buf_free(&line);
}

static void test_batch_split(void **state)
{
    (void)state;
    split(1000, 100, 20);
    split(4096, 1000, 50);
    split(FSTREAM_MAX_BODY, 20000, 500);
    /* A line bigger than the cap goes alone. */
    split(100, 5, 300);
}

static void test_batch_mixed(void **state)
{
    (void)state;
    fstream_batch b;
    fstream_batch_init(&b, 1 << 20);
    assert_true(fstream_batch_empty(&b));
    assert_int_equal(fstream_add(&b, FSTREAM_OUTPUT, 12, "2024-01-01T10:00:00.000000 hi", 29), 0);
    assert_int_equal(fstream_add(&b, FSTREAM_SUMMARY, 0, "{\"a\":1}", 7), 0);
    assert_int_equal(fstream_add_uploaded(&b, "diff.patch"), 0);
    fstream_set_complete(&b, 3);
    buf body = BUF_INIT;
    fstream_body(&b, &body);
    assert_string_equal(buf_cstr(&body),
                        "{\"files\":{\"wandb-summary.json\":{\"offset\":0,\"content\":"
                        "[\"{\\\"a\\\":1}\"]},\"output.log\":{\"offset\":12,\"content\":"
                        "[\"2024-01-01T10:00:00.000000 hi\"]}},"
                        "\"uploaded\":[\"diff.patch\"],\"complete\":true,\"exitcode\":3}");
    assert_int_equal(body.len, b.size);
    fstream_batch_reset(&b);
    assert_true(fstream_batch_empty(&b));
    fstream_body(&b, &body);
    assert_string_equal(buf_cstr(&body), "{\"files\":{}}");
    fstream_batch_free(&b);
    buf_free(&body);
}

/* Room kept for the names a row's files add: the row and its room fit
 * together or neither goes in, and the body once listed stays within it. */
static void test_batch_reserve(void **state)
{
    (void)state;
    const char *line = "{\"_step\":1,\"img\":{\"_type\":\"image-file\"}}";
    const char *name = "media/images/img_1_0123456789abcdef0123.png";
    size_t cost = fstream_uploaded_cost(name);
    assert_int_equal(cost, strlen(name) + 3); /* quotes and a comma */
    fstream_batch b;
    fstream_batch_init(&b, 1 << 20);
    assert_int_equal(fstream_add_reserving(&b, FSTREAM_HISTORY, 0, line, strlen(line), cost), 0);
    size_t reserved = b.size;
    assert_int_equal(fstream_add_uploaded(&b, name), 0);
    fstream_release(&b);
    buf body = BUF_INIT;
    fstream_body(&b, &body);
    assert_int_equal(body.len, b.size);
    assert_true(b.size <= reserved);
    assert_non_null(strstr(buf_cstr(&body), "\"uploaded\":[\"media/images/img_1_"));

    /* A cap that holds the line alone, not with its room: the second row
     * waits, nothing of it stays. */
    fstream_batch small;
    fstream_batch_init(&small, reserved + strlen(line) + 8);
    assert_int_equal(
        fstream_add_reserving(&small, FSTREAM_HISTORY, 0, line, strlen(line), cost), 0);
    size_t before = small.size;
    assert_int_equal(
        fstream_add_reserving(&small, FSTREAM_HISTORY, 0, line, strlen(line), 4 * cost),
        FSTREAM_FULL);
    assert_int_equal(small.size, before);
    assert_int_equal(small.reserved, cost);
    assert_int_equal(small.part[FSTREAM_HISTORY].nlines, 1);
    /* Room alone, never listed, is given back: the body is exact again. */
    fstream_release(&small);
    fstream_body(&small, &body);
    assert_int_equal(body.len, small.size);
    assert_null(strstr(buf_cstr(&body), "uploaded"));
    fstream_batch_free(&small);
    fstream_batch_free(&b);
    buf_free(&body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_line), cmocka_unit_test(test_events_line),
        cmocka_unit_test(test_output_line),  cmocka_unit_test(test_summary_line),
        cmocka_unit_test(test_config_wrap),  cmocka_unit_test(test_batch_split),
        cmocka_unit_test(test_batch_mixed),  cmocka_unit_test(test_batch_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
