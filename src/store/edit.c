/*
 * edit.c — renaming, tagging, annotating and deleting runs (tally_store.h).
 * The writer of a live run keeps its own connection; these writes are one
 * short IMMEDIATE transaction each through a connection of their own, so
 * they wait (the busy timeout) rather than fail while it commits, and the
 * writer never rewrites the columns set here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "store/schema.h"
#include "tally_store.h"

#define EDIT_BUSY_MS 5000

static int tags_valid(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    int ok = cJSON_IsArray(j);
    for (const cJSON *it = ok ? j->child : NULL; it; it = it->next)
        ok &= cJSON_IsString(it);
    cJSON_Delete(j);
    return ok;
}

int tally_store_set_field(const char *path, const char *field, const char *value)
{
    if (!path || !field || !value)
        return TALLY_EINVAL;
    /* field names a column through this table only: never pasted from input. */
    static const struct {
        const char *field, *sql;
    } columns[] = {{"name", "UPDATE run SET name = ?"},
                   {"notes", "UPDATE run SET notes = ?"},
                   {"group", "UPDATE run SET grp = ?"},
                   {"tags", "UPDATE run SET tags = ?"}};
    const char *sql = NULL;
    for (size_t i = 0; i < sizeof columns / sizeof *columns; i++)
        if (strcmp(field, columns[i].field) == 0)
            sql = columns[i].sql;
    if (!sql || (strcmp(field, "tags") == 0 && !tags_valid(value)))
        return TALLY_EINVAL;
    sqlite3 *db;
    int rc = schema_open_rw(path, EDIT_BUSY_MS, &db);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = schema_error(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL));
    if (!rc)
        rc = schema_error(sqlite3_prepare_v2(db, sql, -1, &st, NULL));
    if (!rc) {
        sqlite3_bind_text(st, 1, value, -1, SQLITE_TRANSIENT);
        int src = sqlite3_step(st);
        rc = src == SQLITE_DONE ? TALLY_OK : schema_error(src);
    }
    sqlite3_finalize(st);
    if (!rc)
        rc = schema_error(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL));
    if (rc)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

int tally_store_delete(const char *path)
{
    if (!path)
        return TALLY_EINVAL;
    tally_store *st;
    int rc = tally_store_open(path, &st);
    if (rc)
        return rc;
    int running = tally_store_info(st)->state == TALLY_STATE_RUNNING;
    tally_store_close(st);
    if (running)
        return TALLY_EBUSY;
    if (unlink(path) != 0)
        return errno == EACCES || errno == EPERM ? TALLY_EACCES : TALLY_EIO;
    static const char *const companions[] = {"-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof companions / sizeof *companions; i++) {
        char p[4096];
        if (snprintf(p, sizeof p, "%s%s", path, companions[i]) < (int)sizeof p)
            unlink(p); /* most are not there */
    }
    return TALLY_OK;
}
