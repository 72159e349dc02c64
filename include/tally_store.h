/*
 * tally_store.h — the public read API over tally run files.
 *
 * Opens run files read-only (also while a live run is writing them), lists
 * runs under a store root, and reads metrics, decimated series, raw points,
 * summary, config, console logs and saved files.  The dashboard, the CLI and
 * sync read runs only through this header.
 *
 * Functions return 0 or a negative TALLY_E* code (see tally.h).  Strings in
 * the structs returned here are borrowed from the store handle and stay valid
 * until the next tally_store_refresh() or tally_store_close() on it.  Text
 * read from a run is untrusted: sanitise it before it reaches a terminal.
 */
#ifndef TALLY_STORE_H
#define TALLY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tally.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The newest run-file schema this library reads and writes. */
#define TALLY_SCHEMA_VERSION 4 /* 4: the media tables (docs/format.md) */

typedef enum tally_state {
    TALLY_STATE_RUNNING = 0,
    TALLY_STATE_FINISHED = 1,
    TALLY_STATE_FAILED = 2,
    TALLY_STATE_CRASHED = 3 /* stored as running, but its process is gone */
} tally_state;

const char *tally_state_name(tally_state state); /* "running", "finished", ... */

typedef struct tally_run_info {
    const char *path;     /* the run file */
    const char *id, *project, *name, *group, *job_type, *notes, *mode;
    const char *tags_json;    /* JSON array of strings */
    const char *host, *user, *os, *cwd, *version;
    const char *command_json; /* JSON array: the program's argv */
    const char *git_json;     /* JSON object, or NULL when unknown */
    const char *summary_json; /* JSON object (see tally_store_summary) */
    const char *config_json;  /* JSON object (see tally_store_config) */
    tally_state state;
    int has_exit_code, exit_code;
    double start_time; /* Unix seconds */
    double heartbeat;  /* Unix seconds of the writer's last sign of life */
    double end_time;   /* Unix seconds; 0 while running */
    int64_t pid;
    int64_t rows;      /* history rows (committed steps) stored */
    int64_t last_step; /* -1 when no row yet */
    int schema_version;
    int64_t dropped; /* values refused (TALLY_EFULL) because the disk did not keep up */
} tally_run_info;

typedef enum tally_axis {
    TALLY_AXIS_STEP = 0, /* x is the run's _step */
    TALLY_AXIS_TIME = 1  /* x is milliseconds since the run started (system samples) */
} tally_axis;

typedef struct tally_metric_info {
    int64_t id;
    const char *name;
    tally_axis axis;
    int is_int;              /* every value logged so far was an integer */
    int media;               /* a tally_media_type when the key holds objects (images,
                              * tables, ...: read them with tally_media_open), else 0 */
    const char *step_metric; /* custom x-axis metric name, or NULL */
    unsigned summary;        /* TALLY_SUMMARY_* bits */
    int goal;                /* TALLY_GOAL_* */
    int hidden;              /* _timestamp, _runtime */
    int64_t n;               /* points stored */
    int64_t x_min, x_max;    /* valid when n > 0 */
    double y_min, y_max;     /* over non-NaN values (infinities count); NaN when none */
    double y_last;
} tally_metric_info;

typedef struct tally_store tally_store;

/* Opens a run file read-only.  TALLY_ECORRUPT: not a run file or damaged;
 * TALLY_EVERSION: written by a newer tally; TALLY_ENOTFOUND: no such file;
 * TALLY_EACCES: a process killed while it wrote the file (a sync) left a
 * journal to play back, which needs write access (docs/format.md). */
int tally_store_open(const char *path, tally_store **out);
void tally_store_close(tally_store *store);

/* Re-reads the run row and metric list if the file changed since the last
 * call (cheap: one PRAGMA data_version when nothing changed).  *changed, when
 * not NULL, tells whether anything did.  Invalidates borrowed strings. */
int tally_store_refresh(tally_store *store, int *changed);

const tally_run_info *tally_store_info(const tally_store *store);
size_t tally_store_metric_count(const tally_store *store);
const tally_metric_info *tally_store_metric(const tally_store *store, size_t i);
const tally_metric_info *tally_store_find_metric(const tally_store *store, const char *name);

/* One bucket of a decimated series.  n == 0: no point fell in it (the other
 * fields are then 0 / NaN).  y_min / y_max ignore NaN (NaN when every point
 * was NaN); y_first / y_last are the first and last points as logged. */
