/*
 * smooth.h — TensorBoard's debiased exponential moving average, the
 * smoothing the chart controls cycle through.  Pure.
 */
#ifndef TALLY_TUI_SMOOTH_H
#define TALLY_TUI_SMOOTH_H

#include <stddef.h>

/* out[i] = the debiased EMA of y[0..i] with weight w in [0, 1):
 *   last = last * w + (1 - w) * y[i];  out[i] = last / (1 - w^count)
 * where count is the number of finite values so far.  Non-finite values
 * pass through unchanged and do not move the average; a constant series
 * is returned as is (both as TensorBoard does).  out may alias y. */
void smooth_ema(const double *y, size_t n, double w, double *out);

/* The smoothing weights the 's' key cycles through (0: off). */
double smooth_next_weight(double w);

#endif
