/*
 * log.c — the logging calls: staging values into the open row, committing
 * rows, summaries, config and metric rules.
 *
 * Everything here runs on the caller's thread under the run lock and does
 * no I/O: a call costs a hash lookup and an append.  Committed points wait
 * in per-metric buffers until the flusher takes them.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/text.h"
#include "core/jscan.h"
#include "core/media_job.h"
#include "core/run_internal.h"

/* Largest integer a double holds exactly; bigger int64 values are stored as
 * JSON text so they read back exact. */
#define EXACT_INT_MAX 9007199254740992.0

/* A value on its way into the open row. */
typedef struct staged_value {
    const char *key;
    double value;
    char *json;       /* non-scalar: owned JSON text */
    const char *type; /* non-scalar type */
    int is_int;
    media_job *media; /* an object: owned */
} staged_value;

/* Finds the key's metric: *out NULL when the key is new (and unchecked);
 * TALLY_EKEY for a key the logging calls may not use. */
static int find(tally_run *run, const char *key, metric **out)
{
    metric *m = run->predicted;
    if (m && strcmp(m->name, key) == 0) {
        *out = m; /* staged in a row before: a valid step metric */
        return TALLY_OK;
    }
    size_t len;
    uint64_t hash = metrics_hash(key, &len);
    m = metrics_find(run, key, len, hash);
    *out = m;
    if (m && (m == run->m_timestamp || m == run->m_runtime || m->axis != TALLY_AXIS_STEP))
        return TALLY_EKEY; /* reserved, or a time-axis sample (capture's keys) */
    return TALLY_OK;
}

/* Finds the key's metric, creating it after checking the key. */
static int lookup(tally_run *run, const char *key, metric **out)
{
    int rc = find(run, key, out);
    if (rc || *out)
        return rc;
    size_t len;
    rc = key_check(key, &len);
    if (rc)
        return rc;
    if (key_reserved(key))
        return TALLY_EKEY;
    size_t n;
    metric *m = metrics_add(run, key, len, metrics_hash(key, &n), 0, 0);
    if (!m)
        return TALLY_ENOMEM;
    *out = m;
    return TALLY_OK;
}

static void entry_clear(tally_run *run, row_entry *e)
{
    if (e->json) { /* scalars have none: no call per value */
        free(e->json);
        e->json = NULL;
    }
    if (e->media) {
        run->row_media_bytes -= e->media->bytes;
        media_job_free(e->media);
        e->media = NULL;
    }
}

/* Puts a value in the open row; a key already in the row is overwritten. */
static int stage(tally_run *run, metric *m, staged_value *v)
{
    row_entry e = {m, v->value, v->json, v->type, v->media};
    int is_int = v->json ? strcmp(v->type, "int") == 0 : v->is_int;
    if (m->is_int && !is_int && !v->media) {
        m->is_int = 0;
        m->meta_dirty = 1;
    }
    if (m->staged_slot < run->row.n && run->row.v[m->staged_slot].m == m) {
        row_entry *old = &run->row.v[m->staged_slot]; /* a key appears once in a row */
        entry_clear(run, old);
        *old = e;
    } else {
        if (VEC_PUSH(run->row, e) < 0)
            return TALLY_ENOMEM;
        m->staged_slot = run->row.n - 1 < UINT32_MAX ? (uint32_t)(run->row.n - 1) : UINT32_MAX;
        /* Remember the order for the next row's prediction. */
        if (run->last_staged)
            run->last_staged->next = m;
        else
            run->row_head = m;
        run->last_staged = m;
    }
    run->predicted = m->next;
    if (v->media)
        run->row_media_bytes += v->media->bytes;
    v->json = NULL; /* owned by the row now */
    v->media = NULL;
    return TALLY_OK;
}

void run_discard_row(tally_run *run)
{
    for (size_t i = 0; i < run->row.n; i++)
        entry_clear(run, &run->row.v[i]);
    run->row.n = 0;
    run->row_media_bytes = 0;
    run->row_gen++;
    if (run->last_staged)
        run->last_staged->next = NULL; /* the last key has no successor */
    run->last_staged = NULL;
    run->predicted = run->row_head;
}

