/*
 * run_internal.h — the insides of a tally_run, shared by the core's files:
 * run.c (lifecycle), log.c (staging and the logging calls), flusher.c (the
 * thread that writes), metrics.c (the key table) and summary.c.
 *
 * Locking: `mu` guards everything below it except what the comments mark
 * as flusher-owned.  Caller threads hold it for a hash lookup and an append;
 * the flusher holds it only to swap buffers.
 */
#ifndef TALLY_RUN_INTERNAL_H
#define TALLY_RUN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "core/summary.h"
#include "store/writer.h"
#include "tally.h"

/* Points waiting for the flusher, for one metric. */
typedef struct point_buf {
    int64_t *x;      /* one allocation: cap x values, then cap y values (point_buf_y) */
    uint32_t n, cap; /* RUN_MAX_PENDING_POINTS bounds them */
} point_buf;

static inline double *point_buf_y(const point_buf *pb)
{
    return (double *)(pb->x + pb->cap);
}

typedef struct metric_rule {
    char *pattern; /* exact key, or prefix followed by '*' */
    char *step_metric;
    unsigned summary;
    int goal;
} metric_rule;

/* One key.  The fields a logging call touches come first, and the name
 * lives inside the struct: a call reads one allocation, not two.  Kept
 * small (a run may hold a million keys): 32-bit id, hash and row slot. */
typedef struct metric {
    struct metric *next; /* the key staged after this one in its last row (prediction) */
    point_buf pending; /* committed, not yet taken by the flusher */
    summary_state summary;
    uint32_t staged_slot; /* its entry in the open row, if row.v[staged_slot].m is it */
    uint32_t name_len;
    uint32_t hash;     /* the low bits of metrics_hash() */
    uint32_t id;       /* ids count up from 1 (the writer's limit is INT32_MAX) */
    unsigned char is_int, summary_dirty, meta_dirty; /* meta: is_int or rule changed since the last flush */
    unsigned char axis; /* tally_axis */
    unsigned char hidden;
    unsigned char persisted; /* its row exists in the file (flusher-owned) */
    unsigned char media;     /* the tally_media_type its objects have, or 0 (values) */
    const metric_rule *rule; /* NULL: defaults */
    point_buf *writing; /* taken by the flusher (flusher-owned; NULL while idle) */
    char name[];       /* NUL-terminated */
} metric;

struct media_job; /* core/media_job.h */

/* A recycled copy buffer (media.c). */
typedef struct media_buf {
    void *data;
    size_t cap;
} media_buf;

/* One value of the open row. */
typedef struct row_entry {
    metric *m;
    double value;
    char *json;       /* non-scalar values: JSON text, owned */
    const char *type; /* "string", "json", "int" for non-scalars */
    struct media_job *media; /* an object (image, table, ...), owned; else NULL */
} row_entry;

/* A committed non-scalar value, a summary or config change, a file. */
typedef struct pending_object {
    int64_t metric_id, x;
    const char *type;
    char *json;
} pending_object;

/* A captured console line waiting for the flusher. */
typedef struct pending_line {
    double t;
    int stream; /* 1 stdout, 2 stderr */
    char *text; /* owned, not NUL-terminated text of len bytes */
    size_t len;
} pending_line;

typedef struct pending_kv {
    char *key, *json; /* json NULL: delete */
} pending_kv;

#define VEC(T)                                                                                   \
    struct {                                                                                     \
        T *v;                                                                                    \
        size_t n, cap;                                                                           \
    }

struct tally_run {
    int disabled;
    pid_t pid; /* the process that owns the threads; a fork()ed child does not */
    char *id, *name, *project, *path;
    struct runlock *claim; /* this run's claim on its file (store/runlock.h) */
    int flush_ms;
    double start_wall; /* Unix seconds at init */
    int64_t start_mono; /* monotonic ns at init (_runtime counts from it) */
    double wall_offset; /* clock_wall_offset(), refreshed at every flush */

    pthread_mutex_t mu;
    pthread_cond_t wake; /* flusher: work or stop */
    pthread_cond_t done; /* waiters: a flush finished */

