/*
 * media_internal.h — what the codec files of src/media share and nobody
 * else sees: the size checks every decoder runs before it allocates, and
 * the per-format decoders media_image_decode() dispatches to.
 */
#ifndef TALLY_MEDIA_INTERNAL_H
#define TALLY_MEDIA_INTERNAL_H

#include <stddef.h>

#include "media/media.h"

/* 0 when width x height x channels is an image tally accepts: TALLY_EMEDIA
 * for a side < 1 or channels outside 1..4, TALLY_ETOOBIG for a side over
 * TALLY_MEDIA_MAX_SIDE or pixels over TALLY_MEDIA_MAX_BYTES. */
int media_check_size(long width, long height, int channels);

/* media_check_size for rows of width * channels samples of sample_size
 * bytes, *stride bytes apart (0: packed, which it sets); TALLY_EMEDIA for
 * a NULL pointer or a stride too small or not a whole number of samples. */
int media_check_rows(const void *pixels, int width, int height, int channels,
                     size_t sample_size, size_t *stride);

/* Decoders behind media_image_decode(): rgba 1 asks for 4 channels always.
 * With out NULL they stop after the header and fill *width / *height. */
int media_png_decode(const void *data, size_t size, int rgba, media_pixels *out, int *width,
                     int *height);
int media_jpeg_decode(const void *data, size_t size, int rgba, media_pixels *out, int *width,
                      int *height);
/* At most max_frames composited frames (0: all). */
int media_gif_decode_frames(const void *data, size_t size, int max_frames, media_anim *out);
/* Size, frames and duration, without decoding the pixels. */
int media_gif_probe(const void *data, size_t size, media_video_info *out);
/* The logical screen size from the GIF header. */
int media_gif_size(const void *data, size_t size, int *width, int *height);

#endif
