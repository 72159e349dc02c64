/*
 * chart.c — draws one line chart into a canvas rectangle (see chart.h).
 * Pure: the views and the unit tests are its callers.
 */
#include "tui/chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/braille.h"
#include "tui/smooth.h"

#define CHART_DIM 0x80 /* raster colour flag: draw this cell dim */

int chart_px(double x, double lo, double hi, int pw)
{
    if (pw <= 1 || !(hi > lo))
        return 0;
    double f = (x - lo) / (hi - lo) * (pw - 1);
    if (f < -1e6)
        f = -1e6;
    if (f > 1e6)
        f = 1e6;
    return (int)lround(f);
}

static double ty(double v, int log_y)
{
    if (!isfinite(v))
        return NAN;
    if (log_y)
        return v > 0 ? log10(v) : NAN;
    return v;
}

/* A series transformed for drawing: y mapped (log), maybe smoothed. */
typedef struct tpoint {
    double x, lo, hi, first, last;
} tpoint;

static tpoint *transform(const chart_series *s, const chart_opts *o)
{
    tpoint *t = malloc((s->n + 1) * sizeof *t);
    if (!t)
        return NULL;
    for (size_t i = 0; i < s->n; i++) {
        const chart_point *p = &s->pts[i];
        t[i].x = p->x;
        t[i].hi = ty(p->y_max, o->log_y);
        t[i].lo = ty(p->y_min, o->log_y);
        if (isnan(t[i].lo))
            t[i].lo = t[i].hi;
        t[i].first = ty(p->y_first, o->log_y);
        t[i].last = ty(p->y_last, o->log_y);
    }
    return t;
}

/* The smoothed line over the bucket midpoints (NaN where a gap is). */
static double *smoothed(const tpoint *t, size_t n, double w)
{
    double *y = malloc((n + 1) * sizeof *y);
    if (!y)
        return NULL;
    for (size_t i = 0; i < n; i++)
        y[i] = isnan(t[i].hi) ? NAN : (t[i].lo + t[i].hi) / 2;
    smooth_ema(y, n, w, y);
    return y;
}

int chart_y_range(const chart_series *s, size_t ns, const chart_opts *o, double *lo, double *hi)
{
    double a = INFINITY, b = -INFINITY;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++) {
            const chart_point *p = &s[k].pts[i];
            if (p->x < o->x_lo || p->x > o->x_hi)
                continue;
            double h = ty(p->y_max, o->log_y), l = ty(p->y_min, o->log_y);
            if (isnan(l))
                l = h;
            if (!isnan(h)) {
                a = fmin(a, l);
                b = fmax(b, h);
            }
        }
    if (!(a <= b))
        return 0;
    if (a == b) {
        double pad = fabs(a) > 0 ? fabs(a) * 0.05 : 1;
        a -= pad;
        b += pad;
    }
    *lo = a;
    *hi = b;
    return 1;
}

typedef struct plot {
    braille raster;
    int pw, ph;
    double x_lo, x_hi, y_lo, y_hi;
} plot;

static int py_of(const plot *p, double y)
{
    double f = (y - p->y_lo) / (p->y_hi - p->y_lo) * (p->ph - 1);
    if (f < -1e6)
        f = -1e6;
    if (f > 1e6)
        f = 1e6;
    return p->ph - 1 - (int)lround(f);
}

/* Each bucket is drawn as a vertical stroke from its min to its max (so a
 * noisy million-point series keeps its envelope at any width), and
 * consecutive buckets are joined from the last value of one to the first
 * value of the next.  Buckets with no points are not in the list, so a
 * sparse eval metric still reads as a line; an all-NaN bucket breaks it. */
static void draw_series(plot *p, const tpoint *t, size_t n, int color)
{
    int have_prev = 0, prev_x = 0, prev_y = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(t[i].hi)) {
            have_prev = 0;
            continue;
        }
        int x = chart_px(t[i].x, p->x_lo, p->x_hi, p->pw);
        int ylo = py_of(p, t[i].lo), yhi = py_of(p, t[i].hi);
        double first = isnan(t[i].first) ? NAN : t[i].first;
        if (have_prev && !isnan(first))
            braille_line(&p->raster, prev_x, prev_y, x, py_of(p, first), color);
        braille_line(&p->raster, x, ylo, x, yhi, color);
        have_prev = !isnan(t[i].last);
        prev_x = x;
        prev_y = have_prev ? py_of(p, t[i].last) : 0;
    }
}

