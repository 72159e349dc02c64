/*
 * reader.c — opening a run file read-only: the run row, the metric list,
 * summary, config, console lines and saved files (tally_store.h).
 * Series reads are in series.c, the run catalog in catalog.c.
 */
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/procinfo.h"
#include "store/reader_internal.h"
#include "store/runlock.h"
#include "store/schema.h"

/* How long a read waits for a writer's lock (a checkpoint, a commit, a
 * journal played back) before it gives up with TALLY_EBUSY. */
#define STORE_BUSY_MS 1000

const char *tally_state_name(tally_state state)
{
    switch (state) {
    case TALLY_STATE_RUNNING: return "running";
    case TALLY_STATE_FINISHED: return "finished";
    case TALLY_STATE_FAILED: return "failed";
    case TALLY_STATE_CRASHED: return "crashed";
    }
    return "unknown";
}

const char *tally_store_default_root(void)
{
    const char *dir = getenv("TALLY_DIR");
    return dir && dir[0] ? dir : "./tally";
}

/* Keeps a copy of s alive until the next reload; NULL stays NULL. */
static const char *keep(tally_store *st, const char *s)
{
    if (!s)
        return NULL;
    if (st->nstrings == st->capstrings) {
        size_t cap = st->capstrings ? st->capstrings * 2 : 64;
        char **v = realloc(st->strings, cap * sizeof *v);
        if (!v)
            return "";
        st->strings = v;
        st->capstrings = cap;
    }
    char *copy = strdup(s);
    if (!copy)
        return "";
    st->strings[st->nstrings++] = copy;
    return copy;
}

static void drop_strings(tally_store *st)
{
    for (size_t i = 0; i < st->nstrings; i++)
        free(st->strings[i]);
    st->nstrings = 0;
}

int store_prepare(tally_store *st, sqlite3_stmt **slot, const char *sql)
{
    if (!*slot && sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL))
        return schema_error(sqlite3_errcode(st->db)) == TALLY_EIO ? TALLY_ECORRUPT
                                                                 : schema_error(sqlite3_errcode(st->db));
    sqlite3_reset(*slot);
    sqlite3_clear_bindings(*slot);
    return TALLY_OK;
}

