/*
 * writer.c — the write side of a run file.
 *
 * Owns the SQLite connection a run writes through, its prepared statements,
 * and, per metric, the tail chunk still being filled.  Points append to the
 * tail chunk's encoder in memory; the chunk row is then inserted, or
 * rewritten in place while it holds fewer than WRITER_CHUNK_POINTS points.
 * Only the core's flusher thread calls in here.
 */
#include "store/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <unistd.h>

#include "common/procinfo.h"
#include "store/chunk.h"
#include "store/schema.h"

enum {
    ST_METRIC_NEW,
    ST_METRIC_META,
    ST_METRIC_STATS,
    ST_CHUNK_INSERT,
    ST_CHUNK_UPDATE,
    ST_OBJECT,
    ST_SUMMARY_SET,
    ST_SUMMARY_DEL,
    ST_CONFIG_SET,
    ST_CONFIG_DEL,
    ST_RULE,
    ST_LOG,
    ST_FILE,
    ST_PROGRESS,
    ST_END,
    ST_COUNT
};

static const char *const statement_sql[ST_COUNT] = {
    [ST_METRIC_NEW] = "INSERT OR IGNORE INTO metric(id, name, axis, hidden) VALUES(?,?,?,?)",
    [ST_METRIC_META] = "UPDATE metric SET is_int=?, step_metric=?, summary=?, goal=? WHERE id=?",
    [ST_METRIC_STATS] =
        "UPDATE metric SET n=?, x_min=?, x_max=?, y_min=?, y_max=?, y_last=? WHERE id=?",
    [ST_CHUNK_INSERT] = "INSERT INTO chunk(metric_id, first_x, last_x, n, y_min, y_max, "
                        "y_first, y_last, data) VALUES(?,?,?,?,?,?,?,?,?)",
    [ST_CHUNK_UPDATE] = "UPDATE chunk SET first_x=?2, last_x=?3, n=?4, y_min=?5, y_max=?6, "
                        "y_first=?7, y_last=?8, data=?9 WHERE rowid=?1",
    [ST_OBJECT] = "INSERT INTO object(metric_id, x, type, json) VALUES(?,?,?,?)",
    [ST_SUMMARY_SET] = "INSERT OR REPLACE INTO summary(key, value) VALUES(?,?)",
    [ST_SUMMARY_DEL] = "DELETE FROM summary WHERE key=?",
    [ST_CONFIG_SET] = "INSERT OR REPLACE INTO config(key, value) VALUES(?,?)",
    [ST_CONFIG_DEL] = "DELETE FROM config WHERE key=?",
    [ST_RULE] = "INSERT OR REPLACE INTO metric_rule(pattern, step_metric, summary, goal) "
                "VALUES(?,?,?,?)",
    [ST_LOG] = "INSERT INTO log(t, stream, line) VALUES(?,?,?)",
    [ST_FILE] = "INSERT OR REPLACE INTO file(path, size, mtime, data) VALUES(?,?,?,?)",
    [ST_PROGRESS] = "UPDATE run SET rows=?, last_step=?, heartbeat=?",
    [ST_END] = "UPDATE run SET state=?, exit_code=?, end_time=?, heartbeat=?",
};

/* What the writer knows of one metric: its totals and its open tail chunk. */
typedef struct writer_metric {
    int known;
    chunk_stats total;
    int64_t tail_rowid; /* 0: no open tail chunk */
    chunk_encoder tail;
    int stats_dirty;
} writer_metric;

struct store_writer {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    writer_metric *metrics; /* indexed by metric id */
    size_t nmetrics;
    buf blob;
    int in_txn;
};

static sqlite3_stmt *stmt(store_writer *w, int which)
{
    if (!w->st[which] &&
        sqlite3_prepare_v3(w->db, statement_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                           &w->st[which], NULL) != SQLITE_OK)
        return NULL;
    sqlite3_reset(w->st[which]);
    sqlite3_clear_bindings(w->st[which]);
    return w->st[which];
}

