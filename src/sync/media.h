/*
 * media.h — the media side of sync: the files the objects of a history row
 * name (a list without repeats, walked step by step beside the history
 * rows), and the config's _wandb.visualize.<chart> entries of custom
 * charts.  Reads through tally_store.h only; sync.c uploads.
 */
#ifndef TALLY_SYNC_MEDIA_H
#define TALLY_SYNC_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "tally_store.h"

/* One file a history row names, as the server will know it. */
typedef struct sync_media_file {
    char *path;      /* media/images/..., the name in CreateRunFiles and "uploaded" */
    char sha256[65]; /* of the bytes (tally_store_blob) */
    int64_t size;
    int listed; /* sync.c: named in the "uploaded" of the request that carries it */
} sync_media_file;

/* Files in the order first added, each path once. */
typedef struct sync_media_list {
    sync_media_file *v;
    size_t n, cap;
    size_t *slot; /* open addressing over v by path hash: index + 1, 0 empty */
    size_t nslots;
} sync_media_list;

void sync_media_list_reset(sync_media_list *l); /* empty again; keeps its memory */
void sync_media_list_free(sync_media_list *l);
int sync_media_list_has(const sync_media_list *l, const char *path);
/* Adds a copy of the file unless its path is there: 1 added, 0 there,
 * TALLY_ENOMEM. */
int sync_media_list_add(sync_media_list *l, const char *path, const char *sha256,
                        int64_t size);
/* Adds every file of from not in l; with cost, the fstream_uploaded_cost()
 * of those only, without adding them (dry: a size check first). */
int sync_media_list_merge(sync_media_list *l, const sync_media_list *from, size_t *cost,
                          int dry);
/* Moves l's contents to *to (emptied first), leaving l empty. */
void sync_media_list_move(sync_media_list *l, sync_media_list *to);

/* Walks a run's objects in step order beside its history rows. */
typedef struct sync_media_walk {
    tally_store *st;
    tally_media_iter *it;
    tally_media cur; /* the next object, when have */
    int have;
    /* The keys (metric ids) of the objects at the last step whose stored
     * files failed their checksum: their values leave the row. */
    int64_t *left_out;
    size_t nleft, leftcap;
} sync_media_walk;

/* Opens the walk at step from (nothing to walk: it->it stays NULL). */
int sync_media_walk_open(sync_media_walk *w, tally_store *st, int64_t from);
/* Fills row (emptied first) with the files of the objects at step, each
 * checked against its checksum unless known lists it already; an object
 * with a damaged file adds none and goes to left_out.  Objects before step
 * are passed over. */
int sync_media_walk_step(sync_media_walk *w, int64_t step, const sync_media_list *known,
                         sync_media_list *row);
int sync_media_walk_left_out(const sync_media_walk *w, int64_t metric_id);
void sync_media_walk_close(sync_media_walk *w);

/* The run's config (a JSON object) with, for each custom chart, the value
 * wandb's SDK puts in its config, _wandb.visualize.<chart> =
 * {"panel_type":"Vega2","panel_config":{...}} (the chart's last object's
 * panel_json), merged into any "_wandb" object already there.  *out is
 * malloc'd. */
int sync_media_config(tally_store *st, const char *config_json, char **out);

#endif