/* A value the run refuses because the disk is not keeping up: counted in
 * the file, so `tally show` and the dashboard say what is missing. */
static void count_dropped(tally_run *run, size_t n)
{
    run->dropped += n;
    run->run_dirty = 1;
}

static inline int append_point(tally_run *run, metric *m, int64_t x, double y)
{
    if (run->pending_points >= RUN_MAX_PENDING_POINTS) {
        count_dropped(run, 1);
        return TALLY_EFULL;
    }
    if (point_buf_push(&m->pending, x, y) < 0)
        return TALLY_ENOMEM;
    run->pending_points++;
    return TALLY_OK;
}

/* Holds a caller that outruns a working disk at the soft bounds (points,
 * queued strings and JSON values, media) until the flusher has written what
 * it holds (see run_internal.h).  Called with the lock held; the wait
 * releases it. */
static inline int over_bounds(const tally_run *run)
{
    return run->pending_points + run->row.n >= RUN_SOFT_PENDING_POINTS ||
           run->pending_object_bytes >= RUN_SOFT_OBJECT_BYTES ||
           run->media_bytes + run->row_media_bytes > TALLY_MEDIA_QUEUE_BYTES;
}

static void throttle(tally_run *run)
{
    if (!over_bounds(run) || run->io_error || run->stopping || !run->thread_started ||
        getpid() != run->pid)
        return; /* under the bounds, a failing disk, or no flusher here (a fork) */
    struct timespec deadline = clock_deadline_ms(RUN_THROTTLE_MS);
    while (over_bounds(run) && !run->io_error && !run->stopping) {
        pthread_cond_signal(&run->wake);
        if (pthread_cond_timedwait(&run->done, &run->mu, &deadline) == ETIMEDOUT)
            break;
    }
}

int run_commit_locked(tally_run *run)
{
    if (run->row.n == 0)
        return TALLY_OK; /* an empty step is not stored */
    throttle(run);
    /* One clock read, not two (they were a fifth of a one-metric step's
     * cost): _timestamp is monotonic time plus the wall offset the flusher
     * refreshes every flush.  Not the coarse clock: steps a millisecond
     * apart would share a stamp, and a chart against time (the dashboard's
     * relative and wall-time axes) would fold them onto one x. */
    int64_t mono = clock_mono_ns();
    /* Rounded to binary fractions of a second (2^-20 s, about 1 us, for
     * _runtime; 2^-16 s, 15 us, for _timestamp, whose seconds take 31 bits
     * of the double): the low bits of the mantissa are then zero, and the
     * chunk encoder stores a stamp in half the bytes. */
    double wall = ldexp(nearbyint(ldexp((double)mono * 1e-9 + run->wall_offset, 16)), -16);
    double runtime = ldexp(nearbyint(ldexp((double)(mono - run->start_mono) / 1e9, 20)), -20);
    int64_t step = run->step;
    int rc = TALLY_OK;
    if (step == INT64_MAX) {
        rc = TALLY_EINVAL; /* the last step has no next one to move to */
    } else if (run->pending_points + run->row.n + 2 > RUN_MAX_PENDING_POINTS) {
        rc = TALLY_EFULL;
        count_dropped(run, run->row.n);
    } else {
        for (size_t i = 0; i < run->row.n; i++) {
            row_entry *e = &run->row.v[i];
            metric *m = e->m;
            if (e->media) {
                /* The queue is bounded: past it (after the throttle's wait)
                 * the object is dropped, counted and warned about. */
                media_job *job = e->media;
                if (run->media_bytes + job->bytes > TALLY_MEDIA_QUEUE_BYTES) {
                    rc = TALLY_EFULL;
                    count_dropped(run, 1);
                    continue;
                }
                job->metric_id = m->id;
                job->x = step;
                if (VEC_PUSH(run->media, job) < 0) {
                    rc = TALLY_ENOMEM;
                    continue;
                }
                run->media_bytes += job->bytes;
                run->row_media_bytes -= job->bytes;
                e->media = NULL;
                continue; /* a media key's summary is its last object (the reader's) */
            }
            if (e->json) {
                pending_object o = {m->id, step, e->type, e->json};
                size_t len = strlen(e->json);
                if (run->pending_object_bytes + len > RUN_MAX_OBJECT_BYTES) {
                    rc = TALLY_EFULL; /* the disk is not keeping up: bounded memory */
                    count_dropped(run, 1);
                    continue;
                }
                if (VEC_PUSH(run->objects, o) < 0) {
                    rc = TALLY_ENOMEM;
                    continue;
                }
                run->pending_object_bytes += len;
                summary_add_json(&m->summary, e->json);
                e->json = NULL;
            } else {
                int prc = append_point(run, m, step, e->value);
                if (prc) {
                    rc = prc;
                    continue;
                }
                summary_add(&m->summary, e->value);
            }
            m->summary_dirty = 1;
        }
        if (append_point(run, run->m_timestamp, step, wall) ||
            append_point(run, run->m_runtime, step, runtime))
            rc = rc ? rc : TALLY_ENOMEM;
        run->rows++;
        run->last_step = step;
        run->step = step + 1;
        run->run_dirty = 1;
    }
    run_discard_row(run);
    if (run->pending_points >= RUN_FLUSH_EARLY_POINTS ||
        run->pending_object_bytes >= RUN_FLUSH_EARLY_OBJECT_BYTES ||
        run->media_bytes >= RUN_FLUSH_EARLY_MEDIA_BYTES)
        pthread_cond_signal(&run->wake);
    return rc;
}

