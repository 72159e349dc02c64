/*
 * catalog_cache.c — the run catalog's cache of unchanging run files (see
 * catalog_cache.h): one small SQLite file, read with one indexed lookup a
 * run, written in one short transaction a listing.
 */
#include "store/catalog_cache.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/buf.h"

/* Bump when the table changes: an older cache is dropped, not read. */
#define CACHE_VERSION 1
#define CACHE_BUSY_MS 200
/* Entries not written for this long go: roots that were deleted or moved. */
#define CACHE_MAX_AGE_S (30 * 86400.0)

struct catalog_cache {
    sqlite3 *db;
    sqlite3_stmt *get, *put;
    int writing; /* a transaction is open */
};

/* The text columns, in table order after the stamp. */
#define TEXT_COLS 17
static const char *const create_sql =
    "CREATE TABLE IF NOT EXISTS run(key TEXT PRIMARY KEY, size INT, mtime INT, wal_size INT,"
    " wal_mtime INT, id, project, name, grp, job_type, notes, mode, tags, host, user, os, cwd,"
    " version, command, git, summary, config, state INT, has_exit INT, exit_code INT,"
    " start_time REAL, heartbeat REAL, end_time REAL, pid INT, rows INT, last_step INT,"
    " schema_version INT, seen REAL) WITHOUT ROWID";

/* Where each text column of a row lives in the run info. */
static void text_slots(tally_run_info *in, const char **slots[TEXT_COLS])
{
    const char **f[TEXT_COLS] = {&in->id,        &in->project,      &in->name,   &in->group,
                                 &in->job_type,  &in->notes,        &in->mode,   &in->tags_json,
                                 &in->host,      &in->user,         &in->os,     &in->cwd,
                                 &in->version,   &in->command_json, &in->git_json,
                                 &in->summary_json, &in->config_json};
    memcpy(slots, f, sizeof f);
}

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

catalog_cache *catalog_cache_open(void)
{
    const char *dir = getenv("TALLY_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    buf path = BUF_INIT;
    if (dir && strcmp(dir, "none") == 0)
        return NULL;
    if (dir && *dir)
        buf_printf(&path, "%s", dir);
    else if (xdg && *xdg == '/')
        buf_printf(&path, "%s/tally", xdg);
    else if (home && *home)
        buf_printf(&path, "%s/.cache/tally", home);
    else
        return NULL;
    catalog_cache *c = calloc(1, sizeof *c);
    if (!c || !buf_cstr(&path) || mkdirs(path.data) != 0) {
        free(c);
        buf_free(&path);
        return NULL;
    }
    buf_puts(&path, "/catalog.db");
    int ok = sqlite3_open_v2(buf_cstr(&path), &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL) == SQLITE_OK;
    buf_free(&path);
    if (ok) {
        sqlite3_busy_timeout(c->db, CACHE_BUSY_MS);
        sqlite3_stmt *v = NULL;
        int version = -1;
        if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &v, NULL) == SQLITE_OK &&
            sqlite3_step(v) == SQLITE_ROW)
            version = sqlite3_column_int(v, 0);
        sqlite3_finalize(v);
        if (version != CACHE_VERSION) {
            char sql[64];
            snprintf(sql, sizeof sql, "PRAGMA user_version=%d", CACHE_VERSION);
            ok = sqlite3_exec(c->db, "DROP TABLE IF EXISTS run", NULL, NULL, NULL) == SQLITE_OK &&
                 sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK;
        }
    }
    ok = ok && sqlite3_exec(c->db, create_sql, NULL, NULL, NULL) == SQLITE_OK;
    ok = ok && sqlite3_prepare_v2(c->db,
                                  "SELECT * FROM run WHERE key = ? AND size = ? AND mtime = ?"
                                  " AND wal_size = ? AND wal_mtime = ?",
                                  -1, &c->get, NULL) == SQLITE_OK;
    ok = ok && sqlite3_prepare_v2(c->db,
                                  "INSERT OR REPLACE INTO run VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,"
                                  "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                  -1, &c->put, NULL) == SQLITE_OK;
    if (!ok) {
        catalog_cache_close(c);
        return NULL;
    }
    return c;
}

/* Opens the write transaction on first need; 0 when it cannot now. */
static int begin_write(catalog_cache *c)
{
    if (!c->writing && sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK)
        c->writing = 1;
    return c->writing;
}

