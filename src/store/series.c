/*
 * series.c — reading a metric's series: decimation to buckets for charts,
 * and raw point cursors for export and sync.
 *
 * Decimation works from chunk headers where it can.  A chunk whose points
 * all fall in one bucket is merged into it from its header (n, min, max,
 * first, last) without touching its blob; only chunks that straddle a
 * bucket edge or the range's ends are read.  Inside those, the chunk's
 * block summaries (schema 3, chunks of CHUNK_BLOCKS_MIN points or more)
 * do the same a level down: a block of CHUNK_BLOCK_POINTS points inside
 * one bucket is merged from its summary, and only the blocks that straddle
 * an edge are decoded.  A million-point metric drawn 200 columns wide so
 * decodes a few hundred blocks, and a zoomed-in view reads only the chunks
 * it shows.
 *
 * Every blob read is checked against its row's checksum (schema 2) before
 * a point of it is used; a damaged one is skipped and recorded on the
 * handle (store_damage), so one bad chunk never hides or falsifies the
 * rest.  Files of schema 1 carry no checksums: their blobs are only
 * checked for a valid encoding.  Files before schema 3 have no block
 * summaries: their chunks are decoded whole, as are chunks of any file
 * whose summaries do not describe their blob.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/chunk.h"
#include "store/objbatch.h"
#include "store/reader_internal.h"
#include "store/schema.h"

/* Chunks of one metric that may hold points in [x0, x1], in x order.  x
 * never goes down within a metric, so the chunks before the last one that
 * starts below x0 cannot hold any. */
static const char chunks_sql[] =
    "SELECT rowid, first_x, last_x, n, y_min, y_max, y_first, y_last FROM chunk"
    " WHERE metric_id = ?1 AND first_x <= ?3 AND first_x >= coalesce("
    "  (SELECT max(first_x) FROM chunk WHERE metric_id = ?1 AND first_x < ?2), ?2)"
    " ORDER BY first_x, rowid";

size_t tally_bucket_index(int64_t x, int64_t x0, int64_t x1, size_t nbuckets)
{
    if (x <= x0 || nbuckets <= 1)
        return 0;
    if (x > x1)
        return nbuckets - 1;
    /* (x - x0) * nbuckets / (x1 - x0 + 1), exactly, for any int64 range. */
    unsigned __int128 off = (uint64_t)x - (uint64_t)x0;
    unsigned __int128 span = (unsigned __int128)((uint64_t)x1 - (uint64_t)x0) + 1;
    return (size_t)(off * nbuckets / span);
}

static void bucket_add(tally_bucket *b, int64_t x, double y)
{
    if (b->n == 0) {
        b->x_first = x;
        b->y_first = y;
    }
    b->x_last = x;
    b->y_last = y;
    b->n++;
    if (!isnan(y)) {
        if (isnan(b->y_min) || y < b->y_min)
            b->y_min = y;
        if (isnan(b->y_max) || y > b->y_max)
            b->y_max = y;
    }
}

static void bucket_merge(tally_bucket *b, const chunk_stats *s)
{
    if (b->n == 0) {
        b->x_first = s->first_x;
        b->y_first = s->y_first;
    }
    b->x_last = s->last_x;
    b->y_last = s->y_last;
    b->n += s->n;
    if (!isnan(s->y_min) && (isnan(b->y_min) || s->y_min < b->y_min))
        b->y_min = s->y_min;
    if (!isnan(s->y_max) && (isnan(b->y_max) || s->y_max > b->y_max))
        b->y_max = s->y_max;
}

/* The first x that falls in bucket b (0 < b < nbuckets): the smallest x
 * with (x - x0) * nbuckets >= b * span. */
static int64_t bucket_start(size_t b, int64_t x0, int64_t x1, size_t nbuckets)
{
    unsigned __int128 span = (unsigned __int128)((uint64_t)x1 - (uint64_t)x0) + 1;
    unsigned __int128 off = ((unsigned __int128)b * span + nbuckets - 1) / nbuckets;
    return (int64_t)((uint64_t)x0 + (uint64_t)off);
}

/* The range a series is split over, and its buckets. */
typedef struct split {
    int64_t x0, x1;
    size_t nbuckets;
    tally_bucket *out;
} split;

