/*
 * layout.h — where things go on a screen of a given size: the header,
 * body and footer bands, and the grid of charts in the body.  Pure, so
 * every size down to 30x8 (and below) is unit-tested.
 */
#ifndef TALLY_TUI_LAYOUT_H
#define TALLY_TUI_LAYOUT_H

#include "tui/canvas.h"

typedef struct layout_screen {
    canvas_rect header, body, footer; /* zero-height bands when there is no room */
} layout_screen;

layout_screen layout_screen_of(int w, int h);

#define LAYOUT_MIN_CHART_W 24
#define LAYOUT_MIN_CHART_H 5

typedef struct layout_grid {
    canvas_rect area;
    int cols, rows; /* per_page = cols * rows charts */
} layout_grid;

/* A grid for n charts in area: as many as fit at a readable size (at least
 * one, whatever the size), no more columns and rows than n needs. */
layout_grid layout_grid_of(canvas_rect area, int n);
int layout_per_page(const layout_grid *g);
/* The rectangle of the i-th chart of a page (i < per_page). */
canvas_rect layout_grid_cell(const layout_grid *g, int i);

#endif
