/*
 * test_chunk.c — the series codec (src/store/chunk.h): every point must
 * round-trip bit-exact (NaN payloads, ±Inf, -0.0, denormals, any int64 x),
 * the stats must match the points, an encoder reloaded from a blob must
 * continue it exactly, and malformed blobs must fail cleanly with -1.
 * Block summaries must match the points of each block, a decoder moved to
 * any block's end must go on exactly as one that read up to it, and
 * malformed summaries must fail cleanly too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/chunk.h"
#include "testutil.h"

/* Decodes blob and checks it holds exactly x[0..n), y[0..n) (y by bits). */
static void check_blob(const buf *blob, const int64_t *x, const double *y, size_t n)
{
    chunk_decoder dec;
    assert_int_equal(chunk_decoder_init(&dec, blob->data, blob->len), 0);
    assert_int_equal(chunk_decoder_count(&dec), (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        int64_t px = 0;
        double py = 0;
        assert_int_equal(chunk_decoder_next(&dec, &px, &py), 1);
        assert_true(px == x[i]);
        if (tu_bits(py) != tu_bits(y[i]))
            fail_msg("point %zu: bits %016llx, want %016llx", i, (unsigned long long)tu_bits(py),
                     (unsigned long long)tu_bits(y[i]));
    }
    int64_t px;
    double py;
    assert_int_equal(chunk_decoder_next(&dec, &px, &py), 0);
    assert_int_equal(chunk_decoder_next(&dec, &px, &py), 0);
    assert_int_equal(chunk_decoder_count(&dec), (int64_t)n);
}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || tu_bits(a) == tu_bits(b);
}

/* The stats a chunk of these points must report. */
static void check_stats(const chunk_stats *s, const int64_t *x, const double *y, size_t n)
{
    assert_int_equal(s->n, (int64_t)n);
    if (n == 0)
        return;
    assert_true(s->first_x == x[0]);
    assert_true(s->last_x == x[n - 1]);
    assert_true(tu_bits(s->y_first) == tu_bits(y[0]));
    assert_true(tu_bits(s->y_last) == tu_bits(y[n - 1]));
    double lo = NAN, hi = NAN;
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i]))
            continue;
        if (isnan(lo) || y[i] < lo)
            lo = y[i];
        if (isnan(hi) || y[i] > hi)
            hi = y[i];
    }
    assert_true(same_double(s->y_min, lo));
    assert_true(same_double(s->y_max, hi));
}

/* Encodes in one go and point by point, reloads, and checks everything. */
static void roundtrip(const int64_t *x, const double *y, size_t n)
{
    buf blob = BUF_INIT, again = BUF_INIT;
    chunk_stats s;
    assert_int_equal(chunk_encode(x, y, n, &blob, &s), 0);
    check_stats(&s, x, y, n);
    check_blob(&blob, x, y, n);

    /* The contiguous flag is set exactly when it can be. */
    int contiguous = 1;
    for (size_t i = 1; i < n; i++)
        contiguous &= (uint64_t)x[i] - (uint64_t)x[i - 1] == 1;
    assert_int_equal((blob.data[0] & CHUNK_FLAG_CONTIGUOUS) != 0, contiguous);
    assert_int_equal(blob.data[0] & 0x0f, CHUNK_FORMAT);

    /* A reloaded encoder serializes to the same bytes. */
    chunk_encoder enc;
    assert_int_equal(chunk_encoder_load(&enc, blob.data, blob.len), 0);
    check_stats(&enc.stats, x, y, n);
    assert_int_equal(chunk_encoder_finish(&enc, &again), 0);
    assert_int_equal(again.len, blob.len);
    assert_memory_equal(again.data, blob.data, blob.len);
    chunk_encoder_free(&enc);
    buf_free(&blob);
    buf_free(&again);
}

static void test_empty(void **state)
{
    (void)state;
    roundtrip(NULL, NULL, 0);
}

static void test_single_point(void **state)
{
    (void)state;
    int64_t xs[] = {0, 1, -1, INT64_MIN, INT64_MAX, 1234567890123};
    double ys[] = {0.0, -0.0, 1.5, NAN, INFINITY, -DBL_MAX};
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++)
        for (size_t j = 0; j < sizeof ys / sizeof *ys; j++)
            roundtrip(&xs[i], &ys[j], 1);
}

