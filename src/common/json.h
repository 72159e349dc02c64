/*
 * json.h — the one JSON reader and writer of libtally and the `tally`
 * command.
 *
 * The reader takes wandb's number dialect (bare NaN, Infinity and
 * -Infinity, which run files hold) besides strict JSON.  The writer emits
 * RFC 8259 JSON that any strict parser reads: every string is valid UTF-8
 * (a malformed byte becomes U+FFFD) and control characters (C0, DEL, C1),
 * bidirectional controls and the line / paragraph separators are written
 * as \uXXXX escapes, so no JSON output carries an escape sequence to a
 * terminal.  Non-finite numbers are the strings "NaN", "Infinity" and
 * "-Infinity" unless JSON_BARE_NONFINITE asks for wandb's bare tokens
 * (run files and the sync protocol use them; strict JSON lacks them).
 */
#ifndef TALLY_JSON_H
#define TALLY_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/* Writer flags. */
#define JSON_PRETTY 0x1u         /* newlines and two-space indents */
#define JSON_BARE_NONFINITE 0x2u /* NaN / Infinity / -Infinity as bare tokens */

/* Parses JSON that may hold bare NaN / Infinity / -Infinity numbers.
 * Integers past 2^53 become numbers whose valuestring keeps their digits
 * (valuedouble is the nearest double).  NULL when malformed.  Free with
 * cJSON_Delete(). */
cJSON *json_parse(const char *text);

/* Writes v as JSON: numbers with round-trip precision, strings as
 * json_string() writes them. */
void json_write(buf *out, const cJSON *v, unsigned flags);

/* json_write() into a malloc'd string (free()); NULL when out of memory.
 * Use it, not cJSON_Print*(), which keeps only 15 digits of a double and
 * passes control characters through. */
char *json_print(const cJSON *v, unsigned flags);

/* Appends s (NUL-terminated, or its first n bytes) as a JSON string
 * literal, quotes included, escaped as above. */
void json_string(buf *out, const char *s);
void json_string_n(buf *out, const char *s, size_t n);

/* Appends a number with round-trip precision; non-finite ones as flags say. */
void json_number(buf *out, double v, unsigned flags);
/* The same for a value of a float series: a whole number keeps a ".0"
 * ("1.0", not "1"), so readers such as W&B see a float, as Python writes it. */
void json_float(buf *out, double v, unsigned flags);

/* Appends a stored JSON document (a value as a run file holds it, which
 * may use the bare tokens and, in a damaged or foreign file, raw control
 * bytes or malformed UTF-8) rewritten by this writer.  Text that does not
 * parse is written as a JSON string of itself: nothing is dropped and the
 * output stays valid. */
void json_text(buf *out, const char *json, unsigned flags);

#endif
