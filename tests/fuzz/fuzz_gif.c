/*
 * fuzz_gif.c — a fuzz target for GIF bytes a run logs as video:
 * media_gif_decode (giflib, composited with disposal modes).  Checks: no
 * crash or leak; codes are media.h's; the frames fit the caps; the header
 * walk (media_video_probe) counts the same frames and size; the first
 * frame is what media_image_decode_rgba gives; and the frames re-encode
 * (what the flusher stores) to a GIF of the same size and frame count.
 * Built by `make fuzz` (tests/fuzz/README.md).
 */
#include <string.h>

#include "fuzz_media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    media_anim a;
    int rc = media_gif_decode(data, size, &a);
    fuzz_check_rc(rc);
    media_video_info info;
    int probe = media_video_probe(data, size, &info);
    fuzz_check_rc(probe);
    if (rc != 0)
        return 0;
    fuzz_check(a.nframes >= 1 && a.rgba && a.delay_ms);
    size_t frame = (size_t)a.width * a.height * 4;
    fuzz_check(frame * a.nframes <= TALLY_MEDIA_MAX_BYTES);
    fuzz_check(probe == 0 && info.format == MEDIA_FMT_GIF && info.nframes == a.nframes &&
               info.width == a.width && info.height == a.height);
    media_pixels first;
    fuzz_check(media_image_decode_rgba(data, size, &first) == 0);
    fuzz_check(first.width == a.width && first.height == a.height);
    fuzz_check(memcmp(first.pixels, a.rgba, frame) == 0);
    media_pixels_free(&first);
    if (frame * a.nframes <= (1u << 20)) { /* keep each run quick */
        buf gif = BUF_INIT;
        fuzz_check(media_gif_encode(a.rgba, a.nframes, a.width, a.height, 4, 10.0, &gif) == 0);
        media_anim again;
        fuzz_check(media_gif_decode(gif.data, gif.len, &again) == 0);
        fuzz_check(again.nframes == a.nframes && again.width == a.width &&
                   again.height == a.height);
        media_anim_free(&again);
        buf_free(&gif);
    }
    media_anim_free(&a);
    return 0;
}
