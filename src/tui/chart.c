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

/* A series transformed for drawing: y mapped (log). */
typedef struct tpoint {
    double x, x0, x1, lo, hi, first, last;
} tpoint;

static tpoint *transform(const chart_series *s, const chart_opts *o)
{
    tpoint *t = malloc((s->n + 1) * sizeof *t);
    if (!t)
        return NULL;
    for (size_t i = 0; i < s->n; i++) {
        const chart_point *p = &s->pts[i];
        t[i].x = p->x;
        t[i].x0 = p->x0 < p->x1 ? p->x0 : p->x;
        t[i].x1 = p->x0 < p->x1 ? p->x1 : p->x;
        t[i].hi = ty(p->y_max, o->log_y);
        t[i].lo = ty(p->y_min, o->log_y);
        if (isnan(t[i].lo))
            t[i].lo = t[i].hi;
        t[i].first = ty(p->y_first, o->log_y);
        t[i].last = ty(p->y_last, o->log_y);
    }
    return t;
}

void chart_smoothed(const chart_series *s, double w, double *out)
{
    for (size_t i = 0; i < s->n; i++) {
        const chart_point *p = &s->pts[i];
        double lo = isnan(p->y_min) ? p->y_max : p->y_min;
        out[i] = isnan(p->y_max) ? NAN : (lo + p->y_max) / 2;
    }
    smooth_ema(out, s->n, w, out);
}

/* The smoothed line, mapped like the points (NaN where a gap is). */
static double *smoothed(const chart_series *s, const chart_opts *o)
{
    double *y = malloc((s->n + 1) * sizeof *y);
    if (!y)
        return NULL;
    chart_smoothed(s, o->smooth, y);
    for (size_t i = 0; i < s->n; i++)
        y[i] = ty(y[i], o->log_y);
    return y;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of v[0..n) (sorted in place), n > 0. */
static double quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cmp_double);
    double at = q * (double)(n - 1);
    size_t i = (size_t)floor(at);
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (at - (double)i) * (v[i + 1] - v[i]);
}

/* A range of one value gets room around it, so it draws mid-height and
 * its labels differ: 5% of the value, or +-1 around zero. */
static void pad_flat(double *lo, double *hi)
{
    if (*lo == *hi) {
        double pad = fabs(*lo) > 0 ? fabs(*lo) * 0.05 : 1;
        *lo -= pad;
        *hi += pad;
    }
}

/* The envelope's range in the window, or (ignore_outliers, as TensorBoard
 * does) the 5th percentile of the bucket minima to the 95th of the maxima,
 * so a few spikes do not flatten the rest of the line. */
static int data_range(const chart_series *s, size_t ns, const chart_opts *o, double *lo, double *hi)
{
    size_t total = 0;
    for (size_t k = 0; k < ns; k++)
        total += s[k].n;
    double *mins = o->ignore_outliers ? malloc((total + 1) * 2 * sizeof *mins) : NULL;
    double *maxs = mins ? mins + total + 1 : NULL;
    size_t nv = 0;
    double a = INFINITY, b = -INFINITY;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++) {
            const chart_point *p = &s[k].pts[i];
            if (p->x < o->x_lo || p->x > o->x_hi)
                continue;
            double h = ty(p->y_max, o->log_y), l = ty(p->y_min, o->log_y);
            if (isnan(l))
                l = h;
            if (isnan(h) || !isfinite(l) || !isfinite(h))
                continue;
            a = fmin(a, l);
            b = fmax(b, h);
            if (mins) {
                mins[nv] = l;
                maxs[nv++] = h;
            }
        }
    if (mins && nv >= 10) {
        a = quantile(mins, nv, 0.05);
        b = quantile(maxs, nv, 0.95);
        if (a > b)
            a = b;
    }
    free(mins);
    *lo = a;
    *hi = b;
    return a <= b;
}

