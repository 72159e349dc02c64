/*
 * sync_media_logger.c — a run logging every media type for the media sync
 * test (sync_media.sh): images (a new one each step, one logged again and
 * again), a gallery, histograms, a table with image cells (one cell the
 * same image every time), audio, video from frames and custom charts,
 * beside a scalar, over STEPS steps.
 *
 *   sync_media_logger DIR STEPS [DELAY_MS]
 *
 * Prints "<run id> <run file>" first.  The mode comes from $TALLY_MODE.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tally.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* w x h RGB pixels that depend on seed. */
static void fill(unsigned char *px, int w, int h, int seed)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = px + 3 * (y * w + x);
            p[0] = (unsigned char)(x * 16 + seed);
            p[1] = (unsigned char)(y * 20 + 3 * seed);
            p[2] = (unsigned char)(seed * 7 + x * y);
        }
}

static int check(int rc, const char *what, long step)
{
    if (rc)
        fprintf(stderr, "sync_media_logger: %s at step %ld: %s\n", what, step,
                tally_strerror(rc));
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sync_media_logger DIR STEPS [DELAY_MS]\n");
        return 2;
    }
    long steps = atol(argv[2]), delay = argc > 3 ? atol(argv[3]) : 0;
    tally_options o = {.dir = argv[1], .project = "mediasync", .name = "media-sync-run",
                       .config_json = "{\"lr\":0.01}", .flush_ms = 100, .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run;
    int rc = tally_init_ex(&o, &run);
    if (rc) {
        fprintf(stderr, "sync_media_logger: %s\n", tally_strerror(rc));
        return 1;
    }
    printf("%s %s\n", tally_run_id(run), tally_run_path(run));
    fflush(stdout);

    enum { W = 16, H = 12 };
    unsigned char px[W * H * 3], same[W * H * 3], cell[W * H * 3], frames[4 * 8 * 8 * 3];
    fill(same, W, H, 200);
    fill(cell, W, H, 99);
    double values[1000];
    float samples[800];
    int bad = 0;
    for (long s = 0; s < steps; s++) {
        tally_log(run, "loss", 1.0 / (double)(s + 1));
        fill(px, W, H, (int)s);
        tally_image img = {.pixels = px, .width = W, .height = H, .channels = 3,
                           .caption = s % 2 ? "odd step" : NULL};
        bad |= check(tally_log_image(run, "samples/img", &img), "image", s);
        if (s % 10 == 0) {
            /* The same bytes each time: one blob, one file per step's path. */
            tally_image again = {.pixels = same, .width = W, .height = H, .channels = 3};
            bad |= check(tally_log_image(run, "const", &again), "image", s);
            unsigned char g[3][W * H * 3];
            tally_image gallery[3];
            for (int i = 0; i < 3; i++) {
                fill(g[i], W, H, (int)s + 50 * i);
                gallery[i] = (tally_image){.pixels = g[i], .width = W, .height = H,
                                           .channels = 3, .caption = i == 1 ? "mid" : NULL};
            }
            bad |= check(tally_log_images(run, "gallery", gallery, 3), "gallery", s);
        }
        for (int i = 0; i < 1000; i++)
            values[i] = sin((double)i * 0.37 + (double)s) * (1.0 + (double)s / 50.0);
        bad |= check(tally_log_histogram(run, "gradients/w", values, 1000, 0), "histogram", s);
        if (s % 25 == 0) {
            tally_image cells[2] = {
                {.pixels = cell, .width = W, .height = H, .channels = 3},
                {.pixels = px, .width = W, .height = H, .channels = 3}};
            char table[256];
            snprintf(table, sizeof table,
                     "{\"columns\":[\"id\",\"fixed\",\"now\"],\"data\":[[%ld,"
                     "{\"_type\":\"image\",\"index\":0},{\"_type\":\"image\",\"index\":1}],"
                     "[%ld,null,\"text\"]]}",
                     s, s + 1);
            bad |= check(tally_log_table_images(run, "preds", table, cells, 2), "table", s);
        }
        if (s % 20 == 5) {
            for (int i = 0; i < 800; i++)
                samples[i] = (float)(0.5 * sin((double)i * 0.05 * (double)(s + 1)));
            tally_audio a = {.samples = samples, .frames = 800, .channels = 1,
                             .sample_rate = 8000, .caption = "tone"};
            bad |= check(tally_log_audio(run, "sound", &a), "audio", s);
        }
        if (s % 50 == 10) {
            for (size_t i = 0; i < sizeof frames; i++)
                frames[i] = (unsigned char)(i * 5 + (size_t)s);
            tally_video v = {.frames = frames, .nframes = 4, .width = 8, .height = 8,
                             .channels = 3, .fps = 4};
            bad |= check(tally_log_video(run, "clip", &v), "video", s);
        }
        if (s == steps / 2 || s == steps - 1) {
            char table[512];
            snprintf(table, sizeof table,
                     "{\"columns\":[\"step\",\"loss\"],\"data\":[[0,1.0],[%ld,%g]]}", s,
                     1.0 / (double)(s + 1));
            tally_plot line = {.preset = "line", .table_json = table,
                               .fields_json = "{\"x\":\"step\",\"y\":\"loss\"}",
                               .title = "Loss"};
            bad |= check(tally_log_plot(run, "loss_chart", &line), "plot", s);
            tally_plot bars = {.preset = "bar",
                               .table_json = "{\"columns\":[\"label\",\"value\"],"
                                             "\"data\":[[\"a\",1],[\"b\",2]]}"};
            bad |= check(tally_log_plot(run, "bars", &bars), "plot", s);
        }
        tally_commit(run);
        if (delay)
            sleep_ms(delay);
    }
    rc = tally_finish(run, 0);
    return rc || bad ? 1 : 0;
}
