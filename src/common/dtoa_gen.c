/*
 * dtoa_gen.c — writes dtoa_pow10.h, the powers of ten dtoa.c multiplies by,
 * computed exactly with big integers.  Built for and run on the build
 * machine (`make` does both); its output is never tracked.
 *
 * For each e in [DTOA_POW10_MIN, DTOA_POW10_MAX] it finds the integer r and
 * the real beta with 10^e = beta * 2^r and 2^127 <= beta < 2^128, and writes
 * g = floor(beta) + 1, a 128-bit upper bound of beta, as two 64-bit halves.
 * It first checks the fixed-point logarithms of dtoa_log.h against exact
 * comparisons of powers, and fails (exit 1) if one is wrong.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dtoa_log.h"

#define POW10_MIN (-292) /* 10^-k for the k of the largest double, 2^971 */
#define POW10_MAX 324    /* ... and of the smallest, 2^-1074 */
#define LIMBS 80         /* 2560 bits: 10^350 * 2^1100 fits */

/* A non-negative big integer, little-endian 32-bit limbs. */
typedef struct big {
    uint32_t limb[LIMBS];
} big;

static void big_set(big *b, uint32_t v)
{
    memset(b, 0, sizeof *b);
    b->limb[0] = v;
}

static void big_mul_small(big *b, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t p = (uint64_t)b->limb[i] * m + carry;
        b->limb[i] = (uint32_t)p;
        carry = p >> 32;
    }
    if (carry) {
        fprintf(stderr, "dtoa_gen: big integer overflow\n");
        exit(1);
    }
}

static void big_shift_left(big *b, int n)
{
    while (n-- > 0)
        big_mul_small(b, 2);
}

static void big_pow(big *b, uint32_t base, int e)
{
    big_set(b, 1);
    while (e-- > 0)
        big_mul_small(b, base);
}

static int big_cmp(const big *a, const big *b)
{
    for (int i = LIMBS - 1; i >= 0; i--)
        if (a->limb[i] != b->limb[i])
            return a->limb[i] < b->limb[i] ? -1 : 1;
    return 0;
}

static void big_sub(big *a, const big *b) /* a -= b, a >= b */
{
    int64_t borrow = 0;
    for (int i = 0; i < LIMBS; i++) {
        int64_t d = (int64_t)a->limb[i] - b->limb[i] - borrow;
        borrow = d < 0;
        a->limb[i] = (uint32_t)(d + (borrow ? INT64_C(1) << 32 : 0));
    }
}

static int big_bit(const big *b, int i) { return (b->limb[i / 32] >> (i % 32)) & 1; }

/* The number of bits of b (0 for 0). */
static int big_bits(const big *b)
{
    for (int i = LIMBS * 32 - 1; i >= 0; i--)
        if (big_bit(b, i))
            return i + 1;
    return 0;
}

/* Bits [lo, lo + 128) of b as two halves. */
static void big_take128(const big *b, int lo, uint64_t *hi64, uint64_t *lo64)
{
    *hi64 = *lo64 = 0;
    for (int i = 127; i >= 0; i--) {
        int bit = lo + i >= 0 && big_bit(b, lo + i);
        if (i >= 64)
            *hi64 |= (uint64_t)bit << (i - 64);
        else
            *lo64 |= (uint64_t)bit << i;
    }
}

/* floor(2^n / d), which must be below 2^128, by long division. */
static void big_div_pow2(int n, const big *d, uint64_t *hi64, uint64_t *lo64)
{
    big rem, quot;
    big_set(&rem, 0);
    big_set(&quot, 0);
    for (int i = n; i >= 0; i--) {
        big_mul_small(&rem, 2);
        rem.limb[0] |= i == n;
        if (big_cmp(&rem, d) >= 0) {
            big_sub(&rem, d);
            if (i >= 128) {
                fprintf(stderr, "dtoa_gen: quotient past 128 bits\n");
                exit(1);
            }
            quot.limb[i / 32] |= UINT32_C(1) << (i % 32);
        }
    }
    big_take128(&quot, 0, hi64, lo64);
}