/* The warning for a commit's result, called once the run lock is released:
 * with console capture, stderr is a pipe drained by the tee thread, which
 * takes the run lock for every line, so a warning written under the lock
 * could wait forever on a full pipe. */
void run_commit_warn(tally_run *run, int rc)
{
    if (rc == TALLY_EFULL)
        run_warn(run, rc, "the run file is not keeping up: dropping values (%s)",
                 tally_strerror(rc));
}

/* The flusher's last error, reported once by the logging calls so the
 * host learns that the disk is in trouble. */
static int sticky(tally_run *run, int rc)
{
    if (rc == TALLY_OK && run->io_error)
        return run->io_error;
    return rc;
}

/* Stages one value at the current step (or at `step` when at_step). */
static int log_value(tally_run *run, const char *key, staged_value *v, int at_step, int64_t step)
{
    if (!run || !key) {
        free(v->json);
        return TALLY_EINVAL;
    }
    if (run->disabled) {
        free(v->json);
        return TALLY_OK;
    }
    int rc = TALLY_OK, media_key = 0;
    int64_t current = 0;
    RUN_LOCK(run);
    if (run->stopping) {
        rc = TALLY_EFINISHED;
        goto out;
    }
    if (at_step && step < run->step) {
        current = run->step;
        rc = TALLY_ESTEP; /* warned once the lock is released */
        goto out;
    }
    if (at_step && step == INT64_MAX) {
        rc = TALLY_EINVAL; /* a row there could not be committed */
        goto out;
    }
    metric *m;
    rc = lookup(run, key, &m);
    if (rc)
        goto out;
    if (m->media) {
        rc = TALLY_EINVAL; /* the key holds objects (warned below) */
        media_key = 1;
        goto out;
    }
    if (at_step && step > run->step) {
        rc = run_commit_locked(run);
        run->step = step;
        if (rc)
            goto out;
    }
    rc = stage(run, m, v);
    rc = sticky(run, rc);
out:
    RUN_UNLOCK(run);
    if (v->json) /* not staged (an error): a scalar has none */
        free(v->json);
    if (rc == TALLY_ESTEP)
        run_warn(run, rc, "step %lld is before the current step %lld: not logged (%s)",
                 (long long)step, (long long)current, "history is append-only");
    if (media_key)
        run_warn(run, rc, "key %s holds images, tables or other objects: value not logged",
                 key);
    run_commit_warn(run, rc);
    return rc;
}