/* Runs a statement with no result rows. */
static int run(store_writer *w, sqlite3_stmt *st)
{
    if (!st)
        return schema_error(sqlite3_errcode(w->db));
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? TALLY_OK : schema_error(rc);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* SQLite stores NaN as NULL: header columns are hints for readers, the
 * exact values live in the blob. */
static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

static writer_metric *metric_slot(store_writer *w, int64_t id)
{
    if (id <= 0 || id > INT32_MAX)
        return NULL; /* ids count up from 1; a bigger one would overflow the table size */
    if ((size_t)id >= w->nmetrics) {
        size_t n = w->nmetrics ? w->nmetrics : 64;
        while (n <= (size_t)id)
            n *= 2;
        writer_metric *m = realloc(w->metrics, n * sizeof *m);
        if (!m)
            return NULL;
        memset(m + w->nmetrics, 0, (n - w->nmetrics) * sizeof *m);
        /* An all-zero encoder would start its chunk with y_min = y_max = 0. */
        for (size_t i = w->nmetrics; i < n; i++)
            chunk_encoder_init(&m[i].tail);
        w->metrics = m;
        w->nmetrics = n;
    }
    return &w->metrics[id];
}

static int open_db(const char *path, int flags, store_writer **out)
{
    store_writer *w = calloc(1, sizeof *w);
    if (!w)
        return TALLY_ENOMEM;
    int rc = sqlite3_open_v2(path, &w->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = schema_error(rc);
        if (rc == TALLY_ENOTFOUND)
            rc = TALLY_EACCES; /* a directory we may not create files in */
        sqlite3_close(w->db);
        free(w);
        return rc;
    }
    sqlite3_busy_timeout(w->db, 2000);
    sqlite3_extended_result_codes(w->db, 0);
    *out = w;
    return TALLY_OK;
}

static int set_pragmas(store_writer *w)
{
    /* WAL lets readers (the dashboard, sync) read while we write; NORMAL
     * sync is durable against a crash of this process, which is what a
     * training run needs; tally_finish asks for a full sync at the end. */
    int rc = sqlite3_exec(w->db,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                          "PRAGMA foreign_keys=OFF; PRAGMA wal_autocheckpoint=4096;",
                          NULL, NULL, NULL);
    return schema_error(rc);
}

static int insert_run_row(store_writer *w, const writer_run_row *r)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        w->db,
        "INSERT INTO run(id, project, name, grp, job_type, notes, tags, mode, state,"
        " start_time, heartbeat, heartbeat_ms, host, boot_id, pid, pid_start, user, os,"
        " command, cwd, version) VALUES(?,?,?,?,?,?,?,?,'running',?,?,?,?,?,?,?,?,?,?,?,?)",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return schema_error(rc);
    int i = 1;
    bind_text(st, i++, r->id);
    bind_text(st, i++, r->project);
    bind_text(st, i++, r->name);
    bind_text(st, i++, r->group);
    bind_text(st, i++, r->job_type);
    bind_text(st, i++, r->notes);
    bind_text(st, i++, r->tags_json ? r->tags_json : "[]");
    bind_text(st, i++, r->mode ? r->mode : "offline");
    sqlite3_bind_double(st, i++, r->start_time);
    sqlite3_bind_double(st, i++, r->start_time);
    sqlite3_bind_int(st, i++, r->heartbeat_ms);
    bind_text(st, i++, r->host);
    bind_text(st, i++, r->boot_id);
    sqlite3_bind_int64(st, i++, r->pid);
    sqlite3_bind_int64(st, i++, r->pid_start);
    bind_text(st, i++, r->user);
    bind_text(st, i++, r->os);
    bind_text(st, i++, r->command_json);
    bind_text(st, i++, r->cwd);
    bind_text(st, i++, r->version);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TALLY_OK : schema_error(rc);
}

int writer_create(const char *path, const writer_run_row *row, store_writer **out)
{
    /* O_EXCL: a new run never writes into someone else's file. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? TALLY_EBUSY
               : errno == ENOSPC || errno == EDQUOT ? TALLY_ENOSPC
               : errno == EACCES || errno == EPERM || errno == EROFS ? TALLY_EACCES
                                                                    : TALLY_EIO;
    close(fd);
    store_writer *w;
    int rc = open_db(path, SQLITE_OPEN_READWRITE, &w);
    if (rc) {
        unlink(path);
        return rc;
    }
    rc = set_pragmas(w);
    if (!rc)
        rc = schema_create(w->db);
    if (!rc)
        rc = insert_run_row(w, row);
    if (rc) {
        writer_close(w);
        unlink(path); /* a half-made file would read as a corrupt run */
        return rc;
    }
    *out = w;
    return TALLY_OK;
}

