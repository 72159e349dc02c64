/*
 * flusher.c — the thread that writes a run to its file.
 *
 * Once per flush period (sooner when a million points wait, or when
 * tally_flush() asks) it takes, under the run lock, everything committed
 * since the last flush — swapping each metric's point buffer for an empty
 * one — then writes it all in one SQLite transaction with the lock released,
 * so logging never waits on the disk.  When the write fails (disk full,
 * I/O error) the batch stays with the flusher and is retried with the next
 * one: nothing committed is dropped, and the error is reported to the
 * logging calls until a flush succeeds again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "core/media_job.h"
#include "core/run_internal.h"

#define HEARTBEAT_MS 5000             /* an idle run still says it is alive */
#define SAVE_FILE_MAX (64u << 20)     /* larger saved files are refused */
#define FINAL_ATTEMPTS 3

typedef struct summary_item {
    char *key, *json; /* json NULL: remove the key */
} summary_item;

typedef struct meta_item {
    int64_t id;
    int is_int, hidden;
    const metric_rule *rule;
} meta_item;

/* What one flush writes.  Pointers to metrics and rules stay valid for the
 * run's lifetime; strings are owned by the batch.  The new metrics and rules
 * are copied out under the lock: caller threads may grow (realloc) the run's
 * arrays while the batch is written. */
typedef struct batch {
    size_t metrics_from, metrics_to; /* new metrics: run->metrics.v[from..to) */
    size_t rules_from, rules_to;
    VEC(const metric *) created;      /* run->metrics.v[metrics_from..metrics_to) */
    VEC(const metric_rule *) defined; /* run->rules.v[rules_from..rules_to) */
    VEC(metric *) points;
    VEC(meta_item) meta;
    VEC(summary_item) summary;
    VEC(pending_object) objects;
    VEC(pending_kv) config;
    VEC(pending_kv) summary_sets;
    VEC(char *) files;
    VEC(pending_line) lines;
    VEC(pending_kv) run_texts;
    VEC(media_job *) media;
    size_t npoints, line_bytes, object_bytes, media_bytes;
    int64_t rows, last_step, dropped;
} batch;

/* Moves a metric's committed points to its flusher-owned buffer. */
static int take_points(metric *m)
{
    if (!m->writing && !(m->writing = calloc(1, sizeof *m->writing)))
        return -1;
    if (m->writing->n == 0) {
        point_buf t = *m->writing;
        *m->writing = m->pending;
        m->pending = t;
        return 0;
    }
    /* A failed flush left points behind: append after them. */
    for (size_t i = 0; i < m->pending.n; i++)
        if (point_buf_push(m->writing, m->pending.x[i], point_buf_y(&m->pending)[i]) < 0)
            return -1;
    m->pending.n = 0;
    return 0;
}

#define STEAL(dst, src)                                                                          \
    do {                                                                                         \
        (dst).v = (src).v, (dst).n = (src).n, (dst).cap = (src).cap;                             \
        (src).v = NULL, (src).n = (src).cap = 0;                                                 \
    } while (0)

/* Called with the lock held. */
static void take(tally_run *run, batch *b)
{
    memset(b, 0, sizeof *b);
    b->metrics_from = run->metrics_persisted;
    b->metrics_to = run->metrics.n;
    b->rules_from = run->rules_written;
    b->rules_to = run->rules.n;
    for (size_t i = b->metrics_from; i < b->metrics_to; i++)
        if (VEC_PUSH(b->created, run->metrics.v[i]) < 0) {
            b->metrics_to = i; /* the rest waits for the next flush */
            break;
        }
    for (size_t i = b->rules_from; i < b->rules_to; i++)
        if (VEC_PUSH(b->defined, run->rules.v[i]) < 0) {
            b->rules_to = i;
            break;
        }
    b->rows = run->rows;
    b->last_step = run->last_step;
    run->wall_offset = clock_wall_offset(); /* _timestamp follows wall-clock changes */
    b->dropped = (int64_t)run->dropped;
    buf json = BUF_INIT;
    for (size_t i = 0; i < run->metrics.n; i++) {
        metric *m = run->metrics.v[i];
        if (m->pending.n > 0 || (m->writing && m->writing->n > 0)) {
            if (take_points(m) == 0 && VEC_PUSH(b->points, m) == 0)
                b->npoints += m->writing->n;
        }
        if (m->meta_dirty) {
            meta_item it = {m->id, m->is_int, m->hidden, m->rule};
            if (VEC_PUSH(b->meta, it) == 0)
                m->meta_dirty = 0;
        }
        if (m->summary_dirty) {
            unsigned rules = m->rule ? m->rule->summary : 0;
            int none = summary_json(&m->summary, rules, &json);
            summary_item it = {strdup(m->name), none ? NULL : strdup(buf_cstr(&json))};
            if (it.key && (none || it.json) && VEC_PUSH(b->summary, it) == 0) {
                m->summary_dirty = 0;
            } else {
                free(it.key);
                free(it.json);
            }
        }
    }
    buf_free(&json);
    STEAL(b->objects, run->objects);
    STEAL(run->objects, run->objects_spare); /* grown once, not at every flush */
    b->object_bytes = run->pending_object_bytes;
    STEAL(b->config, run->config);
    STEAL(b->summary_sets, run->summary_sets);
    STEAL(b->files, run->files);
    STEAL(b->lines, run->lines);
    STEAL(b->run_texts, run->run_texts);
    b->line_bytes = run->pending_line_bytes;
    STEAL(b->media, run->media);
    for (size_t i = 0; i < b->media.n; i++)
        b->media_bytes += b->media.v[i]->bytes;
}

