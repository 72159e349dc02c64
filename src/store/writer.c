/*
 * writer.c — the write side of a run file.
 *
 * Owns the SQLite connection a run writes through, its prepared statements,
 * and, per metric, the tail chunk still being filled.  Only the core's
 * flusher thread calls in here.
 *
 * A series is appended, never rewritten: each flush stores the points it
 * brings for a metric as one chunk row (split at WRITER_CHUNK_POINTS).  The
 * rows since a metric's tail opened are its open tail, recorded in its
 * metric row (tail_from, tail_n, tail_rows).  The tail closes when it holds
 * WRITER_CHUNK_POINTS points, when the metric has been idle for
 * WRITER_IDLE_FLUSHES commits, or at the end of the run.  Closing costs
 * nothing when the rows are big enough to keep; rows smaller than
 * WRITER_MERGE_POINTS on average (a slow metric: a few points a flush) are
 * merged into one chunk then, read back from the file, and deleted.  So
 * every point is written once, or twice for slow metrics, and the writer
 * holds no per-metric buffers between flushes.
 *
 * The file stays in WAL mode while the run lives, so readers never block
 * the writer, and every commit is followed by a passive checkpoint: the
 * .db alone holds all but the last flush, and the WAL stays small.  The
 * writer does not fsync while running (a crash of the process loses
 * nothing committed; see docs/format.md for power loss); the last commit
 * of tally_finish is durable.
 */
#include "store/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/errcode.h"
#include "common/procinfo.h"
#include "store/chunk.h"
#include "store/objbatch.h"
#include "store/schema.h"
#include "store/varint.h"

/* The WAL is checkpointed after every commit; when readers kept it from
 * starting over and it grew past this, the writer waits (briefly) for them
 * so that it can start again from the beginning. */
#define WAL_RESTART_BYTES (16 << 20)
#define WAL_RESTART_WAIT_MS 250
#define WRITER_BUSY_MS 2000

enum {
    ST_METRIC_NEW,
    ST_METRIC_META,
    ST_METRIC_LOAD,
    ST_TAIL_NEWEST,
    ST_METRIC_STATS,
    ST_CHUNK_INSERT,
    ST_CHUNK_UPDATE,
    ST_ROW_READ,
    ST_TAIL_READ,
    ST_TAIL_DELETE,
    ST_OBJECT_BATCH,
    ST_SUMMARY_SET,
    ST_SUMMARY_DEL,
    ST_CONFIG_SET,
    ST_CONFIG_DEL,
    ST_RULE,
    ST_LOG,
    ST_FILE,
    ST_PROGRESS,
    ST_END,
    ST_MEDIA_INSERT,
    ST_BLOB_INSERT,
    ST_METRIC_MEDIA,
    ST_COUNT
};

static const char *const statement_sql[ST_COUNT] = {
    [ST_METRIC_NEW] = "INSERT OR IGNORE INTO metric(id, name, axis, hidden) VALUES(?,?,?,?)",
    [ST_METRIC_META] = "UPDATE metric SET is_int=?, step_metric=?, summary=?, goal=?, hidden=? "
                       "WHERE id=?",
    [ST_METRIC_LOAD] = "SELECT n, x_min, x_max, y_min, y_max, y_last, tail_from, tail_n,"
                       " tail_rows, media FROM metric WHERE id=?",
    [ST_TAIL_NEWEST] = "SELECT rowid, length(data), n FROM chunk WHERE metric_id=?1 AND"
                       " rowid>=?2 ORDER BY first_x DESC, rowid DESC LIMIT 1",
    [ST_METRIC_STATS] = "UPDATE metric SET n=?, x_min=?, x_max=?, y_min=?, y_max=?, y_last=?,"
                        " tail_from=?, tail_n=?, tail_rows=? WHERE id=?",
    [ST_CHUNK_INSERT] = "INSERT INTO chunk(metric_id, first_x, last_x, n, y_min, y_max, "
                        "y_first, y_last, crc, blocks, data) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
    /* The same columns and parameters as ST_CHUNK_INSERT, for row ?12. */
    [ST_CHUNK_UPDATE] = "UPDATE chunk SET metric_id=?1, first_x=?2, last_x=?3, n=?4, y_min=?5,"
                        " y_max=?6, y_first=?7, y_last=?8, crc=?9, blocks=?10, data=?11"
                        " WHERE rowid=?12",
    [ST_ROW_READ] = "SELECT first_x, last_x, n, y_min, y_max, y_first, y_last, crc, data, blocks"
                    " FROM chunk WHERE rowid=?2 AND metric_id=?1",
    /* A metric's rows from tail_from on are exactly its open tail: rowids
     * only grow, and the tail's first row was the newest when it came. */
    [ST_TAIL_READ] = "SELECT first_x, last_x, n, y_min, y_max, y_first, y_last, crc, data, blocks"
                     " FROM chunk WHERE metric_id=?1 AND rowid>=?2 ORDER BY first_x, rowid",
    [ST_TAIL_DELETE] = "DELETE FROM chunk WHERE metric_id=?1 AND rowid>=?2 AND rowid<?3",
    [ST_OBJECT_BATCH] = "INSERT INTO object_batch(first_x, last_x, n, crc, data) VALUES(?,?,?,?,?)",
    [ST_SUMMARY_SET] = "INSERT OR REPLACE INTO summary(key, value) VALUES(?,?)",
    [ST_SUMMARY_DEL] = "DELETE FROM summary WHERE key=?",
    [ST_CONFIG_SET] = "INSERT OR REPLACE INTO config(key, value) VALUES(?,?)",
    [ST_CONFIG_DEL] = "DELETE FROM config WHERE key=?",
    [ST_RULE] = "INSERT OR REPLACE INTO metric_rule(pattern, step_metric, summary, goal) "
                "VALUES(?,?,?,?)",
    [ST_LOG] = "INSERT INTO log(t, stream, line) VALUES(?,?,?)",
    [ST_FILE] = "INSERT OR REPLACE INTO file(path, size, mtime, data) VALUES(?,?,?,?)",
    [ST_PROGRESS] = "UPDATE run SET rows=?, last_step=?, heartbeat=?, dropped=?",
    [ST_END] = "UPDATE run SET state=?, exit_code=?, end_time=?, heartbeat=?",
    /* OR IGNORE: one object per key and step (the core stages one), and a
     * blob once per content. */
    [ST_MEDIA_INSERT] = "INSERT OR IGNORE INTO media(metric_id, x, type, meta, crc) "
                        "VALUES(?,?,?,?,?)",
    [ST_BLOB_INSERT] = "INSERT OR IGNORE INTO blob(sha256, size, format, crc, data) "
                       "VALUES(?,?,?,?,?)",
    [ST_METRIC_MEDIA] = "UPDATE metric SET media=? WHERE id=?",
};

