/*
 * media.c — reading what tally_log_image() and its siblings stored
 * (tally_store.h, "media and objects"): the media key list, object
 * iterators, blobs by sha256, decoded images, tables, audio; the meta
 * JSON of each row is turned into a tally_media by mediameta.c.
 * The reader, `tally show`, `tally media`, export, sync and the dashboard
 * read media only through here.
 *
 * Each object row's meta text and each blob carry a crc32; both are
 * verified before use, and a mismatch (or meta that does not say what its
 * type needs) is a damage entry (tally_store_damage) with the object
 * skipped.  Paths follow wandb's run-directory layout; keys are untrusted,
 * so each path component is escaped (store_media_path) and no path ever
 * leaves media/.  Files of schema 2/3 have no media tables: zero keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/text.h"
#include "media/media.h"
#include "store/mediameta.h"
#include "store/reader_internal.h"
#include "store/schema.h"

/* ---- the key list ---- */

int store_media_probe(tally_store *st)
{
    static const char *const probes[] = {
        "SELECT media FROM metric LIMIT 0",
        "SELECT id, metric_id, x, type, meta, crc FROM media LIMIT 0",
        "SELECT id, sha256, size, format, crc, data FROM blob LIMIT 0"};
    int has = 1;
    for (size_t i = 0; i < sizeof probes / sizeof *probes && has; i++) {
        sqlite3_stmt *q = NULL;
        has = sqlite3_prepare_v2(st->db, probes[i], -1, &q, NULL) == SQLITE_OK;
        sqlite3_finalize(q);
    }
    return has;
}

int store_media_keys_load(tally_store *st)
{
    st->nmkeys = 0;
    for (size_t i = 0; i < st->nmetrics; i++) {
        const tally_metric_info *m = &st->metrics[i];
        if (!tally_media_type_name(m->media))
            continue;
        if (st->nmkeys == st->capmkeys) {
            size_t cap = st->capmkeys ? st->capmkeys * 2 : 16;
            tally_media_key *v = realloc(st->mkeys, cap * sizeof *v);
            if (!v)
                return TALLY_ENOMEM;
            st->mkeys = v;
            st->capmkeys = cap;
        }
        st->mkeys[st->nmkeys++] = (tally_media_key){m->id, m->name, (tally_media_type)m->media,
                                                    m->n, m->x_min, m->x_max};
    }
    return TALLY_OK;
}

size_t tally_store_media_key_count(const tally_store *st) { return st ? st->nmkeys : 0; }

const tally_media_key *tally_store_media_key(const tally_store *st, size_t i)
{
    return st && i < st->nmkeys ? &st->mkeys[i] : NULL;
}

const tally_media_key *tally_store_find_media_key(const tally_store *st, const char *name)
{
    if (!st || !name)
        return NULL;
    for (size_t i = 0; i < st->nmkeys; i++)
        if (strcmp(st->mkeys[i].name, name) == 0)
            return &st->mkeys[i];
    return NULL;
}

/* Columns of every object query: media.id, metric_id, x, type, meta, crc, name. */
#define MEDIA_COLUMNS                                                                          \
    "SELECT media.id, media.metric_id, media.x, media.type, media.meta, media.crc,"          \
    " metric.name FROM media JOIN metric ON metric.id = media.metric_id"

/* Decodes the current row of q into o.  TALLY_ECORRUPT: the row is
 * damaged (its meta fails its checksum or does not parse), and recorded. */
static int obj_load(tally_store *st, sqlite3_stmt *q, mediameta *o)
{
    int64_t rowid = sqlite3_column_int64(q, 0), metric_id = sqlite3_column_int64(q, 1);
    int64_t step = sqlite3_column_int64(q, 2);
    const char *meta = (const char *)sqlite3_column_text(q, 4);
    size_t len = (size_t)sqlite3_column_bytes(q, 4);
    uint32_t crc = (uint32_t)sqlite3_column_int64(q, 5);
    const char *name = (const char *)sqlite3_column_text(q, 6);
    int rc = mediameta_parse(o, metric_id, name, step, sqlite3_column_int(q, 3), meta);
    if (rc != TALLY_ENOMEM &&
        (!meta || (uint32_t)crc32(0L, (const Bytef *)meta, (uInt)len) != crc))
        rc = TALLY_ECORRUPT;
    if (rc == TALLY_ECORRUPT)
        store_damage_named(st, 2, rowid, metric_id, name ? name : "", step, step, 1);
    return rc;
}

/* ---- iterators ---- */

struct tally_media_iter {
    tally_store *st;
    sqlite3_stmt *q;
    mediameta obj;
};

