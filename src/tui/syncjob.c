/*
 * syncjob.c — the dashboard's sync job (see syncjob.h).
 *
 * One thread runs the runs one after another through one sync session,
 * the same path `tally sync` takes (src/sync/sync.h).  The progress
 * callback copies what the dashboard shows into the job under a mutex; the
 * dashboard polls it every refresh.  Quitting cancels the job: sync stops
 * at its next chance, and the cursors already stored keep what the server
 * acknowledged, so a later sync resumes.
 */
#include "tui/syncjob.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/sync.h"
#include "tally.h"

struct tui_syncjob {
    char **paths;
    size_t n;
    pthread_t thread;
    atomic_int cancel;
    pthread_mutex_t mu;
    /* under mu */
    size_t current, done, failed;
    sync_progress progress;
    char run_id[72];
    char error[512];
    int finished;
};

static void on_progress(void *ctx, const sync_progress *p)
{
    tui_syncjob *job = ctx;
    pthread_mutex_lock(&job->mu);
    job->progress = *p;
    snprintf(job->run_id, sizeof job->run_id, "%s", p->run_id ? p->run_id : "");
    pthread_mutex_unlock(&job->mu);
}

static void *job_main(void *arg)
{
    tui_syncjob *job = arg;
    sync_options opts = {.cancel = &job->cancel, .progress = on_progress, .progress_ctx = job};
    sync_session *session = NULL;
    char err[512] = "";
    int rc = sync_session_new(&opts, &session, err, sizeof err);
    for (size_t i = 0; !rc && i < job->n && !atomic_load(&job->cancel); i++) {
        pthread_mutex_lock(&job->mu);
        job->current = i;
        memset(&job->progress, 0, sizeof job->progress);
        pthread_mutex_unlock(&job->mu);
        sync_result res;
        memset(&res, 0, sizeof res);
        int one = sync_session_run(session, job->paths[i], &res);
        pthread_mutex_lock(&job->mu);
        if (one) {
            job->failed++;
            snprintf(job->error, sizeof job->error, "%s",
                     res.error[0] ? res.error : sync_strerror(one));
        } else {
            job->done++;
        }
        pthread_mutex_unlock(&job->mu);
        if (one == SYNC_EAUTH || one == SYNC_ENOKEY)
            break; /* the same key will not do better on the next run */
    }
    sync_session_free(session);
    pthread_mutex_lock(&job->mu);
    if (rc)
        snprintf(job->error, sizeof job->error, "%s", err[0] ? err : sync_strerror(rc));
    job->finished = 1;
    pthread_mutex_unlock(&job->mu);
    return NULL;
}

static void job_free_paths(tui_syncjob *job)
{
    for (size_t i = 0; i < job->n; i++)
        free(job->paths[i]);
    free(job->paths);
}

int tui_syncjob_start(char *const *paths, size_t n, tui_syncjob **out)
{
    *out = NULL;
    if (n == 0)
        return TALLY_EINVAL;
    tui_syncjob *job = calloc(1, sizeof *job);
    if (!job)
        return TALLY_ENOMEM;
    job->paths = calloc(n, sizeof *job->paths);
    int rc = job->paths ? TALLY_OK : TALLY_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++, job->n++)
        if (!(job->paths[i] = strdup(paths[i])))
            rc = TALLY_ENOMEM;
    atomic_init(&job->cancel, 0);
    pthread_mutex_init(&job->mu, NULL);
    if (!rc && pthread_create(&job->thread, NULL, job_main, job) != 0)
        rc = TALLY_ENOMEM;
    if (rc) {
        pthread_mutex_destroy(&job->mu);
        job_free_paths(job);
        free(job);
        return rc;
    }
    *out = job;
    return TALLY_OK;
}

int tui_syncjob_status(tui_syncjob *job, char *line, size_t size)
{
    pthread_mutex_lock(&job->mu);
    int running = !job->finished;
    if (running) {
        const sync_progress *p = &job->progress;
        snprintf(line, size, "sync %zu/%zu  %s  %lld/%lld rows  %.1f MB  (q cancels)",
                 job->current + 1, job->n, job->run_id[0] ? job->run_id : "...",
                 (long long)p->rows_done, (long long)p->rows_total, (double)p->bytes / 1e6);
    } else if (job->failed || job->error[0]) {
        snprintf(line, size, "sync: %zu of %zu run%s synced; %s", job->done, job->n,
                 job->n == 1 ? "" : "s", job->error);
    } else {
        snprintf(line, size, "sync: %zu run%s up to date on the server", job->done,
                 job->done == 1 ? "" : "s");
    }
    pthread_mutex_unlock(&job->mu);
    return running;
}

void tui_syncjob_free(tui_syncjob *job)
{
    if (!job)
        return;
    atomic_store(&job->cancel, 1);
    pthread_join(job->thread, NULL);
    pthread_mutex_destroy(&job->mu);
    job_free_paths(job);
    free(job);
}