int chart_y_range(const chart_series *s, size_t ns, const chart_opts *o, double *lo, double *hi)
{
    double a, b;
    int any = data_range(s, ns, o, &a, &b);
    if (!any)
        return 0;
    /* Manual limits win; a limit log-y cannot show (<= 0) is ignored. */
    if (o->y_limits & CHART_Y_LO && isfinite(ty(o->y_lo, o->log_y)))
        a = ty(o->y_lo, o->log_y);
    if (o->y_limits & CHART_Y_HI && isfinite(ty(o->y_hi, o->log_y)))
        b = ty(o->y_hi, o->log_y);
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    pad_flat(&a, &b);
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

/* Each bucket is drawn as a vertical stroke from its min to its max, in
 * every pixel column its points span (so a noisy million-point series
 * keeps its envelope at any width, with no column left to the joins), and
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
        int x0 = chart_px(t[i].x0, p->x_lo, p->x_hi, p->pw);
        int x1 = chart_px(t[i].x1, p->x_lo, p->x_hi, p->pw);
        if (x0 < -1)
            x0 = -1;
        if (x1 > p->pw)
            x1 = p->pw;
        int ylo = py_of(p, t[i].lo), yhi = py_of(p, t[i].hi);
        if (have_prev && !isnan(t[i].first))
            braille_line(&p->raster, prev_x, prev_y, x0, py_of(p, t[i].first), color);
        for (int x = x0; x <= x1; x++)
            braille_line(&p->raster, x, ylo, x, yhi, color);
        have_prev = !isnan(t[i].last);
        prev_x = x1;
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
    int room = r.w - (vw ? vw + 1 : 0);
    int used = canvas_text(c, r.x, r.y, room, o->title, CANVAS_DEFAULT, attr);
    /* The y unit, "(%)", after the title when it fits whole. */
    if (o->y_title && *o->y_title) {
        char unit[64];
        snprintf(unit, sizeof unit, " (%s)", o->y_title);
        int uw = canvas_text_width(c, unit);
        if (used + uw <= room)
            canvas_text(c, r.x + used, r.y, uw, unit, CANVAS_DEFAULT, CANVAS_DIM);
    }
    if (vw)
        canvas_text(c, r.x + r.w - vw, r.y, vw, o->value, CANVAS_CYAN, 0);
}

static axis_kind y_kind(const chart_opts *o) { return o->log_y ? AXIS_LOG10 : AXIS_NUMBER; }

static int has_axes(canvas_rect r, const chart_opts *o) { return o->axes && r.h >= 6 && r.w >= 20; }

/* Rows of the plot: the chart less its title, and the x axis and its
 * labels when axes are drawn. */
static int plot_rows(canvas_rect r, const chart_opts *o)
{
    return r.h - 1 - (has_axes(r, o) ? 2 : 0);
}

/* The y ticks of a plot of rows rows (two rows a tick at most). */
static int y_ticks(double lo, double hi, int rows, const chart_opts *o, double *ticks, double *step)
{
    return axis_ticks(lo, hi, rows / 2 + 1, y_kind(o), ticks, step);
}

int chart_gutter(canvas_rect r, const chart_opts *o, double lo, double hi)
{
    int gutter = 0;
    char l[32];
    if (!isfinite(lo) || !isfinite(hi))
        return 0;
    pad_flat(&lo, &hi);
    if (has_axes(r, o)) {
        double ticks[AXIS_MAX_TICKS], step;
        int n = y_ticks(lo, hi, plot_rows(r, o), o, ticks, &step);
        for (int i = 0; i < n; i++) {
            axis_label(l, sizeof l, ticks[i], step, y_kind(o));
            int w = (int)strlen(l);
            gutter = w > gutter ? w : gutter;
        }
        return gutter + 1;
    }
    if (r.w < 16)
        return 0;
    double st = (hi - lo) / 100;
    axis_label(l, sizeof l, hi, st, y_kind(o));
    gutter = (int)strlen(l);
    axis_label(l, sizeof l, lo, st, y_kind(o));
    gutter = (int)strlen(l) > gutter ? (int)strlen(l) : gutter;
    gutter += 1;
    return gutter > r.w / 3 ? 0 : gutter;
}

/* The gutter to draw with: what the labels need, or the caller's wider
 * one (it sized its buckets to it), never one that cuts a label. */