/* Adds the next `count` points of dec (all of them when count < 0) to
 * their buckets.  0, or -1 on a malformed blob. */
static int split_points(const split *r, chunk_decoder *dec, int64_t count)
{
    int64_t x;
    double y;
    int drc = 0;
    /* Divide only when x crosses into another bucket, not per point. */
    size_t b = r->nbuckets; /* nbuckets: no bucket yet */
    int64_t next = 0;       /* the first x of bucket b + 1, when there is one */
    while (count-- != 0 && (drc = chunk_decoder_next(dec, &x, &y)) == 1) {
        if (x > r->x1)
            break;
        if (x < r->x0)
            continue;
        if (b == r->nbuckets || (b + 1 < r->nbuckets && x >= next)) {
            b = tally_bucket_index(x, r->x0, r->x1, r->nbuckets);
            if (b + 1 < r->nbuckets)
                next = bucket_start(b + 1, r->x0, r->x1, r->nbuckets);
        }
        bucket_add(&r->out[b], x, y);
    }
    return drc < 0 ? -1 : 0;
}

/* A chunk that straddles an edge, block by block: a block inside one
 * bucket is merged from its summary and its first point (the one thing a
 * summary leaves out, one point to decode); the others are decoded. */
static int split_blocks(const split *r, chunk_decoder *dec, chunk_blocks *blocks)
{
    chunk_block prev = blocks->prev, blk; /* prev: the block before blk */
    int rc;
    while ((rc = chunk_blocks_next(blocks, &blk)) == 1) {
        if (blk.last_x < r->x0) {
            prev = blk;
            continue;
        }
        if (blk.start > 0)
            chunk_decoder_seek(dec, &prev);
        prev = blk;
        int64_t x;
        double y;
        if (chunk_decoder_next(dec, &x, &y) != 1)
            return -1;
        if (x > r->x1)
            break;
        size_t b = tally_bucket_index(x, r->x0, r->x1, r->nbuckets);
        if (x >= r->x0 && blk.last_x <= r->x1 &&
            b == tally_bucket_index(blk.last_x, r->x0, r->x1, r->nbuckets)) {
            double last;
            memcpy(&last, &blk.last_bits, sizeof last);
            chunk_stats s = {.n = blk.n, .first_x = x, .last_x = blk.last_x, .y_min = blk.y_min,
                             .y_max = blk.y_max, .y_first = y, .y_last = last};
            bucket_merge(&r->out[b], &s);
            continue;
        }
        if (x >= r->x0)
            bucket_add(&r->out[b], x, y);
        if (split_points(r, dec, blk.n - 1) < 0)
            return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* The header columns of a chunks_sql row. */
static chunk_stats header(sqlite3_stmt *q)
{
    return (chunk_stats){.first_x = sqlite3_column_int64(q, 1),
                         .last_x = sqlite3_column_int64(q, 2),
                         .n = sqlite3_column_int64(q, 3),
                         .y_min = store_column_real(q, 4),
                         .y_max = store_column_real(q, 5),
                         .y_first = store_column_real(q, 6),
                         .y_last = store_column_real(q, 7)};
}

/*
 * Reads the blob of chunk `rowid` of metric_id, whose header is h, through
 * *data (prepared here once), checks it and starts dec on it; when blocks
 * is not NULL, starts it on the chunk's block summaries, or sets
 * blocks->n to -1 when the chunk has none to use.  0: dec is ready, and
 * the blob stays valid until *data is reset; 1: the chunk is damaged
 * (recorded) and must be skipped; < 0: the read itself failed.
 */
static int chunk_load(tally_store *st, sqlite3_stmt **data, int64_t metric_id, int64_t rowid,
                      const chunk_stats *h, chunk_decoder *dec, chunk_blocks *blocks)
{
    int version = st->info.schema_version;
    const char *sql = version >= 3   ? "SELECT data, crc, blocks FROM chunk WHERE rowid = ?"
                      : version == 2 ? "SELECT data, crc, NULL FROM chunk WHERE rowid = ?"
                                     : "SELECT data, NULL, NULL FROM chunk WHERE rowid = ?";
    int rc = store_prepare(st, data, sql);
    if (rc)
        return rc;
    sqlite3_bind_int64(*data, 1, rowid);
    int src = sqlite3_step(*data);
    if (src != SQLITE_ROW)
        return src == SQLITE_DONE ? TALLY_ECORRUPT : schema_error(src);
    const void *p = sqlite3_column_blob(*data, 0);
    size_t n = (size_t)sqlite3_column_bytes(*data, 0);
    const void *sums = sqlite3_column_blob(*data, 2);
    size_t nsums = (size_t)sqlite3_column_bytes(*data, 2);
    int ok = chunk_decoder_init(dec, p, n) == 0 && chunk_decoder_count(dec) == h->n;
    if (ok && sqlite3_column_type(*data, 1) != SQLITE_NULL)
        ok = (uint32_t)sqlite3_column_int64(*data, 1) ==
             chunk_checksum(metric_id, h, p, n, sums, nsums);
    if (ok && blocks) {
        /* Summaries that do not describe the blob (a writer's bug: the
         * checksum passed) are ignored: the chunk is then decoded whole. */
        chunk_blocks it;
        chunk_block b;
        blocks->n = -1;
        if (sums && chunk_blocks_init(&it, sums, nsums, dec) == 0) {
            *blocks = it;
            while ((rc = chunk_blocks_next(&it, &b)) == 1)
                continue;
            if (rc < 0)
                blocks->n = -1;
        }
    }
    if (ok)
        return 0;
    store_damage(st, 0, rowid, metric_id, h->first_x, h->last_x, h->n);
    return 1;
}

int tally_store_series(tally_store *st, int64_t metric_id, int64_t x0, int64_t x1,
                       size_t nbuckets, tally_bucket *out)
{
    if (!st || !out || nbuckets == 0 || x1 < x0)
        return TALLY_EINVAL;
    for (size_t i = 0; i < nbuckets; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].y_min = out[i].y_max = out[i].y_first = out[i].y_last = NAN;
    }
    int rc = store_prepare(st, &st->q_chunks, chunks_sql);
    if (rc)
        return rc;
    sqlite3_stmt *q = st->q_chunks;
    sqlite3_bind_int64(q, 1, metric_id);
    sqlite3_bind_int64(q, 2, x0);
    sqlite3_bind_int64(q, 3, x1);
    int src;
    while (!rc && (src = sqlite3_step(q)) == SQLITE_ROW) {
        chunk_stats s = header(q);
        if (s.last_x < x0 || s.first_x > x1)
            continue;
        size_t b0 = tally_bucket_index(s.first_x, x0, x1, nbuckets);
        size_t b1 = tally_bucket_index(s.last_x, x0, x1, nbuckets);
        if (b0 == b1 && s.first_x >= x0 && s.last_x <= x1) {
            bucket_merge(&out[b0], &s);
            continue;
        }
        chunk_decoder dec;
        chunk_blocks blocks;
        int64_t rowid = sqlite3_column_int64(q, 0);
        rc = chunk_load(st, &st->q_data, metric_id, rowid, &s, &dec, &blocks);
        if (rc == 1) {
            rc = TALLY_OK; /* damaged: left out, recorded */
            sqlite3_reset(st->q_data);
            continue;
        }
        if (rc)
            break;
        split r = {x0, x1, nbuckets, out};
        int drc = blocks.n >= 0 ? split_blocks(&r, &dec, &blocks) : split_points(&r, &dec, -1);
        if (drc < 0) /* only a schema 1 file, without checksums, gets here */
            store_damage(st, 0, rowid, metric_id, s.first_x, s.last_x, s.n);
        sqlite3_reset(st->q_data);
    }
    sqlite3_reset(q);
    if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
        rc = schema_error(src);
    return rc;
}

/* ---- raw points ---- */

struct tally_points {
    tally_store *st;
    sqlite3_stmt *chunks; /* its own statement: several cursors may be open */
    sqlite3_stmt *data;
    int64_t metric_id, x0, x1, rowid;
    chunk_stats head;
    chunk_decoder dec;
    int have_chunk;
    int done; /* the end was reached: a finished statement would restart */
};

int tally_points_open(tally_store *st, int64_t metric_id, int64_t x0, int64_t x1,
                      tally_points **out)
{
    if (!st || !out || x1 < x0)
        return TALLY_EINVAL;
    tally_points *p = calloc(1, sizeof *p);
    if (!p)
        return TALLY_ENOMEM;
    p->st = st;
    p->metric_id = metric_id;
    p->x0 = x0;
    p->x1 = x1;
    if (st->npool > 0) {
        st->npool--;
        p->chunks = st->pool[st->npool].chunks;
        p->data = st->pool[st->npool].data;
    } else if (sqlite3_prepare_v3(st->db, chunks_sql, -1, SQLITE_PREPARE_PERSISTENT, &p->chunks,
                                  NULL) != SQLITE_OK) {
        free(p);
        return TALLY_ECORRUPT;
    }
    sqlite3_bind_int64(p->chunks, 1, metric_id);
    sqlite3_bind_int64(p->chunks, 2, x0);
    sqlite3_bind_int64(p->chunks, 3, x1);
    *out = p;
    return TALLY_OK;
}

/* Moves to the next chunk; 1 when there is one, TALLY_ECORRUPT when the
 * next one is damaged (the cursor is then past it). */
static int next_chunk(tally_points *p)
{
    p->have_chunk = 0;
    int src;
    while ((src = sqlite3_step(p->chunks)) == SQLITE_ROW && sqlite3_column_int64(p->chunks, 2) < p->x0)
        continue;
    if (src == SQLITE_DONE)
        return 0;
    if (src != SQLITE_ROW)
        return schema_error(src);
    p->head = header(p->chunks);
    p->rowid = sqlite3_column_int64(p->chunks, 0);
    int rc = chunk_load(p->st, &p->data, p->metric_id, p->rowid, &p->head, &p->dec, NULL);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return TALLY_ECORRUPT;
    p->have_chunk = 1;
    return 1;
}

int tally_points_next(tally_points *p, int64_t *x, double *y)
{
    if (!p || !x || !y)
        return TALLY_EINVAL;
    if (p->done)
        return 0;
    for (;;) {
        if (!p->have_chunk) {
            int rc = next_chunk(p);
            if (rc == 0)
                p->done = 1;
            if (rc <= 0)
                return rc;
        }
        int drc = chunk_decoder_next(&p->dec, x, y);
        if (drc < 0) { /* schema 1 only: its blobs carry no checksum */
            store_damage(p->st, 0, p->rowid, p->metric_id, p->head.first_x, p->head.last_x,
                         p->head.n);
            p->have_chunk = 0;
            return TALLY_ECORRUPT;
        }
        if (drc == 0) {
            p->have_chunk = 0;
            continue;
        }
        if (*x < p->x0)
            continue;
        if (*x > p->x1) {
            p->done = 1;
            return 0;
        }
        return 1;
    }
}

void tally_points_close(tally_points *p)
{
    if (!p)
        return;
    tally_store *st = p->st;
    if (st->npool < STORE_POOL_MAX) {
        /* Reset: a statement left mid-way would hold a read transaction. */
        sqlite3_reset(p->chunks);
        sqlite3_clear_bindings(p->chunks);
        if (p->data)
            sqlite3_reset(p->data);
        st->pool[st->npool++] = (struct store_points_stmts){p->chunks, p->data};
    } else {
        sqlite3_finalize(p->chunks);
        sqlite3_finalize(p->data);
    }
    free(p);
}

/* ---- objects ----
 *
 * Schema 2 stores the non-scalar values of a flush as one object_batch
 * row; the cursor walks the batches in x order and the entries of each in
 * the order logged.  Schema 1 has one object row per value.
 */

struct tally_objects {
    tally_store *st;
    sqlite3_stmt *q;
    int batched; /* schema 2 */
    int64_t x0, x1, rowid;
    objbatch_decoder dec;
    int have_batch;
    buf text; /* the current value's JSON, NUL-terminated */
};

int tally_objects_open(tally_store *st, int64_t x0, int64_t x1, tally_objects **out)
{
    if (!st || !out || x1 < x0)
        return TALLY_EINVAL;
    tally_objects *o = calloc(1, sizeof *o);
    if (!o)
        return TALLY_ENOMEM;
    o->st = st;
    o->x0 = x0;
    o->x1 = x1;
    o->batched = st->info.schema_version >= 2;
    const char *sql = o->batched
                          ? "SELECT id, first_x, last_x, n, crc, data FROM object_batch"
                            " WHERE first_x <= ?2 AND last_x >= ?1 ORDER BY first_x, id"
                          : "SELECT metric_id, x, type, json FROM object WHERE x BETWEEN ?1 AND ?2"
                            " ORDER BY x, rowid";
    if (sqlite3_prepare_v2(st->db, sql, -1, &o->q, NULL) != SQLITE_OK) {
        free(o);
        return TALLY_ECORRUPT;
    }
    sqlite3_bind_int64(o->q, 1, x0);
    sqlite3_bind_int64(o->q, 2, x1);
    *out = o;
    return TALLY_OK;
}

/* Starts the next batch: 1, 0 at the end, TALLY_ECORRUPT past a damaged
 * one. */
static int next_batch(tally_objects *o)
{
    o->have_batch = 0;
    int src = sqlite3_step(o->q);
    if (src == SQLITE_DONE)
        return 0;
    if (src != SQLITE_ROW)
        return schema_error(src);
    o->rowid = sqlite3_column_int64(o->q, 0);
    chunk_stats h = {.first_x = sqlite3_column_int64(o->q, 1),
                     .last_x = sqlite3_column_int64(o->q, 2),
                     .n = sqlite3_column_int64(o->q, 3),
                     .y_min = NAN, .y_max = NAN, .y_first = NAN, .y_last = NAN};
    const void *blob = sqlite3_column_blob(o->q, 5);
    size_t len = (size_t)sqlite3_column_bytes(o->q, 5);
    if ((uint32_t)sqlite3_column_int64(o->q, 4) !=
            chunk_checksum(OBJBATCH_OWNER, &h, blob, len, NULL, 0) ||
        objbatch_decoder_init(&o->dec, blob, len, h.first_x) < 0 || o->dec.remaining != h.n) {
        store_damage(o->st, 1, o->rowid, -1, h.first_x, h.last_x, h.n);
        return TALLY_ECORRUPT;
    }
    o->have_batch = 1;
    return 1;
}

static int fill(tally_objects *o, tally_object *out, int64_t metric_id, int64_t x,
                const char *type, const char *json, size_t len)
{
    buf_reset(&o->text);
    buf_append(&o->text, json, len);
    if (o->text.oom)
        return TALLY_ENOMEM;
    out->metric_id = metric_id;
    out->x = x;
    out->type = type;
    out->json = buf_cstr(&o->text);
    return 1;
}

static int next_batched(tally_objects *o, tally_object *out)
{
    for (;;) {
        if (!o->have_batch) {
            int rc = next_batch(o);
            if (rc <= 0)
                return rc;
        }
        objbatch_entry e;
        int drc = objbatch_next(&o->dec, &e);
        if (drc == 0) {
            o->have_batch = 0;
            continue;
        }
        if (drc < 0) { /* cannot happen past a good checksum, but a writer bug */
            store_damage(o->st, 1, o->rowid, -1, sqlite3_column_int64(o->q, 1),
                         sqlite3_column_int64(o->q, 2), sqlite3_column_int64(o->q, 3));
            o->have_batch = 0;
            return TALLY_ECORRUPT;
        }
        if (e.x < o->x0 || e.x > o->x1)
            continue;
        return fill(o, out, e.metric_id, e.x, objbatch_type_name(e.type), e.json, e.len);
    }
}

int tally_objects_next(tally_objects *o, tally_object *out)
{
    if (!o || !out)
        return TALLY_EINVAL;
    if (o->batched)
        return next_batched(o, out);
    int src = sqlite3_step(o->q);
    if (src == SQLITE_DONE)
        return 0;
    if (src != SQLITE_ROW)
        return schema_error(src);
    const char *type = (const char *)sqlite3_column_text(o->q, 2);
    const char *json = (const char *)sqlite3_column_text(o->q, 3);
    int code = objbatch_type_code(type);
    return fill(o, out, sqlite3_column_int64(o->q, 0), sqlite3_column_int64(o->q, 1),
                code < 0 ? "json" : objbatch_type_name(code), json ? json : "null",
                json ? strlen(json) : 4);
}

void tally_objects_close(tally_objects *o)
{
    if (!o)
        return;
    sqlite3_finalize(o->q);
    buf_free(&o->text);
    free(o);
}