/*
 * Encodes the batch's objects, with the lock released: the caller's thread
 * never encodes.  A job a failed flush left behind is already encoded and
 * is not done twice.  One whose bytes turn out unusable only now (a PNG
 * with a corrupt body) is dropped: one warning, counted in run.dropped.
 */
static void encode_media(tally_run *run, batch *b)
{
    size_t keep = 0, dropped = 0, dropped_bytes = 0;
    for (size_t i = 0; i < b->media.n; i++) {
        media_job *job = b->media.v[i];
        const char *why;
        int rc = media_job_encode(run, job, &why);
        if (rc) {
            run_warn(run, rc, "%s: object dropped (%s)", why, tally_strerror(rc));
            dropped++;
            dropped_bytes += job->bytes;
            media_job_free(job);
            continue;
        }
        b->media.v[keep++] = job;
    }
    b->media.n = keep;
    if (!dropped)
        return;
    b->media_bytes -= dropped_bytes;
    RUN_LOCK(run);
    run->dropped += dropped;
    run->media_bytes -= dropped_bytes;
    b->dropped = (int64_t)run->dropped;
    RUN_UNLOCK(run);
}

static int write_media(store_writer *w, const media_job *job)
{
    writer_blob one, *files = job->nparts <= 1 ? &one : malloc(job->nparts * sizeof *files);
    if (!files)
        return TALLY_ENOMEM;
    media_job_files(job, files);
    int rc = writer_media(w, job->metric_id, job->x, job->type, job->meta, files, job->nparts);
    if (files != &one)
        free(files);
    return rc;
}

/* Reads a file to save; a problem is worth a warning, not a failed flush. */
static void save_file(tally_run *run, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SAVE_FILE_MAX) {
        run_warn(run, TALLY_ENOTFOUND, "cannot save %s: %s", path,
                 !f ? strerror(errno) : "not a regular file of at most 64 MiB");
        if (f)
            fclose(f);
        return;
    }
    size_t size = (size_t)st.st_size;
    char *data = malloc(size ? size : 1);
    if (data && fread(data, 1, size, f) == size)
        writer_file(run->writer, base, data, size, (double)st.st_mtime);
    free(data);
    fclose(f);
}

static int write_batch(tally_run *run, batch *b, int final, const char *state, int exit_code)
{
    store_writer *w = run->writer;
    int rc = writer_begin(w);
    for (size_t i = 0; i < b->created.n && !rc; i++) {
        const metric *m = b->created.v[i];
        rc = writer_metric_create(w, m->id, m->name, m->axis, m->hidden);
    }
    for (size_t i = 0; i < b->defined.n && !rc; i++) {
        const metric_rule *r = b->defined.v[i];
        rc = writer_rule(w, r->pattern, r->step_metric, r->summary, r->goal);
    }
    for (size_t i = 0; i < b->meta.n && !rc; i++) {
        const meta_item *it = &b->meta.v[i];
        rc = writer_metric_meta(w, it->id, it->is_int, it->rule ? it->rule->step_metric : NULL,
                                it->rule ? it->rule->summary & ~TALLY_METRIC_HIDDEN : 0,
                                it->rule ? it->rule->goal : 0, it->hidden);
    }
    for (size_t i = 0; i < b->points.n && !rc; i++) {
        const metric *m = b->points.v[i];
        rc = writer_points(w, m->id, m->writing->x, point_buf_y(m->writing), m->writing->n);
    }
    for (size_t i = 0; i < b->objects.n && !rc; i++) {
        const pending_object *o = &b->objects.v[i];
        rc = writer_object(w, o->metric_id, o->x, o->type, o->json);
    }
    for (size_t i = 0; i < b->media.n && !rc; i++)
        rc = write_media(w, b->media.v[i]);
    /* Explicit sets first: a key logged after its tally_summary_set() in
     * the same batch must end with its logged summary. */
    for (size_t i = 0; i < b->summary_sets.n && !rc; i++)
        rc = writer_summary(w, b->summary_sets.v[i].key, b->summary_sets.v[i].json);
    for (size_t i = 0; i < b->summary.n && !rc; i++)
        rc = writer_summary(w, b->summary.v[i].key, b->summary.v[i].json);
    for (size_t i = 0; i < b->config.n && !rc; i++)
        rc = writer_config(w, b->config.v[i].key, b->config.v[i].json);
    for (size_t i = 0; i < b->lines.n && !rc; i++) {
        const pending_line *l = &b->lines.v[i];
        rc = writer_log(w, l->t, l->stream, l->text, l->len);
    }
    for (size_t i = 0; i < b->run_texts.n && !rc; i++)
        rc = writer_run_text(w, b->run_texts.v[i].key, b->run_texts.v[i].json);
    for (size_t i = 0; i < b->files.n && !rc; i++)
        save_file(run, b->files.v[i]);
    if (!rc)
        rc = writer_progress(w, b->rows, b->last_step, b->dropped, clock_wall());
    if (!rc && final)
        rc = writer_end(w, state, exit_code, clock_wall());
    if (!rc)
        rc = writer_commit(w);
    else
        writer_rollback(w);
    return rc;
}

