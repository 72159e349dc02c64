/*
 * mediapanel.h — a media key as a panel of the chart grid, beside the line
 * charts: a histogram key as a heat strip over its steps (TensorBoard's
 * distributions, compressed), an image or gallery key as its newest image
 * in mosaic cells, any other object key as a line of what it holds.
 * view_charts.c calls it; the media tab (5) shows the objects whole.
 */
#ifndef TALLY_TUI_MEDIAPANEL_H
#define TALLY_TUI_MEDIAPANEL_H

#include "tally_store.h"
#include "tui/canvas.h"
#include "tui/imgdraw.h"

/* Draws metric m (m->media != 0) of st into r: a title line (reversed when
 * selected), then the panel.  Reads only the objects it shows. */
void mediapanel_draw(canvas *c, canvas_rect r, tally_store *st, const tally_metric_info *m,
                     int selected, const imgdraw_opts *img);

#endif
