/*
 * image.c — the format-independent half of images: size checks, the
 * decode entry points that dispatch on the sniffed format (PNG and JPEG
 * here, GIF's first frame), and float-to-8-bit pixel conversion.  Called by
 * the staging code (media_image_size), the flusher and the read API.
 */
#include <stdlib.h>
#include <string.h>

#include "media/media_internal.h"
#include "tally.h"

int media_check_size(long width, long height, int channels)
{
    if (width < 1 || height < 1 || channels < 1 || channels > 4)
        return TALLY_EMEDIA;
    if (width > TALLY_MEDIA_MAX_SIDE || height > TALLY_MEDIA_MAX_SIDE)
        return TALLY_ETOOBIG;
    if ((unsigned long long)width * (unsigned long long)height * (unsigned)channels >
        TALLY_MEDIA_MAX_BYTES)
        return TALLY_ETOOBIG;
    return 0;
}

int media_check_rows(const void *pixels, int width, int height, int channels,
                     size_t sample_size, size_t *stride)
{
    if (!pixels)
        return TALLY_EMEDIA;
    int rc = media_check_size(width, height, channels);
    if (rc < 0)
        return rc;
    size_t row = (size_t)width * (size_t)channels * sample_size;
    if (*stride == 0)
        *stride = row;
    if (*stride < row || *stride % sample_size != 0)
        return TALLY_EMEDIA;
    return 0;
}

void media_pixels_free(media_pixels *px)
{
    if (!px)
        return;
    free(px->pixels);
    memset(px, 0, sizeof *px);
}

/* A GIF's first frame as pixels: RGBA, or RGB when no pixel is see-through
 * and RGB was asked for. */
static int image_decode_gif(const void *data, size_t size, int rgba, media_pixels *out)
{
    media_anim anim;
    int rc = media_gif_decode_frames(data, size, 1, &anim);
    if (rc < 0)
        return rc;
    size_t n = (size_t)anim.width * (size_t)anim.height;
    unsigned char *p = anim.rgba;
    int channels = 4;
    if (!rgba) {
        size_t i = 0;
        while (i < n && p[4 * i + 3] == 255)
            i++;
        if (i == n) {
            for (i = 0; i < n; i++)
                memmove(p + 3 * i, p + 4 * i, 3);
            channels = 3;
        }
    }
    *out = (media_pixels){anim.width, anim.height, channels, p};
    anim.rgba = NULL;
    media_anim_free(&anim);
    return 0;
}

static int image_decode(const void *data, size_t size, int rgba, media_pixels *out)
{
    if (!out)
        return TALLY_EMEDIA;
    memset(out, 0, sizeof *out);
    if (!data)
        return TALLY_EMEDIA;
    switch (media_sniff(data, size)) {
    case MEDIA_FMT_PNG: return media_png_decode(data, size, rgba, out, NULL, NULL);
    case MEDIA_FMT_JPEG: return media_jpeg_decode(data, size, rgba, out, NULL, NULL);
    case MEDIA_FMT_GIF: return image_decode_gif(data, size, rgba, out);
    default: return TALLY_EMEDIA;
    }
}

int media_image_decode(const void *data, size_t size, media_pixels *out)
{
    return image_decode(data, size, 0, out);
}

int media_image_decode_rgba(const void *data, size_t size, media_pixels *out)
{
    return image_decode(data, size, 1, out);
}

int media_image_size(const void *data, size_t size, int *width, int *height)
{
    int w = 0, h = 0, rc;
    if (!data || !width || !height)
        return TALLY_EMEDIA;
    switch (media_sniff(data, size)) {
    case MEDIA_FMT_PNG: rc = media_png_decode(data, size, 0, NULL, &w, &h); break;
    case MEDIA_FMT_JPEG: rc = media_jpeg_decode(data, size, 0, NULL, &w, &h); break;
    case MEDIA_FMT_GIF: rc = media_gif_size(data, size, &w, &h); break;
    default: rc = TALLY_EMEDIA; break;
    }
    if (rc < 0)
        return rc;
    *width = w;
    *height = h;
    return 0;
}

/* wandb scales float pixels with (data * 255).astype(uint8) after clipping
 * to 0..1, so a value truncates: 0.999 is 254, 1.0 is 255. */
int media_pixels_from_f32(const float *src, int width, int height, int channels,
                          size_t stride, unsigned char *dst)
{
    int rc = media_check_rows(src, width, height, channels, sizeof(float), &stride);
    if (rc < 0 || !dst)
        return rc < 0 ? rc : TALLY_EMEDIA;
    size_t row = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++) {
        const float *s = (const float *)((const char *)src + (size_t)y * stride);
        unsigned char *d = dst + (size_t)y * row;
        for (size_t i = 0; i < row; i++) {
            float v = s[i];
            if (v != v)
                return TALLY_EMEDIA;
            v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
            d[i] = (unsigned char)(v * 255.0f);
        }
    }
    return 0;
}
