/*
 * mediaplot.h — objects turned into chart series for chart.c, purely:
 * wandb's custom-plot presets over a table (line, scatter, bar, histogram,
 * line_series, pr_curve / roc_curve per class), the confusion matrix as a
 * grid of counts, and an audio waveform as its min/max envelope.
 */
#ifndef TALLY_TUI_MEDIAPLOT_H
#define TALLY_TUI_MEDIAPLOT_H

#include <stddef.h>

#include "tui/canvas.h"
#include "tui/chart.h"
#include "tui/tablemodel.h"

#define MEDIAPLOT_MAX_SERIES 16

/* One plot: a series a line / class (scatter points and bars are series
 * whose buckets chart.c does not join). */
typedef struct mediaplot {
    size_t nseries;
    char *name[MEDIAPLOT_MAX_SERIES];
    chart_point *pts[MEDIAPLOT_MAX_SERIES];
    size_t n[MEDIAPLOT_MAX_SERIES];
    double x_lo, x_hi;
    char x_title[64], y_title[64];
    int bars;   /* categorical x: labels[i] names bar i (at x = i) */
    char **labels;
    size_t nlabels;
    size_t dropped; /* rows without a number where one was needed */
} mediaplot;

/* Builds the plot of preset ("line", "scatter", "bar", "histogram",
 * "line_series", "pr_curve", "roc_curve") over t; fields_json maps the
 * preset's fields to columns (NULL / missing: the field's own name).
 * TALLY_EINVAL for an unknown preset or a missing column, TALLY_ENOMEM. */
int mediaplot_build(const tablemodel *t, const char *preset, const char *fields_json,
                    mediaplot *out);
void mediaplot_free(mediaplot *p);
/* Draws it (with axes and a legend line of the series' names) into r. */
int mediaplot_draw(canvas *c, canvas_rect r, const mediaplot *p, const char *title, int ascii);

/* A confusion matrix: classes in order of first appearance (actual or
 * predicted), count[a * n + p]. */
typedef struct confmat {
    size_t n;
    char **classes;
    double *count;
    double max;
} confmat;
int confmat_build(const tablemodel *t, const char *fields_json, confmat *out);
void confmat_free(confmat *m);
/* Rows actual, columns predicted, each cell's count over a shade of its
 * share of the largest (colours through the canvas). */
void confmat_draw(canvas *c, canvas_rect r, const confmat *m, int colors);

/* The waveform: ncols buckets over frames [f0, f1) of interleaved
 * samples, each the min / max over the channels; x the time in seconds. */
int mediaplot_wave(const float *samples, size_t frames, int channels, int sample_rate, size_t f0,
                   size_t f1, size_t ncols, chart_point *out);

#endif
