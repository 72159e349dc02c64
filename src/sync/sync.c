/*
 * sync.c — the per-run sync driver (sync.h).  Owns the session (HTTP
 * client, key, entity, server features) and the cursors' meaning.  Called
 * by cmd_sync.c, live.c (online mode) and the dashboard.
 *
 * A run is brought up to date in rounds.  Each round reads, from where the
 * cursors say the server stands, as many history rows, system samples,
 * console lines (and the summary, the uploaded files, and at the very end
 * "complete") as fit under the size cap, sends them as one file_stream
 * request, and only once the server acknowledged it moves the cursors, in
 * one transaction.  A killed sync therefore resends at most one request,
 * at the same offsets, which the server overwrites: nothing is lost or
 * doubled.  While one request is in flight (a sender thread), the next is
 * read and serialised from where that one ends; the cursors still move one
 * acknowledged request at a time, in order.  Cursors per target (base URL,
 * entity, project):
 *   upsert        hash of the last UpsertBucket body acknowledged
 *   history       lines the server has; history.step the last step sent
 *   events        lines; events.x the last sample time (ms) sent
 *   output        lines; output.seq the last console line's seq sent
 *   summary       hash of the last summary line acknowledged
 *   file:NAME     hash of the file's bytes last uploaded
 *   media:PATH    a media file a history row names (media/images/...):
 *                 -hash of its sha256 once PUT, +hash once the request
 *                 listing it in "uploaded" (with its row) was acknowledged
 *   complete      1 once "complete" was acknowledged
 *
 * Media: each history row carries its objects' wandb JSON (the read API
 * builds it); the files those objects name ride with the row.  The
 * reading side lists them beside the batch (each path once) and keeps
 * room for their names in the body; the sender, before it sends the
 * batch, asks CreateRunFiles for the ones no cursor has, PUTs them, and
 * lists them in the batch's "uploaded".  So a file is on the server
 * before, or in the same request as, the first row naming it, and is PUT
 * once: after a kill -9 only a PUT whose answer came but whose cursor was
 * not yet written (a moment) is repeated.
 */
#include "sync/sync.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/text.h"
#include "store/history.h"
#include "sync/auth.h"
#include "sync/filestream.h"
#include "sync/graphql.h"
#include "sync/http.h"
#include "sync/media.h"
#include "tally_store.h"

struct sync_session {
    sync_options opts;
    buf base;
    char *key;
    int holds_key;    /* auth_key_hold() was called for it */
    buf legacy_base;  /* the base URL with its credentials, when it had them (see
                         move_legacy_cursors); never sent or printed */
    char *entity;  /* resolved once */
    int features_known;
    unsigned features;
    http_client *http;
    size_t max_body;
};

const char *sync_strerror(int code)
{
    switch (code) {
    case SYNC_EAUTH: return "the API key was refused";
    case SYNC_ENOKEY: return "no API key: set WANDB_API_KEY or run `tally login`";
    case SYNC_EHTTP: return "the server refused a request";
    case SYNC_ENET: return "the server could not be reached";
    case SYNC_EPROTO: return "the server's answer was not understood";
    case SYNC_ECANCEL: return "cancelled";
    case SYNC_ETLS: return "the server's TLS certificate could not be verified";
    default: return tally_strerror(code);
    }
}