/* The sign of m * 2^e2 - 10^e10, exactly: each side gets the powers with
 * a positive exponent. */
static int cmp_pow(uint32_t m, int e2, int e10)
{
    big left, right;
    big_set(&left, m);
    big_set(&right, 1);
    big_shift_left(e2 >= 0 ? &left : &right, abs(e2));
    for (int i = 0; i < abs(e10); i++)
        big_mul_small(e10 >= 0 ? &right : &left, 10);
    return big_cmp(&left, &right);
}

/* 1 when k = floor(log10(m * 2^e2)): 10^k <= m * 2^e2 < 10^(k+1). */
static int is_floor_log10(int k, uint32_t m, int e2)
{
    return cmp_pow(m, e2, k) >= 0 && cmp_pow(m, e2, k + 1) < 0;
}

static int check_logs(void)
{
    for (int q = -1100; q <= 1100; q++) {
        if (!is_floor_log10(dtoa_floor_log10_pow2(q), 1, q)) {
            fprintf(stderr, "dtoa_gen: floor(log10(2^%d)) is wrong\n", q);
            return 1;
        }
        if (!is_floor_log10(dtoa_floor_log10_three_quarters_pow2(q), 3, q - 2)) {
            fprintf(stderr, "dtoa_gen: floor(log10(3/4 * 2^%d)) is wrong\n", q);
            return 1;
        }
    }
    for (int e = -350; e <= 350; e++) {
        int j = dtoa_floor_log2_pow10(e); /* 2^j <= 10^e < 2^(j+1) */
        if (cmp_pow(1, j, e) > 0 || cmp_pow(1, j + 1, e) <= 0) {
            fprintf(stderr, "dtoa_gen: floor(log2(10^%d)) is wrong\n", e);
            return 1;
        }
    }
    return 0;
}

/* g for 10^e: floor(beta) + 1 where 10^e = beta * 2^r, 2^127 <= beta < 2^128. */
static void pow10_bound(int e, uint64_t *hi64, uint64_t *lo64)
{
    big p;
    big_pow(&p, 10, abs(e));
    int bits = big_bits(&p);
    if (e >= 0) {
        /* r = bits - 128: beta = 10^e / 2^r, whole bits of it below 2^r dropped */
        if (bits < 128)
            big_shift_left(&p, 128 - bits);
        big_take128(&p, bits > 128 ? bits - 128 : 0, hi64, lo64);
    } else {
        /* 10^e = 1 / 10^-e; 10^-e is no power of two, so r = -bits - 127 and
         * beta = 2^(bits + 127) / 10^-e. */
        big_div_pow2(bits + 127, &p, hi64, lo64);
    }
    if (++*lo64 == 0)
        ++*hi64;
    if (!(*hi64 >> 63)) { /* below 2^127, or floor(beta) + 1 wrapped past 2^128 */
        fprintf(stderr, "dtoa_gen: 10^%d does not scale to 128 bits\n", e);
        exit(1);
    }
}

int main(void)
{
    if (check_logs())
        return 1;
    printf("/* dtoa_pow10.h — written by dtoa_gen at build time; do not edit.\n"
           " * dtoa_pow10[e - DTOA_POW10_MIN] = {hi, lo}: floor(10^e / 2^r) + 1 for the\n"
           " * r that puts it in [2^127, 2^128). */\n"
           "#define DTOA_POW10_MIN (%d)\n#define DTOA_POW10_MAX %d\n"
           "static const uint64_t dtoa_pow10[%d][2] = {\n",
           POW10_MIN, POW10_MAX, POW10_MAX - POW10_MIN + 1);
    for (int e = POW10_MIN; e <= POW10_MAX; e++) {
        uint64_t hi, lo;
        pow10_bound(e, &hi, &lo);
        printf("    {UINT64_C(0x%016" PRIx64 "), UINT64_C(0x%016" PRIx64 ")}, /* 10^%d */\n", hi,
               lo, e);
    }
    printf("};\n");
    return fflush(stdout) != 0 || ferror(stdout);
}
