/*
 * test_media_log.c — the media logging calls (src/core/media.c and
 * media_encode.c, the writer's media rows): each type logged and read
 * back by SQL from the run file with its exact meta fields, pixels equal
 * after PNG, one blob per content, every bad input refused with its code,
 * one warning and nothing stored, a killed writer, the queue's cap, and
 * the migration of a schema-3 file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>
#include <zlib.h>

#include "common/buf.h"
#include "common/json.h"
#include "core/run_internal.h"
#include "media/media.h"
#include "testutil.h"

/* ---- reading the file by SQL ---- */

static sqlite3 *db_open(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

static int64_t q_int(sqlite3 *db, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* The meta of key's object at step x, checked against its crc, parsed. */
static cJSON *meta_of(sqlite3 *db, const char *key, int64_t x, int *type)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT media.type, meta, crc FROM media JOIN metric ON "
                                        "metric.id = metric_id WHERE name = ? AND x = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, x);
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("no object %s at %lld", key, (long long)x);
    *type = sqlite3_column_int(st, 0);
    const char *meta = (const char *)sqlite3_column_text(st, 1);
    assert_int_equal((uint32_t)sqlite3_column_int64(st, 2),
                     (uint32_t)crc32(0, (const Bytef *)meta, (uInt)strlen(meta)));
    cJSON *j = json_parse(meta);
    assert_non_null(j);
    sqlite3_finalize(st);
    return j;
}

/* A blob by sha256, checked against its crc and its hash (malloc'd). */
static void *blob_of(sqlite3 *db, const char *sha, size_t *size, const char *format)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT size, format, crc, data FROM blob WHERE sha256=?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("no blob %s", sha);
    size_t n = (size_t)sqlite3_column_bytes(st, 3);
    assert_int_equal(sqlite3_column_int64(st, 0), (int64_t)n);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), format);
    const void *data = sqlite3_column_blob(st, 3);
    assert_int_equal((uint32_t)sqlite3_column_int64(st, 2),
                     (uint32_t)crc32(0, data, (uInt)n));
    char hex[65];
    media_sha256_hex(data, n, hex);
    assert_string_equal(hex, sha);
    void *copy = malloc(n ? n : 1);
    memcpy(copy, data, n);
    sqlite3_finalize(st);
    *size = n;
    return copy;
}

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(v))
        fail_msg("%s is not a string", name);
    return v->valuestring;
}

static double num_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v))
        fail_msg("%s is not a number", name);
    return v->valuedouble;
}

static const cJSON *file_of(const cJSON *meta, int i)
{
    const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(meta, "files"), i);
    assert_non_null(f);
    return f;
}

/* The metric row of a media key: its type, count and step range. */
static void expect_key(sqlite3 *db, const char *key, int type, int64_t n, int64_t x0, int64_t x1)
{
    char k[300];
    snprintf(k, sizeof k, "%s", key);
    assert_int_equal(q_int(db, "SELECT media FROM metric WHERE name='%s'", k), type);
    assert_int_equal(q_int(db, "SELECT n FROM metric WHERE name='%s'", k), n);
    assert_int_equal(q_int(db, "SELECT x_min FROM metric WHERE name='%s'", k), x0);
    assert_int_equal(q_int(db, "SELECT x_max FROM metric WHERE name='%s'", k), x1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM media JOIN metric ON metric.id=metric_id "
                               "WHERE name='%s'",
                           k),
                     n);
    assert_int_equal(q_int(db, "SELECT count(*) FROM chunk JOIN metric ON metric.id=metric_id "
                               "WHERE name='%s'",
                           k),
                     0);
}

/* Decodes the PNG blob named by a file entry and compares its pixels. */
static void expect_png(sqlite3 *db, const cJSON *file, const unsigned char *pixels, int w,
                       int h, int channels)
{
    assert_string_equal(str_of(file, "format"), "png");
    assert_int_equal(num_of(file, "width"), w);
    assert_int_equal(num_of(file, "height"), h);
    size_t n;
    void *png = blob_of(db, str_of(file, "sha256"), &n, "png");
    assert_int_equal(num_of(file, "size"), (double)n);
    media_pixels px = {0};
    assert_int_equal(media_image_decode(png, n, &px), TALLY_OK);
    assert_int_equal(px.width, w);
    assert_int_equal(px.height, h);
    assert_int_equal(px.channels, channels);
    assert_memory_equal(px.pixels, pixels, (size_t)w * h * channels);
    media_pixels_free(&px);
    free(png);
}

static unsigned char *test_pixels(int w, int h, int c, unsigned seed)
{
    unsigned char *p = malloc((size_t)w * h * c);
    for (size_t i = 0; i < (size_t)w * h * c; i++)
        p[i] = (unsigned char)(i * 7 + seed * 31 + (i / (size_t)c) % 13);
    return p;
}

/* ---- stderr ---- */

typedef struct capture {
    int saved;
    char path[4200];
} capture;