void catalog_cache_prune(catalog_cache *c, const char *abs_root)
{
    if (!c || !begin_write(c))
        return;
    sqlite3_stmt *q = NULL, *del = NULL;
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM run WHERE seen < %.0f",
             (double)time(NULL) - CACHE_MAX_AGE_S);
    sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    /* Keys under abs_root/ sort between "abs_root/" and "abs_root0". */
    buf lo = BUF_INIT, hi = BUF_INIT;
    buf_printf(&lo, "%s/", abs_root);
    buf_printf(&hi, "%s0", abs_root);
    if (buf_cstr(&lo) && buf_cstr(&hi) &&
        sqlite3_prepare_v2(c->db, "SELECT key FROM run WHERE key > ? AND key < ?", -1, &q,
                           NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(c->db, "DELETE FROM run WHERE key = ?", -1, &del, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, buf_cstr(&lo), -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, buf_cstr(&hi), -1, SQLITE_STATIC);
        while (sqlite3_step(q) == SQLITE_ROW) {
            const char *key = (const char *)sqlite3_column_text(q, 0);
            struct stat sb;
            if (key && stat(key, &sb) != 0 && errno == ENOENT) {
                sqlite3_reset(del);
                sqlite3_bind_text(del, 1, key, -1, SQLITE_TRANSIENT);
                sqlite3_step(del);
            }
        }
    }
    sqlite3_finalize(q);
    sqlite3_finalize(del);
    buf_free(&lo);
    buf_free(&hi);
}

static void bind_stamp(sqlite3_stmt *s, const char *key, const file_stamp *st)
{
    sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, st->size);
    sqlite3_bind_int64(s, 3, st->mtime_ns);
    sqlite3_bind_int64(s, 4, st->wal_size);
    sqlite3_bind_int64(s, 5, st->wal_mtime_ns);
}

int catalog_cache_get(catalog_cache *c, const char *key, const file_stamp *stamp,
                      tally_run_info *out)
{
    if (!c)
        return 0;
    sqlite3_reset(c->get);
    bind_stamp(c->get, key, stamp);
    if (sqlite3_step(c->get) != SQLITE_ROW) {
        sqlite3_reset(c->get);
        return 0;
    }
    memset(out, 0, sizeof *out);
    const char **slots[TEXT_COLS];
    text_slots(out, slots);
    int ok = 1;
    for (int i = 0; i < TEXT_COLS; i++) {
        const char *t = (const char *)sqlite3_column_text(c->get, 5 + i);
        *slots[i] = t ? strdup(t) : NULL;
        ok &= !t || *slots[i];
    }
    sqlite3_stmt *s = c->get;
    int k = 5 + TEXT_COLS;
    out->state = (tally_state)sqlite3_column_int(s, k);
    out->has_exit_code = sqlite3_column_int(s, k + 1);
    out->exit_code = sqlite3_column_int(s, k + 2);
    out->start_time = sqlite3_column_double(s, k + 3);
    out->heartbeat = sqlite3_column_double(s, k + 4);
    out->end_time = sqlite3_column_double(s, k + 5);
    out->pid = sqlite3_column_int64(s, k + 6);
    out->rows = sqlite3_column_int64(s, k + 7);
    out->last_step = sqlite3_column_int64(s, k + 8);
    out->schema_version = sqlite3_column_int(s, k + 9);
    sqlite3_reset(s);
    if (!ok || !out->id || !out->project || !out->name) {
        for (int i = 0; i < TEXT_COLS; i++)
            free((char *)*slots[i]);
        return 0;
    }
    return 1;
}

void catalog_cache_put(catalog_cache *c, const char *key, const file_stamp *stamp,
                       const tally_run_info *info)
{
    if (!c)
        return;
    if (!begin_write(c))
        return; /* another process is writing it: next time */
    tally_run_info copy = *info;
    const char **slots[TEXT_COLS];
    text_slots(&copy, slots);
    sqlite3_stmt *s = c->put;
    sqlite3_reset(s);
    bind_stamp(s, key, stamp);
    for (int i = 0; i < TEXT_COLS; i++)
        sqlite3_bind_text(s, 6 + i, *slots[i], -1, SQLITE_STATIC);
    int k = 6 + TEXT_COLS;
    sqlite3_bind_int(s, k, (int)info->state);
    sqlite3_bind_int(s, k + 1, info->has_exit_code);
    sqlite3_bind_int(s, k + 2, info->exit_code);
    sqlite3_bind_double(s, k + 3, info->start_time);
    sqlite3_bind_double(s, k + 4, info->heartbeat);
    sqlite3_bind_double(s, k + 5, info->end_time);
    sqlite3_bind_int64(s, k + 6, info->pid);
    sqlite3_bind_int64(s, k + 7, info->rows);
    sqlite3_bind_int64(s, k + 8, info->last_step);
    sqlite3_bind_int(s, k + 9, info->schema_version);
    sqlite3_bind_double(s, k + 10, (double)time(NULL));
    sqlite3_step(s);
    sqlite3_reset(s);
}

void catalog_cache_close(catalog_cache *c)
{
    if (!c)
        return;
    if (c->writing && sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(c->get);
    sqlite3_finalize(c->put);
    sqlite3_close(c->db);
    free(c);
}