double store_column_real(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

static const char *col_text(tally_store *st, sqlite3_stmt *s, int i)
{
    return keep(st, (const char *)sqlite3_column_text(s, i));
}

/* A run row that says "running" may belong to a process that died.  Its
 * writer's claim (runlock.h) settles it: the kernel drops the lock when
 * the process exits, before it is reaped, so a zombie reads as crashed.
 * held < 0 (no OFD locks on this file system) falls back to the process
 * table and, for another host, the heartbeat. */
static tally_state judge_state(const char *state, int held, const char *host, const char *boot,
                               int64_t pid, int64_t pid_start, double heartbeat,
                               int heartbeat_ms)
{
    if (!state)
        return TALLY_STATE_CRASHED;
    if (strcmp(state, "finished") == 0)
        return TALLY_STATE_FINISHED;
    if (strcmp(state, "failed") == 0)
        return TALLY_STATE_FAILED;
    if (held == 1)
        return TALLY_STATE_RUNNING;
    int alive = procinfo_writer_alive(host, boot, pid, pid_start);
    if (alive == 0 || (alive == 1 && held == 0))
        return TALLY_STATE_CRASHED;
    if (alive < 0) {
        /* Another host: trust the heartbeat, with generous slack. */
        double stale = 3.0 * heartbeat_ms / 1000.0 + 30.0;
        if (clock_wall() - heartbeat > stale)
            return TALLY_STATE_CRASHED;
    }
    return TALLY_STATE_RUNNING;
}

/* Builds a JSON object from a two-column (key, JSON value) query.  A NULL
 * value (the summary query of a file with media) is a media key the user
 * set no summary for: it reads as its newest object's wandb JSON (the
 * writer stores none for media keys), or is left out when it has none. */
static int kv_json(tally_store *st, sqlite3_stmt **slot, const char *sql, char **out)
{
    int rc = store_prepare(st, slot, sql);
    if (rc)
        return rc;
    buf b = BUF_INIT;
    buf_putc(&b, '{');
    int first = 1, src;
    while (!rc && (src = sqlite3_step(*slot)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(*slot, 0);
        const char *value = (const char *)sqlite3_column_text(*slot, 1);
        char *made = NULL;
        if (key && !value) {
            rc = store_media_summary(st, key, &made);
            if (rc == TALLY_ENOTFOUND || rc == TALLY_ECORRUPT)
                rc = TALLY_OK;
            value = made;
        }
        if (key && value) {
            if (!first)
                buf_putc(&b, ',');
            first = 0;
            json_string(&b, key);
            buf_putc(&b, ':');
            buf_puts(&b, value);
        }
        free(made);
    }
    sqlite3_reset(*slot);
    buf_putc(&b, '}');
    if (!rc && src != SQLITE_DONE)
        rc = schema_error(src);
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *out = buf_steal(&b);
    return *out ? TALLY_OK : TALLY_ENOMEM;
}

int tally_store_summary(tally_store *st, char **json_out)
{
    if (!st || !json_out)
        return TALLY_EINVAL;
    return kv_json(st, &st->q_summary,
                   st->has_media
                       ? "SELECT key, value FROM summary UNION ALL SELECT name, NULL FROM metric"
                         " WHERE media != 0 AND name NOT IN (SELECT key FROM summary) ORDER BY 1"
                       : "SELECT key, value FROM summary ORDER BY key",
                   json_out);
}

int tally_store_config(tally_store *st, char **json_out)
{
    if (!st || !json_out)
        return TALLY_EINVAL;
    return kv_json(st, &st->q_config, "SELECT key, value FROM config ORDER BY key", json_out);
}

static int load_run(tally_store *st)
{
    int rc = store_prepare(st, &st->q_run,
                           st->has_dropped
                               ? "SELECT id, project, name, grp, job_type, notes, tags, mode,"
                                 " state, exit_code, start_time, heartbeat, end_time,"
                                 " heartbeat_ms, host, boot_id, pid, pid_start, user, os, command,"
                                 " cwd, git, version, rows, last_step, dropped FROM run"
                               : "SELECT id, project, name, grp, job_type, notes, tags, mode,"
                                 " state, exit_code, start_time, heartbeat, end_time,"
                                 " heartbeat_ms, host, boot_id, pid, pid_start, user, os, command,"
                                 " cwd, git, version, rows, last_step, 0 FROM run");
    if (rc)
        return rc;
    sqlite3_stmt *s = st->q_run;
    int src = sqlite3_step(s);
    if (src != SQLITE_ROW) {
        sqlite3_reset(s);
        return src == SQLITE_DONE ? TALLY_ECORRUPT : schema_error(src);
    }
    tally_run_info *in = &st->info;
    int schema_version = in->schema_version;
    memset(in, 0, sizeof *in);
    in->schema_version = schema_version;
    in->path = keep(st, st->path);
    in->id = col_text(st, s, 0);
    in->project = col_text(st, s, 1);
    in->name = col_text(st, s, 2);
    in->group = col_text(st, s, 3);
    in->job_type = col_text(st, s, 4);
    in->notes = col_text(st, s, 5);
    in->tags_json = col_text(st, s, 6);
    in->mode = col_text(st, s, 7);
    in->has_exit_code = sqlite3_column_type(s, 9) != SQLITE_NULL;
    in->exit_code = sqlite3_column_int(s, 9);
    in->start_time = sqlite3_column_double(s, 10);
    in->heartbeat = sqlite3_column_double(s, 11);
    in->end_time = sqlite3_column_double(s, 12);
    in->host = col_text(st, s, 14);
    in->pid = sqlite3_column_int64(s, 16);
    in->user = col_text(st, s, 18);
    in->os = col_text(st, s, 19);
    in->command_json = col_text(st, s, 20);
    in->cwd = col_text(st, s, 21);
    in->git_json = col_text(st, s, 22);
    in->version = col_text(st, s, 23);
    in->rows = sqlite3_column_int64(s, 24);
    in->last_step = sqlite3_column_int64(s, 25);
    in->dropped = sqlite3_column_int64(s, 26);
    in->state = judge_state((const char *)sqlite3_column_text(s, 8),
                            st->lock ? runlock_held(st->lock) : -1,
                            (const char *)sqlite3_column_text(s, 14),
                            (const char *)sqlite3_column_text(s, 15), in->pid,
                            sqlite3_column_int64(s, 17), in->heartbeat,
                            sqlite3_column_int(s, 13));
    sqlite3_reset(s);
    if (!in->id || !in->project || !in->name)
        return TALLY_ECORRUPT;
    char *summary = NULL;
    rc = tally_store_summary(st, &summary);
    if (rc)
        return rc;
    in->summary_json = keep(st, summary);
    free(summary);
    char *config = NULL;
    rc = tally_store_config(st, &config);
    if (rc)
        return rc;
    in->config_json = keep(st, config);
    free(config);
    return TALLY_OK;
}

static int load_metrics(tally_store *st)
{
    int rc = store_prepare(st, &st->q_metrics,
                           st->has_media
                               ? "SELECT id, name, axis, is_int, step_metric, summary, goal,"
                                 " hidden, n, x_min, x_max, y_min, y_max, y_last, media"
                                 " FROM metric ORDER BY id"
                               : "SELECT id, name, axis, is_int, step_metric, summary, goal,"
                                 " hidden, n, x_min, x_max, y_min, y_max, y_last, 0"
                                 " FROM metric ORDER BY id");
    if (rc)
        return rc;
    sqlite3_stmt *s = st->q_metrics;
    size_t n = 0;
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == st->capmetrics) {
            size_t cap = st->capmetrics ? st->capmetrics * 2 : 32;
            tally_metric_info *v = realloc(st->metrics, cap * sizeof *v);
            if (!v) {
                sqlite3_reset(s);
                return TALLY_ENOMEM;
            }
            st->metrics = v;
            st->capmetrics = cap;
        }
        tally_metric_info *m = &st->metrics[n++];
        const char *axis = (const char *)sqlite3_column_text(s, 2);
        m->id = sqlite3_column_int64(s, 0);
        m->name = col_text(st, s, 1);
        m->axis = axis && strcmp(axis, "time") == 0 ? TALLY_AXIS_TIME : TALLY_AXIS_STEP;
        m->is_int = sqlite3_column_int(s, 3);
        m->step_metric = col_text(st, s, 4);
        m->summary = (unsigned)sqlite3_column_int(s, 5);
        m->goal = sqlite3_column_int(s, 6);
        m->hidden = sqlite3_column_int(s, 7);
        m->n = sqlite3_column_int64(s, 8);
        m->x_min = sqlite3_column_int64(s, 9);
        m->x_max = sqlite3_column_int64(s, 10);
        m->y_min = store_column_real(s, 11);
        m->y_max = store_column_real(s, 12);
        m->y_last = store_column_real(s, 13);
        m->media = sqlite3_column_int(s, 14);
        if (!tally_media_type_name(m->media))
            m->media = 0;
        if (!m->name)
            m->name = "";
    }
    sqlite3_reset(s);
    st->nmetrics = n;
    if (src != SQLITE_DONE)
        return schema_error(src);
    return store_media_keys_load(st);
}