int tally_log(tally_run *run, const char *key, double value)
{
    staged_value v = {key, value, NULL, NULL, 0, NULL};
    return log_value(run, key, &v, 0, 0);
}

int tally_log_at(tally_run *run, int64_t step, const char *key, double value)
{
    staged_value v = {key, value, NULL, NULL, 0, NULL};
    return log_value(run, key, &v, 1, step);
}

int tally_set_step(tally_run *run, int64_t step)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    int rc = TALLY_OK;
    int64_t current;
    RUN_LOCK(run);
    current = run->step;
    if (run->stopping)
        rc = TALLY_EFINISHED;
    else if (step < current)
        rc = TALLY_ESTEP;
    else if (step == INT64_MAX)
        rc = TALLY_EINVAL;
    else if (step > current) {
        rc = run_commit_locked(run);
        run->step = step;
        rc = sticky(run, rc);
    }
    RUN_UNLOCK(run);
    if (rc == TALLY_ESTEP)
        run_warn(run, rc, "step %lld is before the current step %lld: not logged (%s)",
                 (long long)step, (long long)current, "history is append-only");
    run_commit_warn(run, rc);
    return rc;
}

static int int_value(int64_t value, staged_value *v)
{
    /* Compared as integers: 2^53 + 1 converts to 2^53 and would pass. */
    if (value >= -(INT64_C(1) << 53) && value <= (INT64_C(1) << 53)) {
        v->value = (double)value;
        v->is_int = 1;
        return TALLY_OK;
    }
    buf b = BUF_INIT;
    buf_printf(&b, "%lld", (long long)value);
    v->json = buf_steal(&b);
    v->type = "int";
    return v->json ? TALLY_OK : TALLY_ENOMEM;
}

int tally_log_int(tally_run *run, const char *key, int64_t value)
{
    staged_value v = {key, 0, NULL, NULL, 0, NULL};
    int rc = int_value(value, &v);
    return rc ? rc : log_value(run, key, &v, 0, 0);
}

static int string_value(const char *value, staged_value *v)
{
    if (!value)
        return TALLY_EINVAL;
    if (!utf8_valid(value, strlen(value)))
        return TALLY_EUTF8;
    buf b = BUF_INIT;
    json_string(&b, value);
    v->json = buf_steal(&b);
    v->type = "string";
    return v->json ? TALLY_OK : TALLY_ENOMEM;
}

int tally_log_str(tally_run *run, const char *key, const char *value)
{
    staged_value v = {key, 0, NULL, NULL, 0, NULL};
    int rc = string_value(value, &v);
    return rc ? rc : log_value(run, key, &v, 0, 0);
}

static const char *media_type_word(int type)
{
    static const char *const words[] = {"values", "an image", "a gallery", "a histogram",
                                        "a table", "audio", "video", "a plot"};
    return type >= 0 && type <= TALLY_MEDIA_PLOT ? words[type] : "objects";
}

int run_stage_media(tally_run *run, const char *key, media_job *job)
{
    int rc = TALLY_OK, held = -1;
    RUN_LOCK(run);
    metric *m = NULL;
    if (run->stopping) {
        rc = TALLY_EFINISHED;
        goto out;
    }
    rc = find(run, key, &m);
    if (!rc && !m) {
        rc = lookup(run, key, &m); /* a new key: checked, created, and it takes this type */
        if (!rc)
            m->media = (unsigned char)job->type;
    }
    if (rc)
        goto out;
    if (m->media != job->type) {
        held = m->media; /* values, or objects of another type */
        rc = TALLY_EINVAL;
        goto out;
    }
    staged_value v = {key, 0, NULL, NULL, 0, job};
    job = NULL;
    rc = stage(run, m, &v);
    job = v.media; /* not staged: still ours */
    rc = sticky(run, rc);
out:
    RUN_UNLOCK(run);
    media_job_free(job);
    if (held >= 0)
        run_warn(run, rc, "key %s already holds %s: nothing else can be logged under it", key,
                 media_type_word(held));
    return rc;
}

