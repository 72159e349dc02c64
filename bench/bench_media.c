/*
 * bench_media.c — the cost of logging media, each figure a ratio against a
 * baseline measured in the same run: tally_log_image's caller cost for a
 * 256x256 RGB image against a memcpy of its pixels; the flusher's PNG
 * throughput (copy, encode, sha256, SQLite) against libpng encoding the
 * same images directly; tally_log_histogram of 10^6 values against a plain
 * C binning loop; bytes on disk per image against its PNG size.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <png.h>

#include "tally.h"

#include "benchutil.h"

#define SIDE 256
#define IMAGE_BYTES (SIDE * SIDE * 3)
#define CALLER_IMAGES 100 /* caller cost */
#define FLUSH_IMAGES 40   /* throughput */
#define HIST_VALUES 1000000
#define HIST_BINS 64
#define REPEATS 3

/* A photo-like image: smooth gradients plus a little noise, different
 * for every seed (so every image is a blob of its own). */
static void make_image(unsigned char *px, unsigned seed)
{
    uint32_t r = seed * 2654435761u + 1;
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            r = r * 1664525u + 1013904223u;
            unsigned char *p = px + ((size_t)y * SIDE + (size_t)x) * 3;
            p[0] = (unsigned char)(x + seed + (r >> 29));
            p[1] = (unsigned char)(y * 2 + (r >> 30));
            p[2] = (unsigned char)((x ^ y) + seed * 3);
        }
}

/* ---- libpng directly: the throughput baseline ---- */

typedef struct membuf {
    unsigned char *data;
    size_t len, cap;
} membuf;

static void mem_write(png_structp png, png_bytep data, png_size_t n)
{
    membuf *m = png_get_io_ptr(png);
    if (m->len + n > m->cap) {
        size_t cap = (m->len + n) * 2;
        unsigned char *d = realloc(m->data, cap);
        if (!d)
            png_error(png, "out of memory");
        m->data = d;
        m->cap = cap;
    }
    memcpy(m->data + m->len, data, n);
    m->len += n;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

/* Encodes an RGB image with libpng's defaults; its size in bytes, 0 on failure. */
static size_t libpng_encode(const unsigned char *px, membuf *out)
{
    out->len = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return 0;
    }
    png_set_write_fn(png, out, mem_write, mem_flush);
    png_set_IHDR(png, info, SIDE, SIDE, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < SIDE; y++)
        png_write_row(png, (png_const_bytep)(px + (size_t)y * SIDE * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return out->len;
}

/* ---- a plain binning loop: the histogram baseline ---- */

static void plain_histogram(const double *v, size_t n, int nbins, double *counts)
{
    double lo = DBL_MAX, hi = -DBL_MAX;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < lo)
            lo = v[i];
        if (v[i] > hi)
            hi = v[i];
    }
    memset(counts, 0, (size_t)nbins * sizeof *counts);
    double scale = nbins / (hi - lo);
    for (size_t i = 0; i < n; i++) {
        int k = (int)((v[i] - lo) * scale);
        counts[k >= nbins ? nbins - 1 : k]++;
    }
}