static void free_kvs(pending_kv *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].json);
    }
}

static void batch_free(batch *b)
{
    for (size_t i = 0; i < b->summary.n; i++) {
        free(b->summary.v[i].key);
        free(b->summary.v[i].json);
    }
    for (size_t i = 0; i < b->objects.n; i++)
        free(b->objects.v[i].json);
    free_kvs(b->config.v, b->config.n);
    free_kvs(b->summary_sets.v, b->summary_sets.n);
    for (size_t i = 0; i < b->files.n; i++)
        free(b->files.v[i]);
    for (size_t i = 0; i < b->lines.n; i++)
        free(b->lines.v[i].text);
    free_kvs(b->run_texts.v, b->run_texts.n);
    for (size_t i = 0; i < b->media.n; i++)
        media_job_free(b->media.v[i]);
    free(b->media.v);
    free(b->lines.v);
    free(b->run_texts.v);
    free(b->created.v);
    free(b->defined.v);
    free(b->points.v);
    free(b->meta.v);
    free(b->summary.v);
    free(b->objects.v);
    free(b->config.v);
    free(b->summary_sets.v);
    free(b->files.v);
}

/* Puts the batch's queued items back in front of what came since, in order. */
#define REQUEUE(list, items)                                                                     \
    do {                                                                                         \
        for (size_t i_ = 0; i_ < (list).n; i_++)                                                 \
            if (VEC_PUSH(items, (list).v[i_]) < 0)                                               \
                break;                                                                           \
        free((list).v);                                                                          \
        STEAL(list, items);                                                                      \
    } while (0)

/* Called with the lock held, after the write. */
static void settle(tally_run *run, batch *b, int rc)
{
    if (rc == TALLY_OK) {
        run->metrics_persisted = b->metrics_to;
        run->rules_written = b->rules_to;
        for (size_t i = 0; i < b->points.n; i++) {
            metric *m = b->points.v[i];
            m->writing->n = 0;
            /* Nothing came since the take: the key may be done (a key
             * with the step in it is logged once).  Its buffers go; the
             * next point allocates again. */
            if (m->pending.n == 0) {
                point_buf_release(&m->pending);
                point_buf_release(m->writing);
                free(m->writing);
                m->writing = NULL;
            }
        }
        run->pending_points -= b->npoints;
        run->pending_line_bytes -= b->line_bytes;
        run->pending_object_bytes -= b->object_bytes;
        run->media_bytes -= b->media_bytes;
        for (size_t i = 0; i < b->objects.n; i++)
            free(b->objects.v[i].json);
        b->objects.n = 0;
        if (!run->objects_spare.v)
            STEAL(run->objects_spare, b->objects);
        batch_free(b);
        return;
    }
    /* Failed: the points stay in the writing buffers; everything else is
     * marked or queued again so the next flush retries it. */
    for (size_t i = 0; i < b->meta.n; i++)
        for (size_t j = 0; j < run->metrics.n; j++)
            if (run->metrics.v[j]->id == b->meta.v[i].id)
                run->metrics.v[j]->meta_dirty = 1;
    for (size_t i = 0; i < b->summary.n; i++) {
        size_t len;
        uint64_t h = metrics_hash(b->summary.v[i].key, &len);
        metric *m = metrics_find(run, b->summary.v[i].key, len, h);
        if (m)
            m->summary_dirty = 1;
    }
    REQUEUE(run->objects, b->objects);
    REQUEUE(run->config, b->config);
    REQUEUE(run->summary_sets, b->summary_sets);
    REQUEUE(run->files, b->files);
    REQUEUE(run->lines, b->lines);
    REQUEUE(run->run_texts, b->run_texts);
    REQUEUE(run->media, b->media); /* encoded already: the retry only writes */
    batch_free(b);
}

