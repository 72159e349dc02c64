/*
 * schema.c — the run file's tables.
 *
 * Every table a run file has is created here, in one place, so the schema
 * and its version number cannot drift apart.  A change to a table is a new
 * TALLY_SCHEMA_VERSION and a note in docs/format.md.
 */
#include "store/schema.h"

#include <errno.h>
#include <sys/stat.h>

#include "tally_store.h"

/* Objects (schema 4): one media row per key and step, their files once per
 * content hash in blob.  Shared by new files and the migration from 3. */
#define MEDIA_TABLES_SQL                                                                         \
    "CREATE TABLE media(id INTEGER PRIMARY KEY,"                                                 \
    "  metric_id INTEGER NOT NULL REFERENCES metric(id), x INTEGER NOT NULL,"                    \
    "  type INTEGER NOT NULL, meta TEXT NOT NULL, crc INTEGER NOT NULL,"                         \
    "  UNIQUE(metric_id, x));"                                                                   \
    "CREATE INDEX media_by_x ON media(x, metric_id);"                                            \
    "CREATE TABLE blob(id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE,"                     \
    "  size INTEGER NOT NULL, format TEXT NOT NULL, crc INTEGER NOT NULL, data BLOB NOT NULL);"

static const char schema_sql[] =
    "CREATE TABLE run("
    "  id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL,"
    "  grp TEXT, job_type TEXT, notes TEXT, tags TEXT NOT NULL DEFAULT '[]',"
    "  mode TEXT NOT NULL DEFAULT 'offline',"
    "  state TEXT NOT NULL, exit_code INTEGER,"
    "  start_time REAL NOT NULL, heartbeat REAL NOT NULL, end_time REAL,"
    "  heartbeat_ms INTEGER NOT NULL,"
    "  host TEXT, boot_id TEXT, pid INTEGER, pid_start INTEGER,"
    "  user TEXT, os TEXT, command TEXT, cwd TEXT, git TEXT, version TEXT,"
    "  rows INTEGER NOT NULL DEFAULT 0, last_step INTEGER NOT NULL DEFAULT -1,"
    "  dropped INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE summary(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE metric("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  axis TEXT NOT NULL CHECK(axis IN ('step','time')),"
    "  is_int INTEGER NOT NULL DEFAULT 0, step_metric TEXT,"
    "  summary INTEGER NOT NULL DEFAULT 0, goal INTEGER NOT NULL DEFAULT 0,"
    "  hidden INTEGER NOT NULL DEFAULT 0,"
    "  n INTEGER NOT NULL DEFAULT 0, x_min INTEGER, x_max INTEGER,"
    "  y_min REAL, y_max REAL, y_last REAL,"
    "  tail_from INTEGER, tail_n INTEGER NOT NULL DEFAULT 0,"
    "  tail_rows INTEGER NOT NULL DEFAULT 0,"
    "  media INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE metric_rule("
    "  pattern TEXT PRIMARY KEY, step_metric TEXT,"
    "  summary INTEGER NOT NULL, goal INTEGER NOT NULL);"
    "CREATE TABLE chunk("
    "  metric_id INTEGER NOT NULL REFERENCES metric(id),"
    "  first_x INTEGER NOT NULL, last_x INTEGER NOT NULL, n INTEGER NOT NULL,"
    "  y_min REAL, y_max REAL, y_first REAL, y_last REAL,"
    "  crc INTEGER NOT NULL, blocks BLOB, data BLOB NOT NULL);"
    /* Covering the header columns: decimation reads chunk headers from the
     * index alone, never paging through the blobs (cold caches, big runs). */
    "CREATE INDEX chunk_by_x ON chunk(metric_id, first_x, last_x, n,"
    "  y_min, y_max, y_first, y_last);"
    /* Non-scalar values (strings, JSON, huge integers): one batch a flush,
     * entries in the order logged; see docs/format.md. */
    "CREATE TABLE object_batch(id INTEGER PRIMARY KEY, first_x INTEGER NOT NULL,"
    "  last_x INTEGER NOT NULL, n INTEGER NOT NULL, crc INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE INDEX object_batch_by_x ON object_batch(first_x, last_x);"
    "CREATE TABLE log(seq INTEGER PRIMARY KEY, t REAL NOT NULL,"
    "  stream INTEGER NOT NULL, line TEXT NOT NULL);"
    "CREATE TABLE file(path TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    "  mtime REAL NOT NULL, data BLOB NOT NULL);"
    "CREATE TABLE sync(target TEXT NOT NULL, stream TEXT NOT NULL,"
    "  cursor INTEGER NOT NULL, PRIMARY KEY(target, stream));" MEDIA_TABLES_SQL;

