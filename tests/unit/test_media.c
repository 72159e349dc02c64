/*
 * test_media.c — the codecs of src/media: PNG / JPEG / GIF / WAV round
 * trips, the video header probe, sha256, float pixels and histogram
 * binning against a brute-force reference, and every decoder's refusal of
 * truncated, oversized and garbage input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <zlib.h>

#include "media/media.h"
#include "tally.h"
#include "testutil.h"

/* ---- helpers ---- */

/* width x height x channels pixels, rows stride bytes apart, seeded. */
static unsigned char *make_pixels(int w, int h, int ch, size_t stride, uint64_t seed)
{
    tu_rng r;
    tu_rng_seed(&r, seed);
    unsigned char *p = malloc(stride * (size_t)h);
    assert_non_null(p);
    for (size_t i = 0; i < stride * (size_t)h; i++)
        p[i] = (unsigned char)tu_rng_below(&r, 256);
    return p;
}

static void assert_rows_equal(const unsigned char *a, size_t astride, const unsigned char *b,
                              size_t bstride, int h, size_t row)
{
    for (int y = 0; y < h; y++)
        assert_memory_equal(a + (size_t)y * astride, b + (size_t)y * bstride, row);
}

static void png_of(const unsigned char *px, int w, int h, int ch, size_t stride, buf *out)
{
    assert_int_equal(media_png_encode(px, w, h, ch, stride, -1, out), 0);
}

/* Every prefix of an encoded file is refused, without a crash or a leak
 * (the leak half under valgrind / ASan). */
static void assert_prefixes_refused(const unsigned char *data, size_t size, size_t step,
                                    int (*decode)(const void *, size_t))
{
    for (size_t n = 0; n < size; n += step) {
        int rc = decode(data, n);
        if (rc != TALLY_EMEDIA)
            fail_msg("prefix of %zu / %zu bytes: %d", n, size, rc);
    }
}

static int decode_image(const void *d, size_t n)
{
    media_pixels px;
    int rc = media_image_decode(d, n, &px);
    if (rc == 0)
        media_pixels_free(&px);
    return rc;
}

static int decode_image_rgba(const void *d, size_t n)
{
    media_pixels px;
    int rc = media_image_decode_rgba(d, n, &px);
    if (rc == 0)
        media_pixels_free(&px);
    return rc;
}

/* ---- sniffing and hashing ---- */

static void test_sniff(void **state)
{
    (void)state;
    assert_int_equal(media_sniff("\x89PNG\r\n\x1a\n", 8), MEDIA_FMT_PNG);
    assert_int_equal(media_sniff("\x89PNG\r\n\x1a", 7), MEDIA_FMT_UNKNOWN);
    assert_int_equal(media_sniff("\xff\xd8\xff\xe0", 4), MEDIA_FMT_JPEG);
    assert_int_equal(media_sniff("GIF89a", 6), MEDIA_FMT_GIF);
    assert_int_equal(media_sniff("GIF87a", 6), MEDIA_FMT_GIF);
    assert_int_equal(media_sniff("GIF88a", 6), MEDIA_FMT_UNKNOWN);
    assert_int_equal(media_sniff("RIFF\0\0\0\0WAVE", 12), MEDIA_FMT_WAV);
    assert_int_equal(media_sniff("RIFF\0\0\0\0AVI ", 12), MEDIA_FMT_UNKNOWN);
    assert_int_equal(media_sniff("\0\0\0\x18" "ftypisom", 12), MEDIA_FMT_MP4);
    assert_int_equal(media_sniff("\x1a\x45\xdf\xa3", 4), MEDIA_FMT_WEBM);
    assert_int_equal(media_sniff("OggS", 4), MEDIA_FMT_OGG);
    assert_int_equal(media_sniff("hello", 5), MEDIA_FMT_UNKNOWN);
    assert_int_equal(media_sniff(NULL, 10), MEDIA_FMT_UNKNOWN);
    assert_string_equal(media_format_name(MEDIA_FMT_PNG), "png");
    assert_string_equal(media_format_name(MEDIA_FMT_JPEG), "jpeg");
    assert_string_equal(media_format_name(MEDIA_FMT_GIF), "gif");
    assert_string_equal(media_format_name(MEDIA_FMT_WAV), "wav");
    assert_string_equal(media_format_name(MEDIA_FMT_MP4), "mp4");
    assert_string_equal(media_format_name(MEDIA_FMT_WEBM), "webm");
    assert_string_equal(media_format_name(MEDIA_FMT_OGG), "ogg");
    assert_null(media_format_name(MEDIA_FMT_UNKNOWN));
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[65];
    media_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    media_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    media_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* ---- PNG ---- */

static void test_png_round_trip(void **state)
{
    (void)state;
    static const int sizes[][2] = {{1, 1}, {7, 5}, {33, 17}, {64, 64}, {255, 3}};
    for (int ch = 1; ch <= 4; ch++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            int w = sizes[s][0], h = sizes[s][1];
            size_t row = (size_t)w * (size_t)ch;
            for (size_t pad = 0; pad <= 3; pad += 3) { /* packed, and an odd stride */
                size_t stride = row + pad;
                unsigned char *px = make_pixels(w, h, ch, stride, (uint64_t)(ch * 1000 + s));
                for (int level = -1; level <= 9; level += 5) {
                    buf png = BUF_INIT;
                    assert_int_equal(
                        media_png_encode(px, w, h, ch, pad ? stride : 0, level, &png), 0);
                    assert_int_equal(media_sniff(png.data, png.len), MEDIA_FMT_PNG);
                    int iw, ih;
                    assert_int_equal(media_image_size(png.data, png.len, &iw, &ih), 0);
                    assert_int_equal(iw, w);
                    assert_int_equal(ih, h);
                    media_pixels out;
                    assert_int_equal(media_image_decode(png.data, png.len, &out), 0);
                    assert_int_equal(out.width, w);
                    assert_int_equal(out.height, h);
                    assert_int_equal(out.channels, ch);
                    assert_rows_equal(px, stride, out.pixels, row, h, row);
                    media_pixels_free(&out);
                    /* as RGBA: gray spreads to RGB, a missing alpha is 255 */
                    assert_int_equal(media_image_decode_rgba(png.data, png.len, &out), 0);
                    assert_int_equal(out.channels, 4);
                    for (int y = 0; y < h; y++)
                        for (int x = 0; x < w; x++) {
                            const unsigned char *a = px + (size_t)y * stride + (size_t)x * ch;
                            const unsigned char *b = out.pixels + ((size_t)y * w + x) * 4;
                            unsigned char want[4];
                            if (ch <= 2)
                                want[0] = want[1] = want[2] = a[0];
                            else
                                memcpy(want, a, 3);
                            want[3] = ch == 2 ? a[1] : ch == 4 ? a[3] : 255;
                            assert_memory_equal(b, want, 4);
                        }
                    media_pixels_free(&out);
                    buf_free(&png);
                }
                free(px);
            }
        }
    }
}

