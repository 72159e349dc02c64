/*
 * registry.c — the set of live run handles.
 *
 * The one piece of global state in libtally, and why: tally_finish() frees
 * the run, so a second tally_finish() on the same pointer could only be
 * caught by remembering which pointers are live.  Only init and finish
 * touch it; the logging calls never do.
 */
#include <pthread.h>
#include <stdlib.h>

#include "core/run_internal.h"

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static const tally_run **registry;
static size_t registry_n, registry_cap;

int registry_add(const tally_run *run)
{
    int rc = 0;
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