int schema_error(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: return TALLY_OK;
    case SQLITE_NOMEM: return TALLY_ENOMEM;
    case SQLITE_FULL: return TALLY_ENOSPC;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return TALLY_EACCES;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT: return TALLY_ECORRUPT;
    case SQLITE_CANTOPEN: return TALLY_ENOTFOUND;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return TALLY_EBUSY;
    default: return TALLY_EIO;
    }
}

int schema_create(sqlite3 *db)
{
    char stamp[128];
    sqlite3_snprintf(sizeof stamp, stamp, "PRAGMA application_id=%d; PRAGMA user_version=%d;",
                     SCHEMA_APPLICATION_ID, TALLY_SCHEMA_VERSION);
    int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, stamp, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return schema_error(rc);
}

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

int schema_check(sqlite3 *db, int *version)
{
    int app = 0, ver = 0;
    int rc = pragma_int(db, "PRAGMA application_id", &app);
    if (rc == SQLITE_OK)
        rc = pragma_int(db, "PRAGMA user_version", &ver);
    if (rc != SQLITE_OK)
        return schema_error(rc) == TALLY_EIO ? TALLY_ECORRUPT : schema_error(rc);
    *version = ver;
    if (app != SCHEMA_APPLICATION_ID || ver < 1)
        return TALLY_ECORRUPT;
    if (ver > TALLY_SCHEMA_VERSION)
        return TALLY_EVERSION;
    return TALLY_OK;
}

/* Version 3 -> 4 adds only: the metric.media column and the media and
 * blob tables.  One transaction, so a crash leaves a 3 or a 4, never half. */
static const char migrate_3_sql[] =
    "ALTER TABLE metric ADD COLUMN media INTEGER NOT NULL DEFAULT 0;" MEDIA_TABLES_SQL;

int schema_migrate(sqlite3 *db, int *version)
{
    if (*version == TALLY_SCHEMA_VERSION)
        return TALLY_OK;
    if (*version != 3)
        return TALLY_EVERSION; /* 1 and 2 are read, never appended to */
    char stamp[64];
    sqlite3_snprintf(sizeof stamp, stamp, "PRAGMA user_version=%d;", TALLY_SCHEMA_VERSION);
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return schema_error(rc);
    /* Checked again under the write lock: another process may have migrated it. */
    int now = 0;
    rc = pragma_int(db, "PRAGMA user_version", &now);
    if (rc == SQLITE_OK && now == 3) {
        rc = sqlite3_exec(db, migrate_3_sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, stamp, NULL, NULL, NULL);
    } else if (rc == SQLITE_OK && now != TALLY_SCHEMA_VERSION) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return TALLY_EVERSION;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return schema_error(rc);
    }
    *version = TALLY_SCHEMA_VERSION;
    return TALLY_OK;
}

int schema_open_rw(const char *path, int busy_ms, sqlite3 **out)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return errno == EACCES ? TALLY_EACCES : TALLY_ENOTFOUND;
    sqlite3 *db = NULL;
    int rc = schema_error(
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL));
    int version = 0;
    if (!rc) {
        sqlite3_busy_timeout(db, busy_ms);
        rc = schema_check(db, &version);
    }
    /* The tables written this way (sync, run) are the same in every version
     * so far; a newer file is never written. */
    if (!rc && (version < 1 || version > TALLY_SCHEMA_VERSION))
        rc = TALLY_EVERSION;
    /* A write-protected file opens read-only: say so now, not at the first write. */
    if (!rc && sqlite3_db_readonly(db, "main") == 1)
        rc = TALLY_EACCES;
    if (rc) {
        sqlite3_close(db);
        return rc == TALLY_EIO ? TALLY_ECORRUPT : rc;
    }
    *out = db;
    return TALLY_OK;
}
