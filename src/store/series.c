/*
 * series.c — reading a metric's series: decimation to buckets for charts,
 * and raw point cursors for export and sync.
 *
 * Decimation works from chunk headers where it can.  A chunk whose points
 * all fall in one bucket is merged into it from its header (n, min, max,
 * first, last) without touching its blob; only chunks that straddle a
 * bucket edge or the range's ends are decoded.  A million-point metric
 * drawn 200 columns wide decodes at most a few hundred chunks' worth of
 * edges, and a zoomed-in view reads only the chunks it shows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/chunk.h"
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

static int chunk_blob(tally_store *st, int64_t rowid, chunk_decoder *dec)
{
    int rc = store_prepare(st, &st->q_data, "SELECT data FROM chunk WHERE rowid = ?");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->q_data, 1, rowid);
    if (sqlite3_step(st->q_data) != SQLITE_ROW)
        return TALLY_ECORRUPT;
    const void *p = sqlite3_column_blob(st->q_data, 0);
    int n = sqlite3_column_bytes(st->q_data, 0);
    /* The blob stays valid until q_data is reset: the caller decodes it
     * before the next chunk_blob() call. */
    return chunk_decoder_init(dec, p, (size_t)n) < 0 ? TALLY_ECORRUPT : TALLY_OK;
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
        chunk_stats s = {
            .first_x = sqlite3_column_int64(q, 1), .last_x = sqlite3_column_int64(q, 2),
            .n = sqlite3_column_int64(q, 3),       .y_min = store_column_real(q, 4),
            .y_max = store_column_real(q, 5),      .y_first = store_column_real(q, 6),
            .y_last = store_column_real(q, 7)};
        if (s.last_x < x0 || s.first_x > x1)
            continue;
        size_t b0 = tally_bucket_index(s.first_x, x0, x1, nbuckets);
        size_t b1 = tally_bucket_index(s.last_x, x0, x1, nbuckets);
        if (b0 == b1 && s.first_x >= x0 && s.last_x <= x1) {
            bucket_merge(&out[b0], &s);
            continue;
        }
        chunk_decoder dec;
        rc = chunk_blob(st, sqlite3_column_int64(q, 0), &dec);
        int64_t x;
        double y;
        int drc = 0;
        /* Divide only when x crosses into another bucket, not per point. */
        size_t b = nbuckets; /* nbuckets: no bucket yet */
        int64_t next = 0;    /* the first x of bucket b + 1, when there is one */
        while (!rc && (drc = chunk_decoder_next(&dec, &x, &y)) == 1) {
            if (x > x1)
                break;
            if (x < x0)
                continue;
            if (b == nbuckets || (b + 1 < nbuckets && x >= next)) {
                b = tally_bucket_index(x, x0, x1, nbuckets);
                if (b + 1 < nbuckets)
                    next = bucket_start(b + 1, x0, x1, nbuckets);
            }
            bucket_add(&out[b], x, y);
        }
        if (drc < 0)
            rc = TALLY_ECORRUPT;
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
    int64_t x0, x1;
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
    p->x0 = x0;
    p->x1 = x1;
    if (sqlite3_prepare_v2(st->db, chunks_sql, -1, &p->chunks, NULL) != SQLITE_OK) {
        free(p);
        return TALLY_ECORRUPT;
    }
    sqlite3_bind_int64(p->chunks, 1, metric_id);
    sqlite3_bind_int64(p->chunks, 2, x0);
    sqlite3_bind_int64(p->chunks, 3, x1);
    *out = p;
    return TALLY_OK;
}

/* Moves to the next chunk; 1 when there is one. */
static int next_chunk(tally_points *p)
{
    p->have_chunk = 0;
    int src = sqlite3_step(p->chunks);
    if (src == SQLITE_DONE)
        return 0;
    if (src != SQLITE_ROW)
        return schema_error(src);
    if (sqlite3_column_int64(p->chunks, 2) < p->x0)
        return next_chunk(p);
    if (!p->data &&
        sqlite3_prepare_v2(p->st->db, "SELECT data FROM chunk WHERE rowid = ?", -1, &p->data,
                           NULL) != SQLITE_OK)
        return TALLY_ECORRUPT;
    sqlite3_reset(p->data);
    sqlite3_bind_int64(p->data, 1, sqlite3_column_int64(p->chunks, 0));
    if (sqlite3_step(p->data) != SQLITE_ROW)
        return TALLY_ECORRUPT;
    const void *blob = sqlite3_column_blob(p->data, 0);
    int n = sqlite3_column_bytes(p->data, 0);
    if (chunk_decoder_init(&p->dec, blob, (size_t)n) < 0)
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
        if (drc < 0)
            return TALLY_ECORRUPT;
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
    sqlite3_finalize(p->chunks);
    sqlite3_finalize(p->data);
    free(p);
}

/* ---- objects ---- */

struct tally_objects {
    sqlite3_stmt *q;
};

int tally_objects_open(tally_store *st, int64_t x0, int64_t x1, tally_objects **out)
{
    if (!st || !out || x1 < x0)
        return TALLY_EINVAL;
    tally_objects *o = calloc(1, sizeof *o);
    if (!o)
        return TALLY_ENOMEM;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT metric_id, x, type, json FROM object WHERE x BETWEEN ? AND ?"
                           " ORDER BY x, rowid",
                           -1, &o->q, NULL) != SQLITE_OK) {
        free(o);
        return TALLY_ECORRUPT;
    }
    sqlite3_bind_int64(o->q, 1, x0);
    sqlite3_bind_int64(o->q, 2, x1);
    *out = o;
    return TALLY_OK;
}

int tally_objects_next(tally_objects *o, tally_object *out)
{
    if (!o || !out)
        return TALLY_EINVAL;
    int src = sqlite3_step(o->q);
    if (src == SQLITE_DONE)
        return 0;
    if (src != SQLITE_ROW)
        return schema_error(src);
    out->metric_id = sqlite3_column_int64(o->q, 0);
    out->x = sqlite3_column_int64(o->q, 1);
    out->type = (const char *)sqlite3_column_text(o->q, 2);
    out->json = (const char *)sqlite3_column_text(o->q, 3);
    if (!out->type)
        out->type = "json";
    if (!out->json)
        out->json = "null";
    return 1;
}

void tally_objects_close(tally_objects *o)
{
    if (!o)
        return;
    sqlite3_finalize(o->q);
    free(o);
}