static uint64_t fnv(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* A hash that fits a cursor and is never 0 (0 means "never sent"). */
static int64_t hash_of(const void *data, size_t n)
{
    int64_t h = (int64_t)(fnv(data, n, 0xcbf29ce484222325ull) >> 1);
    return h ? h : 1;
}

int sync_session_new(const sync_options *opts, sync_session **out, char *err, size_t errsize)
{
    *out = NULL;
    sync_session *s = calloc(1, sizeof *s);
    if (!s)
        return TALLY_ENOMEM;
    s->opts = *opts;
    char *url_key = NULL;
    int rc = auth_base_url(opts->base_url, &s->base, &url_key);
    if (rc == TALLY_EINVAL)
        /* Not echoed: the URL may hold credentials. */
        snprintf(err, errsize, "%s is not a usable http(s) URL",
                 opts->base_url && opts->base_url[0] ? "the server URL" : "WANDB_BASE_URL");
    int had_credentials = url_key != NULL;
    const char *env_key = getenv("WANDB_API_KEY");
    if (!rc && opts->api_key) {
        s->key = strdup(opts->api_key);
        rc = s->key ? TALLY_OK : TALLY_ENOMEM;
    } else if (!rc && url_key && !(env_key && env_key[0])) {
        s->key = url_key; /* the password of http://api:KEY@host */
        url_key = NULL;
    } else if (!rc) {
        rc = auth_api_key(buf_cstr(&s->base), &s->key);
        if (rc == SYNC_ENOKEY) {
            char machine[256] = "?";
            auth_machine(buf_cstr(&s->base), machine, sizeof machine);
            snprintf(err, errsize,
                     "no API key for %s: set WANDB_API_KEY, or run `tally login` "
                     "(it stores one in ~/.netrc)",
                     machine);
            /* A dry run with --entity needs no key at all. */
            const char *env_entity = getenv("WANDB_ENTITY");
            if (opts->dry_run && (opts->entity || (env_entity && env_entity[0])))
                rc = TALLY_OK;
        } else if (rc) {
            snprintf(err, errsize, "cannot read the API key: %s", sync_strerror(rc));
        }
    }
    if (!rc && had_credentials) {
        /* The target an older tally stored the cursors under. */
        const char *raw = opts->base_url && opts->base_url[0] ? opts->base_url
                                                               : getenv("WANDB_BASE_URL");
        buf_puts(&s->legacy_base, raw);
        while (s->legacy_base.len && s->legacy_base.data[s->legacy_base.len - 1] == '/')
            s->legacy_base.data[--s->legacy_base.len] = '\0';
    }
    if (url_key) {
        memset(url_key, 0, strlen(url_key));
        free(url_key);
    }
    if (s->key) {
        /* No core dump or same-user ptrace while the key is in memory. */
        auth_key_hold();
        s->holds_key = 1;
    }
    http_config cfg;
    http_config_defaults(&cfg);
    cfg.api_key = s->key;
    cfg.cancel = opts->cancel;
    if (opts->retry_ms > 0)
        cfg.retry_ms = opts->retry_ms;
    if (!rc)
        rc = http_client_new(&cfg, &s->http);
    s->max_body = FSTREAM_MAX_BODY;
    const char *cap = getenv("TALLY_SYNC_MAX_BODY");
    if (cap && cap[0] && strtoull(cap, NULL, 10) > 0 && strtoull(cap, NULL, 10) < s->max_body)
        s->max_body = (size_t)strtoull(cap, NULL, 10);
    if (rc) {
        sync_session_free(s);
        return rc;
    }
    *out = s;
    return TALLY_OK;
}

void sync_session_free(sync_session *s)
{
    if (!s)
        return;
    http_client_free(s->http); /* first: it may hold the key too */
    if (s->key) {
        memset(s->key, 0, strlen(s->key));
        free(s->key);
    }
    if (s->holds_key)
        auth_key_release();
    free(s->entity);
    if (s->legacy_base.data)
        memset(s->legacy_base.data, 0, s->legacy_base.cap);
    buf_free(&s->legacy_base);
    buf_free(&s->base);
    free(s);
}

/* ---- one run ---- */

enum { C_UPSERT, C_HIST, C_HIST_STEP, C_EV, C_EV_X, C_OUT, C_OUT_SEQ, C_SUMMARY, C_COMPLETE,
       C_COUNT };
static const char *const cursor_names[C_COUNT] = {
    "upsert", "history", "history.step", "events", "events.x", "output", "output.seq",
    "summary", "complete"};
static const int64_t cursor_defaults[C_COUNT] = {0, 0, INT64_MIN, 0, INT64_MIN, 0, 0, 0, 0};

typedef struct pending_file {
    char *name;
    int64_t hash;
} pending_file;

/* A batch handed to the sender: what it carries and where the cursors
 * stand once the server has it. */
typedef struct flight {
    fstream_batch batch;
    int64_t next[C_COUNT];
    pending_file *files;
    size_t nfiles;
    sync_media_list media; /* the files the batch's rows name */
    int64_t left_out;      /* objects left out of its rows: a stored file is damaged */
    int64_t rows_total;
} flight;

/* The sender thread: sends one batch while the next one is being read and
 * serialised, and moves the cursors, in order, as batches are acknowledged. */
typedef struct sender {
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int busy, quit, rc;
    char err[512];
    flight f;
} sender;

typedef struct job {
    sync_session *s;
    sync_result *res;
    tally_store *st;
    tally_sync_state *state;
    const char *entity, *project;
    buf target;
    int64_t cur[C_COUNT];  /* acknowledged (the sender's, once it runs) */
    int64_t plan[C_COUNT]; /* where the next batch starts: after the one in flight */
    int64_t next[C_COUNT]; /* where the batch being built ends */
    fstream_batch batch;
    buf line, body;
    int full;
    pending_file *files;
    size_t nfiles;
    sync_media_list media, row_media; /* the batch's media files; one row's */
    int64_t left_out;                 /* the batch's objects left out (flight.left_out) */
    size_t *row_set;                  /* a row's cells without those */
    const char *path;
    tally_store *tx_st;        /* the sender's own handle, for the bytes it PUTs */
    sync_media_list dry_done;  /* dry run: media files counted already */
    double t0;
    int64_t lines_acked, bytes0;
    sender tx;
} job;

static int fail(job *j, int rc, const char *fmt, const char *detail)
{
    if (!j->res->error[0])
        snprintf(j->res->error, sizeof j->res->error, fmt, detail ? detail : sync_strerror(rc));
    return rc;
}

static int resolve_entity(job *j)
{
    sync_session *s = j->s;
    const char *env = getenv("WANDB_ENTITY");
    if (s->opts.entity && s->opts.entity[0]) {
        j->entity = s->opts.entity;
    } else if (env && env[0]) {
        j->entity = env;
    } else {
        if (!s->entity) {
            if (!s->key)
                return fail(j, SYNC_ENOKEY, "%s", sync_strerror(SYNC_ENOKEY));
            int rc = gql_viewer_entity(s->http, buf_cstr(&s->base), &s->entity, j->res->error,
                                       sizeof j->res->error);
            if (rc)
                return rc;
        }
        j->entity = s->entity;
    }
    const char *penv = getenv("WANDB_PROJECT");
    j->project = s->opts.project && s->opts.project[0] ? s->opts.project
                 : penv && penv[0]                     ? penv
                                                       : tally_store_info(j->st)->project;
    return TALLY_OK;
}

/* A cursor read with this default was not stored. */
#define CURSOR_ABSENT (INT64_MIN + 1)

typedef struct legacy_move {
    job *j;
    const char *old;
    const char **names;
    int64_t *values;
    buf *keys;
    size_t n, cap;
    int rc;
} legacy_move;

/* Queues stream's cursor for the move when the old target has it and the
 * new one does not. */
static void legacy_take(legacy_move *m, const char *stream)
{
    int64_t was, now;
    if (m->rc || m->n == m->cap)
        return;
    m->rc = tally_sync_cursor_get(m->j->state, m->old, stream, CURSOR_ABSENT, &was);
    if (!m->rc && was != CURSOR_ABSENT)
        m->rc = tally_sync_cursor_get(m->j->state, buf_cstr(&m->j->target), stream,
                                      CURSOR_ABSENT, &now);
    if (m->rc || was == CURSOR_ABSENT || now != CURSOR_ABSENT)
        return;
    m->keys[m->n] = (buf)BUF_INIT;
    buf_puts(&m->keys[m->n], stream);
    m->names[m->n] = buf_cstr(&m->keys[m->n]);
    m->values[m->n++] = was;
}

static int legacy_file(void *ctx, const tally_file_info *f)
{
    legacy_move *m = ctx;
    buf key = BUF_INIT;
    buf_printf(&key, "file:%s", f->path);
    legacy_take(m, buf_cstr(&key));
    buf_free(&key);
    return m->rc != 0;
}

/* A run synced by a tally that kept the credentials of WANDB_BASE_URL in
 * the target has its cursors under a target that holds the key: they move
 * to the bare target (the sync resumes where it was) and the old rows are
 * deleted, and zeroed (the key leaves the file). */
static int move_legacy_cursors(job *j)
{
    sync_session *s = j->s;
    if (!s->legacy_base.len || s->opts.dry_run)
        return TALLY_OK;
    buf old = BUF_INIT;
    buf_printf(&old, "%s/%s/%s", buf_cstr(&s->legacy_base), j->entity, j->project);
    enum { MOVE_MAX = C_COUNT + 64 };
    const char *names[MOVE_MAX];
    int64_t values[MOVE_MAX];
    buf keys[MOVE_MAX];
    legacy_move m = {j, buf_cstr(&old), names, values, keys, 0, MOVE_MAX, TALLY_OK};
    for (int i = 0; i < C_COUNT; i++)
        legacy_take(&m, cursor_names[i]);
    if (!m.rc) {
        int rc = tally_store_files(j->st, legacy_file, &m);
        if (!m.rc)
            m.rc = rc;
    }
    if (!m.rc && m.n)
        m.rc = tally_sync_cursor_set(j->state, buf_cstr(&j->target), names, values, m.n);
    if (!m.rc)
        m.rc = tally_sync_cursor_clear(j->state, buf_cstr(&old));
    for (size_t i = 0; i < m.n; i++)
        buf_free(&keys[i]);
    if (old.data)
        memset(old.data, 0, old.cap);
    buf_free(&old);
    return m.rc;
}

static int load_cursors(job *j)
{
    for (int i = 0; i < C_COUNT; i++) {
        int rc = tally_sync_cursor_get(j->state, buf_cstr(&j->target), cursor_names[i],
                                       cursor_defaults[i], &j->cur[i]);
        if (rc)
            return rc;
        j->next[i] = j->plan[i] = j->cur[i];
    }
    return TALLY_OK;
}

/* Stores the cursors that moved to next, with the file cursors and those
 * of the media files listed, in one transaction; then they are the
 * acknowledged ones. */
static int save_cursors(job *j, const int64_t *next, const pending_file *files, size_t nfiles,
                        const sync_media_list *media, char *err, size_t errsize)
{
    size_t nmedia = media ? media->n : 0, max = C_COUNT + nfiles + nmedia;
    const char **names = calloc(max, sizeof *names);
    int64_t *values = calloc(max, sizeof *values);
    buf *keys = calloc(nfiles + nmedia + 1, sizeof *keys);
    size_t n = 0, nk = 0;
    int rc = names && values && keys ? TALLY_OK : TALLY_ENOMEM;
    for (int i = 0; !rc && i < C_COUNT; i++)
        if (next[i] != j->cur[i]) {
            names[n] = cursor_names[i];
            values[n++] = next[i];
        }
    for (size_t i = 0; !rc && i < nfiles; i++) {
        keys[nk] = (buf)BUF_INIT;
        buf_printf(&keys[nk], "file:%s", files[i].name);
        names[n] = buf_cstr(&keys[nk++]);
        values[n++] = files[i].hash;
    }
    for (size_t i = 0; !rc && i < nmedia; i++) {
        const sync_media_file *m = &media->v[i];
        if (!m->listed)
            continue;
        keys[nk] = (buf)BUF_INIT;
        buf_printf(&keys[nk], "media:%s", m->path);
        names[n] = buf_cstr(&keys[nk++]);
        values[n++] = hash_of(m->sha256, strlen(m->sha256));
    }
    for (size_t i = 0; !rc && i < nk; i++)
        if (keys[i].oom)
            rc = TALLY_ENOMEM;
    if (!rc && n && !j->s->opts.dry_run)
        rc = tally_sync_cursor_set(j->state, buf_cstr(&j->target), names, values, n);
    for (size_t i = 0; keys && i < nk; i++)
        buf_free(&keys[i]);
    free(keys);
    free(values);
    free(names);
    if (rc) {
        snprintf(err, errsize, "cannot record sync progress in the run file: %s",
                 sync_strerror(rc));
        return rc;
    }
    memcpy(j->cur, next, sizeof j->cur);
    return TALLY_OK;
}

static int upsert(job *j)
{
    char *stored = NULL, *config = NULL;
    int rc = tally_store_config(j->st, &stored);
    if (!rc)
        rc = sync_media_config(j->st, stored, &config); /* custom charts' panels */
    free(stored);
    if (rc)
        return fail(j, rc, "cannot read the run's config: %s", NULL);
    rc = gql_upsert_body(&j->body, tally_store_info(j->st), config, j->entity, j->project);
    free(config);
    if (rc)
        return fail(j, rc, "cannot build UpsertBucket: %s", NULL);
    int64_t h = hash_of(j->body.data, j->body.len);
    if (h == j->cur[C_UPSERT])
        return TALLY_OK;
    j->res->upsert = 1;
    if (j->s->opts.dry_run)
        return TALLY_OK;
    int64_t server_lines = -1;
    rc = gql_upsert_bucket(j->s->http, buf_cstr(&j->s->base), j->body.data, &server_lines,
                           j->res->error, sizeof j->res->error);
    if (rc)
        return rc;
    int64_t next[C_COUNT];
    memcpy(next, j->cur, sizeof next);
    next[C_UPSERT] = h;
    rc = save_cursors(j, next, NULL, 0, NULL, j->res->error, sizeof j->res->error);
    if (!rc)
        j->plan[C_UPSERT] = j->next[C_UPSERT] = h;
    return rc;
}

/* ---- files ---- */

typedef struct file_scan {
    job *j;
    int rc;
} file_scan;

static int scan_file(void *ctx, const tally_file_info *f)
{
    file_scan *fs = ctx;
    job *j = fs->j;
    void *data = NULL;
    size_t size = 0;
    fs->rc = tally_store_file_read(j->st, f->path, &data, &size);
    if (fs->rc)
        return 1;
    int64_t h = hash_of(data, size);
    free(data);
    buf key = BUF_INIT;
    buf_printf(&key, "file:%s", f->path);
    int64_t done = 0;
    fs->rc = tally_sync_cursor_get(j->state, buf_cstr(&j->target), buf_cstr(&key), 0, &done);
    buf_free(&key);
    if (fs->rc || done == h || j->nfiles >= 64)
        return fs->rc != 0;
    pending_file *v = realloc(j->files, (j->nfiles + 1) * sizeof *v);
    if (!v) {
        fs->rc = TALLY_ENOMEM;
        return 1;
    }
    j->files = v;
    j->files[j->nfiles].name = strdup(f->path);
    j->files[j->nfiles].hash = h;
    j->nfiles++;
    return 0;
}

static void free_files(job *j)
{
    for (size_t i = 0; i < j->nfiles; i++)
        free(j->files[i].name);
    free(j->files);
    j->files = NULL;
    j->nfiles = 0;
}

static int put_file(job *j, const gql_upload *up, char **headers)
{
    void *data = NULL;
    size_t size = 0;
    int rc = tally_store_file_read(j->st, up->name, &data, &size);
    if (rc)
        return fail(j, rc, "cannot read a saved file: %s", NULL);
    http_request req = {.method = "PUT", .url = up->url, .body = data, .len = size,
                        .auth = 0, .content_type = "application/octet-stream",
                        .headers = (const char *const *)headers};
    http_response resp = {0};
    rc = http_send(j->s->http, &req, &resp, j->res->error, sizeof j->res->error);
    buf_free(&resp.body);
    free(data);
    return rc;
}

/* Uploads the saved files that changed since the last sync; their names go
 * into the batch's "uploaded", their cursors move with the batch. */
static int upload_files(job *j)
{
    file_scan fs = {j, 0};
    int rc = tally_store_files(j->st, scan_file, &fs);
    if (!rc)
        rc = fs.rc;
    if (rc)
        return fail(j, rc, "cannot list the run's files: %s", NULL);
    if (!j->nfiles)
        return TALLY_OK;
    if (!j->s->opts.dry_run) {
        const char **names = calloc(j->nfiles, sizeof *names);
        if (!names)
            return TALLY_ENOMEM;
        for (size_t i = 0; i < j->nfiles; i++)
            names[i] = j->files[i].name;
        gql_upload *ups = NULL;
        size_t nups = 0;
        char **headers = NULL;
        rc = gql_create_run_files(j->s->http, buf_cstr(&j->s->base), j->entity, j->project,
                                  j->res->run_id, names, j->nfiles, &ups, &nups, &headers,
                                  j->res->error, sizeof j->res->error);
        free(names);
        for (size_t i = 0; !rc && i < nups; i++)
            rc = put_file(j, &ups[i], headers);
        gql_uploads_free(ups, nups, headers);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < j->nfiles; i++)
        fstream_add_uploaded(&j->batch, j->files[i].name);
    return TALLY_OK;
}

/* ---- one round ---- */

static int add_line(job *j, int file, int c_lines)
{
    int64_t offset = j->plan[c_lines];
    int rc = fstream_add(&j->batch, file, offset, j->line.data, j->line.len);
    if (rc == FSTREAM_FULL)
        j->full = 1;
    return rc;
}

/* Takes the objects whose stored files are damaged out of the row: it
 * must not name a file the server will never get.  Counted once the row
 * is acknowledged (media_damaged). */
static int leave_out(job *j, const sync_media_walk *walk, tally_history_row *row)
{
    size_t *set = realloc(j->row_set, (row->nset + 1) * sizeof *set);
    if (!set)
        return TALLY_ENOMEM;
    j->row_set = set;
    size_t n = 0;
    for (size_t k = 0; k < row->nset; k++) {
        const tally_history_cell *c = &row->cells[row->set[k]];
        if (c->kind == 2 && c->metric && c->metric->media &&
            sync_media_walk_left_out(walk, c->metric->id))
            continue;
        set[n++] = row->set[k];
    }
    row->set = set;
    row->nset = n;
    return TALLY_OK;
}

static int fill_history(job *j)
{
    if (j->plan[C_HIST_STEP] == INT64_MAX)
        return TALLY_OK;
    int64_t from = j->plan[C_HIST_STEP] == INT64_MIN ? INT64_MIN : j->plan[C_HIST_STEP] + 1;
    tally_history *h;
    int rc = tally_history_open(j->st, TALLY_AXIS_STEP, NULL, from, INT64_MAX, &h);
    if (rc)
        return rc;
    sync_media_walk walk;
    rc = sync_media_walk_open(&walk, j->st, from);
    tally_history_row row;
    while (!rc && !j->full && (rc = tally_history_next(h, &row)) == 1) {
        /* The files the row's objects name go with it, or the row waits. */
        rc = sync_media_walk_step(&walk, row.x, &j->media, &j->row_media);
        if (!rc && walk.nleft)
            rc = leave_out(j, &walk, &row);
        if (rc)
            break;
        buf_reset(&j->line);
        history_row_json(&j->line, h, &row, JSON_BARE_NONFINITE);
        size_t room = 0;
        rc = sync_media_list_merge(&j->media, &j->row_media, &room, 1);
        if (!rc)
            rc = fstream_add_reserving(&j->batch, FSTREAM_HISTORY, j->plan[C_HIST],
                                       j->line.data, j->line.len, room);
        if (rc == FSTREAM_FULL) {
            j->full = 1;
            break;
        }
        if (!rc)
            rc = sync_media_list_merge(&j->media, &j->row_media, NULL, 0);
        if (rc)
            break;
        j->left_out += (int64_t)walk.nleft;
        j->next[C_HIST]++;
        j->next[C_HIST_STEP] = row.x;
    }
    sync_media_walk_close(&walk);
    tally_history_close(h);
    return rc < 0 ? rc : TALLY_OK;
}

static int fill_events(job *j, int ended)
{
    /* While the run lives, the newest sample time may be half written (the
     * sampler logs its metrics one by one): hold it back. */
    int64_t x1 = INT64_MAX;
    if (!ended) {
        int64_t newest = INT64_MIN;
        for (size_t i = 0; i < tally_store_metric_count(j->st); i++) {
            const tally_metric_info *m = tally_store_metric(j->st, i);
            if (m->axis == TALLY_AXIS_TIME && m->n > 0 && m->x_max > newest)
                newest = m->x_max;
        }
        if (newest == INT64_MIN)
            return TALLY_OK;
        x1 = newest - 1;
    }
    if (j->plan[C_EV_X] == INT64_MAX)
        return TALLY_OK;
    int64_t from = j->plan[C_EV_X] == INT64_MIN ? INT64_MIN : j->plan[C_EV_X] + 1;
    if (x1 < from)
        return TALLY_OK;
    tally_history *h;
    int rc = tally_history_open(j->st, TALLY_AXIS_TIME, NULL, from, x1, &h);
    if (rc)
        return rc;
    double start = tally_store_info(j->st)->start_time;
    tally_history_row row;
    while (!j->full && (rc = tally_history_next(h, &row)) == 1) {
        buf_reset(&j->line);
        fstream_events_line(&j->line, &row, start);
        rc = add_line(j, FSTREAM_EVENTS, C_EV);
        if (rc)
            break;
        j->next[C_EV]++;
        j->next[C_EV_X] = row.x;
    }
    tally_history_close(h);
    return rc < 0 ? rc : TALLY_OK;
}

typedef struct log_fill {
    job *j;
    int rc;
} log_fill;

static int on_log(void *ctx, const tally_log_line *l)
{
    log_fill *lf = ctx;
    job *j = lf->j;
    buf_reset(&j->line);
    fstream_output_line(&j->line, l->t, l->stream, l->text);
    int rc = add_line(j, FSTREAM_OUTPUT, C_OUT);
    if (rc) {
        lf->rc = rc < 0 ? rc : 0;
        return 1;
    }
    j->next[C_OUT]++;
    j->next[C_OUT_SEQ] = l->seq;
    return 0;
}

static int fill_output(job *j)
{
    log_fill lf = {j, 0};
    /* In slices, so a huge log is not read past what one request holds. */
    for (;;) {
        int64_t count = j->next[C_OUT];
        int rc = tally_store_logs(j->st, j->next[C_OUT_SEQ], 4096, on_log, &lf);
        if (rc)
            return rc;
        if (lf.rc)
            return lf.rc;
        if (j->full || j->next[C_OUT] - count < 4096)
            return TALLY_OK;
    }
}

static int fill_summary(job *j)
{
    const tally_run_info *info = tally_store_info(j->st);
    char *summary = NULL;
    int rc = tally_store_summary(j->st, &summary);
    if (rc)
        return rc;
    buf_reset(&j->line);
    rc = fstream_summary_line(&j->line, summary, info);
    free(summary);
    if (rc)
        return rc;
    int64_t h = hash_of(j->line.data, j->line.len);
    if (h == j->plan[C_SUMMARY])
        return TALLY_OK;
    /* The whole summary, one line at offset 0, whenever it changed. */
    rc = fstream_add(&j->batch, FSTREAM_SUMMARY, 0, j->line.data, j->line.len);
    if (rc == FSTREAM_FULL) {
        j->full = 1;
        return TALLY_OK;
    }
    if (rc)
        return rc;
    j->next[C_SUMMARY] = h;
    return TALLY_OK;
}

static void report(job *j, int64_t rows_total)
{
    sync_progress p = {
        .run_id = j->res->run_id,
        .rows_done = j->cur[C_HIST],
        .rows_total = rows_total,
        .rows_sent = j->res->history,
        .lines = j->lines_acked,
        .bytes = j->res->bytes,
        .elapsed = clock_wall() - j->t0,
    };
    if (p.rows_total < p.rows_done)
        p.rows_total = p.rows_done;
    j->res->rows_done = p.rows_done;
    j->res->rows_total = p.rows_total;
    if (j->s->opts.progress)
        j->s->opts.progress(j->s->opts.progress_ctx, &p);
}

/* ---- media files ---- */

/* Names per CreateRunFiles request: its body stays small. */
#define MEDIA_NAMES_PER_CALL 256

/* PUTs one media file to its upload URL: 0, 1 when its stored bytes fail
 * their checksum (not sent), or an error. */
static int put_media_file(job *j, const sync_media_file *m, const gql_upload *up,
                          char **headers, char *err, size_t errsize)
{
    int rc = TALLY_OK;
    if (!j->tx_st && (rc = tally_store_open(j->path, &j->tx_st)) != 0) {
        snprintf(err, errsize, "cannot read the run file: %s", sync_strerror(rc));
        return rc;
    }
    void *data = NULL;
    size_t size = 0;
    rc = tally_store_blob(j->tx_st, m->sha256, &data, &size);
    if (rc == TALLY_ECORRUPT || rc == TALLY_ENOTFOUND)
        return 1;
    if (rc) {
        snprintf(err, errsize, "cannot read a media file: %s", sync_strerror(rc));
        return rc;
    }
    http_request req = {.method = "PUT", .url = up->url, .body = data, .len = size,
                        .auth = 0, .content_type = "application/octet-stream",
                        .headers = (const char *const *)headers};
    http_response resp = {0};
    char why[512] = "";
    rc = http_send(j->s->http, &req, &resp, why, sizeof why);
    buf_free(&resp.body);
    free(data);
    if (rc) {
        buf name = BUF_INIT;
        text_sanitize(&name, m->path, strlen(m->path), 0);
        snprintf(err, errsize, "uploading %s: %s", buf_cstr(&name), why);
        buf_free(&name);
    }
    return rc;
}

/* CreateRunFiles + PUT for the files at todo[0..n) of l, each one's cursor
 * set to -hash as soon as its PUT was answered. */
static int put_media_some(job *j, sync_media_list *l, const size_t *todo, size_t n, char *err,
                          size_t errsize)
{
    const char **names = calloc(n, sizeof *names);
    if (!names)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < n; i++)
        names[i] = l->v[todo[i]].path;
    gql_upload *ups = NULL;
    size_t nups = 0;
    char **headers = NULL;
    int rc = gql_create_run_files(j->s->http, buf_cstr(&j->s->base), j->entity, j->project,
                                  j->res->run_id, names, n, &ups, &nups, &headers, err,
                                  errsize);
    free(names);
    buf key = BUF_INIT;
    for (size_t k = 0; !rc && k < nups; k++) {
        /* The answer's order is the question's; a server that reorders is
         * matched by name. */
        sync_media_file *m = NULL;
        for (size_t i = 0; i < n && !m; i++) {
            sync_media_file *c = &l->v[todo[(k + i) % n]];
            if (strcmp(c->path, ups[k].name) == 0)
                m = c;
        }
        if (!m) {
            snprintf(err, errsize, "CreateRunFiles: an upload URL for a file not asked for");
            rc = SYNC_EPROTO;
            break;
        }
        if (m->listed)
            continue;
        rc = put_media_file(j, m, &ups[k], headers, err, errsize);
        if (rc == 1) {
            j->res->media_damaged++;
            rc = TALLY_OK;
            continue;
        }
        if (rc)
            break;
        buf_reset(&key);
        buf_printf(&key, "media:%s", m->path);
        const char *stream = buf_cstr(&key);
        int64_t put = -hash_of(m->sha256, strlen(m->sha256));
        rc = tally_sync_cursor_set(j->state, buf_cstr(&j->target), &stream, &put, 1);
        if (rc) {
            snprintf(err, errsize, "cannot record sync progress in the run file: %s",
                     sync_strerror(rc));
            break;
        }
        m->listed = 1;
        j->res->files++;
    }
    buf_free(&key);
    gql_uploads_free(ups, nups, headers);
    return rc;
}

