/*
 * tui_media_logger.c — runs with media for the dashboard's media tests (and
 * the README capture); prints the run file.
 *   DIR all: a finished run with every kind of object: an image key whose
 *     step 0 is red, 1 green, 2 blue (solid, 64x64; step 2's caption holds
 *     escape sequences), a gallery, a histogram over 20 steps, a table with
 *     a hostile cell, line / bar / confusion-matrix plots, audio, a GIF
 *   DIR live MS: an image a step every MS milliseconds (red, green, blue
 *     in turn) until killed
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tally.h"

static unsigned char *solid(int w, int h, int r, int g, int b)
{
    unsigned char *p = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h; i++)
        p[i * 3] = (unsigned char)r, p[i * 3 + 1] = (unsigned char)g, p[i * 3 + 2] = (unsigned char)b;
    return p;
}

static const int rgb[3][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};

static int log_image(tally_run *run, const char *key, int colour, const char *caption)
{
    unsigned char *px = solid(64, 64, rgb[colour][0], rgb[colour][1], rgb[colour][2]);
    tally_image im = {.pixels = px, .width = 64, .height = 64, .channels = 3, .caption = caption};
    int rc = tally_log_image(run, key, &im);
    free(px);
    return rc;
}

static int all(tally_run *run)
{
    int rc = 0;
    for (int step = 0; step < 20 && !rc; step++) {
        if (step < 3)
            rc = log_image(run, "samples", step,
                           step == 2 ? "blue \033]0;PWNED-CAP\007\033[2J\xc2\x9b" "31m" : "plain");
        if (!rc && step == 0) {
            /* A gallery of four: a gradient each. */
            tally_image g[4];
            unsigned char *px[4];
            for (int i = 0; i < 4; i++) {
                px[i] = malloc(32 * 32 * 3);
                for (int k = 0; k < 32 * 32; k++) {
                    px[i][k * 3] = (unsigned char)(i * 60);
                    px[i][k * 3 + 1] = (unsigned char)(k % 32 * 8);
                    px[i][k * 3 + 2] = (unsigned char)(k / 32 * 8);
                }
                g[i] = (tally_image){.pixels = px[i], .width = 32, .height = 32, .channels = 3,
                                     .caption = i == 3 ? "four" : NULL};
            }
            rc = tally_log_images(run, "gallery", g, 4);
            for (int i = 0; i < 4; i++)
                free(px[i]);
        }
        /* Weights drifting right and widening. */
        double v[500];
        for (int i = 0; i < 500; i++) {
            double u = (i + 0.5) / 500.0;
            v[i] = step * 0.2 + (1 + step * 0.05) * sqrt(-2 * log(u)) * cos(6.2831853 * u * 7);
        }
        if (!rc)
            rc = tally_log_histogram(run, "weights", v, 500, 32);
        if (!rc && step == 5) {
            char json[8192];
            size_t n = (size_t)snprintf(json, sizeof json, "{\"columns\":[\"id\",\"label\",\"score\"],\"data\":[");
            for (int i = 0; i < 30; i++)
                n += (size_t)snprintf(json + n, sizeof json - n, "%s[%d,\"%s\",%g]", i ? "," : "", i,
                                      i == 7 ? "\\u001b]0;PWNED-CELL\\u0007\\u001b[2J" : i % 2 ? "cat" : "dog",
                                      (i * 37 % 100) / 100.0);
            snprintf(json + n, sizeof json - n, "]}");
            rc = tally_log_table(run, "preds", json);
        }
        if (!rc && step == 5) {
            tally_plot p = {.preset = "line",
                            .table_json = "{\"columns\":[\"x\",\"y\"],\"data\":[[0,0],[1,1],[2,4],"
                                          "[3,9],[4,16]]}",
                            .title = "squares"};
            rc = tally_log_plot(run, "curve", &p);
            tally_plot cm = {.preset = "confusion_matrix",
                             .table_json = "{\"columns\":[\"Actual\",\"Predicted\",\"nPredictions\"],"
                                           "\"data\":[[\"cat\",\"cat\",40],[\"cat\",\"dog\",3],"
                                           "[\"dog\",\"cat\",5],[\"dog\",\"dog\",52]]}",
                             .title = "confusion"};
            if (!rc)
                rc = tally_log_plot(run, "cm", &cm);
        }
        if (!rc && step == 6) {
            float s[8000];
            for (int i = 0; i < 8000; i++)
                s[i] = (float)(0.8 * sin(i * 0.05) * exp(-i / 4000.0));
            tally_audio a = {.samples = s, .frames = 8000, .channels = 1, .sample_rate = 8000,
                             .caption = "chirp"};
            rc = tally_log_audio(run, "audio", &a);
        }
        if (!rc && step == 7) {
            unsigned char fr[4 * 16 * 16 * 3];
            for (int f = 0; f < 4; f++)
                for (int k = 0; k < 16 * 16; k++) {
                    fr[(f * 256 + k) * 3] = (unsigned char)(f == 0 ? 255 : 0);
                    fr[(f * 256 + k) * 3 + 1] = (unsigned char)(f == 1 ? 255 : 0);
                    fr[(f * 256 + k) * 3 + 2] = (unsigned char)(f >= 2 ? 255 : 0);
                }
            tally_video vd = {.frames = fr, .nframes = 4, .width = 16, .height = 16, .channels = 3,
                              .fps = 4};
            rc = tally_log_video(run, "anim", &vd);
        }
        tally_log(run, "loss", exp(-step / 5.0));
        if (!rc)
            rc = tally_commit(run);
    }
    if (rc)
        fprintf(stderr, "tui_media_logger: %s\n", tally_strerror(rc));
    return tally_finish(run, 0) || rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tui_media_logger DIR all|live [MS]\n");
        return 2;
    }
    tally_options o = {.dir = argv[1],
                       .project = "media",
                       .name = "media-run",
                       .flush_ms = 100,
                       .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    int rc = tally_init_ex(&o, &run);
    if (rc) {
        fprintf(stderr, "tui_media_logger: %s\n", tally_strerror(rc));
        return 1;
    }
    printf("%s\n", tally_run_path(run));
    fflush(stdout);
    if (strcmp(argv[2], "all") == 0)
        return all(run);
    long delay = argc > 3 ? strtol(argv[3], NULL, 10) : 300;
    for (int i = 0;; i++) {
        log_image(run, "live", i % 3, NULL);
        tally_log(run, "loss", 1.0 / (i + 1));
        tally_commit(run);
        struct timespec ts = {delay / 1000, (delay % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}
