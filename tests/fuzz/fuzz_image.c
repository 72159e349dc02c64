/*
 * fuzz_image.c — a fuzz target for images a run logs as bytes or files
 * (PNG, JPEG, GIF's first frame): media_image_size, media_image_decode and
 * media_image_decode_rgba.  Checks: no crash or leak; codes are media.h's;
 * a decoded image is within the caps, has the size the header gave and
 * survives a PNG round trip pixel for pixel (what the flusher stores).
 * Built by `make fuzz` (tests/fuzz/README.md).
 */
#include <string.h>

#include "fuzz_media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int w = -1, h = -1;
    int size_rc = media_image_size(data, size, &w, &h);
    fuzz_check_rc(size_rc);
    media_pixels px;
    int rc = media_image_decode(data, size, &px);
    fuzz_check_rc(rc);
    if (rc == 0) {
        fuzz_check_pixels(&px);
        fuzz_check(size_rc == 0 && w == px.width && h == px.height);
        buf png = BUF_INIT;
        if (media_png_encode(px.pixels, px.width, px.height, px.channels, 0, 1, &png) == 0) {
            media_pixels again;
            fuzz_check(media_image_decode(png.data, png.len, &again) == 0);
            fuzz_check(again.width == px.width && again.height == px.height &&
                       again.channels == px.channels);
            fuzz_check(memcmp(again.pixels, px.pixels,
                              (size_t)px.width * px.height * px.channels) == 0);
            media_pixels_free(&again);
        }
        buf_free(&png);
    }
    media_pixels rgba;
    int rc4 = media_image_decode_rgba(data, size, &rgba);
    fuzz_check_rc(rc4);
    if (rc4 == 0) {
        fuzz_check_pixels(&rgba);
        fuzz_check(rgba.channels == 4);
        if (rc == 0) {
            fuzz_check(rgba.width == px.width && rgba.height == px.height);
            if (px.channels == 4) /* RGBA either way: the same bytes */
                fuzz_check(memcmp(rgba.pixels, px.pixels,
                                  (size_t)px.width * px.height * 4) == 0);
        }
        media_pixels_free(&rgba);
    }
    if (rc == 0)
        media_pixels_free(&px);
    return 0;
}
