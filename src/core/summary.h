/*
 * summary.h — a metric's running summary (wandb's run.summary): pure
 * functions, called by log.c under the run lock and by the flusher.
 */
#ifndef TALLY_SUMMARY_H
#define TALLY_SUMMARY_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/buf.h"

typedef struct summary_state {
    int64_t finite;        /* finite values seen */
    double sum, min, max;  /* over finite values */
    double first, last;
    char *last_json;       /* the last value when it was not a number (owned) */
    unsigned char seen;         /* a number was logged */
    unsigned char has_override; /* tally_summary_set() since the last logged value: its
                                 * value is in `last` (a logged value replaces both) */
} summary_state;

/* Adds a logged number.  Inline: every logged value goes through it. */
static inline void summary_add(summary_state *s, double v)
{
    if (!s->seen)
        s->first = v;
    s->last = v;
    s->seen = 1;
    s->has_override = 0;
    if (s->last_json) {
        free(s->last_json);
        s->last_json = NULL;
    }
    if (!isfinite(v))
        return;
    if (s->finite == 0 || v < s->min)
        s->min = v;
    if (s->finite == 0 || v > s->max)
        s->max = v;
    s->sum += v;
    s->finite++;
}
/* Records a non-numeric value (takes a copy). */
int summary_add_json(summary_state *s, const char *json);
void summary_set(summary_state *s, double v);
void summary_free(summary_state *s);

/* The summary value for rule bits (TALLY_SUMMARY_*), as JSON, into out.
 * Returns 0, or 1 when the metric has no summary (NONE, or nothing yet). */
int summary_json(const summary_state *s, unsigned rules, buf *out);

#endif
