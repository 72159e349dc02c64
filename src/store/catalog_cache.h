/*
 * catalog_cache.h — what catalog.c remembers between processes about run
 * files that no longer change: the run row, summary and config of every
 * finished, failed or crashed run, keyed by the file's absolute path and
 * stamped with its size and modification time (and its WAL's).  A stamp
 * that differs means the entry is ignored and the file read again.
 *
 * Derived data only: the cache lives in $TALLY_CACHE_DIR (set it to
 * "none" to turn it off), else $XDG_CACHE_HOME/tally, else
 * ~/.cache/tally; any failure to use it just means reading the files.
 */
#ifndef TALLY_CATALOG_CACHE_H
#define TALLY_CATALOG_CACHE_H

#include <stdint.h>

#include "tally_store.h"

typedef struct file_stamp {
    int64_t size, mtime_ns, wal_size, wal_mtime_ns;
} file_stamp;

typedef struct catalog_cache catalog_cache;

/* NULL when there is no usable cache (never an error). */
catalog_cache *catalog_cache_open(void);
/* Fills *out (strings malloc'd, as the run list owns them) when the cache
 * holds key with this stamp; 1 then, else 0. */
int catalog_cache_get(catalog_cache *c, const char *key, const file_stamp *stamp,
                      tally_run_info *out);
/* Remembers a run that will not change while its file does not. */
void catalog_cache_put(catalog_cache *c, const char *key, const file_stamp *stamp,
                       const tally_run_info *info);
/* Forgets the runs under abs_root whose files are gone, and every entry
 * not written for a month (roots that were deleted). */
void catalog_cache_prune(catalog_cache *c, const char *abs_root);
/* Writes what was put, in one transaction, and closes. */
void catalog_cache_close(catalog_cache *c);

#endif