static void test_png_appends(void **state)
{
    (void)state;
    unsigned char px[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    buf out = BUF_INIT;
    buf_puts(&out, "head");
    png_of(px, 2, 2, 3, 0, &out);
    assert_memory_equal(out.data, "head", 4);
    media_pixels dec;
    assert_int_equal(media_image_decode(out.data + 4, out.len - 4, &dec), 0);
    assert_memory_equal(dec.pixels, px, sizeof px);
    media_pixels_free(&dec);
    /* a refused call leaves what was there */
    size_t len = out.len;
    assert_int_equal(media_png_encode(px, 2, 2, 5, 0, -1, &out), TALLY_EMEDIA);
    assert_int_equal(media_png_encode(px, 2, 2, 3, 5, -1, &out), TALLY_EMEDIA);
    assert_int_equal(media_png_encode(px, 0, 2, 3, 0, -1, &out), TALLY_EMEDIA);
    assert_int_equal(media_png_encode(px, 2, -1, 3, 0, -1, &out), TALLY_EMEDIA);
    assert_int_equal(media_png_encode(px, 2, 2, 3, 0, 10, &out), TALLY_EMEDIA);
    assert_int_equal(media_png_encode(NULL, 2, 2, 3, 0, -1, &out), TALLY_EMEDIA);
    assert_int_equal(media_png_encode(px, TALLY_MEDIA_MAX_SIDE + 1, 1, 1, 0, -1, &out),
                     TALLY_ETOOBIG);
    assert_int_equal(media_png_encode(px, 2, 2, 3, 0, -1, NULL), TALLY_EMEDIA);
    assert_int_equal(out.len, len);
    buf_free(&out);
}

/* Rewrites a PNG's IHDR width and height (and its CRC). */
static void png_set_dims(unsigned char *png, uint32_t w, uint32_t h)
{
    for (int i = 0; i < 4; i++) {
        png[16 + i] = (unsigned char)(w >> (24 - 8 * i));
        png[20 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
    uLong crc = crc32(0, png + 12, 17);
    for (int i = 0; i < 4; i++)
        png[29 + i] = (unsigned char)(crc >> (24 - 8 * i));
}

static void test_png_refused(void **state)
{
    (void)state;
    unsigned char *px = make_pixels(40, 30, 3, 120, 7);
    buf png = BUF_INIT;
    png_of(px, 40, 30, 3, 0, &png);
    unsigned char *d = (unsigned char *)png.data;
    assert_prefixes_refused(d, png.len, 1, decode_image);
    assert_prefixes_refused(d, png.len, 7, decode_image_rgba);
    /* dimensions past the caps: refused from the header, nothing allocated */
    int w, h;
    media_pixels out;
    png_set_dims(d, 20000, 20000);
    assert_int_equal(media_image_size(d, png.len, &w, &h), TALLY_ETOOBIG);
    assert_int_equal(media_image_decode(d, png.len, &out), TALLY_ETOOBIG);
    png_set_dims(d, 8000, 8000); /* sides fine, 192 MB of pixels */
    assert_int_equal(media_image_decode(d, png.len, &out), TALLY_ETOOBIG);
    png_set_dims(d, 0x7fffffff, 1);
    assert_true(media_image_decode(d, png.len, &out) < 0);
    png_set_dims(d, 0, 30);
    assert_int_equal(media_image_decode(d, png.len, &out), TALLY_EMEDIA);
    /* more rows than the data holds */
    png_set_dims(d, 40, 31);
    assert_int_equal(media_image_decode(d, png.len, &out), TALLY_EMEDIA);
    png_set_dims(d, 40, 30);
    assert_int_equal(media_image_decode(d, png.len, &out), 0);
    media_pixels_free(&out);
    /* a flipped byte in the image data: a CRC error */
    d[png.len / 2] ^= 0x40;
    assert_int_equal(media_image_decode(d, png.len, &out), TALLY_EMEDIA);
    /* garbage after the signature */
    tu_rng r;
    tu_rng_seed(&r, 99);
    for (size_t i = 8; i < png.len; i++)
        d[i] = (unsigned char)tu_rng_below(&r, 256);
    assert_int_equal(media_image_decode(d, png.len, &out), TALLY_EMEDIA);
    assert_int_equal(media_image_size(d, png.len, &w, &h), TALLY_EMEDIA);
    assert_int_equal(media_image_decode("not an image", 12, &out), TALLY_EMEDIA);
    assert_int_equal(media_image_decode(NULL, 12, &out), TALLY_EMEDIA);
    assert_int_equal(media_image_size("not an image", 12, &w, &h), TALLY_EMEDIA);
    buf_free(&png);
    free(px);
}

/* ---- JPEG ---- */

/* A JPEG made with libjpeg itself: quality 100, no chroma subsampling. */
static unsigned char *jpeg_of(const unsigned char *px, int w, int h, int ch, unsigned long *size)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    jpeg_mem_dest(&c, &out, size);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = ch;
    c.in_color_space = ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    for (int i = 0; i < c.num_components; i++)
        c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * (size_t)w * (size_t)ch);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return out;
}

/* Smooth pixels, which JPEG at quality 100 keeps within a few levels. */
static unsigned char *gradient(int w, int h, int ch)
{
    unsigned char *p = malloc((size_t)w * h * ch);
    assert_non_null(p);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ch; c++)
                p[((size_t)y * w + x) * ch + c] = (unsigned char)((x * 3 + y * 2 + c * 40) & 0xff);
    return p;
}

static void assert_close(const unsigned char *a, const unsigned char *b, size_t n, int tol)
{
    for (size_t i = 0; i < n; i++)
        if (abs((int)a[i] - (int)b[i]) > tol)
            fail_msg("byte %zu: %d vs %d", i, a[i], b[i]);
}

static void test_jpeg_decode(void **state)
{
    (void)state;
    for (int ch = 1; ch <= 3; ch += 2) {
        int w = 37, h = 21;
        unsigned char *px = gradient(w, h, ch);
        unsigned long size = 0;
        unsigned char *jpg = jpeg_of(px, w, h, ch, &size);
        assert_int_equal(media_sniff(jpg, size), MEDIA_FMT_JPEG);
        int iw, ih;
        assert_int_equal(media_image_size(jpg, size, &iw, &ih), 0);
        assert_int_equal(iw, w);
        assert_int_equal(ih, h);
        media_pixels out;
        assert_int_equal(media_image_decode(jpg, size, &out), 0);
        assert_int_equal(out.width, w);
        assert_int_equal(out.height, h);
        assert_int_equal(out.channels, ch);
        assert_close(px, out.pixels, (size_t)w * h * ch, 4);
        media_pixels_free(&out);
        assert_int_equal(media_image_decode_rgba(jpg, size, &out), 0);
        assert_int_equal(out.channels, 4);
        for (size_t i = 0; i < (size_t)w * h; i++) {
            assert_int_equal(out.pixels[4 * i + 3], 255);
            assert_close(px + i * ch, out.pixels + 4 * i, (size_t)ch, 4);
            if (ch == 1) /* gray spreads to R, G and B */
                assert_true(out.pixels[4 * i] == out.pixels[4 * i + 2]);
        }
        media_pixels_free(&out);
        /* and the decoded pixels make a PNG that decodes to them */
        assert_int_equal(media_image_decode(jpg, size, &out), 0);
        buf png = BUF_INIT;
        png_of(out.pixels, w, h, ch, 0, &png);
        media_pixels again;
        assert_int_equal(media_image_decode(png.data, png.len, &again), 0);
        assert_memory_equal(again.pixels, out.pixels, (size_t)w * h * ch);
        media_pixels_free(&again);
        media_pixels_free(&out);
        buf_free(&png);
        free(jpg);
        free(px);
    }
}

