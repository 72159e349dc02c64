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

#endif
