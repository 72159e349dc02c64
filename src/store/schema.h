/*
 * schema.h — the run file's SQL schema and its version checks.  Owned by
 * src/store; docs/format.md is the human description of the same thing.
 */
#ifndef TALLY_SCHEMA_H
#define TALLY_SCHEMA_H

#include <sqlite3.h>

/* PRAGMA application_id of every run file: "TALY". */
#define SCHEMA_APPLICATION_ID 0x54414c59

/* Creates the tables in an empty database and stamps the version. */
int schema_create(sqlite3 *db);
/* Checks that db is a run file this library can read: TALLY_ECORRUPT when
 * it is not a run file, TALLY_EVERSION when it is newer; *version is set. */
int schema_check(sqlite3 *db, int *version);
/* Brings a file of an older version up to TALLY_SCHEMA_VERSION for a
 * writer that resumes it (3 -> 4: the media tables), in one transaction;
 * *version is updated.  TALLY_EVERSION for a version it cannot migrate. */
int schema_migrate(sqlite3 *db, int *version);
/* Opens an existing run file read-write beside its live writer (WAL, a
 * busy timeout of busy_ms): TALLY_ENOTFOUND, TALLY_EACCES (also for a
 * write-protected file), TALLY_ECORRUPT, or TALLY_EVERSION for a file
 * newer than this library, which is never written.  Callers write only
 * tables that are the same in every version (sync, the run row). */
int schema_open_rw(const char *path, int busy_ms, sqlite3 **out);
/* Maps an SQLite result code to a TALLY_E* code. */
int schema_error(int sqlite_rc);

#endif