static int has_work(const batch *b, const tally_run *run)
{
    return b->metrics_to > b->metrics_from || b->rules_to > b->rules_from || b->points.n ||
           b->meta.n || b->summary.n || b->objects.n || b->config.n || b->summary_sets.n ||
           b->files.n || b->lines.n || b->run_texts.n || b->media.n || run->run_dirty;
}

static void report(tally_run *run, int rc)
{
    if (rc)
        run_warn(run, rc, "cannot write %s: %s", run->path, tally_strerror(rc));
}

static void *flusher_main(void *arg)
{
    tally_run *run = arg;
    int64_t last_write = clock_mono_ns();
    int failed = 0;
    RUN_LOCK(run);
    for (;;) {
        struct timespec deadline = clock_deadline_ms(run->flush_ms);
        /* After a failure, wait the whole period: a full disk is not
         * retried in a tight loop however much is waiting. */
        while (!run->stopping && run->flush_requested == run->flush_completed) {
            if (!failed && (run->pending_points >= RUN_FLUSH_EARLY_POINTS ||
                            run->pending_object_bytes >= RUN_FLUSH_EARLY_OBJECT_BYTES ||
                            run->media_bytes >= RUN_FLUSH_EARLY_MEDIA_BYTES ||
                            run->files.n))
                break;
            if (pthread_cond_timedwait(&run->wake, &run->mu, &deadline) == ETIMEDOUT)
                break;
        }
        int stopping = run->stopping, exit_code = run->finish_exit_code;
        uint64_t gen = run->flush_requested;
        batch b;
        take(run, &b);
        int heartbeat_due = clock_mono_ns() - last_write > (int64_t)HEARTBEAT_MS * 1000000;
        int work = stopping || heartbeat_due || has_work(&b, run);
        run->run_dirty = 0;
        RUN_UNLOCK(run);

        int rc = TALLY_OK;
        if (b.media.n)
            encode_media(run, &b);
        if (work) {
            const char *state = exit_code == 0 ? "finished" : "failed";
            int attempts = stopping ? FINAL_ATTEMPTS : 1;
            for (int i = 0; i < attempts; i++) {
                if (stopping)
                    writer_set_durable(run->writer);
                rc = write_batch(run, &b, stopping, state, exit_code);
                if (rc == TALLY_OK || rc == TALLY_EACCES)
                    break;
            }
            if (rc == TALLY_OK)
                last_write = clock_mono_ns();
            report(run, rc);
        }

        RUN_LOCK(run);
        if (rc)
            run->run_dirty = 1;
        settle(run, &b, rc);
        failed = rc != TALLY_OK;
        run->io_error = rc;
        if (gen > run->flush_completed)
            run->flush_completed = gen;
        pthread_cond_broadcast(&run->done);
        if (stopping)
            break;
    }
    RUN_UNLOCK(run);
    writer_close(run->writer);
    run->writer = NULL;
    return NULL;
}

int flusher_start(tally_run *run)
{
    if (pthread_create(&run->thread, NULL, flusher_main, run) != 0)
        return TALLY_ENOMEM;
    run->thread_started = 1;
    return TALLY_OK;
}

int flusher_flush(tally_run *run, int timeout_ms)
{
    RUN_LOCK(run);
    if (run->stopping) {
        RUN_UNLOCK(run);
        return TALLY_EFINISHED;
    }
    uint64_t gen = ++run->flush_requested;
    pthread_cond_signal(&run->wake);
    struct timespec deadline = clock_deadline_ms(timeout_ms);
    int rc = TALLY_OK;
    while (run->flush_completed < gen) {
        if (pthread_cond_timedwait(&run->done, &run->mu, &deadline) == ETIMEDOUT) {
            rc = TALLY_ETIMEDOUT;
            break;
        }
    }
    if (rc == TALLY_OK)
        rc = run->io_error;
    RUN_UNLOCK(run);
    return rc;
}

int flusher_stop(tally_run *run, int exit_code)
{
    RUN_LOCK(run);
    run->stopping = 1;
    run->finish_exit_code = exit_code;
    pthread_cond_signal(&run->wake);
    RUN_UNLOCK(run);
    pthread_join(run->thread, NULL);
    run->thread_started = 0;
    return run->io_error;
}
