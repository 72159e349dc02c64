/*
 * numfmt.c — numbers as text for the CLI, JSON, export and sync: the
 * shortest decimal that reads back bit-exact (dtoa.c), wandb's tokens for
 * non-finite values, and a short display form and durations for people.
 */
#include "common/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/dtoa.h"

_Static_assert(NUMFMT_MAX >= DTOA_MAX, "numfmt_double writes through dtoa_format");

static const char *special(double v)
{
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "Infinity" : "-Infinity";
    return NULL;
}

size_t numfmt_double_len(char out[NUMFMT_MAX], double v)
{
    const char *s = special(v);
    if (!s)
        return dtoa_format(out, v, 1);
    size_t n = strlen(s);
    memcpy(out, s, n + 1);
    return n;
}

const char *numfmt_double(char out[NUMFMT_MAX], double v)
{
    numfmt_double_len(out, v);
    return out;
}

const char *numfmt_int(char out[NUMFMT_MAX], int64_t v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v; /* INT64_MIN too */
    *--p = '\0';
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0)
        *--p = '-';
    memcpy(out, p, (size_t)(tmp + sizeof tmp - p));
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
