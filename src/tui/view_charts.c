/*
 * view_charts.c — a grid of charts over one or more runs: which metrics it
 * shows (filter, system or not), paging, and fetching each chart's series
 * decimated to its pixel width through tally_store_series, in the chosen
 * x axis.  Called by the run view (charts and system tabs) and compare.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/chart.h"
#include "tui/layout.h"
#include "tui/tui.h"

static const int run_colors[] = {CANVAS_CYAN,  CANVAS_YELLOW, CANVAS_MAGENTA,
                                 CANVAS_GREEN, CANVAS_BLUE,   CANVAS_RED};

static int wanted(const tally_metric_info *m, const tui_grid_spec *spec)
{
    if (m->hidden)
        return 0;
    int sys = m->axis == TALLY_AXIS_TIME || strncmp(m->name, "system.", 7) == 0 ||
              strncmp(m->name, "system/", 7) == 0;
    if (sys != !!spec->system)
        return 0;
    return tui_filter_match(spec->filter, m->name);
}

/* The names of the charts, in the order of the first run that has each. */
static size_t collect(const tui_grid_spec *spec, const char ***names_out)
{
    size_t cap = 0, n = 0;
    const char **names = NULL;
    for (size_t r = 0; r < spec->nruns; r++) {
        tally_store *st = spec->runs[r].store;
        size_t nm = tally_store_metric_count(st);
        for (size_t i = 0; i < nm; i++) {
            const tally_metric_info *m = tally_store_metric(st, i);
            if (!wanted(m, spec))
                continue;
            size_t k = 0;
            while (k < n && strcmp(names[k], m->name) != 0)
                k++;
            if (k < n)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                const char **v = realloc(names, cap * sizeof *v);
                if (!v)
                    break;
                names = v;
            }
            names[n++] = m->name;
        }
    }
    *names_out = names;
    return n;
}

int view_charts_count(const tui_grid_spec *spec)
{
    const char **names;
    size_t n = collect(spec, &names);
    free(names);
    return (int)n;
}

/* How a metric's raw x maps onto the display axis. */
typedef struct xmap {
    const tally_metric_info *src; /* x comes from this metric's values, or NULL */
    double scale, base;           /* else display = base + x * scale */
    axis_kind kind;
} xmap;

static xmap xmap_of(tally_store *st, const tally_metric_info *m, tui_xmode mode)
{
    const tally_run_info *info = tally_store_info(st);
    xmap x = {NULL, 1, 0, AXIS_NUMBER};
    if (m->axis == TALLY_AXIS_TIME) {
        x.scale = 0.001;
        x.kind = AXIS_DURATION;
        if (mode == XMODE_WALL) {
            x.base = info->start_time;
            x.kind = AXIS_CLOCK;
        }
        return x;
    }
    const char *src = mode == XMODE_RELTIME  ? "_runtime"
                      : mode == XMODE_WALL   ? "_timestamp"
                      : mode == XMODE_CUSTOM ? m->step_metric
                                             : NULL;
    if (src) {
        x.src = tally_store_find_metric(st, src);
        if (x.src && x.src->n > 0)
            x.kind = mode == XMODE_RELTIME ? AXIS_DURATION
                     : mode == XMODE_WALL  ? AXIS_CLOCK
                                           : AXIS_NUMBER;
        else
            x.src = NULL;
    }
    return x;
}

static int64_t last_x(tally_store *st, const tally_metric_info *m)
{
    int64_t last = m->n > 0 ? m->x_max : 0;
    if (m->axis == TALLY_AXIS_STEP && tally_store_info(st)->last_step > last)
        last = tally_store_info(st)->last_step;
    return last;
}

/* The full display range of a metric of one run. */
static void domain(tally_store *st, const tally_metric_info *m, const xmap *x, double *d0,
                   double *d1)
{
    if (x->src) {
        *d0 = x->src->y_min;
        *d1 = x->src->y_max;
        if (!isfinite(*d0) || !isfinite(*d1))
            *d0 = *d1 = 0;
        return;
    }
    *d0 = x->base;
    *d1 = x->base + (double)last_x(st, m) * x->scale;
}

/* The smallest of 1, 2, 3, then 4, 5, 6, 7 x 2^e, that is >= k. */
static int64_t grid_step(int64_t k)
{
    if (k <= 3)
        return k < 1 ? 1 : k;
    int64_t e = 1;
    while (k > 7 * e)
        e *= 2;
    for (int64_t m = 4; m <= 7; m++)
        if (m * e >= k)
            return m * e;
    return 8 * e;
}

/* The grid of nb buckets of k points from a multiple of k (g0) that
 * covers [x0, x1].  k moves in steps of about 1.2x, so the grid stays the
 * same while a live run grows by a fifth and the cache re-reads only the
 * new end (the price: up to a fifth of the columns are left to the joins);
 * and k is then a power of two times 4..7, so bucket edges mostly fall on
 * the writer's chunk boundaries and whole chunks merge from their headers. */
