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
 * every point in it was NaN, a gap in the line.  x0 < x1: the span its
 * points cover, whose every pixel column gets the bucket's min-max stroke
 * (so buckets a little wider than a pixel leave no lighter columns);
 * otherwise the bucket is one column at x. */
typedef struct chart_point {
    double x;
    double y_min, y_max, y_first, y_last;
    double x0, x1;
} chart_point;

typedef struct chart_series {
    const chart_point *pts; /* in x order */
    size_t n;
    int color; /* CANVAS_* */
    int dim;   /* drawn dim (a group's min-max band, under its mean) */
} chart_series;

/* Manual y limits (chart_opts.y_limits bits). */
#define CHART_Y_LO 0x1u
#define CHART_Y_HI 0x2u

typedef struct chart_opts {
    const char *title; /* untrusted (a metric name): sanitized when drawn */
    const char *value; /* the current value, right-aligned on the title line */
    double x_lo, x_hi; /* the x range shown */
    axis_kind x_kind;
    int log_y;                     /* y on a log10 scale; values <= 0 are gaps */
    double smooth;                 /* EMA weight, 0: off; raw lines are then drawn dim */
    int axes;                      /* tick marks and labels on both axes */
    int selected;                  /* the title is highlighted */
    int gutter;                    /* columns left of the plot for y labels; 0: from the data
                                      (at least what the labels need either way) */
    unsigned y_limits;             /* CHART_Y_* bits: y_lo / y_hi fixed by the user */
    double y_lo, y_hi;             /* in value units (not log10) */
    int ignore_outliers;           /* y range from the 5th to 95th percentile */
    const char *x_title, *y_title; /* named under / over the axes when drawn */
    int cursor;                    /* draw a vertical cursor at plot column cursor_col */
    int cursor_col;
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
/* The plot area inside r (right of the y labels, between the title and
 * the x axis), as chart_draw will lay it out; w == 0 when nothing plots. */
canvas_rect chart_plot_rect(canvas_rect r, const chart_series *s, size_t ns, const chart_opts *o);
/* The x a cursor on plot column col reads, for a plot w cells wide
 * showing [lo, hi]: that of the column's right pixel (chart_px's inverse),
 * so the last column reads hi, the newest point. */
double chart_x_of_col(int col, int w, double lo, double hi);
/* The index of the point whose span (x0..x1, or x) holds x, else of the
 * nearest one, the earlier on a tie (pts in x order, n > 0). */
size_t chart_nearest(const chart_point *pts, size_t n, double x);
/* The smoothed line of a series as the chart draws it: the EMA of each
 * bucket's midpoint, NaN at gaps; out holds s->n values. */
void chart_smoothed(const chart_series *s, double w, double *out);
/* Draws the chart into r.  Returns -1 on OOM, else 0. */
int chart_draw(canvas *c, canvas_rect r, const chart_series *s, size_t ns, const chart_opts *o);

#endif