/* ---- tally_log_json: flatten, check everything, then stage all ---- */

typedef VEC(staged_value) value_list;

static void value_list_free(value_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->v[i].key);
        free(l->v[i].json);
    }
    free(l->v);
}

static int flatten(const cJSON *obj, buf *path, value_list *out)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        size_t mark = path->len;
        if (mark)
            buf_putc(path, '/');
        buf_puts(path, it->string ? it->string : "");
        if (path->oom)
            return TALLY_ENOMEM;
        int rc = TALLY_OK;
        if (cJSON_IsObject(it) && !cJSON_GetObjectItemCaseSensitive(it, "_type")) {
            rc = flatten(it, path, out);
        } else {
            staged_value v = {NULL, 0, NULL, NULL, 0, NULL};
            if (cJSON_IsNumber(it) && it->valuestring) {
                /* An integer past 2^53 (json_parse keeps its digits). */
                v.json = strdup(it->valuestring);
                v.type = "int";
                if (!v.json)
                    rc = TALLY_ENOMEM;
            } else if (cJSON_IsNumber(it)) {
                v.value = it->valuedouble;
                v.is_int = v.value == floor(v.value) && fabs(v.value) <= EXACT_INT_MAX;
            } else if (cJSON_IsString(it)) {
                rc = string_value(it->valuestring, &v);
            } else {
                v.json = json_print(it, JSON_BARE_NONFINITE);
                v.type = "json";
                if (!v.json)
                    rc = TALLY_ENOMEM;
            }
            if (!rc) {
                rc = key_check(buf_cstr(path), NULL);
                if (!rc && key_reserved(buf_cstr(path)))
                    rc = TALLY_EKEY;
            }
            if (!rc) {
                v.key = strdup(buf_cstr(path));
                if (!v.key || VEC_PUSH(*out, v) < 0) {
                    free((char *)v.key);
                    rc = TALLY_ENOMEM;
                }
            }
            if (rc)
                free(v.json);
        }
        path->len = mark;
        if (path->data)
            path->data[mark] = '\0';
        if (rc)
            return rc;
    }
    return TALLY_OK;
}

/* Stages values[0..n) all or nothing: every key is looked up (created)
 * first, so a refused one stages none.  ms: a metric per value, or NULL
 * where it is still to be looked up.  Called with the lock held. */
static int stage_all(tally_run *run, staged_value *values, size_t n, metric **ms)
{
    if (run->stopping)
        return TALLY_EFINISHED;
    metric *saved = run->predicted;
    int rc = TALLY_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!ms[i])
            rc = lookup(run, values[i].key, &ms[i]);
        if (!rc && ms[i]->media)
            rc = TALLY_EINVAL; /* the key holds objects */
        if (!rc)
            run->predicted = ms[i]->next; /* the object lists keys in row order too */
    }
    run->predicted = saved;
    for (size_t i = 0; i < n && !rc; i++)
        rc = stage(run, ms[i], &values[i]);
    return sticky(run, rc);
}

#define DECLINED 1 /* not a TALLY_E* code: take the general path */

/* The fast path checks only the keys it has not seen: DECLINED when a new
 * one is not a valid key (the general path then reports why, creating
 * nothing).  Called with the lock held. */
static int known_or_valid(tally_run *run, const staged_value *values, size_t n, metric **ms)
{
    metric *saved = run->predicted;
    int rc = TALLY_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = find(run, values[i].key, &ms[i]);
        if (!rc && !ms[i] && (key_check(values[i].key, NULL) || key_reserved(values[i].key)))
            rc = DECLINED;
        run->predicted = ms[i] ? ms[i]->next : NULL;
    }
    run->predicted = saved;
    return rc;
}

#define JSON_STACK_VALUES 64 /* objects up to this many values need no allocation */

/* The fast path: an object jscan could read.  DECLINED when a key or
 * string needs the general path's verdict (it then reports the error). */
