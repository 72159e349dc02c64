/*
 * fuzz_video.c — a fuzz target for video files a run logs (GIF, MP4, WebM,
 * Ogg): media_video_probe, which tally_log_video runs before it stores
 * bytes it cannot decode.  Checks: no crash; codes are media.h's; an
 * accepted file has the format media_sniff names and sane numbers, and a
 * refused one leaves the info zeroed.  Built by `make fuzz`.
 */
#include <math.h>

#include "fuzz_media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    media_video_info info;
    int rc = media_video_probe(data, size, &info);
    fuzz_check_rc(rc);
    if (rc != 0) {
        fuzz_check(info.format == MEDIA_FMT_UNKNOWN && info.width == 0 && info.nframes == 0);
        return 0;
    }
    media_format fmt = media_sniff(data, size);
    fuzz_check(info.format == fmt && fmt != MEDIA_FMT_UNKNOWN);
    fuzz_check(fmt == MEDIA_FMT_GIF || fmt == MEDIA_FMT_MP4 || fmt == MEDIA_FMT_WEBM ||
               fmt == MEDIA_FMT_OGG);
    fuzz_check(info.width >= 0 && info.height >= 0 && info.nframes >= 0);
    fuzz_check(isfinite(info.duration) && info.duration >= 0.0);
    return 0;
}
