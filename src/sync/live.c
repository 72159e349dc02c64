/*
 * live.c — the online-mode sync thread (live.h).  Owns one sync session
 * and the thread's timing: a pass every $TALLY_SYNC_INTERVAL_MS (default
 * 5 s) over the run file, then a last one after the run finished.  The
 * file is the single source of truth, so a pass that fails (server down)
 * loses nothing: the next pass, or `tally sync`, resumes from the cursors.
 */
#include "sync/live.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "sync/http.h"
#include "sync/sync.h"
#include "tally.h"

struct sync_live {
    char *path;
    sync_live_warn_fn warn;
    void *ctx;
    sync_session *session;
    atomic_int cancel;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int finishing, done;
    long interval_ms;
    long finish_ms; /* $TALLY_SYNC_FINISH_MS: how long the last pass may take */
    int refused; /* the key was refused: no more passes */
};

static void pass(sync_live *l, int final)
{
    sync_result res;
    int rc = sync_session_run(l->session, l->path, &res);
    if (rc && rc != SYNC_ECANCEL) {
        char msg[700];
        snprintf(msg, sizeof msg, "online sync: %s; the run goes on, and `tally sync %s` %s",
                 res.error, res.run_id, final ? "will finish the upload" : "can finish it");
        l->warn(l->ctx, rc, msg);
    } else if (rc == SYNC_ECANCEL && final) {
        /* Only sync_live_finish cancels: the last pass ran out of time, and
         * the run ends with part of it unsent.  Say so. */
        char msg[300];
        snprintf(msg, sizeof msg,
                 "online sync: the last pass did not finish within %.1f s "
                 "($TALLY_SYNC_FINISH_MS); `tally sync %s` will finish the upload",
                 (double)l->finish_ms / 1000.0, res.run_id);
        l->warn(l->ctx, rc, msg);
    }
    if (rc == SYNC_EAUTH) {
        /* A refused key will not get better: stop trying. */
        pthread_mutex_lock(&l->mu);
        l->finishing = l->refused = 1;
        pthread_mutex_unlock(&l->mu);
    }
}

static void *live_main(void *arg)
{
    sync_live *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        struct timespec deadline = clock_deadline_ms(l->interval_ms);
        while (!l->finishing) {
            if (pthread_cond_timedwait(&l->wake, &l->mu, &deadline) == ETIMEDOUT)
                break;
        }
        if (l->finishing)
            break;
        pthread_mutex_unlock(&l->mu);
        pass(l, 0);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    if (!atomic_load(&l->cancel) && !l->refused)
        pass(l, 1);
    pthread_mutex_lock(&l->mu);
    l->done = 1;
    pthread_cond_broadcast(&l->wake);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

sync_live *sync_live_start(const char *path, sync_live_warn_fn warn, void *ctx)
{
    sync_live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->path = strdup(path);
    l->warn = warn;
    l->ctx = ctx;
    l->interval_ms = http_env_ms("TALLY_SYNC_INTERVAL_MS", 5000, 1);
    l->finish_ms = http_env_ms("TALLY_SYNC_FINISH_MS", 30000, 1);
    atomic_init(&l->cancel, 0);
    pthread_mutex_init(&l->mu, NULL);
    clock_cond_init(&l->wake);
    /* A pass gives up on an unreachable server after a while; the next
     * pass tries again. */
    sync_options opts = {.cancel = &l->cancel,
                         .retry_ms = http_env_ms("TALLY_SYNC_PASS_RETRY_MS", 60000, 1)};
    char err[512] = "";
    int rc = l->path ? sync_session_new(&opts, &l->session, err, sizeof err) : TALLY_ENOMEM;
    if (!rc && pthread_create(&l->thread, NULL, live_main, l) != 0)
        rc = TALLY_ENOMEM;
    if (rc) {
        char msg[700];
        snprintf(msg, sizeof msg, "online mode cannot start (%s): the run is kept offline; "
                                  "`tally sync` can upload it later",
                 err[0] ? err : sync_strerror(rc));
        warn(ctx, rc, msg);
        sync_session_free(l->session);
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->wake);
        free(l->path);
        free(l);
        return NULL;
    }
    return l;
}

void sync_live_finish(sync_live *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->finishing = 1;
    pthread_cond_broadcast(&l->wake);
    struct timespec deadline = clock_deadline_ms(l->finish_ms);
    while (!l->done)
        if (pthread_cond_timedwait(&l->wake, &l->mu, &deadline) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&l->mu);
    /* Past the budget: the program must be able to exit.  Stop the pass;
     * what is acknowledged stays acknowledged. */
    atomic_store(&l->cancel, 1);
    pthread_join(l->thread, NULL);
    sync_session_free(l->session);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->wake);
    free(l->path);
    free(l);
}
