/*
 * histogram.c — media_histogram: equal-width binning of a histogram's
 * values, as numpy.histogram(values, bins=n) does (wandb.Histogram), run on
 * the caller's thread by tally_log_histogram.
 *
 * The idea: edges are numpy's linspace(min, max, n + 1); a value's bin is
 * first guessed from (v - min) * n / (max - min), then corrected against
 * the edges themselves until edges[i] <= v < edges[i + 1] (the last bin
 * closed), so the counts are exactly those of comparing each value with the
 * edges, whatever the rounding of the guess.  When the edges are regular
 * (distinct, far wider than the rounding of min and max) the guess is off
 * by at most one bin and one comparison with each neighbouring edge, made
 * without branches, settles it; otherwise the correction walks.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
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

typedef struct histogram_job {
    const double *e; /* nbins + 1 edges, e[nbins] = +inf: v == max is in the last bin */
    double k, base, scale; /* guess = (v * k - base) * scale; k 0.5 for a huge span */
    int last;
    uint64_t (*c)[TALLY_HISTOGRAM_MAX_BINS]; /* four sets of counters */
} histogram_job;

static inline int histogram_guess(const histogram_job *j, double v)
{
    double g = (v * j->k - j->base) * j->scale;
    g = g > 0.0 ? g : 0.0; /* a NaN guess (a denormal span) goes to 0 */
    g = g < j->last ? g : j->last;
    return (int)g;
}

/* Any finite v, any edges: walk from the guess. */
static inline int histogram_bin_walk(const histogram_job *j, double v)
{
    int b = histogram_guess(j, v);
    while (v < j->e[b])
        b--;
    while (v >= j->e[b + 1])
        b++;
    return b;
}

/* Regular edges: the guess is within one bin. */
static inline int histogram_bin_near(const histogram_job *j, double v)
{
    int b = histogram_guess(j, v);
    return b - (v < j->e[b]) + (v >= j->e[b + 1]);
}

static void histogram_count(histogram_job *j, const double *values, size_t n, int check,
                            int regular)
{
    size_t i = 0;
    if (!check && regular) { /* the common case: four counters break the chains */
        for (; i + 4 <= n; i += 4) {
            j->c[0][histogram_bin_near(j, values[i])]++;
            j->c[1][histogram_bin_near(j, values[i + 1])]++;
            j->c[2][histogram_bin_near(j, values[i + 2])]++;
            j->c[3][histogram_bin_near(j, values[i + 3])]++;
        }
    }
    for (; i < n; i++)
        if (isfinite(values[i]))
            j->c[0][histogram_bin_walk(j, values[i])]++;
}

int media_histogram(const double *values, size_t n, int nbins, double *counts, double *edges,
                    size_t *skipped)
{
    if ((!values && n) || !counts || !edges || nbins < 1 || nbins > TALLY_HISTOGRAM_MAX_BINS)
        return TALLY_EMEDIA;
    /* min and max: NaN fails both comparisons and drops out by itself;
     * infinities need a second, careful pass when there are any */
    size_t bad = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = values[i];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        bad += !(fabs(v) <= DBL_MAX);
    }
    if (bad && bad < n) {
        lo = INFINITY;
        hi = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (isfinite(values[i])) {
                lo = values[i] < lo ? values[i] : lo;
                hi = values[i] > hi ? values[i] : hi;
            }
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
    uint64_t c[4][TALLY_HISTOGRAM_MAX_BINS];
    double e[TALLY_HISTOGRAM_MAX_BINS + 1];
    for (int k = 0; k < 4; k++)
        memset(c[k], 0, (size_t)nbins * sizeof c[k][0]);
    memcpy(e, edges, (size_t)nbins * sizeof *e);
    e[nbins] = INFINITY;
    double span = hi - lo, k = isfinite(span) ? 1.0 : 0.5;
    histogram_job j = {e, k, lo * k, nbins / (hi * k - lo * k), nbins - 1, c};
    /* regular: edges distinct, a step over 2^30 times the rounding of the
     * largest magnitude, so neither the guess nor an edge is off by a bin */
    int regular = isfinite(span) && span / nbins > fmax(fabs(lo), fabs(hi)) * 0x1p-30;
    for (int b = 0; regular && b < nbins; b++)
        regular = e[b] < e[b + 1];
    histogram_count(&j, values, n, bad > 0, regular);
    for (int b = 0; b < nbins; b++)
        counts[b] = (double)(c[0][b] + c[1][b] + c[2][b] + c[3][b]);
    return 0;
}