static int load_metrics(store_writer *w, writer_metric_row **out, size_t *nout)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        w->db, "SELECT id, name, axis, is_int, n, x_min, x_max, y_min, y_max, y_last FROM metric",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return schema_error(rc);
    writer_metric_row *rows = NULL;
    size_t n = 0, cap = 0;
    int err = TALLY_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        writer_metric *m = metric_slot(w, id);
        if (!m) {
            err = id <= 0 || id > INT32_MAX ? TALLY_ECORRUPT : TALLY_ENOMEM;
            break;
        }
        m->known = 1;
        m->total.n = sqlite3_column_int64(st, 4);
        m->total.first_x = sqlite3_column_int64(st, 5);
        m->total.last_x = sqlite3_column_int64(st, 6);
        m->total.y_min = sqlite3_column_type(st, 7) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 7);
        m->total.y_max = sqlite3_column_type(st, 8) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 8);
        m->total.y_last = sqlite3_column_type(st, 9) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 9);
        if (!out)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            writer_metric_row *r = realloc(rows, cap * sizeof *r);
            if (!r) {
                err = TALLY_ENOMEM;
                break;
            }
            rows = r;
        }
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *axis = (const char *)sqlite3_column_text(st, 2);
        rows[n].id = id;
        rows[n].name = strdup(name ? name : "");
        rows[n].axis = axis && strcmp(axis, "time") == 0 ? TALLY_AXIS_TIME : TALLY_AXIS_STEP;
        rows[n].is_int = sqlite3_column_int(st, 3);
        if (!rows[n].name) {
            err = TALLY_ENOMEM;
            break;
        }
        n++;
    }
    if (!err && rc != SQLITE_DONE)
        err = schema_error(rc);
    sqlite3_finalize(st);
    if (err) {
        writer_metric_rows_free(rows, n);
        return err;
    }
    if (out) {
        *out = rows;
        *nout = n;
    }
    return TALLY_OK;
}

int writer_rules(store_writer *w, writer_rule_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db, "SELECT pattern, step_metric, summary, goal FROM metric_rule",
                           -1, &st, NULL) != SQLITE_OK)
        return schema_error(sqlite3_errcode(w->db));
    int rc = TALLY_OK, src;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *pattern = (const char *)sqlite3_column_text(st, 0);
        if (pattern)
            rc = fn(ctx, pattern, (const char *)sqlite3_column_text(st, 1),
                    (unsigned)sqlite3_column_int(st, 2), sqlite3_column_int(st, 3));
    }
    if (!rc && src != SQLITE_DONE)
        rc = schema_error(src);
    sqlite3_finalize(st);
    return rc;
}

void writer_metric_rows_free(writer_metric_row *metrics, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(metrics[i].name);
    free(metrics);
}

