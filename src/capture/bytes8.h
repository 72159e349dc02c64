/*
 * bytes8.h — tests on eight bytes at a time, for the readers of output
 * lines (parse.c, shapes.c).  Each answer has the top bit of byte k set
 * for each byte k that passes, so __builtin_ctzll(mask) >> 3 is the first.
 */
#ifndef TALLY_CAPTURE_BYTES8_H
#define TALLY_CAPTURE_BYTES8_H

#include <stdint.h>
#include <string.h>

#define BYTES8_ONES 0x0101010101010101u
#define BYTES8_TOPS 0x8080808080808080u

/* Eight bytes as a little-endian word: byte k of s is bits 8k..8k+7, so
 * shifts and bit positions name bytes the same way on every machine. */
static inline uint64_t bytes8_load(const char *s)
{
    uint64_t x;
    memcpy(&x, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* The digits of x: with y = x without its top bits (so no sum carries
 * into the next byte), y + 0x50 reaches the top bit when y >= '0' and
 * y + 0x46 when y > '9'; ~x keeps out bytes of 0x80 and above. */
static inline uint64_t bytes8_digits(uint64_t x)
{
    uint64_t y = x & ~BYTES8_TOPS;
    return (y + BYTES8_ONES * 0x50) & ~(y + BYTES8_ONES * 0x46) & ~x & BYTES8_TOPS;
}

/* The bytes of x that equal c: ~(low7 + 0x7f | x | 0x7f) is exact per
 * byte (no borrow from one byte into the next). */
static inline uint64_t bytes8_equal(uint64_t x, char c)
{
    const uint64_t lows = 0x7f7f7f7f7f7f7f7fu;
    uint64_t v = x ^ (BYTES8_ONES * (unsigned char)c);
    return ~(((v & lows) + lows) | v | lows);
}

#endif
