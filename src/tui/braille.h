/*
 * braille.h — a dot raster of 2x4 dots a cell, drawn with lines joined
 * between points, then turned into braille characters (U+2800..U+28FF) or,
 * on a terminal without UTF-8, ASCII that still reads as a line.  Pure:
 * chart.c rasterises into it, tests check exact dot patterns.
 */
#ifndef TALLY_TUI_BRAILLE_H
#define TALLY_TUI_BRAILLE_H

#include <stdint.h>

#include "tui/canvas.h"

typedef struct braille {
    int w, h;       /* in cells; pixels are 2w x 4h, y = 0 at the top */
    uint8_t *dots;  /* one bit per dot, the braille bit order */
    uint8_t *color; /* the colour of the last dot set in each cell */
} braille;

int braille_init(braille *b, int w, int h); /* -1 on OOM */
void braille_free(braille *b);
/* The bit of dot (dx, dy) inside a cell, dx in 0..1, dy in 0..3. */
uint8_t braille_bit(int dx, int dy);
/* Sets one pixel; outside the raster is ignored. */
void braille_dot(braille *b, int px, int py, int color);
/* A line between two pixels (Bresenham), both ends included. */
void braille_line(braille *b, int x0, int y0, int x1, int y1, int color);
/* The character for a cell's dots: braille, or ASCII when ascii. */
uint32_t braille_char(uint8_t dots, int ascii);
/* Copies the raster into the canvas at (x, y); empty cells are left alone. */
void braille_blit(const braille *b, canvas *c, int x, int y);

#endif
