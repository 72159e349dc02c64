/*
 * media.h — the codecs behind images, audio and video: pure functions over
 * buffers, no SQLite, no threads.  PNG through libpng, JPEG through
 * libjpeg(-turbo), GIF through giflib, WAV by hand (a 44-byte header);
 * sha256 through nettle.  The flusher encodes with these (src/core), the
 * read API decodes with them (src/store).  Every decoder takes untrusted
 * bytes: it checks sizes before it allocates and never reads past `size`.
 *
 * Functions return 0 or a negative TALLY_E* code: TALLY_EMEDIA for bytes
 * or arguments that are not what they claim, TALLY_ETOOBIG past the caps
 * of tally.h, TALLY_ENOMEM.  An encoder that fails leaves `out` as it was.
 *
 * Choices the callers can rely on (the files of src/media say why):
 * - PNG: libpng's own defaults (adaptive filters, zlib level 6) at level
 *   -1, so the bytes equal libpng's used directly; 8-bit, not interlaced.
 *   Decoding skips every ancillary chunk but tRNS and needs IEND.
 * - JPEG: a libjpeg warning (corrupt or truncated data) is an error, as is
 *   a progressive file of more than 256 scans; CMYK is converted to RGB.
 * - GIF: a frame of <= 256 colours (255 and a transparent index when an
 *   alpha is below 128) keeps them exactly, else a median-cut palette;
 *   every frame covers the screen and is disposed to the background; the
 *   delay is round(100 / fps) hundredths.  Decoding composites frames with
 *   their disposal modes onto a transparent canvas, caps all frames
 *   together at TALLY_MEDIA_MAX_BYTES of RGBA and the pixels decoded at
 *   the same number, and refuses a file without its trailer.
 * - WAV: full scale is the largest positive sample (32767 for 16 bits)
 *   both ways; 1..8 channels, 1..384000 Hz; decoded samples are clamped to
 *   -1..1 and a float NaN reads as 0; a data chunk that runs past the end
 *   is refused.
 * - Float pixels: clamped to 0..1 and scaled as wandb does, (v * 255)
 *   truncated.
 * - Video: MP4 must open with ftyp, tile into boxes to its end and have a
 *   moov; WebM needs its EBML header (DocType webm or matroska), a Segment
 *   and Tracks; Ogg must be whole pages.  Numbers not in the header are 0.
 */
#ifndef TALLY_MEDIA_H
#define TALLY_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Formats, as sniffed from the first bytes. */
typedef enum media_format {
    MEDIA_FMT_UNKNOWN = 0,
    MEDIA_FMT_PNG,
    MEDIA_FMT_JPEG,
    MEDIA_FMT_GIF,
    MEDIA_FMT_WAV,
    MEDIA_FMT_MP4,
    MEDIA_FMT_WEBM,
    MEDIA_FMT_OGG
} media_format;

media_format media_sniff(const void *data, size_t size);
/* "png", "jpeg", "gif", "wav", "mp4", "webm", "ogg"; NULL for unknown. */
const char *media_format_name(media_format fmt);

/* 8-bit pixels, rows top to bottom, width * channels bytes each. */
typedef struct media_pixels {
    int width, height, channels; /* channels 1, 2 (gray+alpha), 3 or 4 */
    unsigned char *pixels;       /* malloc'd */
} media_pixels;
void media_pixels_free(media_pixels *px);

/* Encodes 8-bit pixels (channels 1, 3 or 4, or 2 as decoded; stride bytes
 * a row, 0: packed) as PNG, appended to out.  level: zlib level 0..9 (-1:
 * libpng's default). */
int media_png_encode(const unsigned char *pixels, int width, int height, int channels,
                     size_t stride, int level, buf *out);
/* Decodes a PNG, JPEG or GIF (its first frame) to 8-bit pixels with the
 * channels the image has (palette -> RGB/RGBA, 16-bit -> 8).  Refuses an
 * image wider or taller than TALLY_MEDIA_MAX_SIDE or over
 * TALLY_MEDIA_MAX_BYTES of pixels before decoding it. */
int media_image_decode(const void *data, size_t size, media_pixels *out);
/* The same, always as RGBA (the read API's tally_store_image_rgba). */
int media_image_decode_rgba(const void *data, size_t size, media_pixels *out);
/* Width and height from the header alone. */
int media_image_size(const void *data, size_t size, int *width, int *height);

/* Float pixels in 0..1 (clamped) to 8-bit; TALLY_EMEDIA on a NaN. */
int media_pixels_from_f32(const float *src, int width, int height, int channels,
                          size_t stride, unsigned char *dst);

/* PCM audio, interleaved float in -1..1. */
typedef struct media_pcm {
    int sample_rate, channels;
    size_t frames;
    float *samples; /* malloc'd, frames * channels */
} media_pcm;
void media_pcm_free(media_pcm *pcm);
/* 16-bit PCM WAV (RIFF, one fmt and one data chunk), appended to out. */
int media_wav_encode(const float *samples, size_t frames, int channels, int sample_rate,
                     buf *out);
/* A WAV of 8/16/24/32-bit integer PCM or 32/64-bit float, any chunk order. */
int media_wav_decode(const void *data, size_t size, media_pcm *out);

/* Animated GIF. */
typedef struct media_anim {
    int width, height, nframes;
    unsigned char *rgba;  /* nframes composited RGBA frames, width * height * 4 each */
    int *delay_ms;        /* nframes */
} media_anim;
void media_anim_free(media_anim *anim);
/* Encodes nframes 8-bit frames (channels 1, 3 or 4, packed) as a looping
 * GIF at fps, one palette per frame (median cut), appended to out. */
int media_gif_encode(const unsigned char *frames, int nframes, int width, int height,
                     int channels, double fps, buf *out);
int media_gif_decode(const void *data, size_t size, media_anim *out);

/* What a video file's header says: size, frames and duration where the
 * container tells them cheaply (GIF: all; MP4/WebM/Ogg: 0 when unknown). */
typedef struct media_video_info {
    media_format format;
    int width, height, nframes;
    double duration; /* seconds; 0: unknown */
} media_video_info;
int media_video_probe(const void *data, size_t size, media_video_info *out);

/* sha256 of the bytes as 64 lowercase hex digits and a NUL. */
void media_sha256_hex(const void *data, size_t size, char hex[65]);

/* Bins n values into nbins equal bins over [min, max] of the finite ones
 * (wandb's np.histogram: the last bin is closed).  NaN and infinities are
 * left out and counted in *skipped.  counts[nbins], edges[nbins + 1].
 * With no finite value: TALLY_EMEDIA. */
int media_histogram(const double *values, size_t n, int nbins, double *counts, double *edges,
                    size_t *skipped);

#endif