static void test_nan_payloads(void **state)
{
    (void)state;
    static const uint64_t nans[] = {
        0x7ff8000000000000u, /* the default quiet NaN */
        0xfff8000000000000u, /* negative quiet NaN */
        0x7ff0000000000001u, /* signalling, smallest payload */
        0x7ff4000000000000u, /* signalling */
        0x7fffffffffffffffu, /* all payload bits */
        0xffffffffffffffffu,
        0x7ff8000000000001u,
        0x7ff800000000deadu,
        0xfff0000000000001u,
    };
    enum { N = sizeof nans / sizeof *nans };
    int64_t x[3 * N];
    double y[3 * N];
    for (size_t i = 0; i < N; i++) {
        /* each NaN alone, after a number, and repeated */
        x[3 * i] = (int64_t)(3 * i);
        y[3 * i] = tu_from_bits(nans[i]);
        x[3 * i + 1] = (int64_t)(3 * i + 1);
        y[3 * i + 1] = 1.0 / (double)(i + 1);
        x[3 * i + 2] = (int64_t)(3 * i + 2);
        y[3 * i + 2] = tu_from_bits(nans[i]);
    }
    roundtrip(x, y, 3 * N);
    /* only NaN: min and max have no value */
    buf blob = BUF_INIT;
    chunk_stats s;
    double only[2] = {NAN, tu_from_bits(0xfff0000000000001u)};
    int64_t ox[2] = {7, 9};
    assert_int_equal(chunk_encode(ox, only, 2, &blob, &s), 0);
    assert_true(isnan(s.y_min) && isnan(s.y_max));
    assert_true(tu_bits(s.y_last) == 0xfff0000000000001u);
    buf_free(&blob);
}

static void test_specials(void **state)
{
    (void)state;
    double y[] = {INFINITY, -INFINITY, -0.0, 0.0, -0.0, DBL_MIN, -DBL_MIN, DBL_TRUE_MIN,
                  -DBL_TRUE_MIN, 2.2250738585072009e-308 /* largest denormal */, DBL_MAX,
                  -DBL_MAX, INFINITY, INFINITY, NAN, 1.0, -1.0, 0.1, 1e-300, 3e300,
                  tu_from_bits(1), tu_from_bits(0x8000000000000001u),
                  tu_from_bits(0x000fffffffffffffu)};
    enum { N = sizeof y / sizeof *y };
    int64_t x[N];
    for (size_t i = 0; i < N; i++)
        x[i] = (int64_t)i;
    roundtrip(x, y, N);

    buf blob = BUF_INIT;
    chunk_stats s;
    assert_int_equal(chunk_encode(x, y, N, &blob, &s), 0);
    assert_true(s.y_min == -INFINITY);
    assert_true(s.y_max == INFINITY);
    buf_free(&blob);
}

