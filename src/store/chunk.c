/*
 * chunk.c — the series codec.
 *
 * A chunk is: one format byte, varint n, zigzag varint first_x, then (unless
 * the x values are contiguous, as they are for a metric logged every step)
 * the x stream, then the y stream.
 *
 * x stream: for each point after the first, the zigzag varint of its
 * delta-of-delta.  Steps 0,1,2,... or samples every 2000 ms give zeros:
 * one byte a point.  Arithmetic is on uint64 so any int64 x round-trips.
 *
 * y stream: each double's bits XORed with the previous one's (Gorilla's
 * idea, byte-aligned to keep it simple and fast).  Neighbouring values
 * share sign, exponent and the top of the mantissa, so the XOR has leading
 * zero bytes; round numbers leave trailing zero bytes.  One control byte
 * holds both counts (high nibble leading, low nibble trailing), then the
 * bytes in between.  A repeated value is the single byte 0x80.  NaN, ±Inf
 * and every payload round-trip bit-exact: only bits are ever compared.
 *
 * Block summaries: every CHUNK_BLOCK_POINTS points the encoder notes the
 * block's min, max and last value and how far each stream had got, which
 * is all a decoder needs to start at the next point (the XOR chain needs
 * the previous value's bits, the x chain the previous x and delta).  A
 * reader can so skip whole blocks it has summaries for and decode only
 * the blocks it must look inside.
 */
#include "store/chunk.h"

#include <math.h>
#include <string.h>
#include <zlib.h>

#include "store/varint.h"

/* The encoder writes straight into reserved space: no call per byte. */
static unsigned char *reserve(buf *b, size_t n)
{
    return buf_reserve(b, n) < 0 ? NULL : (unsigned char *)b->data + b->len;
}

static uint64_t double_bits(double y)
{
    uint64_t bits;
    memcpy(&bits, &y, sizeof bits);
    return bits;
}

static double bits_double(uint64_t bits)
{
    double y;
    memcpy(&y, &bits, sizeof y);
    return y;
}

void chunk_encoder_init(chunk_encoder *enc)
{
    memset(enc, 0, sizeof *enc);
    enc->stats.y_min = enc->stats.y_max = NAN;
    enc->block_min = enc->block_max = NAN;
    enc->contiguous = 1;
}

void chunk_encoder_free(chunk_encoder *enc)
{
    buf_free(&enc->xs);
    buf_free(&enc->ys);
    buf_free(&enc->blocks);
    chunk_encoder_init(enc);
}

static void min_max(double *lo, double *hi, double y)
{
    if (isnan(y))
        return;
    if (isnan(*lo) || y < *lo)
        *lo = y;
    if (isnan(*hi) || y > *hi)
        *hi = y;
}

/* The summary of the block that ends at the encoder's last point. */
static chunk_block block_here(const chunk_encoder *enc)
{
    int64_t n = enc->stats.n;
    int64_t start = (n - 1) / CHUNK_BLOCK_POINTS * CHUNK_BLOCK_POINTS;
    return (chunk_block){.start = start,
                         .n = n - start,
                         .last_x = enc->stats.last_x,
                         .y_min = enc->block_min,
                         .y_max = enc->block_max,
                         .last_bits = enc->prev_bits,
                         .y_end = enc->ys.len,
                         .x_end = enc->xs.len,
                         .delta = enc->prev_delta};
}

static void put_xor(buf *b, uint64_t x)
{
    unsigned char *p = reserve(b, 9);
    if (!p)
        return;
    if (x == 0) {
        *p = 0x80;
        b->len++;
        return;
    }
    int lead = __builtin_clzll(x) / 8, trail = __builtin_ctzll(x) / 8;
    size_t n = 0;
    p[n++] = (unsigned char)(lead << 4 | trail);
    for (int i = trail; i < 8 - lead; i++)
        p[n++] = (unsigned char)(x >> (8 * i));
    b->len += n;
}