int main(void)
{
    setenv("TALLY_QUIET", "1", 1);
    char dir[] = "/tmp/tally-bench-media-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    int fail = 0;
    unsigned char *images = malloc((size_t)FLUSH_IMAGES * IMAGE_BYTES);
    unsigned char *copy = malloc(IMAGE_BYTES);
    double *values = malloc(HIST_VALUES * sizeof *values);
    if (!images || !copy || !values)
        return 1;
    for (int i = 0; i < FLUSH_IMAGES; i++)
        make_image(images + (size_t)i * IMAGE_BYTES, (unsigned)i);

    /* 1. caller cost: one tally_log_image against one memcpy of the same
     * pixels, best of REPEATS.  Its commit and a flush come after, outside
     * the timing: a training step takes longer than encoding an image, so
     * the flusher keeps up, and hands its copy buffers back (media.c). */
    double best_log = 1e9, best_copy = 1e9;
    for (int rep = 0; rep < REPEATS && !fail; rep++) {
        tally_run *run = bench_start_run(dir, "bench");
        if (!run)
            return 1;
        double spent = 0, copying = 0;
        for (int i = 0; i < CALLER_IMAGES; i++) {
            const unsigned char *px = images + (size_t)(i % FLUSH_IMAGES) * IMAGE_BYTES;
            tally_image im = {.pixels = px, .width = SIDE, .height = SIDE, .channels = 3};
            double t0 = bench_cpu_now();
            fail |= tally_log_image(run, "img", &im) != TALLY_OK;
            spent += bench_cpu_now() - t0;
            tally_commit(run);
            tally_flush(run);
            /* The baseline in the same moment, from the same pixels. */
            px = images + (size_t)((i + 1) % FLUSH_IMAGES) * IMAGE_BYTES;
            t0 = bench_cpu_now();
            memcpy(copy, px, IMAGE_BYTES);
            __asm__ volatile("" : : "r"(copy) : "memory");
            copying += bench_cpu_now() - t0;
        }
        fail |= tally_finish(run, 0) != TALLY_OK;
        if (spent / CALLER_IMAGES < best_log)
            best_log = spent / CALLER_IMAGES;
        if (copying / CALLER_IMAGES < best_copy)
            best_copy = copying / CALLER_IMAGES;
    }

    /* 2. throughput: FLUSH_IMAGES distinct images logged, committed and
     * flushed (the flusher encodes, hashes, inserts), against libpng
     * encoding them directly; best of REPEATS each. */
    membuf out = {0};
    double best_png = 1e9, best_tally = 1e9;
    size_t png_bytes = 0;
    long long disk_per_image = 0;
    for (int rep = 0; rep < REPEATS && !fail; rep++) {
        double t0 = bench_now();
        png_bytes = 0;
        for (int i = 0; i < FLUSH_IMAGES; i++)
            png_bytes += libpng_encode(images + (size_t)i * IMAGE_BYTES, &out);
        double t = bench_now() - t0;
        if (t < best_png)
            best_png = t;

        tally_run *run = bench_start_run(dir, "bench");
        if (!run)
            return 1;
        t0 = bench_now();
        for (int i = 0; i < FLUSH_IMAGES; i++) {
            tally_image im = {.pixels = images + (size_t)i * IMAGE_BYTES, .width = SIDE,
                              .height = SIDE, .channels = 3};
            fail |= tally_log_image(run, "img", &im) != TALLY_OK;
            tally_commit(run);
        }
        fail |= tally_flush(run) != TALLY_OK;
        t = bench_now() - t0;
        if (t < best_tally)
            best_tally = t;
        char *path = strdup(tally_run_path(run));
        fail |= tally_finish(run, 0) != TALLY_OK;
        disk_per_image = path ? bench_file_size(path) / FLUSH_IMAGES : -1;
        free(path);
    }
    free(out.data);

    /* 3. histogram of 10^6 values against a plain loop, best of REPEATS. */
    uint64_t r = 88172645463325252ull;
    for (size_t i = 0; i < HIST_VALUES; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        values[i] = (double)(r >> 11) / 9007199254740992.0 * 6 - 3;
    }
    double best_hist = 1e9, best_plain = 1e9, counts[HIST_BINS], sink = 0;
    tally_run *run = bench_start_run(dir, "bench");
    for (int rep = 0; run && rep < REPEATS && !fail; rep++) {
        double t0 = bench_cpu_now();
        fail |= tally_log_histogram(run, "grad", values, HIST_VALUES, HIST_BINS) != TALLY_OK;
        double t = bench_cpu_now() - t0;
        tally_commit(run);
        if (t < best_hist)
            best_hist = t;
        t0 = bench_cpu_now();
        plain_histogram(values, HIST_VALUES, HIST_BINS, counts);
        t = bench_cpu_now() - t0;
        sink += counts[rep % HIST_BINS];
        if (t < best_plain)
            best_plain = t;
    }
    if (!run || tally_finish(run, 0) != TALLY_OK)
        fail = 1;

    double png_per_image = (double)png_bytes / FLUSH_IMAGES;
    printf("workload: %dx%d RGB images (%d bytes of pixels), histograms of %d values\n", SIDE,
           SIDE, IMAGE_BYTES, HIST_VALUES);
    printf("tally_log_image caller  %8.1f us/image\n", best_log * 1e6);
    printf("memcpy of its pixels    %8.1f us/image\n", best_copy * 1e6);
    printf("caller / memcpy         %8.2f x          (target <= 3)\n", best_log / best_copy);
    printf("tally flusher PNG       %8.1f images/s (log + commit + flush)\n",
           FLUSH_IMAGES / best_tally);
    printf("libpng directly         %8.1f images/s\n", FLUSH_IMAGES / best_png);
    printf("tally / libpng          %8.2f x          (target >= 0.8)\n", best_png / best_tally);
    printf("tally_log_histogram     %8.2f ms (%d values, %d bins)\n", best_hist * 1e3,
           HIST_VALUES, HIST_BINS);
    printf("plain binning loop      %8.2f ms\n", best_plain * 1e3);
    printf("histogram / plain       %8.2f x          (target <= 2)\n", best_hist / best_plain);
    printf("bytes on disk per image %8lld (its PNG: %.0f)\n", disk_per_image, png_per_image);
    printf("disk / PNG              %8.3f x\n", (double)disk_per_image / png_per_image);
    if (sink < 0)
        printf("%g\n", sink);
    free(images);
    free(copy);
    free(values);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fail = 1;
    if (fail)
        fprintf(stderr, "bench_media: a call failed\n");
    return fail;
}