static void draw_line(plot *p, const tpoint *t, const double *y, size_t n, int color)
{
    int have_prev = 0, prev_x = 0, prev_y = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i])) {
            have_prev = 0;
            continue;
        }
        int x = chart_px(t[i].x, p->x_lo, p->x_hi, p->pw), yy = py_of(p, y[i]);
        if (have_prev)
            braille_line(&p->raster, prev_x, prev_y, x, yy, color);
        else
            braille_dot(&p->raster, x, yy, color);
        have_prev = 1;
        prev_x = x;
        prev_y = yy;
    }
}

static void blit_plot(const plot *p, canvas *c, int x0, int y0)
{
    const braille *b = &p->raster;
    for (int cy = 0; cy < b->h; cy++)
        for (int cx = 0; cx < b->w; cx++) {
            int i = cy * b->w + cx;
            if (!b->dots[i])
                continue;
            unsigned attr = b->color[i] & CHART_DIM ? CANVAS_DIM : 0;
            canvas_put(c, x0 + cx, y0 + cy, braille_char(b->dots[i], c->ascii),
                       b->color[i] & ~CHART_DIM, attr);
        }
}

static void title_line(canvas *c, canvas_rect r, const chart_opts *o)
{
    unsigned attr = CANVAS_BOLD | (o->selected ? CANVAS_REVERSE : 0);
    int vw = o->value ? canvas_text_width(c, o->value) : 0;
    if (vw > r.w / 2)
        vw = 0;
    int used = canvas_text(c, r.x, r.y, r.w - (vw ? vw + 1 : 0), o->title, CANVAS_DEFAULT, attr);
    (void)used;
    if (vw)
        canvas_text(c, r.x + r.w - vw, r.y, vw, o->value, CANVAS_CYAN, 0);
}

static void y_label(char *out, size_t size, double v, double step, const chart_opts *o)
{
    axis_label(out, size, v, step, o->log_y ? AXIS_LOG10 : AXIS_NUMBER);
}

static int has_axes(canvas_rect r, const chart_opts *o) { return o->axes && r.h >= 6 && r.w >= 20; }

int chart_gutter(canvas_rect r, const chart_opts *o, double lo, double hi)
{
    int gutter = 0;
    char l[32];
    if (has_axes(r, o)) {
        double ticks[AXIS_MAX_TICKS], step;
        int n = axis_ticks(lo, hi, (r.h - 3) / 2 + 1, o->log_y ? AXIS_LOG10 : AXIS_NUMBER, ticks,
                           &step);
        for (int i = 0; i < n; i++) {
            y_label(l, sizeof l, ticks[i], step, o);
            int w = (int)strlen(l);
            gutter = w > gutter ? w : gutter;
        }
        return gutter + 1;
    }
    if (r.w < 16 || !isfinite(lo) || !isfinite(hi))
        return 0;
    double st = (hi - lo) / 100;
    y_label(l, sizeof l, hi, st, o);
    gutter = (int)strlen(l);
    y_label(l, sizeof l, lo, st, o);
    gutter = (int)strlen(l) > gutter ? (int)strlen(l) : gutter;
    gutter += 1;
    return gutter > r.w / 3 ? 0 : gutter;
}