/* The offset of the SOF0 marker's height field. */
static size_t jpeg_sof(const unsigned char *j, size_t n)
{
    for (size_t i = 2; i + 9 < n; i++)
        if (j[i] == 0xff && j[i + 1] == 0xc0)
            return i + 5;
    fail_msg("no SOF0");
    return 0;
}

static void test_jpeg_refused(void **state)
{
    (void)state;
    int w = 40, h = 24;
    unsigned char *px = gradient(w, h, 3);
    unsigned long size = 0;
    unsigned char *jpg = jpeg_of(px, w, h, 3, &size);
    assert_prefixes_refused(jpg, size, 1, decode_image);
    assert_prefixes_refused(jpg, size, 5, decode_image_rgba);
    size_t sof = jpeg_sof(jpg, size);
    media_pixels out;
    int iw, ih;
    jpg[sof] = jpg[sof + 1] = jpg[sof + 2] = jpg[sof + 3] = 0x7f; /* 32639 x 32639 */
    assert_int_equal(media_image_size(jpg, size, &iw, &ih), TALLY_ETOOBIG);
    assert_int_equal(media_image_decode(jpg, size, &out), TALLY_ETOOBIG);
    jpg[sof] = 0x1f; /* 8063 high, 32639 wide: the side is too big */
    assert_int_equal(media_image_decode(jpg, size, &out), TALLY_ETOOBIG);
    jpg[sof + 2] = 0x1f; /* 8063 x 8063 x 3: too many pixels */
    assert_int_equal(media_image_decode(jpg, size, &out), TALLY_ETOOBIG);
    jpg[sof] = 0;
    jpg[sof + 1] = (unsigned char)(h + 8); /* more rows than the data holds */
    jpg[sof + 2] = 0;
    jpg[sof + 3] = (unsigned char)w;
    assert_int_equal(media_image_decode(jpg, size, &out), TALLY_EMEDIA);
    jpg[sof + 1] = (unsigned char)h;
    assert_int_equal(media_image_decode(jpg, size, &out), 0);
    media_pixels_free(&out);
    /* garbage in the entropy-coded data, or after the markers */
    tu_rng r;
    tu_rng_seed(&r, 5);
    for (size_t i = sof + 20; i < size; i++)
        jpg[i] = (unsigned char)tu_rng_below(&r, 256);
    assert_int_equal(media_image_decode(jpg, size, &out), TALLY_EMEDIA);
    assert_int_equal(media_image_decode("\xff\xd8\xff\xff\xff\xff", 6, &out), TALLY_EMEDIA);
    free(jpg);
    free(px);
}

/* ---- float pixels ---- */

static void test_pixels_from_f32(void **state)
{
    (void)state;
    float src[2][4] = {{0.0f, 1.0f, 0.5f, -1.0f}, {2.0f, INFINITY, -INFINITY, 0.999f}};
    unsigned char dst[8];
    /* one row of two RGBA pixels... */
    assert_int_equal(media_pixels_from_f32(&src[0][0], 2, 1, 4, 0, dst), 0);
    assert_int_equal(dst[0], 0);
    assert_int_equal(dst[1], 255);
    assert_int_equal(dst[2], 127);
    assert_int_equal(dst[3], 0);
    assert_int_equal(dst[4], 255);
    assert_int_equal(dst[5], 255);
    assert_int_equal(dst[6], 0);
    assert_int_equal(dst[7], 254); /* truncated, as wandb's astype(uint8) */
    /* ...or two rows of one gray pixel with a stride of 4 floats */
    assert_int_equal(media_pixels_from_f32(&src[0][0], 1, 2, 1, 4 * sizeof(float), dst), 0);
    assert_int_equal(dst[0], 0);
    assert_int_equal(dst[1], 255);
    assert_int_equal(media_pixels_from_f32(&src[0][0], 2, 1, 4, 4, dst), TALLY_EMEDIA);
    assert_int_equal(media_pixels_from_f32(&src[0][0], 2, 1, 5, 0, dst), TALLY_EMEDIA);
    assert_int_equal(media_pixels_from_f32(NULL, 2, 1, 4, 0, dst), TALLY_EMEDIA);
    src[1][2] = NAN;
    assert_int_equal(media_pixels_from_f32(&src[0][0], 1, 1, 4, 0, dst), 0);
    assert_int_equal(media_pixels_from_f32(&src[0][0], 2, 1, 4, 0, dst), TALLY_EMEDIA);
    assert_int_equal(media_pixels_from_f32(&src[0][0], 4, 1, 2, 0, dst), TALLY_EMEDIA);
}

/* ---- histograms ---- */

/* The reference: compare every finite value with every edge. */
static void brute_histogram(const double *v, size_t n, int nbins, const double *edges,
                            double *counts)
{
    memset(counts, 0, (size_t)nbins * sizeof *counts);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        int found = 0;
        for (int b = 0; b < nbins; b++) {
            int last = b == nbins - 1;
            if (v[i] >= edges[b] && (v[i] < edges[b + 1] || (last && v[i] <= edges[b + 1]))) {
                counts[b] += 1;
                found = 1;
                break;
            }
        }
        if (!found)
            fail_msg("value %.17g in no bin", v[i]);
    }
}

static void check_histogram(const double *v, size_t n, int nbins, size_t want_skipped)
{
    double *counts = malloc((size_t)nbins * sizeof *counts);
    double *ref = malloc((size_t)nbins * sizeof *ref);
    double *edges = malloc(((size_t)nbins + 1) * sizeof *edges);
    size_t skipped = 99;
    assert_int_equal(media_histogram(v, n, nbins, counts, edges, &skipped), 0);
    assert_int_equal(skipped, want_skipped);
    for (int b = 0; b < nbins; b++)
        assert_true(edges[b] <= edges[b + 1]);
    brute_histogram(v, n, nbins, edges, ref);
    double total = 0;
    for (int b = 0; b < nbins; b++) {
        if (counts[b] != ref[b])
            fail_msg("bin %d of %d: %g, brute force %g", b, nbins, counts[b], ref[b]);
        total += counts[b];
    }
    assert_true(total == (double)(n - want_skipped));
    free(counts);
    free(ref);
    free(edges);
}