static void capture_begin(capture *c, const char *dir)
{
    snprintf(c->path, sizeof c->path, "%s/stderr.txt", dir);
    fflush(stderr);
    c->saved = dup(2);
    int fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(c->saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    unsetenv("TALLY_QUIET");
}

/* The lines written since capture_begin. */
static int capture_end(capture *c, char **text)
{
    setenv("TALLY_QUIET", "1", 1);
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    size_t size;
    char *t = tu_read_file(c->path, &size);
    int lines = 0;
    for (size_t i = 0; t && i < size; i++)
        lines += t[i] == '\n';
    if (text)
        *text = t;
    else
        free(t);
    return lines;
}

/* ---- round trips ---- */

static void test_image_u8(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    unsigned char *rgb = test_pixels(64, 48, 3, 1);
    tally_image im = {.pixels = rgb, .width = 64, .height = 48, .channels = 3,
                      .caption = "a cat"};
    assert_int_equal(tally_log_image(run, "samples/cat", &im), TALLY_OK);
    assert_int_equal(tally_log(run, "loss", 0.5), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    /* Padded rows of gray: the stride is dropped. */
    unsigned char gray[10 * 16];
    for (int i = 0; i < 10 * 16; i++)
        gray[i] = (unsigned char)(i % 16 < 7 ? i : 0xee);
    unsigned char packed[7 * 10];
    for (int y = 0; y < 10; y++)
        memcpy(packed + y * 7, gray + y * 16, 7);
    tally_image g = {.pixels = gray, .width = 7, .height = 10, .channels = 1, .stride = 16};
    assert_int_equal(tally_log_image(run, "samples/cat", &g), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);

    sqlite3 *db = db_open(path);
    assert_int_equal(q_int(db, "PRAGMA user_version"), TALLY_SCHEMA_VERSION);
    expect_key(db, "samples/cat", TALLY_MEDIA_IMAGE, 2, 0, 1);
    int type;
    cJSON *meta = meta_of(db, "samples/cat", 0, &type);
    assert_int_equal(type, TALLY_MEDIA_IMAGE);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(meta, "files")), 1);
    const cJSON *f = file_of(meta, 0);
    assert_string_equal(str_of(f, "caption"), "a cat");
    expect_png(db, f, rgb, 64, 48, 3);
    cJSON_Delete(meta);
    meta = meta_of(db, "samples/cat", 1, &type);
    assert_null(cJSON_GetObjectItemCaseSensitive(file_of(meta, 0), "caption"));
    expect_png(db, file_of(meta, 0), packed, 7, 10, 1);
    cJSON_Delete(meta);
    /* The scalar of the same step is there too; a media key has no summary row. */
    assert_int_equal(q_int(db, "SELECT n FROM metric WHERE name='loss'"), 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM summary WHERE key='samples/cat'"), 0);
    sqlite3_close(db);
    free(rgb);
    free(path);
}

static void test_image_f32_and_encoded(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    float f[4 * 3 * 4];
    unsigned char want[4 * 3 * 4];
    for (int i = 0; i < 48; i++) {
        f[i] = i == 5 ? 2.0f : i == 6 ? -1.0f : (float)i / 47.0f;
        want[i] = i == 5 ? 255 : i == 6 ? 0 : 0;
    }
    media_pixels_from_f32(f, 4, 3, 4, 0, want);
    tally_image im = {.pixels = f, .width = 4, .height = 3, .channels = 4,
                      .sample = TALLY_SAMPLE_F32};
    assert_int_equal(tally_log_image(run, "f", &im), TALLY_OK);
    /* Encoded bytes and a file: decoded and re-encoded, pixels kept. */
    unsigned char *rgb = test_pixels(20, 9, 3, 2);
    buf png = BUF_INIT;
    assert_int_equal(media_png_encode(rgb, 20, 9, 3, 60, 9, &png), TALLY_OK);
    tally_image enc = {.data = png.data, .size = png.len, .caption = "given"};
    assert_int_equal(tally_log_image(run, "enc", &enc), TALLY_OK);
    char file[4200];
    snprintf(file, sizeof file, "%s/x.png", dir);
    assert_int_equal(tu_write_file(file, png.data, png.len), 0);
    tally_image fromfile = {.path = file};
    assert_int_equal(tally_log_image(run, "file", &fromfile), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    unlink(file); /* read on the call: later changes do not matter */
    char *path = tu_run_finish(run, 0);
    sqlite3 *db = db_open(path);
    int type;
    cJSON *meta = meta_of(db, "f", 0, &type);
    expect_png(db, file_of(meta, 0), want, 4, 3, 4);
    cJSON_Delete(meta);
    meta = meta_of(db, "enc", 0, &type);
    assert_string_equal(str_of(file_of(meta, 0), "caption"), "given");
    expect_png(db, file_of(meta, 0), rgb, 20, 9, 3);
    char sha[65];
    snprintf(sha, sizeof sha, "%s", str_of(file_of(meta, 0), "sha256"));
    cJSON_Delete(meta);
    meta = meta_of(db, "file", 0, &type);
    expect_png(db, file_of(meta, 0), rgb, 20, 9, 3);
    /* The same pixels, as given or as a file: one blob, made by tally. */
    assert_string_equal(str_of(file_of(meta, 0), "sha256"), sha);
    cJSON_Delete(meta);
    sqlite3_close(db);
    buf_free(&png);
    free(rgb);
    free(path);
}

/* The same image logged twice, and inside a gallery, is stored once. */
static void test_same_image_one_blob(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    unsigned char *a = test_pixels(16, 16, 3, 3), *b = test_pixels(16, 16, 3, 4);
    tally_image ia = {.pixels = a, .width = 16, .height = 16, .channels = 3};
    tally_image ib = {.pixels = b, .width = 16, .height = 16, .channels = 3, .caption = "b"};
    for (int step = 0; step < 3; step++) {
        assert_int_equal(tally_log_image(run, "img", &ia), TALLY_OK);
        assert_int_equal(tally_commit(run), TALLY_OK);
        assert_int_equal(tally_flush(run), TALLY_OK); /* across flushes too */
    }
    tally_image gallery[3] = {ia, ib, ia};
    assert_int_equal(tally_log_images(run, "gallery", gallery, 3), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    sqlite3 *db = db_open(path);
    assert_int_equal(q_int(db, "SELECT count(*) FROM blob"), 2);
    expect_key(db, "img", TALLY_MEDIA_IMAGE, 3, 0, 2);
    expect_key(db, "gallery", TALLY_MEDIA_IMAGES, 1, 3, 3);
    int type;
    cJSON *meta = meta_of(db, "gallery", 3, &type);
    assert_int_equal(type, TALLY_MEDIA_IMAGES);
    assert_int_equal(num_of(meta, "count"), 3);
    expect_png(db, file_of(meta, 0), a, 16, 16, 3);
    expect_png(db, file_of(meta, 1), b, 16, 16, 3);
    assert_string_equal(str_of(file_of(meta, 1), "caption"), "b");
    assert_string_equal(str_of(file_of(meta, 0), "sha256"), str_of(file_of(meta, 2), "sha256"));
    cJSON_Delete(meta);
    sqlite3_close(db);
    free(a);
    free(b);
    free(path);
}

/* The later object of a key in one step wins; the earlier is not stored. */
static void test_same_key_in_step(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    unsigned char *a = test_pixels(8, 8, 1, 5), *b = test_pixels(8, 8, 1, 6);
    tally_image ia = {.pixels = a, .width = 8, .height = 8, .channels = 1};
    tally_image ib = {.pixels = b, .width = 8, .height = 8, .channels = 1};
    assert_int_equal(tally_log_image(run, "k", &ia), TALLY_OK);
    assert_int_equal(tally_log_image(run, "k", &ib), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    sqlite3 *db = db_open(path);
    expect_key(db, "k", TALLY_MEDIA_IMAGE, 1, 0, 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM blob"), 1);
    int type;
    cJSON *meta = meta_of(db, "k", 0, &type);
    expect_png(db, file_of(meta, 0), b, 8, 8, 1);
    cJSON_Delete(meta);
    sqlite3_close(db);
    free(a);
    free(b);
    free(path);
}

static void expect_numbers(const cJSON *arr, const double *v, size_t n)
{
    assert_int_equal(cJSON_GetArraySize(arr), (int)n);
    size_t i = 0;
    for (const cJSON *it = arr->child; it; it = it->next, i++)
        if (!cJSON_IsNumber(it) || it->valuedouble != v[i])
            fail_msg("item %zu: %g, want %g", i, it->valuedouble, v[i]);
}

static void test_histogram(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    enum { N = 10000, BINS = 37 };
    double *values = malloc(N * sizeof *values);
    tu_rng r;
    tu_rng_seed(&r, 9);
    for (int i = 0; i < N; i++)
        values[i] = tu_rng_unit(&r) * 10 - 3;
    values[17] = NAN;
    values[18] = INFINITY;
    values[19] = -INFINITY;
    capture c;
    capture_begin(&c, dir);
    assert_int_equal(tally_log_histogram(run, "grad", values, N, BINS), TALLY_OK);
    char *text;
    int lines = capture_end(&c, &text);
    assert_int_equal(lines, 1); /* the skipped ones, said once */
    assert_non_null(strstr(text, "3 NaN or infinite"));
    free(text);
    double counts[3] = {1, 0, 2.5}, edges[4] = {-1, 0, 0.5, 4};
    assert_int_equal(tally_log_histogram_bins(run, "pre", counts, 3, edges), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_log_histogram(run, "grad", values, 20, 0), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);

    /* Brute force: equal bins over [min, max] of the finite values, the
     * last bin closed. */
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < N; i++)
        if (isfinite(values[i])) {
            lo = fmin(lo, values[i]);
            hi = fmax(hi, values[i]);
        }
    double want[BINS] = {0};
    for (int i = 0; i < N; i++) {
        if (!isfinite(values[i]))
            continue;
        int k = (int)((values[i] - lo) / (hi - lo) * BINS);
        want[k >= BINS ? BINS - 1 : k]++;
    }
    sqlite3 *db = db_open(path);
    expect_key(db, "grad", TALLY_MEDIA_HISTOGRAM, 2, 0, 1);
    int type;
    cJSON *meta = meta_of(db, "grad", 0, &type);
    assert_int_equal(type, TALLY_MEDIA_HISTOGRAM);
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(meta, "values");
    const cJSON *bins = cJSON_GetObjectItemCaseSensitive(meta, "bins");
    assert_int_equal(cJSON_GetArraySize(vals), BINS);
    assert_int_equal(cJSON_GetArraySize(bins), BINS + 1);
    double total = 0;
    int i = 0;
    for (const cJSON *v = vals->child; v; v = v->next, i++) {
        /* edge cases of the bin arithmetic may move a value by one bin */
        assert_true(fabs(v->valuedouble - want[i]) <= 2);
        total += v->valuedouble;
    }
    assert_true(total == N - 3);
    assert_true(fabs(cJSON_GetArrayItem(bins, 0)->valuedouble - lo) < 1e-12);
    assert_true(fabs(cJSON_GetArrayItem(bins, BINS)->valuedouble - hi) < 1e-12);
    assert_int_equal(num_of(meta, "skipped"), 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(meta, "files")), 0);
    cJSON_Delete(meta);
    meta = meta_of(db, "grad", 1, &type);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(meta, "values")), 64);
    cJSON_Delete(meta);
    meta = meta_of(db, "pre", 0, &type);
    expect_numbers(cJSON_GetObjectItemCaseSensitive(meta, "values"), counts, 3);
    expect_numbers(cJSON_GetObjectItemCaseSensitive(meta, "bins"), edges, 4);
    assert_null(cJSON_GetObjectItemCaseSensitive(meta, "skipped"));
    cJSON_Delete(meta);
    sqlite3_close(db);
    free(values);
    free(path);
}

static void test_table(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    const char *table = "{ \"data\": [[1, \"a\", null], [2.5, \"b\\u0007\", [1,2]]],"
                        "  \"columns\": [\"n\", \"s\", \"x\"], \"extra\": 1 }";
    assert_int_equal(tally_log_table(run, "preds", table), TALLY_OK);
    unsigned char *px = test_pixels(5, 4, 3, 7);
    tally_image cells[2] = {{.pixels = px, .width = 5, .height = 4, .channels = 3},
                            {.pixels = px, .width = 4, .height = 5, .channels = 3}};
    const char *with_images = "{\"columns\":[\"id\",\"img\"],\"data\":[[0,{\"_type\":\"image\","
                              "\"index\":1}],[1,{\"_type\":\"image\",\"index\":0}]]}";
    assert_int_equal(tally_log_table_images(run, "gal", with_images, cells, 2), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    sqlite3 *db = db_open(path);
    expect_key(db, "preds", TALLY_MEDIA_TABLE, 1, 0, 0);
    int type;
    cJSON *meta = meta_of(db, "preds", 0, &type);
    assert_int_equal(type, TALLY_MEDIA_TABLE);
    assert_int_equal(num_of(meta, "ncols"), 3);
    assert_int_equal(num_of(meta, "nrows"), 2);
    const cJSON *f = file_of(meta, 0);
    assert_string_equal(str_of(f, "format"), "json");
    size_t n;
    char *json = blob_of(db, str_of(f, "sha256"), &n, "json");
    assert_int_equal(num_of(f, "size"), (double)n);
    /* Canonical: only columns and data, re-serialised (the BEL escaped). */
    const char *want = "{\"columns\":[\"n\",\"s\",\"x\"],\"data\":[[1,\"a\",null],"
                       "[2.5,\"b\\u0007\",[1,2]]]}";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(json, want, n);
    free(json);
    cJSON_Delete(meta);

    meta = meta_of(db, "gal", 0, &type);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(meta, "files")), 3);
    json = blob_of(db, str_of(file_of(meta, 0), "sha256"), &n, "json");
    json = realloc(json, n + 1);
    json[n] = '\0';
    cJSON *t = json_parse(json);
    assert_non_null(t);
    const cJSON *cell = cJSON_GetArrayItem(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(t, "data"), 0), 1);
    assert_string_equal(str_of(cell, "_type"), "image-file");
    assert_string_equal(str_of(cell, "format"), "png");
    assert_int_equal(num_of(cell, "width"), 4); /* images[1] */
    assert_int_equal(num_of(cell, "height"), 5);
    assert_string_equal(str_of(cell, "sha256"), str_of(file_of(meta, 2), "sha256"));
    expect_png(db, file_of(meta, 1), px, 5, 4, 3);
    expect_png(db, file_of(meta, 2), px, 4, 5, 3);
    cJSON_Delete(t);
    free(json);
    cJSON_Delete(meta);
    sqlite3_close(db);
    free(px);
    free(path);
}

