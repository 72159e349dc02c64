/*
 * sync.h — pushing runs to a W&B compatible server: the library-level
 * entry point that `tally sync`, online mode (live.c) and the dashboard
 * call.  A session holds the connection, the key and what the server said
 * about itself; sync_session_run() brings one run file up to date with the
 * server, resuming from the cursors stored in the file.
 */
#ifndef TALLY_SYNC_H
#define TALLY_SYNC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/sync_error.h"

/* Where a run's sync stands, after each acknowledged request. */
typedef struct sync_progress {
    const char *run_id;
    int64_t rows_done;  /* history rows the server has */
    int64_t rows_total; /* history rows the run file holds */
    int64_t rows_sent;  /* history rows acknowledged in this sync */
    int64_t lines;      /* lines acknowledged in this sync, every file */
    int64_t bytes;      /* request bytes sent in this sync (after gzip) */
    double elapsed;     /* seconds since this run's sync began */
} sync_progress;
typedef void (*sync_progress_fn)(void *ctx, const sync_progress *progress);

typedef struct sync_options {
    const char *base_url; /* NULL: $WANDB_BASE_URL, else https://api.wandb.ai */
    const char *api_key;  /* NULL: $WANDB_API_KEY, else netrc */
    const char *entity;   /* NULL: $WANDB_ENTITY, else the key's default entity */
    const char *project;  /* NULL: $WANDB_PROJECT, else the run's project */
    int dry_run;          /* count what would be sent; send nothing, store nothing */
    atomic_int *cancel;   /* nonzero stops at the next chance (SYNC_ECANCEL); may be NULL */
    long retry_ms;        /* retry budget of a run; 0: $TALLY_SYNC_RETRY_MS or 5 min */
    sync_progress_fn progress;
    void *progress_ctx;
} sync_options;

typedef struct sync_result {
    char run_id[72];
    char entity[128];
    char project[256];
    int64_t history, events, output; /* lines sent (dry run: that would be) */
    int64_t files;                    /* files uploaded (saved files, media) */
    int64_t media_damaged; /* media objects left out of their rows: a stored file of
                            * theirs failed its checksum */
    int upsert, summary, complete;    /* the run row, the summary, the end: sent */
    int64_t rows_total, rows_done;    /* history rows in the file / on the server */
    int64_t bytes, requests, retries;
    int up_to_date; /* there was nothing new to send */
    int running;    /* the run is still being written: sync it again later */
    int stopped;    /* the server says the run was stopped in its UI */
    double seconds;
    char error[512]; /* what went wrong, for people; never holds the key */
} sync_result;

typedef struct sync_session sync_session;

/* Finds the base URL and the key; SYNC_ENOKEY (err says how to fix it)
 * when there is no key and one is needed. */
int sync_session_new(const sync_options *opts, sync_session **out, char *err, size_t errsize);
void sync_session_free(sync_session *s);
/* Brings the run file at path up to date with the server. */
int sync_session_run(sync_session *s, const char *path, sync_result *res);

/* One run, one session. */
int sync_run(const char *path, const sync_options *opts, sync_result *res);

#endif
