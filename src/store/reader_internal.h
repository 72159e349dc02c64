/*
 * reader_internal.h — the read handle behind tally_store.h, shared by
 * reader.c (run row, metrics, summary, logs, files), series.c (decimated
 * series and point cursors) and catalog.c.
 */
#ifndef TALLY_READER_INTERNAL_H
#define TALLY_READER_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>

#include "common/buf.h"
#include "tally_store.h"

#define STORE_POOL_MAX 16

struct tally_store {
    sqlite3 *db;
    char *path;
    struct runlock *lock; /* this process's descriptor of the file (runlock.h), or NULL */
    tally_run_info info;
    tally_metric_info *metrics;
    size_t nmetrics, capmetrics;
    char **strings; /* what info and metrics point into, freed on reload */
    size_t nstrings, capstrings;
    int64_t version;      /* PRAGMA data_version at the last reload */
    double last_liveness; /* when a running run's writer was last checked */
    int has_dropped;      /* the run row has the dropped column (newer files) */
    int has_media;        /* the media tables exist (schema 4; media.c) */
    tally_media_key *mkeys; /* the keys holding objects, pointing into metrics */
    size_t nmkeys, capmkeys;
    sqlite3_stmt *q_blob, *q_media_steps, *q_media_last;
    sqlite3_stmt *q_run, *q_metrics, *q_version, *q_summary, *q_config, *q_chunks, *q_data,
        *q_logs, *q_files, *q_file, *q_logs_before, *q_log_count, *q_log_find[4];
    /* Damage met so far (tally_store_damage), each row once: seen holds
     * its kind (0 chunk, 1 object batch) and rowid. */
    tally_damage *damage;
    struct store_damage_key {
        int kind;
        int64_t rowid;
    } *seen;
    size_t ndamage, capdamage;
    /* Statements of closed point cursors, kept for the next ones: a history
     * of a million metrics opens a million cursors, and parsing their SQL
     * would cost more than reading them. */
    struct store_points_stmts {
        sqlite3_stmt *chunks, *data;
    } pool[STORE_POOL_MAX];
    size_t npool;
};

/* The most damaged rows a handle lists; more are still skipped. */
#define STORE_DAMAGE_MAX 1024

/* Records a damaged row (once) for tally_store_damage.  kind: 0 a chunk,
 * 1 an object batch, 2 a media row, 3 a blob (named by metric_id / name:
 * the key of the object that names it). */
void store_damage(tally_store *st, int kind, int64_t rowid, int64_t metric_id,
                  int64_t first_x, int64_t last_x, int64_t n);
void store_damage_named(tally_store *st, int kind, int64_t rowid, int64_t metric_id,
                        const char *name, int64_t first_x, int64_t last_x, int64_t n);

/* ---- media (media.c) ---- */
/* 1 when the file has the media tables and metric.media (schema 4). */
int store_media_probe(tally_store *st);
/* Rebuilds the media key list from the metric list just loaded. */
int store_media_keys_load(tally_store *st);
/* The wandb JSON of the newest readable object of key (malloc'd), or
 * TALLY_ENOTFOUND. */
int store_media_summary(tally_store *st, const char *key, char **json_out);

/* Opens a run file read-only, as every reader must: immutable when it is
 * in WAL mode with no -wal beside it (no side files), and with the hot
 * journal a killed process left played back first (reader.c).  *db is
 * NULL on failure. */
int store_open_readonly(const char *path, sqlite3 **db);

/* Prepares *slot once (persistent), then resets it for reuse. */
int store_prepare(tally_store *st, sqlite3_stmt **slot, const char *sql);
/* A REAL column; NULL (how SQLite stores NaN) reads as NaN. */
double store_column_real(sqlite3_stmt *s, int i);

#endif