static int gutter_of(canvas_rect r, const chart_opts *o, double lo, double hi)
{
    int need = chart_gutter(r, o, lo, hi);
    if (need > 0 && o->gutter > need && o->gutter < r.w / 2)
        return o->gutter;
    return need;
}

canvas_rect chart_plot_rect(canvas_rect r, const chart_series *s, size_t ns, const chart_opts *o)
{
    canvas_rect pr = {r.x, r.y + 1, 0, 0};
    double lo, hi;
    if (r.w <= 0 || r.h < 2 || !chart_y_range(s, ns, o, &lo, &hi))
        return pr;
    int gutter = gutter_of(r, o, lo, hi);
    pr.x = r.x + gutter;
    pr.w = r.w - gutter;
    pr.h = plot_rows(r, o);
    if (pr.w <= 0 || pr.h <= 0)
        pr.w = pr.h = 0;
    return pr;
}

double chart_x_of_col(int col, int w, double lo, double hi)
{
    int pw = 2 * w;
    if (pw <= 1)
        return hi;
    return lo + (2.0 * col + 1) / (pw - 1) * (hi - lo);
}

size_t chart_nearest(const chart_point *pts, size_t n, double x)
{
    /* a: the first point starting after x (by bisection on spans). */
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        double start = pts[m].x0 < pts[m].x1 ? pts[m].x0 : pts[m].x;
        if (start <= x)
            a = m + 1;
        else
            b = m;
    }
    if (a == 0)
        return 0;
    const chart_point *p = &pts[a - 1];
    double end = p->x0 < p->x1 ? p->x1 : p->x;
    if (x <= end || a == n)
        return a - 1; /* its span holds x, or nothing comes after */
    double next = pts[a].x0 < pts[a].x1 ? pts[a].x0 : pts[a].x;
    return x - end <= next - x ? a - 1 : a;
}

static void draw_y_axis(canvas *c, const plot *p, canvas_rect pr, const chart_opts *o)
{
    double ticks[AXIS_MAX_TICKS], step;
    int n = y_ticks(p->y_lo, p->y_hi, pr.h, o, ticks, &step);
    for (int i = 0; i < n; i++) {
        char l[32];
        axis_label(l, sizeof l, ticks[i], step, y_kind(o));
        int row = pr.y + py_of(p, ticks[i]) / 4;
        int w = (int)strlen(l);
        canvas_text(c, pr.x - 1 - w, row, w, l, CANVAS_DEFAULT, CANVAS_DIM);
        canvas_put(c, pr.x - 1, row, c->ascii ? '+' : 0x2524, 0, CANVAS_DIM);
    }
    for (int y = pr.y; y < pr.y + pr.h; y++)
        if (canvas_at(c, pr.x - 1, y)->ch == ' ')
            canvas_put(c, pr.x - 1, y, c->ascii ? '|' : 0x2502, 0, CANVAS_DIM);
}

/* The x axis: a rule with tick marks, labels under them, and the axis
 * title at the right end of the label row. */
static void draw_x_axis(canvas *c, const plot *p, canvas_rect r, canvas_rect pr,
                        const chart_opts *o)
{
    int axis_row = pr.y + pr.h;
    canvas_hline(c, pr.x, axis_row, pr.w, 0, CANVAS_DIM);
    canvas_put(c, pr.x - 1, axis_row, c->ascii ? '+' : 0x2514, 0, CANVAS_DIM);
    int limit = r.x + r.w; /* labels end before this column */
    if (o->x_title && *o->x_title) {
        int tw = canvas_text_width(c, o->x_title);
        if (tw < pr.w / 2) {
            canvas_text(c, r.x + r.w - tw, axis_row + 1, tw, o->x_title, CANVAS_DEFAULT,
                        CANVAS_BOLD | CANVAS_DIM);
            limit = r.x + r.w - tw - 1;
        }
    }
    double xt[AXIS_MAX_TICKS], xstep;
    int maxx = pr.w / 10 > 1 ? pr.w / 10 : 2;
    int nxt = axis_ticks(o->x_lo, o->x_hi, maxx, o->x_kind, xt, &xstep);
    int free_from = pr.x;
    for (int i = 0; i < nxt; i++) {
        int col = pr.x + chart_px(xt[i], o->x_lo, o->x_hi, p->pw) / 2;
        canvas_put(c, col, axis_row, c->ascii ? '+' : 0x252c, 0, CANVAS_DIM);
        char l[32];
        axis_label(l, sizeof l, xt[i], xstep, o->x_kind);
        int w = (int)strlen(l), at = col - w / 2;
        if (at + w > limit)
            at = limit - w;
        if (at >= free_from) {
            canvas_text(c, at, axis_row + 1, w, l, CANVAS_DEFAULT, CANVAS_DIM);
            free_from = at + w + 1;
        }
    }
}