/* What the writer knows of one metric: its totals and its open tail, as
 * its metric row holds them.  Only metrics with an open tail or a change
 * in this transaction have one in memory: an idle metric's state is read
 * back from its row when it gets points again, so a run of a million keys
 * logged once each holds a pointer a key (metric_get). */
typedef struct writer_metric {
    chunk_stats total;
    int64_t tail_from;     /* rowid of the tail's first row; 0: no open tail */
    int64_t tail_n;        /* points in the open tail */
    int64_t grow_rowid;    /* the tail's newest row while it may grow (WRITER_GROW_BYTES); 0: none */
    uint32_t tail_rows;    /* rows in the open tail */
    uint16_t grow_bytes;   /* that row's blob size */
    unsigned stats_dirty : 1, grew : 1;
    unsigned listed : 1;   /* in w->open: every open tail is, in memory or not */
    unsigned media_marked : 1; /* metric.media holds its type (this transaction or before) */
} writer_metric;

struct store_writer {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    writer_metric **metrics; /* by metric id: NULL (no such metric), &idle, or its state */
    size_t nmetrics;
    writer_metric idle;     /* the mark of a metric whose state is only in its row */
    struct open_tail {
        uint32_t id;   /* ids are at most INT32_MAX (metric_ref) */
        uint32_t idle; /* commits since the tail last grew */
    } *open;               /* the metrics with an open tail */
    size_t nopen, capopen;
    chunk_encoder rows;     /* scratch: the points of the row being built */
    objbatch_encoder objects; /* the non-scalar values of this transaction */
    buf blob, blocks;       /* scratch: a row's data and block summaries */
    int in_txn;
    int reload; /* a rollback left the totals unknown: re-read them first */
    int64_t dropped_before; /* values dropped by the run's earlier writers (resume) */
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

/* The table slot of metric id, grown to hold it; NULL when out of memory
 * or out of range. */
static writer_metric **metric_ref(store_writer *w, int64_t id)
{
    if (id <= 0 || id > INT32_MAX)
        return NULL; /* ids count up from 1; a bigger one would overflow the table size */
    if ((size_t)id >= w->nmetrics) {
        size_t n = w->nmetrics ? w->nmetrics : 64;
        while (n <= (size_t)id)
            n *= 2;
        writer_metric **m = realloc(w->metrics, n * sizeof *m);
        if (!m)
            return NULL;
        memset(m + w->nmetrics, 0, (n - w->nmetrics) * sizeof *m);
        w->metrics = m;
        w->nmetrics = n;
    }
    return &w->metrics[id];
}

static int is_state(const store_writer *w, const writer_metric *m)
{
    return m && m != &w->idle;
}

/* Drops every metric's state (a rollback, the close). */
static void metrics_forget(store_writer *w)
{
    for (size_t i = 0; i < w->nmetrics; i++) {
        if (is_state(w, w->metrics[i]))
            free(w->metrics[i]);
        w->metrics[i] = NULL;
    }
}

/* Fills m from a metric row's columns n, x_min, x_max, y_min, y_max, y_last,
 * tail_from, tail_n, tail_rows, media, from column `col` of st. */
static int metric_from_row(writer_metric *m, sqlite3_stmt *st, int col)
{
    memset(m, 0, sizeof *m);
    m->total.n = sqlite3_column_int64(st, col);
    m->total.first_x = sqlite3_column_int64(st, col + 1);
    m->total.last_x = sqlite3_column_int64(st, col + 2);
    double *reals[] = {&m->total.y_min, &m->total.y_max, &m->total.y_last};
    for (int i = 0; i < 3; i++)
        *reals[i] = sqlite3_column_type(st, col + 3 + i) == SQLITE_NULL
                        ? NAN
                        : sqlite3_column_double(st, col + 3 + i);
    m->total.y_first = NAN;
    m->tail_from = sqlite3_column_int64(st, col + 6);
    m->tail_n = sqlite3_column_int64(st, col + 7);
    m->tail_rows = (uint32_t)sqlite3_column_int64(st, col + 8);
    m->media_marked = sqlite3_column_int(st, col + 9) != 0;
    return m->tail_from < 0 || m->tail_n < 0 ? TALLY_ECORRUPT : TALLY_OK;
}

/* The open tail's newest row, as the growing row when it is still small. */
static int find_grow_row(store_writer *w, int64_t id, writer_metric *m)
{
    sqlite3_stmt *st = stmt(w, ST_TAIL_NEWEST);
    if (!st)
        return schema_error(sqlite3_errcode(w->db));
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, m->tail_from);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW && sqlite3_column_int64(st, 2) < WRITER_MERGE_POINTS &&
        sqlite3_column_int64(st, 1) < WRITER_GROW_BYTES) {
        m->grow_rowid = sqlite3_column_int64(st, 0);
        m->grow_bytes = (uint16_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? TALLY_OK : schema_error(src);
}

/* The state of metric id, read back from its row when it was idle; NULL
 * with *rc set when there is no such metric or no memory. */
static writer_metric *metric_get(store_writer *w, int64_t id, int *rc)
{
    writer_metric **ref = metric_ref(w, id);
    *rc = !ref ? TALLY_ENOMEM : !*ref ? TALLY_ENOTFOUND : TALLY_OK;
    if (*rc || *ref != &w->idle)
        return *rc ? NULL : *ref;
    writer_metric *m = malloc(sizeof *m);
    sqlite3_stmt *st = m ? stmt(w, ST_METRIC_LOAD) : NULL;
    if (!st) {
        free(m);
        *rc = m ? schema_error(sqlite3_errcode(w->db)) : TALLY_ENOMEM;
        return NULL;
    }
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st);
    *rc = src == SQLITE_ROW ? metric_from_row(m, st, 0)
          : src == SQLITE_DONE ? TALLY_ENOTFOUND
                               : schema_error(src);
    sqlite3_reset(st);
    if (!*rc && m->tail_from) {
        m->listed = 1;
        *rc = find_grow_row(w, id, m);
    }
    if (*rc) {
        free(m);
        return NULL;
    }
    *ref = m;
    return m;
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
    sqlite3_busy_timeout(w->db, WRITER_BUSY_MS);
    sqlite3_extended_result_codes(w->db, 0);
    *out = w;
    return TALLY_OK;
}

