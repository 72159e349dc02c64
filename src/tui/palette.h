/*
 * palette.h — the colours of runs in compare: PALETTE_SIZE distinguishable
 * series colours where the terminal has 256 colours (picked from the xterm
 * cube so that no two are close, on dark or light backgrounds), and the six
 * basic colours cycling where it has fewer.  Canvas colour numbers
 * CANVAS_SERIES_BASE.. name them; screen.c maps them onto the terminal.
 */
#ifndef TALLY_TUI_PALETTE_H
#define TALLY_TUI_PALETTE_H

#include <stddef.h>
#include <stdint.h>

#include "tui/canvas.h"

#define PALETTE_SIZE 16

/* The canvas colour of the i-th run (stable: the run keeps it while others
 * are hidden or shown). */
int palette_run_color(size_t i);
/* The xterm-256 index of a series colour, or -1 when fg is not one. */
int palette_xterm(int fg);
/* The basic colour (CANVAS_RED..CANVAS_CYAN) a series colour falls back to
 * on a terminal without 256 colours; other colours are returned as is. */
int palette_basic(int fg);
/* The RGB of an xterm-256 colour index (the standard cube and grey ramp). */
void palette_rgb(int xterm, int rgb[3]);
/* The nearest colour to 24-bit rgb among the first ncolors of the xterm
 * palette (8, 16 or 256: the cube and greys), by squared distance. */
int palette_nearest(uint32_t rgb, int ncolors);

#endif