int tally_media_open(tally_store *st, int64_t metric_id, int64_t step0, int64_t step1,
                     tally_media_iter **out)
{
    if (!st || !out || step1 < step0)
        return TALLY_EINVAL;
    *out = NULL;
    tally_media_iter *it = calloc(1, sizeof *it);
    if (!it)
        return TALLY_ENOMEM;
    it->st = st;
    if (st->has_media) {
        const char *sql = metric_id >= 0
                              ? MEDIA_COLUMNS " WHERE media.metric_id = ?1 AND media.x >= ?2"
                                              " AND media.x <= ?3 ORDER BY media.x"
                              : MEDIA_COLUMNS " WHERE media.x >= ?2 AND media.x <= ?3"
                                              " ORDER BY media.x, media.metric_id";
        int src = sqlite3_prepare_v2(st->db, sql, -1, &it->q, NULL);
        if (src != SQLITE_OK) {
            free(it);
            return schema_error(src);
        }
        sqlite3_bind_int64(it->q, 1, metric_id);
        sqlite3_bind_int64(it->q, 2, step0);
        sqlite3_bind_int64(it->q, 3, step1);
    }
    *out = it;
    return TALLY_OK;
}

int tally_media_next(tally_media_iter *it, tally_media *out)
{
    if (!it || !out)
        return TALLY_EINVAL;
    if (!it->q)
        return 0;
    int src = sqlite3_step(it->q);
    if (src == SQLITE_DONE)
        return 0;
    if (src != SQLITE_ROW)
        return schema_error(src);
    int rc = obj_load(it->st, it->q, &it->obj);
    if (rc)
        return rc;
    *out = it->obj.m;
    return 1;
}

void tally_media_close(tally_media_iter *it)
{
    if (!it)
        return;
    sqlite3_finalize(it->q);
    mediameta_free(&it->obj);
    free(it);
}

int tally_media_steps(tally_store *st, int64_t metric_id, int64_t **steps, size_t *n)
{
    if (!st || !steps || !n)
        return TALLY_EINVAL;
    *steps = NULL;
    *n = 0;
    if (!st->has_media)
        return TALLY_OK;
    int rc = store_prepare(st, &st->q_media_steps,
                           "SELECT x FROM media WHERE metric_id = ? ORDER BY x");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->q_media_steps, 1, metric_id);
    size_t cap = 0;
    int src;
    while ((src = sqlite3_step(st->q_media_steps)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *v = realloc(*steps, cap * sizeof *v);
            if (!v) {
                src = SQLITE_NOMEM;
                break;
            }
            *steps = v;
        }
        (*steps)[(*n)++] = sqlite3_column_int64(st->q_media_steps, 0);
    }
    sqlite3_reset(st->q_media_steps);
    if (src != SQLITE_DONE) {
        free(*steps);
        *steps = NULL;
        *n = 0;
        return schema_error(src);
    }
    return TALLY_OK;
}

/* ---- summary ---- */

int store_media_summary(tally_store *st, const char *key, char **json_out)
{
    *json_out = NULL;
    /* Persistent: a refresh reads one for each media key. */
    int rc = store_prepare(st, &st->q_media_last,
                           MEDIA_COLUMNS " WHERE metric.name = ?1 ORDER BY media.x DESC");
    if (rc)
        return rc;
    sqlite3_stmt *q = st->q_media_last;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
    mediameta o = {0};
    rc = TALLY_ENOTFOUND;
    int src;
    /* The newest object that reads; a damaged one is recorded and passed. */
    while ((src = sqlite3_step(q)) == SQLITE_ROW) {
        rc = obj_load(st, q, &o);
        if (rc != TALLY_ECORRUPT)
            break;
        rc = TALLY_ENOTFOUND;
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = schema_error(src);
    if (!rc) {
        *json_out = o.wandb;
        o.wandb = NULL;
    }
    mediameta_free(&o);
    sqlite3_reset(q);
    return rc;
}

/* ---- blobs ---- */

/* Records a damaged blob against the first object that names it. */
static void blob_damage(tally_store *st, int64_t blob_id, const char *sha256)
{
    sqlite3_stmt *q = NULL;
    int64_t metric_id = -1, x = 0;
    const char *name = "";
    char *copy = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT media.metric_id, media.x, metric.name FROM media JOIN metric"
                           " ON metric.id = media.metric_id WHERE instr(media.meta, ?1) > 0"
                           " ORDER BY media.x, media.metric_id LIMIT 1",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, sha256, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            metric_id = sqlite3_column_int64(q, 0);
            x = sqlite3_column_int64(q, 1);
            const char *n = (const char *)sqlite3_column_text(q, 2);
            copy = strdup(n ? n : "");
            if (copy)
                name = copy;
        }
    }
    sqlite3_finalize(q);
    store_damage_named(st, 3, blob_id, metric_id, name, x, x, 1);
    free(copy);
}

