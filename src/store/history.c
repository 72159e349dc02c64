/*
 * history.c — read snapshots, and history rows rebuilt from per-metric
 * cursors (tally_store.h).  Owns the row iterator `tally export` prints and
 * sync uploads, and the one JSON-line form of a row (history.h).
 *
 * A row is every value logged at one x.  The selected metrics are merged
 * by x with a heap of per-metric point cursors: the next row is the
 * smallest waiting x, and the cursor over non-scalar values (strings,
 * JSON) joins in by x.  A cursor is opened only when its metric's first
 * point (x_min, from the metric row) comes to the front and is closed when
 * it runs out, so a run of a million keys logged once each has a handful
 * open at a time; a row costs the cells it holds, not the columns.
 *
 * The common run is dense: most metrics logged at every step.  The heap
 * would only shuffle cursors that all wait at one x, so those are kept
 * apart, in the "level": a list in cursor order of open cursors waiting at
 * one x.  A row takes the level in one pass, with no sifting and no sort;
 * the heap holds the rest.  A level cursor that moves on to another x goes
 * into the heap; a heap cursor that moves on to the level's x joins it.
 * Memory stays flat however long the run.  A damaged chunk or batch is
 * stepped over (the store handle records it, tally_store_damage): rows go
 * on without its values.  Media keys have no chunks: their objects come
 * from one media iterator in step order, each cell holding the object's
 * wandb JSON (type: the media type's name).
 */
#include "store/history.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/numfmt.h"
#include "store/reader_internal.h"
#include "store/schema.h"

typedef struct cursor {
    tally_points *points; /* NULL until the cursor reaches the front */
    int opened;
    int64_t x; /* the waiting point, or before opening a bound below it */
    double y;
} cursor;

struct tally_history {
    tally_store *st;
    tally_axis axis;
    int own_snapshot;
    int64_t x0, x1;
    tally_history_cell *cells;
    cursor *cur;
    char **json;  /* per cell, the JSON of the current row, owned */
    buf keys;     /* per cell, its name as a JSON key ("name":), escaped once */
    size_t *key_end; /* cell i's key ends at keys.data + key_end[i] */
    size_t n;
    size_t *heap; /* cursor indices, a min-heap on (x, index) */
    size_t nheap;
    size_t *level; /* open cursors all waiting at level_x, ascending */
    size_t nlevel;
    int64_t level_x;
    size_t *taken; /* the cursors the heap gave this row, ascending */
    size_t ntaken;
    size_t *set;  /* the cells holding a value in the current row */
    size_t nset;
    struct by_id {
        int64_t id;
        size_t cell;
    } *ids;       /* cells by metric id, for the non-scalar values */
    tally_objects *objects;
    int has_obj;
    tally_object obj;
    tally_media_iter *media; /* objects of media keys (media.c), NULL when none */
    int has_media;
    tally_media mobj;
};

static int count_metrics(sqlite3 *db, int64_t *n)
{
    sqlite3_stmt *q;
    int src = sqlite3_prepare_v2(db, "SELECT count(*) FROM metric", -1, &q, NULL);
    if (src != SQLITE_OK)
        return schema_error(src);
    src = sqlite3_step(q);
    if (src == SQLITE_ROW)
        *n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return src == SQLITE_ROW ? TALLY_OK : schema_error(src);
}

int tally_store_snapshot_begin(tally_store *st)
{
    if (!st)
        return TALLY_EINVAL;
    if (!sqlite3_get_autocommit(st->db))
        return TALLY_EINVAL; /* already in one */
    /* The metric list must cover everything the snapshot holds: metrics
     * are only ever added, so equal counts mean equal lists. */
    for (int tries = 0; tries < 16; tries++) {
        int rc = schema_error(sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL));
        int64_t n = 0;
        if (!rc)
            rc = count_metrics(st->db, &n);
        if (!rc && (size_t)n == st->nmetrics)
            return TALLY_OK;
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
        if (!rc)
            rc = tally_store_refresh(st, NULL);
        if (rc)
            return rc;
    }
    return TALLY_EBUSY;
}

