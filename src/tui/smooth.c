/*
 * smooth.c — the debiased EMA of TensorBoard's scalar dashboard
 * (see smooth.h).
 */
#include "tui/smooth.h"

#include <math.h>

void smooth_ema(const double *y, size_t n, double w, double *out)
{
    int constant = 1;
    for (size_t i = 1; i < n && constant; i++)
        if (!(y[i] == y[0]))
            constant = 0;
    double last = 0;
    double count = 0;
    for (size_t i = 0; i < n; i++) {
        double v = y[i];
        if (constant || !isfinite(v) || w <= 0) {
            out[i] = v;
            continue;
        }
        last = last * w + (1 - w) * v;
        count++;
        double debias = w == 1 ? 1 : 1 - pow(w, count);
        out[i] = last / debias;
    }
}

double smooth_next_weight(double w)
{
    static const double weights[] = {0, 0.6, 0.8, 0.9, 0.95, 0.99};
    const size_t n = sizeof weights / sizeof *weights;
    for (size_t i = 0; i + 1 < n; i++)
        if (w < weights[i + 1] - 1e-9)
            return weights[i + 1];
    return 0;
}
