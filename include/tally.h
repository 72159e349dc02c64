/*
 * tally.h — the public logging API of libtally.
 *
 * A program creates a run with tally_init(), stages values into the current
 * step with tally_log*(), closes the step with tally_commit(), and ends with
 * tally_finish().  Every step lands in one SQLite file per run, written by a
 * background thread: no call here does file I/O on the caller's thread except
 * tally_init() (which creates the file) and the waits of tally_flush() and
 * tally_finish().
 *
 * Every function is thread-safe.  Every function that can fail returns 0 or a
 * negative TALLY_E* code; tally_strerror() explains it.  The library never
 * aborts or exits the host program and prints at most one warning line per
 * kind of problem per run (to stderr, prefixed "tally: "; silenced by
 * TALLY_QUIET=1).
 */
#ifndef TALLY_H
#define TALLY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TALLY_VERSION "0.1.0"

/* Error codes.  Always negative; 0 is success. */
enum {
    TALLY_OK = 0,
    TALLY_EINVAL = -1,    /* a NULL run or argument, or a value out of range */
    TALLY_EKEY = -2,      /* key empty, over TALLY_KEY_MAX bytes, not UTF-8, or reserved */
    TALLY_EUTF8 = -3,     /* a string value is not valid UTF-8 */
    TALLY_ESTEP = -4,     /* step earlier than the current one: history is append-only */
    TALLY_EJSON = -5,     /* malformed JSON, or not the JSON type asked for */
    TALLY_ENOMEM = -6,    /* out of memory */
    TALLY_EIO = -7,       /* the run file could not be written or read */
    TALLY_ENOSPC = -8,    /* the disk is full; data is kept in memory and retried */
    TALLY_EACCES = -9,    /* permission denied (read-only directory or file) */
    TALLY_EFINISHED = -10, /* the run is finished (or the handle is not a live run) */
    TALLY_EFULL = -11,    /* the write buffer is full: the disk is not keeping up; value dropped */
    TALLY_ECORRUPT = -12, /* not a tally run file, or a damaged one */
    TALLY_EVERSION = -13, /* the run file has a newer schema than this tally knows */
    TALLY_ENOTFOUND = -14, /* no such run, metric or file */
    TALLY_EBUSY = -15,    /* the run is being written by another live process */
    TALLY_ETIMEDOUT = -16, /* a wait ran past its limit */
    TALLY_EMEDIA = -17,   /* media that cannot be used: not PNG/JPEG/GIF/WAV..., bad size,
                           * channels or stride, NaN pixels, bins or edges out of order */
    TALLY_ETOOBIG = -18   /* an object over its cap (TALLY_MEDIA_MAX_BYTES, ...) */
};

#define TALLY_KEY_MAX 256 /* bytes, not counting the NUL */

/* What a run records by itself (tally_options.capture); 0 means all. */
#define TALLY_CAPTURE_SYSTEM 0x1u  /* CPU, memory, network, disk, GPU samples */
#define TALLY_CAPTURE_CONSOLE 0x2u /* the process's stdout and stderr */
#define TALLY_CAPTURE_GIT 0x4u     /* commit, branch, remote, diff.patch */
#define TALLY_CAPTURE_ENV 0x8u     /* host, user, OS, argv, cwd */
#define TALLY_CAPTURE_NONE 0x80000000u /* record nothing by itself */

/* Summary rules for tally_define_metric(); combine with |. */
#define TALLY_SUMMARY_DEFAULT 0x00u /* the last value, stored flat */
#define TALLY_SUMMARY_MIN 0x01u
#define TALLY_SUMMARY_MAX 0x02u
#define TALLY_SUMMARY_MEAN 0x04u
#define TALLY_SUMMARY_LAST 0x08u
#define TALLY_SUMMARY_FIRST 0x10u
#define TALLY_SUMMARY_NONE 0x20u /* keep no summary for these keys */
/* With the summary bits of tally_define_metric(): the keys are hidden, as
 * _runtime is (stored and read by name; left out of charts and of history
 * rows unless asked for) — wandb's define_metric(hidden=True). */
#define TALLY_METRIC_HIDDEN 0x40u

enum { TALLY_GOAL_NONE = 0, TALLY_GOAL_MINIMIZE = 1, TALLY_GOAL_MAXIMIZE = 2 };

typedef struct tally_run tally_run;