    /* steps */
    int64_t step;        /* the step being staged */
    int64_t rows;        /* rows committed */
    int64_t last_step;   /* -1 before the first row */
    uint64_t row_gen;    /* bumps at every commit: identifies the open row */
    VEC(row_entry) row;  /* the open row */
    /* Key prediction: programs log the same keys in the same order every
     * step, so the key after `last_staged` is most likely the one that
     * followed it in the previous row (metric.next); a string compare
     * against it replaces the hash and the probe. */
    struct metric *row_head;    /* the first key of the last row */
    struct metric *last_staged; /* the last key staged in the open row, or NULL */
    struct metric *predicted;   /* the key expected next, or NULL */

    /* metrics, in id order, and their hash index */
    VEC(metric *) metrics;
    uint32_t *index; /* 1 + the metric's position in metrics.v; 0: empty (4 bytes a slot) */
    size_t index_mask;
    int64_t next_metric_id;
    metric *m_timestamp, *m_runtime;
    size_t pending_points; /* across all metrics */

    VEC(metric_rule *) rules;
    size_t rules_written;
    VEC(pending_object) objects;
    VEC(pending_object) objects_spare; /* an emptied array the next take reuses (flusher.c) */
    size_t pending_object_bytes; /* JSON text in objects */
    VEC(pending_kv) config;
    VEC(pending_kv) summary_sets;
    VEC(char *) files;
    VEC(pending_line) lines;
    size_t pending_line_bytes;
    VEC(pending_kv) run_texts; /* run-row columns to set (git, ...) */
    VEC(struct media_job *) media; /* committed objects waiting for the flusher */
    size_t media_bytes;     /* what committed objects hold until written (queue + flush) */
    size_t row_media_bytes; /* what the open row's objects hold */
    /* Big copy buffers the flusher is done with, for the next objects'
     * copies: fresh pages cost more to fault in than the copy itself.
     * Guarded by pool_mu (not mu: the flusher gives back without it). */
    pthread_mutex_t pool_mu;
    VEC(struct media_buf) pool;
    size_t pool_bytes;
    int run_dirty; /* rows/last_step/dropped changed */
    uint64_t dropped; /* values refused with TALLY_EFULL: stored in the run row */

    /* flusher */
    pthread_t thread;
    int thread_started;
    int stopping;
    int finish_exit_code;
    uint64_t flush_requested, flush_completed;
    int io_error;        /* last flush's result: sticky until one succeeds */
    size_t metrics_persisted; /* flusher-owned */
    store_writer *writer;     /* flusher-owned after init */

    atomic_uint warned; /* one bit per error code already warned about */

    struct sync_live *live; /* online mode's sync thread (src/sync/live.c), or NULL */
    struct capture_ctx *capture; /* sampler, console capture (src/capture/capture.c), or NULL */
};

/* Limits that keep a run from eating the host's memory.  A caller faster
 * than the disk is held back at the soft bound: its commit waits for the
 * flusher's current batch (a fraction of a second), so memory stays near
 * 64 MiB and nothing is dropped.  A disk that fails or stalls past the
 * wait is not waited for: values are held up to the hard bound, then
 * dropped (counted, one warning). */
#define RUN_FLUSH_EARLY_POINTS (1u << 20) /* wake the flusher before its period */
#define RUN_FLUSH_EARLY_OBJECT_BYTES (4u << 20) /* the same for queued strings / JSON */
#define RUN_SOFT_PENDING_POINTS (1u << 22) /* 64 MiB of points: a commit waits */
#define RUN_SOFT_OBJECT_BYTES (16u << 20)  /* queued strings / JSON: a commit waits */
#define RUN_THROTTLE_MS 2000               /* the longest a commit waits */
#define RUN_MAX_PENDING_POINTS (1u << 25) /* beyond this, new values are dropped */

#define RUN_FLUSH_EARLY_MEDIA_BYTES (16u << 20) /* objects: wake the flusher early */

/* log.c */
void run_discard_row(tally_run *run);
/* Stages an object into the open row under key (media.c, after its checks):
 * takes the job (freed on failure).  TALLY_EINVAL, with one warning, when
 * the key holds values or objects of another type. */
int run_stage_media(tally_run *run, const char *key, struct media_job *job);

