/*
 * chart.h — one line chart drawn into a canvas rectangle: a title line
 * (name and current value), a y-range gutter, and braille lines for one or
 * more series; with axes on, tick marks and labels on both axes.  Pure:
 * the views hand it decimated points, tests read the canvas.
 */
#ifndef TALLY_TUI_CHART_H
#define TALLY_TUI_CHART_H

#include <stddef.h>

#include "tui/axis.h"
#include "tui/canvas.h"

/* One decimated bucket placed at x (data units).  y_min and y_max NaN:
 * every point in it was NaN, a gap in the line. */
typedef struct chart_point {
    double x;
    double y_min, y_max, y_first, y_last;
} chart_point;

typedef struct chart_series {
    const chart_point *pts; /* in x order */
    size_t n;
    int color; /* CANVAS_* */
} chart_series;

typedef struct chart_opts {
    const char *title; /* untrusted (a metric name): sanitized when drawn */
    const char *value; /* the current value, right-aligned on the title line */
    double x_lo, x_hi; /* the x range shown */
    axis_kind x_kind;
    int log_y;     /* y on a log10 scale; values <= 0 are gaps */
    double smooth; /* EMA weight, 0: off; raw lines are then drawn dim */
    int axes;      /* tick marks and labels on both axes */
    int selected;  /* the title is highlighted */
    int gutter;    /* columns left of the plot for y labels; 0: from the data */
} chart_opts;

/* Pixel column of x for a plot pw pixels wide showing [lo, hi]. */
int chart_px(double x, double lo, double hi, int pw);
/* The y range the chart will use for these series (after log_y and
 * smoothing); 0 when there is nothing finite to show. */
int chart_y_range(const chart_series *s, size_t ns, const chart_opts *o, double *lo, double *hi);
/* The columns of y labels left of the plot for a y range [lo, hi] (in
 * log10 units with log_y), and so the plot's width in pixels,
 * 2 * (r.w - gutter): what a caller decimates to. */
int chart_gutter(canvas_rect r, const chart_opts *o, double lo, double hi);
/* Draws the chart into r.  Returns -1 on OOM, else 0. */
int chart_draw(canvas *c, canvas_rect r, const chart_series *s, size_t ns, const chart_opts *o);

#endif