static void test_histogram(void **state)
{
    (void)state;
    tu_rng r;
    tu_rng_seed(&r, 42);
    enum { N = 5000 };
    double *v = malloc(N * sizeof *v);
    static const int nbins[] = {1, 2, 3, 7, 10, 64, 100, 333, 512};
    for (size_t k = 0; k < sizeof nbins / sizeof nbins[0]; k++) {
        for (size_t i = 0; i < N; i++)
            v[i] = tu_rng_unit(&r) * 20.0 - 7.0;
        check_histogram(v, N, nbins[k], 0);
        /* values on the edges: integers over an integer range */
        for (size_t i = 0; i < N; i++)
            v[i] = (double)tu_rng_below(&r, 11);
        check_histogram(v, N, nbins[k], 0);
        /* tenths, whose edges round */
        for (size_t i = 0; i < N; i++)
            v[i] = (double)tu_rng_below(&r, 31) * 0.1;
        check_histogram(v, N, nbins[k], 0);
    }
    /* values on every edge and a hair either side of it, for ranges whose
     * edges are regular and ranges far from zero where they round */
    static const double ranges[][2] = {{-7.0, 13.0}, {0.0, 1.0}, {1e6, 1e6 + 1e-3},
                                       {-1e-300, 1e-300}, {1e15, 1e15 + 64}, {3.0, 3.0 + 1e-12}};
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        for (int nb = 1; nb <= 512; nb = nb * 3 + 1) {
            double e[1024], c[1024], lohi[2] = {ranges[k][0], ranges[k][1]};
            size_t sk;
            assert_int_equal(media_histogram(lohi, 2, nb, c, e, &sk), 0);
            size_t m = 0;
            for (int i = 0; i <= nb; i++) {
                v[m++] = e[i];
                if (i > 0)
                    v[m++] = nextafter(e[i], -INFINITY);
                if (i < nb)
                    v[m++] = nextafter(e[i], INFINITY);
            }
            check_histogram(v, m, nb, 0);
        }
    }
    /* the extremes of the doubles: a span that overflows */
    double wide[] = {-1.7976931348623157e308, 1.7976931348623157e308, 0.0, 1e300, -3e307};
    check_histogram(wide, 5, 64, 0);
    check_histogram(wide, 5, 1, 0);
    double tiny[] = {5e-324, 1e-323, 0.0, 2e-323};
    check_histogram(tiny, 4, 10, 0);

    /* one value: numpy's [v - 0.5, v + 0.5] */
    double one[] = {3.0, 3.0, 3.0};
    double counts[4], edges[5];
    size_t skipped;
    assert_int_equal(media_histogram(one, 3, 4, counts, edges, &skipped), 0);
    assert_true(edges[0] == 2.5 && edges[4] == 3.5 && edges[2] == 3.0);
    assert_true(counts[0] == 0 && counts[1] == 0 && counts[2] == 3 && counts[3] == 0);
    double big[] = {1e300, 1e300};
    assert_int_equal(media_histogram(big, 2, 4, counts, edges, &skipped), 0);
    assert_true(counts[3] == 2 && counts[0] == 0);

    /* NaN and infinities are counted, not binned */
    double mixed[] = {NAN, 1.0, INFINITY, 2.0, -INFINITY, 3.0, NAN};
    check_histogram(mixed, 7, 2, 4);
    assert_int_equal(media_histogram(mixed, 7, 2, counts, edges, &skipped), 0);
    assert_true(edges[0] == 1.0 && edges[1] == 2.0 && edges[2] == 3.0);
    assert_true(counts[0] == 1 && counts[1] == 2);
    double none[] = {NAN, INFINITY};
    assert_int_equal(media_histogram(none, 2, 2, counts, edges, &skipped), TALLY_EMEDIA);
    assert_int_equal(skipped, 2);
    assert_int_equal(media_histogram(none, 0, 2, counts, edges, &skipped), TALLY_EMEDIA);
    assert_int_equal(media_histogram(one, 3, 0, counts, edges, &skipped), TALLY_EMEDIA);
    assert_int_equal(media_histogram(one, 3, 513, counts, edges, &skipped), TALLY_EMEDIA);
    assert_int_equal(media_histogram(NULL, 3, 2, counts, edges, &skipped), TALLY_EMEDIA);
    free(v);
}

/* ---- WAV ---- */

static uint32_t le32(const unsigned char *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }

static int decode_wav(const void *d, size_t n)
{
    media_pcm pcm;
    int rc = media_wav_decode(d, n, &pcm);
    if (rc == 0)
        media_pcm_free(&pcm);
    return rc;
}

static void test_wav_round_trip(void **state)
{
    (void)state;
    enum { FRAMES = 1001, CH = 2 };
    float *s = malloc(FRAMES * CH * sizeof *s);
    for (size_t i = 0; i < FRAMES * CH; i++)
        s[i] = (float)sin((double)i * 0.01) * (i % 7 == 0 ? 1.5f : 1.0f);
    s[0] = -1.0f;
    s[1] = 1.0f;
    s[2] = 0.0f;
    s[3] = -2.0f;
    buf wav = BUF_INIT;
    buf_puts(&wav, "x"); /* appended after what is there */
    assert_int_equal(media_wav_encode(s, FRAMES, CH, 22050, &wav), 0);
    const unsigned char *h = (const unsigned char *)wav.data + 1;
    size_t size = wav.len - 1;
    assert_int_equal(size, 44 + FRAMES * CH * 2);
    assert_memory_equal(h, "RIFF", 4);
    assert_int_equal(le32(h + 4), size - 8);
    assert_memory_equal(h + 8, "WAVEfmt ", 8);
    assert_int_equal(le32(h + 16), 16);
    assert_int_equal(le16(h + 20), 1);
    assert_int_equal(le16(h + 22), CH);
    assert_int_equal(le32(h + 24), 22050);
    assert_int_equal(le32(h + 28), 22050 * CH * 2);
    assert_int_equal(le16(h + 32), CH * 2);
    assert_int_equal(le16(h + 34), 16);
    assert_memory_equal(h + 36, "data", 4);
    assert_int_equal(le32(h + 40), FRAMES * CH * 2);
    assert_int_equal((int16_t)le16(h + 44), -32767);
    assert_int_equal((int16_t)le16(h + 46), 32767);
    assert_int_equal(media_sniff(h, size), MEDIA_FMT_WAV);
    media_pcm pcm;
    assert_int_equal(media_wav_decode(h, size, &pcm), 0);
    assert_int_equal(pcm.sample_rate, 22050);
    assert_int_equal(pcm.channels, CH);
    assert_int_equal(pcm.frames, FRAMES);
    for (size_t i = 0; i < FRAMES * CH; i++) {
        float want = s[i] < -1.0f ? -1.0f : s[i] > 1.0f ? 1.0f : s[i];
        if (fabsf(pcm.samples[i] - want) > 1.0f / 32767)
            fail_msg("sample %zu: %g, logged %g", i, pcm.samples[i], s[i]);
    }
    media_pcm_free(&pcm);
    assert_prefixes_refused(h, size, 3, decode_wav);
    assert_int_equal(media_wav_decode(h, size, NULL), TALLY_EMEDIA);
    /* empty audio is a valid WAV */
    buf empty = BUF_INIT;
    assert_int_equal(media_wav_encode(NULL, 0, 1, 8000, &empty), 0);
    assert_int_equal(empty.len, 44);
    assert_int_equal(media_wav_decode(empty.data, empty.len, &pcm), 0);
    assert_int_equal(pcm.frames, 0);
    media_pcm_free(&pcm);
    buf_free(&empty);
    /* bad arguments leave the buffer as it was */
    size_t len = wav.len;
    assert_int_equal(media_wav_encode(s, FRAMES, 0, 22050, &wav), TALLY_EMEDIA);
    assert_int_equal(media_wav_encode(s, FRAMES, 9, 22050, &wav), TALLY_EMEDIA);
    assert_int_equal(media_wav_encode(s, FRAMES, 1, 0, &wav), TALLY_EMEDIA);
    assert_int_equal(media_wav_encode(s, FRAMES, 1, 384001, &wav), TALLY_EMEDIA);
    assert_int_equal(media_wav_encode(NULL, FRAMES, 1, 8000, &wav), TALLY_EMEDIA);
    assert_int_equal(media_wav_encode(s, (size_t)1 << 40, 1, 8000, &wav), TALLY_ETOOBIG);
    s[500] = NAN;
    assert_int_equal(media_wav_encode(s, FRAMES, CH, 22050, &wav), TALLY_EMEDIA);
    assert_int_equal(wav.len, len);
    buf_free(&wav);
    free(s);
}

