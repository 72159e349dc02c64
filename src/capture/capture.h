/*
 * capture.h — what a run records by itself, started and stopped with the
 * run (src/core/run.c): git state at init, the system sampler and console
 * capture while it lives.  Each part obeys its tally_options.capture bit.
 */
#ifndef TALLY_CAPTURE_CAPTURE_H
#define TALLY_CAPTURE_CAPTURE_H

#include <stddef.h>

#include "tally.h"

typedef struct capture_ctx capture_ctx;

#define CAPTURE_SAMPLE_MS_DEFAULT 2000

/* Starts what opts asks for.  Never fails the run: a part that cannot start
 * is skipped (with one warning when it matters).  *out may be NULL. */
void capture_start(tally_run *run, const tally_options *opts, capture_ctx **out);
/* Stops the sampler and the console capture (draining it); frees c. */
void capture_stop(capture_ctx *c);

/* Records one console line (stream 1 stdout, 2 stderr) taken from
 * elsewhere — `tally run` captures its child itself.  Never blocks. */
int capture_line(tally_run *run, int stream, const char *line, size_t len);

/* The sampling period opts and $TALLY_SAMPLE_MS ask for; < 0: off. */
int capture_sample_ms(const tally_options *opts);

#endif
