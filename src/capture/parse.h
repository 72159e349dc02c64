/*
 * parse.h — metrics from a program's output lines, for `tally run`: JSON
 * object lines and key=value pairs (rules in docs/capture.md).  Pure: text
 * in, numbers out; cmd_run.c logs them; tests/unit/test_capture_parse.c.
 */
#ifndef TALLY_CAPTURE_PARSE_H
#define TALLY_CAPTURE_PARSE_H

#include <stddef.h>
#include <stdint.h>

typedef enum parse_mode { PARSE_AUTO, PARSE_JSON, PARSE_KV, PARSE_NONE } parse_mode;

typedef struct parse_metric {
    char *key;
    double value;
} parse_metric;

typedef struct parse_result {
    int has_step;
    int64_t step;
    parse_metric *v; /* owned */
    size_t n, cap;
} parse_result;

/* "auto", "json", "kv", "none" -> mode; -1 when unknown. */
int parse_mode_of(const char *name, parse_mode *out);
/* Parses one line (without its newline).  Returns the number of metrics
 * found (0 for an ordinary line), or TALLY_ENOMEM; out is reset first. */
int parse_line(const char *line, size_t len, parse_mode mode, parse_result *out);
void parse_result_free(parse_result *r);

/* The line without terminal escape sequences (CSI, OSC, two-byte ESC x):
 * writes at most len bytes to out, returns the new length. */
size_t parse_strip_escapes(const char *line, size_t len, char *out);

#endif