/* Before a batch goes: the media files its rows name that the server does
 * not have yet are PUT (those PUT by an earlier, killed sync only listed),
 * and listed in its "uploaded".  Runs where deliver() runs. */
static int put_media(job *j, flight *f, char *err, size_t errsize)
{
    sync_media_list *l = &f->media;
    if (!l->n)
        return TALLY_OK;
    size_t *todo = calloc(l->n, sizeof *todo);
    if (!todo)
        return TALLY_ENOMEM;
    size_t ntodo = 0;
    buf key = BUF_INIT;
    int rc = TALLY_OK;
    for (size_t i = 0; !rc && i < l->n; i++) {
        sync_media_file *m = &l->v[i];
        m->listed = 0;
        if (j->s->opts.dry_run) {
            /* Nothing is stored: what counted once is not counted again. */
            rc = sync_media_list_add(&j->dry_done, m->path, m->sha256, m->size);
            if (rc > 0)
                j->res->files++;
            rc = rc < 0 ? rc : TALLY_OK;
            continue;
        }
        int64_t h = hash_of(m->sha256, strlen(m->sha256)), cur = 0;
        buf_reset(&key);
        buf_printf(&key, "media:%s", m->path);
        rc = tally_sync_cursor_get(j->state, buf_cstr(&j->target), buf_cstr(&key), 0, &cur);
        if (!rc && cur == -h)
            m->listed = 1; /* PUT before a kill: only its listing is missing */
        else if (!rc && cur != h)
            todo[ntodo++] = i;
    }
    buf_free(&key);
    if (rc)
        snprintf(err, errsize, "cannot read sync progress from the run file: %s",
                 sync_strerror(rc));
    for (size_t at = 0; !rc && at < ntodo; at += MEDIA_NAMES_PER_CALL) {
        size_t n = ntodo - at < MEDIA_NAMES_PER_CALL ? ntodo - at : MEDIA_NAMES_PER_CALL;
        rc = put_media_some(j, l, todo + at, n, err, errsize);
    }
    free(todo);
    if (rc || j->s->opts.dry_run)
        return rc;
    for (size_t i = 0; !rc && i < l->n; i++)
        if (l->v[i].listed)
            rc = fstream_add_uploaded(&f->batch, l->v[i].path);
    fstream_release(&f->batch);
    return rc;
}

