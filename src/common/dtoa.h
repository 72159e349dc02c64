/*
 * dtoa.h — doubles as the shortest decimal that reads back bit-exact.
 *
 * dtoa_shortest() finds the decimal with the fewest significant digits
 * that strtod() turns back into the same double, and of those the closest
 * to it (Schubfach, from R. Giulietti's paper "The Schubfach way to render
 * doubles").  dtoa_format() writes it as text.  numfmt.h builds tally's
 * number conventions (NaN tokens, whole numbers in full) on top of these.
 */
#ifndef TALLY_DTOA_H
#define TALLY_DTOA_H

#include <stddef.h>
#include <stdint.h>

/* Room for the longest text dtoa_format() writes,
 * "-2.2250738585072014e-308", and its NUL. */
#define DTOA_MAX 32

/* |v| = digits * 10^exponent; digits has no trailing zeros (0 for ±0). */
typedef struct dtoa_decimal {
    uint64_t digits;
    int exponent;
} dtoa_decimal;

/* The shortest closest decimal of |v|; v must be finite (for NaN and
 * infinities the result is {0, 0}). */
dtoa_decimal dtoa_shortest(double v);

/* Writes v into out, NUL-terminated, and returns the length.  The text is
 * what printf's %.Ng prints for the fewest digits N that read back
 * ("0.1", "1e+100", "5e-324", "-0", "123.5"): fixed notation when the
 * decimal exponent X of the first digit is in [-4, N), else d.ddde±XX.
 * With whole set, a whole number of magnitude up to 2^53 prints all its
 * digits ("1000000000000000", not "1e+15").  NaN and infinities print
 * "nan", "inf" and "-inf". */
size_t dtoa_format(char out[DTOA_MAX], double v, int whole);

#endif
