/*
 * layout.c — screen bands and the chart grid (see layout.h).
 */
#include "tui/layout.h"

layout_screen layout_screen_of(int w, int h)
{
    layout_screen s = {{0, 0, w, 0}, {0, 0, w, h}, {0, h, w, 0}};
    if (w <= 0 || h <= 0) {
        s.body.w = s.body.h = 0;
        return s;
    }
    if (h >= 3) {
        s.header.h = 1;
        s.body.y = 1;
        s.body.h = h - 1;
    }
    if (h >= 4) {
        s.footer = (canvas_rect){0, h - 1, w, 1};
        s.body.h = h - 2;
    }
    return s;
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* How far a cell's shape is from the one charts read best at (about
 * 40x9 characters), as a ratio >= 1. */
static double shape_cost(int w, int h)
{
    double a = (double)w / (h > 0 ? h : 1) / 4.4;
    return a >= 1 ? a : 1 / a;
}

layout_grid layout_grid_of(canvas_rect area, int n)
{
    layout_grid g = {area, 1, 1};
    if (n < 1)
        n = 1;
    /* At most as many charts as fit at about 40x9, never below the
     * minimum size (one chart always, whatever the size). */
    int maxc = clamp(area.w / 40, 1, 6), maxr = clamp(area.h / 9, 1, 6);
    while (maxc > 1 && area.w / maxc < LAYOUT_MIN_CHART_W)
        maxc--;
    while (maxr > 1 && area.h / maxr < LAYOUT_MIN_CHART_H)
        maxr--;
    /* Few charts: the smallest grid that holds them, the best shaped. */
    int best = -1;
    double best_cost = 0;
    for (int c = 1; c <= maxc; c++)
        for (int r = 1; r <= maxr; r++) {
            int cells = c * r, fits = cells >= n;
            int full = c == maxc && r == maxr;
            if (!fits && !full)
                continue;
            double cost = (fits ? cells : 1 << 20) * 100.0 + shape_cost(area.w / c, area.h / r);
            if (best < 0 || cost < best_cost) {
                best = 1;
                best_cost = cost;
                g.cols = c;
                g.rows = r;
            }
        }
    return g;
}

int layout_per_page(const layout_grid *g) { return g->cols * g->rows; }

canvas_rect layout_grid_cell(const layout_grid *g, int i)
{
    int col = i % g->cols, row = i / g->cols;
    const canvas_rect *a = &g->area;
    int x0 = a->x + col * a->w / g->cols, x1 = a->x + (col + 1) * a->w / g->cols;
    int y0 = a->y + row * a->h / g->rows, y1 = a->y + (row + 1) * a->h / g->rows;
    /* One blank column between charts side by side. */
    int gap = col < g->cols - 1 ? 1 : 0;
    return (canvas_rect){x0, y0, x1 - x0 - gap, y1 - y0};
}
