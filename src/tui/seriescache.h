/*
 * seriescache.h — decimated series remembered between frames, so a live
 * refresh reads only what is new.  History is append-only, so for a grid
 * of nb buckets of k points each starting at x0, every bucket before the
 * one holding the last point seen is final: a refresh re-reads from that
 * bucket on, and a pan by whole buckets shifts the rest.  Owned by the
 * app (one per dashboard); view_charts.c is its only caller.
 */
#ifndef TALLY_TUI_SERIESCACHE_H
#define TALLY_TUI_SERIESCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "tally_store.h"

typedef struct series_cache series_cache;

series_cache *series_cache_new(void);
void series_cache_free(series_cache *c);
/* Forgets every entry of store (NULL: all), before the handle is closed. */
void series_cache_forget(series_cache *c, const tally_store *store);
/* out[0..nb) as tally_store_series(store, m->id, x0, x0 + k * nb - 1, nb,
 * out) would fill it (m as of the last tally_store_refresh).  Without a
 * cache (c NULL) it is exactly that call. */
int series_cache_get(series_cache *c, tally_store *store, const tally_metric_info *m, int64_t x0,
                     int64_t k, size_t nb, tally_bucket *out);

#endif
