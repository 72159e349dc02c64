/*
 * stepper.h — which run step each parsed output line goes to, for `tally
 * run`.  Owns the open step's keys and the epoch a line like "Epoch 3/10"
 * announced.  Pure: parse results in, steps out; cmd_run.c logs at them;
 * tests/unit/test_capture_corpus.c checks them line by line.
 */
#ifndef TALLY_CAPTURE_STEPPER_H
#define TALLY_CAPTURE_STEPPER_H

#include <stdint.h>

#include "capture/parse.h"

#define STEPPER_STREAMS 2 /* stdout, stderr */

typedef struct stepper {
    int started;
    int closed;     /* step `last` is stored: no line joins it any more */
    int64_t last;   /* the step the last metrics went to */
    int64_t offset; /* added to the line's own step (see stepper.c) */
    int lead;       /* 1 + the stream whose named steps count (0: none yet) */
    int64_t named[STEPPER_STREAMS]; /* lines of each stream that named a step */
    int has_epoch, has_epoch_index, epoch_unlogged;
    double epoch;
    int64_t epoch_index;
    parse_metric *open; /* the keys (and values) logged into step `last` */
    size_t nopen, capopen;
} stepper;

/* Places one parsed line of stream (0 stdout, 1 stderr: lines of one
 * stream come in order, the two streams' lines only roughly so): may edit
 * r (adds "epoch", drops values already logged at that step), and sets
 * *step to the run step its metrics go to.  Returns how many metrics r
 * holds now (0: log nothing), or TALLY_ENOMEM.  A zeroed stepper is
 * ready; the first step is 0. */
int stepper_place(stepper *s, int stream, parse_result *r, int64_t *step);
/* Step `last` has been stored (cmd_run.c commits it once the output has
 * been quiet a while, so a live chart is not a line behind): the next
 * line's metrics go to a later step, even when it names this one. */
void stepper_close(stepper *s);
void stepper_free(stepper *s);

#endif
