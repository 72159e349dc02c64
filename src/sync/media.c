/*
 * media.c — the media side of sync (media.h): the files a history row's
 * objects name, kept as a list without repeats (one path, one upload),
 * and the _wandb.visualize entries custom charts add to the config, in the
 * shape of wandb's SDK (wandb/plot/custom_chart.py).  Called by sync.c.
 */
#include "sync/media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "sync/filestream.h"

/* ---- the list ---- */

static uint64_t path_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

void sync_media_list_reset(sync_media_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    l->n = 0;
    if (l->slot)
        memset(l->slot, 0, l->nslots * sizeof *l->slot);
}

void sync_media_list_free(sync_media_list *l)
{
    sync_media_list_reset(l);
    free(l->v);
    free(l->slot);
    memset(l, 0, sizeof *l);
}

/* The slot path hashes to: the one holding it, or the empty one where it
 * would go.  nslots is a power of two, never more than half full. */
static size_t find_slot(const sync_media_list *l, const char *path)
{
    size_t mask = l->nslots - 1;
    for (size_t i = (size_t)path_hash(path) & mask;; i = (i + 1) & mask) {
        size_t k = l->slot[i];
        if (!k || strcmp(l->v[k - 1].path, path) == 0)
            return i;
    }
}

int sync_media_list_has(const sync_media_list *l, const char *path)
{
    return l->nslots && l->slot[find_slot(l, path)] != 0;
}

static int grow_slots(sync_media_list *l)
{
    size_t n = l->nslots ? l->nslots * 2 : 64;
    size_t *slot = calloc(n, sizeof *slot);
    if (!slot)
        return TALLY_ENOMEM;
    free(l->slot);
    l->slot = slot;
    l->nslots = n;
    for (size_t i = 0; i < l->n; i++)
        l->slot[find_slot(l, l->v[i].path)] = i + 1;
    return TALLY_OK;
}

int sync_media_list_add(sync_media_list *l, const char *path, const char *sha256,
                        int64_t size)
{
    if ((l->n + 1) * 2 > l->nslots && grow_slots(l))
        return TALLY_ENOMEM;
    size_t at = find_slot(l, path);
    if (l->slot[at])
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        sync_media_file *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return TALLY_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    sync_media_file *f = &l->v[l->n];
    f->path = strdup(path);
    if (!f->path)
        return TALLY_ENOMEM;
    snprintf(f->sha256, sizeof f->sha256, "%s", sha256 ? sha256 : "");
    f->size = size;
    f->listed = 0;
    l->slot[at] = ++l->n;
    return 1;
}

int sync_media_list_merge(sync_media_list *l, const sync_media_list *from, size_t *cost,
                          int dry)
{
    size_t c = 0;
    for (size_t i = 0; i < from->n; i++) {
        const sync_media_file *f = &from->v[i];
        if (dry) {
            if (!sync_media_list_has(l, f->path))
                c += fstream_uploaded_cost(f->path);
            continue;
        }
        int rc = sync_media_list_add(l, f->path, f->sha256, f->size);
        if (rc < 0)
            return rc;
        if (rc)
            c += fstream_uploaded_cost(f->path);
    }
    if (cost)
        *cost = c;
    return TALLY_OK;
}

void sync_media_list_move(sync_media_list *l, sync_media_list *to)
{
    sync_media_list_free(to);
    *to = *l;
    memset(l, 0, sizeof *l);
}

/* ---- the walk ---- */

/* The next object that reads; 0 at the end. */
static int walk_next(sync_media_walk *w)
{
    int rc;
    /* A damaged row is recorded by the store (tally_store_damage), and its
     * history cell is left out there too. */
    while ((rc = tally_media_next(w->it, &w->cur)) == TALLY_ECORRUPT)
        ;
    w->have = rc == 1;
    return rc < 0 ? rc : TALLY_OK;
}

int sync_media_walk_open(sync_media_walk *w, tally_store *st, int64_t from)
{
    memset(w, 0, sizeof *w);
    w->st = st;
    if (tally_store_media_key_count(st) == 0)
        return TALLY_OK;
    int rc = tally_media_open(st, -1, from, INT64_MAX, &w->it);
    if (!rc)
        rc = walk_next(w);
    if (rc)
        sync_media_walk_close(w);
    return rc;
}

/* 1 when every file of the current object reads back whole. */
static int object_sound(sync_media_walk *w, const sync_media_list *known,
                        const sync_media_list *row, int *sound)
{
    *sound = 1;
    for (size_t i = 0; i < w->cur.nfiles && *sound; i++) {
        const tally_media_file *f = &w->cur.files[i];
        if (!f->path || !f->path[0]) {
            *sound = 0;
            break;
        }
        if (sync_media_list_has(known, f->path) || sync_media_list_has(row, f->path))
            continue;
        void *data = NULL;
        size_t size = 0;
        int rc = tally_store_blob(w->st, f->sha256, &data, &size);
        free(data);
        if (rc == TALLY_ECORRUPT || rc == TALLY_ENOTFOUND)
            *sound = 0;
        else if (rc)
            return rc;
    }
    return TALLY_OK;
}