/* Sends one batch (a dry run only counts it) and, once acknowledged, moves
 * the cursors and the counts.  Runs on the sender thread; the reading side
 * never touches cur, the counts, the HTTP client or the cursor connection
 * while a batch is in flight. */
static int deliver(job *j, flight *f, char *err, size_t errsize)
{
    sync_result *res = j->res;
    int64_t lines = 0;
    for (int i = 0; i < FSTREAM_NFILES; i++)
        lines += (int64_t)f->batch.part[i].nlines;
    int rc = put_media(j, f, err, errsize);
    if (rc)
        return rc;
    if (j->s->opts.dry_run) {
        res->bytes += (int64_t)f->batch.size;
    } else {
        int stopped = 0;
        rc = fstream_send(j->s->http, buf_cstr(&j->s->base), j->entity, j->project,
                          res->run_id, &f->batch, (j->s->features & GQL_FEATURE_GZIP) != 0,
                          &stopped, err, errsize);
        res->bytes = http_client_stats(j->s->http)->bytes_out - j->bytes0;
        if (rc)
            return rc;
        res->stopped |= stopped;
    }
    int64_t hist = j->cur[C_HIST], ev = j->cur[C_EV], out = j->cur[C_OUT];
    rc = save_cursors(j, f->next, f->files, f->nfiles, &f->media, err, errsize);
    if (rc)
        return rc;
    res->history += f->next[C_HIST] - hist;
    res->events += f->next[C_EV] - ev;
    res->output += f->next[C_OUT] - out;
    res->files += (int64_t)f->nfiles; /* media files count as they are PUT */
    res->media_damaged += f->left_out;
    res->summary |= f->batch.part[FSTREAM_SUMMARY].nlines > 0;
    res->complete |= f->batch.complete;
    j->lines_acked += lines;
    report(j, f->rows_total);
    return TALLY_OK;
}

