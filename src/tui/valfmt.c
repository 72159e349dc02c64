/*
 * valfmt.c — compact numbers for people (see valfmt.h).
 *
 * Large magnitudes take an SI suffix (k M G T P E) so a label stays short;
 * tiny ones switch to an exponent.  Titles and the legend ask for a number
 * of significant digits; tick labels derive their decimals from the step,
 * so every tick of an axis is distinct and the labels line up.
 */
#include "tui/valfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char si_suffix[] = " kMGTPE";

/* Drops trailing zeros after a decimal point ("1.500" -> "1.5", "2.0" -> "2"). */
static void trim_zeros(char *s)
{
    char *dot = strchr(s, '.');
    if (!dot)
        return;
    char *end = dot + strlen(dot);
    while (end > dot + 1 && end[-1] == '0')
        end--;
    if (end == dot + 1)
        end = dot;
    *end = 0;
}

static int special(char out[VALFMT_MAX], double v)
{
    if (isnan(v))
        snprintf(out, VALFMT_MAX, "nan");
    else if (isinf(v))
        snprintf(out, VALFMT_MAX, v > 0 ? "inf" : "-inf");
    else if (v == 0)
        snprintf(out, VALFMT_MAX, "0");
    else
        return 0;
    return 1;
}

/* "3.2e-05" -> "3.2e-5": the exponent without padding or a plus sign. */
static void compact_exponent(char *s)
{
    char *e = strchr(s, 'e');
    if (!e)
        return;
    char mant[16];
    size_t n = (size_t)(e - s) < sizeof mant ? (size_t)(e - s) : sizeof mant - 1;
    memcpy(mant, s, n);
    mant[n] = 0;
    trim_zeros(mant);
    int x = 0;
    sscanf(e + 1, "%d", &x);
    snprintf(s, VALFMT_MAX, "%se%d", mant, x);
}

/* The SI group of |v| (0: none, 1: k, ...) and v scaled to it. */
static int si_group(double v, double *scaled)
{
    int k = 0;
    double a = fabs(v);
    while (a >= 1e3 && k < 6) {
        a /= 1e3;
        v /= 1e3;
        k++;
    }
    *scaled = v;
    return k;
}

const char *valfmt(char out[VALFMT_MAX], double v, int digits)
{
    if (special(out, v))
        return out;
    if (digits < 1)
        digits = 1;
    if (digits > 9)
        digits = 9;
    double a = fabs(v);
    if (a >= 1e21 || a < 1e-3) {
        snprintf(out, VALFMT_MAX, "%.*e", digits - 1, v);
        compact_exponent(out);
        return out;
    }
    if (a < 1e3 && v == floor(v)) {
        snprintf(out, VALFMT_MAX, "%.0f", v);
        return out;
    }
    /* Round to the digits first: 999.96 is "1k", not "1000". */
    char tmp[VALFMT_MAX];
    snprintf(tmp, sizeof tmp, "%.*e", digits - 1, v);
    double r = strtod(tmp, NULL), s;
    int k = si_group(r, &s);
    int mag = (int)floor(log10(fabs(s)) + 1e-12); /* 0..2 */
    int dec = digits - 1 - mag;
    if (dec < 0)
        dec = 0;
    snprintf(out, VALFMT_MAX, "%.*f", dec, s);
    trim_zeros(out);
    if (k > 0) {
        size_t n = strlen(out);
        out[n] = si_suffix[k];
        out[n + 1] = 0;
    }
    return out;
}

const char *valfmt_tick(char out[VALFMT_MAX], double v, double step)
{
    if (special(out, v))
        return out;
    if (!(step > 0) || !isfinite(step))
        return valfmt(out, v, 4);
    double a = fabs(v);
    if (a >= 1e21 || (a < 1e-3 && step < 1e-3)) {
        /* Enough mantissa decimals to resolve the step at v's exponent. */
        int ev = (int)floor(log10(a)), es = (int)floor(log10(step) + 1e-9);
        int dec = ev - es;
        if (dec < 0)
            dec = 0;
        if (dec > 6)
            dec = 6;
        snprintf(out, VALFMT_MAX, "%.*e", dec, v);
        compact_exponent(out);
        return out;
    }
    double s, unit = 1;
    int k = si_group(v, &s);
    for (int i = 0; i < k; i++)
        unit *= 1e3;
    double st = step / unit;
    int dec = st >= 1 ? 0 : (int)ceil(-log10(st) - 1e-9);
    /* A nice step like 0.25 needs two decimals, not one; an arbitrary one
     * (a range / 100) only those of its magnitude. */
    double m = st * pow(10, dec);
    if (dec < 9 && fabs(m - round(m)) > 1e-6 && fabs(m * 10 - round(m * 10)) < 1e-6)
        dec++;
    snprintf(out, VALFMT_MAX, "%.*f", dec, s);
    trim_zeros(out);
    if (strcmp(out, "-0") == 0)
        snprintf(out, VALFMT_MAX, "0");
    if (k > 0) {
        size_t n = strlen(out);
        out[n] = si_suffix[k];
        out[n + 1] = 0;
    }
    return out;
}
