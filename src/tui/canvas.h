/*
 * canvas.h — a plain grid of cells (a code point, a colour and attributes
 * each) that every view draws into with pure functions.  screen.c is the
 * only code that copies a canvas onto the terminal; tests read it as text.
 */
#ifndef TALLY_TUI_CANVAS_H
#define TALLY_TUI_CANVAS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Colours: 0 is the terminal's default; series colours cycle 1..6; the
 * runs of compare take CANVAS_SERIES_BASE.. (palette.h). */
enum {
    CANVAS_DEFAULT = 0,
    CANVAS_RED = 1,
    CANVAS_GREEN = 2,
    CANVAS_YELLOW = 3,
    CANVAS_BLUE = 4,
    CANVAS_MAGENTA = 5,
    CANVAS_CYAN = 6,
    CANVAS_WHITE = 7,
    CANVAS_SERIES_BASE = 16,
    CANVAS_NCOLORS = 32
};
#define CANVAS_SERIES_COLORS 6

/* Attributes (bits). */
#define CANVAS_BOLD 0x1u
#define CANVAS_DIM 0x2u
#define CANVAS_REVERSE 0x4u
#define CANVAS_UNDERLINE 0x8u

/* The second cell of a double-width character holds this code point. */
#define CANVAS_WIDE_TAIL 0xffffffffu

/* Colours beyond the named ones, for images and heat maps (canvas_cell
 * fgx / bgx): 0 none (fg and the default background apply), else a 24-bit
 * RGB value or an index into the terminal's 256-colour palette.  screen.c
 * maps them onto what the terminal has. */
#define CANVAS_X_RGB 0x01000000u
#define CANVAS_X_IDX 0x02000000u
#define CANVAS_XRGB(r, g, b) \
    (CANVAS_X_RGB | ((uint32_t)(r) & 0xff) << 16 | ((uint32_t)(g) & 0xff) << 8 | ((uint32_t)(b) & 0xff))
#define CANVAS_XIDX(i) (CANVAS_X_IDX | ((uint32_t)(i) & 0xff))

typedef struct canvas_cell {
    uint32_t ch;
    uint8_t fg, attr;
    uint32_t fgx, bgx; /* CANVAS_XRGB / CANVAS_XIDX, or 0 */
} canvas_cell;

/* A rectangle inside a canvas. */
typedef struct canvas_rect {
    int x, y, w, h;
} canvas_rect;

/* Terminal graphics (Kitty, sixel, iTerm2) that tally built from decoded
 * pixels, to be written with the cursor at the rectangle's top-left after
 * the cells are on the screen (screen.c, the one place that writes them).
 * The cells under it are left blank. */
typedef struct canvas_gfx {
    canvas_rect r;
    char *data; /* malloc'd */
    size_t len;
    uint64_t hash; /* of data and r: screen.c skips rewriting an unchanged image */
} canvas_gfx;

typedef struct canvas {
    int w, h;
    int ascii; /* the terminal is not UTF-8: text and charts stay in ASCII */
    canvas_cell *cells;
    canvas_gfx *gfx; /* images for this frame, cleared with the cells */
    size_t ngfx;
} canvas;

/* (Re)sizes the canvas (0x0 is allowed) and clears it; -1 on OOM. */
int canvas_resize(canvas *c, int w, int h);
void canvas_free(canvas *c);
void canvas_clear(canvas *c);
/* NULL outside the canvas. */
const canvas_cell *canvas_at(const canvas *c, int x, int y);
/* Sets one cell; writes outside the canvas are dropped. */
void canvas_put(canvas *c, int x, int y, uint32_t ch, int fg, unsigned attr);
/* Sets one cell with extended colours (an image's or a heat map's). */
void canvas_put_x(canvas *c, int x, int y, uint32_t ch, uint32_t fgx, uint32_t bgx);
/* Attaches graphics-protocol bytes for r (taken over: *data is freed by the
 * canvas, also on failure).  -1 on OOM. */
int canvas_add_gfx(canvas *c, canvas_rect r, char *data, size_t len);
/* Fills a rectangle with one character. */
void canvas_fill(canvas *c, canvas_rect r, uint32_t ch, int fg, unsigned attr);
/* Draws untrusted UTF-8 text from (x, y), at most maxw columns, through
 * text_sanitize (controls and escapes never reach the terminal).  A text
 * cut short ends in '~'.  Returns the columns used. */
int canvas_text(canvas *c, int x, int y, int maxw, const char *s, int fg, unsigned attr);
/* printf into canvas_text. */
int canvas_printf(canvas *c, int x, int y, int maxw, int fg, unsigned attr, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Columns the text takes once sanitized. */
int canvas_text_width(const canvas *c, const char *s);
/* A horizontal rule. */
void canvas_hline(canvas *c, int x, int y, int w, int fg, unsigned attr);
/* Appends row y as UTF-8 (trailing blanks kept) to out: for tests and dumps. */
void canvas_row_text(const canvas *c, int y, buf *out);
/* The whole canvas, one line per row, trailing blanks trimmed. */
void canvas_dump(const canvas *c, buf *out);

#endif