static void test_extreme_x(void **state)
{
    (void)state;
    double y[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t a[] = {INT64_MIN, INT64_MIN + 1, INT64_MIN + 2, INT64_MIN + 3};
    roundtrip(a, y, 4); /* contiguous at the bottom */
    int64_t b[] = {INT64_MAX - 3, INT64_MAX - 2, INT64_MAX - 1, INT64_MAX};
    roundtrip(b, y, 4); /* contiguous at the top */
    int64_t c[] = {INT64_MIN, -1, 0, INT64_MAX};
    roundtrip(c, y, 4); /* deltas of 2^63 - 1 and more */
    int64_t d[] = {INT64_MIN, INT64_MAX};
    roundtrip(d, y, 2); /* one delta of 2^64 - 1 */
    int64_t e[] = {INT64_MIN, INT64_MIN, INT64_MAX, INT64_MAX, INT64_MAX};
    roundtrip(e, y, 5);
    int64_t f[] = {-1000000, -999999, -500000, -3, -2, -1, 0, 1};
    roundtrip(f, y, 8); /* negative steps */
    int64_t g[] = {INT64_MIN + 5, INT64_MIN + 1000000007, -4611686018427387904, 0,
                   4611686018427387904, INT64_MAX - 7, INT64_MAX - 6, INT64_MAX};
    roundtrip(g, y, 8); /* delta-of-deltas that swing across the whole range */
}

static void test_contiguous_and_not(void **state)
{
    (void)state;
    enum { N = 5000 };
    int64_t *x = malloc(N * sizeof *x);
    double *y = malloc(N * sizeof *y);
    for (size_t i = 0; i < N; i++) {
        x[i] = 17 + (int64_t)i;
        y[i] = sin((double)i / 50.0);
    }
    roundtrip(x, y, N); /* steps: no x stream */
    for (size_t i = 0; i < N; i++)
        x[i] = (int64_t)i * 2000; /* samples every 2 s */
    roundtrip(x, y, N);
    for (size_t i = 0; i < N; i++)
        x[i] = (int64_t)i * (int64_t)i * 3 - 40000; /* growing gaps */
    roundtrip(x, y, N);
    /* contiguous but for the very last point */
    for (size_t i = 0; i < N; i++)
        x[i] = (int64_t)i;
    x[N - 1] = N;
    roundtrip(x, y, N);
    free(x);
    free(y);
}

static void test_repeated_x(void **state)
{
    (void)state;
    /* the time axis may give several samples the same millisecond */
    int64_t x[] = {0, 0, 0, 2000, 2000, 4000, 4000, 4000, 4001, 4001, 9000};
    double y[] = {1, 1, 2, 2, 2, NAN, NAN, 3.25, -0.0, 0.0, 1e10};
    roundtrip(x, y, sizeof x / sizeof *x);
    int64_t same[64];
    double v[64];
    for (int i = 0; i < 64; i++) {
        same[i] = -5;
        v[i] = i % 3 ? 0.5 : 0.25;
    }
    roundtrip(same, v, 64);
}

static void test_random_100k(void **state)
{
    (void)state;
    enum { N = 100000 };
    tu_rng r;
    tu_rng_seed(&r, 42);
    int64_t *x = malloc(N * sizeof *x);
    double *y = malloc(N * sizeof *y);
    int64_t cur = -(int64_t)tu_rng_below(&r, 1u << 30);
    double walk = 0;
    for (size_t i = 0; i < N; i++) {
        uint64_t k = tu_rng_below(&r, 100);
        if (i > 0) {
            uint64_t step = k < 60 ? 1 : k < 80 ? 0 : k < 95 ? tu_rng_below(&r, 5000)
                                                             : tu_rng_below(&r, 1ull << 40);
            cur += (int64_t)step;
        }
        x[i] = cur;
        uint64_t kind = tu_rng_below(&r, 10);
        if (kind < 5) {
            walk += tu_rng_unit(&r) - 0.5;
            y[i] = walk;
        } else if (kind < 7) {
            y[i] = tu_from_bits(tu_rng_next(&r)); /* any bits: NaNs, denormals, ... */
        } else if (kind < 8) {
            y[i] = i > 0 ? y[i - 1] : 0;
        } else if (kind < 9) {
            y[i] = (double)(int64_t)tu_rng_below(&r, 1000);
        } else {
            y[i] = tu_rng_unit(&r) * 1e-310; /* denormal */
        }
    }
    roundtrip(x, y, N);

    /* and split in two chunks anywhere */
    size_t cut = (size_t)tu_rng_below(&r, N);
    roundtrip(x, y, cut);
    roundtrip(x + cut, y + cut, N - cut);
    free(x);
    free(y);
}

/* An encoder rebuilt from a stored blob continues it as if never stopped. */
static void continue_at(const int64_t *x, const double *y, size_t n, size_t cut)
{
    buf first = BUF_INIT, whole = BUF_INIT, cont = BUF_INIT;
    assert_int_equal(chunk_encode(x, y, cut, &first, NULL), 0);
    assert_int_equal(chunk_encode(x, y, n, &whole, NULL), 0);
    chunk_encoder enc;
    assert_int_equal(chunk_encoder_load(&enc, first.data, first.len), 0);
    assert_int_equal(enc.stats.n, (int64_t)cut);
    for (size_t i = cut; i < n; i++)
        assert_int_equal(chunk_encoder_add(&enc, x[i], y[i]), 0);
    assert_int_equal(chunk_encoder_finish(&enc, &cont), 0);
    check_stats(&enc.stats, x, y, n);
    assert_int_equal(cont.len, whole.len);
    assert_memory_equal(cont.data, whole.data, whole.len);
    check_blob(&cont, x, y, n);
    chunk_encoder_free(&enc);
    buf_free(&first);
    buf_free(&whole);
    buf_free(&cont);
}

static void test_encoder_load_continue(void **state)
{
    (void)state;
    enum { N = 300 };
    int64_t x[N];
    double y[N];
    tu_rng r;
    tu_rng_seed(&r, 7);
    /* contiguous throughout */
    for (size_t i = 0; i < N; i++) {
        x[i] = 1000 + (int64_t)i;
        y[i] = i % 17 == 0 ? NAN : (double)i * 0.5;
    }
    for (size_t cut = 0; cut <= N; cut += 13)
        continue_at(x, y, N, cut);
    continue_at(x, y, N, 1);
    continue_at(x, y, N, N);
    /* contiguous first, then gaps after the cut */
    for (size_t i = 150; i < N; i++)
        x[i] = x[i - 1] + 1 + (int64_t)tu_rng_below(&r, 3);
    for (size_t cut = 0; cut <= N; cut += 29)
        continue_at(x, y, N, cut);
    continue_at(x, y, N, 150);
    continue_at(x, y, N, 151);
    /* random bits and x everywhere */
    for (size_t i = 0; i < N; i++) {
        x[i] = i ? x[i - 1] + (int64_t)tu_rng_below(&r, 1000) : INT64_MIN;
        y[i] = tu_from_bits(tu_rng_next(&r));
    }
    for (size_t cut = 0; cut <= N; cut += 31)
        continue_at(x, y, N, cut);

    /* a loaded encoder accepts a point equal to its last x */
    chunk_encoder enc;
    buf b = BUF_INIT;
    int64_t one = 5;
    double v = 2;
    assert_int_equal(chunk_encode(&one, &v, 1, &b, NULL), 0);
    assert_int_equal(chunk_encoder_load(&enc, b.data, b.len), 0);
    assert_int_equal(chunk_encoder_add(&enc, 5, 3), 0);
    assert_int_equal(chunk_encoder_finish(&enc, &b), 0);
    int64_t xs[2] = {5, 5};
    double ys[2] = {2, 3};
    check_blob(&b, xs, ys, 2);
    chunk_encoder_free(&enc);
    buf_free(&b);
}

/* Decodes until the end or an error; the number of steps is bounded. */
static int decode_all(const void *blob, size_t len, int64_t *count)
{
    chunk_decoder dec;
    *count = 0;
    if (chunk_decoder_init(&dec, blob, len) < 0)
        return -1;
    int64_t declared = chunk_decoder_count(&dec);
    int64_t x;
    double y;
    int rc;
    while ((rc = chunk_decoder_next(&dec, &x, &y)) == 1) {
        (*count)++;
        if (*count > declared)
            fail_msg("decoded more points than declared");
    }
    assert_true(rc == 0 || rc == -1);
    if (rc == 0)
        assert_int_equal(*count, declared);
    return rc;
}

static void test_truncated(void **state)
{
    (void)state;
    enum { N = 200 };
    int64_t x[N];
    double y[N];
    tu_rng r;
    tu_rng_seed(&r, 3);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < N; i++) {
            x[i] = pass == 0 ? (int64_t)i : (int64_t)(i * i);
            y[i] = tu_from_bits(tu_rng_next(&r));
        }
        buf blob = BUF_INIT;
        assert_int_equal(chunk_encode(x, y, N, &blob, NULL), 0);
        for (size_t len = 0; len < blob.len; len++) {
            /* a copy of exactly len bytes, so ASan sees any overread */
            unsigned char *cut = malloc(len ? len : 1);
            memcpy(cut, blob.data, len);
            int64_t count;
            assert_int_equal(decode_all(cut, len, &count), -1);
            chunk_encoder enc;
            assert_int_equal(chunk_encoder_load(&enc, cut, len), -1);
            assert_int_equal(enc.stats.n, 0);
            free(cut);
        }
        buf_free(&blob);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    int64_t count;
    chunk_decoder dec;
    assert_int_equal(chunk_decoder_init(&dec, "", 0), -1);
    assert_int_equal(chunk_decoder_init(&dec, NULL, 0), -1);
    /* wrong format nibble, unknown flag bits */
    static const unsigned char bad_format[] = {0x02, 0x01, 0x00, 0x80};
    static const unsigned char bad_flag[] = {0x21, 0x01, 0x00, 0x80};
    static const unsigned char bad_flag2[] = {0x91, 0x01, 0x00, 0x80};
    assert_int_equal(decode_all(bad_format, sizeof bad_format, &count), -1);
    assert_int_equal(decode_all(bad_flag, sizeof bad_flag, &count), -1);
    assert_int_equal(decode_all(bad_flag2, sizeof bad_flag2, &count), -1);
    /* a valid one-point chunk, as the control */
    static const unsigned char good[] = {0x11, 0x01, 0x00, 0x80};
    assert_int_equal(decode_all(good, sizeof good, &count), 0);
    assert_int_equal(count, 1);
    /* a varint that never ends */
    unsigned char endless[16];
    endless[0] = 0x11;
    memset(endless + 1, 0xff, sizeof endless - 1);
    assert_int_equal(decode_all(endless, sizeof endless, &count), -1);
    /* n far beyond what the bytes can hold */
    static const unsigned char huge_n[] = {0x11, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x80};
    assert_int_equal(decode_all(huge_n, sizeof huge_n, &count), -1);
    static const unsigned char max_n[] = {0x11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0xff, 0xff, 0xff, 0x01, 0x00, 0x80};
    assert_int_equal(decode_all(max_n, sizeof max_n, &count), -1);
    /* x stream longer than the blob */
    static const unsigned char long_xs[] = {0x01, 0x02, 0x00, 0x7f, 0x00, 0x80, 0x80};
    assert_int_equal(decode_all(long_xs, sizeof long_xs, &count), -1);
    /* x stream too short for its points */
    static const unsigned char short_xs[] = {0x01, 0x03, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80};
    assert_int_equal(decode_all(short_xs, sizeof short_xs, &count), -1);
    /* a control byte asking for more bytes than there are */
    static const unsigned char short_y[] = {0x11, 0x01, 0x00, 0x00, 1, 2, 3};
    assert_int_equal(decode_all(short_y, sizeof short_y, &count), -1);
    /* a control byte with leading + trailing >= 8 */
    static const unsigned char bad_ctl[] = {0x11, 0x01, 0x00, 0x44, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(decode_all(bad_ctl, sizeof bad_ctl, &count), -1);
    static const unsigned char bad_ctl2[] = {0x11, 0x01, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(decode_all(bad_ctl2, sizeof bad_ctl2, &count), -1);
    chunk_encoder enc;
    assert_int_equal(chunk_encoder_load(&enc, bad_ctl, sizeof bad_ctl), -1);
    assert_int_equal(chunk_encoder_load(&enc, huge_n, sizeof huge_n), -1);
}

static void test_random_blobs(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 99);
    unsigned char blob[96];
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 40000; iter++) {
        size_t len = (size_t)tu_rng_below(&r, sizeof blob + 1);
        for (size_t i = 0; i < len; i++)
            blob[i] = (unsigned char)tu_rng_next(&r);
        /* mostly a valid format byte and a small n, so decoding gets far */
        if (len > 0 && tu_rng_below(&r, 4) != 0)
            blob[0] = (unsigned char)(CHUNK_FORMAT |
                                      (tu_rng_below(&r, 2) ? CHUNK_FLAG_CONTIGUOUS : 0));
        if (len > 1 && tu_rng_below(&r, 2) != 0)
            blob[1] = (unsigned char)tu_rng_below(&r, 40);
        unsigned char *copy = malloc(len ? len : 1);
        memcpy(copy, blob, len);
        int64_t count;
        if (decode_all(copy, len, &count) == 0)
            ok++;
        else
            bad++;
        chunk_encoder enc;
        int lrc = chunk_encoder_load(&enc, copy, len);
        assert_true(lrc == 0 || lrc == -1);
        if (lrc == 0) {
            /* whatever decoded re-encodes to something that decodes alike */
            buf again = BUF_INIT;
            assert_int_equal(chunk_encoder_finish(&enc, &again), 0);
            int64_t n2;
            assert_int_equal(decode_all(again.data, again.len, &n2), 0);
            assert_int_equal(n2, enc.stats.n);
            buf_free(&again);
        }
        chunk_encoder_free(&enc);
        free(copy);
    }
    assert_true(ok > 0 && bad > 0);

    /* single-byte flips of valid blobs */
    enum { N = 64 };
    int64_t x[N];
    double y[N];
    for (size_t i = 0; i < N; i++) {
        x[i] = (int64_t)(i * 3);
        y[i] = (double)i / 7.0;
    }
    buf valid = BUF_INIT;
    assert_int_equal(chunk_encode(x, y, N, &valid, NULL), 0);
    for (int iter = 0; iter < 5000; iter++) {
        unsigned char *copy = malloc(valid.len);
        memcpy(copy, valid.data, valid.len);
        copy[tu_rng_below(&r, valid.len)] ^= (unsigned char)(1u << tu_rng_below(&r, 8));
        int64_t count;
        decode_all(copy, valid.len, &count);
        free(copy);
    }
    buf_free(&valid);
}