int writer_resume(const char *path, const writer_run_row *row, store_writer **out,
                  int64_t *rows, int64_t *last_step, double *start_time,
                  writer_metric_row **metrics, size_t *nmetrics)
{
    store_writer *w;
    int version;
    *metrics = NULL;
    *nmetrics = 0;
    int rc = open_db(path, SQLITE_OPEN_READWRITE, &w);
    if (rc)
        return rc;
    rc = schema_check(w->db, &version);
    if (!rc && version != TALLY_SCHEMA_VERSION)
        rc = TALLY_EVERSION; /* older files are read, never appended to */
    if (!rc)
        rc = set_pragmas(w);
    sqlite3_stmt *st = NULL;
    if (!rc && sqlite3_prepare_v2(w->db,
                                  "SELECT rows, last_step, start_time, state, host, boot_id, pid,"
                                  " pid_start FROM run",
                                  -1, &st, NULL) != SQLITE_OK)
        rc = TALLY_ECORRUPT;
    if (!rc) {
        if (sqlite3_step(st) != SQLITE_ROW) {
            rc = TALLY_ECORRUPT;
        } else {
            *rows = sqlite3_column_int64(st, 0);
            *last_step = sqlite3_column_int64(st, 1);
            *start_time = sqlite3_column_double(st, 2);
            /* The resumed run counts on from these: a damaged row must not
             * overflow the next step or the runtime. */
            if (*rows < 0 || *last_step < -1 || *last_step == INT64_MAX ||
                !(*start_time >= 0 && *start_time < 1e11))
                rc = TALLY_ECORRUPT;
            const char *state = (const char *)sqlite3_column_text(st, 3);
            if (!rc && state && strcmp(state, "running") == 0 &&
                procinfo_writer_alive((const char *)sqlite3_column_text(st, 4),
                                      (const char *)sqlite3_column_text(st, 5),
                                      sqlite3_column_int64(st, 6),
                                      sqlite3_column_int64(st, 7)) == 1)
                rc = TALLY_EBUSY;
        }
    }
    sqlite3_finalize(st);
    if (!rc)
        rc = load_metrics(w, metrics, nmetrics);
    if (!rc) {
        /* The run row now names this process as its writer. */
        rc = sqlite3_prepare_v2(w->db,
                                "UPDATE run SET state='running', exit_code=NULL, end_time=NULL,"
                                " heartbeat=?, heartbeat_ms=?, host=?, boot_id=?, pid=?,"
                                " pid_start=?, mode=?",
                                -1, &st, NULL) == SQLITE_OK
                 ? TALLY_OK
                 : TALLY_ECORRUPT;
        if (!rc) {
            sqlite3_bind_double(st, 1, row->start_time);
            sqlite3_bind_int(st, 2, row->heartbeat_ms);
            bind_text(st, 3, row->host);
            bind_text(st, 4, row->boot_id);
            sqlite3_bind_int64(st, 5, row->pid);
            sqlite3_bind_int64(st, 6, row->pid_start);
            bind_text(st, 7, row->mode ? row->mode : "offline");
            rc = sqlite3_step(st) == SQLITE_DONE ? TALLY_OK : schema_error(sqlite3_errcode(w->db));
            sqlite3_finalize(st);
        }
        if (rc && *metrics) {
            writer_metric_rows_free(*metrics, *nmetrics);
            *metrics = NULL;
        }
    }
    if (rc) {
        writer_close(w);
        return rc;
    }
    *out = w;
    return TALLY_OK;
}

static void forget_tails(store_writer *w)
{
    for (size_t i = 0; i < w->nmetrics; i++) {
        chunk_encoder_free(&w->metrics[i].tail);
        w->metrics[i].tail_rowid = 0;
    }
}

void writer_close(store_writer *w)
{
    if (!w)
        return;
    if (w->in_txn)
        writer_rollback(w);
    forget_tails(w);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(w->st[i]);
    /* Fold the WAL into the file and, when no reader has it open, go back
     * to a rollback journal: a finished run is then one file to copy.  An
     * open dashboard must not make tally_finish() wait: no busy retries. */
    sqlite3_busy_timeout(w->db, 0);
    sqlite3_exec(w->db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;", NULL,
                 NULL, NULL);
    sqlite3_close(w->db);
    free(w->metrics);
    buf_free(&w->blob);
    free(w);
}

int writer_begin(store_writer *w)
{
    int rc = sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return schema_error(rc);
    w->in_txn = 1;
    return TALLY_OK;
}

static int write_stats(store_writer *w)
{
    for (size_t id = 1; id < w->nmetrics; id++) {
        writer_metric *m = &w->metrics[id];
        if (!m->stats_dirty)
            continue;
        sqlite3_stmt *st = stmt(w, ST_METRIC_STATS);
        if (st) {
            sqlite3_bind_int64(st, 1, m->total.n);
            sqlite3_bind_int64(st, 2, m->total.first_x);
            sqlite3_bind_int64(st, 3, m->total.last_x);
            bind_real(st, 4, m->total.y_min);
            bind_real(st, 5, m->total.y_max);
            bind_real(st, 6, m->total.y_last);
            sqlite3_bind_int64(st, 7, (int64_t)id);
        }
        int rc = run(w, st);
        if (rc)
            return rc;
        m->stats_dirty = 0;
    }
    return TALLY_OK;
}