static void flight_drop_files(flight *f)
{
    for (size_t i = 0; i < f->nfiles; i++)
        free(f->files[i].name);
    free(f->files);
    f->files = NULL;
    f->nfiles = 0;
    sync_media_list_reset(&f->media);
}

static void *sender_main(void *arg)
{
    job *j = arg;
    sender *tx = &j->tx;
    pthread_mutex_lock(&tx->mu);
    for (;;) {
        while (!tx->busy && !tx->quit)
            pthread_cond_wait(&tx->cv, &tx->mu);
        if (!tx->busy)
            break;
        pthread_mutex_unlock(&tx->mu);
        char err[512] = "";
        int rc = deliver(j, &tx->f, err, sizeof err);
        flight_drop_files(&tx->f);
        pthread_mutex_lock(&tx->mu);
        if (rc && !tx->rc) {
            tx->rc = rc;
            memcpy(tx->err, err, sizeof err);
        }
        tx->busy = 0;
        pthread_cond_broadcast(&tx->cv);
    }
    pthread_mutex_unlock(&tx->mu);
    return NULL;
}

/* Waits until nothing is in flight; the sender's failure, if any. */
static int sender_wait(job *j)
{
    sender *tx = &j->tx;
    if (!tx->started)
        return TALLY_OK;
    pthread_mutex_lock(&tx->mu);
    while (tx->busy)
        pthread_cond_wait(&tx->cv, &tx->mu);
    int rc = tx->rc;
    if (rc && !j->res->error[0])
        memcpy(j->res->error, tx->err, sizeof tx->err);
    pthread_mutex_unlock(&tx->mu);
    return rc;
}