/* Encodes point by point, then checks the block summaries against the
 * points, and that a decoder moved past each block goes on exactly. */
static void check_blocks(const int64_t *x, const double *y, size_t n)
{
    chunk_encoder enc;
    chunk_encoder_init(&enc);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(chunk_encoder_add(&enc, x[i], y[i]), 0);
    buf blob = BUF_INIT, sums = BUF_INIT, again = BUF_INIT;
    assert_int_equal(chunk_encoder_finish(&enc, &blob), 0);
    assert_int_equal(chunk_encoder_blocks(&enc, &sums), 0);
    chunk_encoder_free(&enc);
    if (n < CHUNK_BLOCKS_MIN) {
        assert_int_equal(sums.len, 0);
        goto done;
    }
    /* compact: a few bytes of offsets and 24 of values a block */
    size_t nblocks = (n + CHUNK_BLOCK_POINTS - 1) / CHUNK_BLOCK_POINTS;
    assert_true(sums.len <= 3 + nblocks * (24 + 4 * 10));

    /* an encoder reloaded from the blob gives the same summaries */
    assert_int_equal(chunk_encoder_load(&enc, blob.data, blob.len), 0);
    assert_int_equal(chunk_encoder_blocks(&enc, &again), 0);
    chunk_encoder_free(&enc);
    assert_int_equal(again.len, sums.len);
    assert_memory_equal(again.data, sums.data, sums.len);

    chunk_decoder dec;
    chunk_blocks it;
    chunk_block b;
    assert_int_equal(chunk_decoder_init(&dec, blob.data, blob.len), 0);
    assert_int_equal(chunk_blocks_init(&it, sums.data, sums.len, &dec), 0);
    size_t k = 0;
    while (chunk_blocks_next(&it, &b) == 1) {
        size_t start = k * CHUNK_BLOCK_POINTS, end = start + CHUNK_BLOCK_POINTS;
        if (end > n)
            end = n;
        assert_int_equal(b.start, (int64_t)start);
        assert_int_equal(b.n, (int64_t)(end - start));
        assert_true(b.last_x == x[end - 1]);
        assert_true(b.last_bits == tu_bits(y[end - 1]));
        double lo = NAN, hi = NAN;
        for (size_t i = start; i < end; i++)
            if (!isnan(y[i])) {
                lo = isnan(lo) || y[i] < lo ? y[i] : lo;
                hi = isnan(hi) || y[i] > hi ? y[i] : hi;
            }
        assert_true(same_double(b.y_min, lo));
        assert_true(same_double(b.y_max, hi));
        /* a decoder moved here reads the rest bit-exact */
        chunk_decoder at;
        assert_int_equal(chunk_decoder_init(&at, blob.data, blob.len), 0);
        chunk_decoder_seek(&at, &b);
        assert_int_equal(chunk_decoder_count(&at), (int64_t)n);
        for (size_t i = end; i < n && i < end + 3 * CHUNK_BLOCK_POINTS; i++) {
            int64_t px;
            double py;
            assert_int_equal(chunk_decoder_next(&at, &px, &py), 1);
            assert_true(px == x[i]);
            assert_true(tu_bits(py) == tu_bits(y[i]));
        }
        if (end == n) {
            int64_t px;
            double py;
            assert_int_equal(chunk_decoder_next(&at, &px, &py), 0);
        }
        k++;
    }
    assert_int_equal(k, nblocks);
    assert_int_equal(chunk_blocks_next(&it, &b), 0);

    /* cut short or with a byte more, summaries do not describe the chunk */
    for (size_t len = 0; len < sums.len + 2; len++) {
        if (len == sums.len)
            continue;
        unsigned char *copy = calloc(1, len + 1);
        memcpy(copy, sums.data, len <= sums.len ? len : sums.len);
        int rc = chunk_blocks_init(&it, copy, len, &dec);
        if (rc == 0)
            while ((rc = chunk_blocks_next(&it, &b)) == 1)
                continue;
        assert_int_equal(rc, -1);
        free(copy);
    }
done:
    buf_free(&blob);
    buf_free(&sums);
    buf_free(&again);
}