static void grid_of(int64_t x0, int64_t x1, int nb, int64_t *g0, int64_t *k)
{
    *k = grid_step((x1 - x0) / nb + 1);
    for (;;) {
        *g0 = x0 >= 0 ? x0 / *k * *k : -((-x0 + *k - 1) / *k) * *k;
        if (*g0 + *k * nb - 1 >= x1)
            return;
        *k = grid_step(*k + 1);
    }
}

/* Raw x range [x0, x1] of the source metric whose values cover [v0, v1]:
 * a coarse pass over the x source, which is monotonic in practice. */
static void invert(const tui_grid_spec *spec, tally_store *st, const tally_metric_info *m,
                   const xmap *x, double v0, double v1, int64_t *x0, int64_t *x1)
{
    int64_t hi = last_x(st, m);
    *x0 = 0;
    *x1 = hi;
    if (!x->src) {
        *x0 = (int64_t)floor((v0 - x->base) / x->scale);
        *x1 = (int64_t)ceil((v1 - x->base) / x->scale);
        return;
    }
    enum { N = 256 };
    tally_bucket b[N];
    int64_t g0, k;
    grid_of(0, hi, N, &g0, &k);
    if (series_cache_get(spec->cache, st, x->src, g0, k, N, b))
        return;
    int found0 = 0;
    for (int i = 0; i < N; i++) {
        if (b[i].n == 0 || isnan(b[i].y_max))
            continue;
        if (!found0 && b[i].y_max >= v0) {
            *x0 = b[i].x_first;
            found0 = 1;
        }
        if (b[i].y_min <= v1)
            *x1 = b[i].x_last;
    }
}

/* One run's series of one metric over the display window, nb buckets,
 * each placed at the middle of the points it holds. */
static size_t fetch(const tui_grid_spec *spec, tally_store *st, const tally_metric_info *m,
                    const xmap *x, double v0, double v1, int nb, chart_point *out)
{
    int64_t x0, x1;
    invert(spec, st, m, x, v0, v1, &x0, &x1);
    if (x1 < x0 || nb <= 0)
        return 0;
    tally_bucket *b = malloc(2 * (size_t)nb * sizeof *b);
    if (!b)
        return 0;
    tally_bucket *xb = b + nb;
    size_t n = 0;
    int64_t g0, k;
    grid_of(x0, x1, nb, &g0, &k);
    if (series_cache_get(spec->cache, st, m, g0, k, (size_t)nb, b))
        goto done;
    if (x->src && series_cache_get(spec->cache, st, x->src, g0, k, (size_t)nb, xb))
        goto done;
    double carry = NAN;
    for (int i = 0; i < nb; i++) {
        if (x->src && xb[i].n > 0 && isfinite(xb[i].y_first))
            carry = (xb[i].y_first + xb[i].y_last) / 2;
        if (b[i].n == 0)
            continue;
        chart_point *p = &out[n];
        if (x->src) {
            if (isnan(carry))
                continue;
            p->x = carry;
        } else {
            p->x = x->base + (double)(b[i].x_first + b[i].x_last) / 2 * x->scale;
        }
        p->y_min = b[i].y_min;
        p->y_max = b[i].y_max;
        p->y_first = b[i].y_first;
        p->y_last = b[i].y_last;
        n++;
    }
done:
    free(b);
    return n;
}

