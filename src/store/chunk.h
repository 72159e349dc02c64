/*
 * chunk.h — the codec for a chunk of one metric's series: (x, y) points in
 * x order packed into a blob.  Pure functions over buffers; the writer and
 * the reader are its only users.  The format is specified in docs/format.md.
 */
#ifndef TALLY_CHUNK_H
#define TALLY_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define CHUNK_FORMAT 1          /* low nibble of the first byte */
#define CHUNK_FLAG_CONTIGUOUS 0x10 /* x = first_x + i: no x stream stored */

/* Summary of a chunk's points: what the chunk row's header columns hold. */
typedef struct chunk_stats {
    int64_t n, first_x, last_x;
    double y_min, y_max;     /* over non-NaN values; NaN when none */
    double y_first, y_last;
} chunk_stats;

/*
 * Block summaries: a chunk of CHUNK_BLOCKS_MIN points or more carries,
 * beside its blob, a summary of each run of CHUNK_BLOCK_POINTS points (its
 * last x, min, max and last y) and the decoder's state after it.  A chart
 * then takes whole a block that falls inside one bucket and decodes only
 * the blocks that straddle an edge, starting in the middle of the chunk.
 * The format is in docs/format.md.
 */
#define CHUNK_BLOCKS_FORMAT 1
#define CHUNK_BLOCK_POINTS 256
#define CHUNK_BLOCKS_MIN (2 * CHUNK_BLOCK_POINTS)

typedef struct chunk_block {
    int64_t start, n; /* its points: indexes start .. start + n - 1 */
    int64_t last_x;
    double y_min, y_max; /* over non-NaN values; NaN when none */
    uint64_t last_bits;  /* its last y, as bits */
    /* The decoder's state after its last point: bytes of the y and x
     * streams read, and the x delta at that point. */
    size_t y_end, x_end;
    uint64_t delta;
} chunk_block;

/* An encoder that points can be appended to, one at a time, and that can
 * be serialized at any moment (the writer grows a chunk across flushes). */
typedef struct chunk_encoder {
    buf xs, ys;
    chunk_stats stats;
    uint64_t prev_delta, prev_bits;
    int contiguous;
    buf blocks;             /* the chunk_block of each full block */
    double block_min, block_max; /* of the block being filled */
} chunk_encoder;

void chunk_encoder_init(chunk_encoder *enc);
void chunk_encoder_free(chunk_encoder *enc);
/* Appends a point; x must not be below the previous one.  -1 on OOM. */
int chunk_encoder_add(chunk_encoder *enc, int64_t x, double y);
/* Writes the blob for every point added so far into out (replacing it). */
int chunk_encoder_finish(const chunk_encoder *enc, buf *out);
/* Writes the block summaries of the points so far into out (replacing
 * it); out is left empty for a chunk of fewer than CHUNK_BLOCKS_MIN. */
int chunk_encoder_blocks(const chunk_encoder *enc, buf *out);
/* Rebuilds an encoder from a stored blob, so more points can follow. */
int chunk_encoder_load(chunk_encoder *enc, const void *blob, size_t len);

typedef struct chunk_decoder {
    const unsigned char *p, *end; /* y stream */
    const unsigned char *xp, *xend; /* x stream (unused when contiguous) */
    const unsigned char *ystart, *xstart; /* where the streams begin */
    int64_t remaining, x, index, first_x;
    uint64_t delta, bits;
    int contiguous;
} chunk_decoder;

/* 0, or -1 when the blob is malformed. */
int chunk_decoder_init(chunk_decoder *dec, const void *blob, size_t len);
/* 1 and a point; 0 at the end; -1 on a malformed blob. */
int chunk_decoder_next(chunk_decoder *dec, int64_t *x, double *y);
/* Points in the blob, from its prefix alone. */
int64_t chunk_decoder_count(const chunk_decoder *dec);
/* Moves dec (initialised on the chunk's blob) to the point after block b,
 * which chunk_blocks_next returned for that blob. */
void chunk_decoder_seek(chunk_decoder *dec, const chunk_block *b);

/* Reads the block summaries of a chunk, one block at a time. */
typedef struct chunk_blocks {
    const unsigned char *p, *end;
    int64_t per_block, n, first_x;
    size_t ylen, xlen;
    int contiguous;
    chunk_block prev;
} chunk_blocks;

/* Starts on the summaries of the chunk dec was just initialised on; -1
 * when they are malformed. */
int chunk_blocks_init(chunk_blocks *it, const void *blob, size_t len, const chunk_decoder *dec);
/* 1 and the next block; 0 after the last one; -1 when the summaries are
 * malformed or do not describe that chunk (its streams and point count). */
int chunk_blocks_next(chunk_blocks *it, chunk_block *b);

/* The checksum stored beside a chunk: zlib crc32 over its owner (the
 * metric id), its header columns, its blob and its block summaries (none:
 * NULL, 0), so a damaged header is caught as surely as a damaged blob.
 * Header reals are hashed as a reader sees them back from SQLite (NaN and
 * -0.0 folded); see docs/format.md. */
uint32_t chunk_checksum(int64_t owner, const chunk_stats *s, const void *data, size_t len,
                        const void *blocks, size_t blocks_len);

/* Encodes arrays in one go (tests, tools). */
int chunk_encode(const int64_t *x, const double *y, size_t n, buf *out, chunk_stats *stats);

#endif