static void sender_stop(job *j)
{
    sender *tx = &j->tx;
    if (tx->started) {
        pthread_mutex_lock(&tx->mu);
        tx->quit = 1;
        pthread_cond_broadcast(&tx->cv);
        pthread_mutex_unlock(&tx->mu);
        pthread_join(tx->thread, NULL);
        pthread_mutex_destroy(&tx->mu);
        pthread_cond_destroy(&tx->cv);
        tx->started = 0;
    }
    flight_drop_files(&tx->f);
    sync_media_list_free(&tx->f.media);
    fstream_batch_free(&tx->f.batch);
    tally_store_close(j->tx_st);
    j->tx_st = NULL;
}

/* Hands the batch just built to the sender (a dry run delivers it here),
 * once the one before it was acknowledged. */
static int hand_off(job *j, int64_t rows_total)
{
    sender *tx = &j->tx;
    if (j->s->opts.dry_run) {
        flight f = {.batch = j->batch, .files = j->files, .nfiles = j->nfiles,
                    .media = j->media, .left_out = j->left_out, .rows_total = rows_total};
        memcpy(f.next, j->next, sizeof f.next);
        int rc = deliver(j, &f, j->res->error, sizeof j->res->error);
        memcpy(j->plan, j->next, sizeof j->plan);
        return rc;
    }
    if (!tx->started) {
        pthread_mutex_init(&tx->mu, NULL);
        pthread_cond_init(&tx->cv, NULL);
        if (pthread_create(&tx->thread, NULL, sender_main, j) != 0) {
            pthread_mutex_destroy(&tx->mu);
            pthread_cond_destroy(&tx->cv);
            return fail(j, TALLY_ENOMEM, "cannot start a thread: %s", NULL);
        }
        tx->started = 1;
    }
    int rc = sender_wait(j);
    if (rc)
        return rc;
    pthread_mutex_lock(&tx->mu);
    fstream_batch spare = tx->f.batch;
    tx->f.batch = j->batch;
    j->batch = spare;
    memcpy(tx->f.next, j->next, sizeof tx->f.next);
    tx->f.files = j->files;
    tx->f.nfiles = j->nfiles;
    tx->f.rows_total = rows_total;
    j->files = NULL;
    j->nfiles = 0;
    sync_media_list spare_media = tx->f.media; /* emptied when it was delivered */
    tx->f.media = j->media;
    j->media = spare_media;
    tx->f.left_out = j->left_out;
    tx->busy = 1;
    pthread_cond_broadcast(&tx->cv);
    pthread_mutex_unlock(&tx->mu);
    memcpy(j->plan, j->next, sizeof j->plan);
    return TALLY_OK;
}