int chart_draw(canvas *c, canvas_rect r, const chart_series *s, size_t ns, const chart_opts *o)
{
    if (r.w <= 0 || r.h <= 0)
        return 0;
    canvas_fill(c, r, ' ', 0, 0);
    title_line(c, r, o);
    if (r.h < 2)
        return 0;
    double lo, hi;
    int any = chart_y_range(s, ns, o, &lo, &hi);
    canvas_rect pr = {r.x, r.y + 1, r.w, r.h - 1};
    double ticks[AXIS_MAX_TICKS], ystep = 1;
    int nyt = 0;
    int axes = has_axes(r, o);
    if (axes)
        pr.h -= 2;
    if (!any) {
        canvas_text(c, pr.x + (pr.w > 8 ? (pr.w - 7) / 2 : 0), pr.y + pr.h / 2, pr.w, "no data",
                    CANVAS_DEFAULT, CANVAS_DIM);
        return 0;
    }
    /* The gutter: y labels (the range, or the ticks with axes). */
    char top[32], bottom[32];
    int gutter = o->gutter > 0 && o->gutter < r.w / 2 ? o->gutter : chart_gutter(r, o, lo, hi);
    if (axes) {
        nyt = axis_ticks(lo, hi, pr.h / 2 + 1, o->log_y ? AXIS_LOG10 : AXIS_NUMBER, ticks, &ystep);
    } else if (gutter) {
        double st = (hi - lo) / 100;
        y_label(top, sizeof top, hi, st, o);
        y_label(bottom, sizeof bottom, lo, st, o);
    }
    pr.x += gutter;
    pr.w -= gutter;
    if (pr.w <= 0 || pr.h <= 0)
        return 0;

    plot p = {
        .pw = pr.w * 2, .ph = pr.h * 4, .x_lo = o->x_lo, .x_hi = o->x_hi, .y_lo = lo, .y_hi = hi};
    if (braille_init(&p.raster, pr.w, pr.h))
        return -1;
    int rc = 0;
    for (size_t k = 0; k < ns && !rc; k++) {
        tpoint *t = transform(&s[k], o);
        if (!t) {
            rc = -1;
            break;
        }
        if (o->smooth > 0) {
            double *y = smoothed(t, s[k].n, o->smooth);
            if (!y) {
                free(t);
                rc = -1;
                break;
            }
            draw_series(&p, t, s[k].n, s[k].color | CHART_DIM);
            draw_line(&p, t, y, s[k].n, s[k].color);
            free(y);
        } else {
            draw_series(&p, t, s[k].n, s[k].color);
        }
        free(t);
    }
    blit_plot(&p, c, pr.x, pr.y);
    braille_free(&p.raster);

    if (axes) {
        for (int i = 0; i < nyt; i++) {
            char l[32];
            y_label(l, sizeof l, ticks[i], ystep, o);
            int row = pr.y + py_of(&p, ticks[i]) / 4;
            int w = (int)strlen(l);
            canvas_text(c, pr.x - 1 - w, row, w, l, CANVAS_DEFAULT, CANVAS_DIM);
            canvas_put(c, pr.x - 1, row, c->ascii ? '+' : 0x2524, 0, CANVAS_DIM);
        }
        for (int y = pr.y; y < pr.y + pr.h; y++)
            if (canvas_at(c, pr.x - 1, y)->ch == ' ')
                canvas_put(c, pr.x - 1, y, c->ascii ? '|' : 0x2502, 0, CANVAS_DIM);
        /* The x axis: a rule with tick marks, labels under them. */
        int axis_row = pr.y + pr.h;
        canvas_hline(c, pr.x, axis_row, pr.w, 0, CANVAS_DIM);
        canvas_put(c, pr.x - 1, axis_row, c->ascii ? '+' : 0x2514, 0, CANVAS_DIM);
        double xt[AXIS_MAX_TICKS], xstep;
        int maxx = pr.w / 10 > 1 ? pr.w / 10 : 2;
        int nxt = axis_ticks(o->x_lo, o->x_hi, maxx, o->x_kind, xt, &xstep);
        int free_from = pr.x;
        for (int i = 0; i < nxt; i++) {
            int col = pr.x + chart_px(xt[i], o->x_lo, o->x_hi, p.pw) / 2;
            canvas_put(c, col, axis_row, c->ascii ? '+' : 0x252c, 0, CANVAS_DIM);
            char l[32];
            axis_label(l, sizeof l, xt[i], xstep, o->x_kind);
            int w = (int)strlen(l), at = col - w / 2;
            if (at + w > r.x + r.w)
                at = r.x + r.w - w;
            if (at >= free_from) {
                canvas_text(c, at, axis_row + 1, w, l, CANVAS_DEFAULT, CANVAS_DIM);
                free_from = at + w + 1;
            }
        }
    } else if (gutter) {
        canvas_text(c, r.x, pr.y, gutter - 1, top, CANVAS_DEFAULT, CANVAS_DIM);
        if (pr.h > 1)
            canvas_text(c, r.x, pr.y + pr.h - 1, gutter - 1, bottom, CANVAS_DEFAULT, CANVAS_DIM);
    }
    return rc;
}
