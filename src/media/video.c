/*
 * video.c — media_video_probe: what a video file's header says, for the
 * staging checks of tally_log_video (a file tally cannot decode is stored
 * as given only after its container header parses) and for the meta JSON.
 */
#include <string.h>

#include "media/media_internal.h"
#include "tally.h"

int media_video_probe(const void *data, size_t size, media_video_info *out)
{
    if (!out)
        return TALLY_EMEDIA;
    memset(out, 0, sizeof *out);
    switch (media_sniff(data, size)) {
    case MEDIA_FMT_GIF: return media_gif_probe(data, size, out);
    default: return TALLY_EMEDIA;
    }
}
