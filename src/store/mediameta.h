/*
 * mediameta.h — media objects from their stored meta JSON, without SQLite
 * (mediameta.c): what the read API (media.c) hands out as a tally_media,
 * the paths of its files, its wandb JSON, and table files parsed.
 */
#ifndef TALLY_MEDIAMETA_H
#define TALLY_MEDIAMETA_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "tally_store.h"

/* One object and everything its tally_media points into. */
typedef struct mediameta {
    tally_media m;
    cJSON *meta;
    char *key, *meta_text, *wandb, *fields, *panel;
    tally_media_file *files; /* capfiles of them, kept across mediameta_clear */
    size_t capfiles;
} mediameta;

/* Parses a media row (its meta text already checked against its crc) into
 * o->m.  TALLY_ECORRUPT when the meta does not say what type needs (not
 * JSON, files that are not 64-hex sha256 / size / known format, the wrong
 * files for the type, a histogram whose bins are not one more than its
 * values, a plot with an unknown preset), TALLY_ENOMEM. */
int mediameta_parse(mediameta *o, int64_t metric_id, const char *key, int64_t step, int type,
                    const char *meta);
/* Forgets the object (keeps the files array for the next one). */
void mediameta_clear(mediameta *o);
void mediameta_free(mediameta *o);

/* 1 when s is 64 lowercase hex digits. */
int mediameta_is_sha256(const char *s);

/* Appends dir, then (key non-NULL) the escaped key, "_<step>_", then the
 * first 20 hex digits of sha256 and suffix: wandb's media file names.  No
 * folder of the escaped key is empty, "." or "..", and no part of it holds
 * a control character, DEL, a backslash, a bidi control or malformed UTF-8
 * (they become %XX). */
void mediameta_path(buf *out, const char *dir, const char *key, int64_t step,
                    const char *sha256, const char *suffix);

/* Parses a table file ({"columns":[...],"data":[[...],...]}) into a
 * tally_table (free with tally_table_free); image cells gain "path".
 * TALLY_ECORRUPT when malformed or ragged. */
int mediameta_table_parse(const char *json, tally_table **out);

#endif