static void test_plot(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    tally_plot p = {.preset = "line",
                    .table_json = "{\"columns\":[\"epoch\",\"loss\"],\"data\":[[0,1.5],[1,0.5]]}",
                    .fields_json = "{\"x\":\"epoch\",\"y\":\"loss\"}",
                    .title = "Loss"};
    assert_int_equal(tally_log_plot(run, "curve", &p), TALLY_OK);
    tally_plot s = {.preset = "scatter", .table_json = "{\"columns\":[\"x\",\"y\"],\"data\":[]}"};
    assert_int_equal(tally_log_plot(run, "sc", &s), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    sqlite3 *db = db_open(path);
    expect_key(db, "curve_table", TALLY_MEDIA_PLOT, 1, 0, 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM metric WHERE name='curve'"), 0);
    int type;
    cJSON *meta = meta_of(db, "curve_table", 0, &type);
    assert_int_equal(type, TALLY_MEDIA_PLOT);
    assert_string_equal(str_of(meta, "chart"), "curve");
    assert_string_equal(str_of(meta, "preset"), "line");
    assert_string_equal(str_of(meta, "title"), "Loss");
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(meta, "fields");
    assert_string_equal(str_of(fields, "x"), "epoch");
    assert_string_equal(str_of(fields, "y"), "loss");
    assert_int_equal(num_of(meta, "ncols"), 2);
    assert_int_equal(num_of(meta, "nrows"), 2);
    assert_string_equal(str_of(file_of(meta, 0), "format"), "json");
    cJSON_Delete(meta);
    meta = meta_of(db, "sc_table", 0, &type);
    fields = cJSON_GetObjectItemCaseSensitive(meta, "fields");
    assert_string_equal(str_of(fields, "x"), "x"); /* the fields' own names */
    assert_null(cJSON_GetObjectItemCaseSensitive(meta, "title"));
    assert_int_equal(num_of(meta, "nrows"), 0);
    cJSON_Delete(meta);
    sqlite3_close(db);
    free(path);
}

static void test_audio(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    enum { FRAMES = 800 };
    float s[FRAMES * 2];
    for (int i = 0; i < FRAMES * 2; i++)
        s[i] = (float)sin(i * 0.05) * (i % 2 ? 0.5f : 1.0f);
    tally_audio a = {.samples = s, .frames = FRAMES, .channels = 2, .sample_rate = 8000,
                     .caption = "tone"};
    assert_int_equal(tally_log_audio(run, "sound", &a), TALLY_OK);
    /* WAV bytes given: decoded and re-encoded. */
    buf wav = BUF_INIT;
    assert_int_equal(media_wav_encode(s, FRAMES, 2, 8000, &wav), TALLY_OK);
    tally_audio given = {.data = wav.data, .size = wav.len};
    assert_int_equal(tally_log_audio(run, "given", &given), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    sqlite3 *db = db_open(path);
    expect_key(db, "sound", TALLY_MEDIA_AUDIO, 1, 0, 0);
    int type;
    cJSON *meta = meta_of(db, "sound", 0, &type);
    assert_int_equal(type, TALLY_MEDIA_AUDIO);
    assert_int_equal(num_of(meta, "sample_rate"), 8000);
    assert_int_equal(num_of(meta, "channels"), 2);
    assert_int_equal(num_of(meta, "frames"), FRAMES);
    assert_true(fabs(num_of(meta, "duration") - 0.1) < 1e-9);
    const cJSON *f = file_of(meta, 0);
    assert_string_equal(str_of(f, "caption"), "tone");
    assert_string_equal(str_of(f, "format"), "wav");
    assert_null(cJSON_GetObjectItemCaseSensitive(f, "width"));
    size_t n;
    void *data = blob_of(db, str_of(f, "sha256"), &n, "wav");
    assert_int_equal(n, 44 + FRAMES * 2 * 2); /* 16-bit PCM */
    media_pcm pcm = {0};
    assert_int_equal(media_wav_decode(data, n, &pcm), TALLY_OK);
    assert_int_equal(pcm.frames, FRAMES);
    assert_int_equal(pcm.channels, 2);
    assert_int_equal(pcm.sample_rate, 8000);
    for (int i = 0; i < FRAMES * 2; i++)
        assert_true(fabsf(pcm.samples[i] - s[i]) < 1.0f / 16000);
    media_pcm_free(&pcm);
    char sha[65];
    snprintf(sha, sizeof sha, "%s", str_of(f, "sha256"));
    cJSON_Delete(meta);
    meta = meta_of(db, "given", 0, &type);
    assert_string_equal(str_of(file_of(meta, 0), "sha256"), sha); /* the same samples */
    cJSON_Delete(meta);
    free(data);
    sqlite3_close(db);
    buf_free(&wav);
    free(path);
}

static void test_video(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    enum { W = 12, H = 10, F = 3 };
    unsigned char *frames = test_pixels(W, H * F, 3, 8);
    tally_video v = {.frames = frames, .nframes = F, .width = W, .height = H, .channels = 3};
    assert_int_equal(tally_log_video(run, "clip", &v), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    sqlite3 *db = db_open(path);
    expect_key(db, "clip", TALLY_MEDIA_VIDEO, 1, 0, 0);
    int type;
    cJSON *meta = meta_of(db, "clip", 0, &type);
    assert_int_equal(type, TALLY_MEDIA_VIDEO);
    assert_int_equal(num_of(meta, "fps"), 4);
    assert_int_equal(num_of(meta, "nframes"), F);
    assert_int_equal(num_of(meta, "width"), W);
    assert_int_equal(num_of(meta, "height"), H);
    assert_true(fabs(num_of(meta, "duration") - 0.75) < 1e-9);
    const cJSON *f = file_of(meta, 0);
    assert_string_equal(str_of(f, "format"), "gif");
    size_t n;
    void *gif = blob_of(db, str_of(f, "sha256"), &n, "gif");
    media_anim anim = {0};
    assert_int_equal(media_gif_decode(gif, n, &anim), TALLY_OK);
    assert_int_equal(anim.nframes, F);
    assert_int_equal(anim.width, W);
    assert_int_equal(anim.height, H);
    media_anim_free(&anim);
    free(gif);
    cJSON_Delete(meta);
    sqlite3_close(db);
    free(frames);
    free(path);
}

/* ---- bad input ---- */

typedef struct bad_case {
    const char *name;
    int want;
} bad_case;

static float nan_pixels[12];
static unsigned char some_pixels[64 * 3];
static const double hist_values[4] = {1, 2, 3, 4};
static const double hist_counts[2] = {1, 2};
static const double bad_edges[3] = {0, 2, 1};

/* Calls the bad input number i on key "bad". */
static int call_bad(tally_run *run, int i, const char *dir)
{
    tally_image im = {.pixels = some_pixels, .width = 8, .height = 8, .channels = 3};
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/no-such.png", dir);
    switch (i) {
    case 0: return tally_log_image(run, "bad", NULL);
    case 1: im.pixels = NULL; return tally_log_image(run, "bad", &im);
    case 2: im.width = 0; return tally_log_image(run, "bad", &im);
    case 3: im.height = -4; return tally_log_image(run, "bad", &im);
    case 4: im.width = TALLY_MEDIA_MAX_SIDE + 1; return tally_log_image(run, "bad", &im);
    case 5: im.channels = 2; return tally_log_image(run, "bad", &im);
    case 6: im.stride = 8 * 3 - 1; return tally_log_image(run, "bad", &im);
    case 7: {
        tally_image enc = {.data = "GIF89a not really", .size = 17};
        return tally_log_image(run, "bad", &enc);
    }
    case 8: {
        tally_image p = {.path = missing};
        return tally_log_image(run, "bad", &p);
    }
    case 9: {
        tally_image f = {.pixels = nan_pixels, .width = 2, .height = 2, .channels = 3,
                         .sample = TALLY_SAMPLE_F32};
        return tally_log_image(run, "bad", &f);
    }
    case 10: return tally_log_table(run, "bad", "{\"columns\":[\"a\",\"b\"],\"data\":[[1]]}");
    case 11: return tally_log_table(run, "bad", "{\"columns\":[\"a\"],\"data\":[[1]");
    case 12: return tally_log_histogram(run, "bad", hist_values, 4, 513);
    case 13: return tally_log_histogram_bins(run, "bad", hist_counts, 2, bad_edges);
    case 14: {
        tally_plot p = {.preset = "pie", .table_json = "{\"columns\":[],\"data\":[]}"};
        return tally_log_plot(run, "bad", &p);
    }
    case 15: return tally_log(run, "loss", 1) == 0 ? tally_log_image(run, "loss", &im) : -99;
    case 16: return tally_log_image(run, "_step", &im);
    case 17: {
        double nan_values[3] = {NAN, INFINITY, NAN};
        return tally_log_histogram(run, "bad", nan_values, 3, 10);
    }
    case 18: {
        tally_audio a = {.samples = nan_pixels, .frames = 4, .channels = 3, .sample_rate = 0};
        return tally_log_audio(run, "bad", &a);
    }
    case 19: {
        tally_video v = {.data = "not a video at all", .size = 18};
        return tally_log_video(run, "bad", &v);
    }
    case 20: {
        tally_image cell = im;
        return tally_log_table_images(run, "bad", "{\"columns\":[\"i\"],\"data\":[[{\"_type\":"
                                      "\"image\",\"index\":3}]]}", &cell, 1);
    }
    case 21: { /* a plot field naming no column */
        tally_plot p = {.preset = "line", .table_json = "{\"columns\":[\"a\",\"b\"],\"data\":[]}",
                        .fields_json = "{\"x\":\"a\",\"y\":\"nope\"}"};
        return tally_log_plot(run, "bad", &p);
    }
    case 22: return tally_log_images(run, "bad", &im, 0);
    default: return -99;
    }
}

static const bad_case bad_cases[] = {
    {"NULL image", TALLY_EINVAL},
    {"NULL pixels, data and path", TALLY_EINVAL},
    {"zero width", TALLY_EMEDIA},
    {"negative height", TALLY_EMEDIA},
    {"huge width", TALLY_ETOOBIG},
    {"two channels", TALLY_EMEDIA},
    {"stride too small", TALLY_EMEDIA},
    {"bytes that are not PNG or JPEG", TALLY_EMEDIA},
    {"a missing path", TALLY_ENOTFOUND},
    {"NaN in F32 pixels", TALLY_EMEDIA},
    {"a row shorter than the columns", TALLY_EJSON},
    {"malformed table JSON", TALLY_EJSON},
    {"513 bins", TALLY_EMEDIA},
    {"edges not increasing", TALLY_EMEDIA},
    {"an unknown plot preset", TALLY_EINVAL},
    {"an image under a scalar key", TALLY_EINVAL},
    {"a reserved key", TALLY_EKEY},
    {"a histogram of no finite value", TALLY_EMEDIA},
    {"audio at 0 Hz", TALLY_EMEDIA},
    {"bytes that are no video", TALLY_EMEDIA},
    {"an image cell index past the images", TALLY_EINVAL},
    {"a plot field naming no column", TALLY_EINVAL},
    {"an empty gallery", TALLY_EINVAL},
};

/* Each bad input: its code, exactly one warning, nothing of it stored,
 * and the rest of the step (a scalar, an image) kept. */
static void test_bad_inputs(void **state)
{
    const char *dir = *state;
    nan_pixels[7] = NAN;
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        tally_run *run = tu_run_start(dir, NULL);
        tally_image good = {.pixels = some_pixels, .width = 8, .height = 8, .channels = 3};
        assert_int_equal(tally_log(run, "kept", 1), TALLY_OK);
        assert_int_equal(tally_log_image(run, "kept_image", &good), TALLY_OK);
        capture c;
        capture_begin(&c, dir);
        int rc = call_bad(run, (int)i, dir);
        char *text;
        int lines = capture_end(&c, &text);
        if (rc != bad_cases[i].want || lines != 1)
            fail_msg("%s: %s with %d warning lines (want %s): %s", bad_cases[i].name,
                     tally_strerror(rc), lines, tally_strerror(bad_cases[i].want),
                     text ? text : "");
        free(text);
        assert_int_equal(tally_commit(run), TALLY_OK);
        char *path = tu_run_finish(run, 0);
        sqlite3 *db = db_open(path);
        assert_int_equal(q_int(db, "SELECT count(*) FROM metric WHERE name='bad' AND n>0"), 0);
        assert_int_equal(q_int(db, "SELECT count(*) FROM media"), 1);
        expect_key(db, "kept_image", TALLY_MEDIA_IMAGE, 1, 0, 0);
        assert_int_equal(q_int(db, "SELECT n FROM metric WHERE name='kept'"), 1);
        assert_int_equal(q_int(db, "SELECT dropped FROM run"), 0);
        sqlite3_close(db);
        free(path);
    }
}

/* A media key refuses scalars and objects of another type; a disabled
 * run takes everything and does nothing. */
static void test_key_types(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    tally_image im = {.pixels = some_pixels, .width = 8, .height = 8, .channels = 3};
    assert_int_equal(tally_log_image(run, "img", &im), TALLY_OK);
    assert_int_equal(tally_log(run, "img", 1), TALLY_EINVAL);
    assert_int_equal(tally_log_str(run, "img", "x"), TALLY_EINVAL);
    assert_int_equal(tally_log_json(run, "{\"img\": 2, \"other\": 3}"), TALLY_EINVAL);
    assert_int_equal(tally_log_histogram(run, "img", hist_values, 4, 2), TALLY_EINVAL);
    assert_int_equal(tally_commit(run), TALLY_OK);
    assert_int_equal(tally_log_image(run, "img", &im), TALLY_OK); /* still an image key */
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    sqlite3 *db = db_open(path);
    expect_key(db, "img", TALLY_MEDIA_IMAGE, 2, 0, 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM metric WHERE name='other'"), 0);
    sqlite3_close(db);
    free(path);

    tally_options o = {.mode = "disabled"};
    tally_run *off = tally_init(&o);
    assert_non_null(off);
    assert_int_equal(tally_log_image(off, "img", NULL), TALLY_OK);
    assert_int_equal(tally_log_table(off, "t", "not json"), TALLY_OK);
    assert_int_equal(tally_finish(off, 0), TALLY_OK);
    assert_int_equal(tally_log_image(NULL, "img", &im), TALLY_EINVAL);
}

/* A resumed run remembers which keys hold objects, and a schema-3 file
 * is migrated when its run is resumed. */
static void test_resume_and_migrate(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, "mig00001");
    assert_int_equal(tally_log(run, "loss", 1), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    char *path = tu_run_finish(run, 0);
    /* Make it a schema-3 file, as an older tally wrote it. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TABLE media; DROP TABLE blob;"
                                  "ALTER TABLE metric DROP COLUMN media; PRAGMA user_version=3;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    tally_store *st = tu_store_open(path); /* a reader reads it as it is */
    assert_int_equal(tally_store_info(st)->schema_version, 3);
    tally_store_close(st);

    run = tu_run_start(dir, "mig00001");
    tally_image im = {.pixels = some_pixels, .width = 8, .height = 8, .channels = 3};
    assert_int_equal(tally_log_image(run, "img", &im), TALLY_OK);
    assert_int_equal(tally_commit(run), TALLY_OK);
    free(tu_run_finish(run, 0));
    db = db_open(path);
    assert_int_equal(q_int(db, "PRAGMA user_version"), TALLY_SCHEMA_VERSION);
    expect_key(db, "img", TALLY_MEDIA_IMAGE, 1, 1, 1);
    assert_int_equal(q_int(db, "SELECT media FROM metric WHERE name='loss'"), 0);
    sqlite3_close(db);

    run = tu_run_start(dir, "mig00001");
    assert_int_equal(tally_log(run, "img", 3), TALLY_EINVAL); /* known from the file */
    assert_int_equal(tally_log_image(run, "img", &im), TALLY_OK);
    assert_int_equal(tally_log_image(run, "loss", &im), TALLY_EINVAL);
    assert_int_equal(tally_commit(run), TALLY_OK);
    free(tu_run_finish(run, 0));
    db = db_open(path);
    expect_key(db, "img", TALLY_MEDIA_IMAGE, 2, 1, 2);
    sqlite3_close(db);
    free(path);
}

/* A writer killed with -9 loses at most its last flush: every object a
 * tally_flush() returned for is in the file, whole. */
static void test_killed_writer(void **state)
{
    const char *dir = *state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        tally_options o = {.dir = dir, .project = "unit", .id = "killed01", .flush_ms = 5,
                           .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
        tally_run *run = NULL;
        if (tally_init_ex(&o, &run) != TALLY_OK)
            _exit(1);
        unsigned char px[32 * 32 * 3];
        for (int step = 0;; step++) {
            for (size_t i = 0; i < sizeof px; i++)
                px[i] = (unsigned char)(i * step);
            tally_image im = {.pixels = px, .width = 32, .height = 32, .channels = 3};
            tally_log_image(run, "img", &im);
            tally_log_histogram(run, "h", (double[]){1, 2, (double)step}, 3, 4);
            tally_commit(run);
            if (step < 10 && tally_flush(run) == TALLY_OK) {
                char c = 'f';
                if (write(fds[1], &c, 1) != 1)
                    _exit(2);
            }
        }
    }
    close(fds[1]);
    char c;
    for (int i = 0; i < 10; i++)
        assert_int_equal(read(fds[0], &c, 1), 1);
    usleep(20000); /* it keeps logging unflushed steps */
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(fds[0]);
    char *path = NULL;
    assert_int_equal(tally_store_resolve(dir, "killed01", &path), TALLY_OK);
    sqlite3 *db = db_open(path);
    int64_t n = q_int(db, "SELECT n FROM metric WHERE name='img'");
    assert_true(n >= 10);
    assert_int_equal(q_int(db, "SELECT count(*) FROM media JOIN metric ON metric.id=metric_id "
                               "WHERE name='img'"),
                     n);
    assert_int_equal(q_int(db, "SELECT x_max FROM metric WHERE name='img'"), n - 1);
    /* Every object's files are there, every meta and blob checks out. */
    for (int64_t x = 0; x < n; x++) {
        int type;
        cJSON *meta = meta_of(db, "img", x, &type);
        size_t size;
        free(blob_of(db, str_of(file_of(meta, 0), "sha256"), &size, "png"));
        cJSON_Delete(meta);
    }
    assert_true(q_int(db, "SELECT n FROM metric WHERE name='h'") >= 10);
    sqlite3_close(db);
    free(path);
}

/* Objects committed while the disk fails are held up to
 * TALLY_MEDIA_QUEUE_BYTES, then dropped with TALLY_EFULL, counted in the
 * run and warned about once; what was held is written once the disk
 * recovers.  Returns what went wrong, 0 when nothing. */
static int queue_cap_child(const char *dir)
{
    signal(SIGXFSZ, SIG_IGN);
    tally_options o = {.dir = dir, .project = "unit", .id = "mediacap", .flush_ms = 5,
                       .sample_ms = -1, .capture = TALLY_CAPTURE_NONE};
    tally_run *run = NULL;
    if (tally_init_ex(&o, &run) != TALLY_OK || tally_log(run, "a", 1) || tally_commit(run) ||
        tally_flush(run))
        return 1;
    enum { SIDE = 1024 };
    unsigned char *px = calloc((size_t)SIDE * SIDE, 4); /* 4 MiB, compresses to little */
    if (!px)
        return 2;
    tally_image im = {.pixels = px, .width = SIDE, .height = SIDE, .channels = 4};
    struct stat sb;
    if (stat(tally_run_path(run), &sb) != 0)
        return 3;
    struct rlimit lim = {(rlim_t)sb.st_size + 4096, RLIM_INFINITY};
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
        return 3;
    /* Until a flush fails: the disk is "full" from then on. */
    char *pad = malloc(1u << 20);
    if (!pad)
        return 2;
    for (size_t i = 0; i < (1u << 20) - 1; i++)
        pad[i] = (char)('a' + (i * 2654435761u >> 13) % 26);
    pad[(1u << 20) - 1] = '\0';
    int failing = 0;
    for (int i = 0; i < 64 && !failing; i++) {
        pad[i] = 'A';
        tally_log_str(run, "pad", pad);
        tally_commit(run);
        failing = tally_flush(run) != TALLY_OK;
    }
    free(pad);
    if (!failing)
        return 3;
    int kept = 0, refused = 0;
    fflush(stderr);
    int saved = dup(2);
    char path[4200];
    snprintf(path, sizeof path, "%s/cap-stderr.txt", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    unsetenv("TALLY_QUIET");
    for (int step = 0; step < 80; step++) {
        px[0] = (unsigned char)step; /* a new blob each time */
        int rc = tally_log_image(run, "img", &im); /* staged; may report the failing disk */
        if (rc != TALLY_OK && rc != TALLY_EIO && rc != TALLY_ENOSPC)
            return 4;
        rc = tally_commit(run);
        if (rc == TALLY_EFULL)
            refused++;
        else
            kept++;
    }
    setenv("TALLY_QUIET", "1", 1);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    free(px);
    size_t size;
    char *text = tu_read_file(path, &size);
    int efull_lines = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
        efull_lines += strstr(line, "not keeping up") != NULL;
    size_t per = (size_t)SIDE * SIDE * 4;
    if (refused == 0 || kept > (int)(TALLY_MEDIA_QUEUE_BYTES / per) ||
        kept < (int)(TALLY_MEDIA_QUEUE_BYTES / per) - 2 || efull_lines != 1) {
        printf("kept %d refused %d efull lines %d\n%s\n", kept, refused, efull_lines, text);
        fflush(stdout);
        return 5;
    }
    free(text);
    lim.rlim_cur = RLIM_INFINITY;
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0 || tally_flush(run) != TALLY_OK)
        return 6;
    char *file = strdup(tally_run_path(run));
    if (tally_finish(run, 0))
        return 7;
    sqlite3 *db;
    if (sqlite3_open(file, &db) != SQLITE_OK)
        return 8;
    sqlite3_stmt *st;
    int64_t n = -1, dropped = -1;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT n FROM metric WHERE name='img'), dropped FROM run",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
        dropped = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(file);
    if (n != kept)
        return 9;
    return dropped == refused ? 0 : 10;
}

static void test_queue_cap(void **state)
{
    const char *dir = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(queue_cap_child(dir));
    assert_int_equal(tu_wait_child(pid), 0);
}

/* Many threads logging objects and values into one run. */
static void *thread_main(void *arg)
{
    tally_run *run = arg;
    unsigned char px[4 * 4 * 3] = {0};
    tally_image im = {.pixels = px, .width = 4, .height = 4, .channels = 3};
    for (int i = 0; i < 200; i++) {
        px[0] = (unsigned char)i;
        tally_log_image(run, "t/img", &im);
        tally_log_histogram(run, "t/h", (double[]){1, (double)i}, 2, 3);
        tally_log(run, "t/x", i);
        tally_commit(run);
    }
    return NULL;
}

static void test_threads(void **state)
{
    const char *dir = *state;
    tally_run *run = tu_run_start(dir, NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, run), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    char *path = tu_run_finish(run, 0);
    sqlite3 *db = db_open(path);
    int64_t n = q_int(db, "SELECT n FROM metric WHERE name='t/img'");
    assert_true(n > 0 && n <= 800);
    assert_int_equal(q_int(db, "SELECT count(*) FROM media JOIN metric ON metric.id=metric_id "
                               "WHERE name='t/img'"),
                     n);
    assert_int_equal(q_int(db, "SELECT count(*) FROM media"),
                     n + q_int(db, "SELECT n FROM metric WHERE name='t/h'"));
    sqlite3_close(db);
    free(path);
}

int main(void)
{
    setenv("TALLY_QUIET", "1", 1);
    const struct CMUnitTest tests[] = {
        TU_DIR_TEST(test_image_u8),
        TU_DIR_TEST(test_image_f32_and_encoded),
        TU_DIR_TEST(test_same_image_one_blob),
        TU_DIR_TEST(test_same_key_in_step),
        TU_DIR_TEST(test_histogram),
        TU_DIR_TEST(test_table),
        TU_DIR_TEST(test_plot),
        TU_DIR_TEST(test_audio),
        TU_DIR_TEST(test_video),
        TU_DIR_TEST(test_bad_inputs),
        TU_DIR_TEST(test_key_types),
        TU_DIR_TEST(test_resume_and_migrate),
        TU_DIR_TEST(test_killed_writer),
        TU_DIR_TEST(test_queue_cap),
        TU_DIR_TEST(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