static int log_scanned(tally_run *run, const jscan *sc)
{
    staged_value stack_values[JSON_STACK_VALUES];
    metric *stack_ms[JSON_STACK_VALUES];
    staged_value *values = stack_values;
    metric **ms = stack_ms;
    if (sc->n > JSON_STACK_VALUES) {
        values = malloc(sc->n * sizeof *values);
        ms = malloc(sc->n * sizeof *ms);
        if (!values || !ms) {
            free(values);
            free(ms);
            return TALLY_ENOMEM;
        }
    }
    int rc = TALLY_OK;
    size_t n = 0;
    for (; n < sc->n && !rc; n++) {
        const jscan_item *it = &sc->items[n];
        staged_value *v = &values[n];
        *v = (staged_value){sc->text.data + it->key, 0, NULL, NULL, 0, NULL};
        if (it->is_str) {
            if (string_value(sc->text.data + it->str, v) != TALLY_OK)
                rc = DECLINED;
        } else {
            v->value = it->number;
            v->is_int = v->value == floor(v->value) && fabs(v->value) <= EXACT_INT_MAX;
        }
    }
    if (!rc) {
        RUN_LOCK(run);
        rc = known_or_valid(run, values, n, ms);
        if (!rc)
            rc = stage_all(run, values, n, ms);
        RUN_UNLOCK(run);
    }
    for (size_t i = 0; i < n; i++)
        free(values[i].json); /* what was not staged */
    if (values != stack_values) {
        free(values);
        free(ms);
    }
    return rc;
}

int tally_log_json(tally_run *run, const char *json_object)
{
    if (!run || !json_object)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    jscan sc;
    int rc = jscan_object(json_object, &sc);
    if (rc < 0)
        return TALLY_ENOMEM;
    if (rc == 1) {
        rc = log_scanned(run, &sc);
        jscan_free(&sc);
        if (rc != DECLINED)
            return rc;
    }
    cJSON *root = json_parse(json_object); /* bare NaN / Infinity too */
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return TALLY_EJSON;
    }
    value_list values = {0};
    buf path = BUF_INIT;
    rc = flatten(root, &path, &values);
    buf_free(&path);
    cJSON_Delete(root);
    metric **ms = NULL;
    if (!rc && values.n && !(ms = calloc(values.n, sizeof *ms)))
        rc = TALLY_ENOMEM;
    if (!rc) {
        RUN_LOCK(run);
        rc = stage_all(run, values.v, values.n, ms);
        RUN_UNLOCK(run);
    }
    free(ms);
    value_list_free(&values);
    return rc;
}

int tally_commit(tally_run *run)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    RUN_LOCK(run);
    int rc = run->stopping ? TALLY_EFINISHED : sticky(run, run_commit_locked(run));
    RUN_UNLOCK(run);
    run_commit_warn(run, rc);
    return rc;
}

int64_t tally_step(const tally_run *run)
{
    if (!run || run->disabled)
        return 0;
    tally_run *r = (tally_run *)run; /* the lock is not part of the value */
    RUN_LOCK(r);
    int64_t step = r->step;
    RUN_UNLOCK(r);
    return step;
}

/* ---- rules, summary, config ---- */

int tally_define_metric(tally_run *run, const char *pattern, const char *step_metric,
                        unsigned summary, int goal)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    int rc = key_check(pattern, NULL);
    if (!rc && step_metric)
        rc = key_check(step_metric, NULL);
    if (rc)
        return rc;
    if (goal < TALLY_GOAL_NONE || goal > TALLY_GOAL_MAXIMIZE ||
        (summary & ~0x7fu) != 0)
        return TALLY_EINVAL;
    metric_rule *r = metrics_rule_new(pattern, step_metric, summary, goal);
    if (!r)
        return TALLY_ENOMEM;
    RUN_LOCK(run);
    if (run->stopping) {
        rc = TALLY_EFINISHED;
    } else if (VEC_PUSH(run->rules, r) < 0) {
        rc = TALLY_ENOMEM;
    } else {
        r = NULL;
        /* Existing metrics pick up the new rule as a new key would. */
        for (size_t i = 0; i < run->metrics.n; i++) {
            metric *m = run->metrics.v[i];
            const metric_rule *rule = metrics_rule_for(run, m->name);
            if (rule != m->rule) {
                m->rule = rule;
                if (rule && (rule->summary & TALLY_METRIC_HIDDEN))
                    m->hidden = 1;
                m->meta_dirty = 1;
                m->summary_dirty = 1;
            }
        }
    }
    RUN_UNLOCK(run);
    metrics_rule_free(r); /* NULL once the run holds it */
    return rc;
}