static int data_version(tally_store *st, int64_t *v)
{
    int rc = store_prepare(st, &st->q_version, "PRAGMA data_version");
    if (rc)
        return rc;
    int src = sqlite3_step(st->q_version);
    if (src == SQLITE_ROW)
        *v = sqlite3_column_int64(st->q_version, 0);
    sqlite3_reset(st->q_version);
    return src == SQLITE_ROW ? TALLY_OK : schema_error(src);
}

static int reload(tally_store *st)
{
    drop_strings(st);
    st->nmkeys = 0;
    /* A schema-3 file a writer resumed may have gained the media tables;
     * the statements that read metric and summary change with them. */
    if (!st->has_media && store_media_probe(st)) {
        st->has_media = 1;
        sqlite3_finalize(st->q_metrics);
        sqlite3_finalize(st->q_summary);
        st->q_metrics = st->q_summary = NULL;
    }
    /* One read transaction, so the run row and metrics agree. */
    int rc = schema_error(sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL));
    if (!rc)
        rc = load_run(st);
    if (!rc)
        rc = load_metrics(st);
    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* A file whose header says WAL but that has no -wal beside it is a copy,
 * or a run whose writer closed while a reader held it: nothing will change
 * it under us, and opening it as usual would leave -wal and -shm files
 * beside a file we only read.  Such a file is opened immutable (no locks,
 * no side files).  A live writer always has its -wal: it makes it in the
 * same transaction that first stores the run row (writer.c). */
