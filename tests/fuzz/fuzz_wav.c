/*
 * fuzz_wav.c — a fuzz target for WAV bytes a run logs: media_wav_decode.
 * Checks: no crash or leak; codes are media.h's; decoded samples are in
 * -1..1 (never NaN) within the caps, and re-encode (what the flusher
 * stores) then decode gives the same rate, channels and frames, samples
 * within one 16-bit step.  Built by `make fuzz` (tests/fuzz/README.md).
 */
#include <math.h>

#include "fuzz_media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    media_pcm pcm;
    int rc = media_wav_decode(data, size, &pcm);
    fuzz_check_rc(rc);
    if (rc != 0)
        return 0;
    fuzz_check(pcm.channels >= 1 && pcm.channels <= 8 && pcm.sample_rate >= 1);
    fuzz_check(pcm.frames * pcm.channels * sizeof(float) <= TALLY_MEDIA_MAX_BYTES);
    size_t n = pcm.frames * (size_t)pcm.channels;
    for (size_t i = 0; i < n; i++)
        fuzz_check(pcm.samples[i] >= -1.0f && pcm.samples[i] <= 1.0f);
    buf wav = BUF_INIT;
    fuzz_check(media_wav_encode(pcm.samples, pcm.frames, pcm.channels, pcm.sample_rate, &wav) ==
               0);
    media_pcm again;
    fuzz_check(media_wav_decode(wav.data, wav.len, &again) == 0);
    fuzz_check(again.frames == pcm.frames && again.channels == pcm.channels &&
               again.sample_rate == pcm.sample_rate);
    for (size_t i = 0; i < n; i++)
        fuzz_check(fabsf(again.samples[i] - pcm.samples[i]) <= 1.0f / 32767);
    media_pcm_free(&again);
    buf_free(&wav);
    media_pcm_free(&pcm);
    return 0;
}
