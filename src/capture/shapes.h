/*
 * shapes.h — a line's reading, replayed on the next line of its shape.
 *
 * A program prints its metrics with the same format string every time, so
 * most lines `tally run` reads differ from one seen before only in their
 * numbers.  The shape of a line is its text with every number's digits
 * folded to one byte; lines of one shape read alike (the same keys, from
 * the same numbers), so once a line is read in full, the next of its
 * shape is read by taking its values from where the first had them.
 * Called by parse.c; the rules are in shapes.c.
 * Tests: tests/unit/test_capture_shapes.c (replay against a full reading).
 */
#ifndef TALLY_CAPTURE_SHAPES_H
#define TALLY_CAPTURE_SHAPES_H

#include <stddef.h>

#include "capture/parse.h"

enum {
    SHAPE_REPLAYED = 1, /* r holds the line's reading */
    SHAPE_MISS = 0,     /* read it in full, then shape_record */
    SHAPE_FULL = 2      /* read it in full; nothing to record */
};

/* Looks the line s[0..n) (cleaned, trimmed) up in r's cache; on a hit,
 * fills r (reset) as parse_line would.  Returns SHAPE_*, or TALLY_ENOMEM. */
int shape_replay(parse_result *r, const char *s, size_t n, int mode);

/* After a full reading of the line shape_replay last missed: keeps what r
 * holds as the reading of its shape (or marks the shape to read in full). */
void shape_record(parse_result *r, const char *s, size_t n, int mode);

/* How many lines r's cache has replayed (for tests and benchmarks). */
size_t shape_replays(const parse_result *r);

void shape_cache_free(shape_cache *c);

#endif
