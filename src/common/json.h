/*
 * json.h — cJSON with wandb's number dialect: NaN, Infinity and -Infinity
 * as bare tokens, which run files and exports use and strict JSON lacks.
 */
#ifndef TALLY_JSON_H
#define TALLY_JSON_H

#include <cjson/cJSON.h>

#include "common/buf.h"

/* Parses JSON that may hold bare NaN / Infinity / -Infinity numbers.
 * NULL when malformed.  Free with cJSON_Delete(). */
cJSON *json_parse(const char *text);

/* Writes v as JSON: numbers with round-trip precision and the bare
 * tokens for non-finite ones; pretty adds newlines and two-space indents. */
void json_write(buf *out, const cJSON *v, int pretty);

#endif
