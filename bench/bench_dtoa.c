/*
 * bench_dtoa.c — the cost of writing a double as text: dtoa_format (the
 * shortest round-trip decimal) and numfmt_double (what tally prints) in ns
 * per value, against snprintf("%.17g") — exact but long — in the same run,
 * over the kinds of values a run logs.
 *
 *   bench_dtoa [VALUES]      (default 1000000, each written 5 times)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/dtoa.h"
#include "common/numfmt.h"

#define PASSES 5

static uint64_t rng_state = 88172645463325252u;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double unit(void) { return (double)(rng_next() >> 11) / 9007199254740992.0; }

/* Losses and accuracies, learning rates, step-like whole numbers, and any
 * bit pattern at all, in equal parts. */
static double sample(size_t i)
{
    switch (i % 4) {
    case 0: return 2.5 * exp(-unit() * 5) + 0.01 * unit();
    case 1: return 1e-4 * pow(10, -3 * unit());
    case 2: return (double)(rng_next() % 1000000);
    default: {
        double v;
        do {
            uint64_t bits = rng_next();
            memcpy(&v, &bits, sizeof v);
        } while (!isfinite(v));
        return v;
    }
    }
}

static volatile size_t sink; /* keeps the writes from being optimised away */

static double ns_per_value(int which, const double *v, size_t n)
{
    char out[64];
    int64_t best = INT64_MAX;
    for (int pass = 0; pass < PASSES; pass++) {
        size_t total = 0;
        int64_t t0 = clock_mono_ns();
        for (size_t i = 0; i < n; i++) {
            switch (which) {
            case 0: total += (size_t)snprintf(out, sizeof out, "%.17g", v[i]); break;
            case 1: total += dtoa_format(out, v[i], 0); break;
            default: total += strlen(numfmt_double(out, v[i])); break;
            }
        }
        int64_t t = clock_mono_ns() - t0;
        if (t < best)
            best = t;
        sink += total;
    }
    return (double)best / (double)n;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    if (n == 0)
        n = 1;
    double *v = malloc(n * sizeof *v);
    if (!v)
        return 1;
    for (size_t i = 0; i < n; i++)
        v[i] = sample(i);
    /* Baseline, ours, baseline again: the two baselines show the noise. */
    double base1 = ns_per_value(0, v, n);
    double dtoa = ns_per_value(1, v, n);
    double numfmt = ns_per_value(2, v, n);
    double base2 = ns_per_value(0, v, n);
    double base = (base1 + base2) / 2;
    printf("workload: %zu values (losses, rates, whole numbers, any bits), best of %d\n", n,
           PASSES);
    printf("snprintf %%.17g         %8.1f ns/value     (runs: %.1f, %.1f)\n", base, base1, base2);
    printf("dtoa_format            %8.1f ns/value     %.3f x %%.17g (target <= 0.5)\n", dtoa,
           dtoa / base);
    printf("numfmt_double          %8.1f ns/value     %.3f x %%.17g\n", numfmt, numfmt / base);
    free(v);
    return 0;
}
