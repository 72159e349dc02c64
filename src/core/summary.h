/*
 * summary.h — a metric's running summary (wandb's run.summary): pure
 * functions, called by log.c under the run lock and by the flusher.
 */
#ifndef TALLY_SUMMARY_H
#define TALLY_SUMMARY_H

#include <stdint.h>

#include "common/buf.h"

typedef struct summary_state {
    int64_t count, finite; /* values seen; of them finite */
    double sum, min, max;  /* over finite values */
    double first, last;
    char *last_json;       /* the last value when it was not a number (owned) */
    int has_override;      /* tally_summary_set() since the last logged value */
    double override;
} summary_state;

void summary_add(summary_state *s, double v);
/* Records a non-numeric value (takes a copy). */
int summary_add_json(summary_state *s, const char *json);
void summary_set(summary_state *s, double v);
void summary_free(summary_state *s);

/* The summary value for rule bits (TALLY_SUMMARY_*), as JSON, into out.
 * Returns 0, or 1 when the metric has no summary (NONE, or nothing yet). */
int summary_json(const summary_state *s, unsigned rules, buf *out);

#endif