int writer_commit(store_writer *w)
{
    int rc = write_stats(w);
    if (!rc) {
        int src = sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL);
        rc = schema_error(src);
    }
    if (rc) {
        writer_rollback(w);
        return rc;
    }
    w->in_txn = 0;
    return TALLY_OK;
}

void writer_rollback(store_writer *w)
{
    sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    w->in_txn = 0;
    forget_tails(w);
    /* Totals in memory may include points the rollback just undid. */
    load_metrics(w, NULL, NULL);
    for (size_t i = 0; i < w->nmetrics; i++)
        w->metrics[i].stats_dirty = 0;
}

int writer_metric_create(store_writer *w, int64_t id, const char *name, tally_axis axis,
                         int hidden)
{
    writer_metric *m = metric_slot(w, id);
    if (!m)
        return TALLY_ENOMEM;
    sqlite3_stmt *st = stmt(w, ST_METRIC_NEW);
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        bind_text(st, 2, name);
        sqlite3_bind_text(st, 3, axis == TALLY_AXIS_TIME ? "time" : "step", -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, hidden);
    }
    int rc = run(w, st);
    if (!rc && !m->known) {
        memset(&m->total, 0, sizeof m->total);
        m->total.y_min = m->total.y_max = m->total.y_last = NAN;
        m->known = 1;
    }
    return rc;
}

int writer_metric_meta(store_writer *w, int64_t id, int is_int, const char *step_metric,
                       unsigned summary, int goal)
{
    sqlite3_stmt *st = stmt(w, ST_METRIC_META);
    if (st) {
        sqlite3_bind_int(st, 1, is_int);
        bind_text(st, 2, step_metric);
        sqlite3_bind_int(st, 3, (int)summary);
        sqlite3_bind_int(st, 4, goal);
        sqlite3_bind_int64(st, 5, id);
    }
    return run(w, st);
}

/* Stores the tail chunk's current content: a new row, or the same row
 * rewritten. */
static int store_tail(store_writer *w, int64_t metric_id, writer_metric *m)
{
    if (chunk_encoder_finish(&m->tail, &w->blob) < 0)
        return TALLY_ENOMEM;
    const chunk_stats *s = &m->tail.stats;
    sqlite3_stmt *st = stmt(w, m->tail_rowid ? ST_CHUNK_UPDATE : ST_CHUNK_INSERT);
    if (st) {
        if (m->tail_rowid)
            sqlite3_bind_int64(st, 1, m->tail_rowid);
        else
            sqlite3_bind_int64(st, 1, metric_id);
        sqlite3_bind_int64(st, 2, s->first_x);
        sqlite3_bind_int64(st, 3, s->last_x);
        sqlite3_bind_int64(st, 4, s->n);
        bind_real(st, 5, s->y_min);
        bind_real(st, 6, s->y_max);
        bind_real(st, 7, s->y_first);
        bind_real(st, 8, s->y_last);
        sqlite3_bind_blob(st, 9, w->blob.data, (int)w->blob.len, SQLITE_STATIC);
    }
    int rc = run(w, st);
    if (!rc && !m->tail_rowid)
        m->tail_rowid = sqlite3_last_insert_rowid(w->db);
    return rc;
}

static void total_add(chunk_stats *t, int64_t x, double y)
{
    if (t->n == 0)
        t->first_x = x;
    t->last_x = x;
    t->y_last = y;
    t->n++;
    if (!isnan(y)) {
        if (isnan(t->y_min) || y < t->y_min)
            t->y_min = y;
        if (isnan(t->y_max) || y > t->y_max)
            t->y_max = y;
    }
}

int writer_points(store_writer *w, int64_t metric_id, const int64_t *x, const double *y,
                  size_t n)
{
    writer_metric *m = metric_slot(w, metric_id);
    if (!m || !m->known)
        return m ? TALLY_ENOTFOUND : TALLY_ENOMEM;
    size_t i = 0;
    while (i < n) {
        if (m->tail.stats.n >= WRITER_CHUNK_POINTS) {
            chunk_encoder_free(&m->tail);
            m->tail_rowid = 0;
        }
        while (i < n && m->tail.stats.n < WRITER_CHUNK_POINTS) {
            if (chunk_encoder_add(&m->tail, x[i], y[i]) < 0)
                return TALLY_ENOMEM;
            total_add(&m->total, x[i], y[i]);
            i++;
        }
        int rc = store_tail(w, metric_id, m);
        if (rc)
            return rc;
    }
    m->stats_dirty = 1;
    return TALLY_OK;
}