int tally_store_snapshot_end(tally_store *st)
{
    if (!st)
        return TALLY_EINVAL;
    if (sqlite3_get_autocommit(st->db))
        return TALLY_OK;
    return schema_error(sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL));
}

/* The cursor's next point, past damaged chunks: 1, 0 at the end, < 0. */
static int cursor_next(cursor *c)
{
    int rc;
    while ((rc = tally_points_next(c->points, &c->x, &c->y)) == TALLY_ECORRUPT)
        continue;
    return rc;
}

/* The next non-scalar value, past damaged batches. */
static int object_next(tally_history *h)
{
    while ((h->has_obj = tally_objects_next(h->objects, &h->obj)) == TALLY_ECORRUPT)
        continue;
    return h->has_obj < 0 ? h->has_obj : TALLY_OK;
}

/* The next media object, past damaged rows. */
static int media_next(tally_history *h)
{
    while ((h->has_media = tally_media_next(h->media, &h->mobj)) == TALLY_ECORRUPT)
        continue;
    return h->has_media < 0 ? h->has_media : TALLY_OK;
}

/* ---- the heap ---- */

static int by_index(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static int heap_less(const tally_history *h, size_t a, size_t b)
{
    return h->cur[a].x < h->cur[b].x || (h->cur[a].x == h->cur[b].x && a < b);
}

static void heap_down(tally_history *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->nheap && heap_less(h, h->heap[l], h->heap[m]))
            m = l;
        if (r < h->nheap && heap_less(h, h->heap[r], h->heap[m]))
            m = r;
        if (m == i)
            return;
        size_t t = h->heap[i];
        h->heap[i] = h->heap[m];
        h->heap[m] = t;
        i = m;
    }
}

/* Puts cursor i into the heap. */
static void heap_push(tally_history *h, size_t i)
{
    size_t k = h->nheap++;
    h->heap[k] = i;
    while (k > 0 && heap_less(h, h->heap[k], h->heap[(k - 1) / 2])) {
        size_t p = (k - 1) / 2, t = h->heap[k];
        h->heap[k] = h->heap[p];
        h->heap[p] = t;
        k = p;
    }
}

/* The front cursor's x grew (or it ran out, gone = 1). */
static void heap_front_moved(tally_history *h, int gone)
{
    if (gone)
        h->heap[0] = h->heap[--h->nheap];
    heap_down(h, 0);
}

/* Makes the front cursor a real one: opens it if need be.  Returns 1 when
 * the front is an open cursor with a point, 0 when the heap is empty. */
static int heap_settle(tally_history *h)
{
    while (h->nheap > 0) {
        size_t i = h->heap[0];
        cursor *c = &h->cur[i];
        if (c->opened)
            return 1;
        c->opened = 1;
        int rc = tally_points_open(h->st, h->cells[i].metric->id, h->x0, h->x1, &c->points);
        if (rc)
            return rc;
        rc = cursor_next(c);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            tally_points_close(c->points);
            c->points = NULL;
        }
        heap_front_moved(h, !rc);
    }
    return 0;
}

