/*
 * registry.c — the set of live run handles.
 *
 * The one piece of global state in libtally, and why: tally_finish() frees
 * the run, so a second tally_finish() on the same pointer could only be
 * caught by remembering which pointers are live.  Only init and finish
 * touch it; the logging calls never do.
 *
 * It also makes fork() safe: a child gets a copy of every run but none of
 * the threads, so a run lock held by another thread at the fork would stay
 * locked in the child forever.  The fork handlers take every live run's
 * lock before the fork and release them on both sides after it.  The
 * child also gets fresh condition variables: the parent's flusher may have
 * been waiting on one at the fork, and a waiter that does not exist in the
 * child can make pthread_cond_signal() there wait for it forever (glibc's
 * condvar groups), so a logging call in the child would hang.
 */
#include <pthread.h>
#include <stdlib.h>

#include "common/clock.h"
#include "core/run_internal.h"

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static const tally_run **registry;
static size_t registry_n, registry_cap;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* Lock order: the registry, then the runs in registry order.  No code
 * takes the registry lock while holding a run lock. */
static void fork_prepare(void)
{
    pthread_mutex_lock(&registry_mu);
    for (size_t i = 0; i < registry_n; i++)
        pthread_mutex_lock(&((tally_run *)registry[i])->mu);
}

static void fork_release(void)
{
    for (size_t i = registry_n; i-- > 0;)
        pthread_mutex_unlock(&((tally_run *)registry[i])->mu);
    pthread_mutex_unlock(&registry_mu);
}

static void fork_child(void)
{
    for (size_t i = 0; i < registry_n; i++) {
        tally_run *run = (tally_run *)registry[i];
        clock_cond_init(&run->wake); /* monotonic, as run_alloc made them */
        clock_cond_init(&run->done);
    }
    fork_release();
}

static void install_fork_handlers(void)
{
    pthread_atfork(fork_prepare, fork_release, fork_child);
}

int registry_add(const tally_run *run)
{
    int rc = 0;
    pthread_once(&atfork_once, install_fork_handlers);
    pthread_mutex_lock(&registry_mu);
    if (registry_n == registry_cap) {
        size_t cap = registry_cap ? registry_cap * 2 : 8;
        const tally_run **r = realloc(registry, cap * sizeof *r);
        if (r) {
            registry = r;
            registry_cap = cap;
        } else {
            rc = -1;
        }
    }
    if (rc == 0)
        registry[registry_n++] = run;
    pthread_mutex_unlock(&registry_mu);
    return rc;
}

int registry_remove(const tally_run *run)
{
    int found = 0;
    pthread_mutex_lock(&registry_mu);
    for (size_t i = 0; i < registry_n; i++) {
        if (registry[i] == run) {
            registry[i] = registry[--registry_n];
            found = 1;
            break;
        }
    }
    if (registry_n == 0) {
        free(registry);
        registry = NULL;
        registry_cap = 0;
    }
    pthread_mutex_unlock(&registry_mu);
    return found;
}
