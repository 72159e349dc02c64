/*
 * linebuf.c — the console line model (see linebuf.h).
 *
 * The idea: a line ends at "\n" (a "\r\n" counts as one).  A lone "\r" is a
 * carriage return — the program is about to redraw the line, as progress
 * bars do — so what came before it is forgotten once the next byte arrives.
 * What a line holds when it ends is therefore what the terminal last showed
 * after the final "\r": a progress bar becomes one line, its final state.
 * Bytes are kept as they are (escape sequences, invalid UTF-8, NULs):
 * readers neutralise them at display time.  A line longer than max is
 * emitted in pieces of max bytes, so memory stays bounded.
 */
#include "capture/linebuf.h"

#include <stdlib.h>
#include <string.h>

void linebuf_init(linebuf *lb, size_t max)
{
    memset(lb, 0, sizeof *lb);
    lb->max = max ? max : LINEBUF_MAX_DEFAULT;
}

void linebuf_free(linebuf *lb)
{
    free(lb->data);
    memset(lb, 0, sizeof *lb);
}

static void emit_line(linebuf *lb, linebuf_emit_fn emit, void *ctx)
{
    emit(ctx, lb->data ? lb->data : "", lb->len);
    lb->len = 0;
    lb->oom = 0;
}

/* Appends a run of ordinary bytes (no '\r' or '\n'), splitting at max. */
static void append(linebuf *lb, const char *p, size_t n, linebuf_emit_fn emit, void *ctx)
{
    while (n > 0) {
        if (lb->len == lb->max)
            emit_line(lb, emit, ctx);
        size_t room = lb->max - lb->len, take = n < room ? n : room;
        if (lb->len + take > lb->cap) {
            size_t cap = lb->cap ? lb->cap : 256;
            while (cap < lb->len + take)
                cap *= 2;
            if (cap > lb->max)
                cap = lb->max;
            char *d = realloc(lb->data, cap);
            if (!d) {
                lb->oom = 1; /* drop these bytes; the line still ends where it should */
                return;
            }
            lb->data = d;
            lb->cap = cap;
        }
        memcpy(lb->data + lb->len, p, take);
        lb->len += take;
        p += take;
        n -= take;
    }
}

void linebuf_on_redraw(linebuf *lb, linebuf_emit_fn fn, void *ctx)
{
    lb->redraw = fn;
    lb->redraw_ctx = ctx;
}

void linebuf_feed(linebuf *lb, const char *p, size_t n, linebuf_emit_fn emit, void *ctx)
{
    const char *end = p + n;
    while (p < end) {
        if (lb->pending_cr) {
            lb->pending_cr = 0;
            if (*p == '\n') {
                emit_line(lb, emit, ctx);
                p++;
                continue;
            }
            if (lb->redraw && lb->len > 0)
                lb->redraw(lb->redraw_ctx, lb->data, lb->len);
            lb->len = 0; /* a redraw: the new text replaces the old */
        }
        const char *q = p;
        while (q < end && *q != '\n' && *q != '\r')
            q++;
        append(lb, p, (size_t)(q - p), emit, ctx);
        if (q == end)
            break;
        if (*q == '\n')
            emit_line(lb, emit, ctx);
        else
            lb->pending_cr = 1;
        p = q + 1;
    }
}

void linebuf_flush(linebuf *lb, linebuf_emit_fn emit, void *ctx)
{
    if (lb->len > 0)
        emit_line(lb, emit, ctx);
    lb->pending_cr = 0;
}
