/*
 * buf.h — a growable byte buffer, the one string builder every module uses.
 * A failed allocation latches `oom`; callers check it once at the end.
 */
#ifndef TALLY_BUF_H
#define TALLY_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    char *data; /* NUL-terminated when len > 0 or after buf_cstr() */
    size_t len, cap;
    int oom;
} buf;

#define BUF_INIT {NULL, 0, 0, 0}

int buf_reserve(buf *b, size_t extra);
void buf_append(buf *b, const void *data, size_t n);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap);
/* Always returns a NUL-terminated string ("" when empty or out of memory). */
const char *buf_cstr(buf *b);
/* Hands the bytes to the caller (malloc'd, NUL-terminated) and resets b. */
char *buf_steal(buf *b);
void buf_reset(buf *b);
void buf_free(buf *b);

/* Appends s as a JSON string literal, quotes included. */
void buf_json_string(buf *b, const char *s);
/* Appends JSON text as it is, except that raw control bytes (which only a
 * damaged or hostile file holds) become \u00XX escapes: JSON output never
 * carries an ESC to a terminal. */
void buf_json_raw(buf *b, const char *json);
/* Appends a double as JSON with round-trip precision; NaN and ±Inf as the
 * bare tokens NaN, Infinity, -Infinity (as wandb writes them). */
void buf_json_double(buf *b, double v);
/* The same for a value of a float series: a whole number keeps a ".0"
 * ("1.0", not "1"), so readers such as W&B see a float, as Python writes it. */
void buf_json_float(buf *b, double v);

#endif