int chunk_encoder_add(chunk_encoder *enc, int64_t x, double y)
{
    chunk_stats *s = &enc->stats;
    uint64_t bits = double_bits(y);
    if (s->n == 0) {
        s->first_x = x;
    } else {
        uint64_t delta = (uint64_t)x - (uint64_t)s->last_x;
        if (delta != 1)
            enc->contiguous = 0;
        varint_put(&enc->xs, zigzag(delta - enc->prev_delta));
        enc->prev_delta = delta;
    }
    put_xor(&enc->ys, bits ^ enc->prev_bits);
    enc->prev_bits = bits;
    if (s->n == 0)
        s->y_first = y;
    s->y_last = y;
    s->last_x = x;
    s->n++;
    min_max(&s->y_min, &s->y_max, y);
    min_max(&enc->block_min, &enc->block_max, y);
    if (s->n % CHUNK_BLOCK_POINTS == 0) {
        chunk_block b = block_here(enc);
        buf_append(&enc->blocks, &b, sizeof b);
        enc->block_min = enc->block_max = NAN;
    }
    return (enc->xs.oom || enc->ys.oom || enc->blocks.oom) ? -1 : 0;
}

int chunk_encoder_finish(const chunk_encoder *enc, buf *out)
{
    buf_reset(out);
    int contiguous = enc->contiguous || enc->stats.n <= 1;
    buf_putc(out, (char)(CHUNK_FORMAT | (contiguous ? CHUNK_FLAG_CONTIGUOUS : 0)));
    varint_put(out, (uint64_t)enc->stats.n);
    varint_put(out, zigzag((uint64_t)enc->stats.first_x));
    if (!contiguous) {
        varint_put(out, enc->xs.len);
        buf_append(out, enc->xs.data, enc->xs.len);
    }
    buf_append(out, enc->ys.data, enc->ys.len);
    return out->oom ? -1 : 0;
}

