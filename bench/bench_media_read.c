/*
 * bench_media_read.c — the media read API (src/store/media.c) against the
 * least a verified reader must do, in the same run: a run of STEPS steps
 * with an image and a histogram each (written through the public API),
 * then, best of five in CPU time:
 *   - iterating every object (tally_media_next: checksum, meta parsed,
 *     paths and wandb JSON built) ÷ a raw SELECT of the same rows with
 *     crc32 and cJSON_Parse of each meta (target <= 3x);
 *   - reading every image (tally_store_blob: checksum verified, copied) ÷
 *     a raw SELECT of the blob and a memcpy (target <= 1.5x);
 *   - decoding every image (tally_store_image_rgba) ÷ media_image_decode_rgba
 *     of the same bytes in memory (target <= 1.5x).
 *
 *   bench_media_read [STEPS]   (default 5000)
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "media/media.h"
#include "tally.h"
#include "tally_store.h"

#define RUNS 5

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *write_run(const char *dir, long steps)
{
    tally_options o = {.dir = dir, .project = "bench", .name = "media-read", .sample_ms = -1,
                       .capture = TALLY_CAPTURE_NONE};
    tally_run *run;
    if (tally_init_ex(&o, &run))
        return NULL;
    unsigned char px[32 * 24 * 3];
    double values[512];
    for (long s = 0; s < steps; s++) {
        for (size_t i = 0; i < sizeof px; i++)
            px[i] = (unsigned char)(i * 13 + (size_t)s * 7);
        for (int i = 0; i < 512; i++)
            values[i] = (double)((i * 31 + s) % 997);
        tally_image img = {.pixels = px, .width = 32, .height = 24, .channels = 3};
        if (tally_log_image(run, "samples/img", &img) || tally_log_histogram(run, "w", values, 512, 64) ||
            tally_commit(run))
            return NULL;
    }
    char *path = strdup(tally_run_path(run));
    tally_finish(run, 0);
    return path;
}

/* What any verified reader of the rows must do at the least. */
static long raw_rows(sqlite3 *db)
{
    sqlite3_stmt *q;
    long n = 0;
    sqlite3_prepare_v2(db, "SELECT meta, crc FROM media ORDER BY x, metric_id", -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *meta = (const char *)sqlite3_column_text(q, 0);
        int len = sqlite3_column_bytes(q, 0);
        if ((uint32_t)crc32(0L, (const Bytef *)meta, (uInt)len) !=
            (uint32_t)sqlite3_column_int64(q, 1))
            abort();
        cJSON *v = cJSON_Parse(meta);
        n += v != NULL;
        cJSON_Delete(v);
    }
    sqlite3_finalize(q);
    return n;
}

static long api_rows(tally_store *st)
{
    tally_media_iter *it;
    tally_media m;
    long n = 0;
    if (tally_media_open(st, -1, 0, INT64_MAX, &it))
        abort();
    while (tally_media_next(it, &m) == 1)
        n += m.wandb_json != NULL;
    tally_media_close(it);
    return n;
}

typedef struct shas {
    char (*sha)[65];
    size_t n;
} shas;

static long raw_blobs(sqlite3 *db, const shas *s, int decode)
{
    sqlite3_stmt *q;
    long n = 0;
    sqlite3_prepare_v2(db, "SELECT data FROM blob WHERE sha256 = ?", -1, &q, NULL);
    for (size_t i = 0; i < s->n; i++) {
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, s->sha[i], -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_ROW)
            abort();
        size_t size = (size_t)sqlite3_column_bytes(q, 0);
        void *copy = malloc(size);
        memcpy(copy, sqlite3_column_blob(q, 0), size);
        if (decode) {
            media_pixels px;
            if (media_image_decode_rgba(copy, size, &px))
                abort();
            media_pixels_free(&px);
        }
        free(copy);
        n++;
    }
    sqlite3_finalize(q);
    return n;
}

static long api_blobs(tally_store *st, const shas *s, int decode)
{
    long n = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (decode) {
            tally_rgba img;
            if (tally_store_image_rgba(st, s->sha[i], &img))
                abort();
            tally_rgba_free(&img);
        } else {
            void *data;
            size_t size;
            if (tally_store_blob(st, s->sha[i], &data, &size))
                abort();
            free(data);
        }
        n++;
    }
    return n;
}

int main(int argc, char **argv)
{
    long steps = argc > 1 ? atol(argv[1]) : 5000;
    char dir[] = "/tmp/bench_media_read.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    double t0 = cpu_now();
    char *path = write_run(dir, steps);
    if (!path) {
        fprintf(stderr, "bench_media_read: writing the run failed\n");
        return 1;
    }
    printf("run of %ld steps (an image and a histogram each) written in %.2f s CPU\n", steps,
           cpu_now() - t0);
    tally_store *st;
    sqlite3 *db;
    if (tally_store_open(path, &st) ||
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return 1;
    shas s = {calloc((size_t)steps, 65), 0};
    tally_media_iter *it;
    tally_media m;
    const tally_media_key *k = tally_store_find_media_key(st, "samples/img");
    if (!k || tally_media_open(st, k->metric_id, 0, INT64_MAX, &it))
        return 1;
    while (tally_media_next(it, &m) == 1 && s.n < (size_t)steps)
        memcpy(s.sha[s.n++], m.files[0].sha256, 65);
    tally_media_close(it);

    static const struct {
        const char *what;
        double target;
    } rows[3] = {{"iterate objects (tally_media_next / raw SELECT + crc32 + cJSON_Parse)", 3.0},
                 {"read images (tally_store_blob / raw SELECT + memcpy)", 1.5},
                 {"decode images (tally_store_image_rgba / media_image_decode_rgba)", 1.5}};
    int fails = 0;
    for (int r = 0; r < 3; r++) {
        double best_api = 1e9, best_raw = 1e9;
        long n_api = 0, n_raw = 0;
        for (int i = 0; i < RUNS; i++) {
            double a = cpu_now();
            n_raw = r == 0 ? raw_rows(db) : raw_blobs(db, &s, r == 2);
            double b = cpu_now();
            n_api = r == 0 ? api_rows(st) : api_blobs(st, &s, r == 2);
            double c = cpu_now();
            if (b - a < best_raw)
                best_raw = b - a;
            if (c - b < best_api)
                best_api = c - b;
        }
        if (n_api != n_raw)
            return 1;
        double ratio = best_api / best_raw;
        int ok = ratio <= rows[r].target;
        fails += !ok;
        printf("%-72s %6ld x: %.3f / %.3f s = %.2fx (target <= %.1fx) %s\n", rows[r].what, n_api,
               best_api, best_raw, ratio, rows[r].target, ok ? "ok" : "MISSED");
    }
    free(s.sha);
    sqlite3_close(db);
    tally_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_media_read: could not remove %s\n", dir);
    free(path);
    return 0;
}