static void draw_one(canvas *c, canvas_rect r, const tui_grid_spec *spec, const char *name,
                     int index, int selected, int focus)
{
    tui_charts *ch = spec->charts;
    size_t nr = spec->nruns;
    const tally_metric_info **ms = calloc(nr + 1, sizeof *ms);
    xmap *xs = calloc(nr + 1, sizeof *xs);
    chart_series *series = calloc(nr + 1, sizeof *series);
    chart_point *pts = NULL;
    if (!ms || !xs || !series)
        goto done;
    double d0 = INFINITY, d1 = -INFINITY;
    axis_kind kind = AXIS_NUMBER;
    for (size_t k = 0; k < nr; k++) {
        ms[k] = tally_store_find_metric(spec->runs[k].store, name);
        if (!ms[k])
            continue;
        xs[k] = xmap_of(spec->runs[k].store, ms[k], ch->xmode);
        kind = xs[k].kind;
        double a, b;
        domain(spec->runs[k].store, ms[k], &xs[k], &a, &b);
        d0 = fmin(d0, a);
        d1 = fmax(d1, b);
    }
    if (!(d0 <= d1))
        d0 = d1 = 0;
    if (d1 == d0)
        d1 = d0 + 1;
    double v0 = d0 + ch->f0 * (d1 - d0), v1 = d0 + ch->f1 * (d1 - d0);
    /* One bucket a pixel column of the plot: its width is the chart's
     * less the y labels, sized here from the metrics' stored ranges. */
    chart_opts o = {.log_y = ch->log_y, .axes = focus};
    double ylo = INFINITY, yhi = -INFINITY;
    for (size_t k = 0; k < nr; k++)
        if (ms[k] && isfinite(ms[k]->y_min) && isfinite(ms[k]->y_max)) {
            double a = ms[k]->y_min, b = ms[k]->y_max;
            if (ch->log_y) {
                a = a > 0 ? log10(a) : (b > 0 ? log10(b) - 1 : NAN);
                b = b > 0 ? log10(b) : NAN;
            }
            if (isfinite(a) && isfinite(b)) {
                ylo = fmin(ylo, a);
                yhi = fmax(yhi, b);
            }
        }
    int gutter = ylo <= yhi ? chart_gutter(r, &o, ylo, yhi) : 0;
    int nb = 2 * (r.w - gutter);
    if (nb < 2)
        nb = 2;
    pts = malloc((nr + 1) * (size_t)nb * sizeof *pts);
    if (!pts)
        goto done;
    size_t ns = 0;
    for (size_t k = 0; k < nr; k++) {
        if (!ms[k])
            continue;
        chart_point *p = pts + k * (size_t)nb;
        size_t n = fetch(spec, spec->runs[k].store, ms[k], &xs[k], v0, v1, nb, p);
        int color = nr > 1 ? run_colors[k % 6] : run_colors[index % 6];
        series[ns++] = (chart_series){p, n, color};
    }
    char value[32] = "", title[300];
    const tally_metric_info *first = NULL;
    for (size_t k = 0; k < nr && !first; k++)
        first = ms[k];
    if (nr == 1 && first && first->n > 0)
        tui_format_value(value, first->y_last);
    snprintf(title, sizeof title, "%s", name);
    o = (chart_opts){.title = title,
                     .value = value,
                     .x_lo = v0,
                     .x_hi = v1,
                     .x_kind = kind,
                     .log_y = ch->log_y,
                     .smooth = ch->smooth,
                     .axes = focus,
                     .selected = selected,
                     .gutter = gutter};
    chart_draw(c, r, series, ns, &o);
done:
    free(ms);
    free(xs);
    free(series);
    free(pts);
}

void view_charts_draw(canvas *c, canvas_rect r, const tui_grid_spec *spec)
{
    tui_charts *ch = spec->charts;
    const char **names;
    int n = (int)collect(spec, &names);
    ch->nmetrics = n;
    if (n == 0) {
        const char *msg = spec->filter && spec->filter->active ? "no metric matches the filter"
                          : spec->system                       ? "no system metrics (yet)"
                                                               : "no metrics logged yet";
        canvas_text(c, r.x + 1, r.y + r.h / 2, r.w - 2, msg, CANVAS_DEFAULT, CANVAS_DIM);
        ch->per_page = 1;
        free(names);
        return;
    }
    layout_grid g = layout_grid_of(r, n);
    int per = layout_per_page(&g);
    ch->per_page = per;
    int pages = (n + per - 1) / per;
    if (ch->page >= pages)
        ch->page = pages - 1;
    if (ch->page < 0)
        ch->page = 0;
    int on_page = n - ch->page * per < per ? n - ch->page * per : per;
    if (ch->sel >= on_page)
        ch->sel = on_page - 1;
    if (ch->sel < 0)
        ch->sel = 0;
    if (ch->focus) {
        int i = ch->page * per + ch->sel;
        draw_one(c, r, spec, names[i], i, 0, 1);
    } else {
        for (int k = 0; k < on_page; k++) {
            int i = ch->page * per + k;
            draw_one(c, layout_grid_cell(&g, k), spec, names[i], i, k == ch->sel && per > 1, 0);
        }
    }
    free(names);
}

void view_charts_nav(tui_charts *ch, keymap_action a)
{
    int per = ch->per_page > 0 ? ch->per_page : 1;
    int pages = (ch->nmetrics + per - 1) / per;
    switch (a) {
    case ACT_UP:
        if (ch->sel > 0)
            ch->sel--;
        else if (ch->page > 0)
            ch->page--, ch->sel = per - 1;
        break;
    case ACT_DOWN:
        if (ch->page * per + ch->sel + 1 < ch->nmetrics) {
            if (++ch->sel >= per)
                ch->page++, ch->sel = 0;
        }
        break;
    case ACT_PAGE_NEXT:
        if (ch->page + 1 < pages)
            ch->page++;
        break;
    case ACT_PAGE_PREV:
        if (ch->page > 0)
            ch->page--;
        break;
    case ACT_TOP: ch->page = ch->sel = 0; break;
    case ACT_BOTTOM: ch->page = pages > 0 ? pages - 1 : 0; break;
    case ACT_ENTER: ch->focus = !ch->focus; break;
    default: tui_charts_action(ch, a); break;
    }
}

/* Esc in a chart grid: leave focus, then drop the filter, then go back. */
int view_charts_back(tui_charts *ch, tui_filter *f)
{
    if (ch->focus) {
        ch->focus = 0;
        return 1;
    }
    if (f->active) {
        tui_filter_clear(f);
        ch->page = ch->sel = 0;
        return 1;
    }
    return 0;
}
