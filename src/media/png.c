/*
 * png.c — PNG through libpng: media_png_encode (the flusher stores every
 * image this way) and the PNG half of media_image_decode / _size.
 * libpng reports errors by longjmp: each call installs its own error and
 * warning functions (nothing is printed), keeps everything it allocates in
 * a png_job the caller frees, and does its libpng work in one function
 * whose setjmp is the only way out of libpng.
 */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_internal.h"
#include "tally.h"

/* Ancillary chunks (text, ICC profiles, ...) are never needed: the decoder
 * skips them unread so a zTXt bomb costs nothing.  Whatever is kept is
 * capped. */
#define PNG_CHUNK_MAX (8u << 20)

typedef struct png_job {
    png_structp png;
    png_infop info;
    const unsigned char *src; /* decode: the bytes and how far libpng has read */
    size_t size, pos;
    buf *out; /* encode: where the bytes go */
    int nomem;
    unsigned char *pixels;
    png_bytep *rows;
} png_job;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_job *job = png_get_error_ptr(png);
    if (msg && strstr(msg, "memory"))
        job->nomem = 1;
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_put(png_structp png, png_bytep data, size_t len)
{
    png_job *job = png_get_io_ptr(png);
    buf_append(job->out, data, len);
    if (job->out->oom) {
        job->nomem = 1;
        png_error(png, "out of memory");
    }
}

static void png_flush_nothing(png_structp png) { (void)png; }

static void png_get(png_structp png, png_bytep data, size_t len)
{
    png_job *job = png_get_io_ptr(png);
    if (len > job->size - job->pos)
        png_error(png, "truncated");
    memcpy(data, job->src + job->pos, len);
    job->pos += len;
}

static int png_fail_code(const png_job *job) { return job->nomem ? TALLY_ENOMEM : TALLY_EMEDIA; }

static int png_encode_rows(png_job *job, const unsigned char *pixels, int width, int height,
                           int channels, size_t stride, int level)
{
    static const int types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (setjmp(png_jmpbuf(job->png)))
        return png_fail_code(job);
    png_set_write_fn(job->png, job, png_put, png_flush_nothing);
    /* libpng's defaults otherwise (adaptive filters, zlib level 6), so the
     * bytes are what libpng used directly makes of the same pixels. */
    if (level >= 0)
        png_set_compression_level(job->png, level);
    png_set_IHDR(job->png, job->info, (png_uint_32)width, (png_uint_32)height, 8,
                 types[channels - 1], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(job->png, job->info);
    for (int y = 0; y < height; y++)
        png_write_row(job->png, pixels + (size_t)y * stride);
    png_write_end(job->png, NULL);
    return 0;
}

int media_png_encode(const unsigned char *pixels, int width, int height, int channels,
                     size_t stride, int level, buf *out)
{
    if (!out || level < -1 || level > 9)
        return TALLY_EMEDIA;
    int rc = media_check_rows(pixels, width, height, channels, 1, &stride);
    if (rc < 0)
        return rc;
    png_job job = {0};
    job.out = out;
    size_t start = out->len;
    job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &job, png_on_error, png_on_warning);
    job.info = job.png ? png_create_info_struct(job.png) : NULL;
    if (!job.info)
        rc = TALLY_ENOMEM;
    else
        rc = png_encode_rows(&job, pixels, width, height, channels, stride, level);
    png_destroy_write_struct(job.png ? &job.png : NULL, job.info ? &job.info : NULL);
    if (rc < 0 && !out->oom) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}

static int png_decode_rows(png_job *job, int rgba, media_pixels *out, int *wp, int *hp)
{
    png_structp png = job->png;
    png_infop info = job->info;
    if (setjmp(png_jmpbuf(png)))
        return png_fail_code(job);
    png_set_read_fn(png, job, png_get);
    png_set_chunk_malloc_max(png, PNG_CHUNK_MAX);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, type, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &type, &interlace, NULL, NULL);
    int alpha = (type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
    int color = (type & PNG_COLOR_MASK_COLOR) != 0;
    int channels = rgba ? 4 : (color ? 3 : 1) + alpha;
    int rc = media_check_size(w, h, channels);
    if (rc < 0)
        return rc;
    if (!out) {
        *wp = (int)w;
        *hp = (int)h;
        return 0;
    }
    png_set_expand(png); /* palette -> RGB, low-bit gray -> 8 bits, tRNS -> alpha */
    if (depth == 16)
        png_set_scale_16(png);
    if (rgba && !color)
        png_set_gray_to_rgb(png);
    if (rgba && !alpha)
        png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t row = (size_t)w * (size_t)channels;
    if (png_get_channels(png, info) != channels || png_get_rowbytes(png, info) != row)
        return TALLY_EMEDIA;
    job->pixels = malloc(row * h);
    job->rows = malloc(h * sizeof *job->rows);
    if (!job->pixels || !job->rows)
        return TALLY_ENOMEM;
    for (png_uint_32 y = 0; y < h; y++)
        job->rows[y] = job->pixels + (size_t)y * row;
    png_read_image(png, job->rows);
    png_read_end(png, NULL);
    *out = (media_pixels){(int)w, (int)h, channels, job->pixels};
    job->pixels = NULL;
    return 0;
}

int media_png_decode(const void *data, size_t size, int rgba, media_pixels *out, int *width,
                     int *height)
{
    png_job job = {0};
    job.src = data;
    job.size = size;
    int rc;
    job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, png_on_error, png_on_warning);
    job.info = job.png ? png_create_info_struct(job.png) : NULL;
    if (!job.info)
        rc = TALLY_ENOMEM;
    else
        rc = png_decode_rows(&job, rgba, out, width, height);
    png_destroy_read_struct(job.png ? &job.png : NULL, job.info ? &job.info : NULL, NULL);
    free(job.pixels);
    free(job.rows);
    return rc;
}
