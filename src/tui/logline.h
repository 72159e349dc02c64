/*
 * logline.h — one console line as the logs tab draws it.  SGR sequences
 * (ESC [ ... m: colour, bold, underline, reverse) become the colour and
 * attributes of the text after them; every other byte goes through
 * text_sanitize, so no other control or escape sequence reaches the
 * terminal.  Pure: it draws into a canvas.
 */
#ifndef TALLY_TUI_LOGLINE_H
#define TALLY_TUI_LOGLINE_H

#include <stddef.h>

#include "tui/canvas.h"

typedef struct sgr_style {
    int fg;        /* CANVAS_* colour, CANVAS_DEFAULT: the line's own */
    unsigned attr; /* CANVAS_BOLD, _DIM, _UNDERLINE, _REVERSE */
} sgr_style;

/* When s[0..n) starts with a complete SGR sequence, applies it to *style and
 * returns its length; else returns 0 and leaves *style alone. */
size_t sgr_parse(const char *s, size_t n, sgr_style *style);

/* Lays line out from (x, y), w columns wide, in at most max_rows rows:
 * the first skip columns are left out (horizontal scroll); wrap continues
 * on the next row, else the line is cut with '~'.  fg and attr are the
 * line's base style, under its SGR codes.  draw == 0 only measures.
 * Returns the rows used (at least 1). */
int logline_draw(canvas *c, int x, int y, int w, int max_rows, const char *line, int fg,
                 unsigned attr, int skip, int wrap, int draw);

#endif
