/*
 * bench_codecs.c — the codecs of src/media against their libraries used
 * directly, in the same run (ratios survive a noisy shared machine):
 *
 * - PNG encoding: media_png_encode of 256x256 RGB images (what the flusher
 *   does for every logged image) against libpng with its defaults writing
 *   the same images to memory; target >= 0.8x libpng's throughput;
 * - histograms: media_histogram of 10^6 values in 64 bins (what
 *   tally_log_histogram runs on the caller) against a plain C loop (min and
 *   max, then one division a value); target <= 2x its time.
 */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "media/media.h"

#define SIDE 256
#define NIMAGES 8
#define ROUNDS 5
#define NVALUES 1000000
#define NBINS 64

/* CPU time: on a machine shared by many builds, wall time is mostly
 * waiting for a core. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 0..7, a different one for each i: the noise in the test data. */
static unsigned noise(size_t i) { return (unsigned)((uint32_t)(i * 2654435761u) >> 29); }

/* Smooth shapes with a little noise, as camera-like images have. */
static unsigned char *make_image(int k)
{
    unsigned char *p = malloc(SIDE * SIDE * 3);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            unsigned char *q = p + ((size_t)y * SIDE + x) * 3;
            double d = sqrt((x - 128.0) * (x - 128.0) + (y - 100.0 - k) * (y - 100.0 - k));
            q[0] = (unsigned char)(128 + 100 * sin(d / (9.0 + k)) + noise((size_t)(y * SIDE + x)));
            q[1] = (unsigned char)((x * (k + 1) + y) & 0xff);
            q[2] = (unsigned char)(200 - y / 2 + noise((size_t)(x * SIDE + y + k)));
        }
    return p;
}

/* libpng used directly: defaults, rows to a growing buffer. */
static void libpng_put(png_structp png, png_bytep data, size_t len)
{
    buf_append(png_get_io_ptr(png), data, len);
}

static void libpng_flush(png_structp png) { (void)png; }

static int libpng_encode(const unsigned char *px, buf *out)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_set_write_fn(png, out, libpng_put, libpng_flush);
    png_set_IHDR(png, info, SIDE, SIDE, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_bytep rows[SIDE];
    for (int y = 0; y < SIDE; y++)
        rows[y] = (png_bytep)px + (size_t)y * SIDE * 3;
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

static void plain_histogram(const double *v, size_t n, double *counts)
{
    double lo = v[0], hi = v[0];
    for (size_t i = 1; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    memset(counts, 0, NBINS * sizeof *counts);
    double scale = NBINS / (hi - lo);
    for (size_t i = 0; i < n; i++) {
        int b = (int)((v[i] - lo) * scale);
        counts[b >= NBINS ? NBINS - 1 : b] += 1;
    }
}

/* Seconds to encode every image, with media_png_encode or libpng. */
static double png_round(unsigned char **images, int with_libpng, buf *out, size_t *bytes)
{
    double t0 = now();
    *bytes = 0;
    for (int k = 0; k < NIMAGES; k++) {
        buf_reset(out);
        int rc = with_libpng ? libpng_encode(images[k], out)
                             : media_png_encode(images[k], SIDE, SIDE, 3, 0, -1, out);
        if (rc != 0)
            exit(1);
        *bytes += out->len;
    }
    return now() - t0;
}

/* Seconds for one histogram of the values, with media_histogram or the
 * plain loop. */
static double histogram_round(const double *v, int plain)
{
    double counts[NBINS], edges[NBINS + 1];
    size_t skipped;
    double t0 = now();
    if (plain)
        plain_histogram(v, NVALUES, counts);
    else if (media_histogram(v, NVALUES, NBINS, counts, edges, &skipped) != 0)
        exit(1);
    return now() - t0;
}

int main(void)
{
    unsigned char *images[NIMAGES];
    for (int k = 0; k < NIMAGES; k++)
        images[k] = make_image(k);
    buf out = BUF_INIT;
    double t_media = 1e30, t_lib = 1e30;
    size_t bytes_media = 0, bytes_lib = 0;
    for (int r = 0; r < ROUNDS; r++) { /* interleaved, best of ROUNDS each */
        t_media = fmin(t_media, png_round(images, 0, &out, &bytes_media));
        t_lib = fmin(t_lib, png_round(images, 1, &out, &bytes_lib));
    }
    double ratio = t_lib / t_media;
    printf("png encode 256x256 RGB: media_png_encode %.2f ms/image, libpng %.2f ms/image: "
           "%.2fx libpng's throughput (target >= 0.8x); %zu vs %zu bytes\n",
           t_media * 1e3 / NIMAGES, t_lib * 1e3 / NIMAGES, ratio, bytes_media, bytes_lib);

    double *v = malloc(NVALUES * sizeof *v);
    for (size_t i = 0; i < NVALUES; i++) /* a triangular spread, as gradients have */
        v[i] = ((double)(i * 7919 % 10007) + (double)(i * 104729 % 9973) - 10000.0) * 1e-4 +
               noise(i) * 1e-6;
    double h_media = 1e30, h_plain = 1e30;
    for (int r = 0; r < ROUNDS * 2; r++) {
        h_media = fmin(h_media, histogram_round(v, 0));
        h_plain = fmin(h_plain, histogram_round(v, 1));
    }
    printf("histogram of 10^6 values, 64 bins: media_histogram %.2f ms, plain loop %.2f ms: "
           "%.2fx its time (target <= 2x)\n",
           h_media * 1e3, h_plain * 1e3, h_media / h_plain);
    for (int k = 0; k < NIMAGES; k++)
        free(images[k]);
    free(v);
    buf_free(&out);
    return 0;
}
