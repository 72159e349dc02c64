/*
 * bench_json.c — the cost of the strict JSON writer (common/json.h), with
 * cJSON's own printer on the same input in the same run as the baseline.
 *
 * - strings: json_string() over metric names, accented text and console
 *   lines with escapes, against cJSON_PrintUnformatted() of the same
 *   strings (which escapes C0 only and checks no UTF-8);
 * - documents: json_write() of a config-like tree against cJSON's printer;
 * - stored cells: json_text() re-writes a stored value (parse + write), what
 *   export and sync now do for each string or JSON cell, against copying
 *   the stored text as it is (what they did before).
 * Ratios, not absolute times, are what survive a noisy shared machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/json.h"

#include "benchutil.h"

#define ROUNDS 200000

static const char *const strings[] = {
    "train/loss", "val/accuracy", "layer07/grad_norm", "system.gpu.0.memoryAllocated",
    "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x8e\x89",
    "epoch 3/10: loss=0.3125 acc=0.9012 lr=1e-3 \"best\" so far\tETA 00:42",
    "\x1b[32mINFO\x1b[0m checkpoint saved to /tmp/run/ckpt-0003.pt",
};
#define NSTRINGS (sizeof strings / sizeof *strings)

static const char *const config =
    "{\"lr\":0.001,\"batch_size\":128,\"optimizer\":{\"name\":\"adamw\",\"betas\":[0.9,0.999],"
    "\"weight_decay\":0.01},\"model\":{\"layers\":24,\"hidden\":1024,\"heads\":16,"
    "\"dropout\":0.1,\"activation\":\"gelu\"},\"data\":{\"path\":\"/data/imagenet\","
    "\"augment\":true,\"classes\":1000},\"seed\":1234,\"notes\":\"first try \xe2\x80\x94 "
    "warmup 5%\"}";

/* ns per item of f over ROUNDS rounds of n items. */
#define TIME(ns, n, body)                                                                      \
    do {                                                                                       \
        double t0_ = bench_now();                                                                    \
        for (int r_ = 0; r_ < ROUNDS; r_++) {                                                  \
            body;                                                                              \
        }                                                                                      \
        (ns) = (bench_now() - t0_) * 1e9 / ((double)ROUNDS * (double)(n));                          \
    } while (0)

int main(void)
{
    buf b = BUF_INIT;
    size_t sink = 0;
    cJSON *items[NSTRINGS];
    for (size_t i = 0; i < NSTRINGS; i++)
        items[i] = cJSON_CreateString(strings[i]);

    double ours, theirs;
    TIME(ours, NSTRINGS, for (size_t i = 0; i < NSTRINGS; i++) {
        buf_reset(&b);
        json_string(&b, strings[i]);
        sink += b.len;
    });
    TIME(theirs, NSTRINGS, for (size_t i = 0; i < NSTRINGS; i++) {
        char *s = cJSON_PrintUnformatted(items[i]);
        sink += strlen(s);
        cJSON_free(s);
    });
    printf("strings:      json_string %6.1f ns, cJSON printer %6.1f ns  (%.2fx)\n", ours, theirs,
           ours / theirs);

    cJSON *tree = json_parse(config);
    TIME(ours, 1, {
        buf_reset(&b);
        json_write(&b, tree, 0);
        sink += b.len;
    });
    TIME(theirs, 1, {
        char *s = cJSON_PrintUnformatted(tree);
        sink += strlen(s);
        cJSON_free(s);
    });
    printf("documents:    json_write  %6.1f ns, cJSON printer %6.1f ns  (%.2fx)\n", ours, theirs,
           ours / theirs);
    cJSON_Delete(tree);

    char *stored[NSTRINGS];
    for (size_t i = 0; i < NSTRINGS; i++)
        stored[i] = cJSON_PrintUnformatted(items[i]);
    TIME(ours, NSTRINGS, for (size_t i = 0; i < NSTRINGS; i++) {
        buf_reset(&b);
        json_text(&b, stored[i], 0);
        sink += b.len;
    });
    TIME(theirs, NSTRINGS, for (size_t i = 0; i < NSTRINGS; i++) {
        buf_reset(&b);
        buf_puts(&b, stored[i]);
        sink += b.len;
    });
    printf("stored cells: json_text   %6.1f ns, plain copy    %6.1f ns  (%.2fx)\n", ours, theirs,
           ours / theirs);

    for (size_t i = 0; i < NSTRINGS; i++) {
        cJSON_free(stored[i]);
        cJSON_Delete(items[i]);
    }
    buf_free(&b);
    return sink == 0; /* keeps the loops from being optimised away */
}
