/*
 * test_media_read.c — the media read API (src/store/media.c): keys, object
 * iterators, paths and wandb JSON, blobs, decoded images, histograms,
 * tables, plots, audio; history cells and summary of media keys; hostile
 * keys make safe paths; damaged meta or blobs are recorded and skipped;
 * schema-3 files have no media keys.  Fixtures are written through the
 * store writer (writer_media), as the flusher does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/text.h"
#include "media/media.h"
#include "store/mediameta.h"
#include "store/schema.h"
#include "store/writer.h"
#include "testutil.h"

#define STEPS 10
#define HOSTILE_KEY "../../etc/\x1b[31mevil/./x\\y/"

enum { M_TS = 1, M_RT, M_LOSS, M_IMG, M_GAL, M_HIST, M_TAB, M_PLOT, M_SND, M_VID, M_BAD };

typedef struct fixture {
    char *dir, *path;
    buf png[STEPS]; /* the image of "img" at each step */
    char sha[STEPS][65];
    char table_sha[65], cell_sha[65], wav_sha[65];
} fixture;

/* A 5x3 RGB image that differs with seed. */
static void make_png(buf *out, int seed)
{
    unsigned char px[5 * 3 * 3];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (unsigned char)(i * 7 + (size_t)seed * 31);
    assert_int_equal(media_png_encode(px, 5, 3, 3, 15, -1, out), 0);
}

static void put_media(store_writer *w, int64_t id, int64_t step, int type, const char *meta,
                      const writer_blob *files, size_t n)
{
    assert_int_equal(writer_media(w, id, step, type, meta, files, n), 0);
}

/* A file entry of meta. */
static void file_json(buf *b, const char *sha, size_t size, const char *format, int w, int h,
                      const char *caption)
{
    buf_printf(b, "{\"sha256\":\"%s\",\"size\":%zu,\"format\":\"%s\"", sha, size, format);
    if (w)
        buf_printf(b, ",\"width\":%d,\"height\":%d", w, h);
    if (caption) {
        buf_puts(b, ",\"caption\":");
        json_string(b, caption);
    }
    buf_putc(b, '}');
}

