/*
 * writer.h — writes one run file.  Used by the core's flusher thread only:
 * a writer is not thread-safe, and every call between writer_begin() and
 * writer_commit() lands in one transaction.
 */
#ifndef TALLY_WRITER_H
#define TALLY_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "tally_store.h"

/* The most points a chunk row holds as written; a flush of more points
 * writes several rows.  Also the size at which a metric's open tail (the
 * rows since the last close) is closed. */
#define WRITER_CHUNK_POINTS 8192
/* When a tail closes, rows of fewer points than this on average are merged
 * into one (about WRITER_CHUNK_POINTS points); bigger ones stay as written. */
#define WRITER_MERGE_POINTS 64
/* A flush that brings fewer than WRITER_MERGE_POINTS points for a metric
 * whose newest row is still that small (its blob under this many bytes)
 * rewrites that row with the new points instead of adding one: a slow
 * metric then dirties the same page every flush rather than new ones, and
 * its rows need no merge when the tail closes.  Small enough that the row
 * stays on its leaf page (no overflow pages to rewrite). */
#define WRITER_GROW_BYTES 1024
/* Commits without new points after which a metric's tail is closed. */
#define WRITER_IDLE_FLUSHES 30

typedef struct store_writer store_writer;

/* The run row as the writer first stores it. */
typedef struct writer_run_row {
    const char *id, *project, *name, *group, *job_type, *notes, *tags_json, *mode;
    const char *host, *boot_id, *user, *os, *command_json, *cwd, *version;
    int64_t pid, pid_start;
    int heartbeat_ms;
    double start_time;
} writer_run_row;

/* A metric already in a file being resumed. */
typedef struct writer_metric_row {
    int64_t id;
    char *name;
    tally_axis axis;
    int is_int;
    int media; /* its tally_media_type, or 0 */
} writer_metric_row;

/* Creates a new run file: path must not exist, or be the empty file a
 * claim created (runlock_create). */
int writer_create(const char *path, const writer_run_row *row, store_writer **out);
/* Opens an existing run file to append to it; refuses one whose writer is
 * alive (TALLY_EBUSY).  Fills the resume point and the metrics it holds
 * (*metrics malloc'd; free with writer_metric_rows_free). */
int writer_resume(const char *path, const writer_run_row *row, store_writer **out,
                  int64_t *rows, int64_t *last_step, double *start_time,
                  writer_metric_row **metrics, size_t *nmetrics);
void writer_metric_rows_free(writer_metric_row *metrics, size_t n);
/* Calls fn for each tally_define_metric() rule the file holds (resume). */
typedef int (*writer_rule_fn)(void *ctx, const char *pattern, const char *step_metric,
                              unsigned summary, int goal);
int writer_rules(store_writer *w, writer_rule_fn fn, void *ctx);
/* Closes the file: checkpoints the WAL and, when no reader holds the file,
 * turns it back into a single self-contained file. */
void writer_close(store_writer *w);

int writer_begin(store_writer *w);
int writer_commit(store_writer *w);
/* Rolls back and forgets the in-memory tail chunks, so the next
 * transaction starts from what is really on disk. */
void writer_rollback(store_writer *w);

int writer_metric_create(store_writer *w, int64_t id, const char *name, tally_axis axis,
                         int hidden);
int writer_metric_meta(store_writer *w, int64_t id, int is_int, const char *step_metric,
                       unsigned summary, int goal, int hidden);
/* Appends points (x non-decreasing, and not below what the metric holds). */
int writer_points(store_writer *w, int64_t metric_id, const int64_t *x, const double *y,
                  size_t n);
int writer_object(store_writer *w, int64_t metric_id, int64_t x, const char *type,
                  const char *json);
/* One file of an object, stored once by content (blob table). */
typedef struct writer_blob {
    const char *sha256; /* 64 lowercase hex digits of data */
    const char *format; /* "png", "wav", "gif", "mp4", "webm", "ogg", "json" */
    const void *data;
    size_t size;
} writer_blob;
/* Stores an object of metric_id at step x: its files (INSERT OR IGNORE by
 * sha256), its media row with meta (crc32 of the text), and the key's
 * n / x range and metric.media = type.  A second object of the key at the
 * same x is ignored. */
int writer_media(store_writer *w, int64_t metric_id, int64_t x, int type, const char *meta,
                 const writer_blob *files, size_t nfiles);
/* Upserts a summary / config key; json NULL deletes it. */
int writer_summary(store_writer *w, const char *key, const char *json);
int writer_config(store_writer *w, const char *key, const char *json);
int writer_rule(store_writer *w, const char *pattern, const char *step_metric,
                unsigned summary, int goal);
int writer_log(store_writer *w, double t, int stream, const char *line, size_t len);
int writer_file(store_writer *w, const char *name, const void *data, size_t size,
                double mtime);
/* Sets a text column of the run row ("git", "name", "notes", ...). */
int writer_run_text(store_writer *w, const char *column, const char *value);
/* dropped: values this writer's run refused because the disk did not keep
 * up (TALLY_EFULL); the file adds what earlier writers of a resumed run
 * dropped. */
int writer_progress(store_writer *w, int64_t rows, int64_t last_step, int64_t dropped,
                    double heartbeat);
int writer_end(store_writer *w, const char *state, int exit_code, double end_time);
/* Makes the next commit durable against power loss, not just a crash. */
void writer_set_durable(store_writer *w);

#endif