int writer_object(store_writer *w, int64_t metric_id, int64_t x, const char *type,
                  const char *json)
{
    sqlite3_stmt *st = stmt(w, ST_OBJECT);
    if (st) {
        sqlite3_bind_int64(st, 1, metric_id);
        sqlite3_bind_int64(st, 2, x);
        bind_text(st, 3, type);
        bind_text(st, 4, json);
    }
    return run(w, st);
}

static int upsert(store_writer *w, int set, int del, const char *key, const char *json)
{
    sqlite3_stmt *st = stmt(w, json ? set : del);
    if (st) {
        bind_text(st, 1, key);
        if (json)
            bind_text(st, 2, json);
    }
    return run(w, st);
}

int writer_summary(store_writer *w, const char *key, const char *json)
{
    return upsert(w, ST_SUMMARY_SET, ST_SUMMARY_DEL, key, json);
}

int writer_config(store_writer *w, const char *key, const char *json)
{
    return upsert(w, ST_CONFIG_SET, ST_CONFIG_DEL, key, json);
}

int writer_rule(store_writer *w, const char *pattern, const char *step_metric,
                unsigned summary, int goal)
{
    sqlite3_stmt *st = stmt(w, ST_RULE);
    if (st) {
        bind_text(st, 1, pattern);
        bind_text(st, 2, step_metric);
        sqlite3_bind_int(st, 3, (int)summary);
        sqlite3_bind_int(st, 4, goal);
    }
    return run(w, st);
}

int writer_log(store_writer *w, double t, int stream, const char *line, size_t len)
{
    sqlite3_stmt *st = stmt(w, ST_LOG);
    if (st) {
        sqlite3_bind_double(st, 1, t);
        sqlite3_bind_int(st, 2, stream);
        sqlite3_bind_text(st, 3, line, (int)len, SQLITE_TRANSIENT);
    }
    return run(w, st);
}

int writer_file(store_writer *w, const char *name, const void *data, size_t size, double mtime)
{
    sqlite3_stmt *st = stmt(w, ST_FILE);
    if (st) {
        bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, (int64_t)size);
        sqlite3_bind_double(st, 3, mtime);
        sqlite3_bind_blob64(st, 4, size ? data : "", size, SQLITE_STATIC);
    }
    return run(w, st);
}

int writer_run_text(store_writer *w, const char *column, const char *value)
{
    static const char *const allowed[] = {"name", "grp", "job_type", "notes", "tags", "git",
                                          "user", "os", "command", "cwd", "mode"};
    int ok = 0;
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
        ok |= strcmp(column, allowed[i]) == 0;
    if (!ok)
        return TALLY_EINVAL;
    char sql[64];
    sqlite3_snprintf(sizeof sql, sql, "UPDATE run SET %s=?", column);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
        return schema_error(sqlite3_errcode(w->db));
    bind_text(st, 1, value);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? TALLY_OK : schema_error(rc);
}

int writer_progress(store_writer *w, int64_t rows, int64_t last_step, double heartbeat)
{
    sqlite3_stmt *st = stmt(w, ST_PROGRESS);
    if (st) {
        sqlite3_bind_int64(st, 1, rows);
        sqlite3_bind_int64(st, 2, last_step);
        sqlite3_bind_double(st, 3, heartbeat);
    }
    return run(w, st);
}

int writer_end(store_writer *w, const char *state, int exit_code, double end_time)
{
    sqlite3_stmt *st = stmt(w, ST_END);
    if (st) {
        bind_text(st, 1, state);
        sqlite3_bind_int(st, 2, exit_code);
        sqlite3_bind_double(st, 3, end_time);
        sqlite3_bind_double(st, 4, end_time);
    }
    return run(w, st);
}

void writer_set_durable(store_writer *w)
{
    sqlite3_exec(w->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
}