/* Builds the next batch from where the one in flight ends, and hands it
 * off; *more when there is more to read. */
static int round_trip(job *j, int first, int *more)
{
    *more = 0;
    j->full = 0;
    if (j->batch.cap == 0)
        fstream_batch_init(&j->batch, j->s->max_body);
    fstream_batch_reset(&j->batch);
    sync_media_list_reset(&j->media);
    j->left_out = 0;
    memcpy(j->next, j->plan, sizeof j->next);
    int rc = tally_store_refresh(j->st, NULL);
    if (rc)
        return fail(j, rc, "cannot read the run: %s", NULL);
    const tally_run_info *info = tally_store_info(j->st);
    int ended = info->state != TALLY_STATE_RUNNING;
    j->res->running = !ended;
    if (first) {
        rc = upload_files(j); /* nothing is in flight yet */
        if (rc)
            return rc;
    }
    /* One read snapshot for the batch: a summary naming a live run's newest
     * image comes with the row (and the file) that image belongs to. */
    rc = tally_store_snapshot_begin(j->st);
    if (rc)
        return fail(j, rc, "cannot read the run: %s", NULL);
    rc = fill_history(j);
    if (!rc && !j->full)
        rc = fill_events(j, ended);
    if (!rc && !j->full)
        rc = fill_output(j);
    if (!rc && !j->full)
        rc = fill_summary(j);
    tally_store_snapshot_end(j->st);
    info = tally_store_info(j->st);
    if (rc)
        return fail(j, rc, "cannot read the run: %s", NULL);
    /* "complete" rides on the request that carries the last lines.  A
     * crashed run is not marked complete: that is what it is. */
    if (!j->full && ended && info->state != TALLY_STATE_CRASHED && !j->plan[C_COMPLETE]) {
        fstream_set_complete(&j->batch, info->has_exit_code ? info->exit_code : 0);
        j->next[C_COMPLETE] = 1;
    }
    if (fstream_batch_empty(&j->batch))
        return TALLY_OK;
    rc = hand_off(j, info->rows);
    *more = j->full;
    return rc;
}