/* The cursor: a rule down the plot column; cells the lines pass through
 * keep their dots and turn reverse, so the value under it stays visible. */
static void draw_cursor(canvas *c, canvas_rect pr, int col, int axes)
{
    if (col < 0 || col >= pr.w)
        return;
    int x = pr.x + col;
    for (int y = pr.y; y < pr.y + pr.h; y++) {
        const canvas_cell *cell = canvas_at(c, x, y);
        if (!cell)
            continue;
        if (cell->ch == ' ')
            canvas_put(c, x, y, c->ascii ? '|' : 0x2502, CANVAS_YELLOW, 0);
        else
            canvas_put(c, x, y, cell->ch, cell->fg, CANVAS_REVERSE);
    }
    if (axes)
        canvas_put(c, x, pr.y + pr.h, c->ascii ? '^' : 0x253c, CANVAS_YELLOW, CANVAS_BOLD);
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
    int axes = has_axes(r, o);
    if (!chart_y_range(s, ns, o, &lo, &hi)) {
        int rows = plot_rows(r, o);
        canvas_text(c, r.x + (r.w > 8 ? (r.w - 7) / 2 : 0), r.y + 1 + (rows > 0 ? rows / 2 : 0),
                    r.w, "no data", CANVAS_DEFAULT, CANVAS_DIM);
        return 0;
    }
    canvas_rect pr = chart_plot_rect(r, s, ns, o);
    if (pr.w <= 0 || pr.h <= 0)
        return 0;
    int gutter = pr.x - r.x;

    plot p = {
        .pw = pr.w * 2, .ph = pr.h * 4, .x_lo = o->x_lo, .x_hi = o->x_hi, .y_lo = lo, .y_hi = hi};
    if (braille_init(&p.raster, pr.w, pr.h))
        return -1;
    int rc = 0;
    for (size_t k = 0; k < ns && !rc; k++) {
        tpoint *t = transform(&s[k], o);
        double *y = t && o->smooth > 0 ? smoothed(&s[k], o) : NULL;
        if (!t || (o->smooth > 0 && !y)) {
            rc = -1;
        } else if (y) {
            draw_series(&p, t, s[k].n, s[k].color | CHART_DIM);
            draw_line(&p, t, y, s[k].n, s[k].color);
        } else {
            draw_series(&p, t, s[k].n, s[k].color | (s[k].dim ? CHART_DIM : 0));
        }
        free(y);
        free(t);
    }
    blit_plot(&p, c, pr.x, pr.y);
    braille_free(&p.raster);

    if (axes) {
        draw_y_axis(c, &p, pr, o);
        draw_x_axis(c, &p, r, pr, o);
    } else if (gutter) {
        char l[32];
        double st = (hi - lo) / 100;
        axis_label(l, sizeof l, hi, st, y_kind(o));
        canvas_text(c, r.x, pr.y, gutter - 1, l, CANVAS_DEFAULT, CANVAS_DIM);
        axis_label(l, sizeof l, lo, st, y_kind(o));
        if (pr.h > 1)
            canvas_text(c, r.x, pr.y + pr.h - 1, gutter - 1, l, CANVAS_DEFAULT, CANVAS_DIM);
    }
    if (o->cursor)
        draw_cursor(c, pr, o->cursor_col, axes);
    return rc;
}
