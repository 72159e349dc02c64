/*
 * live.h — online mode: a thread inside a traced program that syncs the
 * run file (what the flusher wrote, not memory) every few seconds, and
 * once more when the run finishes.  Started and finished by src/core/run.c;
 * failures are reported through the warn callback, never fatal.
 */
#ifndef TALLY_SYNC_LIVE_H
#define TALLY_SYNC_LIVE_H

/* How the thread reports a problem: a code and one line (no key in it). */
typedef void (*sync_live_warn_fn)(void *ctx, int code, const char *message);

typedef struct sync_live sync_live;

/* Finds the key and starts the thread; NULL (after a warning) when online
 * mode cannot run, and the run goes on offline. */
sync_live *sync_live_start(const char *path, sync_live_warn_fn warn, void *ctx);

/* Call once the run file is finished: the thread makes a last pass (at
 * most $TALLY_SYNC_FINISH_MS, default 30 s), marks the run complete, and
 * is joined.  What it could not send, `tally sync` sends later; a pass
 * cut short by the budget says so in one warning line. */
void sync_live_finish(sync_live *live);

#endif