typedef struct tally_bucket {
    int64_t x_first, x_last, n;
    double y_min, y_max, y_first, y_last;
} tally_bucket;

/* Splits [x0, x1] into nbuckets equal spans and fills out[0..nbuckets-1]
 * with the points of metric_id in each.  Reads only the chunks that overlap
 * the range, and decodes only those that straddle a bucket edge (a chunk
 * taken whole is counted from its header).  A decoded chunk that fails its
 * checksum is left out and recorded (tally_store_damage): the chart shows
 * a gap, not wrong values. */
int tally_store_series(tally_store *store, int64_t metric_id, int64_t x0, int64_t x1,
                       size_t nbuckets, tally_bucket *out);

/* The bucket index of x for that split (what tally_store_series uses). */
size_t tally_bucket_index(int64_t x, int64_t x0, int64_t x1, size_t nbuckets);

/* Raw points of a metric in x order, bit-exact as logged.  Every chunk is
 * checked against its checksum before its points are returned. */
typedef struct tally_points tally_points;
int tally_points_open(tally_store *store, int64_t metric_id, int64_t x0, int64_t x1,
                      tally_points **out);
/* 1 and a point; 0 at the end; < 0 on error.  TALLY_ECORRUPT: a damaged
 * chunk was skipped (and recorded, see tally_store_damage); calling again
 * goes on with the next one. */
int tally_points_next(tally_points *points, int64_t *x, double *y);
void tally_points_close(tally_points *points);

/* Non-scalar values (strings, JSON values, huge integers) in step order. */
typedef struct tally_object {
    int64_t metric_id, x;
    const char *type; /* "string", "json", "int" */
    const char *json; /* the value as JSON text */
} tally_object;
typedef struct tally_objects tally_objects;
int tally_objects_open(tally_store *store, int64_t x0, int64_t x1, tally_objects **out);
/* 1, 0 or < 0; TALLY_ECORRUPT: a damaged batch of values was skipped (and
 * recorded); calling again goes on with the next. */
int tally_objects_next(tally_objects *objects, tally_object *out);
void tally_objects_close(tally_objects *objects);

/* Damaged data met by the reads on this handle so far: each chunk or batch
 * of values whose checksum (or encoding) did not hold, once, with its
 * metric and the x range its row claims.  What was damaged is left out of
 * every read; the rest of the run reads as usual. */
typedef struct tally_damage {
    int64_t metric_id;       /* -1: a batch of strings / JSON values */
    const char *metric;      /* its name; "strings and JSON values" for a batch */
    int64_t first_x, last_x; /* as the damaged row's header says */
    int64_t n;               /* points (values) the row claims to hold */
} tally_damage;
size_t tally_store_damage_count(const tally_store *store);
const tally_damage *tally_store_damage(const tally_store *store, size_t i);

/* Summary and config as JSON objects, malloc'd: the caller frees them. */
int tally_store_summary(tally_store *store, char **json_out);
int tally_store_config(tally_store *store, char **json_out);

/* Console lines with seq > after_seq, oldest first, at most max (0: all). */
typedef struct tally_log_line {
    int64_t seq;
    double t;   /* Unix seconds */
    int stream; /* 1 stdout, 2 stderr */
    const char *text;
} tally_log_line;
typedef int (*tally_log_fn)(void *ctx, const tally_log_line *line); /* nonzero stops */
int tally_store_logs(tally_store *store, int64_t after_seq, size_t max, tally_log_fn fn,
                     void *ctx);
/* The max console lines just before before_seq (INT64_MAX: the newest), oldest
 * first: with tally_store_logs(), any window of a log of any length. */
int tally_store_logs_before(tally_store *store, int64_t before_seq, size_t max,
                            tally_log_fn fn, void *ctx);
/* How many console lines have seq < before_seq (INT64_MAX: all of them). */
int tally_store_log_count(tally_store *store, int64_t before_seq, int64_t *count);
/* The nearest line containing needle: dir < 0 the newest with seq < from_seq,
 * dir > 0 the oldest with seq > from_seq.  An all-lowercase needle matches
 * ASCII letters in any case ("smart case").  *seq_out, or TALLY_ENOTFOUND. */
int tally_store_log_find(tally_store *store, const char *needle, int64_t from_seq, int dir,
                         int64_t *seq_out);

