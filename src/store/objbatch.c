/*
 * objbatch.c — the object batch codec.
 *
 * A batch is one format byte, varint n, then n entries:
 *   varint metric_id, varint zigzag(x - previous x) (the previous x starts
 *   at the row's first_x), one type byte, varint length, the JSON text.
 * Strings cost their text plus four or five bytes, and a flush of a
 * million strings is one row: no INSERT per value.
 */
#include "store/objbatch.h"

#include <string.h>

#include "store/varint.h"

static const char *const type_names[OBJ_NTYPES] = {"string", "json", "int"};

int objbatch_type_code(const char *type)
{
    for (int i = 0; type && i < OBJ_NTYPES; i++)
        if (strcmp(type, type_names[i]) == 0)
            return i;
    return -1;
}

const char *objbatch_type_name(int code)
{
    return code >= 0 && code < OBJ_NTYPES ? type_names[code] : NULL;
}

void objbatch_encoder_init(objbatch_encoder *enc) { memset(enc, 0, sizeof *enc); }

void objbatch_encoder_free(objbatch_encoder *enc)
{
    buf_free(&enc->data);
    objbatch_encoder_init(enc);
}

int objbatch_add(objbatch_encoder *enc, int64_t metric_id, int64_t x, int type,
                 const char *json, size_t len)
{
    if (type < 0 || type >= OBJ_NTYPES || metric_id < 0 || (enc->n > 0 && x < enc->last_x))
        return -1;
    if (enc->n == 0)
        enc->first_x = enc->prev_x = x;
    varint_put(&enc->data, (uint64_t)metric_id);
    varint_put(&enc->data, zigzag((uint64_t)x - (uint64_t)enc->prev_x));
    buf_putc(&enc->data, (char)type);
    varint_put(&enc->data, len);
    buf_append(&enc->data, json, len);
    if (enc->data.oom)
        return -1;
    enc->prev_x = enc->last_x = x;
    enc->n++;
    return 0;
}

int objbatch_decoder_init(objbatch_decoder *dec, const void *blob, size_t len, int64_t first_x)
{
    const unsigned char *p = blob, *end = p + len;
    uint64_t n;
    memset(dec, 0, sizeof *dec);
    if (len < 1 || p[0] != OBJBATCH_FORMAT)
        return -1;
    p++;
    /* Every entry takes at least four bytes. */
    if (varint_get(&p, end, &n) < 0 || n > (uint64_t)(end - p) / 4)
        return -1;
    dec->p = p;
    dec->end = end;
    dec->remaining = (int64_t)n;
    dec->x = first_x;
    return 0;
}

int objbatch_next(objbatch_decoder *dec, objbatch_entry *out)
{
    if (dec->remaining == 0)
        return dec->p == dec->end ? 0 : -1; /* trailing bytes: damaged */
    uint64_t id, dx, len;
    if (varint_get(&dec->p, dec->end, &id) < 0 || id > INT64_MAX ||
        varint_get(&dec->p, dec->end, &dx) < 0 || dec->p >= dec->end)
        return -1;
    int type = *dec->p++;
    if (type >= OBJ_NTYPES || varint_get(&dec->p, dec->end, &len) < 0 ||
        len > (uint64_t)(dec->end - dec->p))
        return -1;
    dec->x = (int64_t)((uint64_t)dec->x + unzigzag(dx));
    out->metric_id = (int64_t)id;
    out->x = dec->x;
    out->type = type;
    out->json = (const char *)dec->p;
    out->len = (size_t)len;
    dec->p += len;
    dec->remaining--;
    return 1;
}
