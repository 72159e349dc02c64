/*
 * test_objbatch.c — the object batch codec (src/store/objbatch.h): values
 * round-trip exactly in order (any bytes, any x, including the int64
 * extremes), the encoder refuses x going back and unknown types, and
 * malformed or truncated blobs fail with -1 without reading past the end
 * (run under the sanitizers).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/objbatch.h"
#include "testutil.h"

/* The blob as the writer stores it: format byte, varint n, entries. */
static void batch_blob(const objbatch_encoder *enc, buf *out)
{
    buf_reset(out);
    buf_putc(out, (char)OBJBATCH_FORMAT);
    uint64_t n = (uint64_t)enc->n;
    while (n >= 0x80) {
        buf_putc(out, (char)(n | 0x80));
        n >>= 7;
    }
    buf_putc(out, (char)n);
    buf_append(out, enc->data.data, enc->data.len);
}

/* Decodes everything; the number of entries, or -1 on a malformed blob. */
static int64_t decode_all(const void *blob, size_t len, int64_t first_x)
{
    objbatch_decoder dec;
    if (objbatch_decoder_init(&dec, blob, len, first_x) < 0)
        return -1;
    objbatch_entry e;
    int64_t n = 0;
    int rc;
    while ((rc = objbatch_next(&dec, &e)) == 1) {
        /* every byte of the value lies inside the blob */
        assert_true((const unsigned char *)e.json >= (const unsigned char *)blob);
        assert_true((const unsigned char *)e.json + e.len <= (const unsigned char *)blob + len);
        n++;
    }
    return rc < 0 ? -1 : n;
}

static void test_roundtrip(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 7);
    objbatch_encoder enc;
    objbatch_encoder_init(&enc);
    enum { N = 5000 };
    int64_t xs[N], ids[N];
    int types[N];
    char *texts[N];
    size_t lens[N];
    int64_t x = INT64_MIN;
    for (int i = 0; i < N; i++) {
        if (i == N - 1)
            x = INT64_MAX;
        else if (i > 0 && tu_rng_below(&r, 3) == 0)
            x += (int64_t)tu_rng_below(&r, 1u << 30);
        xs[i] = x;
        ids[i] = (int64_t)tu_rng_below(&r, 1u << 20) + 1;
        types[i] = (int)tu_rng_below(&r, OBJ_NTYPES);
        lens[i] = (size_t)tu_rng_below(&r, 300);
        texts[i] = malloc(lens[i] + 1);
        for (size_t k = 0; k < lens[i]; k++)
            texts[i][k] = (char)tu_rng_next(&r); /* any bytes, NUL included */
        assert_int_equal(objbatch_add(&enc, ids[i], xs[i], types[i], texts[i], lens[i]), 0);
    }
    assert_int_equal(enc.n, N);
    assert_true(enc.first_x == INT64_MIN && enc.last_x == INT64_MAX);
    buf blob = BUF_INIT;
    batch_blob(&enc, &blob);
    objbatch_decoder dec;
    assert_int_equal(objbatch_decoder_init(&dec, blob.data, blob.len, enc.first_x), 0);
    objbatch_entry e;
    for (int i = 0; i < N; i++) {
        assert_int_equal(objbatch_next(&dec, &e), 1);
        assert_true(e.x == xs[i]);
        assert_int_equal(e.metric_id, ids[i]);
        assert_int_equal(e.type, types[i]);
        assert_int_equal(e.len, lens[i]);
        assert_memory_equal(e.json, texts[i], lens[i]);
        free(texts[i]);
    }
    assert_int_equal(objbatch_next(&dec, &e), 0);
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < blob.len; cut += 1 + cut / 64)
        assert_int_equal(decode_all(blob.data, cut, enc.first_x), -1);
    buf_free(&blob);
    objbatch_encoder_free(&enc);
}

static void test_refusals(void **state)
{
    (void)state;
    objbatch_encoder enc;
    objbatch_encoder_init(&enc);
    assert_int_equal(objbatch_add(&enc, 1, 10, OBJ_STRING, "\"a\"", 3), 0);
    assert_int_equal(objbatch_add(&enc, 1, 9, OBJ_STRING, "\"b\"", 3), -1); /* x went back */
    assert_int_equal(objbatch_add(&enc, 1, 10, OBJ_NTYPES, "1", 1), -1);
    assert_int_equal(objbatch_add(&enc, -1, 10, OBJ_JSON, "1", 1), -1);
    assert_int_equal(enc.n, 1);
    objbatch_encoder_free(&enc);
    assert_int_equal(objbatch_type_code("string"), OBJ_STRING);
    assert_int_equal(objbatch_type_code("int"), OBJ_INT);
    assert_int_equal(objbatch_type_code("image"), -1);
    assert_int_equal(objbatch_type_code(NULL), -1);
    assert_null(objbatch_type_name(OBJ_NTYPES));
    /* malformed by hand: other format, n past the end, trailing bytes */
    static const unsigned char bad[][8] = {{2, 0}, {1, 9, 1, 1, 0, 0}, {1, 1, 1, 0, 0, 0, 7}};
    static const size_t badlen[] = {2, 6, 7};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(decode_all(bad[i], badlen[i], 0), -1);
    static const unsigned char empty[] = {1, 0};
    assert_int_equal(decode_all(empty, sizeof empty, 0), 0);
}

/* Random blobs, mostly with a valid format byte and a small count: the
 * decoder either reads them or says -1, never past the end. */
static void test_random_blobs(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 1234);
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 50000; iter++) {
        size_t len = (size_t)tu_rng_below(&r, 64);
        unsigned char *blob = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++)
            blob[i] = (unsigned char)tu_rng_below(&r, tu_rng_below(&r, 2) ? 8 : 256);
        if (len > 0 && tu_rng_below(&r, 4) != 0)
            blob[0] = OBJBATCH_FORMAT;
        if (len > 1)
            blob[1] = (unsigned char)tu_rng_below(&r, 6);
        if (decode_all(blob, len, (int64_t)tu_rng_next(&r)) >= 0)
            ok++;
        else
            bad++;
        free(blob);
    }
    assert_true(ok > 0 && bad > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_random_blobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
