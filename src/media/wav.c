/*
 * wav.c — WAV by hand: media_wav_encode writes 16-bit PCM (the 44-byte
 * canonical header, as wandb's soundfile does), media_wav_decode reads the
 * integer and float PCM WAVs people log, chunks in any order.  The flusher
 * encodes with these; the read API and the staging checks decode.
 *
 * Full scale is the largest positive sample both ways (32767 for 16 bits),
 * so encode then decode is within half a step; decoded values are clamped
 * to -1..1 and a NaN in a float WAV reads as 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media.h"
#include "tally.h"

#define WAV_MAX_CHANNELS 8
#define WAV_MAX_RATE 384000

static void wav_put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void wav_put32(unsigned char *p, uint32_t v)
{
    wav_put16(p, v & 0xffff);
    wav_put16(p + 2, v >> 16);
}

static unsigned wav_get16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }

static uint32_t wav_get32(const unsigned char *p)
{
    return wav_get16(p) | (uint32_t)wav_get16(p + 2) << 16;
}

void media_pcm_free(media_pcm *pcm)
{
    if (!pcm)
        return;
    free(pcm->samples);
    memset(pcm, 0, sizeof *pcm);
}

int media_wav_encode(const float *samples, size_t frames, int channels, int sample_rate,
                     buf *out)
{
    if (!out || (!samples && frames) || channels < 1 || channels > WAV_MAX_CHANNELS ||
        sample_rate < 1 || sample_rate > WAV_MAX_RATE)
        return TALLY_EMEDIA;
    size_t n = frames * (size_t)channels;
    if (frames > TALLY_MEDIA_MAX_BYTES / 2 / (size_t)channels)
        return TALLY_ETOOBIG;
    for (size_t i = 0; i < n; i++)
        if (samples[i] != samples[i])
            return TALLY_EMEDIA;
    uint32_t bytes = (uint32_t)(n * 2);
    if (buf_reserve(out, 44 + (size_t)bytes) < 0)
        return TALLY_ENOMEM;
    unsigned char *h = (unsigned char *)out->data + out->len;
    memcpy(h, "RIFF", 4);
    wav_put32(h + 4, 36 + bytes);
    memcpy(h + 8, "WAVEfmt ", 8);
    wav_put32(h + 16, 16);
    wav_put16(h + 20, 1); /* PCM */
    wav_put16(h + 22, (unsigned)channels);
    wav_put32(h + 24, (uint32_t)sample_rate);
    wav_put32(h + 28, (uint32_t)sample_rate * (uint32_t)channels * 2);
    wav_put16(h + 32, (unsigned)channels * 2);
    wav_put16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    wav_put32(h + 40, bytes);
    unsigned char *d = h + 44;
    for (size_t i = 0; i < n; i++) {
        float v = samples[i];
        v = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
        long s = lrintf(v * 32767.0f);
        wav_put16(d + 2 * i, (unsigned)(s & 0xffff));
    }
    out->len += 44 + (size_t)bytes;
    out->data[out->len] = '\0';
    return 0;
}

/* One sample of the given encoding as a float in -1..1. */
static float wav_sample(const unsigned char *p, int is_float, int bits)
{
    double v;
    if (is_float) {
        if (bits == 32) {
            uint32_t u = wav_get32(p);
            float f;
            memcpy(&f, &u, sizeof f);
            v = f;
        } else {
            uint64_t u = wav_get32(p) | (uint64_t)wav_get32(p + 4) << 32;
            memcpy(&v, &u, sizeof v);
        }
        if (v != v)
            v = 0.0;
    } else {
        switch (bits) {
        case 8: v = ((int)p[0] - 128) / 127.0; break;
        case 16: v = (int16_t)wav_get16(p) / 32767.0; break;
        case 24: {
            int32_t s = (int32_t)((uint32_t)p[0] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 24);
            v = (s >> 8) / 8388607.0;
            break;
        }
        default: v = (int32_t)wav_get32(p) / 2147483647.0; break;
        }
    }
    return (float)(v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v);
}

/* WAVE_FORMAT_EXTENSIBLE's sub-format GUID after its first two bytes. */
static const unsigned char wav_guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

int media_wav_decode(const void *data, size_t size, media_pcm *out)
{
    if (!out)
        return TALLY_EMEDIA;
    memset(out, 0, sizeof *out);
    const unsigned char *p = data;
    if (!p || media_sniff(p, size) != MEDIA_FMT_WAV)
        return TALLY_EMEDIA;
    const unsigned char *fmt = NULL, *body = NULL;
    size_t fmt_len = 0, body_len = 0;
    size_t pos = 12;
    while (size - pos >= 8) {
        uint32_t len = wav_get32(p + pos + 4);
        size_t start = pos + 8;
        if (len > size - start)
            return TALLY_EMEDIA; /* truncated, or a size that lies */
        if (!fmt && memcmp(p + pos, "fmt ", 4) == 0) {
            fmt = p + start;
            fmt_len = len;
        } else if (!body && memcmp(p + pos, "data", 4) == 0) {
            body = p + start;
            body_len = len;
        }
        pos = start + len;
        if (len & 1) { /* chunks are padded to even sizes */
            if (pos == size)
                break;
            pos++;
        }
    }
    if (!fmt || !body || fmt_len < 16)
        return TALLY_EMEDIA;
    unsigned tag = wav_get16(fmt), channels = wav_get16(fmt + 2), bits = wav_get16(fmt + 14);
    uint32_t rate = wav_get32(fmt + 4);
    if (tag == 0xfffe) {
        if (fmt_len < 40 || memcmp(fmt + 26, wav_guid_tail, sizeof wav_guid_tail) != 0)
            return TALLY_EMEDIA;
        tag = wav_get16(fmt + 24);
    }
    int is_float = tag == 3;
    if (!(tag == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32)) &&
        !(is_float && (bits == 32 || bits == 64)))
        return TALLY_EMEDIA;
    if (channels < 1 || channels > WAV_MAX_CHANNELS || rate < 1 || rate > WAV_MAX_RATE)
        return TALLY_EMEDIA;
    size_t step = bits / 8, frame = step * channels;
    size_t frames = body_len / frame;
    if (frames > TALLY_MEDIA_MAX_BYTES / sizeof(float) / channels)
        return TALLY_ETOOBIG;
    size_t n = frames * channels;
    float *s = malloc(n ? n * sizeof *s : 1);
    if (!s)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < n; i++)
        s[i] = wav_sample(body + i * step, is_float, (int)bits);
    *out = (media_pcm){(int)rate, (int)channels, frames, s};
    return 0;
}
