/*
 * jscan.h — the fast path of tally_log_json(): scans the usual shape of a
 * logged object (numbers, plain strings, nested objects) straight into
 * flattened "a/b" keys and values, without building a tree.  Anything
 * else — arrays, true/false/null, escapes, integers too long for a double,
 * NaN tokens, a "_type" object, malformed text — is declined, and the
 * caller takes the general (cJSON) path, which also reports any error.
 * Pure: no run, no lock.
 */
#ifndef TALLY_JSCAN_H
#define TALLY_JSCAN_H

#include <stddef.h>

#include "common/buf.h"

typedef struct jscan_item {
    size_t key;    /* offset of the NUL-terminated "a/b" key in jscan.text */
    size_t str;    /* is_str: offset of the NUL-terminated string value */
    double number; /* !is_str */
    int is_str;
} jscan_item;

typedef struct jscan {
    buf text; /* keys and string values, NUL-terminated, back to back */
    jscan_item *items;
    size_t n, cap;
} jscan;

/* 1: scanned into *out (release with jscan_free); 0: declined (take the
 * general path); -1: out of memory.  *out is always safe to free. */
int jscan_object(const char *json, jscan *out);
void jscan_free(jscan *s);

#endif