static int wal_without_log(const char *path)
{
    unsigned char head[20];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    if (got != sizeof head || head[18] != 2 || head[19] != 2)
        return 0;
    buf wal = BUF_INIT;
    buf_printf(&wal, "%s-wal", path);
    struct stat sb;
    int absent = !wal.oom && stat(wal.data, &sb) != 0 && errno == ENOENT;
    buf_free(&wal);
    return absent;
}

/* file: URI of a path, for the immutable open: every byte outside the
 * unreserved set is %-escaped. */
static char *file_uri(const char *path)
{
    buf b = BUF_INIT;
    buf_puts(&b, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p))
            buf_putc(&b, (char)*p);
        else
            buf_printf(&b, "%%%02X", *p);
    }
    buf_puts(&b, "?immutable=1");
    return buf_steal(&b);
}

/* 1 when the last call on db stopped at a hot journal: a rollback journal
 * left by a process killed while it committed, which only a read-write
 * connection may play back. */
static int hot_journal(sqlite3 *db)
{
    return db && sqlite3_extended_errcode(db) == SQLITE_READONLY_ROLLBACK;
}

/* Plays back the hot journal beside path.  A finished run is in rollback
 * journal mode, and `tally sync` writes its cursors into it through a
 * read-write connection (sync_state.c); killed between writing its
 * journal's header and deleting the journal, it leaves the file
 * consistent only with the journal played back.  A read-only connection
 * refuses to read such a file at all (SQLITE_READONLY_ROLLBACK), every
 * later read too, `tally sync` included: the run would stay unreadable.
 * So the reader opens a read-write connection for as long as its first
 * read takes: SQLite plays the journal back then, under its own locks,
 * and only when no live connection holds the transaction open (otherwise
 * the journal is not hot, and the read waits or goes on as usual).  This
 * is what the killed process would have done itself on its next open.
 * When the file cannot be written the run stays unreadable until its
 * owner reads it: TALLY_EACCES. */
static int roll_back_journal(const char *path)
{
    sqlite3 *db = NULL;
    int src = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src == SQLITE_OK) {
        sqlite3_busy_timeout(db, STORE_BUSY_MS);
        src = sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL);
    }
    sqlite3_close(db);
    return schema_error(src);
}

/* Opens path read-only (immutable when asked) and reads its header once,
 * which is where a hot journal shows; an SQLite result code. */
static int open_connection(const char *path, int immutable, sqlite3 **db)
{
    int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, src;
    if (!immutable) {
        src = sqlite3_open_v2(path, db, flags, NULL);
    } else {
        char *uri = file_uri(path);
        if (!uri)
            return SQLITE_NOMEM;
        src = sqlite3_open_v2(uri, db, flags | SQLITE_OPEN_URI, NULL);
        free(uri);
    }
    if (src == SQLITE_OK) {
        sqlite3_busy_timeout(*db, STORE_BUSY_MS);
        src = sqlite3_exec(*db, "PRAGMA schema_version", NULL, NULL, NULL);
    }
    return src;
}

int store_open_readonly(const char *path, sqlite3 **db)
{
    *db = NULL;
    int src = open_connection(path, wal_without_log(path), db);
    if (src != SQLITE_OK && hot_journal(*db)) {
        /* Opened again once played back: the header, and with it the
         * choice of an immutable open, may be another one then. */
        sqlite3_close(*db);
        *db = NULL;
        int rc = roll_back_journal(path);
        if (rc)
            return rc;
        src = open_connection(path, wal_without_log(path), db);
    }
    if (src == SQLITE_OK)
        return TALLY_OK;
    sqlite3_close(*db);
    *db = NULL;
    int rc = schema_error(src);
    return rc == TALLY_EIO ? TALLY_ECORRUPT : rc; /* as schema_check says it */
}

