/*
 * axis.h — tick positions at "nice" numbers (1, 2, 5 x 10^k; for time,
 * seconds, minutes and hours) and their labels.  Pure; chart.c calls it.
 */
#ifndef TALLY_TUI_AXIS_H
#define TALLY_TUI_AXIS_H

#include <stddef.h>

#define AXIS_MAX_TICKS 16

typedef enum axis_kind {
    AXIS_NUMBER = 0,   /* plain values */
    AXIS_DURATION = 1, /* seconds since the start: 90 -> "1m30s" */
    AXIS_CLOCK = 2,    /* Unix seconds: "14:03:10" */
    AXIS_LOG10 = 3     /* the value is log10 of what is shown */
} axis_kind;

/* The nice number near x: the smallest nice >= x when !round, else the
 * nearest (Heckbert's "Nice numbers for graph labels"). */
double axis_nice(double x, int round);
/* Ticks inside [lo, hi], at most max (<= AXIS_MAX_TICKS), at multiples of
 * one nice step (*step).  Returns how many were written to out. */
int axis_ticks(double lo, double hi, int max, axis_kind kind, double *out, double *step);
/* A short label for tick v when ticks are step apart. */
void axis_label(char *out, size_t size, double v, double step, axis_kind kind);

#endif