static void write_run(fixture *f)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/p", f->dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/p/20260101-000000-media001.db", f->dir);
    f->path = strdup(path);
    writer_run_row row = {.id = "media001", .project = "p", .name = "media",
                          .tags_json = "[]", .mode = "offline", .host = "nowhere", .pid = 1,
                          .heartbeat_ms = 1000, .start_time = 1.7e9};
    store_writer *w;
    assert_int_equal(writer_create(f->path, &row, &w), 0);
    assert_int_equal(writer_begin(w), 0);
    assert_int_equal(writer_metric_create(w, M_TS, "_timestamp", TALLY_AXIS_STEP, 1), 0);
    assert_int_equal(writer_metric_create(w, M_RT, "_runtime", TALLY_AXIS_STEP, 1), 0);
    assert_int_equal(writer_metric_create(w, M_LOSS, "loss", TALLY_AXIS_STEP, 0), 0);
    static const char *const names[] = {"img",   "gallery", "hist", "tab",
                                        "chart_table", "snd", "vid",  HOSTILE_KEY};
    for (int i = 0; i < 8; i++)
        assert_int_equal(writer_metric_create(w, M_IMG + i, names[i], TALLY_AXIS_STEP, 0), 0);
    for (int64_t s = 0; s < STEPS; s++) {
        double t = 1.7e9 + (double)s, rt = (double)s, loss = 1.0 / (double)(s + 1);
        assert_int_equal(writer_points(w, M_TS, &s, &t, 1), 0);
        assert_int_equal(writer_points(w, M_RT, &s, &rt, 1), 0);
        assert_int_equal(writer_points(w, M_LOSS, &s, &loss, 1), 0);
        make_png(&f->png[s], (int)s);
        media_sha256_hex(f->png[s].data, f->png[s].len, f->sha[s]);
        writer_blob blob = {f->sha[s], "png", f->png[s].data, f->png[s].len};
        buf meta = BUF_INIT;
        buf_puts(&meta, "{\"files\":[");
        file_json(&meta, f->sha[s], f->png[s].len, "png", 5, 3, s == 3 ? "third\x1b[2J" : NULL);
        buf_puts(&meta, "]}");
        put_media(w, M_IMG, s, TALLY_MEDIA_IMAGE, buf_cstr(&meta), &blob, 1);
        /* The hostile key holds the same bytes: stored once. */
        put_media(w, M_BAD, s, TALLY_MEDIA_IMAGE, buf_cstr(&meta), &blob, 1);
        buf_free(&meta);
    }
    /* A gallery of two at step 5, one caption. */
    {
        writer_blob blobs[2] = {{f->sha[1], "png", f->png[1].data, f->png[1].len},
                                {f->sha[2], "png", f->png[2].data, f->png[2].len}};
        buf meta = BUF_INIT;
        buf_puts(&meta, "{\"count\":2,\"files\":[");
        file_json(&meta, f->sha[1], f->png[1].len, "png", 5, 3, NULL);
        buf_putc(&meta, ',');
        file_json(&meta, f->sha[2], f->png[2].len, "png", 5, 3, "two");
        buf_puts(&meta, "]}");
        put_media(w, M_GAL, 5, TALLY_MEDIA_IMAGES, buf_cstr(&meta), blobs, 2);
        buf_free(&meta);
    }
    /* Histograms at steps 0, 4, 8. */
    for (int64_t s = 0; s < STEPS; s += 4) {
        char meta[256];
        snprintf(meta, sizeof meta,
                 "{\"values\":[1,%d,3.5],\"bins\":[0,0.5,1,1.5],\"files\":[]}", (int)s);
        put_media(w, M_HIST, s, TALLY_MEDIA_HISTOGRAM, meta, NULL, 0);
    }
    /* A table with an image cell, and a plot, at step 7. */
    {
        char table[512];
        snprintf(table, sizeof table,
                 "{\"columns\":[\"name\",\"img\",\"v\"],\"data\":[[\"a\",{\"_type\":"
                 "\"image-file\",\"sha256\":\"%s\",\"size\":%zu,\"format\":\"png\",\"width\":5,"
                 "\"height\":3},1.5],[\"b\",null,NaN]]}",
                 f->sha[4], f->png[4].len);
        media_sha256_hex(table, strlen(table), f->table_sha);
        memcpy(f->cell_sha, f->sha[4], 65);
        writer_blob blobs[2] = {{f->table_sha, "json", table, strlen(table)},
                                {f->sha[4], "png", f->png[4].data, f->png[4].len}};
        buf meta = BUF_INIT;
        buf_puts(&meta, "{\"ncols\":3,\"nrows\":2,\"files\":[");
        file_json(&meta, f->table_sha, strlen(table), "json", 0, 0, NULL);
        buf_putc(&meta, ',');
        file_json(&meta, f->sha[4], f->png[4].len, "png", 5, 3, NULL);
        buf_puts(&meta, "]}");
        put_media(w, M_TAB, 7, TALLY_MEDIA_TABLE, buf_cstr(&meta), blobs, 2);
        buf_free(&meta);

        const char *plot = "{\"columns\":[\"x\",\"y\"],\"data\":[[1,2],[2,4]]}";
        char sha[65];
        media_sha256_hex(plot, strlen(plot), sha);
        writer_blob pb = {sha, "json", plot, strlen(plot)};
        buf pm = BUF_INIT;
        buf_puts(&pm, "{\"chart\":\"chart\",\"preset\":\"line\",\"fields\":{\"x\":\"x\","
                      "\"y\":\"y\"},\"title\":\"Loss \\\"curve\\\"\",\"ncols\":2,\"nrows\":2,"
                      "\"files\":[");
        file_json(&pm, sha, strlen(plot), "json", 0, 0, NULL);
        buf_puts(&pm, "]}");
        put_media(w, M_PLOT, 7, TALLY_MEDIA_PLOT, buf_cstr(&pm), &pb, 1);
        buf_free(&pm);
    }
    /* Audio and video at step 9 (bytes the reader passes through). */
    {
        float samples[64];
        for (int i = 0; i < 64; i++)
            samples[i] = (float)sin(i / 3.0) * 0.5f;
        buf wav = BUF_INIT;
        assert_int_equal(media_wav_encode(samples, 32, 2, 8000, &wav), 0);
        media_sha256_hex(wav.data, wav.len, f->wav_sha);
        writer_blob ab = {f->wav_sha, "wav", wav.data, wav.len};
        buf am = BUF_INIT;
        buf_printf(&am, "{\"sample_rate\":8000,\"channels\":2,\"frames\":32,\"duration\":0.004,"
                        "\"files\":[");
        file_json(&am, f->wav_sha, wav.len, "wav", 0, 0, "hum");
        buf_puts(&am, "]}");
        put_media(w, M_SND, 9, TALLY_MEDIA_AUDIO, buf_cstr(&am), &ab, 1);
        buf_free(&am);
        buf_free(&wav);

        const char gif[] = "GIF89a\x05\x00\x03\x00 not really";
        char sha[65];
        media_sha256_hex(gif, sizeof gif, sha);
        writer_blob vb = {sha, "gif", gif, sizeof gif};
        buf vm = BUF_INIT;
        buf_puts(&vm, "{\"fps\":4,\"nframes\":3,\"width\":5,\"height\":3,\"duration\":0.75,"
                      "\"files\":[");
        file_json(&vm, sha, sizeof gif, "gif", 5, 3, NULL);
        buf_puts(&vm, "]}");
        put_media(w, M_VID, 9, TALLY_MEDIA_VIDEO, buf_cstr(&vm), &vb, 1);
        buf_free(&vm);
    }
    assert_int_equal(writer_summary(w, "loss", "0.1"), 0);
    assert_int_equal(writer_progress(w, STEPS, STEPS - 1, 0, 1.7e9 + STEPS), 0);
    assert_int_equal(writer_end(w, "finished", 0, 1.7e9 + STEPS), 0);
    assert_int_equal(writer_commit(w), 0);
    writer_close(w);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    write_run(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < STEPS; i++)
        buf_free(&f->png[i]);
    free(f->path);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static size_t nfields(const cJSON *o)
{
    return (size_t)cJSON_GetArraySize(o);
}

