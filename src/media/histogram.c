/*
 * histogram.c — media_histogram: equal-width binning of a histogram's
 * values, as numpy.histogram(values, bins=n) does (wandb.Histogram), run on
 * the caller's thread by tally_log_histogram.
 *
 * The idea: edges are numpy's linspace(min, max, n + 1); a value's bin is
 * first guessed from (v - min) * n / (max - min), then moved by at most a
 * step or two until edges[i] <= v < edges[i + 1] (the last bin closed), so
 * the counts are exactly those of comparing each value with the edges,
 * rounding of the guess notwithstanding.
 */
#include <math.h>
#include <string.h>

#include "media/media.h"
#include "tally.h"

/* numpy's linspace, with a fallback when max - min overflows a double. */
static void histogram_edges(double lo, double hi, int nbins, double *edges)
{
    double span = hi - lo;
    for (int i = 0; i <= nbins; i++) {
        if (isfinite(span)) {
            edges[i] = lo + (double)i * (span / nbins);
        } else {
            double t = (double)i / nbins;
            edges[i] = lo * (1.0 - t) + hi * t;
        }
        if (i > 0 && edges[i] < edges[i - 1])
            edges[i] = edges[i - 1];
    }
    edges[0] = lo;
    edges[nbins] = hi;
}

int media_histogram(const double *values, size_t n, int nbins, double *counts, double *edges,
                    size_t *skipped)
{
    if ((!values && n) || !counts || !edges || nbins < 1 || nbins > TALLY_HISTOGRAM_MAX_BINS)
        return TALLY_EMEDIA;
    size_t bad = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = values[i];
        if (!isfinite(v)) {
            bad++;
            continue;
        }
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (skipped)
        *skipped = bad;
    memset(counts, 0, (size_t)nbins * sizeof *counts);
    if (bad == n)
        return TALLY_EMEDIA;
    if (lo == hi) { /* numpy widens a single value to [v - 0.5, v + 0.5] */
        lo -= 0.5;
        hi += 0.5;
    }
    histogram_edges(lo, hi, nbins, edges);
    if (!(hi > lo)) { /* so huge that +-0.5 vanished: every edge is v */
        counts[nbins - 1] = (double)(n - bad);
        return 0;
    }
    /* The scaled guess; halves keep an overflowing span finite. */
    double base = lo * 0.5, scale = nbins / (hi * 0.5 - lo * 0.5);
    double top = nbins - 1;
    for (size_t i = 0; i < n; i++) {
        double v = values[i];
        if (!isfinite(v))
            continue;
        double g = (v * 0.5 - base) * scale;
        int b = g >= top ? nbins - 1 : g > 0.0 ? (int)g : 0; /* NaN: 0 */
        while (b > 0 && v < edges[b])
            b--;
        while (b < nbins - 1 && v >= edges[b + 1])
            b++;
        counts[b] += 1.0;
    }
    return 0;
}
