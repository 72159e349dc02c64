/*
 * axis.c — nice tick numbers and compact labels (see axis.h).
 */
#include "tui/axis.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

#include "tui/valfmt.h"

double axis_nice(double x, int round)
{
    if (!(x > 0) || !isfinite(x))
        return 1;
    double e = floor(log10(x)), f = x / pow(10, e), nf;
    if (round)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * pow(10, e);
}

/* Steps a clock reads well at: seconds, minutes, hours, days. */
static double time_step(double raw)
{
    static const double steps[] = {1,     2,     5,     10,    15,     30,    60,
                                   120,   300,   600,   900,   1800,   3600,  7200,
                                   10800, 21600, 43200, 86400, 172800, 604800};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (raw <= steps[i])
            return steps[i];
    return axis_nice(raw / 86400, 0) * 86400;
}

/* Log ticks for a range too narrow for whole decades: 1-2-5 x 10^k when
 * at least two of them fall inside, else nice steps of the value itself
 * (0.3 0.35 0.4).  The step returned is log10 of the smallest ratio
 * between neighbours, which the label uses to pick its digits. */
static int log_ticks(double lo, double hi, int max, double *out, double *step)
{
    static const double mant[] = {1, 2, 5};
    int n = 0;
    for (int e = (int)floor(lo) - 1; e <= (int)ceil(hi) && n <= max; e++)
        for (int i = 0; i < 3 && n <= max; i++) {
            double v = log10(mant[i]) + e;
            if (v >= lo - 1e-9 && v <= hi + 1e-9)
                out[n++] = v;
        }
    if (n >= 2 && n <= max) {
        *step = log10(2);
        return n;
    }
    double vlo = pow(10, lo), vhi = pow(10, hi), d[AXIS_MAX_TICKS];
    int m = axis_ticks(vlo, vhi, max, AXIS_NUMBER, d, step);
    double ratio = INFINITY;
    n = 0;
    for (int i = 0; i < m; i++) {
        if (!(d[i] > 0))
            continue;
        if (n > 0)
            ratio = fmin(ratio, d[i] / pow(10, out[n - 1]));
        out[n++] = log10(d[i]);
    }
    *step = isfinite(ratio) ? log10(ratio) : 1;
    return n;
}

int axis_ticks(double lo, double hi, int max, axis_kind kind, double *out, double *step)
{
    if (max > AXIS_MAX_TICKS)
        max = AXIS_MAX_TICKS;
    if (max < 1 || !isfinite(lo) || !isfinite(hi) || hi < lo)
        return 0;
    /* Fewer than three whole decades inside: finer log ticks. */
    if (kind == AXIS_LOG10 && hi > lo && floor(hi) - ceil(lo) + 1 < 3 && max >= 2)
        return log_ticks(lo, hi, max, out, step);
    if (hi == lo) {
        out[0] = lo;
        *step = 1;
        return 1;
    }
    double d;
    if (max == 1) {
        d = axis_nice(hi - lo, 0);
    } else {
        double raw = (hi - lo) / (max - 1);
        d = axis_nice(raw, 1);
        if ((kind == AXIS_DURATION || kind == AXIS_CLOCK) && raw >= 1)
            d = time_step(raw);
        if (kind == AXIS_LOG10 && d < 1 && hi - lo >= 1)
            d = 1;
    }
    int n = 0;
    double first = ceil(lo / d - 1e-9) * d;
    /* Widen the step until the ticks fit (rounding can give one too many). */
    for (;;) {
        n = 0;
        for (double v = first; v <= hi + d * 1e-9 && n < AXIS_MAX_TICKS + 1; v += d)
            n++;
        if (n <= max)
            break;
        d = kind == AXIS_DURATION || kind == AXIS_CLOCK ? time_step(d * 1.01)
                                                        : axis_nice(d * 1.01, 0);
        first = ceil(lo / d - 1e-9) * d;
    }
    for (int i = 0; i < n; i++) {
        double v = first + i * d;
        out[i] = fabs(v) < d * 1e-9 ? 0 : v;
    }
    *step = d;
    return n;
}

static void duration_label(char *out, size_t size, double v)
{
    long s = lround(v);
    const char *sign = s < 0 ? "-" : "";
    if (s < 0)
        s = -s;
    if (s < 60)
        snprintf(out, size, "%s%lds", sign, s);
    else if (s < 3600)
        snprintf(out, size, s % 60 ? "%s%ldm%02lds" : "%s%ldm", sign, s / 60, s % 60);
    else if (s < 86400)
        snprintf(out, size, s % 3600 ? "%s%ldh%02ldm" : "%s%ldh", sign, s / 3600, s / 60 % 60);
    else
        snprintf(out, size, "%s%ldd%02ldh", sign, s / 86400, s / 3600 % 24);
}

void axis_label(char *out, size_t size, double v, double step, axis_kind kind)
{
    if (kind == AXIS_DURATION) {
        duration_label(out, size, v);
    } else if (kind == AXIS_CLOCK) {
        time_t t = (time_t)llround(v);
        struct tm tm;
        if (!localtime_r(&t, &tm))
            snprintf(out, size, "?");
        else
            strftime(out, size, step >= 60 ? "%H:%M" : "%H:%M:%S", &tm);
    } else if (kind == AXIS_LOG10) {
        /* Neighbours differ by a factor of 10^step: enough digits for that. */
        double rel = step > 0 && step < 1 ? pow(10, step) - 1 : 1;
        int digits = 2 + (int)ceil(-log10(rel) - 1e-9);
        char tmp[VALFMT_MAX];
        snprintf(out, size, "%s",
                 valfmt(tmp, pow(10, v),
                        digits < 2   ? 2
                        : digits > 6 ? 6
                                     : digits));
    } else {
        char tmp[VALFMT_MAX];
        snprintf(out, size, "%s", valfmt_tick(tmp, v, step));
    }
}