/* Saved files (diff.patch, requirements, ...). */
typedef struct tally_file_info {
    const char *path;
    int64_t size;
    double mtime; /* Unix seconds */
} tally_file_info;
typedef int (*tally_file_fn)(void *ctx, const tally_file_info *file); /* nonzero stops */
int tally_store_files(tally_store *store, tally_file_fn fn, void *ctx);
/* The bytes of one saved file, malloc'd: the caller frees *data. */
int tally_store_file_read(tally_store *store, const char *path, void **data, size_t *size);

/* Runs under a store root (<root>/<project>/<stamp>-<id>.db), newest first.  Files that
 * cannot be read are skipped: `skipped` of them, each named in `skips` with
 * why (TALLY_ECORRUPT: not a tally run file; TALLY_EVERSION; TALLY_EACCES ...).
 * Finished runs another process already read come from a cache of unchanged
 * files ($TALLY_CACHE_DIR, else $XDG_CACHE_HOME/tally or ~/.cache/tally;
 * TALLY_CACHE_DIR=none: off). */
typedef struct tally_run_skip {
    const char *path;
    int error; /* TALLY_E* */
} tally_run_skip;
typedef struct tally_run_list {
    size_t n, skipped;
    tally_run_info *runs;  /* strings owned by the list */
    tally_run_skip *skips; /* skipped entries, owned by the list */
} tally_run_list;
int tally_store_list(const char *root, tally_run_list **out);
/* Brings *list (from tally_store_list) up to date with root, cheaply: a
 * file is read again only when its size or mtime (or its WAL's) changed,
 * or, for a running run, every few seconds (its writer may have died); a
 * finished run is never read again.  *list may be replaced: runs of the
 * old one that did not change move over (their strings stay valid).
 * *changed, when not NULL: whether anything did.  On error *list stays. */
int tally_store_list_refresh(const char *root, tally_run_list **list, int *changed);
void tally_run_list_free(tally_run_list *list);

/* Resolves RUN — a run file path, or a run id (or a unique prefix of one)
 * under root — to a malloc'd path.  Ids are the ones the files store, not
 * their names.  An exact id wins over longer ids it is a prefix of.
 * TALLY_ENOTFOUND, or TALLY_EINVAL for an ambiguous prefix (list the
 * candidates with tally_store_matches). */
int tally_store_resolve(const char *root, const char *run, char **path_out);

/* A run file and the id it stores, both malloc'd. */
typedef struct tally_run_match {
    char *path, *id;
} tally_run_match;
/* Every run under root whose stored id starts with id_prefix, in path
 * order (*out malloc'd, NULL when none). */
int tally_store_matches(const char *root, const char *id_prefix, tally_run_match **out,
                        size_t *n);
void tally_run_matches_free(tally_run_match *matches, size_t n);

/* The store root used when none is given: $TALLY_DIR, else "./tally". */
const char *tally_store_default_root(void);


/* ---- media and objects (src/store/media.c) ----
 *
 * What tally_log_image() and its siblings stored: each object is a row of
 * its key at its step, with metadata; the files (PNG, WAV, GIF, table JSON)
 * live once per sha256 in the run file and are verified against their
 * checksum when read.  Read only through here (dashboard, CLI, sync). */

typedef enum tally_media_type {
    TALLY_MEDIA_IMAGE = 1,     /* one image (wandb "image-file") */
    TALLY_MEDIA_IMAGES = 2,    /* a gallery at one step ("images/separated") */
    TALLY_MEDIA_HISTOGRAM = 3, /* counts and edges, inline ("histogram") */
    TALLY_MEDIA_TABLE = 4,     /* "table-file" */
    TALLY_MEDIA_AUDIO = 5,     /* "audio-file" */
    TALLY_MEDIA_VIDEO = 6,     /* "video-file" */
    TALLY_MEDIA_PLOT = 7       /* a custom chart: a table plus its preset */
} tally_media_type;

/* "image", "images", "histogram", "table", "audio", "video", "plot"; NULL
 * for anything else. */
const char *tally_media_type_name(int type);

/* A key that holds objects.  One key holds one type. */
typedef struct tally_media_key {
    int64_t metric_id;
    const char *name;
    tally_media_type type;
    int64_t count;                /* objects stored */
    int64_t first_step, last_step; /* valid when count > 0 */
} tally_media_key;

