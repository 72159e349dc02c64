/*
 * histlayout.h — where histograms land on the screen, as pure functions:
 * TensorBoard's offset view (a ridgeline, one ridge a logged step), its
 * distribution view (percentile bands over steps), and the heat strip a
 * histogram key gets in the chart grid.  view_media.c draws what these say;
 * tests check the numbers.
 */
#ifndef TALLY_TUI_HISTLAYOUT_H
#define TALLY_TUI_HISTLAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* One histogram: counts[nbins], edges[nbins + 1] ascending. */
typedef struct hist_in {
    int64_t step;
    size_t nbins;
    const double *counts, *edges;
} hist_in;

/* TensorBoard's distribution percentiles (basis points /100): 0, 6.68,
 * 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100 — the median and the
 * 1, 1.5, 2 sigma and full bands. */
#define HIST_NQ 9
extern const double histlayout_quantiles[HIST_NQ];

/* The x range over every histogram's finite edges; 0 when none. */
int histlayout_range(const hist_in *h, size_t n, double *lo, double *hi);
/* The bin of x (the last bin closed), -1 outside. */
long histlayout_bin_at(const hist_in *h, double x);
/* The largest count over the histograms (0 when none). */
double histlayout_max_count(const hist_in *h, size_t n);
/* k of n indices spread evenly, the first and the last always in: which
 * steps get a ridge.  Writes min(k, n) indices to idx; returns that. */
size_t histlayout_pick(size_t n, size_t k, size_t *idx);

/* The ridgeline for n histograms (oldest first) over a plot pw x ph pixels
 * showing [lo, hi]: ridge k's baseline base[k] (pixel row, 0 at the top,
 * the oldest highest, the newest at the bottom) and ys[k * pw + px], the
 * pixel row of its outline at column px (base[k] where the bin is empty or
 * x is outside its range).  Heights are scaled to the largest count. */
int histlayout_ridge(const hist_in *h, size_t n, double lo, double hi, int pw, int ph,
                     int *base, int *ys);

/* The values at quantiles q[0..nq) (0..1) of one histogram, interpolated
 * linearly inside a bin (the mass of a bin spread evenly across it); NaN
 * for an empty histogram. */
void histlayout_percentiles(const hist_in *h, const double *q, size_t nq, double *out);

/* The heat strip: cols columns over the histograms (column c shows
 * histogram c * n / cols), rows value bins over [lo, hi] (row 0 the highest
 * values); heat[r * cols + c] in 0..1, the count there over the largest. */
int histlayout_heat(const hist_in *h, size_t n, double lo, double hi, int cols, int rows,
                    float *heat);

#endif
