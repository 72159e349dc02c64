/*
 * benchutil.h — what the benchmarks share: a training-like run written
 * through the public API.
 */
#ifndef TALLY_BENCHUTIL_H
#define TALLY_BENCHUTIL_H

#define BENCH_METRICS 100

/* A finished run under dir of BENCH_METRICS metrics x steps: the first
 * int_series are integer series ("count00", ...), the rest decaying float
 * curves with noise ("layer02/loss", ...).  Returns its path (malloc'd),
 * NULL on failure. */
char *bench_write_run(const char *dir, long steps, int int_series);

#endif
