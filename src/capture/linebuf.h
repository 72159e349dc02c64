/*
 * linebuf.h — the console line model: bytes in, finished lines out.
 * Owns one partial line.  Pure (no I/O, no threads): console.c feeds it the
 * host's output, cmd_run.c a child's; tests/unit/test_capture_linebuf.c.
 */
#ifndef TALLY_CAPTURE_LINEBUF_H
#define TALLY_CAPTURE_LINEBUF_H

#include <stddef.h>

#define LINEBUF_MAX_DEFAULT (64u << 10) /* longer lines are split into pieces of this size */

/* Receives one finished line, without its "\n" / "\r\n" (borrowed). */
typedef void (*linebuf_emit_fn)(void *ctx, const char *line, size_t len);

typedef struct linebuf {
    char *data;
    size_t len, cap, max;
    int pending_cr; /* the last byte was a '\r': "\n" ends the line, anything else redraws it */
    int oom;        /* a line could not grow: its bytes are dropped, the line model carries on */
    linebuf_emit_fn redraw; /* optional: shown the text a redraw forgets */
    void *redraw_ctx;
} linebuf;

void linebuf_init(linebuf *lb, size_t max);
void linebuf_free(linebuf *lb);
/* Asks for the text each redraw forgets (a progress bar's earlier states),
 * before it goes: `tally run` reads bars that end without a newline. */
void linebuf_on_redraw(linebuf *lb, linebuf_emit_fn fn, void *ctx);
/* Feeds n bytes; calls emit for each line they finish. */
void linebuf_feed(linebuf *lb, const char *p, size_t n, linebuf_emit_fn emit, void *ctx);
/* Ends the stream: a partial line (or a progress bar's final state) is emitted. */
void linebuf_flush(linebuf *lb, linebuf_emit_fn emit, void *ctx);

#endif
