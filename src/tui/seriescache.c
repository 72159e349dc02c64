/*
 * seriescache.c — the decimated-series memo (see seriescache.h).  A small
 * table of entries, the least recently used one replaced when full.
 */
#include "tui/seriescache.h"

#include <stdlib.h>
#include <string.h>

#define SERIES_CACHE_SIZE 256

typedef struct entry {
    const tally_store *store;
    int64_t metric_id, x0, k;
    size_t nb;
    int64_t known_n, known_xmax; /* what the metric held when filled */
    tally_bucket *b;
    uint64_t used;
} entry;

struct series_cache {
    entry e[SERIES_CACHE_SIZE];
    uint64_t tick;
};

series_cache *series_cache_new(void) { return calloc(1, sizeof(series_cache)); }

void series_cache_forget(series_cache *c, const tally_store *store)
{
    if (!c)
        return;
    for (size_t i = 0; i < SERIES_CACHE_SIZE; i++)
        if (c->e[i].b && (!store || c->e[i].store == store)) {
            free(c->e[i].b);
            memset(&c->e[i], 0, sizeof c->e[i]);
        }
}

void series_cache_free(series_cache *c)
{
    series_cache_forget(c, NULL);
    free(c);
}

static int fetch(tally_store *st, int64_t id, int64_t x0, int64_t k, size_t from, size_t to,
                 tally_bucket *out)
{
    if (to <= from)
        return 0;
    return tally_store_series(st, id, x0 + (int64_t)from * k, x0 + (int64_t)to * k - 1, to - from,
                              out + from);
}

static entry *slot_for(series_cache *c, const tally_store *st, const tally_metric_info *m,
                       int64_t k, size_t nb, int *hit)
{
    entry *lru = &c->e[0];
    for (size_t i = 0; i < SERIES_CACHE_SIZE; i++) {
        entry *e = &c->e[i];
        if (e->b && e->store == st && e->metric_id == m->id && e->k == k && e->nb == nb) {
            *hit = 1;
            return e;
        }
        if (!e->b || e->used < lru->used)
            lru = e;
        if (!e->b && lru->b)
            lru = e;
    }
    *hit = 0;
    return lru;
}

int series_cache_get(series_cache *c, tally_store *st, const tally_metric_info *m, int64_t x0,
                     int64_t k, size_t nb, tally_bucket *out)
{
    if (nb == 0 || k <= 0)
        return TALLY_EINVAL;
    if (!c)
        return fetch(st, m->id, x0, k, 0, nb, out);
    int hit;
    entry *e = slot_for(c, st, m, k, nb, &hit);
    e->used = ++c->tick;
    size_t valid_from = nb, valid_to = nb; /* [from, to): buckets reusable */
    if (hit && (x0 - e->x0) % k == 0) {
        int64_t d = (x0 - e->x0) / k; /* the grid moved by d buckets */
        if (d > -(int64_t)nb && d < (int64_t)nb) {
            /* out[i] = old[i + d] where that exists. */
            size_t lo = d < 0 ? (size_t)-d : 0, hi = d > 0 ? nb - (size_t)d : nb;
            for (size_t i = lo; i < hi; i++)
                out[i] = e->b[(int64_t)i + d];
            valid_from = lo;
            valid_to = hi;
            /* New points: everything from the bucket of the last one seen. */
            if (m->n != e->known_n) {
                int64_t first_dirty = e->known_n > 0 ? (e->known_xmax - x0) / k : 0;
                if (e->known_xmax < x0)
                    first_dirty = 0;
                if (first_dirty < (int64_t)valid_to)
                    valid_to = first_dirty < (int64_t)valid_from ? valid_from : (size_t)first_dirty;
            }
        }
    }
    int rc = 0;
    if (valid_from >= valid_to) {
        rc = fetch(st, m->id, x0, k, 0, nb, out);
    } else {
        rc = fetch(st, m->id, x0, k, 0, valid_from, out);
        if (!rc)
            rc = fetch(st, m->id, x0, k, valid_to, nb, out);
    }
    if (rc) {
        free(e->b);
        memset(e, 0, sizeof *e);
        return rc;
    }
    if (!hit || !e->b) {
        free(e->b);
        memset(e, 0, sizeof *e);
        e->b = malloc(nb * sizeof *e->b);
        if (!e->b)
            return 0; /* the answer is right; only the memo is lost */
        e->used = c->tick;
    }
    memcpy(e->b, out, nb * sizeof *out);
    e->store = st;
    e->metric_id = m->id;
    e->x0 = x0;
    e->k = k;
    e->nb = nb;
    e->known_n = m->n;
    e->known_xmax = m->x_max;
    return 0;
}
