/*
 * dtoa.c — the shortest round-trip decimal of a double (Schubfach) and its
 * text.  numfmt.c, and through it every number tally prints, calls these.
 *
 * The idea, after R. Giulietti's "The Schubfach way to render doubles":
 * a finite double v = c * 2^q reads back from every decimal inside its
 * rounding interval R = [(c - 1/2) 2^q, (c + 1/2) 2^q] (the lower half
 * spacing is 1/4 at a power of two, where the doubles below are twice as
 * dense; the ends belong to R when c is even, as strtod rounds ties to
 * even).  Pick k = floor(log10(2^q)); scaled by 10^-k, R is between 1 and
 * 10 units wide, so it holds at most one multiple of 10 and at least one
 * integer.  If it holds a multiple of ten, that number, one digit shorter
 * than the integers around v, is the answer; else the answer is whichever of
 * s = floor(v 10^-k) and s + 1 lies in R, the closer one when both do.
 *
 * Everything is computed in integers: v and the ends of R, times 4 so the
 * half and quarter spacings are whole, are multiplied by a 128-bit upper
 * bound g of 10^-k (dtoa_pow10.h, computed at build time by dtoa_gen.c),
 * keeping the integer part and one "sticky" bit that says the fraction was
 * not zero.  The paper shows the bound is tight enough that these rounded
 * products compare with multiples of 4 exactly as the real numbers do.
 */
#include "common/dtoa.h"

#include <string.h>

#include "common/dtoa_log.h"
#include "common/dtoa_pow10.h"

#define SIGNIFICAND_BITS 52
#define C_MIN (UINT64_C(1) << SIGNIFICAND_BITS) /* the implicit bit of a normal double */
#define Q_MIN (-1074)                           /* the exponent of the subnormals */
#define EXP_BIAS 1075                           /* q = biased exponent - EXP_BIAS */

typedef struct u128 {
    uint64_t hi, lo;
} u128;

static u128 mul_64x64(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    __extension__ unsigned __int128 p = (unsigned __int128)a * b;
    return (u128){(uint64_t)(p >> 64), (uint64_t)p};
#else
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    return (u128){p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32), (mid << 32) | (uint32_t)p00};
#endif
}

/* floor(g * x / 2^128), with its lowest bit set when the bits just below the
 * point (2^-64 .. 2^-1) are not all zero.  The bits further down only hold
 * g's own excess over 10^-k, so they are left out: an exact integer product
 * stays exact. */
static uint64_t mul_round_odd(const uint64_t g[2], uint64_t x)
{
    u128 low = mul_64x64(g[1], x), high = mul_64x64(g[0], x);
    uint64_t mid = high.lo + low.hi;
    uint64_t top = high.hi + (mid < high.lo);
    return top | (mid != 0);
}

/* The shortest closest decimal of c * 2^q, which may have trailing zeros. */
static dtoa_decimal schubfach(int q, uint64_t c)
{
    int open = (int)(c & 1); /* an odd c excludes the ends of R */
    uint64_t cb = c << 2, cb_right = cb + 2, cb_left;
    int k;
    if (c != C_MIN || q == Q_MIN) {
        cb_left = cb - 2;
        k = dtoa_floor_log10_pow2(q);
    } else {
        cb_left = cb - 1; /* a power of two: the doubles below are closer */
        k = dtoa_floor_log10_three_quarters_pow2(q);
    }
    /* g = 10^-k / 2^r with r = floor(log2(10^-k)) - 127; shifting by h makes
     * g * (cb << h) / 2^128 = cb * 2^q * 10^-k.  h is between 1 and 4. */
    const uint64_t *g = dtoa_pow10[-k - DTOA_POW10_MIN];
    int h = q + dtoa_floor_log2_pow10(-k) + 1;
    uint64_t vb = mul_round_odd(g, cb << h);
    uint64_t vb_left = mul_round_odd(g, cb_left << h) + (uint64_t)open;
    uint64_t vb_right = mul_round_odd(g, cb_right << h) - (uint64_t)open;

    /* One digit fewer: the multiples of ten around s = floor(v 10^-k). */
    uint64_t s = vb >> 2;
    uint64_t s10 = s / 10 * 10, t10 = s10 + 10;
    int s10_in = s10 > 0 && vb_left <= s10 << 2, t10_in = t10 << 2 <= vb_right;
    if (s10_in != t10_in)
        return (dtoa_decimal){s10_in ? s10 : t10, k};

    /* As many digits as s: s or s + 1, the closer, ties to even. */
    uint64_t t = s + 1;
    int s_in = vb_left <= s << 2, t_in = t << 2 <= vb_right;
    if (s_in != t_in)
        return (dtoa_decimal){s_in ? s : t, k};
    int64_t above_mid = (int64_t)(vb - ((s + t) << 1)); /* 4v - 2(s + t) */
    int take_s = above_mid < 0 || (above_mid == 0 && (s & 1) == 0);
    return (dtoa_decimal){take_s ? s : t, k};
}