typedef struct tally_options {
    const char *dir;         /* store root; NULL: $TALLY_DIR, else ./tally */
    const char *project;     /* NULL: $TALLY_PROJECT, else "default" */
    const char *name;        /* display name; NULL: generated */
    const char *id;          /* resume this run id; NULL: new 8-char [a-z0-9] id */
    const char *group, *job_type, *notes;
    const char *const *tags; /* NULL-terminated */
    const char *config_json; /* a JSON object of hyperparameters */
    const char *mode;        /* "offline" (default), "online", "disabled"; NULL: $TALLY_MODE */
    int flush_ms;            /* 0: default 1000 */
    int sample_ms;           /* system sampling period; 0: default 2000; <0: off */
    unsigned capture;        /* TALLY_CAPTURE_* bits; 0: default (all) */
} tally_options;

/* Creates (or, with opts->id, resumes) a run.  NULL opts: all defaults.
 * Returns NULL on failure after one warning line; tally_init_ex() returns the
 * reason instead.  With mode "disabled" the run is a cheap no-op handle. */
tally_run *tally_init(const tally_options *opts);
int tally_init_ex(const tally_options *opts, tally_run **out);

/* Stage a value into the current step.  Logging the same key twice in one
 * step keeps the later value. */
int tally_log(tally_run *run, const char *key, double value);
int tally_log_int(tally_run *run, const char *key, int64_t value);
int tally_log_str(tally_run *run, const char *key, const char *value);
/* Stages every member of a JSON object; nested objects become "a/b" keys.
 * All or nothing: on any bad key or value nothing is staged. */
int tally_log_json(tally_run *run, const char *json_object);
/* Logs at an explicit step: a later step commits the pending row first and
 * moves there; an earlier one is refused with TALLY_ESTEP. */
int tally_log_at(tally_run *run, int64_t step, const char *key, double value);
/* Moves to an explicit step without logging a value (wandb's log(step=)):
 * a later step commits the pending row first and moves there; the current
 * step is a no-op; an earlier one is refused with TALLY_ESTEP (one warning). */
int tally_set_step(tally_run *run, int64_t step);

/* ---- media and objects (src/core/media.c) ----
 *
 * Images, galleries, histograms, tables, audio, video and custom plots,
 * staged into the current step like tally_log() (same step, commit and
 * tally_log_at rules: log at a step with tally_set_step() first).  Each call
 * checks its arguments and copies what it is given, so the caller may free
 * it on return; decoding, encoding (PNG, WAV, GIF) and hashing happen on the
 * flusher thread.  Bad input gets a TALLY_E* code, one warning, and nothing
 * of that call is stored; the rest of the step is kept.  An object is
 * stored once per content (sha256) however often it is logged. */

#define TALLY_MEDIA_MAX_BYTES (64u << 20)  /* one object, as given or as pixels */
#define TALLY_MEDIA_QUEUE_BYTES (256u << 20) /* objects waiting for the flusher */
#define TALLY_MEDIA_MAX_SIDE 16384         /* an image's width or height */
#define TALLY_GALLERY_MAX 108              /* images in one tally_log_images() */
#define TALLY_HISTOGRAM_BINS 64            /* num_bins 0 */
#define TALLY_HISTOGRAM_MAX_BINS 512
#define TALLY_TABLE_MAX_ROWS 10000

enum { TALLY_SAMPLE_U8 = 0, TALLY_SAMPLE_F32 = 1 };

/* One image: raw pixels, or encoded PNG / JPEG bytes, or a PNG / JPEG file
 * (the first of the three that is set).  Stored as PNG. */
typedef struct tally_image {
    const void *pixels; /* raw pixels, rows top to bottom; or NULL and data/path below */
    int width, height;
    int channels;  /* 1 gray, 3 RGB, 4 RGBA */
    size_t stride; /* bytes per row; 0: width * channels * sample size */
    int sample;    /* TALLY_SAMPLE_U8 (0..255) or TALLY_SAMPLE_F32 (0..1, clamped; NaN refused) */
    const void *data;
    size_t size;         /* or encoded PNG / JPEG bytes */
    const char *path;    /* or a PNG / JPEG file */
    const char *caption; /* may be NULL */
} tally_image;

int tally_log_image(tally_run *run, const char *key, const tally_image *image);
/* A gallery at one step (wandb's list of images): 1..TALLY_GALLERY_MAX. */
int tally_log_images(tally_run *run, const char *key, const tally_image *images, size_t n);

/* A histogram of n values in num_bins equal bins over [min, max] (0: 64;
 * at most 512).  NaN and infinite values are left out and counted in one
 * warning. */
int tally_log_histogram(tally_run *run, const char *key, const double *values, size_t n,
                        int num_bins);
/* A histogram already binned: nbins counts and nbins + 1 increasing edges. */
int tally_log_histogram_bins(tally_run *run, const char *key, const double *counts,
                             size_t nbins, const double *edges);