/* A WAV written by hand: a LIST chunk first, an odd-sized chunk with its
 * pad byte, then data before fmt. */
static size_t wav_by_hand(unsigned char *w, unsigned tag, unsigned ch, unsigned bits,
                          const void *samples, size_t bytes, int extensible)
{
    size_t n = 0;
    memcpy(w, "RIFF\0\0\0\0WAVE", 12);
    n = 12;
    memcpy(w + n, "LIST\3\0\0\0abc\0", 12); /* 3 bytes and a pad */
    n += 12;
    memcpy(w + n, "data", 4);
    w[n + 4] = (unsigned char)bytes;
    w[n + 5] = (unsigned char)(bytes >> 8);
    w[n + 6] = w[n + 7] = 0;
    memcpy(w + n + 8, samples, bytes);
    n += 8 + bytes;
    memcpy(w + n, "fmt ", 4);
    unsigned flen = extensible ? 40 : 16;
    w[n + 4] = (unsigned char)flen;
    w[n + 5] = w[n + 6] = w[n + 7] = 0;
    unsigned char *f = w + n + 8;
    memset(f, 0, flen);
    f[0] = (unsigned char)(extensible ? 0xfe : tag);
    f[1] = extensible ? 0xff : 0;
    f[2] = (unsigned char)ch;
    f[4] = 0x44; /* 44100 */
    f[5] = 0xac;
    f[12] = (unsigned char)(ch * bits / 8);
    f[14] = (unsigned char)bits;
    if (extensible) {
        f[16] = 22;
        f[18] = (unsigned char)bits;
        f[24] = (unsigned char)tag;
        memcpy(f + 26, "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71", 14);
    }
    n += 8 + flen;
    unsigned riff = (unsigned)(n - 8);
    w[4] = (unsigned char)riff;
    w[5] = (unsigned char)(riff >> 8);
    return n;
}

static void expect_wav(const unsigned char *w, size_t n, unsigned ch, const float *want,
                       size_t nwant, float tol)
{
    media_pcm pcm;
    assert_int_equal(media_wav_decode(w, n, &pcm), 0);
    assert_int_equal(pcm.sample_rate, 44100);
    assert_int_equal(pcm.channels, ch);
    assert_int_equal(pcm.frames * ch, nwant);
    for (size_t i = 0; i < nwant; i++)
        if (fabsf(pcm.samples[i] - want[i]) > tol)
            fail_msg("sample %zu: %g, want %g", i, pcm.samples[i], want[i]);
    media_pcm_free(&pcm);
}

static void test_wav_formats(void **state)
{
    (void)state;
    unsigned char w[512];
    const float want[4] = {0.0f, 1.0f, -1.0f, 0.5f};
    const unsigned char u8[4] = {128, 255, 1, 191};
    for (int ext = 0; ext <= 1; ext++) {
        expect_wav(w, wav_by_hand(w, 1, 2, 8, u8, 4, ext), 2, want, 4, 1.0f / 127);
        const unsigned char s24[12] = {0, 0, 0, 0xff, 0xff, 0x7f, 1, 0, 0x80, 0xff, 0xff, 0x3f};
        expect_wav(w, wav_by_hand(w, 1, 1, 24, s24, 12, ext), 1, want, 4, 1e-6f);
        const int32_t s32[4] = {0, INT32_MAX, -INT32_MAX, 0x3fffffff};
        expect_wav(w, wav_by_hand(w, 1, 4, 32, s32, 16, ext), 4, want, 4, 1e-6f);
        const float f32[4] = {0.0f, 3.0f, -1.0f, 0.5f}; /* clamped */
        expect_wav(w, wav_by_hand(w, 3, 1, 32, f32, 16, ext), 1, want, 4, 0.0f);
        const double f64[4] = {NAN, 1.0, -1.0, 0.5}; /* NaN reads as 0 */
        expect_wav(w, wav_by_hand(w, 3, 2, 64, f64, 32, ext), 2, want, 4, 0.0f);
    }
    /* a trailing partial frame is left out */
    const int16_t s16[3] = {0, 32767, -32767};
    expect_wav(w, wav_by_hand(w, 1, 2, 16, s16, 6, 0), 2, want, 2, 1e-6f);

    /* what is not a WAV tally reads */
    size_t n = wav_by_hand(w, 1, 1, 16, s16, 6, 0);
    assert_int_equal(decode_wav(w, n), 0);
    unsigned char bad[512];
    size_t fmt = n - 16; /* the fmt chunk's body */
    struct {
        size_t at;
        unsigned char v;
    } edits[] = { /* tag, channels, bits, rate 0, 257 channels, a short fmt, magic, data size */{fmt, 2},     {fmt, 0},          {fmt + 2, 0},  {fmt + 2, 9},
                 {fmt + 14, 12}, {fmt + 14, 0},   {fmt + 4, 0},  {fmt + 3, 1},
                 {fmt - 4, 15},  {0, 'X'},        {8, 'X'},      {30, 0xff}};
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(bad, w, n);
        bad[edits[i].at] = edits[i].v;
        if (edits[i].at == fmt + 4) /* rate 0 */
            bad[fmt + 5] = 0;
        int rc = decode_wav(bad, n);
        if (rc != TALLY_EMEDIA)
            fail_msg("edit %zu: %d", i, rc);
    }
    /* an extensible header with a GUID that is not PCM's or float's */
    n = wav_by_hand(w, 1, 1, 16, s16, 6, 1);
    assert_int_equal(decode_wav(w, n), 0);
    w[n - 2] ^= 1;
    assert_int_equal(decode_wav(w, n), TALLY_EMEDIA);
    /* no fmt, no data */
    assert_int_equal(decode_wav("RIFF\4\0\0\0WAVE", 12), TALLY_EMEDIA);
    assert_int_equal(decode_wav("RIFF\4\0\0\0WAVEdata\0\0\0\0", 20), TALLY_EMEDIA);
    assert_int_equal(decode_wav(NULL, 20), TALLY_EMEDIA);
    assert_int_equal(decode_wav("RIFF\4\0\0\0AVI ", 12), TALLY_EMEDIA);
}

static void test_wav_too_big(void **state)
{
    (void)state;
    /* 8-bit mono whose floats would pass TALLY_MEDIA_MAX_BYTES */
    size_t bytes = TALLY_MEDIA_MAX_BYTES / sizeof(float) + 2;
    unsigned char *w = calloc(1, 44 + bytes);
    assert_non_null(w);
    memcpy(w, "RIFF\0\0\0\0WAVEfmt \20\0\0\0\1\0\1\0\x40\x1f\0\0\x40\x1f\0\0\1\0\x08\0data", 40);
    for (int i = 0; i < 4; i++)
        w[40 + i] = (unsigned char)(bytes >> (8 * i));
    assert_int_equal(decode_wav(w, 44 + bytes), TALLY_ETOOBIG);
    assert_int_equal(decode_wav(w, 44 + bytes - 3), TALLY_EMEDIA);
    free(w);
}

/* ---- GIF ---- */

static int decode_gif(const void *d, size_t n)
{
    media_anim a;
    int rc = media_gif_decode(d, n, &a);
    if (rc == 0)
        media_anim_free(&a);
    return rc;
}

