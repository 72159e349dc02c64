/*
 * valfmt.h — the dashboard's one number formatter: values on title lines,
 * in the cursor legend, in the runs browser, and every tick label, with SI
 * suffixes for large magnitudes and a fixed number of significant digits.
 * Pure; axis.c and the views call it.  (Export and sync keep the exact,
 * shortest round-trip text of common/numfmt.c.)
 */
#ifndef TALLY_TUI_VALFMT_H
#define TALLY_TUI_VALFMT_H

#include <stddef.h>

#define VALFMT_MAX 32

/* v with at most digits significant digits (1..9), trailing zeros dropped:
 * 0.15317 -> "0.1532", 12345 -> "12.35k", 2.5e9 -> "2.5G", 3.2e-5 ->
 * "3.2e-5", NaN -> "nan".  Integers below 1,000 print whole ("42"). */
const char *valfmt(char out[VALFMT_MAX], double v, int digits);

/* A tick label for v on an axis whose ticks are step apart: just enough
 * decimals that neighbouring ticks never read the same, with the suffix of
 * v's own magnitude ("0", "0.5", "1.5k", "2M", "5e-5"). */
const char *valfmt_tick(char out[VALFMT_MAX], double v, double step);

#endif
