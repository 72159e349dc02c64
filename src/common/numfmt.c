/*
 * numfmt.c — shortest round-trip formatting of doubles.
 *
 * printf's %.17g always reads back exactly but prints 0.1 as
 * 0.10000000000000001.  We try 15, 16, then 17 significant digits and keep
 * the first that parses back to the same bits: short where it can be, exact
 * always.
 */
#include "common/numfmt.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *special(double v)
{
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "Infinity" : "-Infinity";
    return NULL;
}

const char *numfmt_double(char out[NUMFMT_MAX], double v)
{
    const char *s = special(v);
    if (s) {
        strcpy(out, s);
        return out;
    }
    if (v == floor(v) && fabs(v) <= 9007199254740992.0 && !(v == 0 && signbit(v))) {
        snprintf(out, NUMFMT_MAX, "%.0f", v);
        return out;
    }
    /* A subnormal holds fewer significant digits: "5e-324", not 15 of them. */
    for (int digits = fabs(v) < DBL_MIN ? 1 : 15; digits <= 17; digits++) {
        snprintf(out, NUMFMT_MAX, "%.*g", digits, v);
        if (digits == 17 || strtod(out, NULL) == v)
            break;
    }
    return out;
}

const char *numfmt_short(char out[NUMFMT_MAX], double v, int digits)
{
    const char *s = special(v);
    if (s) {
        strcpy(out, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return out;
    }
    if (digits < 1)
        digits = 1;
    if (digits > 17)
        digits = 17;
    snprintf(out, NUMFMT_MAX, "%.*g", digits, v);
    return out;
}

const char *numfmt_duration(char *out, size_t size, double seconds)
{
    if (!(seconds >= 0)) {
        snprintf(out, size, "-");
        return out;
    }
    long t = (long)seconds;
    if (t < 60)
        snprintf(out, size, "%lds", t);
    else if (t < 3600)
        snprintf(out, size, "%ldm%02lds", t / 60, t % 60);
    else if (t < 86400)
        snprintf(out, size, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(out, size, "%ldd%02ldh", t / 86400, t / 3600 % 24);
    return out;
}