int sync_session_run(sync_session *s, const char *path, sync_result *res)
{
    memset(res, 0, sizeof *res);
    job j = {.s = s, .res = res, .target = BUF_INIT, .line = BUF_INIT, .body = BUF_INIT,
             .path = path};
    j.t0 = clock_wall();
    j.bytes0 = http_client_stats(s->http)->bytes_out;
    http_budget_reset(s->http); /* each run gets the whole retry budget */
    int64_t req0 = http_client_stats(s->http)->requests;
    int64_t retries0 = http_client_stats(s->http)->retries;
    fstream_batch_init(&j.batch, s->max_body);
    fstream_batch_init(&j.tx.f.batch, s->max_body);

    int rc = tally_store_open(path, &j.st);
    if (rc) {
        fail(&j, rc, "cannot read the run file: %s", NULL);
        goto done;
    }
    /* Names go into URLs and JSON bodies alike: valid UTF-8 in both, so
     * they name the same run (see text_utf8_copy). */
    text_utf8_copy(res->run_id, sizeof res->run_id, tally_store_info(j.st)->id);
    rc = resolve_entity(&j);
    if (rc)
        goto done;
    /* The result keeps them: the store's strings go on every refresh. */
    text_utf8_copy(res->entity, sizeof res->entity, j.entity);
    text_utf8_copy(res->project, sizeof res->project, j.project);
    j.entity = res->entity;
    j.project = res->project;
    if (!s->opts.dry_run && !s->features_known) {
        s->features = gql_server_features(s->http, buf_cstr(&s->base));
        s->features_known = 1;
    }
    buf_printf(&j.target, "%s/%s/%s", buf_cstr(&s->base), j.entity, j.project);
    rc = tally_sync_state_open(path, &j.state);
    if (rc) {
        fail(&j, rc, "cannot record sync progress in the run file: %s", NULL);
        goto done;
    }
    rc = move_legacy_cursors(&j);
    if (rc) {
        fail(&j, rc, "cannot record sync progress in the run file: %s", NULL);
        goto done;
    }
    rc = load_cursors(&j);
    if (rc) {
        fail(&j, rc, "cannot read sync progress from the run file: %s", NULL);
        goto done;
    }
    rc = upsert(&j);
    int more = 1;
    for (int first = 1; !rc && more; first = 0) {
        if (s->opts.cancel && atomic_load(s->opts.cancel)) {
            rc = SYNC_ECANCEL;
            fail(&j, rc, "%s", NULL);
            break;
        }
        rc = round_trip(&j, first, &more);
    }
    /* The last batch in flight: its answer decides. */
    int wrc = sender_wait(&j);
    if (!rc)
        rc = wrc;
    if (!rc)
        report(&j, tally_store_info(j.st)->rows);
    res->up_to_date = !rc && !res->upsert && !res->history && !res->events && !res->output &&
                      !res->files && !res->summary && !res->complete;

done:
    sender_stop(&j);
    res->requests = http_client_stats(s->http)->requests - req0;
    res->retries = http_client_stats(s->http)->retries - retries0;
    res->seconds = clock_wall() - j.t0;
    if (rc && !res->error[0])
        snprintf(res->error, sizeof res->error, "%s", sync_strerror(rc));
    free_files(&j);
    sync_media_list_free(&j.media);
    sync_media_list_free(&j.row_media);
    sync_media_list_free(&j.dry_done);
    free(j.row_set);
    fstream_batch_free(&j.batch);
    buf_free(&j.line);
    buf_free(&j.body);
    buf_free(&j.target);
    tally_sync_state_close(j.state);
    tally_store_close(j.st);
    return rc;
}

int sync_run(const char *path, const sync_options *opts, sync_result *res)
{
    sync_session *s;
    char err[512] = "";
    int rc = sync_session_new(opts, &s, err, sizeof err);
    if (rc) {
        memset(res, 0, sizeof *res);
        snprintf(res->error, sizeof res->error, "%s", err[0] ? err : sync_strerror(rc));
        return rc;
    }
    rc = sync_session_run(s, path, res);
    sync_session_free(s);
    return rc;
}