static void test_blocks(void **state)
{
    (void)state;
    enum { N = 5000 };
    tu_rng r;
    tu_rng_seed(&r, 8);
    int64_t *x = malloc(N * sizeof *x);
    double *y = malloc(N * sizeof *y);
    for (int shape = 0; shape < 4; shape++) {
        int64_t cur = shape == 3 ? INT64_MAX - N * 4 : -(int64_t)tu_rng_below(&r, 1000);
        double walk = 0;
        for (size_t i = 0; i < N; i++) {
            if (i > 0) /* shape 0 contiguous; the others with repeats and jumps */
                cur += shape == 0 ? 1 : (int64_t)tu_rng_below(&r, shape == 1 ? 3 : 5);
            x[i] = cur;
            uint64_t kind = tu_rng_below(&r, 20);
            walk += tu_rng_unit(&r) - 0.5;
            y[i] = kind == 0   ? NAN
                   : kind == 1 ? -INFINITY
                   : kind == 2 ? tu_from_bits(tu_rng_next(&r)) /* any bits */
                               : walk;
            if (shape == 2 && i % 700 < 300)
                y[i] = tu_from_bits(0x7ff8000000000000u | i); /* whole blocks of NaN */
        }
        static const size_t sizes[] = {0, 1, CHUNK_BLOCKS_MIN - 1, CHUNK_BLOCKS_MIN,
                                       CHUNK_BLOCKS_MIN + 1, 3 * CHUNK_BLOCK_POINTS, 4096, N};
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            check_blocks(x, y, sizes[s]);
        for (int i = 0; i < 4; i++)
            check_blocks(x, y, CHUNK_BLOCKS_MIN + (size_t)tu_rng_below(&r, N - CHUNK_BLOCKS_MIN));
    }
    free(x);
    free(y);
}

