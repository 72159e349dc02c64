/*
 * jpeg.c — the JPEG half of media_image_decode / _size, through
 * libjpeg(-turbo).  Its error_exit longjmps back here instead of exiting,
 * its messages are swallowed, and a warning (corrupt or truncated data,
 * which libjpeg would paper over with gray) is an error: tally re-encodes
 * only images it decoded whole.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "media/media_internal.h"
#include "tally.h"

/* A progressive JPEG can name thousands of tiny scans, each a pass over the
 * coefficients; real encoders write about ten. */
#define JPEG_MAX_SCANS 256

typedef struct jpeg_job {
    struct jpeg_decompress_struct ci;
    struct jpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    jmp_buf jmp;
    int nomem;
    unsigned char *pixels;
} jpeg_job;

/* err is the first thing libjpeg sees of a job: ci.err points at job->err. */
static jpeg_job *jpeg_job_of(j_common_ptr c)
{
    return (jpeg_job *)((char *)c->err - offsetof(jpeg_job, err));
}

static void jpeg_on_error(j_common_ptr c)
{
    jpeg_job *job = jpeg_job_of(c);
    if (c->err->msg_code == JERR_OUT_OF_MEMORY)
        job->nomem = 1;
    longjmp(job->jmp, 1);
}

static void jpeg_on_message(j_common_ptr c, int level)
{
    if (level < 0) /* a warning: corrupt data */
        longjmp(jpeg_job_of(c)->jmp, 1);
}

static void jpeg_on_output(j_common_ptr c) { (void)c; }

static void jpeg_on_progress(j_common_ptr c)
{
    if (c->is_decompressor && ((j_decompress_ptr)c)->input_scan_number > JPEG_MAX_SCANS)
        longjmp(jpeg_job_of(c)->jmp, 1);
}

/* CMYK (Adobe's inverted form when it says so) to RGB or RGBA, in place. */
static void jpeg_cmyk_to_rgb(unsigned char *p, size_t n, int inverted, int channels)
{
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[4 * i], m = p[4 * i + 1], y = p[4 * i + 2], k = p[4 * i + 3];
        if (!inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        unsigned char *d = p + (size_t)channels * i;
        d[0] = (unsigned char)((c * k + 127) / 255);
        d[1] = (unsigned char)((m * k + 127) / 255);
        d[2] = (unsigned char)((y * k + 127) / 255);
        if (channels == 4)
            d[3] = 255;
    }
}

static int jpeg_decode_rows(jpeg_job *job, const void *data, size_t size, int rgba,
                            media_pixels *out, int *wp, int *hp)
{
    struct jpeg_decompress_struct *ci = &job->ci;
    if (setjmp(job->jmp))
        return job->nomem ? TALLY_ENOMEM : TALLY_EMEDIA;
    jpeg_create_decompress(ci);
    ci->mem->max_memory_to_use = 4L * TALLY_MEDIA_MAX_BYTES;
    ci->progress = &job->progress;
    jpeg_mem_src(ci, data, (unsigned long)size);
    jpeg_read_header(ci, TRUE);
    long w = (long)ci->image_width, h = (long)ci->image_height;
    int gray = ci->jpeg_color_space == JCS_GRAYSCALE;
    int cmyk = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK;
    int channels = rgba ? 4 : gray ? 1 : 3;
    int decoded = cmyk ? 4 : channels; /* what libjpeg hands back */
    int rc = media_check_size(w, h, decoded);
    if (rc < 0)
        return rc;
    if (!out) {
        *wp = (int)w;
        *hp = (int)h;
        return 0;
    }
    ci->out_color_space = cmyk ? JCS_CMYK : rgba ? JCS_EXT_RGBA : gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(ci);
    size_t row = (size_t)w * (size_t)decoded;
    if (ci->output_components != decoded || (long)ci->output_width != w ||
        (long)ci->output_height != h)
        return TALLY_EMEDIA;
    job->pixels = malloc(row * (size_t)h);
    if (!job->pixels)
        return TALLY_ENOMEM;
    while (ci->output_scanline < ci->output_height) {
        JSAMPROW r = job->pixels + (size_t)ci->output_scanline * row;
        if (jpeg_read_scanlines(ci, &r, 1) != 1)
            return TALLY_EMEDIA;
    }
    jpeg_finish_decompress(ci);
    if (cmyk)
        jpeg_cmyk_to_rgb(job->pixels, (size_t)w * (size_t)h, ci->saw_Adobe_marker, channels);
    *out = (media_pixels){(int)w, (int)h, channels, job->pixels};
    job->pixels = NULL;
    return 0;
}

int media_jpeg_decode(const void *data, size_t size, int rgba, media_pixels *out, int *width,
                      int *height)
{
    jpeg_job *job = calloc(1, sizeof *job);
    if (!job)
        return TALLY_ENOMEM;
    job->ci.err = jpeg_std_error(&job->err);
    job->err.error_exit = jpeg_on_error;
    job->err.emit_message = jpeg_on_message;
    job->err.output_message = jpeg_on_output;
    job->progress.progress_monitor = jpeg_on_progress;
    int rc = jpeg_decode_rows(job, data, size, rgba, out, width, height);
    jpeg_destroy_decompress(&job->ci);
    free(job->pixels);
    free(job);
    return rc;
}