static dtoa_decimal strip_zeros(dtoa_decimal d)
{
    if (d.digits == 0)
        return (dtoa_decimal){0, 0};
    while (d.digits % 10 == 0) {
        d.digits /= 10;
        d.exponent++;
    }
    return d;
}

dtoa_decimal dtoa_shortest(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint64_t fraction = bits & (C_MIN - 1);
    int biased = (int)(bits >> SIGNIFICAND_BITS) & 0x7ff;
    if (biased == 0x7ff)
        return (dtoa_decimal){0, 0};
    if (biased == 0) /* zero and the subnormals */
        return fraction ? strip_zeros(schubfach(Q_MIN, fraction)) : (dtoa_decimal){0, 0};
    uint64_t c = C_MIN | fraction;
    int q = biased - EXP_BIAS;
    /* A whole number below 2^53 is its own shortest decimal. */
    if (q < 0 && q > -SIGNIFICAND_BITS - 1 && (c & ((UINT64_C(1) << -q) - 1)) == 0)
        return strip_zeros((dtoa_decimal){c >> -q, 0});
    return strip_zeros(schubfach(q, c));
}

/* Writes v < 100 as two digits. */
static void write2(char *out, uint32_t v)
{
    out[0] = (char)('0' + v / 10);
    out[1] = (char)('0' + v % 10);
}

/* Writes v < 10^8 as exactly eight digits, leading zeros included.  The
 * halves and quarters are independent, so the CPU works on them at once. */
static void write8(char *out, uint32_t v)
{
    uint32_t hi = v / 10000, lo = v % 10000;
    write2(out, hi / 100);
    write2(out + 2, hi % 100);
    write2(out + 4, lo / 100);
    write2(out + 6, lo % 100);
}

/* Writes the decimal digits of n < 10^17 ("0" for 0); returns the count. */
static int write_digits(char *out, uint64_t n)
{
    char tmp[17];
    tmp[0] = (char)('0' + n / 10000000000000000u);
    write8(tmp + 1, (uint32_t)(n / 100000000 % 100000000));
    write8(tmp + 9, (uint32_t)(n % 100000000));
    int skip = 0;
    while (skip < 16 && tmp[skip] == '0')
        skip++;
    memcpy(out, tmp + skip, (size_t)(17 - skip));
    return 17 - skip;
}

size_t dtoa_format(char out[DTOA_MAX], double v, int whole)
{
    char *p = out;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (v != v) {
        memcpy(out, "nan", 4);
        return 3;
    }
    if (bits >> 63)
        *p++ = '-';
    if ((bits >> SIGNIFICAND_BITS & 0x7ff) == 0x7ff) {
        memcpy(p, "inf", 4);
        return (size_t)(p - out) + 3;
    }
    dtoa_decimal d = dtoa_shortest(v);
    char digits[20];
    int n = write_digits(digits, d.digits);
    int x = d.exponent + n - 1; /* the exponent of the first digit */
    double magnitude = bits >> 63 ? -v : v;

    if (whole && d.exponent >= 0 && magnitude <= 9007199254740992.0) {
        memcpy(p, digits, (size_t)n); /* a whole number: its digits, then zeros */
        p += n;
        memset(p, '0', (size_t)d.exponent);
        p += d.exponent;
    } else if (x < -4 || x >= n) {
        *p++ = digits[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, (size_t)(n - 1));
            p += n - 1;
        }
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax < 10)
            *p++ = '0';
        p += write_digits(p, (uint64_t)ax);
    } else if (x < 0) {
        memcpy(p, "0.", 2); /* 0.000ddd */
        p += 2;
        memset(p, '0', (size_t)(-x - 1));
        p += -x - 1;
        memcpy(p, digits, (size_t)n);
        p += n;
    } else {
        memcpy(p, digits, (size_t)x + 1); /* ddd.ddd, or ddd when x = n - 1 */
        p += x + 1;
        if (x + 1 < n) {
            *p++ = '.';
            memcpy(p, digits + x + 1, (size_t)(n - x - 1));
            p += n - x - 1;
        }
    }
    *p = '\0';
    return (size_t)(p - out);
}