int tally_store_blob(tally_store *st, const char *sha256, void **data, size_t *size)
{
    if (!st || !mediameta_is_sha256(sha256) || !data || !size)
        return TALLY_EINVAL;
    *data = NULL;
    *size = 0;
    if (!st->has_media)
        return TALLY_ENOTFOUND;
    int rc = store_prepare(st, &st->q_blob,
                           "SELECT id, size, crc, data FROM blob WHERE sha256 = ?");
    if (rc)
        return rc;
    sqlite3_stmt *q = st->q_blob;
    sqlite3_bind_text(q, 1, sha256, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(q);
    if (src != SQLITE_ROW) {
        sqlite3_reset(q);
        return src == SQLITE_DONE ? TALLY_ENOTFOUND : schema_error(src);
    }
    int64_t id = sqlite3_column_int64(q, 0), want = sqlite3_column_int64(q, 1);
    uint32_t crc = (uint32_t)sqlite3_column_int64(q, 2);
    const void *p = sqlite3_column_blob(q, 3);
    size_t n = (size_t)sqlite3_column_bytes(q, 3);
    if ((int64_t)n != want || (uint32_t)crc32(0L, p, (uInt)n) != crc) {
        sqlite3_reset(q);
        blob_damage(st, id, sha256);
        return TALLY_ECORRUPT;
    }
    *data = malloc(n ? n : 1);
    if (*data) {
        if (n)
            memcpy(*data, p, n);
        *size = n;
    }
    sqlite3_reset(q);
    return *data ? TALLY_OK : TALLY_ENOMEM;
}

/* The bytes of an object's first file (its table JSON, its WAV), for the
 * readers below; TALLY_EINVAL when the object is not of type a or b. */
static int first_file(tally_store *st, const tally_media *media, int a, int b, void **data,
                      size_t *size)
{
    *data = NULL;
    if (!st || !media || ((int)media->type != a && (int)media->type != b) ||
        media->nfiles < 1 || !media->files)
        return TALLY_EINVAL;
    return tally_store_blob(st, media->files[0].sha256, data, size);
}

int tally_media_table(tally_store *st, const tally_media *media, tally_table **out)
{
    if (!out)
        return TALLY_EINVAL;
    *out = NULL;
    void *data;
    size_t size = 0;
    int rc = first_file(st, media, TALLY_MEDIA_TABLE, TALLY_MEDIA_PLOT, &data, &size);
    if (rc)
        return rc;
    char *text = realloc(data, size + 1);
    if (!text) {
        free(data);
        return TALLY_ENOMEM;
    }
    text[size] = '\0';
    rc = strlen(text) == size ? mediameta_table_parse(text, out) : TALLY_ECORRUPT;
    free(text);
    return rc;
}

/* ---- images ---- */

void tally_rgba_free(tally_rgba *image)
{
    if (!image)
        return;
    free(image->pixels);
    memset(image, 0, sizeof *image);
}

int tally_store_image_rgba(tally_store *st, const char *sha256, tally_rgba *out)
{
    if (!out)
        return TALLY_EINVAL;
    memset(out, 0, sizeof *out);
    void *data = NULL;
    size_t size = 0;
    int rc = tally_store_blob(st, sha256, &data, &size);
    if (rc)
        return rc;
    media_pixels px = {0};
    rc = media_image_decode_rgba(data, size, &px);
    free(data);
    if (rc)
        return rc;
    out->width = px.width;
    out->height = px.height;
    out->pixels = px.pixels;
    return TALLY_OK;
}

/* ---- audio ---- */

void tally_pcm_free(tally_pcm *pcm)
{
    if (!pcm)
        return;
    free(pcm->samples);
    memset(pcm, 0, sizeof *pcm);
}

int tally_media_audio(tally_store *st, const tally_media *media, tally_pcm *out)
{
    if (!out)
        return TALLY_EINVAL;
    memset(out, 0, sizeof *out);
    void *data;
    size_t size = 0;
    int rc = first_file(st, media, TALLY_MEDIA_AUDIO, TALLY_MEDIA_AUDIO, &data, &size);
    if (rc)
        return rc;
    media_pcm pcm = {0};
    rc = media_wav_decode(data, size, &pcm);
    free(data);
    if (!rc)
        *out = (tally_pcm){pcm.sample_rate, pcm.channels, pcm.frames, pcm.samples};
    return rc;
}