/* Keys, counts and step ranges; metric rows say the type. */
static void test_keys(void **state)
{
    fixture *f = *state;
    tally_store *st = tu_store_open(f->path);
    assert_int_equal(tally_store_media_key_count(st), 8);
    const tally_media_key *k = tally_store_find_media_key(st, "img");
    assert_non_null(k);
    assert_int_equal(k->type, TALLY_MEDIA_IMAGE);
    assert_int_equal(k->count, STEPS);
    assert_int_equal(k->first_step, 0);
    assert_int_equal(k->last_step, STEPS - 1);
    k = tally_store_find_media_key(st, "hist");
    assert_int_equal(k->count, 3);
    assert_int_equal(k->last_step, 8);
    assert_null(tally_store_find_media_key(st, "loss"));
    assert_int_equal(tally_store_find_metric(st, "chart_table")->media, TALLY_MEDIA_PLOT);
    assert_int_equal(tally_store_find_metric(st, "loss")->media, 0);
    for (size_t i = 1; i < tally_store_media_key_count(st); i++)
        assert_true(tally_store_media_key(st, i - 1)->metric_id <
                    tally_store_media_key(st, i)->metric_id);
    assert_null(tally_store_media_key(st, 8));
    assert_string_equal(tally_media_type_name(TALLY_MEDIA_PLOT), "plot");
    assert_null(tally_media_type_name(0));
    assert_null(tally_media_type_name(8));

    int64_t *steps;
    size_t n;
    assert_int_equal(tally_media_steps(st, M_HIST, &steps, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(steps[0], 0);
    assert_int_equal(steps[2], 8);
    free(steps);
    assert_int_equal(tally_media_steps(st, M_LOSS, &steps, &n), 0);
    assert_int_equal(n, 0);
    assert_null(steps);
    tally_store_close(st);
}

/* Each image: its path, wandb JSON, bytes and pixels round-trip. */
static void test_images(void **state)
{
    fixture *f = *state;
    tally_store *st = tu_store_open(f->path);
    tally_media_iter *it;
    assert_int_equal(tally_media_open(st, M_IMG, 2, 6, &it), 0);
    tally_media m;
    int64_t want = 2;
    int rc;
    while ((rc = tally_media_next(it, &m)) == 1) {
        assert_int_equal(m.step, want);
        assert_string_equal(m.key, "img");
        assert_int_equal(m.type, TALLY_MEDIA_IMAGE);
        assert_int_equal(m.nfiles, 1);
        assert_int_equal(m.width, 5);
        assert_int_equal(m.height, 3);
        assert_string_equal(m.files[0].sha256, f->sha[want]);
        char path[128];
        snprintf(path, sizeof path, "media/images/img_%lld_%.20s.png", (long long)want,
                 f->sha[want]);
        assert_string_equal(m.files[0].path, path);
        cJSON *j = json_parse(m.wandb_json);
        assert_string_equal(jstr(j, "_type"), "image-file");
        assert_string_equal(jstr(j, "path"), path);
        assert_string_equal(jstr(j, "sha256"), f->sha[want]);
        assert_string_equal(jstr(j, "format"), "png");
        assert_int_equal(jnum(j, "size"), (double)f->png[want].len);
        assert_int_equal(jnum(j, "width"), 5);
        assert_int_equal(jnum(j, "height"), 3);
        if (want == 3) {
            assert_string_equal(jstr(j, "caption"), "third\x1b[2J"); /* the value, as logged */
            assert_null(strchr(m.wandb_json, '\x1b'));               /* escaped in the JSON */
            assert_int_equal(nfields(j), 8);
        } else {
            assert_null(cJSON_GetObjectItemCaseSensitive(j, "caption"));
            assert_int_equal(nfields(j), 7);
        }
        cJSON_Delete(j);

        void *data;
        size_t size;
        assert_int_equal(tally_store_blob(st, m.files[0].sha256, &data, &size), 0);
        assert_int_equal(size, f->png[want].len);
        assert_memory_equal(data, f->png[want].data, size);
        free(data);
        tally_rgba img;
        assert_int_equal(tally_store_image_rgba(st, m.files[0].sha256, &img), 0);
        assert_int_equal(img.width, 5);
        assert_int_equal(img.height, 3);
        for (int p = 0; p < 15; p++)
            for (int c = 0; c < 3; c++)
                assert_int_equal(img.pixels[p * 4 + c],
                                 (unsigned char)((p * 3 + c) * 7 + (int)want * 31));
        assert_int_equal(img.pixels[3], 255);
        tally_rgba_free(&img);
        want++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(want, 7);
    tally_media_close(it);

    /* The gallery: filenames in order, captions with "" for the missing one. */
    assert_int_equal(tally_media_open(st, M_GAL, 0, INT64_MAX, &it), 0);
    assert_int_equal(tally_media_next(it, &m), 1);
    assert_int_equal(m.nfiles, 2);
    cJSON *j = json_parse(m.wandb_json);
    assert_string_equal(jstr(j, "_type"), "images/separated");
    assert_int_equal(jnum(j, "count"), 2);
    assert_int_equal(jnum(j, "width"), 5);
    assert_string_equal(jstr(j, "format"), "png");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(j, "filenames");
    assert_string_equal(cJSON_GetArrayItem(names, 1)->valuestring, m.files[1].path);
    const cJSON *caps = cJSON_GetObjectItemCaseSensitive(j, "captions");
    assert_string_equal(cJSON_GetArrayItem(caps, 0)->valuestring, "");
    assert_string_equal(cJSON_GetArrayItem(caps, 1)->valuestring, "two");
    cJSON_Delete(j);
    assert_int_equal(tally_media_next(it, &m), 0);
    tally_media_close(it);

    void *data;
    size_t size;
    assert_int_equal(tally_store_blob(st, "0000000000000000000000000000000000000000000000000000000000000000", &data, &size), TALLY_ENOTFOUND);
    assert_int_equal(tally_store_blob(st, "../x", &data, &size), TALLY_EINVAL);
    tally_store_close(st);
}

/* Every key at once, in step then key order; the other types' fields. */
static void test_all_types(void **state)
{
    fixture *f = *state;
    tally_store *st = tu_store_open(f->path);
    tally_media_iter *it;
    assert_int_equal(tally_media_open(st, -1, 7, 9, &it), 0);
    tally_media m;
    int64_t last_step = -1, last_id = -1;
    int seen_table = 0, seen_plot = 0, seen_audio = 0, seen_video = 0, seen_hist = 0;
    while (tally_media_next(it, &m) == 1) {
        assert_true(m.step > last_step || (m.step == last_step && m.metric_id > last_id));
        last_step = m.step;
        last_id = m.metric_id;
        cJSON *j = json_parse(m.wandb_json);
        assert_non_null(j);
        switch (m.type) {
        case TALLY_MEDIA_TABLE: {
            seen_table = 1;
            assert_int_equal(m.ncols, 3);
            assert_int_equal(m.nrows, 2);
            assert_string_equal(jstr(j, "_type"), "table-file");
            char path[128];
            snprintf(path, sizeof path, "media/table/tab_7_%.20s.table.json", f->table_sha);
            assert_string_equal(jstr(j, "path"), path);
            assert_int_equal(nfields(j), 6);
            snprintf(path, sizeof path, "media/images/%.20s.png", f->cell_sha);
            assert_string_equal(m.files[1].path, path);
            tally_table *t;
            assert_int_equal(tally_media_table(st, &m, &t), 0);
            assert_int_equal(t->ncols, 3);
            assert_int_equal(t->nrows, 2);
            assert_string_equal(t->columns[1], "img");
            assert_string_equal(t->cells[0], "\"a\"");
            assert_string_equal(t->cells[5], "NaN");
            assert_string_equal(t->cells[4], "null");
            cJSON *cell = json_parse(t->cells[1]);
            assert_string_equal(jstr(cell, "path"), path);
            assert_string_equal(jstr(cell, "sha256"), f->cell_sha);
            cJSON_Delete(cell);
            tally_table_free(t);
            break;
        }
        case TALLY_MEDIA_PLOT: {
            seen_plot = 1;
            assert_string_equal(m.key, "chart_table");
            assert_string_equal(m.preset, "line");
            assert_string_equal(m.title, "Loss \"curve\"");
            assert_string_equal(jstr(j, "_type"), "table-file");
            cJSON *fields = json_parse(m.fields_json);
            assert_string_equal(jstr(fields, "x"), "x");
            cJSON_Delete(fields);
            cJSON *p = json_parse(m.panel_json);
            assert_string_equal(jstr(p, "panel_type"), "Vega2");
            const cJSON *pc = cJSON_GetObjectItemCaseSensitive(p, "panel_config");
            assert_string_equal(jstr(pc, "panelDefId"), "wandb/line/v0");
            assert_string_equal(
                jstr(cJSON_GetObjectItemCaseSensitive(pc, "stringSettings"), "title"),
                "Loss \"curve\"");
            assert_non_null(strstr(m.panel_json, "\"tableKey\",\"value\":\"chart_table\""));
            cJSON_Delete(p);
            tally_table *t;
            assert_int_equal(tally_media_table(st, &m, &t), 0);
            assert_string_equal(t->cells[3], "4");
            tally_table_free(t);
            break;
        }
        case TALLY_MEDIA_AUDIO: {
            seen_audio = 1;
            assert_int_equal(m.sample_rate, 8000);
            assert_int_equal(m.channels, 2);
            assert_true(fabs(m.duration - 0.004) < 1e-9);
            assert_string_equal(jstr(j, "_type"), "audio-file");
            assert_int_equal(jnum(j, "sample_rate"), 8000);
            assert_string_equal(jstr(j, "caption"), "hum");
            char path[128];
            snprintf(path, sizeof path, "media/audio/snd_9_%.20s.wav", f->wav_sha);
            assert_string_equal(jstr(j, "path"), path);
            tally_pcm pcm;
            assert_int_equal(tally_media_audio(st, &m, &pcm), 0);
            assert_int_equal(pcm.sample_rate, 8000);
            assert_int_equal(pcm.channels, 2);
            assert_int_equal(pcm.frames, 32);
            for (int i = 0; i < 64; i++)
                assert_true(fabsf(pcm.samples[i] - (float)sin(i / 3.0) * 0.5f) < 1.0f / 16000);
            tally_pcm_free(&pcm);
            break;
        }
        case TALLY_MEDIA_VIDEO:
            seen_video = 1;
            assert_true(m.fps == 4);
            assert_int_equal(m.nframes, 3);
            assert_string_equal(jstr(j, "_type"), "video-file");
            assert_int_equal(jnum(j, "width"), 5);
            assert_non_null(strstr(jstr(j, "path"), "media/videos/vid_9_"));
            assert_non_null(strstr(jstr(j, "path"), ".gif"));
            break;
        case TALLY_MEDIA_HISTOGRAM: {
            seen_hist = 1;
            assert_int_equal(m.step, 8);
            assert_string_equal(m.wandb_json,
                                "{\"_type\":\"histogram\",\"values\":[1,8,3.5],"
                                "\"bins\":[0,0.5,1,1.5]}");
            tally_histogram h;
            assert_int_equal(tally_media_histogram(&m, &h), 0);
            assert_int_equal(h.nbins, 3);
            assert_true(h.counts[1] == 8 && h.edges[3] == 1.5);
            tally_histogram_free(&h);
            break;
        }
        default: break;
        }
        cJSON_Delete(j);
    }
    tally_media_close(it);
    assert_true(seen_table && seen_plot && seen_audio && seen_video && seen_hist);
    tally_store_close(st);
}

/* History rows: media keys are kind-2 cells with the wandb JSON; the
 * summary of a media key is its newest object's. */
static void test_history_summary(void **state)
{
    fixture *f = *state;
    tally_store *st = tu_store_open(f->path);
    tally_history *h;
    assert_int_equal(tally_history_open(st, TALLY_AXIS_STEP, NULL, 0, INT64_MAX, &h), 0);
    tally_history_row row;
    int rows = 0, hist_cells = 0;
    while (tally_history_next(h, &row) == 1) {
        int img = 0;
        for (size_t k = 0; k < row.nset; k++) {
            const tally_history_cell *c = &row.cells[row.set[k]];
            if (strcmp(c->metric->name, "img") == 0) {
                img = 1;
                assert_int_equal(c->kind, 2);
                assert_string_equal(c->type, "image");
                assert_non_null(strstr(c->json, f->sha[row.x]));
            }
            if (strcmp(c->metric->name, "hist") == 0) {
                hist_cells++;
                assert_string_equal(c->type, "histogram");
            }
            if (strcmp(c->metric->name, "loss") == 0)
                assert_int_equal(c->kind, 1);
        }
        assert_true(img);
        rows++;
    }
    assert_int_equal(rows, STEPS);
    assert_int_equal(hist_cells, 3);
    tally_history_close(h);

    /* A glob choosing one media key. */
    assert_int_equal(tally_history_open(st, TALLY_AXIS_STEP, "gal*", 0, INT64_MAX, &h), 0);
    int got = 0;
    while (tally_history_next(h, &row) == 1)
        for (size_t k = 0; k < row.nset; k++)
            if (row.cells[row.set[k]].kind == 2) {
                assert_int_equal(row.x, 5);
                got++;
            }
    assert_int_equal(got, 1);
    tally_history_close(h);

    cJSON *s = tu_summary(st);
    assert_int_equal(jnum(s, "loss"), 0.1);
    const cJSON *img = cJSON_GetObjectItemCaseSensitive(s, "img");
    assert_string_equal(jstr(img, "sha256"), f->sha[STEPS - 1]);
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(s, "hist");
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(hist, "values"), 1)->valuedouble, 8);
    cJSON_Delete(s);
    tally_store_close(st);

    /* A summary the user set wins. */
    tu_exec_sql(f->path, "INSERT INTO summary(key, value) VALUES('img', '\"mine\"')");
    st = tu_store_open(f->path);
    s = tu_summary(st);
    assert_string_equal(jstr(s, "img"), "mine");
    cJSON_Delete(s);
    tally_store_close(st);
}

/* A path never leaves media/: no component is empty, "." or "..", none
 * holds a control byte or a backslash. */
static void check_safe_path(const char *p)
{
    assert_true(strncmp(p, "media/", 6) == 0);
    const char *c = p;
    for (;;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            fail_msg("unsafe component in %s", p);
        if (!slash)
            break;
        c = slash + 1;
    }
    for (const unsigned char *b = (const unsigned char *)p; *b; b++)
        if (*b < 0x20 || *b == 0x7f || *b == '\\')
            fail_msg("unsafe byte %02x in %s", *b, p);
}

static void test_hostile_paths(void **state)
{
    fixture *f = *state;
    tally_store *st = tu_store_open(f->path);
    tally_media_iter *it;
    assert_int_equal(tally_media_open(st, M_BAD, 0, INT64_MAX, &it), 0);
    tally_media m;
    int n = 0;
    while (tally_media_next(it, &m) == 1) {
        check_safe_path(m.files[0].path);
        char want[256];
        snprintf(want, sizeof want,
                 "media/images/%%2e%%2e/%%2e%%2e/etc/%%1b[31mevil/%%2e/x%%5cy/_%lld_%.20s.png",
                 (long long)m.step, m.files[0].sha256);
        assert_string_equal(m.files[0].path, want);
        assert_string_equal(m.key, HOSTILE_KEY); /* the key itself as logged */
        n++;
    }
    assert_int_equal(n, STEPS);
    tally_media_close(it);
    tally_store_close(st);

    /* Many more, straight through the path builder. */
    static const char *const keys[] = {"", "/", "//", ".", "..", "...", "/abs", "a/../../b",
                                       "a/./b", "\x7f", "\x01\x02", "a\\..\\b", "\xff\xfe",
                                       "\xc2\x9b" "31m", "\xe2\x80\xae" "rtl", "ok/fine"};
    char sha[65];
    memset(sha, 'a', 64);
    sha[64] = 0;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        buf b = BUF_INIT;
        mediameta_path(&b, "media/images/", keys[i], 3, sha, ".png");
        check_safe_path(buf_cstr(&b));
        assert_true(utf8_valid(b.data, b.len));
        buf_free(&b);
    }
    buf b = BUF_INIT;
    mediameta_path(&b, "media/images/", "ok/fine", 3, sha, ".png");
    assert_string_equal(buf_cstr(&b), "media/images/ok/fine_3_aaaaaaaaaaaaaaaaaaaa.png");
    buf_free(&b);
}