/* A table: {"columns":[...],"data":[[...],...]}, every row as long as the
 * columns, at most TALLY_TABLE_MAX_ROWS rows. */
int tally_log_table(tally_run *run, const char *key, const char *table_json);
/* The same with image cells: a cell {"_type":"image","index":k} stands for
 * images[k] (k < nimages). */
int tally_log_table_images(tally_run *run, const char *key, const char *table_json,
                           const tally_image *images, size_t nimages);

/* Audio: interleaved float samples in -1..1 (stored as 16-bit PCM WAV), or
 * encoded WAV bytes, or a WAV file. */
typedef struct tally_audio {
    const float *samples; /* frames * channels values; or NULL and data/path below */
    size_t frames;
    int channels;    /* 1..8 */
    int sample_rate; /* Hz, 1..384000 */
    const void *data;
    size_t size;         /* or WAV bytes */
    const char *path;    /* or a WAV file */
    const char *caption; /* may be NULL */
} tally_audio;
int tally_log_audio(tally_run *run, const char *key, const tally_audio *audio);

/* Video: raw frames (encoded as a GIF at fps), or the bytes of a GIF, MP4,
 * WebM or Ogg file, or such a file (format from its contents). */
typedef struct tally_video {
    const void *frames; /* nframes images of width x height x channels, one after another */
    int nframes, width, height, channels; /* channels 1, 3 or 4 */
    int sample;   /* TALLY_SAMPLE_U8 or TALLY_SAMPLE_F32 */
    double fps;   /* 0: 4, as wandb */
    const void *data;
    size_t size;         /* or encoded bytes */
    const char *path;    /* or a file */
    const char *caption; /* may be NULL */
} tally_video;
int tally_log_video(tally_run *run, const char *key, const tally_video *video);

/* A custom chart (wandb.plot.*): a table and the preset that draws it.
 * preset: "line" {x,y,stroke}, "scatter" {x,y}, "bar" {label,value},
 * "histogram" {value}, "line_series" {step,lineKey,lineVal},
 * "confusion_matrix" {Actual,Predicted,nPredictions}, "pr_curve" and
 * "roc_curve" {x,y,class}.  fields_json maps the preset's fields to the
 * table's columns ({"x":"epoch","y":"loss"}; NULL: the fields' own names).
 * Stored as the table <key>_table plus the chart's config, as wandb does. */
typedef struct tally_plot {
    const char *preset;
    const char *table_json;  /* {"columns":[...],"data":[[...],...]} */
    const char *fields_json; /* may be NULL */
    const char *title;       /* may be NULL */
} tally_plot;
int tally_log_plot(tally_run *run, const char *key, const tally_plot *plot);

/* Closes the current step: stores its row under step N, moves to N+1.  An
 * empty step is not stored and the step does not move. */
int tally_commit(tally_run *run);
/* The step the next tally_log() stages into. */
int64_t tally_step(const tally_run *run);

/* Rules for keys matching pattern (exact, or a prefix ending in '*'):
 * step_metric (NULL: _step) is the key used as their x axis, summary the
 * TALLY_SUMMARY_* bits, goal a TALLY_GOAL_*. */
int tally_define_metric(tally_run *run, const char *pattern, const char *step_metric,
                        unsigned summary, int goal);

/* Sets a summary value explicitly (until the key is logged again). */
int tally_summary_set(tally_run *run, const char *key, double value);
/* The same with any JSON value ("\"best.pt\"", "{\"f1\": 0.9}", "true"). */
int tally_summary_set_json(tally_run *run, const char *key, const char *json_value);
/* Sets one config key to a JSON value ("0.001", "\"adam\"", "[1,2]", ...). */
int tally_config_set(tally_run *run, const char *key, const char *json_value);
/* Merges a JSON object into the config. */
int tally_config_json(tally_run *run, const char *json_object);
/* Copies a file into the run (under its base name), read on the flusher thread. */
int tally_save_file(tally_run *run, const char *path);

/* Blocks until everything logged so far is in the run file. */
int tally_flush(tally_run *run);
/* Commits the pending step, writes everything, marks the run finished
 * (exit_code 0) or failed, and frees the run.  A second call on the same
 * handle returns TALLY_EFINISHED, and so do tally_flush() and tally_finish()
 * in a fork()ed child: the run belongs to the process that started it. */
int tally_finish(tally_run *run, int exit_code);

/* Borrowed strings, valid until tally_finish(); NULL for a disabled run. */
const char *tally_run_id(const tally_run *run);
const char *tally_run_path(const tally_run *run);
const char *tally_run_name(const tally_run *run);

/* A static English sentence for an error code. */
const char *tally_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif /* TALLY_H */
