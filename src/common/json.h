/*
 * json.h — cJSON with wandb's number dialect: NaN, Infinity and -Infinity
 * as bare tokens, which run files and exports use and strict JSON lacks.
 */
#ifndef TALLY_JSON_H
#define TALLY_JSON_H

#include <cjson/cJSON.h>

#include "common/buf.h"

/* Parses JSON that may hold bare NaN / Infinity / -Infinity numbers.
 * Integers past 2^53 become numbers whose valuestring keeps their digits
 * (valuedouble is the nearest double).  NULL when malformed.  Free with
 * cJSON_Delete(). */
cJSON *json_parse(const char *text);

/* Writes v as JSON: numbers with round-trip precision and the bare
 * tokens for non-finite ones; pretty adds newlines and two-space indents. */
void json_write(buf *out, const cJSON *v, int pretty);

/* json_write() compact, malloc'd (free()); NULL when out of memory.  Use it,
 * not cJSON_PrintUnformatted(), which keeps only 15 digits of a double. */
char *json_print(const cJSON *v);

#endif
