/*
 * history.c — read snapshots, and history rows rebuilt from per-metric
 * cursors (tally_store.h).  Owns the row iterator `tally export` prints and
 * sync uploads, and the one JSON-line form of a row (history.h).
 *
 * A row is every value logged at one x.  Each selected metric has a point
 * cursor; they walk side by side, the smallest waiting x is the next row,
 * and the cursor over non-scalar values (strings, JSON) joins in by x.
 * Memory stays flat however long the run.  A damaged chunk or batch is
 * stepped over (the store handle records it, tally_store_damage): rows go
 * on without its values.
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
    tally_points *points;
    int has; /* a point is waiting in x, y */
    int64_t x;
    double y;
} cursor;

struct tally_history {
    tally_store *st;
    tally_axis axis;
    int own_snapshot;
    int64_t x0, x1;
    tally_history_cell *cells;
    cursor *cur;
    char **json; /* per cell, the JSON of the current row, owned */
    buf keys;    /* per cell, its name as a JSON key ("name":), escaped once */
    size_t *key_end; /* cell i's key ends at keys.data + key_end[i] */
    size_t n;
    tally_objects *objects;
    int has_obj;
    tally_object obj;
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

/* The cursor's next point, past damaged chunks. */
static int cursor_next(cursor *c)
{
    int rc;
    while ((rc = tally_points_next(c->points, &c->x, &c->y)) == TALLY_ECORRUPT)
        continue;
    c->has = rc == 1;
    return rc < 0 ? rc : TALLY_OK;
}

/* The next non-scalar value, past damaged batches. */
static int object_next(tally_history *h)
{
    while ((h->has_obj = tally_objects_next(h->objects, &h->obj)) == TALLY_ECORRUPT)
        continue;
    return h->has_obj < 0 ? h->has_obj : TALLY_OK;
}

static int add_column(tally_history *h, const tally_metric_info *m)
{
    tally_history_cell *cell = &h->cells[h->n];
    cursor *c = &h->cur[h->n];
    cell->metric = m;
    json_string(&h->keys, m->name);
    buf_putc(&h->keys, ':');
    if (h->keys.oom)
        return TALLY_ENOMEM;
    h->key_end[h->n] = h->keys.len;
    h->n++;
    int rc = tally_points_open(h->st, m->id, h->x0, h->x1, &c->points);
    return rc ? rc : cursor_next(c);
}

static int choose_columns(tally_history *h, const char *glob)
{
    size_t n = tally_store_metric_count(h->st);
    h->cells = calloc(n + 1, sizeof *h->cells);
    h->cur = calloc(n + 1, sizeof *h->cur);
    h->json = calloc(n + 1, sizeof *h->json);
    h->key_end = calloc(n + 1, sizeof *h->key_end);
    if (!h->cells || !h->cur || !h->json || !h->key_end)
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
    for (size_t i = 0; i < h->n; i++)
        if (h->cells[i].metric->id == id)
            return &h->cells[i];
    return NULL;
}

int tally_history_next(tally_history *h, tally_history_row *row)
{
    if (!h || !row)
        return TALLY_EINVAL;
    int found = 0;
    int64_t x = 0;
    for (size_t i = 0; i < h->n; i++) {
        cursor *c = &h->cur[i];
        if (c->has && (!found || c->x < x)) {
            x = c->x;
            found = 1;
        }
    }
    if (!found)
        return 0;
    int any = 0;
    for (size_t i = 0; i < h->n; i++) {
        cursor *c = &h->cur[i];
        tally_history_cell *cell = &h->cells[i];
        if (h->json[i]) {
            free(h->json[i]);
            h->json[i] = NULL;
        }
        cell->json = cell->type = NULL;
        cell->kind = c->has && c->x == x ? 1 : 0;
        cell->y = c->y;
        any |= cell->kind && !cell->metric->hidden;
        /* Points sharing one x: the later value wins. */
        while (cell->kind && c->has && c->x == x) {
            cell->y = c->y;
            int rc = cursor_next(c);
            if (rc)
                return rc;
        }
    }
    while (h->has_obj == 1 && h->obj.x <= x) {
        tally_history_cell *cell = h->obj.x == x ? cell_by_id(h, h->obj.metric_id) : NULL;
        if (cell) {
            size_t i = (size_t)(cell - h->cells);
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
        int rc = object_next(h);
        if (rc)
            return rc;
    }
    row->x = x;
    row->ncells = h->n;
    row->cells = h->cells;
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
    if (h->own_snapshot)
        tally_store_snapshot_end(h->st);
    free(h->cells);
    free(h->cur);
    free(h->json);
    free(h->key_end);
    buf_free(&h->keys);
    free(h);
}

void history_row_json(buf *out, const tally_history *h, const tally_history_row *row,
                      unsigned flags)
{
    char step[NUMFMT_MAX];
    buf_putc(out, '{');
    buf_append(out, "\"_step\":", 8);
    buf_puts(out, numfmt_int(step, row->x));
    for (size_t i = 0; i < row->ncells; i++) {
        const tally_history_cell *c = &row->cells[i];
        if (!c->kind)
            continue;
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