/* Finalizes every statement of the handle and closes its connection. */
static void close_db(tally_store *st)
{
    sqlite3_stmt **stmts[] = {&st->q_run,    &st->q_metrics, &st->q_version, &st->q_summary,
                              &st->q_config, &st->q_chunks,  &st->q_data,    &st->q_logs,
                              &st->q_files,  &st->q_file,    &st->q_logs_before,
                              &st->q_log_count, &st->q_log_find[0], &st->q_log_find[1],
                              &st->q_log_find[2], &st->q_log_find[3], &st->q_blob,
                              &st->q_media_steps, &st->q_media_last};
    for (size_t i = 0; i < sizeof stmts / sizeof *stmts; i++) {
        sqlite3_finalize(*stmts[i]);
        *stmts[i] = NULL;
    }
    for (size_t i = 0; i < st->npool; i++) {
        sqlite3_finalize(st->pool[i].chunks);
        sqlite3_finalize(st->pool[i].data);
    }
    st->npool = 0;
    sqlite3_close(st->db);
    st->db = NULL;
}

void store_damage(tally_store *st, int kind, int64_t rowid, int64_t metric_id,
                  int64_t first_x, int64_t last_x, int64_t n)
{
    const char *name = "strings and JSON values";
    if (kind != 1) {
        name = "";
        for (size_t i = 0; i < st->nmetrics; i++)
            if (st->metrics[i].id == metric_id)
                name = st->metrics[i].name;
    }
    store_damage_named(st, kind, rowid, metric_id, name, first_x, last_x, n);
}

void store_damage_named(tally_store *st, int kind, int64_t rowid, int64_t metric_id,
                        const char *name, int64_t first_x, int64_t last_x, int64_t n)
{
    for (size_t i = 0; i < st->ndamage; i++)
        if (st->seen[i].kind == kind && st->seen[i].rowid == rowid)
            return;
    if (st->ndamage == STORE_DAMAGE_MAX)
        return;
    if (st->ndamage == st->capdamage) {
        size_t cap = st->capdamage ? st->capdamage * 2 : 8;
        tally_damage *d = realloc(st->damage, cap * sizeof *d);
        if (d)
            st->damage = d;
        struct store_damage_key *k = realloc(st->seen, cap * sizeof *k);
        if (k)
            st->seen = k;
        if (!d || !k)
            return;
        st->capdamage = cap;
    }
    char *copy = strdup(name ? name : "");
    if (!copy)
        return;
    st->seen[st->ndamage] = (struct store_damage_key){kind, rowid};
    st->damage[st->ndamage++] = (tally_damage){kind == 1 ? -1 : metric_id, copy, first_x,
                                               last_x, n};
}

size_t tally_store_damage_count(const tally_store *st) { return st ? st->ndamage : 0; }

const tally_damage *tally_store_damage(const tally_store *st, size_t i)
{
    return st && i < st->ndamage ? &st->damage[i] : NULL;
}

int tally_store_open(const char *path, tally_store **out)
{
    if (!path || !out)
        return TALLY_EINVAL;
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return errno == EACCES ? TALLY_EACCES : TALLY_ENOTFOUND;
    if (!S_ISREG(sb.st_mode))
        return TALLY_ECORRUPT;
    tally_store *st = calloc(1, sizeof *st);
    if (!st)
        return TALLY_ENOMEM;
    st->path = strdup(path);
    int rc = st->path ? TALLY_OK : TALLY_ENOMEM;
    /* Before SQLite opens the file: see runlock.h.  Without it (an
     * unreadable file) SQLite's own open reports the problem. */
    if (!rc && runlock_open(path, &st->lock) == TALLY_ENOMEM)
        rc = TALLY_ENOMEM;
    if (!rc)
        rc = store_open_readonly(path, &st->db);
    if (!rc)
        rc = schema_check(st->db, &st->info.schema_version);
    if (!rc) {
        /* Files from before the run row counted dropped values lack it. */
        sqlite3_stmt *probe = NULL;
        st->has_dropped = sqlite3_prepare_v2(st->db, "SELECT dropped FROM run", -1, &probe,
                                             NULL) == SQLITE_OK;
        sqlite3_finalize(probe);
    }
    if (!rc)
        rc = data_version(st, &st->version);
    if (!rc)
        rc = reload(st);
    if (rc) {
        tally_store_close(st);
        return rc;
    }
    *out = st;
    return TALLY_OK;
}

