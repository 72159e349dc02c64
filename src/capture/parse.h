/*
 * parse.h — metrics from a program's output lines, for `tally run`: dict
 * lines (JSON, Python repr), progress bars (tqdm, Keras) and text ("key:
 * value", "key=value", "key value" with a step marker).  Pure: text in,
 * numbers out, with the step, epoch and batch the line names; step.c turns
 * those into run steps, cmd_run.c logs them.  Rules: docs/capture.md.
 * Tests: tests/unit/test_capture_parse.c, tests/unit/test_capture_corpus.c.
 */
#ifndef TALLY_CAPTURE_PARSE_H
#define TALLY_CAPTURE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "tally.h"

typedef enum parse_mode { PARSE_AUTO, PARSE_JSON, PARSE_KV, PARSE_NONE } parse_mode;

typedef struct parse_metric {
    char key[TALLY_KEY_MAX + 1];
    double value;
} parse_metric;

typedef struct parse_token parse_token;
typedef struct shape_cache shape_cache;
typedef struct table_state table_state;

/* Where a value of the line came from: its text and how it was read
 * (shapes.c replays a line's reading on the next line of its shape). */
typedef enum parse_how { SRC_CONST, SRC_DECIMAL, SRC_GROUPED, SRC_DIGITS } parse_how;
typedef struct parse_src {
    const char *p; /* the value's text in the line; NULL for SRC_CONST */
    uint32_t len;
    uint8_t how;   /* parse_how */
    double k;      /* SRC_CONST: the value */
} parse_src;

typedef struct parse_result {
    int has_step;  /* "step 100", "iter 100", "global_step=100", {"step": 100} */
    int64_t step;
    int has_epoch; /* "Epoch 3/10", "epoch 3", timm's "Train: 3 [" */
    double epoch;  /* as printed (3 for "Epoch 3/10") */
    int has_epoch_index;
    int64_t epoch_index; /* 0-based: 2 for "Epoch 3/10", 3 for "Epoch 3" */
    int has_batch; /* "[ 100/390]", Keras "100/390 [===", tqdm's "100/390 [" */
    int64_t batch, batch_total; /* batch_total 0: unknown */
    parse_metric *v;            /* the metrics, in line order */
    size_t n, cap;
    /* scratch, reused from line to line */
    char *text;
    size_t text_cap;
    parse_token *tok;
    size_t tok_cap;
    unsigned char *soft; /* per metric: a bare "key value" pair (parse.c) */
    size_t soft_cap;
    /* what the values were read from, for shapes.c */
    parse_src *src;      /* per metric */
    size_t src_cap;
    parse_src step_src, epoch_src, batch_src, total_src;
    int epoch_frac;      /* the epoch was "a/b" (its index is a - 1) */
    int total_guard;     /* batch_total came from a step "a/b" and must be > 0 */
    int volatile_shape;  /* the reading hung on a value: lines of this shape
                          * may read differently, so it is not replayed */
    int no_shapes;       /* set: never replay a shape (tests compare both) */
    shape_cache *shapes;
    table_state *tables; /* the table being printed (tables.c) */
} parse_result;

/* "auto", "json", "kv", "none" -> mode; -1 when unknown. */
int parse_mode_of(const char *name, parse_mode *out);
/* Parses one line (without its newline).  Returns the number of metrics
 * found (0 for an ordinary line; step, epoch and batch may still be set
 * when the line names them), or TALLY_ENOMEM; out is reset first.  A
 * zeroed parse_result is ready to use; free it with parse_result_free. */
int parse_line(const char *line, size_t len, parse_mode mode, parse_result *out);
void parse_result_free(parse_result *r);
/* Clears the metrics and the step, epoch and batch (keeps the scratch). */
void parse_result_reset(parse_result *r);
/* Adds (or, when the key is there already, replaces) one metric.  Keys
 * that are empty, longer than TALLY_KEY_MAX or hold a control byte (NUL
 * included) are skipped (0). */
int parse_result_add(parse_result *r, const char *key, size_t klen, double value);
/* Removes metric i, keeping the order of the others. */
void parse_result_remove(parse_result *r, size_t i);

/* The line without terminal escape sequences (CSI, OSC, two-byte ESC x):
 * writes at most len bytes to out, returns the new length. */
size_t parse_strip_escapes(const char *line, size_t len, char *out);

/* A step value: 1 when v is a whole number in [0, 2^53] (*out gets it). */
int parse_whole(double v, int64_t *out);

/* The value of s[0..n), a decimal number as number grammars accept it
 * ([+-]digits[.digits][e[+-]digits], checked by the caller), correctly
 * rounded, without strtod's locale and copying for the common case. */
double parse_decimal(const char *s, size_t n);

/* Is s[0..n) one number and nothing else: [+-]digits[.digits][e[+-]digits]
 * (".5" and "5." too), or nan, inf, infinity in any case with a sign?
 * Then *v gets it (a NaN without its sign).  The number grammars of
 * tables.c and pattern.c. */
int parse_number(const char *s, size_t n, double *v);

/* The value of src's text, read the way its grammar read it. */
double parse_src_value(const parse_src *src);

/* Sets the epoch: from "a/b" (frac: the index is a - 1) or a number. */
void parse_set_epoch(parse_result *r, int frac, double v);

/* What a terminal would show of the line: escapes stripped, '\b' and '\r'
 * overwriting.  Writes at most len bytes to out, returns the length. */
size_t parse_clean(const char *line, size_t len, char *out);

#endif