/* media.c: copy buffers, recycled.  get returns one of at least size bytes
 * (*cap its capacity) or NULL; put takes one back (or frees it). */
#define MEDIA_POOL_MIN (64u << 10)  /* smaller copies are plain mallocs */
#define MEDIA_POOL_MAX (32u << 20)  /* idle bytes the pool keeps */
void *media_buf_get(tally_run *run, size_t size, size_t *cap);
void media_buf_put(tally_run *run, void *data, size_t cap);
void media_pool_free(tally_run *run);
int run_commit_locked(tally_run *run);
/* Its warning, if any: printed only after the run lock is released. */
void run_commit_warn(tally_run *run, int rc);

/* Internal logging entry points for what a run records by itself
 * (src/capture).  Thread-safe, no I/O, like the public calls. */
/* A sample on the time axis: t_ms is milliseconds since the run started. */
int run_log_time(tally_run *run, const char *key, int64_t t_ms, double value);
/* A console line (stream 1 stdout, 2 stderr), copied. */
int run_log_line(tally_run *run, double t, int stream, const char *text, size_t len);
/* Sets a text column of the run row (see writer_run_text), e.g. "git". */
int run_set_text(tally_run *run, const char *column, const char *value);
/* Milliseconds since the run started (the time axis). */
int64_t run_elapsed_ms(const tally_run *run);

#define RUN_MAX_LINE_BYTES (64u << 20)   /* queued console text beyond this is dropped */
#define RUN_MAX_OBJECT_BYTES (64u << 20) /* queued strings / JSON values beyond this too */

/* metrics.c */
int metrics_init(tally_run *run);
void metrics_free(tally_run *run);
metric *metrics_find(tally_run *run, const char *key, size_t len, uint64_t hash);
/* Creates a metric (the key must have been checked). */
metric *metrics_add(tally_run *run, const char *key, size_t len, uint64_t hash, int axis,
                    int hidden);
uint64_t metrics_hash(const char *key, size_t *len);
const metric_rule *metrics_rule_for(const tally_run *run, const char *name);
/* A rule with copies of its strings; NULL when out of memory. */
metric_rule *metrics_rule_new(const char *pattern, const char *step_metric, unsigned summary,
                              int goal);
void metrics_rule_free(metric_rule *r);
int point_buf_grow(point_buf *pb);
/* Frees the arrays: an idle metric holds no buffer. */
void point_buf_release(point_buf *pb);
/* Appends a point: -1 when out of memory.  Inline: it is the caller's
 * per-value cost. */
static inline int point_buf_push(point_buf *pb, int64_t x, double y)
{
    if (pb->n == pb->cap && point_buf_grow(pb) < 0)
        return -1;
    pb->x[pb->n] = x;
    point_buf_y(pb)[pb->n] = y;
    pb->n++;
    return 0;
}

/* flusher.c */
int flusher_start(tally_run *run);
/* Asks for a flush and waits up to timeout_ms; returns its result. */
int flusher_flush(tally_run *run, int timeout_ms);
/* Final flush, close of the file, join. */
int flusher_stop(tally_run *run, int exit_code);

/* warn.c */
void run_warn(tally_run *run, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* keys.c */
/* 0, or TALLY_EINVAL (NULL) / TALLY_EKEY; *len gets strlen(key). */
int key_check(const char *key, size_t *len);
/* Reserved keys the logging calls refuse: _step, _runtime, _timestamp. */
int key_reserved(const char *key);

/* registry.c: the live handles, so a second tally_finish() is caught. */
int registry_add(const tally_run *run);
int registry_remove(const tally_run *run); /* 1 if it was live */

/* names.c */
void names_random_id(char out[9]);
void names_random_name(char *out, size_t size);

#define RUN_LOCK(run) pthread_mutex_lock(&(run)->mu)
#define RUN_UNLOCK(run) pthread_mutex_unlock(&(run)->mu)

#define VEC_PUSH(vec, item)                                                                      \
    ((vec).n < (vec).cap || vec_grow((void **)&(vec).v, &(vec).cap, sizeof *(vec).v) == 0         \
         ? ((vec).v[(vec).n++] = (item), 0)                                                      \
         : -1)
int vec_grow(void **v, size_t *cap, size_t elem);

#endif