/* The keys holding objects, in id order; re-read by tally_store_refresh(). */
size_t tally_store_media_key_count(const tally_store *store);
const tally_media_key *tally_store_media_key(const tally_store *store, size_t i);
const tally_media_key *tally_store_find_media_key(const tally_store *store, const char *name);

/* One file of an object: the image of an image, each image of a gallery,
 * the PNG of a table's image cell, the table JSON of a table or plot, the
 * WAV of an audio, the video. */
typedef struct tally_media_file {
    char sha256[65]; /* lowercase hex */
    int64_t size;    /* bytes */
    const char *format; /* "png", "wav", "gif", "mp4", "webm", "ogg", "json" */
    int width, height;  /* images and video; 0 otherwise */
    const char *caption; /* or NULL */
    /* Where wandb's run directory keeps it:
     * media/images/<key>_<step>_<sha256[:20]>.png, media/table/...table.json,
     * media/videos/..., media/audio/... (a '/' in a key makes folders). */
    const char *path;
} tally_media_file;

/* One object.  Strings and arrays are borrowed until the next call on the
 * iterator (or its close). */
typedef struct tally_media {
    int64_t metric_id;
    const char *key;
    int64_t step;
    tally_media_type type;
    const char *meta_json;  /* the stored metadata (docs/format.md) */
    /* The value wandb's history row holds for it, with paths under media/:
     * {"_type":"image-file",...}, {"_type":"histogram","values":..,"bins":..}. */
    const char *wandb_json;
    size_t nfiles;
    const tally_media_file *files; /* nfiles: a gallery's images in order,
                                      a table's JSON first then its image cells */
    /* by type (0 / NULL when not that type) */
    int width, height;         /* image: its size; gallery: the first image's */
    double fps;                /* video made from frames, or a GIF */
    int nframes;               /* video */
    int sample_rate, channels; /* audio */
    double duration;           /* audio, video: seconds (0: unknown) */
    int64_t nrows, ncols;      /* table, plot */
    const char *preset;        /* plot: "line", "scatter", ... */
    const char *fields_json;   /* plot: {"x":"epoch",...} */
    const char *title;         /* plot, or NULL */
    const char *panel_json;    /* plot: the _wandb.visualize.<key> config value */
} tally_media;

/* Objects of one key (metric_id; -1: every key) with step in [step0, step1],
 * in step order (then key id).  A damaged row is skipped and recorded
 * (tally_store_damage); tally_media_next returns TALLY_ECORRUPT for it once
 * and goes on with the next call. */
typedef struct tally_media_iter tally_media_iter;
int tally_media_open(tally_store *store, int64_t metric_id, int64_t step0, int64_t step1,
                     tally_media_iter **out);
int tally_media_next(tally_media_iter *it, tally_media *out); /* 1, 0 or < 0 */
void tally_media_close(tally_media_iter *it);

/* The steps at which a key holds an object, ascending, malloc'd (a step
 * slider).  *steps NULL when none. */
int tally_media_steps(tally_store *store, int64_t metric_id, int64_t **steps, size_t *n);

/* The bytes of a stored file by its sha256, malloc'd (caller frees).
 * TALLY_ECORRUPT when they fail their checksum; TALLY_ENOTFOUND. */
int tally_store_blob(tally_store *store, const char *sha256, void **data, size_t *size);

/* An image decoded to 8-bit RGBA, rows top to bottom, width * 4 bytes each. */
typedef struct tally_rgba {
    int width, height;
    unsigned char *pixels; /* malloc'd */
} tally_rgba;
/* Decodes a stored PNG / JPEG / GIF (its first frame) by sha256. */
int tally_store_image_rgba(tally_store *store, const char *sha256, tally_rgba *out);
void tally_rgba_free(tally_rgba *image);

/* A histogram object's bins: counts[nbins], edges[nbins + 1], malloc'd. */
typedef struct tally_histogram {
    size_t nbins;
    double *counts, *edges;
} tally_histogram;
int tally_media_histogram(const tally_media *media, tally_histogram *out);
void tally_histogram_free(tally_histogram *hist);

/* A table (or a plot's table): columns, and cells as JSON text, row-major.
 * An image cell is {"_type":"image-file","sha256":...,"path":...,...}. */
typedef struct tally_table {
    size_t ncols, nrows;
    char **columns; /* ncols, UTF-8 */
    char **cells;   /* nrows * ncols JSON values */
} tally_table;
int tally_media_table(tally_store *store, const tally_media *media, tally_table **out);
void tally_table_free(tally_table *table);