static int by_id_order(const void *a, const void *b)
{
    const struct by_id *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int add_column(tally_history *h, const tally_metric_info *m)
{
    size_t i = h->n++;
    h->cells[i].metric = m;
    h->ids[i] = (struct by_id){m->id, i};
    json_string(&h->keys, m->name);
    buf_putc(&h->keys, ':');
    if (h->keys.oom)
        return TALLY_ENOMEM;
    h->key_end[i] = h->keys.len;
    if (m->media)
        return TALLY_OK; /* no chunks: its objects come from the media iterator */
    if (m->n <= 0 || m->x_max < h->x0 || m->x_min > h->x1)
        return TALLY_OK; /* nothing in range: never opened */
    /* x_min bounds the first point from below; heap_settle() opens the
     * cursor and finds the real one when it comes to the front. */
    h->cur[i].x = m->x_min > h->x0 ? m->x_min : h->x0;
    heap_push(h, i);
    return TALLY_OK;
}

static int choose_columns(tally_history *h, const char *glob)
{
    size_t n = tally_store_metric_count(h->st);
    h->cells = calloc(n + 1, sizeof *h->cells);
    h->cur = calloc(n + 1, sizeof *h->cur);
    h->json = calloc(n + 1, sizeof *h->json);
    h->key_end = calloc(n + 1, sizeof *h->key_end);
    h->heap = calloc(n + 1, sizeof *h->heap);
    h->level = calloc(n + 1, sizeof *h->level);
    h->taken = calloc(n + 1, sizeof *h->taken);
    h->set = calloc(n + 1, sizeof *h->set);
    h->ids = calloc(n + 1, sizeof *h->ids);
    if (!h->cells || !h->cur || !h->json || !h->key_end || !h->heap || !h->level ||
        !h->taken || !h->set || !h->ids)
        return TALLY_ENOMEM;
    /* Step axis: _timestamp and _runtime first, then the chosen metrics. */
    static const char *const hidden[] = {"_timestamp", "_runtime"};
    int first_pass = h->axis == TALLY_AXIS_STEP ? 0 : 2;
    for (int pass = first_pass; pass < 3; pass++) {
        for (size_t i = 0; i < n; i++) {
            const tally_metric_info *m = tally_store_metric(h->st, i);
            if (m->axis != h->axis)
                continue;
            if (pass < 2 ? strcmp(m->name, hidden[pass]) != 0
                         : (m->hidden || (glob && fnmatch(glob, m->name, 0) != 0)))
                continue;
            int rc = add_column(h, m);
            if (rc)
                return rc;
        }
    }
    qsort(h->ids, h->n, sizeof *h->ids, by_id_order);
    return TALLY_OK;
}

int tally_history_open(tally_store *st, tally_axis axis, const char *glob, int64_t x0,
                       int64_t x1, tally_history **out)
{
    if (!st || !out || x1 < x0)
        return TALLY_EINVAL;
    *out = NULL;
    tally_history *h = calloc(1, sizeof *h);
    if (!h)
        return TALLY_ENOMEM;
    h->st = st;
    h->axis = axis;
    h->x0 = x0;
    h->x1 = x1;
    int rc = TALLY_OK;
    if (sqlite3_get_autocommit(st->db)) {
        rc = tally_store_snapshot_begin(st);
        h->own_snapshot = rc == TALLY_OK;
    }
    if (!rc)
        rc = choose_columns(h, glob);
    if (!rc && axis == TALLY_AXIS_STEP) {
        rc = tally_objects_open(st, x0, x1, &h->objects);
        if (!rc)
            rc = object_next(h);
        int any_media = 0;
        for (size_t i = 0; i < h->n; i++)
            any_media |= h->cells[i].metric->media != 0;
        if (!rc && any_media) {
            rc = tally_media_open(st, -1, x0, x1, &h->media);
            if (!rc)
                rc = media_next(h);
        }
    }
    if (rc) {
        tally_history_close(h);
        return rc;
    }
    *out = h;
    return TALLY_OK;
}

const tally_history_cell *tally_history_columns(const tally_history *h, size_t *n)
{
    if (n)
        *n = h ? h->n : 0;
    return h ? h->cells : NULL;
}

static tally_history_cell *cell_by_id(tally_history *h, int64_t id)
{
    struct by_id key = {id, 0};
    struct by_id *hit = h->n ? bsearch(&key, h->ids, h->n, sizeof *h->ids, by_id_order) : NULL;
    return hit ? &h->cells[hit->cell] : NULL;
}

/* Marks cell i as holding a value in this row. */
static void touch(tally_history *h, size_t i)
{
    if (h->cells[i].kind == 0)
        h->set[h->nset++] = i;
}

/* Takes cursor i's value at x into the row (points sharing one x: the
 * later value wins) and steps it past x.  Returns 1 when it has a point
 * left, 0 when it ran out (it is closed), < 0 on a read error. */
static int take(tally_history *h, size_t i, int64_t x, int *any)
{
    cursor *c = &h->cur[i];
    touch(h, i);
    h->cells[i].kind = 1;
    *any |= !h->cells[i].metric->hidden;
    int more = 1;
    while (more && c->x == x) {
        h->cells[i].y = c->y;
        int rc = cursor_next(c);
        if (rc < 0)
            return rc;
        more = rc;
    }
    if (!more) {
        tally_points_close(c->points);
        c->points = NULL;
    }
    return more;
}

/* The level's row at x: every cursor gives its value, in cursor order.
 * The level goes on at the x the first cursor left moved on to; one that
 * moved elsewhere goes into the heap, one that ran out leaves. */
static int level_row(tally_history *h, int64_t x, int *any)
{
    size_t kept = 0;
    for (size_t k = 0; k < h->nlevel; k++) {
        size_t i = h->level[k];
        int more = take(h, i, x, any);
        if (more < 0)
            return more;
        if (!more)
            continue;
        if (kept == 0)
            h->level_x = h->cur[i].x;
        if (h->cur[i].x == h->level_x)
            h->level[kept++] = i;
        else
            heap_push(h, i);
    }
    h->nlevel = kept;
    return TALLY_OK;
}

/* The heap's row at x: cursors leave the front in (x, index) order, give
 * their value and wait in `taken` for settle_taken(). */
static int heap_row(tally_history *h, int64_t x, int *any)
{
    int rc;
    h->ntaken = 0;
    while ((rc = heap_settle(h)) == 1 && h->cur[h->heap[0]].x == x) {
        size_t i = h->heap[0];
        heap_front_moved(h, 1);
        int more = take(h, i, x, any);
        if (more < 0)
            return more;
        if (more)
            h->taken[h->ntaken++] = i;
    }
    return rc < 0 ? rc : TALLY_OK;
}

/* The cursors the heap gave this row: those that moved on to the level's x
 * (with no level, the first one's) join it, merged in cursor order from the
 * back; the rest go back into the heap. */
static void settle_taken(tally_history *h)
{
    if (h->ntaken == 0)
        return;
    if (h->nlevel == 0)
        h->level_x = h->cur[h->taken[0]].x;
    size_t join = 0;
    for (size_t k = 0; k < h->ntaken; k++) {
        size_t i = h->taken[k];
        if (h->cur[i].x == h->level_x)
            h->taken[join++] = i;
        else
            heap_push(h, i);
    }
    size_t a = h->nlevel, b = join, out = a + b;
    while (b > 0)
        h->level[--out] = a > 0 && h->level[a - 1] > h->taken[b - 1] ? h->level[--a]
                                                                     : h->taken[--b];
    h->nlevel += join;
    h->ntaken = 0;
}

/* Puts the row's cells in cursor order.  The level's come in order, and
 * so do the heap's after them; a sort is needed only when the two
 * interleave or a cell holding only a non-scalar value joined. */
static void sort_set(tally_history *h)
{
    for (size_t k = 1; k < h->nset; k++) {
        if (h->set[k - 1] > h->set[k]) {
            qsort(h->set, h->nset, sizeof *h->set, by_index);
            return;
        }
    }
}

int tally_history_next(tally_history *h, tally_history_row *row)
{
    if (!h || !row)
        return TALLY_EINVAL;
    /* Clear what the last row held. */
    for (size_t k = 0; k < h->nset; k++) {
        size_t i = h->set[k];
        free(h->json[i]);
        h->json[i] = NULL;
        h->cells[i].kind = 0;
        h->cells[i].json = h->cells[i].type = NULL;
    }
    h->nset = 0;
    int rc = heap_settle(h);
    if (rc < 0)
        return rc;
    if (rc == 0 && h->nlevel == 0)
        return 0;
    /* The row's x: the smaller of the level's and the heap front's. */
    int64_t x = h->nlevel ? h->level_x : h->cur[h->heap[0]].x;
    if (rc == 1 && h->cur[h->heap[0]].x < x)
        x = h->cur[h->heap[0]].x;
    int any = 0;
    if (h->nlevel && h->level_x == x)
        rc = level_row(h, x, &any);
    else
        rc = TALLY_OK;
    if (!rc)
        rc = heap_row(h, x, &any);
    if (rc < 0)
        return rc;
    settle_taken(h);
    while (h->has_obj == 1 && h->obj.x <= x) {
        tally_history_cell *cell = h->obj.x == x ? cell_by_id(h, h->obj.metric_id) : NULL;
        if (cell) {
            size_t i = (size_t)(cell - h->cells);
            touch(h, i);
            free(h->json[i]);
            h->json[i] = strdup(h->obj.json);
            if (!h->json[i])
                return TALLY_ENOMEM;
            cell->kind = 2;
            cell->json = h->json[i];
            cell->type = strcmp(h->obj.type, "string") == 0 ? "string"
                         : strcmp(h->obj.type, "int") == 0  ? "int"
                                                            : "json";
            any |= !cell->metric->hidden;
        }
        rc = object_next(h);
        if (rc)
            return rc;
    }
    /* Media objects: the cell holds the value wandb's history row does. */
    while (h->has_media == 1 && h->mobj.step <= x) {
        tally_history_cell *cell =
            h->mobj.step == x ? cell_by_id(h, h->mobj.metric_id) : NULL;
        if (cell && cell->metric->media) {
            size_t i = (size_t)(cell - h->cells);
            touch(h, i);
            free(h->json[i]);
            h->json[i] = strdup(h->mobj.wandb_json);
            if (!h->json[i])
                return TALLY_ENOMEM;
            cell->kind = 2;
            cell->json = h->json[i];
            cell->type = tally_media_type_name(h->mobj.type);
            any |= !cell->metric->hidden;
        }
        rc = media_next(h);
        if (rc)
            return rc;
    }
    sort_set(h);
    row->x = x;
    row->ncells = h->n;
    row->cells = h->cells;
    row->nset = h->nset;
    row->set = h->set;
    row->any = any;
    return 1;
}

void tally_history_close(tally_history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        tally_points_close(h->cur[i].points);
        free(h->json[i]);
    }
    tally_objects_close(h->objects);
    tally_media_close(h->media);
    if (h->own_snapshot)
        tally_store_snapshot_end(h->st);
    free(h->cells);
    free(h->cur);
    free(h->json);
    free(h->key_end);
    buf_free(&h->keys);
    free(h->heap);
    free(h->level);
    free(h->taken);
    free(h->set);
    free(h->ids);
    free(h);
}

void history_row_json(buf *out, const tally_history *h, const tally_history_row *row,
                      unsigned flags)
{
    char step[NUMFMT_MAX];
    buf_putc(out, '{');
    buf_append(out, "\"_step\":", 8);
    buf_puts(out, numfmt_int(step, row->x));
    for (size_t k = 0; k < row->nset; k++) {
        size_t i = row->set[k];
        const tally_history_cell *c = &row->cells[i];
        buf_putc(out, ',');
        if (h && i < h->n && c == &h->cells[i]) {
            size_t start = i ? h->key_end[i - 1] : 0;
            buf_append(out, h->keys.data + start, h->key_end[i] - start);
        } else {
            json_string(out, c->metric->name);
            buf_putc(out, ':');
        }
        if (c->kind == 2)
            json_text(out, c->json, flags);
        else if (c->metric->is_int)
            json_number(out, c->y, flags);
        else
            json_float(out, c->y, flags);
    }
    buf_putc(out, '}');
}
