/*
 * sync_state.c — sync cursors in the run file's `sync(target, stream,
 * cursor)` table (tally_store.h).  Owns the one read-write connection sync
 * opens on a run file; src/sync writes a cursor only after the server
 * acknowledged what it counts.  Safe beside the run's live writer: WAL and
 * a busy timeout, and every write is one short IMMEDIATE transaction.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "store/runlock.h"
#include "store/schema.h"
#include "tally_store.h"

#define SYNC_BUSY_MS 5000

struct tally_sync_state {
    sqlite3 *db;
    runlock *lock; /* keeps the process's descriptor of the file (runlock.h) */
    sqlite3_stmt *get, *set, *clear;
};

int tally_sync_state_open(const char *path, tally_sync_state **out)
{
    if (!path || !out)
        return TALLY_EINVAL;
    *out = NULL;
    tally_sync_state *s = calloc(1, sizeof *s);
    if (!s)
        return TALLY_ENOMEM;
    if (runlock_open(path, &s->lock) == TALLY_ENOMEM) {
        free(s);
        return TALLY_ENOMEM;
    }
    /* The sync table is the same in every version so far: runs of an older
     * tally can still be synced and keep their cursors. */
    int rc = schema_open_rw(path, SYNC_BUSY_MS, &s->db);
    /* What a cursor write or clear deletes is overwritten with zeros, not
     * left in free space: a forgotten target is gone from the file.  A
     * cursor commit must survive the process (kill -9), which needs no
     * fsync; NORMAL keeps the ones that guard against a power cut at the
     * critical moments but not every commit's full set: sync writes one
     * per media file it PUTs. */
    if (!rc)
        sqlite3_exec(s->db, "PRAGMA secure_delete = ON; PRAGMA synchronous = NORMAL", NULL,
                     NULL, NULL);
    if (!rc)
        rc = schema_error(sqlite3_prepare_v2(
            s->db, "SELECT cursor FROM sync WHERE target = ? AND stream = ?", -1, &s->get, NULL));
    if (!rc)
        rc = schema_error(sqlite3_prepare_v2(
            s->db, "INSERT OR REPLACE INTO sync(target, stream, cursor) VALUES(?,?,?)", -1,
            &s->set, NULL));
    if (!rc)
        rc = schema_error(sqlite3_prepare_v2(s->db, "DELETE FROM sync WHERE target = ?", -1,
                                             &s->clear, NULL));
    if (rc) {
        tally_sync_state_close(s);
        return rc == TALLY_EIO ? TALLY_ECORRUPT : rc;
    }
    *out = s;
    return TALLY_OK;
}

void tally_sync_state_close(tally_sync_state *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->set);
    sqlite3_finalize(s->clear);
    sqlite3_close(s->db);
    runlock_close(s->lock); /* after SQLite let go of the file */
    free(s);
}

int tally_sync_cursor_get(tally_sync_state *s, const char *target, const char *stream,
                          int64_t def, int64_t *cursor)
{
    if (!s || !target || !stream || !cursor)
        return TALLY_EINVAL;
    sqlite3_reset(s->get);
    sqlite3_bind_text(s->get, 1, target, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s->get, 2, stream, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(s->get);
    *cursor = src == SQLITE_ROW ? sqlite3_column_int64(s->get, 0) : def;
    sqlite3_reset(s->get);
    return src == SQLITE_ROW || src == SQLITE_DONE ? TALLY_OK : schema_error(src);
}

static int exec(sqlite3 *db, const char *sql)
{
    return schema_error(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

int tally_sync_cursor_set(tally_sync_state *s, const char *target, const char *const *streams,
                          const int64_t *cursors, size_t n)
{
    if (!s || !target || (n && (!streams || !cursors)))
        return TALLY_EINVAL;
    int rc = exec(s->db, "BEGIN IMMEDIATE");
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_reset(s->set);
        sqlite3_bind_text(s->set, 1, target, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s->set, 2, streams[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s->set, 3, cursors[i]);
        int src = sqlite3_step(s->set);
        if (src != SQLITE_DONE)
            rc = schema_error(src);
        sqlite3_reset(s->set);
    }
    if (!rc)
        rc = exec(s->db, "COMMIT");
    if (rc)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int tally_sync_cursor_clear(tally_sync_state *s, const char *target)
{
    if (!s || !target)
        return TALLY_EINVAL;
    sqlite3_reset(s->clear);
    sqlite3_bind_text(s->clear, 1, target, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(s->clear);
    sqlite3_reset(s->clear);
    return src == SQLITE_DONE ? TALLY_OK : schema_error(src);
}