/* An audio object's samples as float in -1..1, interleaved, malloc'd. */
typedef struct tally_pcm {
    int sample_rate, channels;
    size_t frames;
    float *samples;
} tally_pcm;
int tally_media_audio(tally_store *store, const tally_media *media, tally_pcm *out);
void tally_pcm_free(tally_pcm *pcm);

/* ---- history rows (src/store/history.c) ----
 *
 * A consistent view: between tally_store_snapshot_begin() and _end() every
 * read on the handle (point cursors, objects, logs, summary) sees the file
 * as of one moment, and the metric list is re-read to match it.  Do not
 * call tally_store_refresh() inside a snapshot. */
int tally_store_snapshot_begin(tally_store *store);
int tally_store_snapshot_end(tally_store *store);

/* One column of a history row. */
typedef struct tally_history_cell {
    const tally_metric_info *metric;
    int kind;         /* 0: no value at this x; 1: a scalar in y; 2: JSON text in json
                       * (an object: its tally_media.wandb_json) */
    double y;
    const char *json; /* kind 2: the value as JSON, borrowed until the next row */
    const char *type; /* kind 2: "string", "json", "int", or a media type name */
} tally_history_cell;

/* One row: every value logged at one x (a step, or a sample time in ms). */
typedef struct tally_history_row {
    int64_t x;
    size_t ncells;
    const tally_history_cell *cells; /* the columns, see tally_history_open */
    int any; /* 1 when a selected, non-hidden metric has a value here */
    /* The cells holding a value (kind != 0), as indices into cells in
     * ascending order: a row of a run with a million metrics costs what it
     * holds, not its width. */
    size_t nset;
    const size_t *set;
} tally_history_row;

/* Rows of one axis in x order, x in [x0, x1], rebuilt from one cursor per
 * metric walking side by side, so memory stays flat however long the run.
 * Step axis: the columns are _timestamp, _runtime, then the metrics whose
 * name matches glob (fnmatch; NULL: all visible metrics) in id order, and
 * every committed step is a row (the _timestamp series drives them).  Time
 * axis: the time-axis metrics matching glob; a row per distinct sample time.
 * Opens a snapshot (above) held until tally_history_close(). */
typedef struct tally_history tally_history;
int tally_history_open(tally_store *store, tally_axis axis, const char *glob, int64_t x0,
                       int64_t x1, tally_history **out);
/* The columns, before the first row (for headers). */
const tally_history_cell *tally_history_columns(const tally_history *history, size_t *n);
int tally_history_next(tally_history *history, tally_history_row *row); /* 1, 0 or < 0 */
void tally_history_close(tally_history *history);

/* ---- editing runs (src/store/edit.c) ----
 *
 * What a user changes about a finished or live run from the dashboard.
 * Each call opens the file read-write for one short IMMEDIATE transaction
 * beside the run's live writer (WAL, busy timeout), and changes nothing
 * the writer owns. */

/* Sets the run's name, notes or group ("name", "notes", "group"), or its
 * tags ("tags": a JSON array of strings, anything else is TALLY_EINVAL). */
int tally_store_set_field(const char *path, const char *field, const char *value);
/* Deletes a run file and its -wal / -shm / -journal companions.
 * TALLY_EBUSY while the run's writer is alive: a running run is not
 * deleted. */
int tally_store_delete(const char *path);

/* ---- sync cursors (src/store/sync_state.c) ----
 *
 * How far each stream of a run has been acknowledged by a sync target, in
 * the run file's `sync` table.  A read-write connection of its own, safe
 * beside the run's live writer (WAL, busy timeout).  A missing cursor
 * reads as def. */
typedef struct tally_sync_state tally_sync_state;
int tally_sync_state_open(const char *path, tally_sync_state **out);
void tally_sync_state_close(tally_sync_state *state);
int tally_sync_cursor_get(tally_sync_state *state, const char *target, const char *stream,
                          int64_t def, int64_t *cursor);
/* Sets n cursors of target in one transaction: all or none. */
int tally_sync_cursor_set(tally_sync_state *state, const char *target,
                          const char *const *streams, const int64_t *cursors, size_t n);
/* Forgets every cursor of target (a full re-sync). */
int tally_sync_cursor_clear(tally_sync_state *state, const char *target);

#ifdef __cplusplus
}
#endif
#endif /* TALLY_STORE_H */