/* Random summaries over a valid chunk: parsing never reads out of bounds,
 * and a decoder moved by whatever parsed stays inside the blob. */
static void test_random_blocks(void **state)
{
    (void)state;
    enum { N = 700 };
    int64_t x[N];
    double y[N];
    for (size_t i = 0; i < N; i++) {
        x[i] = (int64_t)(i * 2 + i % 3);
        y[i] = sin((double)i / 9.0);
    }
    buf blob = BUF_INIT, sums = BUF_INIT;
    chunk_encoder enc;
    chunk_encoder_init(&enc);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(chunk_encoder_add(&enc, x[i], y[i]), 0);
    assert_int_equal(chunk_encoder_finish(&enc, &blob), 0);
    assert_int_equal(chunk_encoder_blocks(&enc, &sums), 0);
    chunk_encoder_free(&enc);
    tu_rng r;
    tu_rng_seed(&r, 13);
    int parsed = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = sums.len;
        unsigned char *copy = malloc(len);
        memcpy(copy, sums.data, len);
        if (iter % 2) {
            copy[tu_rng_below(&r, len)] ^= (unsigned char)(1u << tu_rng_below(&r, 8));
        } else {
            len = (size_t)tu_rng_below(&r, len + 1);
            for (size_t i = tu_rng_below(&r, 3); i < len; i++)
                copy[i] = (unsigned char)tu_rng_next(&r);
        }
        chunk_decoder dec;
        chunk_blocks it;
        chunk_block b;
        assert_int_equal(chunk_decoder_init(&dec, blob.data, blob.len), 0);
        int rc = chunk_blocks_init(&it, copy, len, &dec);
        while (rc == 0 && (rc = chunk_blocks_next(&it, &b)) == 1) {
            rc = 0;
            chunk_decoder at = dec;
            chunk_decoder_seek(&at, &b);
            int64_t px;
            double py;
            while (chunk_decoder_next(&at, &px, &py) == 1)
                continue;
        }
        parsed += rc == 0;
        free(copy);
    }
    assert_true(parsed > 0);
    buf_free(&blob);
    buf_free(&sums);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_single_point),
        cmocka_unit_test(test_nan_payloads),
        cmocka_unit_test(test_specials),
        cmocka_unit_test(test_extreme_x),
        cmocka_unit_test(test_contiguous_and_not),
        cmocka_unit_test(test_repeated_x),
        cmocka_unit_test(test_random_100k),
        cmocka_unit_test(test_encoder_load_continue),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_random_blobs),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_random_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