/* nframes frames of a few colours each, so the palette keeps them exactly. */
static unsigned char *few_colour_frames(int w, int h, int ch, int nframes)
{
    size_t frame = (size_t)w * h * ch;
    unsigned char *p = malloc(frame * nframes);
    for (int f = 0; f < nframes; f++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                unsigned char *q = p + f * frame + ((size_t)y * w + x) * ch;
                int c = (x / 3 + y / 2 + f) % 5;
                for (int k = 0; k < ch; k++)
                    q[k] = (unsigned char)(c * 60 + k * 7);
                if (ch == 4)
                    q[3] = (x + y) % 4 == 0 ? 0 : 255;
            }
    return p;
}

static void test_gif_round_trip(void **state)
{
    (void)state;
    for (int ch = 1; ch <= 4; ch++) {
        if (ch == 2)
            continue;
        int w = 13, h = 9, nf = 3;
        unsigned char *px = few_colour_frames(w, h, ch, nf);
        buf gif = BUF_INIT;
        assert_int_equal(media_gif_encode(px, nf, w, h, ch, 4.0, &gif), 0);
        assert_int_equal(media_sniff(gif.data, gif.len), MEDIA_FMT_GIF);
        media_anim a;
        assert_int_equal(media_gif_decode(gif.data, gif.len, &a), 0);
        assert_int_equal(a.width, w);
        assert_int_equal(a.height, h);
        assert_int_equal(a.nframes, nf);
        for (int f = 0; f < nf; f++) {
            assert_int_equal(a.delay_ms[f], 250);
            for (size_t i = 0; i < (size_t)w * h; i++) {
                const unsigned char *s = px + ((size_t)f * w * h + i) * ch;
                const unsigned char *d = a.rgba + ((size_t)f * w * h + i) * 4;
                if (ch == 4 && s[3] < 128) {
                    assert_int_equal(d[3], 0);
                    continue;
                }
                unsigned char want[4] = {s[0], s[ch == 1 ? 0 : 1], s[ch == 1 ? 0 : 2], 255};
                assert_memory_equal(d, want, 4);
            }
        }
        media_anim_free(&a);
        /* the header walk agrees */
        media_video_info info;
        assert_int_equal(media_video_probe(gif.data, gif.len, &info), 0);
        assert_int_equal(info.format, MEDIA_FMT_GIF);
        assert_int_equal(info.width, w);
        assert_int_equal(info.height, h);
        assert_int_equal(info.nframes, nf);
        assert_true(fabs(info.duration - 0.75) < 1e-9);
        /* an image decode is the first frame */
        int iw, ih;
        assert_int_equal(media_image_size(gif.data, gif.len, &iw, &ih), 0);
        assert_true(iw == w && ih == h);
        media_pixels first;
        assert_int_equal(media_image_decode(gif.data, gif.len, &first), 0);
        assert_int_equal(first.channels, ch == 4 ? 4 : 3);
        assert_int_equal(first.pixels[0], px[0]);
        media_pixels_free(&first);
        buf_free(&gif);
        free(px);
    }
}

static void test_gif_median_cut(void **state)
{
    (void)state;
    int w = 64, h = 48, nf = 2;
    size_t n = (size_t)w * h;
    unsigned char *px = malloc(n * 3 * nf);
    tu_rng r;
    tu_rng_seed(&r, 3);
    for (int f = 0; f < nf; f++)
        for (size_t i = 0; i < n; i++) { /* a gradient with noise: thousands of colours */
            unsigned char *p = px + (f * n + i) * 3;
            int x = (int)(i % w), y = (int)(i / w);
            p[0] = (unsigned char)(x * 4 + tu_rng_below(&r, 8));
            p[1] = (unsigned char)(y * 5 + tu_rng_below(&r, 8));
            p[2] = (unsigned char)(f ? 200 : (x + y) * 2);
        }
    buf gif = BUF_INIT;
    assert_int_equal(media_gif_encode(px, nf, w, h, 3, 10.0, &gif), 0);
    media_anim a;
    assert_int_equal(media_gif_decode(gif.data, gif.len, &a), 0);
    assert_int_equal(a.nframes, nf);
    assert_int_equal(a.delay_ms[0], 100);
    /* close on average; a rare colour may land in a wide box */
    double err = 0;
    size_t far = 0;
    for (int f = 0; f < nf; f++)
        for (size_t i = 0; i < n; i++) {
            int worst = 0;
            for (int c = 0; c < 3; c++) {
                int d = abs((int)px[(f * n + i) * 3 + c] - (int)a.rgba[(f * n + i) * 4 + c]);
                err += d;
                worst = d > worst ? d : worst;
            }
            far += worst > 24;
        }
    err /= (double)(n * 3 * nf);
    if (err > 4.0 || far > n * nf / 100)
        fail_msg("mean error %.2f, %zu pixels off by more than 24", err, far);
    media_anim_free(&a);
    buf_free(&gif);
    free(px);
}

/* A GIF written with giflib directly: 4x4, four colours, frames with
 * offsets, every disposal mode, a transparent index and interlacing. */
static void put_frame(GifFileType *g, int disposal, int transparent, int left, int top, int w,
                      int h, int interlace, const GifPixelType *lines)
{
    GraphicsControlBlock gcb = {disposal, false, 7, transparent};
    GifByteType ext[4];
    size_t n = EGifGCBToExtension(&gcb, ext);
    assert_int_equal(EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)n, ext), GIF_OK);
    assert_int_equal(EGifPutImageDesc(g, left, top, w, h, interlace, NULL), GIF_OK);
    for (int y = 0; y < h; y++) {
        GifPixelType row[16];
        memcpy(row, lines + y * w, (size_t)w);
        assert_int_equal(EGifPutLine(g, row, w), GIF_OK);
    }
}

static int gif_to_buf(GifFileType *g, const GifByteType *d, int n)
{
    buf_append(g->UserData, d, (size_t)n);
    return n;
}

