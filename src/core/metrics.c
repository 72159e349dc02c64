/*
 * metrics.c — the run's key table: metric name -> metric, an open-addressing
 * hash index over the id-ordered metric array, plus the define_metric rules
 * that a new key picks up.  Called with the run lock held.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/run_internal.h"

int vec_grow(void **v, size_t *cap, size_t elem)
{
    size_t n = *cap ? *cap * 2 : 16;
    void *p = realloc(*v, n * elem);
    if (!p)
        return -1;
    *v = p;
    *cap = n;
    return 0;
}

void point_buf_release(point_buf *pb)
{
    free(pb->x);
    pb->x = NULL;
    pb->n = pb->cap = 0;
}

int point_buf_grow(point_buf *pb)
{
    size_t cap = pb->cap ? (size_t)pb->cap * 2 : 16; /* a key logged once costs little */
    if (cap > UINT32_MAX)
        return -1;
    static_assert(sizeof(int64_t) == sizeof(double), "x and y share one array");
    int64_t *nx = realloc(pb->x, cap * 2 * sizeof *nx);
    if (!nx)
        return -1;
    /* The y values move up to their new place, after cap x values. */
    memmove(nx + cap, nx + pb->cap, (size_t)pb->n * sizeof *nx);
    pb->x = nx;
    pb->cap = (uint32_t)cap;
    return 0;
}

/* FNV-1a, computing the length on the way. */
uint64_t metrics_hash(const char *key, size_t *len)
{
    uint64_t h = 0xcbf29ce484222325u;
    const unsigned char *p = (const unsigned char *)key;
    while (*p) {
        h ^= *p++;
        h *= 0x100000001b3u;
    }
    *len = (size_t)((const char *)p - key);
    return h;
}

int metrics_init(tally_run *run)
{
    run->index_mask = 255;
    run->index = calloc(run->index_mask + 1, sizeof *run->index);
    run->next_metric_id = 1;
    return run->index ? 0 : -1;
}

void metrics_free(tally_run *run)
{
    for (size_t i = 0; i < run->metrics.n; i++) {
        metric *m = run->metrics.v[i];
        free(m->pending.x);

        if (m->writing)
            point_buf_release(m->writing);
        free(m->writing);
        summary_free(&m->summary);
        free(m);
    }
    free(run->metrics.v);
    free(run->index);
    run->metrics.v = NULL;
    run->metrics.n = 0;
    run->index = NULL;
}

metric *metrics_find(tally_run *run, const char *key, size_t len, uint64_t hash)
{
    for (size_t i = hash & run->index_mask;; i = (i + 1) & run->index_mask) {
        uint32_t at = run->index[i];
        if (!at)
            return NULL;
        metric *m = run->metrics.v[at - 1];
        if (m->hash == (uint32_t)hash && m->name_len == len && memcmp(m->name, key, len) == 0)
            return m;
    }
}

/* Indexes the metric at position pos of run->metrics.v. */
static void index_insert(uint32_t *index, size_t mask, const metric *m, size_t pos)
{
    size_t i = m->hash & mask;
    while (index[i])
        i = (i + 1) & mask;
    index[i] = (uint32_t)(pos + 1);
}

/* Keeps the index at most half full. */
static int index_grow(tally_run *run)
{
    size_t mask = run->index_mask * 2 + 1;
    uint32_t *index = calloc(mask + 1, sizeof *index);
    if (!index)
        return -1;
    for (size_t i = 0; i < run->metrics.n; i++)
        index_insert(index, mask, run->metrics.v[i], i);
    free(run->index);
    run->index = index;
    run->index_mask = mask;
    return 0;
}

static int rule_matches(const metric_rule *r, const char *name)
{
    size_t n = strlen(r->pattern);
    if (n > 0 && r->pattern[n - 1] == '*')
        return strncmp(r->pattern, name, n - 1) == 0;
    return strcmp(r->pattern, name) == 0;
}

metric_rule *metrics_rule_new(const char *pattern, const char *step_metric, unsigned summary,
                              int goal)
{
    metric_rule *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->pattern = strdup(pattern);
    r->step_metric = step_metric ? strdup(step_metric) : NULL;
    r->summary = summary;
    r->goal = goal;
    if (!r->pattern || (step_metric && !r->step_metric)) {
        metrics_rule_free(r);
        return NULL;
    }
    return r;
}

void metrics_rule_free(metric_rule *r)
{
    if (!r)
        return;
    free(r->pattern);
    free(r->step_metric);
    free(r);
}

/* The most specific rule: an exact match, else the longest prefix; among
 * equals, the latest defined. */
const metric_rule *metrics_rule_for(const tally_run *run, const char *name)
{
    const metric_rule *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < run->rules.n; i++) {
        const metric_rule *r = run->rules.v[i];
        if (!rule_matches(r, name))
            continue;
        size_t len = strlen(r->pattern);
        int exact = r->pattern[len - 1] != '*';
        size_t score = exact ? (size_t)-1 : len;
        if (!best || score >= best_len) {
            best = r;
            best_len = score;
        }
    }
    return best;
}

metric *metrics_add(tally_run *run, const char *key, size_t len, uint64_t hash, int axis,
                    int hidden)
{
    if ((run->metrics.n + 1) * 2 > run->index_mask + 1 && index_grow(run) < 0)
        return NULL;
    if (len > UINT32_MAX || run->next_metric_id > INT32_MAX || run->metrics.n >= UINT32_MAX - 1)
        return NULL;
    metric *m = calloc(1, sizeof *m + len + 1);
    if (!m)
        return NULL;
    if (VEC_PUSH(run->metrics, m) < 0) {
        free(m);
        return NULL;
    }
    memcpy(m->name, key, len + 1);
    m->name_len = (uint32_t)len;
    m->hash = (uint32_t)hash;
    m->id = (uint32_t)run->next_metric_id++;
    m->axis = axis;
    m->is_int = 1;
    m->rule = metrics_rule_for(run, m->name);
    m->hidden = hidden || (m->rule && (m->rule->summary & TALLY_METRIC_HIDDEN));
    m->meta_dirty = 1; /* the file's row says is_int = 0 until told */
    index_insert(run->index, run->index_mask, m, run->metrics.n - 1);
    return m;
}