void tally_store_close(tally_store *st)
{
    if (!st)
        return;
    close_db(st);
    runlock_close(st->lock); /* after SQLite let go of the file */
    drop_strings(st);
    for (size_t i = 0; i < st->ndamage; i++)
        free((char *)st->damage[i].metric);
    free(st->damage);
    free(st->seen);
    free(st->strings);
    free(st->metrics);
    free(st->mkeys);
    free(st->path);
    free(st);
}

int tally_store_refresh(tally_store *st, int *changed)
{
    if (!st)
        return TALLY_EINVAL;
    int64_t v = 0;
    int rc = data_version(st, &v);
    /* A sync killed while the file was open here (roll_back_journal). */
    if (rc == TALLY_EACCES && hot_journal(st->db) && roll_back_journal(st->path) == TALLY_OK)
        rc = data_version(st, &v);
    if (rc)
        return rc;
    int moved = v != st->version;
    /* A live run can also turn into a crashed one without writing. */
    if (!moved && st->info.state == TALLY_STATE_RUNNING) {
        double now = clock_wall();
        if (now - st->last_liveness >= 1.0) {
            st->last_liveness = now;
            moved = 1;
        }
    }
    if (moved) {
        tally_state before = st->info.state;
        int64_t rows = st->info.rows;
        rc = reload(st);
        if (rc)
            return rc;
        moved = v != st->version || st->info.state != before || st->info.rows != rows;
        st->version = v;
    }
    if (changed)
        *changed = moved;
    return TALLY_OK;
}

const tally_run_info *tally_store_info(const tally_store *st) { return st ? &st->info : NULL; }

size_t tally_store_metric_count(const tally_store *st) { return st ? st->nmetrics : 0; }

const tally_metric_info *tally_store_metric(const tally_store *st, size_t i)
{
    return st && i < st->nmetrics ? &st->metrics[i] : NULL;
}

const tally_metric_info *tally_store_find_metric(const tally_store *st, const char *name)
{
    if (!st || !name)
        return NULL;
    for (size_t i = 0; i < st->nmetrics; i++)
        if (strcmp(st->metrics[i].name, name) == 0)
            return &st->metrics[i];
    return NULL;
}

/* Calls fn for each row of a prepared (seq, t, stream, line) query, then resets it. */
static int emit_logs(sqlite3_stmt *q, tally_log_fn fn, void *ctx)
{
    int src;
    while ((src = sqlite3_step(q)) == SQLITE_ROW) {
        tally_log_line line = {sqlite3_column_int64(q, 0), sqlite3_column_double(q, 1),
                               sqlite3_column_int(q, 2), (const char *)sqlite3_column_text(q, 3)};
        if (!line.text)
            line.text = "";
        if (fn(ctx, &line))
            break;
    }
    sqlite3_reset(q);
    return src == SQLITE_ROW || src == SQLITE_DONE ? TALLY_OK : schema_error(src);
}

int tally_store_logs(tally_store *st, int64_t after_seq, size_t max, tally_log_fn fn, void *ctx)
{
    if (!st || !fn)
        return TALLY_EINVAL;
    int rc = store_prepare(st, &st->q_logs,
                           "SELECT seq, t, stream, line FROM log WHERE seq > ? ORDER BY seq"
                           " LIMIT ?");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->q_logs, 1, after_seq);
    sqlite3_bind_int64(st->q_logs, 2, max ? (int64_t)max : -1);
    return emit_logs(st->q_logs, fn, ctx);
}

int tally_store_logs_before(tally_store *st, int64_t before_seq, size_t max, tally_log_fn fn,
                            void *ctx)
{
    if (!st || !fn)
        return TALLY_EINVAL;
    /* Walk back on the primary key, then hand the window out oldest first. */
    int rc = store_prepare(st, &st->q_logs_before,
                           "SELECT * FROM (SELECT seq, t, stream, line FROM log WHERE seq < ?"
                           " ORDER BY seq DESC LIMIT ?) ORDER BY seq");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->q_logs_before, 1, before_seq);
    sqlite3_bind_int64(st->q_logs_before, 2, max ? (int64_t)max : -1);
    return emit_logs(st->q_logs_before, fn, ctx);
}