/* Queues key=json into a pending list (summary sets, config). */
static int queue_kv(tally_run *run, void *list, const char *key, char *json)
{
    VEC(pending_kv) *l = list;
    pending_kv kv = {strdup(key), json};
    if (!kv.key || VEC_PUSH(*l, kv) < 0) {
        free(kv.key);
        free(json);
        return TALLY_ENOMEM;
    }
    return TALLY_OK;
}

int tally_summary_set(tally_run *run, const char *key, double value)
{
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    size_t len;
    int rc = key_check(key, &len);
    if (rc)
        return rc;
    RUN_LOCK(run);
    if (run->stopping) {
        rc = TALLY_EFINISHED;
    } else {
        size_t n;
        metric *m = metrics_find(run, key, len, metrics_hash(key, &n));
        if (m) {
            summary_set(&m->summary, value);
            m->summary_dirty = 1;
        } else {
            buf b = BUF_INIT;
            json_number(&b, value, JSON_BARE_NONFINITE);
            char *json = buf_steal(&b);
            rc = json ? queue_kv(run, &run->summary_sets, key, json) : TALLY_ENOMEM;
        }
    }
    RUN_UNLOCK(run);
    return rc;
}

/* Checks a JSON value and returns it compact (malloc'd), or NULL. */
static char *normalize_json(const char *json_value, int *rc)
{
    cJSON *v = json_value ? json_parse(json_value) : NULL;
    if (!v) {
        *rc = json_value ? TALLY_EJSON : TALLY_EINVAL;
        return NULL;
    }
    char *out = json_print(v, JSON_BARE_NONFINITE);
    cJSON_Delete(v);
    *rc = out ? TALLY_OK : TALLY_ENOMEM;
    return out;
}

/* What the key + JSON value calls check first: a run, a good key (its
 * length in *len when asked) and a JSON value, returned compact in *json.
 * *json is NULL when there is nothing to do: an error, or a disabled run. */
static int key_json_args(tally_run *run, const char *key, const char *json_value, size_t *len,
                         char **json)
{
    *json = NULL;
    if (!run)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    int rc = key_check(key, len);
    if (rc)
        return rc;
    *json = normalize_json(json_value, &rc);
    return rc;
}

int tally_summary_set_json(tally_run *run, const char *key, const char *json_value)
{
    size_t len;
    char *json;
    int rc = key_json_args(run, key, json_value, &len, &json);
    if (!json)
        return rc;
    RUN_LOCK(run);
    if (run->stopping) {
        free(json);
        rc = TALLY_EFINISHED;
    } else {
        size_t n;
        metric *m = metrics_find(run, key, len, metrics_hash(key, &n));
        if (m) {
            /* Held as the key's last object value: logging the key replaces it. */
            rc = summary_add_json(&m->summary, json) ? TALLY_ENOMEM : TALLY_OK;
            m->summary_dirty = 1;
            free(json);
        } else {
            rc = queue_kv(run, &run->summary_sets, key, json);
        }
    }
    RUN_UNLOCK(run);
    return rc;
}

int tally_config_set(tally_run *run, const char *key, const char *json_value)
{
    char *json;
    int rc = key_json_args(run, key, json_value, NULL, &json);
    if (!json)
        return rc;
    RUN_LOCK(run);
    if (run->stopping) {
        free(json);
        rc = TALLY_EFINISHED;
    } else {
        rc = queue_kv(run, &run->config, key, json);
    }
    RUN_UNLOCK(run);
    return rc;
}