int sync_media_walk_step(sync_media_walk *w, int64_t step, const sync_media_list *known,
                         sync_media_list *row)
{
    sync_media_list_reset(row);
    w->nleft = 0;
    int rc = TALLY_OK;
    while (!rc && w->it && w->have && w->cur.step <= step) {
        int sound = 0;
        if (w->cur.step == step)
            rc = object_sound(w, known, row, &sound);
        if (!rc && w->cur.step == step && !sound) {
            if (w->nleft == w->leftcap) {
                size_t cap = w->leftcap ? w->leftcap * 2 : 8;
                int64_t *v = realloc(w->left_out, cap * sizeof *v);
                if (!v)
                    return TALLY_ENOMEM;
                w->left_out = v;
                w->leftcap = cap;
            }
            w->left_out[w->nleft++] = w->cur.metric_id;
        }
        for (size_t i = 0; !rc && sound && i < w->cur.nfiles; i++) {
            const tally_media_file *f = &w->cur.files[i];
            int added = sync_media_list_add(row, f->path, f->sha256, f->size);
            if (added < 0)
                rc = added;
        }
        if (!rc)
            rc = walk_next(w);
    }
    return rc;
}

int sync_media_walk_left_out(const sync_media_walk *w, int64_t metric_id)
{
    for (size_t i = 0; i < w->nleft; i++)
        if (w->left_out[i] == metric_id)
            return 1;
    return 0;
}

void sync_media_walk_close(sync_media_walk *w)
{
    if (w->it)
        tally_media_close(w->it);
    free(w->left_out);
    memset(w, 0, sizeof *w);
}

/* ---- custom charts in the config ---- */

/* The chart's key: meta's "chart", else the key without its "_table". */
static char *chart_key(const tally_media *m)
{
    cJSON *meta = json_parse(m->meta_json);
    const char *chart = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "chart"));
    char *out = NULL;
    if (chart && chart[0]) {
        out = strdup(chart);
    } else if (m->key) {
        size_t n = strlen(m->key);
        if (n > 6 && strcmp(m->key + n - 6, "_table") == 0)
            n -= 6;
        out = strndup(m->key, n);
    }
    cJSON_Delete(meta);
    return out;
}

/* obj[name] as an object, made (replacing a non-object) when missing. */
static cJSON *child_object(cJSON *obj, const char *name)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsObject(c))
        return c;
    c = cJSON_CreateObject();
    if (!c)
        return NULL;
    if (cJSON_GetObjectItemCaseSensitive(obj, name))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, c);
    else
        cJSON_AddItemToObject(obj, name, c);
    return c;
}

/* Sets visualize[chart] from the last object of one plot key. */
static int add_chart(tally_store *st, const tally_media_key *k, cJSON *config,
                     cJSON **visualize)
{
    tally_media_iter *it;
    int rc = tally_media_open(st, k->metric_id, k->last_step, k->last_step, &it);
    if (rc)
        return rc;
    tally_media m;
    while ((rc = tally_media_next(it, &m)) == TALLY_ECORRUPT)
        ; /* a damaged row: recorded, skipped */
    if (rc == 1) {
        rc = TALLY_OK;
        cJSON *panel = json_parse(m.panel_json);
        char *chart = chart_key(&m);
        if (cJSON_IsObject(panel) && chart && chart[0]) {
            if (!*visualize)
                *visualize = child_object(child_object(config, "_wandb"), "visualize");
            if (!*visualize) {
                rc = TALLY_ENOMEM;
            } else {
                cJSON_DeleteItemFromObjectCaseSensitive(*visualize, chart);
                cJSON_AddItemToObject(*visualize, chart, panel);
                panel = NULL;
            }
        }
        cJSON_Delete(panel);
        free(chart);
    }
    tally_media_close(it);
    return rc < 0 ? rc : TALLY_OK;
}

int sync_media_config(tally_store *st, const char *config_json, char **out)
{
    *out = NULL;
    cJSON *config = json_parse(config_json && config_json[0] ? config_json : "{}");
    if (!cJSON_IsObject(config)) {
        cJSON_Delete(config);
        return TALLY_EJSON;
    }
    cJSON *visualize = NULL;
    int rc = TALLY_OK;
    for (size_t i = 0; !rc && i < tally_store_media_key_count(st); i++) {
        const tally_media_key *k = tally_store_media_key(st, i);
        if (k->type == TALLY_MEDIA_PLOT && k->count > 0)
            rc = add_chart(st, k, config, &visualize);
    }
    if (!rc) {
        /* No chart: the config exactly as stored. */
        *out = visualize ? json_print(config, JSON_BARE_NONFINITE)
                         : strdup(config_json && config_json[0] ? config_json : "{}");
        if (!*out)
            rc = TALLY_ENOMEM;
    }
    cJSON_Delete(config);
    return rc;
}
