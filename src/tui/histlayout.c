/*
 * histlayout.c — histogram layouts (see histlayout.h).  A bin's count is
 * read as a density over its width: the ridge at a pixel column shows the
 * count of the bin under it, and percentiles spread a bin's mass evenly.
 */
#include "tui/histlayout.h"

#include <math.h>

#include "tally.h"

const double histlayout_quantiles[HIST_NQ] = {0,      0.0668, 0.1587, 0.3085, 0.5,
                                              0.6915, 0.8413, 0.9332, 1.0};

int histlayout_range(const hist_in *h, size_t n, double *lo, double *hi)
{
    int any = 0;
    for (size_t k = 0; k < n; k++) {
        if (!h[k].nbins || !h[k].edges)
            continue;
        double a = h[k].edges[0], b = h[k].edges[h[k].nbins];
        if (!isfinite(a) || !isfinite(b))
            continue;
        if (!any || a < *lo)
            *lo = a;
        if (!any || b > *hi)
            *hi = b;
        any = 1;
    }
    if (any && *hi <= *lo) { /* one value: give it some width */
        double d = fabs(*lo) > 0 ? fabs(*lo) * 0.05 : 0.5;
        *lo -= d;
        *hi += d;
    }
    return any;
}

long histlayout_bin_at(const hist_in *h, double x)
{
    if (!h->nbins || !(x >= h->edges[0]) || !(x <= h->edges[h->nbins]))
        return -1;
    size_t a = 0, b = h->nbins; /* edges[a] <= x < edges[b] */
    while (b - a > 1) {
        size_t m = a + (b - a) / 2;
        if (x >= h->edges[m])
            a = m;
        else
            b = m;
    }
    return (long)a;
}

double histlayout_max_count(const hist_in *h, size_t n)
{
    double m = 0;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < h[k].nbins; i++)
            if (isfinite(h[k].counts[i]) && h[k].counts[i] > m)
                m = h[k].counts[i];
    return m;
}

size_t histlayout_pick(size_t n, size_t k, size_t *idx)
{
    if (k >= n) {
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
        return n;
    }
    if (k == 0)
        return 0;
    if (k == 1) {
        idx[0] = n - 1;
        return 1;
    }
    for (size_t i = 0; i < k; i++)
        idx[i] = (size_t)((double)i * (double)(n - 1) / (double)(k - 1) + 0.5);
    return k;
}

int histlayout_ridge(const hist_in *h, size_t n, double lo, double hi, int pw, int ph,
                     int *base, int *ys)
{
    if (pw <= 0 || ph <= 1 || !(hi > lo))
        return TALLY_EINVAL;
    if (n == 0)
        return 0;
    /* Each ridge may rise amp pixels; the baselines share what is left. */
    int amp = n == 1 ? ph - 1 : ph * 2 / 5;
    if (amp < 1)
        amp = 1;
    double gap = n > 1 ? (double)(ph - 1 - amp) / (double)(n - 1) : 0;
    double maxc = histlayout_max_count(h, n);
    for (size_t k = 0; k < n; k++) {
        base[k] = amp + (int)(gap * (double)k + 0.5);
        for (int px = 0; px < pw; px++) {
            double x = lo + (hi - lo) * ((double)px + 0.5) / (double)pw;
            long b = histlayout_bin_at(&h[k], x);
            double c = b >= 0 ? h[k].counts[b] : 0;
            int up = maxc > 0 && isfinite(c) && c > 0 ? (int)(c / maxc * amp + 0.5) : 0;
            if (c > 0 && up == 0)
                up = 1; /* a non-empty bin always shows */
            ys[k * (size_t)pw + (size_t)px] = base[k] - up;
        }
    }
    return 0;
}

void histlayout_percentiles(const hist_in *h, const double *q, size_t nq, double *out)
{
    double total = 0;
    for (size_t i = 0; i < h->nbins; i++)
        if (isfinite(h->counts[i]) && h->counts[i] > 0)
            total += h->counts[i];
    for (size_t j = 0; j < nq; j++) {
        if (total <= 0) {
            out[j] = NAN;
            continue;
        }
        double want = q[j] * total, acc = 0;
        out[j] = h->edges[h->nbins];
        /* q = 0: the left edge of the first non-empty bin. */
        for (size_t i = 0; i < h->nbins; i++) {
            double c = isfinite(h->counts[i]) && h->counts[i] > 0 ? h->counts[i] : 0;
            if (c > 0 && acc + c >= want) {
                double f = (want - acc) / c;
                out[j] = h->edges[i] + f * (h->edges[i + 1] - h->edges[i]);
                break;
            }
            acc += c;
        }
    }
}

int histlayout_heat(const hist_in *h, size_t n, double lo, double hi, int cols, int rows,
                    float *heat)
{
    if (cols <= 0 || rows <= 0 || !(hi > lo))
        return TALLY_EINVAL;
    double maxc = histlayout_max_count(h, n);
    for (int c = 0; c < cols; c++) {
        const hist_in *hk = n ? &h[(size_t)c * n / (size_t)cols] : NULL;
        for (int r = 0; r < rows; r++) {
            float v = 0;
            if (hk && maxc > 0) {
                /* The row's value range, highest at the top: the largest
                 * count of the bins it overlaps. */
                double y1 = hi - (hi - lo) * r / rows, y0 = hi - (hi - lo) * (r + 1) / rows;
                double best = 0;
                for (size_t i = 0; i < hk->nbins; i++)
                    if (hk->edges[i + 1] > y0 && hk->edges[i] < y1 &&
                        isfinite(hk->counts[i]) && hk->counts[i] > best)
                        best = hk->counts[i];
                v = (float)(best / maxc);
            }
            heat[r * cols + c] = v;
        }
    }
    return 0;
}