static int set_pragmas(store_writer *w)
{
    /* WAL lets readers (the dashboard, sync) read while we write.  No fsync
     * while running: a committed flush survives a crash of this process
     * without one, and fsyncs would make the kernel write every page a
     * flush touches again (the hot pages of a run are rewritten in the page
     * cache many times between write-backs, and counted once).  Checkpoints
     * are ours (writer_commit); tally_finish asks for a full sync. */
    char sql[256];
    sqlite3_snprintf(sizeof sql, sql,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                     "PRAGMA foreign_keys=OFF; PRAGMA wal_autocheckpoint=0;"
                     "PRAGMA journal_size_limit=%d;",
                     WAL_RESTART_BYTES);
    return schema_error(sqlite3_exec(w->db, sql, NULL, NULL, NULL));
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
    /* A new run never writes into someone else's file: the path is new,
     * or the empty file the caller's claim (runlock_create) just made. */
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return errcode_from_errno(errno);
    struct stat sb;
    int used = fstat(fd, &sb) != 0 || sb.st_size != 0;
    close(fd); /* no SQLite connection has the file yet: no lock to lose */
    if (used)
        return TALLY_EBUSY;
    store_writer *w;
    int rc = open_db(path, SQLITE_OPEN_READWRITE, &w);
    if (rc) {
        unlink(path);
        return rc;
    }
    /* The tables are made with a rollback journal kept in memory, which
     * writes each new page once; in WAL mode they would be written twice
     * (WAL, then the checkpoint), which for a small run is most of what it
     * ever writes, and a journal file would cost its pages too.  A failure
     * here unlinks the file, so it needs no journal on disk. */
    rc = schema_error(sqlite3_exec(w->db, "PRAGMA synchronous=OFF; PRAGMA journal_mode=MEMORY",
                                   NULL, NULL, NULL));
    if (!rc)
        rc = schema_create(w->db);
    /* The run row comes in the first WAL transaction, which makes the -wal:
     * readers see a run only once its WAL is there (reader.c relies on it). */
    if (!rc)
        rc = set_pragmas(w);
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

/* Remembers that metric id has an open tail (checked at each commit). */
static int open_push(store_writer *w, int64_t id)
{
    if (w->nopen == w->capopen) {
        size_t cap = w->capopen ? w->capopen * 2 : 64;
        struct open_tail *v = realloc(w->open, cap * sizeof *v);
        if (!v)
            return TALLY_ENOMEM;
        w->open = v;
        w->capopen = cap;
    }
    w->open[w->nopen++] = (struct open_tail){(uint32_t)id, 0};
    return TALLY_OK;
}

/* Reads every metric's totals and open tail from the file (open, resume,
 * after a rollback); with out, also the rows for the core. */
static int load_metrics(store_writer *w, writer_metric_row **out, size_t *nout)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(w->db,
                                "SELECT id, name, axis, is_int, n, x_min, x_max, y_min, y_max,"
                                " y_last, tail_from, tail_n, tail_rows, media FROM metric",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return schema_error(rc);
    w->nopen = 0;
    writer_metric_row *rows = NULL;
    size_t n = 0, cap = 0;
    int err = TALLY_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        writer_metric **ref = metric_ref(w, id);
        if (!ref) {
            err = id <= 0 || id > INT32_MAX ? TALLY_ECORRUPT : TALLY_ENOMEM;
            break;
        }
        int media = sqlite3_column_int(st, 13);
        if (is_state(w, *ref))
            free(*ref);
        *ref = &w->idle; /* read back from its row when it is written to */
        int64_t tail_from = sqlite3_column_int64(st, 10);
        if (tail_from < 0) {
            err = TALLY_ECORRUPT;
            break;
        }
        if (tail_from > 0 && (err = open_push(w, id)) != TALLY_OK)
            break;
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
        rows[n].media = media;
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

/* Files made before the run row counted dropped values get the column
 * (readers of those files treat it as 0 where it is missing). */
static int add_dropped_column(store_writer *w)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(w->db, "SELECT dropped FROM run", -1, &st, NULL);
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        return TALLY_OK;
    return schema_error(sqlite3_exec(
        w->db, "ALTER TABLE run ADD COLUMN dropped INTEGER NOT NULL DEFAULT 0", NULL, NULL, NULL));
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
    if (!rc && version != TALLY_SCHEMA_VERSION && version != 3)
        rc = TALLY_EVERSION; /* older files are read, never appended to */
    if (!rc)
        rc = set_pragmas(w);
    if (!rc)
        rc = add_dropped_column(w);
    sqlite3_stmt *st = NULL;
    if (!rc && sqlite3_prepare_v2(w->db,
                                  "SELECT rows, last_step, start_time, state, host, boot_id, pid,"
                                  " pid_start, dropped FROM run",
                                  -1, &st, NULL) != SQLITE_OK)
        rc = TALLY_ECORRUPT;
    if (!rc) {
        if (sqlite3_step(st) != SQLITE_ROW) {
            rc = TALLY_ECORRUPT;
        } else {
            *rows = sqlite3_column_int64(st, 0);
            *last_step = sqlite3_column_int64(st, 1);
            *start_time = sqlite3_column_double(st, 2);
            w->dropped_before = sqlite3_column_int64(st, 8);
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
    /* Only now that no other writer holds it: a version 3 file gains the
     * media tables (one transaction, see schema_migrate). */
    if (!rc)
        rc = schema_migrate(w->db, &version);
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

void writer_close(store_writer *w)
{
    if (!w)
        return;
    if (w->in_txn)
        writer_rollback(w);
    free(w->open);
    chunk_encoder_free(&w->rows);
    objbatch_encoder_free(&w->objects);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(w->st[i]);
    /* Fold the WAL into the file and, when no reader has it open, go back
     * to a rollback journal: a finished run is then one file to copy.  An
     * open dashboard must not make tally_finish() wait: no busy retries. */
    sqlite3_busy_timeout(w->db, 0);
    sqlite3_exec(w->db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;", NULL,
                 NULL, NULL);
    sqlite3_close(w->db);
    metrics_forget(w);
    free(w->metrics);
    buf_free(&w->blob);
    buf_free(&w->blocks);
    free(w);
}

int writer_begin(store_writer *w)
{
    int rc = sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return schema_error(rc);
    w->in_txn = 1;
    if (w->reload) {
        rc = load_metrics(w, NULL, NULL);
        if (rc) {
            writer_rollback(w);
            return rc;
        }
        w->reload = 0;
    }
    return TALLY_OK;
}

static int write_stats(store_writer *w)
{
    for (size_t id = 1; id < w->nmetrics; id++) {
        writer_metric *m = w->metrics[id];
        if (!is_state(w, m))
            continue;
        if (!m->stats_dirty) { /* nothing new since the last commit: its row holds it all */
            free(m);
            w->metrics[id] = &w->idle;
            continue;
        }
        sqlite3_stmt *st = stmt(w, ST_METRIC_STATS);
        if (st) {
            sqlite3_bind_int64(st, 1, m->total.n);
            sqlite3_bind_int64(st, 2, m->total.first_x);
            sqlite3_bind_int64(st, 3, m->total.last_x);
            bind_real(st, 4, m->total.y_min);
            bind_real(st, 5, m->total.y_max);
            bind_real(st, 6, m->total.y_last);
            if (m->tail_from)
                sqlite3_bind_int64(st, 7, m->tail_from);
            else
                sqlite3_bind_null(st, 7);
            sqlite3_bind_int64(st, 8, m->tail_n);
            sqlite3_bind_int64(st, 9, m->tail_rows);
            sqlite3_bind_int64(st, 10, (int64_t)id);
        }
        int rc = run(w, st);
        if (rc)
            return rc;
        m->stats_dirty = 0;
    }
    return TALLY_OK;
}

static int close_tail(store_writer *w, int64_t metric_id, writer_metric *m);
static int write_objects(store_writer *w);

/* Closes the tails that stopped growing, so an idle metric's last points
 * end up in one compact row and the commit loop forgets it. */
static int close_idle(store_writer *w)
{
    size_t keep = 0;
    int rc = TALLY_OK;
    for (size_t i = 0; i < w->nopen; i++) {
        struct open_tail *t = &w->open[i];
        writer_metric *m = w->metrics[t->id];
        if (is_state(w, m) && !m->tail_from) {
            m->listed = 0; /* closed (full) since the last commit */
            continue;
        }
        if (!rc) {
            int grew = is_state(w, m) && m->grew;
            t->idle = grew ? 0 : t->idle + 1;
            if (grew)
                m->grew = 0;
            if (t->idle >= WRITER_IDLE_FLUSHES && (m = metric_get(w, t->id, &rc)) != NULL &&
                (rc = close_tail(w, t->id, m)) == TALLY_OK) {
                m->listed = 0;
                continue;
            }
        }
        w->open[keep++] = *t;
    }
    w->nopen = keep;
    return rc;
}

/* Folds the WAL into the file after each commit, so the .db alone is
 * nearly current and the WAL stays small.  Passive: it never waits for a
 * reader.  When readers kept the WAL from starting over and it grew, wait
 * a little for them, once. */
static void checkpoint(store_writer *w)
{
    int frames = 0, done = 0;
    if (sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &done) !=
        SQLITE_OK)
        return;
    int page = 4096;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(w->db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        page = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if ((int64_t)frames * page < WAL_RESTART_BYTES)
        return;
    sqlite3_busy_timeout(w->db, WAL_RESTART_WAIT_MS);
    sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
    sqlite3_busy_timeout(w->db, WRITER_BUSY_MS);
}

int writer_commit(store_writer *w)
{
    int rc = write_objects(w);
    if (!rc)
        rc = close_idle(w);
    if (!rc)
        rc = write_stats(w);
    if (!rc) {
        int src = sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL);
        rc = schema_error(src);
    }
    if (rc) {
        writer_rollback(w);
        return rc;
    }
    w->in_txn = 0;
    checkpoint(w);
    return TALLY_OK;
}

void writer_rollback(store_writer *w)
{
    sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    w->in_txn = 0;
    /* Tails and totals in memory may include rows the rollback just undid,
     * and metrics it just uncreated: forget every one, then read back what
     * the file holds (again at the next writer_begin if that fails). */
    objbatch_encoder_free(&w->objects);
    metrics_forget(w);
    w->reload = load_metrics(w, NULL, NULL) != TALLY_OK;
}

int writer_metric_create(store_writer *w, int64_t id, const char *name, tally_axis axis,
                         int hidden)
{
    writer_metric **ref = metric_ref(w, id);
    if (!ref)
        return TALLY_ENOMEM;
    sqlite3_stmt *st = stmt(w, ST_METRIC_NEW);
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        bind_text(st, 2, name);
        sqlite3_bind_text(st, 3, axis == TALLY_AXIS_TIME ? "time" : "step", -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, hidden);
    }
    int rc = run(w, st);
    if (!rc && !*ref) {
        writer_metric *m = calloc(1, sizeof *m);
        if (!m)
            return TALLY_ENOMEM;
        m->total.y_min = m->total.y_max = m->total.y_last = m->total.y_first = NAN;
        *ref = m;
    }
    return rc;
}

int writer_metric_meta(store_writer *w, int64_t id, int is_int, const char *step_metric,
                       unsigned summary, int goal, int hidden)
{
    sqlite3_stmt *st = stmt(w, ST_METRIC_META);
    if (st) {
        sqlite3_bind_int(st, 1, is_int);
        bind_text(st, 2, step_metric);
        sqlite3_bind_int(st, 3, (int)summary);
        sqlite3_bind_int(st, 4, goal);
        sqlite3_bind_int(st, 5, hidden);
        sqlite3_bind_int64(st, 6, id);
    }
    return run(w, st);
}

/* Stores the points of enc as a chunk row of metric_id: a new one, or row
 * `rowid` rewritten when rowid > 0. */
static int store_chunk(store_writer *w, int64_t metric_id, const chunk_encoder *enc, int64_t rowid)
{
    if (chunk_encoder_finish(enc, &w->blob) < 0 || chunk_encoder_blocks(enc, &w->blocks) < 0)
        return TALLY_ENOMEM;
    const chunk_stats *s = &enc->stats;
    sqlite3_stmt *st = stmt(w, rowid > 0 ? ST_CHUNK_UPDATE : ST_CHUNK_INSERT);
    if (st) {
        sqlite3_bind_int64(st, 1, metric_id);
        sqlite3_bind_int64(st, 2, s->first_x);
        sqlite3_bind_int64(st, 3, s->last_x);
        sqlite3_bind_int64(st, 4, s->n);
        bind_real(st, 5, s->y_min);
        bind_real(st, 6, s->y_max);
        bind_real(st, 7, s->y_first);
        bind_real(st, 8, s->y_last);
        sqlite3_bind_int64(st, 9, chunk_checksum(metric_id, s, w->blob.data, w->blob.len,
                                                 w->blocks.data, w->blocks.len));
        if (w->blocks.len > 0) /* else NULL: a small chunk is decoded whole */
            sqlite3_bind_blob(st, 10, w->blocks.data, (int)w->blocks.len, SQLITE_STATIC);
        sqlite3_bind_blob(st, 11, w->blob.data, (int)w->blob.len, SQLITE_STATIC);
        if (rowid > 0)
            sqlite3_bind_int64(st, 12, rowid);
    }
    return run(w, st);
}

static int insert_chunk(store_writer *w, int64_t metric_id, const chunk_encoder *enc)
{
    return store_chunk(w, metric_id, enc, 0);
}

/* Appends the points of the row st stands on (the columns of ST_TAIL_READ)
 * to w->rows; 1 when it fails its checksum or does not decode. */
static int decode_row(store_writer *w, sqlite3_stmt *st, int64_t metric_id)
{
    chunk_stats h = {.first_x = sqlite3_column_int64(st, 0),
                     .last_x = sqlite3_column_int64(st, 1),
                     .n = sqlite3_column_int64(st, 2)};
    double *reals[] = {&h.y_min, &h.y_max, &h.y_first, &h.y_last};
    for (int i = 0; i < 4; i++)
        *reals[i] =
            sqlite3_column_type(st, 3 + i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3 + i);
    const void *blob = sqlite3_column_blob(st, 8);
    size_t len = (size_t)sqlite3_column_bytes(st, 8);
    const void *sums = sqlite3_column_blob(st, 9);
    size_t nsums = (size_t)sqlite3_column_bytes(st, 9);
    chunk_decoder dec;
    if ((uint32_t)sqlite3_column_int64(st, 7) !=
            chunk_checksum(metric_id, &h, blob, len, sums, nsums) ||
        chunk_decoder_init(&dec, blob, len) < 0)
        return 1;
    int64_t x;
    double y;
    int drc;
    while ((drc = chunk_decoder_next(&dec, &x, &y)) == 1)
        if (chunk_encoder_add(&w->rows, x, y) < 0)
            return TALLY_ENOMEM;
    return drc < 0 ? 1 : TALLY_OK;
}

/* A query for chunk rows of metric_id (?1) from rowid ?2, with w->rows
 * emptied to take their points; NULL on a SQLite error. */
static sqlite3_stmt *rows_query(store_writer *w, int which, int64_t metric_id, int64_t rowid)
{
    sqlite3_stmt *st = stmt(w, which);
    if (st) {
        sqlite3_bind_int64(st, 1, metric_id);
        sqlite3_bind_int64(st, 2, rowid);
    }
    chunk_encoder_free(&w->rows);
    return st;
}

/* Reads the open tail's rows of metric_id back into w->rows, in order;
 * 1 when one of them fails its checksum (the tail is then left as it is). */
static int read_tail(store_writer *w, int64_t metric_id, const writer_metric *m)
{
    sqlite3_stmt *st = rows_query(w, ST_TAIL_READ, metric_id, m->tail_from);
    if (!st)
        return schema_error(sqlite3_errcode(w->db));
    int rc = TALLY_OK, src;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW)
        rc = decode_row(w, st, metric_id);
    if (!rc && src != SQLITE_DONE)
        rc = schema_error(src);
    sqlite3_reset(st);
    return rc;
}

/*
 * Closes the metric's open tail.  Rows of WRITER_MERGE_POINTS points or
 * more on average stay as they are: closing costs nothing.  Smaller ones
 * (a slow metric) are merged into one row and deleted, in this transaction,
 * so a metric logged ten times a second does not leave a row every second.
 */
static int close_tail(store_writer *w, int64_t metric_id, writer_metric *m)
{
    if (m->tail_rows >= 2 && m->tail_n < (int64_t)m->tail_rows * WRITER_MERGE_POINTS) {
        int rc = read_tail(w, metric_id, m);
        if (rc < 0)
            return rc;
        if (rc == 0 && w->rows.stats.n == m->tail_n) {
            rc = insert_chunk(w, metric_id, &w->rows);
            sqlite3_stmt *st = rc ? NULL : stmt(w, ST_TAIL_DELETE);
            if (st) {
                sqlite3_bind_int64(st, 1, metric_id);
                sqlite3_bind_int64(st, 2, m->tail_from);
                sqlite3_bind_int64(st, 3, sqlite3_last_insert_rowid(w->db));
            }
            if (!rc)
                rc = run(w, st);
            if (rc)
                return rc;
        }
    }
    m->tail_from = m->tail_n = 0;
    m->grow_rowid = 0;
    m->tail_rows = 0;
    m->stats_dirty = 1;
    return TALLY_OK;
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

/* Stores w->rows as the next row of the metric's open tail. */
static int append_row(store_writer *w, int64_t metric_id, writer_metric *m)
{
    int rc = insert_chunk(w, metric_id, &w->rows);
    if (rc)
        return rc;
    if (!m->tail_from) {
        m->tail_from = sqlite3_last_insert_rowid(w->db);
        if (!m->listed)
            rc = open_push(w, metric_id);
        m->listed = 1;
    }
    m->tail_n += w->rows.stats.n;
    m->tail_rows++;
    /* A small row may take the next flushes' points (writer_points). */
    int small = w->rows.stats.n < WRITER_MERGE_POINTS && w->blob.len < WRITER_GROW_BYTES;
    m->grow_rowid = small ? sqlite3_last_insert_rowid(w->db) : 0;
    m->grow_bytes = small ? (uint16_t)w->blob.len : 0;
    chunk_encoder_free(&w->rows);
    if (!rc && m->tail_n >= WRITER_CHUNK_POINTS)
        rc = close_tail(w, metric_id, m);
    return rc;
}

/* Rewrites the metric's growing row with n more points (see
 * WRITER_GROW_BYTES); 1 when that row cannot be used (it failed its
 * checksum), and the points then go in a row of their own. */
static int grow_row(store_writer *w, int64_t metric_id, writer_metric *m, const int64_t *x,
                    const double *y, size_t n)
{
    sqlite3_stmt *st = rows_query(w, ST_ROW_READ, metric_id, m->grow_rowid);
    if (!st)
        return schema_error(sqlite3_errcode(w->db));
    int src = sqlite3_step(st);
    int rc = src == SQLITE_ROW ? decode_row(w, st, metric_id)
             : src == SQLITE_DONE ? 1
                                  : schema_error(src);
    sqlite3_reset(st);
    for (size_t i = 0; i < n && !rc; i++)
        if (chunk_encoder_add(&w->rows, x[i], y[i]) < 0)
            rc = TALLY_ENOMEM;
    if (!rc)
        rc = store_chunk(w, metric_id, &w->rows, m->grow_rowid);
    if (rc) {
        chunk_encoder_free(&w->rows);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        total_add(&m->total, x[i], y[i]);
    m->tail_n += (int64_t)n;
    m->grow_bytes = (uint16_t)(w->blob.len < UINT16_MAX ? w->blob.len : UINT16_MAX);
    chunk_encoder_free(&w->rows);
    if (m->tail_n >= WRITER_CHUNK_POINTS)
        return close_tail(w, metric_id, m);
    return TALLY_OK;
}

/* The points become one row, or several of WRITER_CHUNK_POINTS when there
 * are more; each goes at the end of the metric's open tail, or into its
 * newest row while that is small (grow_row). */
int writer_points(store_writer *w, int64_t metric_id, const int64_t *x, const double *y,
                  size_t n)
{
    int rc;
    writer_metric *m = metric_get(w, metric_id, &rc);
    if (!m)
        return rc;
    rc = TALLY_OK;
    /* At most 10 bytes a point (a control byte, 8 of y, 1 of x, usually). */
    if (m->grow_rowid &&
        (n >= WRITER_MERGE_POINTS || m->grow_bytes + 10 * n > WRITER_GROW_BYTES))
        m->grow_rowid = 0; /* that row stays as it is */
    if (m->grow_rowid && n > 0) {
        rc = grow_row(w, metric_id, m, x, y, n);
        if (rc != 1) {
            m->grew = 1;
            m->stats_dirty = 1;
            return rc;
        }
        m->grow_rowid = 0;
        rc = TALLY_OK;
    }
    chunk_encoder_free(&w->rows);
    for (size_t i = 0; i < n && !rc; i++) {
        if (chunk_encoder_add(&w->rows, x[i], y[i]) < 0)
            return TALLY_ENOMEM;
        total_add(&m->total, x[i], y[i]);
        if (w->rows.stats.n >= WRITER_CHUNK_POINTS)
            rc = append_row(w, metric_id, m);
    }
    if (!rc && w->rows.stats.n > 0)
        rc = append_row(w, metric_id, m);
    m->grew = 1;
    m->stats_dirty = 1;
    return rc;
}

int writer_object(store_writer *w, int64_t metric_id, int64_t x, const char *type,
                  const char *json)
{
    int code = objbatch_type_code(type);
    if (code < 0 || !json)
        return TALLY_EINVAL;
    /* Objects arrive in step order; one that goes back starts a new batch. */
    if (w->objects.n > 0 && x < w->objects.last_x) {
        int rc = write_objects(w);
        if (rc)
            return rc;
    }
    return objbatch_add(&w->objects, metric_id, x, code, json, strlen(json)) < 0 ? TALLY_ENOMEM
                                                                               : TALLY_OK;
}

/* Stores the values gathered since the last batch as one row. */
static int write_objects(store_writer *w)
{
    objbatch_encoder *e = &w->objects;
    if (e->n == 0)
        return TALLY_OK;
    buf_reset(&w->blob);
    buf_putc(&w->blob, (char)OBJBATCH_FORMAT);
    varint_put(&w->blob, (uint64_t)e->n);
    buf_append(&w->blob, e->data.data, e->data.len);
    if (w->blob.oom)
        return TALLY_ENOMEM;
    chunk_stats h = {.n = e->n, .first_x = e->first_x, .last_x = e->last_x,
                     .y_min = NAN, .y_max = NAN, .y_first = NAN, .y_last = NAN};
    sqlite3_stmt *st = stmt(w, ST_OBJECT_BATCH);
    if (st) {
        sqlite3_bind_int64(st, 1, e->first_x);
        sqlite3_bind_int64(st, 2, e->last_x);
        sqlite3_bind_int64(st, 3, e->n);
        sqlite3_bind_int64(st, 4, chunk_checksum(OBJBATCH_OWNER, &h, w->blob.data, w->blob.len,
                                                   NULL, 0));
        sqlite3_bind_blob64(st, 5, w->blob.data, w->blob.len, SQLITE_STATIC);
    }
    int rc = run(w, st);
    if (!rc)
        objbatch_encoder_free(e);
    return rc;
}

/*
 * One object: its files first (each once per sha256, whoever logged it
 * before), then its row, then the key's totals (n, x range) and its type in
 * metric.media.  The totals live in writer_metric like a series', so a
 * rollback forgets them with everything else and a retried flush counts an
 * object once.
 */
int writer_media(store_writer *w, int64_t metric_id, int64_t x, int type, const char *meta,
                 const writer_blob *files, size_t nfiles)
{
    int rc;
    writer_metric *m = metric_get(w, metric_id, &rc);
    if (!m)
        return rc;
    if (type <= 0 || !meta)
        return TALLY_EINVAL;
    rc = TALLY_OK;
    for (size_t i = 0; i < nfiles && !rc; i++) {
        const writer_blob *f = &files[i];
        sqlite3_stmt *st = stmt(w, ST_BLOB_INSERT);
        if (st) {
            bind_text(st, 1, f->sha256);
            sqlite3_bind_int64(st, 2, (int64_t)f->size);
            bind_text(st, 3, f->format);
            sqlite3_bind_int64(st, 4, (int64_t)crc32(0L, f->data, (uInt)f->size));
            sqlite3_bind_blob64(st, 5, f->size ? f->data : "", f->size, SQLITE_STATIC);
        }
        rc = run(w, st);
    }
    if (rc)
        return rc;
    size_t len = strlen(meta);
    sqlite3_stmt *st = stmt(w, ST_MEDIA_INSERT);
    if (st) {
        sqlite3_bind_int64(st, 1, metric_id);
        sqlite3_bind_int64(st, 2, x);
        sqlite3_bind_int(st, 3, type);
        sqlite3_bind_text(st, 4, meta, (int)len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (int64_t)crc32(0L, (const Bytef *)meta, (uInt)len));
    }
    rc = run(w, st);
    if (rc)
        return rc;
    if (sqlite3_changes(w->db) == 1) {
        total_add(&m->total, x, NAN);
        m->stats_dirty = 1;
    }
    if (!m->media_marked) {
        st = stmt(w, ST_METRIC_MEDIA);
        if (st) {
            sqlite3_bind_int(st, 1, type);
            sqlite3_bind_int64(st, 2, metric_id);
        }
        rc = run(w, st);
        if (!rc)
            m->media_marked = 1;
    }
    return rc;
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

int writer_progress(store_writer *w, int64_t rows, int64_t last_step, int64_t dropped,
                    double heartbeat)
{
    sqlite3_stmt *st = stmt(w, ST_PROGRESS);
    if (st) {
        sqlite3_bind_int64(st, 1, rows);
        sqlite3_bind_int64(st, 2, last_step);
        sqlite3_bind_double(st, 3, heartbeat);
        sqlite3_bind_int64(st, 4, w->dropped_before + dropped);
    }
    return run(w, st);
}

int writer_end(store_writer *w, const char *state, int exit_code, double end_time)
{
    /* Every tail is closed: a finished run has no small rows left over. */
    for (size_t i = 0; i < w->nopen; i++) {
        int rc;
        writer_metric *m = metric_get(w, w->open[i].id, &rc);
        if (m && m->tail_from)
            rc = close_tail(w, w->open[i].id, m);
        if (rc)
            return rc;
        m->listed = 0;
    }
    w->nopen = 0;
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
