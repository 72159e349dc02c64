/*
 * axis.c — nice tick numbers and compact labels (see axis.h).
 */
#include "tui/axis.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

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

int axis_ticks(double lo, double hi, int max, axis_kind kind, double *out, double *step)
{
    if (max > AXIS_MAX_TICKS)
        max = AXIS_MAX_TICKS;
    if (max < 1 || !isfinite(lo) || !isfinite(hi) || hi < lo)
        return 0;
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

static void number_label(char *out, size_t size, double v, double step)
{
    double a = fabs(v);
    if (v == 0) {
        snprintf(out, size, "0");
    } else if (a >= 1e3 && step >= 1 && a < 1e15) {
        static const char sfx[] = "kMGT";
        int k = 0;
        double s = v / 1e3, st = step / 1e3;
        while (fabs(s) >= 1e3 && k < 3) {
            s /= 1e3;
            st /= 1e3;
            k++;
        }
        int dec = st >= 1 ? 0 : (int)ceil(-log10(st) - 1e-9);
        if (dec > 3)
            dec = 3;
        snprintf(out, size, "%.*f%c", dec, s, sfx[k]);
    } else if (a < 1e-4 || a >= 1e15) {
        snprintf(out, size, "%.2g", v);
    } else {
        int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        if (dec > 6)
            dec = 6;
        snprintf(out, size, "%.*f", dec, v);
    }
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
        double p = pow(10, v);
        number_label(out, size, p, p * (step < 1 ? step : 0.1));
        if (fabs(v - round(v)) < 1e-9 && (v >= 4 || v <= -3))
            snprintf(out, size, "1e%d", (int)lround(v));
    } else {
        number_label(out, size, v, step);
    }
}
