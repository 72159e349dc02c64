/*
 * media_logger.c — logs every media type through the public API for
 * media.sh: over 100 steps an image a step (some captioned, one key with a
 * '/'), and every tenth step a gallery, a histogram, a table with image
 * cells, audio and a video made from frames; at step 50 one custom chart of
 * each wandb.plot preset; at step 0 an image under a hostile key.  media.sh
 * checks that `tally show`, `tally media` and `tally export` agree on it.
 *
 * usage: media_logger DIR      prints "run ID PATH"
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tally.h"

#define STEPS 100
/* Climbs out of media/, reverses the text after it (U+202E), has a '\'. */
#define HOSTILE_KEY "../../evil/./\xe2\x80\xaegnp.exe\\x"

static int failures;

static void expect(int rc, const char *what, int64_t step)
{
    if (rc != 0) {
        fprintf(stderr, "media_logger: %s at step %lld: %s\n", what, (long long)step,
                tally_strerror(rc));
        failures++;
    }
}

/* w x h RGB pixels that differ with seed. */
static void pixels(unsigned char *px, int w, int h, int seed)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                px[(y * w + x) * 3 + c] = (unsigned char)(x * 16 + y * 8 + c * 80 + seed * 7);
}

static void log_plots(tally_run *run, int64_t step)
{
    static const struct {
        const char *preset, *table, *fields;
    } plots[] = {
        {"line", "{\"columns\":[\"epoch\",\"loss\"],\"data\":[[0,1.0],[1,0.5],[2,0.25]]}",
         "{\"x\":\"epoch\",\"y\":\"loss\"}"},
        {"scatter", "{\"columns\":[\"x\",\"y\"],\"data\":[[0.1,0.2],[0.3,0.1]]}", NULL},
        {"bar", "{\"columns\":[\"label\",\"value\"],\"data\":[[\"cat\",3],[\"dog\",5]]}", NULL},
        {"histogram", "{\"columns\":[\"value\"],\"data\":[[1],[2],[2],[3]]}", NULL},
        {"line_series",
         "{\"columns\":[\"step\",\"lineKey\",\"lineVal\"],\"data\":[[0,\"a\",1],[0,\"b\",2]]}",
         NULL},
        {"confusion_matrix",
         "{\"columns\":[\"Actual\",\"Predicted\",\"nPredictions\"],\"data\":[[\"cat\",\"cat\",9],"
         "[\"cat\",\"dog\",1]]}",
         NULL},
        {"pr_curve",
         "{\"columns\":[\"class\",\"recall\",\"precision\"],\"data\":[[\"cat\",0.0,1.0],"
         "[\"cat\",1.0,0.5]]}",
         "{\"x\":\"recall\",\"y\":\"precision\",\"class\":\"class\"}"},
        {"roc_curve",
         "{\"columns\":[\"class\",\"fpr\",\"tpr\"],\"data\":[[\"cat\",0.0,0.0],[\"cat\",1.0,1.0]]}",
         "{\"x\":\"fpr\",\"y\":\"tpr\",\"class\":\"class\"}"},
    };
    for (size_t i = 0; i < sizeof plots / sizeof *plots; i++) {
        char key[64], title[64];
        snprintf(key, sizeof key, "plots/%s", plots[i].preset);
        snprintf(title, sizeof title, "A %s chart", plots[i].preset);
        tally_plot p = {plots[i].preset, plots[i].table, plots[i].fields, title};
        expect(tally_log_plot(run, key, &p), key, step);
    }
}

static void log_every_tenth(tally_run *run, int64_t step)
{
    /* A gallery of three, the first and third the same image. */
    static unsigned char gal[3][8 * 6 * 3];
    tally_image imgs[3];
    for (int i = 0; i < 3; i++) {
        pixels(gal[i], 8, 6, (int)step + (i == 2 ? 0 : i));
        imgs[i] = (tally_image){.pixels = gal[i], .width = 8, .height = 6, .channels = 3};
    }
    imgs[1].caption = "second";
    expect(tally_log_images(run, "gallery", imgs, 3), "gallery", step);

    double values[1000];
    for (int i = 0; i < 1000; i++)
        values[i] = sin(i * 0.37 + (double)step) * (1 + (double)step / 50);
    expect(tally_log_histogram(run, "grads/w", values, 1000, 16), "histogram", step);

    static unsigned char cells[2][4 * 4 * 3];
    tally_image cell_imgs[2];
    for (int i = 0; i < 2; i++) {
        pixels(cells[i], 4, 4, 100 + i);
        cell_imgs[i] = (tally_image){.pixels = cells[i], .width = 4, .height = 4, .channels = 3};
    }
    char table[256];
    snprintf(table, sizeof table,
             "{\"columns\":[\"id\",\"image\",\"score\"],\"data\":[[1,{\"_type\":\"image\","
             "\"index\":0},%lld.5],[2,{\"_type\":\"image\",\"index\":1},0.25]]}",
             (long long)step);
    expect(tally_log_table_images(run, "preds", table, cell_imgs, 2), "table", step);

    float samples[800 * 2];
    for (int i = 0; i < 800; i++) {
        samples[2 * i] = (float)(0.5 * sin(i * 0.05 * (1 + (double)step / 10)));
        samples[2 * i + 1] = (float)(0.25 * sin(i * 0.11));
    }
    tally_audio a = {.samples = samples, .frames = 800, .channels = 2, .sample_rate = 8000,
                     .caption = "a hum"};
    expect(tally_log_audio(run, "clip", &a), "audio", step);

    static unsigned char frames[5][10 * 8 * 3];
    for (int f = 0; f < 5; f++)
        pixels(frames[f], 10, 8, (int)step + f * 20);
    tally_video v = {.frames = frames, .nframes = 5, .width = 10, .height = 8, .channels = 3,
                     .fps = 0};
    expect(tally_log_video(run, "anim", &v), "video", step);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: media_logger DIR\n");
        return 2;
    }
    tally_options opts = {.dir = argv[1], .project = "media", .name = "every-type",
                          .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run;
    int rc = tally_init_ex(&opts, &run);
    if (rc) {
        fprintf(stderr, "media_logger: tally_init: %s\n", tally_strerror(rc));
        return 1;
    }
    printf("run %s %s\n", tally_run_id(run), tally_run_path(run));
    static unsigned char px[16 * 12 * 3];
    for (int64_t step = 0; step < STEPS; step++) {
        expect(tally_log(run, "loss", 1.0 / (double)(step + 1)), "loss", step);
        pixels(px, 16, 12, (int)step);
        char caption[32];
        snprintf(caption, sizeof caption, "step %lld", (long long)step);
        tally_image img = {.pixels = px, .width = 16, .height = 12, .channels = 3,
                           .caption = step % 10 == 0 ? caption : NULL};
        expect(tally_log_image(run, "samples/img", &img), "image", step);
        if (step == 0)
            expect(tally_log_image(run, HOSTILE_KEY, &img), "hostile", step);
        if (step % 10 == 0)
            log_every_tenth(run, step);
        if (step == 50)
            log_plots(run, step);
        expect(tally_commit(run), "commit", step);
    }
    expect(tally_finish(run, 0), "finish", STEPS);
    return failures ? 1 : 0;
}
