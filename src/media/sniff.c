/*
 * sniff.c — a format from its first bytes (media_sniff) and its name; the
 * flusher and the read API use these to pick a codec and the blob's format.
 */
#include <string.h>

#include "media/media.h"

media_format media_sniff(const void *data, size_t size)
{
    const unsigned char *p = data;
    if (!p)
        return MEDIA_FMT_UNKNOWN;
    if (size >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return MEDIA_FMT_PNG;
    if (size >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
        return MEDIA_FMT_JPEG;
    if (size >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
        return MEDIA_FMT_GIF;
    if (size >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WAVE", 4) == 0)
        return MEDIA_FMT_WAV;
    if (size >= 8 && memcmp(p + 4, "ftyp", 4) == 0)
        return MEDIA_FMT_MP4;
    if (size >= 4 && memcmp(p, "\x1a\x45\xdf\xa3", 4) == 0)
        return MEDIA_FMT_WEBM;
    if (size >= 4 && memcmp(p, "OggS", 4) == 0)
        return MEDIA_FMT_OGG;
    return MEDIA_FMT_UNKNOWN;
}

const char *media_format_name(media_format fmt)
{
    switch (fmt) {
    case MEDIA_FMT_PNG: return "png";
    case MEDIA_FMT_JPEG: return "jpeg";
    case MEDIA_FMT_GIF: return "gif";
    case MEDIA_FMT_WAV: return "wav";
    case MEDIA_FMT_MP4: return "mp4";
    case MEDIA_FMT_WEBM: return "webm";
    case MEDIA_FMT_OGG: return "ogg";
    default: return NULL;
    }
}