/* Damaged meta: TALLY_ECORRUPT once, a damage entry, the rest reads.  A
 * damaged blob likewise, named after the key of the object holding it. */
static void test_damage(void **state)
{
    fixture *f = *state;
    tu_exec_sql(f->path, "UPDATE media SET meta = replace(meta, '\"width\":5', '\"width\":6')"
                      " WHERE metric_id = 4 AND x = 4");
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE blob SET data = zeroblob(length(data)) WHERE sha256 = '%s'",
             f->sha[6]);
    tu_exec_sql(f->path, sql);
    tally_store *st = tu_store_open(f->path);
    tally_media_iter *it;
    assert_int_equal(tally_media_open(st, M_IMG, 0, INT64_MAX, &it), 0);
    tally_media m;
    int ok = 0, corrupt = 0, rc;
    while ((rc = tally_media_next(it, &m)) != 0) {
        if (rc == TALLY_ECORRUPT) {
            corrupt++;
            continue;
        }
        assert_int_equal(rc, 1);
        assert_true(m.step != 4);
        ok++;
        void *data;
        size_t size;
        rc = tally_store_blob(st, m.files[0].sha256, &data, &size);
        if (m.step == 6) {
            assert_int_equal(rc, TALLY_ECORRUPT);
        } else {
            assert_int_equal(rc, 0);
            free(data);
        }
    }
    tally_media_close(it);
    assert_int_equal(ok, STEPS - 1);
    assert_int_equal(corrupt, 1);
    assert_int_equal(tally_store_damage_count(st), 2);
    const tally_damage *d = tally_store_damage(st, 0);
    assert_int_equal(d->metric_id, M_IMG);
    assert_string_equal(d->metric, "img");
    assert_int_equal(d->first_x, 4);
    assert_int_equal(d->last_x, 4);
    d = tally_store_damage(st, 1);
    assert_int_equal(d->metric_id, M_IMG); /* the first object naming the blob */
    assert_int_equal(d->first_x, 6);
    tally_rgba img;
    assert_int_equal(tally_store_image_rgba(st, f->sha[6], &img), TALLY_ECORRUPT);
    assert_int_equal(tally_store_damage_count(st), 2); /* once */

    /* History goes on without the damaged object. */
    tally_history *h;
    assert_int_equal(tally_history_open(st, TALLY_AXIS_STEP, "img", 0, INT64_MAX, &h), 0);
    tally_history_row row;
    int rows = 0, cells = 0;
    while (tally_history_next(h, &row) == 1) {
        rows++;
        cells += (int)row.nset > 2; /* _timestamp, _runtime, img */
    }
    tally_history_close(h);
    assert_int_equal(rows, STEPS);
    assert_int_equal(cells, STEPS - 1);
    tally_store_close(st);

    /* Meta that passes its checksum but does not say what its type needs. */
    static const char *const bad[] = {
        "not json", "[]", "{}", "{\"files\":{}}", "{\"files\":[{\"sha256\":\"abc\"}]}",
        "{\"files\":[{\"sha256\":\"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        "\",\"size\":1,\"format\":\"../x\"}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sqlite3 *db;
        assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
        sqlite3_stmt *q;
        assert_int_equal(sqlite3_prepare_v2(db, "UPDATE media SET meta = ?1, crc = ?2"
                                                " WHERE metric_id = 4 AND x = 0",
                                            -1, &q, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(q, 1, bad[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, (int64_t)crc32(0L, (const Bytef *)bad[i], (uInt)strlen(bad[i])));
        assert_int_equal(sqlite3_step(q), SQLITE_DONE);
        sqlite3_finalize(q);
        sqlite3_close(db);
        st = tu_store_open(f->path);
        assert_int_equal(tally_media_open(st, M_IMG, 0, 0, &it), 0);
        assert_int_equal(tally_media_next(it, &m), TALLY_ECORRUPT);
        assert_int_equal(tally_media_next(it, &m), 0);
        tally_media_close(it);
        assert_int_equal(tally_store_damage_count(st), 1);
        tally_store_close(st);
    }
}

/* A schema-3 file: no media tables, zero media keys, everything else reads. */
static void test_schema3(void **state)
{
    fixture *f = *state;
    tu_exec_sql(f->path, "DELETE FROM metric WHERE media != 0; DROP TABLE media; DROP TABLE blob;"
                      " ALTER TABLE metric DROP COLUMN media; PRAGMA user_version = 3;");
    tally_store *st = tu_store_open(f->path);
    assert_int_equal(tally_store_info(st)->schema_version, 3);
    assert_int_equal(tally_store_media_key_count(st), 0);
    assert_null(tally_store_find_media_key(st, "img"));
    assert_int_equal(tally_store_find_metric(st, "loss")->media, 0);
    tally_media_iter *it;
    tally_media m;
    assert_int_equal(tally_media_open(st, -1, 0, INT64_MAX, &it), 0);
    assert_int_equal(tally_media_next(it, &m), 0);
    tally_media_close(it);
    int64_t *steps;
    size_t n;
    assert_int_equal(tally_media_steps(st, M_IMG, &steps, &n), 0);
    assert_int_equal(n, 0);
    void *data;
    size_t size;
    assert_int_equal(tally_store_blob(st, f->sha[0], &data, &size), TALLY_ENOTFOUND);
    cJSON *s = tu_summary(st);
    assert_int_equal(nfields(s), 1);
    cJSON_Delete(s);
    tally_history *h;
    assert_int_equal(tally_history_open(st, TALLY_AXIS_STEP, NULL, 0, INT64_MAX, &h), 0);
    tally_history_row row;
    int rows = 0;
    while (tally_history_next(h, &row) == 1)
        rows++;
    assert_int_equal(rows, STEPS);
    tally_history_close(h);
    tally_store_close(st);
}

/* A schema-3 file open in a reader gains the media tables (a writer
 * resumed it and migrated it): a refresh finds them and the new key. */
static void test_migrated_while_open(void **state)
{
    fixture *f = *state;
    tu_exec_sql(f->path, "DELETE FROM metric WHERE media != 0; DROP TABLE media; DROP TABLE blob;"
                         " ALTER TABLE metric DROP COLUMN media; PRAGMA user_version = 3;");
    tally_store *st = tu_store_open(f->path);
    assert_int_equal(tally_store_media_key_count(st), 0);

    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    int version = 3;
    assert_int_equal(schema_migrate(db, &version), 0);
    assert_int_equal(version, 4);
    buf meta = BUF_INIT;
    buf_puts(&meta, "{\"values\":[2],\"bins\":[0,1],\"files\":[]}");
    char *sql = sqlite3_mprintf(
        "INSERT INTO metric(id, name, axis, media, n, x_min, x_max) VALUES(50, 'late', 'step',"
        " 3, 1, 2, 2); INSERT INTO media(metric_id, x, type, meta, crc) VALUES(50, 2, 3, %Q,"
        " %lld);",
        buf_cstr(&meta), (long long)crc32(0L, (const Bytef *)meta.data, (uInt)meta.len));
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free(sql);
    sqlite3_close(db);
    buf_free(&meta);

    int changed = 0;
    assert_int_equal(tally_store_refresh(st, &changed), 0);
    assert_true(changed);
    assert_int_equal(tally_store_media_key_count(st), 1);
    const tally_media_key *k = tally_store_find_media_key(st, "late");
    assert_non_null(k);
    assert_int_equal(k->type, TALLY_MEDIA_HISTOGRAM);
    cJSON *s = tu_summary(st);
    const cJSON *late = cJSON_GetObjectItemCaseSensitive(s, "late");
    assert_string_equal(jstr(late, "_type"), "histogram");
    cJSON_Delete(s);
    tally_store_close(st);
}

/* The table parser on hostile input: malformed, ragged, huge nesting. */
static void test_table_parse(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "{", "[]", "{\"columns\":[\"a\"]}",
                                      "{\"columns\":[\"a\"],\"data\":[[1,2]]}",
                                      "{\"columns\":[\"a\"],\"data\":[1]}",
                                      "{\"columns\":5,\"data\":[]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tally_table *t = (tally_table *)1;
        assert_int_equal(mediameta_table_parse(bad[i], &t), TALLY_ECORRUPT);
        assert_null(t);
    }
    tally_table *t;
    assert_int_equal(mediameta_table_parse("{\"columns\":[1,\"b\"],\"data\":[]}", &t), 0);
    assert_int_equal(t->nrows, 0);
    assert_string_equal(t->columns[0], "1");
    tally_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_images, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrated_while_open, setup, teardown),
        cmocka_unit_test(test_table_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