static void test_gif_compositing(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    int err;
    GifFileType *g = EGifOpen(&b, gif_to_buf, &err);
    assert_non_null(g);
    EGifSetGifVersion(g, true);
    GifColorType colours[4] = {{255, 0, 0}, {0, 0, 255}, {0, 255, 0}, {255, 255, 255}};
    ColorMapObject *map = GifMakeMapObject(4, colours);
    assert_int_equal(EGifPutScreenDesc(g, 4, 4, 8, 0, map), GIF_OK);
    GifFreeMapObject(map);
    const GifPixelType red[16] = {0};
    const GifPixelType blue[4] = {1, 1, 1, 1};
    const GifPixelType green[1] = {2};
    const GifPixelType white[1] = {3};
    const GifPixelType see_through[4] = {3, 2, 2, 3}; /* index 2 is transparent here */
    /* interlaced rows arrive in the order 0, 2, 1, 3 */
    const GifPixelType striped[16] = {0, 0, 0, 0, 2, 2, 2, 2, 1, 1, 1, 1, 3, 3, 3, 3};
    put_frame(g, DISPOSE_DO_NOT, NO_TRANSPARENT_COLOR, 0, 0, 4, 4, 0, red);
    put_frame(g, DISPOSE_BACKGROUND, NO_TRANSPARENT_COLOR, 1, 1, 2, 2, 0, blue);
    put_frame(g, DISPOSE_PREVIOUS, NO_TRANSPARENT_COLOR, 0, 0, 1, 1, 0, green);
    put_frame(g, DISPOSE_DO_NOT, 2, 2, 3, 2, 2, 0, see_through); /* clipped below the screen */
    put_frame(g, DISPOSE_DO_NOT, NO_TRANSPARENT_COLOR, 3, 3, 1, 1, 0, white);
    put_frame(g, DISPOSE_DO_NOT, NO_TRANSPARENT_COLOR, 0, 0, 4, 4, 1, striped);
    assert_int_equal(EGifCloseFile(g, &err), GIF_OK);

    /* what each frame shows: R red, B blue, G green, W white, . clear */
    static const char *const want[6] = {
        "RRRRRRRRRRRRRRRR", "RRRRRBBRRBBRRRRR", "GRRRR..RR..RRRRR",
        "RRRRR..RR..RRRWR", "RRRRR..RR..RRRWW", "RRRRBBBBGGGGWWWW",
    };
    media_anim a;
    assert_int_equal(media_gif_decode(b.data, b.len, &a), 0);
    assert_int_equal(a.nframes, 6);
    for (int f = 0; f < 6; f++) {
        assert_int_equal(a.delay_ms[f], 70);
        for (int i = 0; i < 16; i++) {
            const unsigned char *p = a.rgba + ((size_t)f * 16 + i) * 4;
            unsigned char e[4] = {0, 0, 0, 255};
            switch (want[f][i]) {
            case 'R': e[0] = 255; break;
            case 'B': e[2] = 255; break;
            case 'G': e[1] = 255; break;
            case 'W': e[0] = e[1] = e[2] = 255; break;
            default: e[3] = 0; break;
            }
            if (memcmp(p, e, 4) != 0)
                fail_msg("frame %d pixel %d: %d,%d,%d,%d, want %c", f, i, p[0], p[1], p[2], p[3],
                         want[f][i]);
        }
    }
    media_anim_free(&a);
    media_video_info info;
    assert_int_equal(media_video_probe(b.data, b.len, &info), 0);
    assert_int_equal(info.nframes, 6);
    assert_true(fabs(info.duration - 0.42) < 1e-9);
    buf_free(&b);
}

/* Rewrites the first image descriptor's size (after the loop extension
 * and the first control block of a tally-made GIF). */
static size_t gif_first_desc(const unsigned char *g, size_t n)
{
    for (size_t i = 13; i + 10 < n; i++)
        if (g[i] == 0x2c && g[i - 1] == 0 && g[i - 8] == 0x21 && g[i - 7] == 0xf9)
            return i;
    fail_msg("no image descriptor");
    return 0;
}

static void test_gif_refused(void **state)
{
    (void)state;
    int w = 10, h = 6;
    unsigned char *px = few_colour_frames(w, h, 3, 3);
    buf gif = BUF_INIT;
    assert_int_equal(media_gif_encode(px, 3, w, h, 3, 4.0, &gif), 0);
    unsigned char *d = (unsigned char *)gif.data;
    assert_prefixes_refused(d, gif.len, 1, decode_gif);
    for (size_t n = 0; n < gif.len; n++) {
        media_video_info info;
        assert_int_equal(media_video_probe(d, n, &info), TALLY_EMEDIA);
    }
    media_anim a;
    media_pixels px1;
    /* a screen past the caps */
    d[6] = d[7] = d[8] = d[9] = 0x40; /* 16448 x 16448 */
    assert_int_equal(media_gif_decode(d, gif.len, &a), TALLY_ETOOBIG);
    assert_int_equal(media_image_decode(d, gif.len, &px1), TALLY_ETOOBIG);
    d[7] = d[9] = 0x10; /* 4160 x 4160 x 4: over the pixel cap */
    assert_int_equal(media_gif_decode(d, gif.len, &a), TALLY_ETOOBIG);
    d[6] = (unsigned char)w;
    d[8] = (unsigned char)h;
    d[7] = d[9] = 0;
    d[6] = 0; /* width 0 */
    assert_int_equal(media_gif_decode(d, gif.len, &a), TALLY_EMEDIA);
    d[6] = (unsigned char)w;
    assert_int_equal(media_gif_decode(d, gif.len, &a), 0);
    media_anim_free(&a);
    /* a frame far bigger than the screen, whose pixels are not there */
    size_t desc = gif_first_desc(d, gif.len);
    d[desc + 5] = d[desc + 6] = d[desc + 7] = d[desc + 8] = 0xff;
    assert_int_equal(media_gif_decode(d, gif.len, &a), TALLY_ETOOBIG);
    d[desc + 6] = d[desc + 8] = 0; /* 255 x 255: the data runs out */
    assert_int_equal(media_gif_decode(d, gif.len, &a), TALLY_EMEDIA);
    d[desc + 5] = d[desc + 7] = 0; /* 0 x 0 */
    assert_int_equal(media_gif_decode(d, gif.len, &a), TALLY_EMEDIA);
    /* garbage after the header */
    tu_rng r;
    tu_rng_seed(&r, 11);
    for (size_t i = 13; i < gif.len; i++)
        d[i] = (unsigned char)tu_rng_below(&r, 256);
    assert_int_equal(media_gif_decode(d, gif.len, &a), TALLY_EMEDIA);
    /* no frames at all */
    assert_int_equal(decode_gif("GIF89a\1\0\1\0\0\0\0;", 14), TALLY_EMEDIA);
    assert_int_equal(decode_gif("GIF89a", 6), TALLY_EMEDIA);
    assert_int_equal(decode_gif(NULL, 6), TALLY_EMEDIA);
    assert_int_equal(media_gif_decode(px, 6, NULL), TALLY_EMEDIA);
    /* bad arguments to the encoder leave the buffer as it was */
    size_t len = gif.len;
    assert_int_equal(media_gif_encode(px, 0, w, h, 3, 4.0, &gif), TALLY_EMEDIA);
    assert_int_equal(media_gif_encode(px, 1, w, h, 2, 4.0, &gif), TALLY_EMEDIA);
    assert_int_equal(media_gif_encode(px, 1, 0, h, 3, 4.0, &gif), TALLY_EMEDIA);
    assert_int_equal(media_gif_encode(px, 1, w, h, 3, 0.0, &gif), TALLY_EMEDIA);
    assert_int_equal(media_gif_encode(px, 1, w, h, 3, NAN, &gif), TALLY_EMEDIA);
    assert_int_equal(media_gif_encode(NULL, 1, w, h, 3, 4.0, &gif), TALLY_EMEDIA);
    assert_int_equal(media_gif_encode(px, 1, 20000, 1, 3, 4.0, &gif), TALLY_ETOOBIG);
    assert_int_equal(gif.len, len);
    buf_free(&gif);
    free(px);
}

/* ---- video headers ---- */