int tally_store_log_count(tally_store *st, int64_t before_seq, int64_t *count)
{
    if (!st || !count)
        return TALLY_EINVAL;
    int rc = store_prepare(st, &st->q_log_count, "SELECT count(*) FROM log WHERE seq < ?");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->q_log_count, 1, before_seq);
    int src = sqlite3_step(st->q_log_count);
    if (src == SQLITE_ROW)
        *count = sqlite3_column_int64(st->q_log_count, 0);
    sqlite3_reset(st->q_log_count);
    return src == SQLITE_ROW ? TALLY_OK : schema_error(src);
}

static int has_upper(const char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            return 1;
    return 0;
}

int tally_store_log_find(tally_store *st, const char *needle, int64_t from_seq, int dir,
                         int64_t *seq_out)
{
    if (!st || !needle || !needle[0] || !seq_out || dir == 0)
        return TALLY_EINVAL;
    /* SQLite's lower() folds ASCII only, which is what smart case promises. */
    static const char *const sql[4] = {
        "SELECT seq FROM log WHERE seq < ?1 AND instr(line, ?2) > 0 ORDER BY seq DESC LIMIT 1",
        "SELECT seq FROM log WHERE seq > ?1 AND instr(line, ?2) > 0 ORDER BY seq LIMIT 1",
        "SELECT seq FROM log WHERE seq < ?1 AND instr(lower(line), ?2) > 0"
        " ORDER BY seq DESC LIMIT 1",
        "SELECT seq FROM log WHERE seq > ?1 AND instr(lower(line), ?2) > 0 ORDER BY seq LIMIT 1"};
    int k = (has_upper(needle) ? 0 : 2) + (dir > 0);
    int rc = store_prepare(st, &st->q_log_find[k], sql[k]);
    if (rc)
        return rc;
    sqlite3_stmt *q = st->q_log_find[k];
    sqlite3_bind_int64(q, 1, from_seq);
    sqlite3_bind_text(q, 2, needle, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(q);
    if (src == SQLITE_ROW)
        *seq_out = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return src == SQLITE_ROW ? TALLY_OK : src == SQLITE_DONE ? TALLY_ENOTFOUND : schema_error(src);
}

int tally_store_files(tally_store *st, tally_file_fn fn, void *ctx)
{
    if (!st || !fn)
        return TALLY_EINVAL;
    int rc = store_prepare(st, &st->q_files, "SELECT path, size, mtime FROM file ORDER BY path");
    if (rc)
        return rc;
    int src;
    while ((src = sqlite3_step(st->q_files)) == SQLITE_ROW) {
        tally_file_info f = {(const char *)sqlite3_column_text(st->q_files, 0),
                             sqlite3_column_int64(st->q_files, 1),
                             sqlite3_column_double(st->q_files, 2)};
        if (!f.path)
            continue;
        if (fn(ctx, &f))
            break;
    }
    sqlite3_reset(st->q_files);
    return src == SQLITE_ROW || src == SQLITE_DONE ? TALLY_OK : schema_error(src);
}

int tally_store_file_read(tally_store *st, const char *path, void **data, size_t *size)
{
    if (!st || !path || !data || !size)
        return TALLY_EINVAL;
    int rc = store_prepare(st, &st->q_file, "SELECT data FROM file WHERE path = ?");
    if (rc)
        return rc;
    sqlite3_bind_text(st->q_file, 1, path, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(st->q_file);
    if (src == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st->q_file, 0);
        const void *p = sqlite3_column_blob(st->q_file, 0);
        *data = malloc(n ? n : 1);
        if (*data) {
            if (n)
                memcpy(*data, p, n);
            *size = n;
        }
        rc = *data ? TALLY_OK : TALLY_ENOMEM;
    } else {
        rc = src == SQLITE_DONE ? TALLY_ENOTFOUND : schema_error(src);
    }
    sqlite3_reset(st->q_file);
    return rc;
}
