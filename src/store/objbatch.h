/*
 * objbatch.h — the codec for a batch of non-scalar values (strings, JSON
 * values, huge integers): what one flush logged, packed into one blob of
 * an object_batch row.  Pure functions over buffers; the writer encodes,
 * series.c decodes.  The format is specified in docs/format.md.
 */
#ifndef TALLY_OBJBATCH_H
#define TALLY_OBJBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define OBJBATCH_FORMAT 1 /* the first byte of every batch blob */
/* The owner a batch's checksum is computed with (chunk_checksum): no
 * metric has this id, so a batch's checksum never matches a chunk's. */
#define OBJBATCH_OWNER (-1)

/* Value types, as stored (one byte an entry). */
enum { OBJ_STRING = 0, OBJ_JSON = 1, OBJ_INT = 2, OBJ_NTYPES };

/* "string", "json", "int" -> OBJ_*, or -1. */
int objbatch_type_code(const char *type);
/* OBJ_* -> its name; NULL for an unknown code. */
const char *objbatch_type_name(int code);

typedef struct objbatch_encoder {
    buf data;
    int64_t n, first_x, last_x, prev_x;
} objbatch_encoder;

void objbatch_encoder_init(objbatch_encoder *enc);
void objbatch_encoder_free(objbatch_encoder *enc);
/* Appends a value; x must not be below the previous one.  -1 on OOM or a
 * bad argument. */
int objbatch_add(objbatch_encoder *enc, int64_t metric_id, int64_t x, int type,
                 const char *json, size_t len);

typedef struct objbatch_decoder {
    const unsigned char *p, *end;
    int64_t remaining, x;
} objbatch_decoder;

typedef struct objbatch_entry {
    int64_t metric_id, x;
    int type;
    const char *json; /* into the blob: len bytes, not NUL-terminated */
    size_t len;
} objbatch_entry;

/* 0, or -1 when the blob is malformed.  first_x is the row's column. */
int objbatch_decoder_init(objbatch_decoder *dec, const void *blob, size_t len, int64_t first_x);
/* 1 and an entry; 0 at the end; -1 on a malformed blob. */
int objbatch_next(objbatch_decoder *dec, objbatch_entry *out);

#endif