static void put_u64(buf *out, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    buf_append(out, b, sizeof b);
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Each block as its change from the one before: offsets and x grow by
 * small amounts, so the varints stay one or two bytes. */
int chunk_encoder_blocks(const chunk_encoder *enc, buf *out)
{
    buf_reset(out);
    if (enc->stats.n < CHUNK_BLOCKS_MIN)
        return 0;
    int contiguous = enc->contiguous;
    buf_putc(out, CHUNK_BLOCKS_FORMAT);
    varint_put(out, CHUNK_BLOCK_POINTS);
    size_t full = enc->blocks.len / sizeof(chunk_block);
    chunk_block prev = {.last_x = enc->stats.first_x};
    for (size_t i = 0; i <= full; i++) {
        chunk_block b;
        if (i < full)
            memcpy(&b, enc->blocks.data + i * sizeof b, sizeof b);
        else if (enc->stats.n % CHUNK_BLOCK_POINTS)
            b = block_here(enc); /* the last block, not full */
        else
            break;
        varint_put(out, b.y_end - prev.y_end);
        if (!contiguous) {
            varint_put(out, b.x_end - prev.x_end);
            varint_put(out, zigzag((uint64_t)b.last_x - (uint64_t)prev.last_x));
            varint_put(out, zigzag(b.delta));
        }
        put_u64(out, double_bits(b.y_min));
        put_u64(out, double_bits(b.y_max));
        put_u64(out, b.last_bits);
        prev = b;
    }
    return out->oom ? -1 : 0;
}

int chunk_encoder_load(chunk_encoder *enc, const void *blob, size_t len)
{
    chunk_decoder dec;
    chunk_encoder_init(enc);
    if (chunk_decoder_init(&dec, blob, len) < 0)
        return -1;
    int64_t x;
    double y;
    int rc;
    while ((rc = chunk_decoder_next(&dec, &x, &y)) == 1) {
        if (chunk_encoder_add(enc, x, y) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc < 0)
        chunk_encoder_free(enc);
    return rc;
}

int chunk_decoder_init(chunk_decoder *dec, const void *blob, size_t len)
{
    const unsigned char *p = blob, *end = p + len;
    uint64_t n, first;
    memset(dec, 0, sizeof *dec);
    if (len < 1 || (p[0] & 0x0f) != CHUNK_FORMAT || (p[0] & ~(0x0f | CHUNK_FLAG_CONTIGUOUS)))
        return -1;
    dec->contiguous = (p[0] & CHUNK_FLAG_CONTIGUOUS) != 0;
    p++;
    if (varint_get(&p, end, &n) < 0 || varint_get(&p, end, &first) < 0 || n > (uint64_t)len * 8)
        return -1;
    if (!dec->contiguous) {
        uint64_t xlen;
        if (varint_get(&p, end, &xlen) < 0 || xlen > (uint64_t)(end - p))
            return -1;
        dec->xp = dec->xstart = p;
        dec->xend = p + xlen;
        p += xlen;
    }
    dec->p = dec->ystart = p;
    dec->end = end;
    dec->remaining = (int64_t)n;
    dec->first_x = (int64_t)unzigzag(first);
    dec->x = dec->first_x;
    return 0;
}

int64_t chunk_decoder_count(const chunk_decoder *dec) { return dec->index + dec->remaining; }

void chunk_decoder_seek(chunk_decoder *dec, const chunk_block *b)
{
    int64_t total = chunk_decoder_count(dec);
    dec->p = dec->ystart + b->y_end;
    if (!dec->contiguous)
        dec->xp = dec->xstart + b->x_end;
    dec->x = b->last_x;
    dec->delta = b->delta;
    dec->bits = b->last_bits;
    dec->index = b->start + b->n;
    dec->remaining = total - dec->index;
}

int chunk_blocks_init(chunk_blocks *it, const void *blob, size_t len, const chunk_decoder *dec)
{
    const unsigned char *p = blob, *end = p + len;
    uint64_t per;
    memset(it, 0, sizeof *it);
    if (len < 1 || p[0] != CHUNK_BLOCKS_FORMAT || dec->index != 0)
        return -1;
    p++;
    if (varint_get(&p, end, &per) < 0 || per == 0 || per > (uint64_t)INT32_MAX)
        return -1;
    it->p = p;
    it->end = end;
    it->per_block = (int64_t)per;
    it->n = chunk_decoder_count(dec);
    it->first_x = dec->first_x;
    it->ylen = (size_t)(dec->end - dec->ystart);
    it->xlen = dec->contiguous ? 0 : (size_t)(dec->xend - dec->xstart);
    it->contiguous = dec->contiguous;
    it->prev.last_x = dec->first_x;
    return 0;
}

/* An offset that grows by a varint, bounded by the stream's length. */
static int get_offset(const unsigned char **p, const unsigned char *end, size_t prev, size_t limit,
                      size_t *out)
{
    uint64_t d;
    if (varint_get(p, end, &d) < 0 || d > limit - prev)
        return -1;
    *out = prev + (size_t)d;
    return 0;
}

int chunk_blocks_next(chunk_blocks *it, chunk_block *b)
{
    chunk_block *prev = &it->prev;
    int64_t start = prev->start + prev->n;
    if (start >= it->n) {
        /* The last block must end where the streams do, and nothing follow. */
        int whole = it->p == it->end && prev->y_end == it->ylen && prev->x_end == it->xlen;
        return whole && start == it->n ? 0 : -1;
    }
    b->start = start;
    b->n = it->n - start < it->per_block ? it->n - start : it->per_block;
    if (get_offset(&it->p, it->end, prev->y_end, it->ylen, &b->y_end) < 0)
        return -1;
    if (it->contiguous) {
        b->x_end = 0;
        b->last_x = (int64_t)((uint64_t)it->first_x + (uint64_t)(start + b->n - 1));
        b->delta = 1; /* unused: a contiguous decoder keeps no delta */
    } else {
        uint64_t dx, delta;
        if (get_offset(&it->p, it->end, prev->x_end, it->xlen, &b->x_end) < 0 ||
            varint_get(&it->p, it->end, &dx) < 0 || varint_get(&it->p, it->end, &delta) < 0)
            return -1;
        b->last_x = (int64_t)((uint64_t)prev->last_x + unzigzag(dx));
        b->delta = unzigzag(delta);
    }
    if ((size_t)(it->end - it->p) < 24)
        return -1;
    uint64_t lo = get_u64(it->p), hi = get_u64(it->p + 8);
    memcpy(&b->y_min, &lo, sizeof lo);
    memcpy(&b->y_max, &hi, sizeof hi);
    b->last_bits = get_u64(it->p + 16);
    it->p += 24;
    *prev = *b;
    return 1;
}

int chunk_decoder_next(chunk_decoder *dec, int64_t *x, double *y)
{
    if (dec->remaining == 0)
        return 0;
    if (dec->index > 0) {
        if (dec->contiguous) {
            dec->x = (int64_t)((uint64_t)dec->x + 1);
        } else {
            uint64_t dod;
            if (varint_get(&dec->xp, dec->xend, &dod) < 0)
                return -1;
            dec->delta += unzigzag(dod);
            dec->x = (int64_t)((uint64_t)dec->x + dec->delta);
        }
    }
    if (dec->p >= dec->end)
        return -1;
    unsigned control = *dec->p++;
    uint64_t xor = 0;
    if (control != 0x80) {
        unsigned lead = control >> 4, trail = control & 15;
        if (lead + trail >= 8 || (size_t)(dec->end - dec->p) < 8 - lead - trail)
            return -1;
        for (unsigned i = trail; i < 8 - lead; i++)
            xor |= (uint64_t)*dec->p++ << (8 * i);
    }
    dec->bits ^= xor;
    *x = dec->x;
    *y = bits_double(dec->bits);
    dec->index++;
    dec->remaining--;
    return 1;
}

/* A header value as the checksum sees it: the bits a reader gets back
 * from the REAL column, where NaN is stored as NULL and -0.0 may read as
 * 0.0, so both are folded to one pattern. */
static void put_header_real(unsigned char *p, double v)
{
    uint64_t bits = isnan(v) ? UINT64_C(0x7ff8000000000000) : v == 0 ? 0 : double_bits(v);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(bits >> (8 * i));
}

static void put_header_int(unsigned char *p, int64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)((uint64_t)v >> (8 * i));
}

/* zlib takes uInt lengths: feed a huge buffer in slices. */
static uLong crc_add(uLong crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        uInt step = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, p, step);
        p += step;
        len -= step;
    }
    return crc;
}

uint32_t chunk_checksum(int64_t owner, const chunk_stats *s, const void *data, size_t len,
                        const void *blocks, size_t blocks_len)
{
    unsigned char head[64];
    put_header_int(head, owner);
    put_header_int(head + 8, s->first_x);
    put_header_int(head + 16, s->last_x);
    put_header_int(head + 24, s->n);
    put_header_real(head + 32, s->y_min);
    put_header_real(head + 40, s->y_max);
    put_header_real(head + 48, s->y_first);
    put_header_real(head + 56, s->y_last);
    uLong crc = crc32(0L, head, sizeof head);
    crc = crc_add(crc, data, len);
    return (uint32_t)crc_add(crc, blocks, blocks_len);
}

int chunk_encode(const int64_t *x, const double *y, size_t n, buf *out, chunk_stats *stats)
{
    chunk_encoder enc;
    chunk_encoder_init(&enc);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = chunk_encoder_add(&enc, x[i], y[i]);
    if (rc == 0)
        rc = chunk_encoder_finish(&enc, out);
    if (stats)
        *stats = enc.stats;
    chunk_encoder_free(&enc);
    return rc;
}
