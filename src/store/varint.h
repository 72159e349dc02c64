/*
 * varint.h — the little-endian base-128 varints and the zigzag map that
 * the chunk and object batch codecs share (docs/format.md).  Inline: the
 * encoders call these once or twice a point.
 */
#ifndef TALLY_VARINT_H
#define TALLY_VARINT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Writes v at p (room for 10 bytes); returns the bytes written. */
static inline size_t varint_to(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* Appends v to b; a failed allocation latches b->oom. */
static inline void varint_put(buf *b, uint64_t v)
{
    if (buf_reserve(b, 10) == 0)
        b->len += varint_to((unsigned char *)b->data + b->len, v);
}

/* Reads a varint at *p, moving it on; -1 when it runs past end or is
 * longer than 64 bits allow. */
static inline int varint_get(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        unsigned char c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Signed to unsigned so that small negative numbers stay short. */
static inline uint64_t zigzag(uint64_t v) { return (v << 1) ^ (uint64_t)-(int64_t)(v >> 63); }
static inline uint64_t unzigzag(uint64_t v) { return (v >> 1) ^ (uint64_t)-(int64_t)(v & 1); }

#endif