int tally_config_json(tally_run *run, const char *json_object)
{
    if (!run || !json_object)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    cJSON *root = json_parse(json_object);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return TALLY_EJSON;
    }
    int rc = TALLY_OK;
    for (const cJSON *it = root->child; it && !rc; it = it->next)
        rc = key_check(it->string, NULL);
    VEC(pending_kv) items = {0};
    for (const cJSON *it = root->child; it && !rc; it = it->next) {
        char *json = json_print(it, JSON_BARE_NONFINITE);
        rc = json ? queue_kv(run, &items, it->string, json) : TALLY_ENOMEM;
    }
    cJSON_Delete(root);
    RUN_LOCK(run);
    if (!rc && run->stopping)
        rc = TALLY_EFINISHED;
    for (size_t i = 0; i < items.n; i++) {
        if (!rc && VEC_PUSH(run->config, items.v[i]) == 0)
            continue;
        rc = rc ? rc : TALLY_ENOMEM;
        free(items.v[i].key);
        free(items.v[i].json);
    }
    RUN_UNLOCK(run);
    free(items.v);
    return rc;
}

int tally_save_file(tally_run *run, const char *path)
{
    if (!run || !path || !path[0])
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    char *copy = strdup(path);
    if (!copy)
        return TALLY_ENOMEM;
    int rc = TALLY_OK;
    RUN_LOCK(run);
    if (run->stopping)
        rc = TALLY_EFINISHED;
    else if (VEC_PUSH(run->files, copy) < 0)
        rc = TALLY_ENOMEM;
    RUN_UNLOCK(run);
    if (rc)
        free(copy);
    else
        pthread_cond_signal(&run->wake);
    return rc;
}

/* ---- what the run records by itself ---- */

int64_t run_elapsed_ms(const tally_run *run)
{
    return (clock_mono_ns() - run->start_mono) / 1000000;
}

int run_log_time(tally_run *run, const char *key, int64_t t_ms, double value)
{
    if (!run || !key)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    RUN_LOCK(run);
    int rc = TALLY_OK;
    size_t len;
    uint64_t hash = metrics_hash(key, &len);
    metric *m = metrics_find(run, key, len, hash);
    if (run->stopping) {
        rc = TALLY_EFINISHED;
    } else if (!m) {
        rc = key_check(key, &len);
        if (!rc && !(m = metrics_add(run, key, len, hash, TALLY_AXIS_TIME, 0)))
            rc = TALLY_ENOMEM;
        if (m)
            m->is_int = 0;
    } else if (m->axis != TALLY_AXIS_TIME) {
        rc = TALLY_EKEY; /* the key is already a step metric */
    }
    if (!rc)
        rc = append_point(run, m, t_ms, value);
    RUN_UNLOCK(run);
    return rc;
}

int run_log_line(tally_run *run, double t, int stream, const char *text, size_t len)
{
    if (!run || (!text && len))
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    char *copy = malloc(len + 1);
    if (!copy)
        return TALLY_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    pending_line line = {t, stream, copy, len};
    int rc = TALLY_OK;
    RUN_LOCK(run);
    if (run->stopping)
        rc = TALLY_EFINISHED;
    else if (run->pending_line_bytes + len > RUN_MAX_LINE_BYTES)
        rc = TALLY_EFULL;
    else if (VEC_PUSH(run->lines, line) < 0)
        rc = TALLY_ENOMEM;
    else
        run->pending_line_bytes += len;
    RUN_UNLOCK(run);
    if (rc)
        free(copy);
    return rc;
}

int run_set_text(tally_run *run, const char *column, const char *value)
{
    if (!run || !column)
        return TALLY_EINVAL;
    if (run->disabled)
        return TALLY_OK;
    char *json = value ? strdup(value) : NULL;
    if (value && !json)
        return TALLY_ENOMEM;
    RUN_LOCK(run);
    int rc = run->stopping ? TALLY_EFINISHED : queue_kv(run, &run->run_texts, column, json);
    RUN_UNLOCK(run);
    if (rc == TALLY_EFINISHED)
        free(json);
    return rc;
}
