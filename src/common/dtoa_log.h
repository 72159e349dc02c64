/*
 * dtoa_log.h — the three integer logarithms Schubfach needs, in fixed point:
 * floor(log10(2^q)), floor(log10(3/4 * 2^q)) and floor(log2(10^e)).  Shared
 * by dtoa.c and by dtoa_gen.c, the build-time program that computes dtoa's
 * powers of ten and checks these three exactly, with big integers, over
 * every exponent dtoa passes them; a wrong constant fails the build.
 *
 * Each multiplier is the logarithm scaled by 2^41 or 2^38, rounded down; a
 * right shift of the product is floor() (an arithmetic shift, as every
 * compiler tally supports does for signed values).
 */
#ifndef TALLY_DTOA_LOG_H
#define TALLY_DTOA_LOG_H

#include <stdint.h>

#define DTOA_LOG10_2 INT64_C(661971961083)        /* floor(log10(2) * 2^41) */
#define DTOA_LOG10_3_4 INT64_C(-274743187321)     /* floor(log10(3/4) * 2^41) */
#define DTOA_LOG2_10 INT64_C(913124641741)        /* floor(log2(10) * 2^38) */

/* floor(log10(2^q)), for |q| <= 1100. */
static inline int dtoa_floor_log10_pow2(int q) { return (int)(q * DTOA_LOG10_2 >> 41); }

/* floor(log10(3/4 * 2^q)), for |q| <= 1100. */
static inline int dtoa_floor_log10_three_quarters_pow2(int q)
{
    return (int)((q * DTOA_LOG10_2 + DTOA_LOG10_3_4) >> 41);
}

/* floor(log2(10^e)), for |e| <= 350. */
static inline int dtoa_floor_log2_pow10(int e) { return (int)(e * DTOA_LOG2_10 >> 38); }

#endif
