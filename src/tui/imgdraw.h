/*
 * imgdraw.h — decoded RGBA8 pixels onto the terminal, through libchafa:
 * as canvas cells (mosaics of half blocks, quadrants or sextants, ASCII
 * without UTF-8, their colours set in the cells), or as graphics-protocol
 * bytes that tally builds (Kitty, chunked; sixel and iTerm2 by chafa's
 * encoders) for screen.c to write.  Pure over buffers; the media view calls it.
 */
#ifndef TALLY_TUI_IMGDRAW_H
#define TALLY_TUI_IMGDRAW_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "tui/canvas.h"
#include "tui/termcaps.h"

#define IMGDRAW_KITTY_CHUNK 4096 /* base64 bytes in one Kitty escape, at most */

typedef struct imgdraw_opts {
    termcaps_symbols symbols;
    int colors;         /* the terminal's: 0 (none), 8, 16, 256, or 1 << 24 (direct RGB) */
    int cell_w, cell_h; /* a cell's size in pixels (graphics); 0: 10 x 20 */
} imgdraw_opts;

/* The cells (*cols x *rows) an image of iw x ih pixels takes inside cols x
 * rows, keeping its aspect, for cells cell_w x cell_h pixels (0: 1 x 2). */
void imgdraw_fit(int iw, int ih, int cols, int rows, int cell_w, int cell_h, int *out_cols,
                 int *out_rows);

/* Draws the image into r as mosaic cells, fitted and centred (the rest of
 * r is left alone).  TALLY_EINVAL on a bad size, TALLY_ENOMEM. */
int imgdraw_cells(canvas *c, canvas_rect r, const unsigned char *rgba, int w, int h,
                  const imgdraw_opts *o);

/* Box-filters w x h RGBA down to fit within maxw x maxh (never up);
 * *out malloc'd, its size in *ow x *oh. */
int imgdraw_scale(const unsigned char *rgba, int w, int h, int maxw, int maxh,
                  unsigned char **out, int *ow, int *oh);

/* The Kitty graphics protocol: transmit and show the image (RGBA, zlib'd,
 * base64) over cols x rows cells at the cursor, cursor not moved, answers
 * off, image id `id` (an id replaces its earlier image).  Chunks of at
 * most IMGDRAW_KITTY_CHUNK base64 bytes.  Appended to out. */
int imgdraw_kitty(const unsigned char *rgba, int w, int h, int cols, int rows, uint32_t id,
                  buf *out);
/* Deletes every image tally placed (screen.c, when images leave the screen). */
void imgdraw_kitty_delete_all(buf *out);
/* Sixel (DCS ... ST) or iTerm2 (OSC 1337) bytes for the image over cols x
 * rows cells, from chafa's encoders over the decoded pixels. */
int imgdraw_pixels(termcaps_gfx gfx, const unsigned char *rgba, int w, int h, int cols, int rows,
                   const imgdraw_opts *o, buf *out);

#endif