/* Appends an MP4 box: size, type, body. */
static void box(buf *b, const char *type, const void *body, size_t len)
{
    unsigned char h[8] = {(unsigned char)((len + 8) >> 24), (unsigned char)((len + 8) >> 16),
                          (unsigned char)((len + 8) >> 8), (unsigned char)(len + 8)};
    memcpy(h + 4, type, 4);
    buf_append(b, h, 8);
    buf_append(b, body, len);
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* ftyp, moov (mvhd 12.5 s, an audio track, a 320x240 video track of 300
 * samples), mdat. */
static void make_mp4(buf *out)
{
    buf moov = BUF_INIT, trak = BUF_INIT, t = BUF_INIT, nest = BUF_INIT;
    unsigned char mvhd[100] = {0};
    put_be32(mvhd + 12, 1000);
    put_be32(mvhd + 16, 12500);
    box(&moov, "mvhd", mvhd, sizeof mvhd);
    unsigned char tkhd[84] = {0};
    box(&trak, "tkhd", tkhd, sizeof tkhd); /* audio: no size */
    box(&moov, "trak", trak.data, trak.len);
    buf_reset(&trak);
    put_be32(tkhd + 76, 320u << 16);
    put_be32(tkhd + 80, 240u << 16);
    box(&trak, "tkhd", tkhd, sizeof tkhd);
    unsigned char stsz[12] = {0};
    put_be32(stsz + 8, 300);
    box(&nest, "stsz", stsz, sizeof stsz);
    box(&t, "stbl", nest.data, nest.len);
    buf_reset(&nest);
    box(&nest, "minf", t.data, t.len);
    buf_reset(&t);
    box(&t, "mdia", nest.data, nest.len);
    buf_append(&trak, t.data, t.len);
    box(&moov, "trak", trak.data, trak.len);
    box(out, "ftyp", "isom\0\0\2\0isomiso2", 16);
    box(out, "moov", moov.data, moov.len);
    box(out, "mdat", "0123456789abcdef", 16);
    buf_free(&moov);
    buf_free(&trak);
    buf_free(&t);
    buf_free(&nest);
}

static void test_video_probe(void **state)
{
    (void)state;
    media_video_info info;
    buf mp4 = BUF_INIT;
    make_mp4(&mp4);
    assert_int_equal(media_video_probe(mp4.data, mp4.len, &info), 0);
    assert_int_equal(info.format, MEDIA_FMT_MP4);
    assert_int_equal(info.width, 320);
    assert_int_equal(info.height, 240);
    assert_int_equal(info.nframes, 300);
    assert_true(fabs(info.duration - 12.5) < 1e-9);
    /* cut inside the last box or inside moov: refused */
    assert_int_equal(media_video_probe(mp4.data, mp4.len - 1, &info), TALLY_EMEDIA);
    assert_int_equal(info.format, MEDIA_FMT_UNKNOWN);
    assert_int_equal(media_video_probe(mp4.data, 60, &info), TALLY_EMEDIA);
    /* a box whose size is past the end, or smaller than its header */
    unsigned char *m = (unsigned char *)mp4.data;
    m[24 + 3] = 0xff; /* moov's size */
    assert_int_equal(media_video_probe(m, mp4.len, &info), TALLY_EMEDIA);
    m[24 + 3] = 4;
    assert_int_equal(media_video_probe(m, mp4.len, &info), TALLY_EMEDIA);
    /* no moov */
    buf bare = BUF_INIT;
    box(&bare, "ftyp", "isom\0\0\2\0", 8);
    box(&bare, "mdat", "xx", 2);
    assert_int_equal(media_video_probe(bare.data, bare.len, &info), TALLY_EMEDIA);
    buf_free(&bare);
    buf_free(&mp4);

    /* WebM: EBML header, a Segment of unknown size with Info and Tracks */
    static const unsigned char webm[] = {
        0x1a, 0x45, 0xdf, 0xa3, 0x87, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm',
        0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x15, 0x49, 0xa9, 0x66, 0x8e, /* Info */
        0x2a, 0xd7, 0xb1, 0x83, 0x0f, 0x42, 0x40,     /* TimecodeScale 1000000 */
        0x44, 0x89, 0x84, 0x45, 0x1c, 0x40, 0x00,     /* Duration 2500.0f */
        0x16, 0x54, 0xae, 0x6b, 0x8c, 0xae, 0x8a,     /* Tracks, TrackEntry */
        0xe0, 0x88, 0xb0, 0x82, 0x01, 0x40, 0xba, 0x82, 0x00, 0xf0, /* 320 x 240 */
        0x1f, 0x43, 0xb6, 0x75, 0x82, 0xe7, 0x80,     /* a Cluster */
    };
    assert_int_equal(media_video_probe(webm, sizeof webm, &info), 0);
    assert_int_equal(info.format, MEDIA_FMT_WEBM);
    assert_int_equal(info.width, 320);
    assert_int_equal(info.height, 240);
    assert_true(fabs(info.duration - 2.5) < 1e-9);
    for (size_t n = 0; n < 28; n++) /* into the header or the Segment's size */
        assert_int_equal(media_video_probe(webm, n, &info), TALLY_EMEDIA);
    assert_int_equal(media_video_probe(webm, sizeof webm - 3, &info), TALLY_EMEDIA);
    unsigned char bad[sizeof webm];
    memcpy(bad, webm, sizeof webm);
    bad[8] = 'x'; /* DocType "xebm" */
    assert_int_equal(media_video_probe(bad, sizeof bad, &info), TALLY_EMEDIA);
    memcpy(bad, webm, sizeof webm);
    bad[28] = 0xff; /* Info's size unknown: runs to the end, where it does not parse */
    assert_int_equal(media_video_probe(bad, sizeof bad, &info), TALLY_EMEDIA);

    /* Ogg: a Theora stream's first page and one more */
    unsigned char ogg[27 + 1 + 42 + 27 + 1 + 3] = {0};
    memcpy(ogg, "OggS", 4);
    ogg[5] = 2; /* first page of its stream */
    ogg[26] = 1;
    ogg[27] = 42;
    unsigned char *th = ogg + 28;
    memcpy(th, "\x80theora\3\2\1", 10);
    th[14] = 0;
    th[15] = 0x02; /* 640 */
    th[16] = 0x80;
    th[19] = 0xe0; /* 480 */
    th[18] = 0x01;
    unsigned char *p2 = ogg + 28 + 42;
    memcpy(p2, "OggS", 4);
    p2[26] = 1;
    p2[27] = 3;
    assert_int_equal(media_video_probe(ogg, sizeof ogg, &info), 0);
    assert_int_equal(info.format, MEDIA_FMT_OGG);
    assert_int_equal(info.width, 640);
    assert_int_equal(info.height, 480);
    assert_true(info.duration == 0.0 && info.nframes == 0);
    assert_int_equal(media_video_probe(ogg, sizeof ogg - 1, &info), TALLY_EMEDIA);
    assert_int_equal(media_video_probe(ogg, 30, &info), TALLY_EMEDIA);
    ogg[4] = 1; /* a version Ogg does not have */
    assert_int_equal(media_video_probe(ogg, sizeof ogg, &info), TALLY_EMEDIA);

    assert_int_equal(media_video_probe("\x89PNG\r\n\x1a\n", 8, &info), TALLY_EMEDIA);
    assert_int_equal(media_video_probe(NULL, 8, &info), TALLY_EMEDIA);
    assert_int_equal(media_video_probe(webm, sizeof webm, NULL), TALLY_EMEDIA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_png_round_trip),
        cmocka_unit_test(test_png_appends),
        cmocka_unit_test(test_png_refused),
        cmocka_unit_test(test_jpeg_decode),
        cmocka_unit_test(test_jpeg_refused),
        cmocka_unit_test(test_pixels_from_f32),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_wav_round_trip),
        cmocka_unit_test(test_wav_formats),
        cmocka_unit_test(test_wav_too_big),
        cmocka_unit_test(test_gif_round_trip),
        cmocka_unit_test(test_gif_median_cut),
        cmocka_unit_test(test_gif_compositing),
        cmocka_unit_test(test_gif_refused),
        cmocka_unit_test(test_video_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
