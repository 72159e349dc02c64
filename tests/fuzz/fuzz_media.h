/*
 * fuzz_media.h — what the media fuzz targets (fuzz_image.c, fuzz_wav.c,
 * fuzz_gif.c, fuzz_video.c) check alike: a decoder answers 0 or one of the
 * codes media.h names, and an abort() when an invariant breaks.
 */
#ifndef TALLY_FUZZ_MEDIA_H
#define TALLY_FUZZ_MEDIA_H

#include <stdint.h>
#include <stdlib.h>

#include "media/media.h"
#include "tally.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_check(int ok)
{
    if (!ok)
        abort();
}

static inline void fuzz_check_rc(int rc)
{
    fuzz_check(rc == 0 || rc == TALLY_EMEDIA || rc == TALLY_ETOOBIG || rc == TALLY_ENOMEM);
}

static inline void fuzz_check_pixels(const media_pixels *px)
{
    fuzz_check(px->pixels && px->width >= 1 && px->height >= 1);
    fuzz_check(px->width <= TALLY_MEDIA_MAX_SIDE && px->height <= TALLY_MEDIA_MAX_SIDE);
    fuzz_check(px->channels >= 1 && px->channels <= 4);
    fuzz_check((uint64_t)px->width * px->height * px->channels <= TALLY_MEDIA_MAX_BYTES);
}

#endif
