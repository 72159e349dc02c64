/*
 * view_charts.c — a grid of charts over one or more runs: which metrics it
 * shows (filter, system or not), overlays and pinned charts first, paging,
 * and fetching each chart's series decimated to its pixel width through
 * tally_store_series, in the chosen x axis; the window that holds still
 * off the live end, and the cursor with its legend of exact values.
 * Called by the run view (charts and system tabs) and compare.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/numfmt.h"
#include "tui/chart.h"
#include "tui/groups.h"
#include "tui/layout.h"
#include "tui/mediapanel.h"
#include "tui/tui.h"
#include "tui/valfmt.h"

static const int run_colors[] = {CANVAS_CYAN,  CANVAS_YELLOW, CANVAS_MAGENTA,
                                 CANVAS_GREEN, CANVAS_BLUE,   CANVAS_RED};

#define PANEL_MAX 8 /* metrics in one overlay */

/* ---- sets of names ---- */

int tui_names_find(const tui_names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return (int)i;
    return -1;
}

int tui_names_add(tui_names *s, const char *name)
{
    if (tui_names_find(s, name) >= 0)
        return 0;
    char **v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v)
        return -1;
    s->v = v;
    if (!(s->v[s->n] = strdup(name)))
        return -1;
    s->n++;
    return 0;
}

void tui_names_remove(tui_names *s, const char *name)
{
    int i = tui_names_find(s, name);
    if (i < 0)
        return;
    free(s->v[i]);
    memmove(s->v + i, s->v + i + 1, (s->n - (size_t)i - 1) * sizeof *s->v);
    s->n--;
}

void tui_names_free(tui_names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

/* ---- which charts ---- */

static int is_system(const tally_metric_info *m)
{
    return m->axis == TALLY_AXIS_TIME || strncmp(m->name, "system.", 7) == 0 ||
           strncmp(m->name, "system/", 7) == 0;
}

static int wanted(const tally_metric_info *m, const tui_grid_spec *spec)
{
    if (m->hidden)
        return 0;
    if (is_system(m) != !!spec->system)
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
            if (r > 0) { /* one run's names are distinct already */
                size_t k = 0;
                while (k < n && strcmp(names[k], m->name) != 0)
                    k++;
                if (k < n)
                    continue;
            }
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

/* One chart of the grid: one metric, or an overlay of several. */
typedef struct panel {
    const char *name[PANEL_MAX];
    int n;
    const char *key; /* the overlay's entry in tui_charts.overlays, else name[0] */
} panel;

static int has_name(const char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* The panels in grid order: overlays, pinned charts, then the rest.  An
 * overlay's names point into split, a copy the caller frees. */
static size_t panels_of(const tui_grid_spec *spec, const char **names, size_t n, panel **out,
                        char ***split_out)
{
    const tui_charts *ch = spec->charts;
    panel *p = calloc(n + ch->overlays.n + 1, sizeof *p);
    char **split = calloc(ch->overlays.n + 1, sizeof *split);
    size_t np = 0;
    *out = p;
    *split_out = split;
    if (!p || !split)
        return 0;
    for (size_t i = 0; i < ch->overlays.n; i++) {
        if (!(split[i] = strdup(ch->overlays.v[i])))
            continue;
        panel q = {.key = ch->overlays.v[i]};
        for (char *tok = strtok(split[i], "\n"); tok && q.n < PANEL_MAX; tok = strtok(NULL, "\n"))
            if (has_name(names, n, tok))
                q.name[q.n++] = tok;
        if (q.n > 0)
            p[np++] = q;
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++)
            if ((tui_names_find(&ch->pinned, names[i]) >= 0) == (pass == 0))
                p[np++] = (panel){.name = {names[i]}, .n = 1, .key = names[i]};
    return np;
}

int view_charts_count(const tui_grid_spec *spec)
{
    const char **names;
    size_t n = collect(spec, &names);
    panel *p;
    char **split;
    size_t np = panels_of(spec, names, n, &p, &split);
    for (size_t i = 0; i < spec->charts->overlays.n && split; i++)
        free(split[i]);
    free(split);
    free(p);
    free(names);
    return (int)np;
}

/* train/X pairs with val/X, eval/X, valid/X or test/X (and back). */
static const char *const pair_prefixes[] = {"train/", "val/", "eval/", "valid/", "test/"};

static const char *pair_of(const char *name, const char **names, size_t n, char *out, size_t size)
{
    size_t np = sizeof pair_prefixes / sizeof *pair_prefixes;
    for (size_t i = 0; i < np; i++) {
        size_t l = strlen(pair_prefixes[i]);
        if (strncmp(name, pair_prefixes[i], l) != 0)
            continue;
        for (size_t j = 0; j < np; j++) {
            if (j == i || (i != 0 && j != 0))
                continue; /* train/ <-> the others */
            snprintf(out, size, "%s%s", pair_prefixes[j], name + l);
            if (has_name(names, n, out))
                return out;
        }
    }
    return NULL;
}

/* The unit of a system metric, from its name ("" when none is known). */
static const char *unit_of(const char *name)
{
    static const struct {
        const char *suffix, *unit;
    } units[] = {
        {"Percent", "%"},         {"percent", "%"}, {"MB", "MB"},  {"GB", "GB"},  {"Bytes", "B"},
        {"temp", "°C"},           {"Watts", "W"},   {".cpu", "%"}, {".gpu", "%"}, {".memory", "%"},
        {"memoryAllocated", "%"}, {".sent", "B"},   {".recv", "B"}};
    size_t n = strlen(name);
    if (strncmp(name, "system", 6) != 0)
        return "";
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        size_t l = strlen(units[i].suffix);
        if (n >= l && strcmp(name + n - l, units[i].suffix) == 0)
            return units[i].unit;
    }
    return "";
}

/* How a metric's raw x maps onto the display axis. */
typedef struct xmap {
    const tally_metric_info *src; /* x comes from this metric's values, or NULL */
    double scale, base;           /* else display = base + x * scale */
    axis_kind kind;
    const char *title; /* the axis' name */
} xmap;

static xmap xmap_of(tally_store *st, const tally_metric_info *m, tui_xmode mode)
{
    const tally_run_info *info = tally_store_info(st);
    xmap x = {NULL, 1, 0, AXIS_NUMBER, "step"};
    if (m->axis == TALLY_AXIS_TIME) {
        x.scale = 0.001;
        x.kind = AXIS_DURATION;
        x.title = "time";
        if (mode == XMODE_WALL) {
            x.base = info->start_time;
            x.kind = AXIS_CLOCK;
            x.title = "wall time";
        }
        return x;
    }
    const char *src = mode == XMODE_RELTIME ? "_runtime"
                      : mode == XMODE_WALL  ? "_timestamp"
                      : mode == XMODE_STEP  ? m->step_metric
                                            : NULL;
    if (src) {
        x.src = tally_store_find_metric(st, src);
        if (x.src && x.src->n > 0) {
            x.kind = mode == XMODE_RELTIME ? AXIS_DURATION
                     : mode == XMODE_WALL  ? AXIS_CLOCK
                                           : AXIS_NUMBER;
            x.title = mode == XMODE_RELTIME ? "relative time"
                      : mode == XMODE_WALL  ? "wall time"
                                            : x.src->name;
        } else {
            x.src = NULL;
        }
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

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A run's data as it was when the window stopped following: recorded at
 * the first frame after, kept until it follows again. */
static const tui_run *held(const tui_grid_spec *spec, tui_run *run)
{
    const tui_charts *ch = spec->charts;
    if (!ch->hold)
        return NULL;
    if (run->hold_gen != ch->hold_gen) {
        run->hold_gen = ch->hold_gen;
        run->hold_step = tally_store_info(run->store)->last_step;
        run->hold_time = wall_now();
    }
    return run;
}

/* The full display range of a metric of one run (as of the hold, when
 * the window is held). */
static void domain(const tui_grid_spec *spec, tui_run *run, const tally_metric_info *m,
                   const xmap *x, double *d0, double *d1)
{
    tally_store *st = run->store;
    const tui_run *h = held(spec, run);
    int64_t end = last_x(st, m);
    if (x->src) {
        *d0 = x->src->y_min;
        *d1 = x->src->y_max;
        tally_bucket b;
        if (h && h->hold_step >= 0 &&
            series_cache_get(spec->cache, st, x->src, 0, h->hold_step + 1, 1, &b) == 0 && b.n > 0 &&
            isfinite(b.y_max))
            *d1 = b.y_max;
        if (!isfinite(*d0) || !isfinite(*d1))
            *d0 = *d1 = 0;
        return;
    }
    if (h && m->axis == TALLY_AXIS_TIME) {
        double ms = (h->hold_time - tally_store_info(st)->start_time) * 1000;
        if (ms < (double)end)
            end = (int64_t)ms;
    } else if (h && h->hold_step < end) {
        end = h->hold_step < 0 ? 0 : h->hold_step;
    }
    *d0 = x->base;
    *d1 = x->base + (double)end * x->scale;
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
 * each placed at the middle of the points it holds; raw (may be NULL)
 * gets each point's bucket as the store returned it. */
static size_t fetch(const tui_grid_spec *spec, tally_store *st, const tally_metric_info *m,
                    const xmap *x, double v0, double v1, int nb, chart_point *out,
                    tally_bucket *raw)
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
            p->x = p->x0 = p->x1 = carry;
        } else {
            p->x = x->base + (double)(b[i].x_first + b[i].x_last) / 2 * x->scale;
            p->x0 = x->base + (double)b[i].x_first * x->scale;
            p->x1 = x->base + (double)b[i].x_last * x->scale;
        }
        if (raw)
            raw[n] = b[i];
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

/* One series of a chart: a metric of a run, and how its x maps. */
typedef struct chart_job {
    const tally_metric_info *m;
    xmap x;
    size_t run;
    const char *name;
} chart_job;

/* ---- the cursor legend ---- */

/* The logged point of bucket b nearest the raw x target (exact, as
 * logged: a bucket of many points is read back from the store). */
static int exact_point(tally_store *st, const tally_metric_info *m, const tally_bucket *b,
                       double target, int64_t *x, double *y)
{
    if (b->n == 1) {
        *x = b->x_first;
        *y = b->y_first;
        return 1;
    }
    tally_points *pt;
    if (tally_points_open(st, m->id, b->x_first, b->x_last, &pt) != 0)
        return 0;
    int64_t px;
    double py, best = INFINITY;
    int found = 0;
    while (tally_points_next(pt, &px, &py) == 1) {
        double d = fabs((double)px - target);
        if (d < best) {
            best = d;
            *x = px;
            *y = py;
            found = 1;
        } else if ((double)px > target) {
            break;
        }
    }
    tally_points_close(pt);
    return found;
}

/* The value a metric (by name) logged at exactly step x. */
static int value_at(tally_store *st, const char *name, int64_t x, double *y)
{
    const tally_metric_info *m = tally_store_find_metric(st, name);
    tally_points *pt;
    if (!m || tally_points_open(st, m->id, x, x, &pt) != 0)
        return 0;
    int64_t px;
    int found = tally_points_next(pt, &px, y) == 1;
    tally_points_close(pt);
    return found;
}

typedef struct legend_line {
    char text[200];
    int color;
} legend_line;

/* A series' legend line: its label, then the value logged nearest the
 * cursor's x cx (and the smoothed line's there, when smooth); "-" where
 * the series has no point within a column (col_w) of it.  raw holds the
 * series' buckets as the store returned them.  1 when there is a value,
 * its step in *rx. */
static int legend_value(legend_line *l, const char *label, tally_store *st, const chart_job *jb,
                        const chart_series *se, const tally_bucket *raw, double cx, double col_w,
                        double smooth, int64_t *rx)
{
    l->color = se->color;
    int n = snprintf(l->text, sizeof l->text, "%s", label);
    if (n < 0 || (size_t)n >= sizeof l->text)
        return 0;
    size_t room = sizeof l->text - (size_t)n;
    if (se->n == 0 || cx < se->pts[0].x0 - col_w || cx > se->pts[se->n - 1].x1 + col_w) {
        snprintf(l->text + n, room, "  -");
        return 0;
    }
    size_t i = chart_nearest(se->pts, se->n, cx);
    const xmap *x = &jb->x;
    double target = x->src ? (double)raw[i].x_last : (cx - x->base) / x->scale, ry;
    if (!exact_point(st, jb->m, &raw[i], target, rx, &ry)) {
        snprintf(l->text + n, room, "  -");
        return 0;
    }
    char v[VALFMT_MAX], sv[VALFMT_MAX];
    int m = snprintf(l->text + n, room, "  %s", valfmt(v, ry, 6));
    double *sm = smooth > 0 && m > 0 && (size_t)m < room ? malloc((se->n + 1) * sizeof *sm) : NULL;
    if (sm) {
        chart_smoothed(se, smooth, sm);
        snprintf(l->text + n + m, room - (size_t)m, "  smoothed %s", valfmt(sv, sm[i], 6));
        free(sm);
    }
    return 1;
}

/* What the legend says of x: the step (and the step metric's value) and
 * the run's time there, or the sample's time on a time axis. */
static void legend_x(char *out, size_t size, tally_store *st, const tally_metric_info *m,
                     const xmap *x, int64_t rx)
{
    char t[32] = "", v[VALFMT_MAX];
    const tally_run_info *info = tally_store_info(st);
    if (m->axis == TALLY_AXIS_TIME) {
        numfmt_duration(t, sizeof t, (double)rx / 1000);
        time_t wall = (time_t)(info->start_time + (double)rx / 1000);
        struct tm tm;
        char clock[16] = "";
        if (localtime_r(&wall, &tm))
            strftime(clock, sizeof clock, "%H:%M:%S", &tm);
        snprintf(out, size, "time %s  %s", t, clock);
        return;
    }
    double rt;
    if (value_at(st, "_runtime", rx, &rt))
        numfmt_duration(t, sizeof t, rt);
    int n = snprintf(out, size, "step %lld", (long long)rx);
    double sv;
    if (x->src && strcmp(x->src->name, "_runtime") != 0 &&
        strcmp(x->src->name, "_timestamp") != 0 && value_at(st, x->src->name, rx, &sv) && n > 0 &&
        (size_t)n < size)
        n += snprintf(out + n, size - (size_t)n, "  %s %s", x->src->name, valfmt(v, sv, 6));
    if (t[0] && n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, "  %s", t);
}

/* A box of lines at the top of the plot, on the side away from the
 * cursor, so the line under it stays visible. */
static void draw_legend(canvas *c, canvas_rect pr, int cursor_col, const legend_line *l, int n)
{
    int w = 0;
    for (int i = 0; i < n; i++) {
        int tw = canvas_text_width(c, l[i].text) + 2;
        w = tw > w ? tw : w;
    }
    if (w > pr.w)
        w = pr.w;
    if (n > pr.h)
        n = pr.h;
    int x = cursor_col < pr.w / 2 ? pr.x + pr.w - w : pr.x;
    for (int i = 0; i < n; i++) {
        canvas_fill(c, (canvas_rect){x, pr.y + i, w, 1}, ' ', 0, 0);
        canvas_text(c, x, pr.y + i, 2,
                    i == 0     ? " "
                    : c->ascii ? "- "
                               : "\xe2\x94\x81 ",
                    l[i].color, CANVAS_BOLD);
        canvas_text(c, x + 2, pr.y + i, w - 2, l[i].text, i == 0 ? CANVAS_YELLOW : 0,
                    i == 0 ? CANVAS_BOLD : 0);
    }
}

/* ---- one chart ---- */

/* Every series of the chart has the same kind of x (the same step
 * metric, or none). */
static int same_x(const chart_job *jobs, size_t nj)
{
    for (size_t k = 1; k < nj; k++) {
        const tally_metric_info *a = jobs[0].x.src, *b = jobs[k].x.src;
        if (jobs[k].m->axis != jobs[0].m->axis || !a != !b || (a && strcmp(a->name, b->name) != 0))
            return 0;
    }
    return 1;
}

/* Compare grouped: the jobs' series (series[0..nj), each in pts' nb-point
 * slot of its index) merged group by group into two series a group, its
 * min-max band (dim) under its mean, written to series[nj..] with their
 * points in pts after the jobs' njmax + 1 slots.  Returns how many. */
static size_t group_series(const tui_grid_spec *spec, const chart_job *jobs, size_t nj,
                           chart_series *series, chart_point *pts, size_t njmax, double v0,
                           double v1, int nb)
{
    const chart_point **gp = calloc(nj + 1, sizeof *gp);
    size_t *gn = calloc(nj + 1, sizeof *gn), out = 0;
    if (!gp || !gn) {
        free(gp);
        free(gn);
        return 0;
    }
    for (size_t g = 0; g < spec->ngroups && 2 * g + 1 < 2 * njmax + 1; g++) {
        size_t m = 0;
        for (size_t k = 0; k < nj; k++)
            if (spec->group_of[jobs[k].run] == (int)g) {
                gp[m] = series[k].pts;
                gn[m++] = series[k].n;
            }
        chart_point *band = pts + (njmax + 1 + 2 * g) * (size_t)nb, *mean = band + nb;
        size_t n = groups_merge(gp, gn, m, v0, v1, (size_t)nb, band, mean);
        if (n == 0)
            continue;
        series[nj + out++] = (chart_series){band, n, spec->group_colors[g], 1};
        series[nj + out++] = (chart_series){mean, n, spec->group_colors[g], 0};
    }
    free(gp);
    free(gn);
    return out;
}

static void draw_panel(canvas *c, canvas_rect r, const tui_grid_spec *spec, const panel *pn,
                       int index, int selected, int focus)
{
    tui_charts *ch = spec->charts;
    /* A key holding objects (images, histograms, ...) draws as a media
     * panel, from the first run that has it. */
    for (size_t k = 0; pn->n == 1 && k < spec->nruns; k++) {
        const tally_metric_info *m = tally_store_find_metric(spec->runs[k].store, pn->name[0]);
        if (m && m->media) {
            imgdraw_opts img = {.symbols = spec->ascii ? TERMCAPS_SYM_ASCII : spec->symbols,
                                .colors = spec->colors ? spec->colors : 256};
            mediapanel_draw(c, r, spec->runs[k].store, m, selected, &img);
            return;
        }
        if (m)
            break;
    }
    size_t nr = spec->nruns, nj = 0, njmax = nr * (size_t)pn->n;
    chart_job *jobs = calloc(njmax + 1, sizeof *jobs);
    /* The jobs' series, then (compare, grouped) two series a group. */
    chart_series *series = calloc(3 * njmax + 1, sizeof *series);
    chart_point *pts = NULL;
    tally_bucket *raw = NULL;
    if (!jobs || !series)
        goto done;
    double d0 = INFINITY, d1 = -INFINITY;
    axis_kind kind = AXIS_NUMBER;
    const char *x_title = NULL;
    for (int j = 0; j < pn->n; j++)
        for (size_t k = 0; k < nr; k++) {
            const tally_metric_info *m = tally_store_find_metric(spec->runs[k].store, pn->name[j]);
            if (!m)
                continue;
            chart_job *jb = &jobs[nj++];
            *jb = (chart_job){m, xmap_of(spec->runs[k].store, m, ch->xmode), k, pn->name[j]};
            if (!x_title) {
                kind = jb->x.kind;
                x_title = jb->x.title;
            }
            double a, b;
            domain(spec, &spec->runs[k], m, &jb->x, &a, &b);
            d0 = fmin(d0, a);
            d1 = fmax(d1, b);
        }
    /* An overlay of metrics on different step metrics shares _step. */
    if (nj > 1 && ch->xmode == XMODE_STEP && !same_x(jobs, nj)) {
        d0 = INFINITY, d1 = -INFINITY;
        for (size_t k = 0; k < nj; k++) {
            jobs[k].x = xmap_of(spec->runs[jobs[k].run].store, jobs[k].m, XMODE_RAW_STEP);
            double a, b;
            domain(spec, &spec->runs[jobs[k].run], jobs[k].m, &jobs[k].x, &a, &b);
            d0 = fmin(d0, a);
            d1 = fmax(d1, b);
        }
        kind = jobs[0].x.kind;
        x_title = jobs[0].x.title;
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
    for (size_t k = 0; k < nj; k++) {
        const tally_metric_info *m = jobs[k].m;
        if (isfinite(m->y_min) && isfinite(m->y_max)) {
            double a = m->y_min, b = m->y_max;
            if (ch->log_y) {
                a = a > 0 ? log10(a) : (b > 0 ? log10(b) - 1 : NAN);
                b = b > 0 ? log10(b) : NAN;
            }
            if (isfinite(a) && isfinite(b)) {
                ylo = fmin(ylo, a);
                yhi = fmax(yhi, b);
            }
        }
    }
    int gutter = ylo <= yhi ? chart_gutter(r, &o, ylo, yhi) : 0;
    int nb = 2 * (r.w - gutter);
    if (nb < 2)
        nb = 2;
    /* The jobs' points, then (grouped) two series a group. */
    pts = malloc((3 * njmax + 1) * (size_t)nb * sizeof *pts);
    raw = focus ? malloc((njmax + 1) * (size_t)nb * sizeof *raw) : NULL;
    if (!pts)
        goto done;
    for (size_t k = 0; k < nj; k++) {
        chart_point *p = pts + k * (size_t)nb;
        size_t n = fetch(spec, spec->runs[jobs[k].run].store, jobs[k].m, &jobs[k].x, v0, v1, nb, p,
                         raw ? raw + k * (size_t)nb : NULL);
        /* Compare gives each run its own colour (palette.h), kept while
         * others are hidden. */
        int own = spec->runs[jobs[k].run].color;
        int color = nr > 1 && pn->n > 1 ? run_colors[k % 6]
                    : nr > 1            ? (own ? own : run_colors[jobs[k].run % 6])
                                        : run_colors[(index + (int)k) % 6];
        series[k] = (chart_series){p, n, color, 0};
    }
    /* Grouped (compare, one metric a chart): each group's mean over its
     * min-max band is drawn in place of its runs. */
    chart_series *drawn = series;
    size_t ndrawn = nj;
    if (spec->group_of && pn->n == 1 && nj > 0) {
        ndrawn = group_series(spec, jobs, nj, series, pts, njmax, v0, v1, nb);
        drawn = series + nj;
    }
    char value[VALFMT_MAX] = "", title[300] = "";
    if (nr == 1 && pn->n == 1 && nj == 1 && jobs[0].m->n > 0)
        valfmt(value, jobs[0].m->y_last, 4);
    for (int j = 0, used = 0; j < pn->n && used < (int)sizeof title - 1; j++)
        used += snprintf(title + used, sizeof title - (size_t)used, "%s%s", j ? " + " : "",
                         pn->name[j]);
    if (tui_names_find(&ch->marked, pn->key) >= 0) {
        char t[300];
        snprintf(t, sizeof t, "* %s", title);
        snprintf(title, sizeof title, "%s", t);
    }
    o = (chart_opts){.title = title,
                     .value = value,
                     .x_lo = v0,
                     .x_hi = v1,
                     .x_kind = kind,
                     .log_y = ch->log_y,
                     .smooth = ch->smooth,
                     .axes = focus,
                     .selected = selected,
                     .gutter = gutter,
                     .y_limits = ch->y_limits,
                     .y_lo = ch->y_lo,
                     .y_hi = ch->y_hi,
                     .ignore_outliers = ch->outliers,
                     .x_title = x_title,
                     .y_title = unit_of(pn->name[0])};
    canvas_rect pr = chart_plot_rect(r, drawn, ndrawn, &o);
    if (focus && ch->cursor && pr.w > 0) {
        if (ch->cursor_col >= pr.w)
            ch->cursor_col = pr.w - 1;
        if (ch->cursor_col < 0)
            ch->cursor_col = 0;
        ch->plot_w = pr.w;
        o.cursor = 1;
        o.cursor_col = ch->cursor_col;
    }
    chart_draw(c, r, drawn, ndrawn, &o);
    if (!o.cursor || !raw)
        goto done;

    /* The legend: x at the cursor, then each series' exact value at the
     * logged point nearest it, and its smoothed value. */
    legend_line lines[1 + PANEL_MAX * 16];
    int nl = 1, have_x = 0;
    double cx = chart_x_of_col(o.cursor_col, pr.w, v0, v1), col_w = (v1 - v0) / pr.w;
    snprintf(lines[0].text, sizeof lines[0].text, "-");
    lines[0].color = CANVAS_YELLOW;
    for (size_t k = 0; k < nj && nl < (int)(sizeof lines / sizeof *lines); k++) {
        int64_t rx;
        tally_store *st = spec->runs[jobs[k].run].store;
        const char *label = jobs[k].name;
        char both[300];
        if (nr > 1) {
            const tally_run_info *in = tally_store_info(st);
            const char *run_name = in->name && *in->name ? in->name : in->id;
            snprintf(both, sizeof both, "%s %s", run_name, jobs[k].name);
            label = pn->n > 1 ? both : run_name;
        }
        if (legend_value(&lines[nl++], label, st, &jobs[k], &series[k], raw + k * (size_t)nb, cx,
                         col_w, ch->smooth, &rx) &&
            !have_x) {
            legend_x(lines[0].text, sizeof lines[0].text, st, jobs[k].m, &jobs[k].x, rx);
            have_x = 1;
        }
    }
    draw_legend(c, pr, o.cursor_col, lines, nl);
done:
    free(jobs);
    free(series);
    free(pts);
    free(raw);
}

/* ---- the grid: sections, pages ---- */

/* Charts group into sections by the key's prefix, as wandb's workspace
 * does: "train/loss" is in "train"; a system metric by its kind
 * ("system.gpu.0.temp" in "gpu"); overlays and pinned charts in "pinned",
 * first; names with no prefix in "charts".  Keys starting with '*' are
 * ours, so no metric prefix can collide with them. */
#define SECTION_PINNED "*pinned"
#define SECTION_OTHER "*charts"

typedef struct section {
    char key[128];
    int count; /* charts in it */
    int collapsed;
} section;

typedef struct item {
    int panel;   /* index into the panels, -1: the section's header */
    int section; /* index into the sections */
} item;

static void section_key(const char *name, int system, char *key, size_t size)
{
    const char *p = name;
    size_t len;
    if (system && (strncmp(name, "system.", 7) == 0 || strncmp(name, "system/", 7) == 0)) {
        p = name + 7;
        len = strcspn(p, "./");
    } else {
        const char *slash = strchr(name, '/');
        if (!slash) {
            snprintf(key, size, "%s", SECTION_OTHER);
            return;
        }
        len = (size_t)(slash - name);
    }
    snprintf(key, size, "%.*s", (int)len, p);
}

static const char *section_label(const char *key)
{
    return strcmp(key, SECTION_PINNED) == 0  ? "pinned"
           : strcmp(key, SECTION_OTHER) == 0 ? "charts"
                                             : key;
}

/* The items in grid order: each section's header (when there is more
 * than one section), then its charts unless it is collapsed.  Returns the
 * number of items; *secs and *nsecs the sections. */
static int items_of(const tui_grid_spec *spec, const panel *pn, int np, int npinned, item **out,
                    section **secs, int *nsecs)
{
    const tui_charts *ch = spec->charts;
    section *sec = calloc((size_t)np + 1, sizeof *sec);
    int *of = calloc((size_t)np + 1, sizeof *of);
    item *it = calloc(2 * (size_t)np + 1, sizeof *it);
    int ns = 0, n = 0;
    *out = it;
    *secs = sec;
    *nsecs = 0;
    if (!sec || !of || !it) {
        free(of);
        return 0;
    }
    for (int i = 0; i < np; i++) {
        char key[128];
        if (i < npinned)
            snprintf(key, sizeof key, "%s", SECTION_PINNED);
        else
            section_key(pn[i].name[0], spec->system, key, sizeof key);
        int k = 0;
        while (k < ns && strcmp(sec[k].key, key) != 0)
            k++;
        if (k == ns) {
            snprintf(sec[ns].key, sizeof sec[ns].key, "%s", key);
            sec[ns].collapsed = ch->collapsed.n && tui_names_find(&ch->collapsed, key) >= 0;
            ns++;
        }
        sec[k].count++;
        of[i] = k;
    }
    for (int k = 0; k < ns; k++) {
        if (ns > 1)
            it[n++] = (item){-1, k};
        if (ns > 1 && sec[k].collapsed)
            continue;
        for (int i = 0; i < np; i++)
            if (of[i] == k)
                it[n++] = (item){i, k};
    }
    free(of);
    *nsecs = ns;
    return n;
}

/* Lays out items from first on in area: a header takes a row, charts go
 * cols to a row of h rows; the last row of a page may be shorter, down to
 * two thirds of h (never below the readable minimum), rather than leave
 * the rest of the page blank.  Returns how many fit (at least one, and at
 * least one chart when any follows); out[] gets their rectangles. */
static int page_layout(const item *it, int n, int first, canvas_rect area, int cols, int h,
                       canvas_rect *out)
{
    int hmin = 2 * h / 3 > LAYOUT_MIN_CHART_H ? 2 * h / 3 : LAYOUT_MIN_CHART_H;
    if (hmin > h)
        hmin = h;
    int y = area.y, col = 0, k = 0, placed = 0, rh = h, bottom = area.y + area.h;
    for (int i = first; i < n; i++, k++) {
        if (it[i].panel < 0) {
            if (col > 0)
                y += rh, col = 0;
            /* A header needs a row, and room under it for its first charts. */
            int need = 1 + (i + 1 < n && it[i + 1].panel >= 0 ? hmin : 0);
            if (k > 0 && y + need > bottom)
                break;
            out[k] = (canvas_rect){area.x, y, area.w, 1};
            y++;
            continue;
        }
        if (col == 0) {
            /* A row that does not fit goes to the next page, unless the
             * page has no chart yet: then it is drawn shorter. */
            if (placed > 0 && y + hmin > bottom)
                break;
            if (y >= bottom)
                break;
            rh = y + h > bottom ? bottom - y : h;
        }
        placed++;
        /* As layout_grid_cell: one blank column between charts. */
        int x0 = area.x + col * area.w / cols, x1 = area.x + (col + 1) * area.w / cols;
        int gap = col < cols - 1 ? 1 : 0;
        out[k] = (canvas_rect){x0, y, x1 - x0 - gap, rh};
        if (++col == cols)
            col = 0, y += rh;
    }
    return k > 0 ? k : 1;
}

static void draw_header(canvas *c, canvas_rect r, const section *s, int selected)
{
    char line[200];
    snprintf(line, sizeof line, "%s %s (%d)",
             s->collapsed ? (c->ascii ? ">" : "\xe2\x96\xb8") : (c->ascii ? "v" : "\xe2\x96\xbe"),
             section_label(s->key), s->count);
    unsigned attr = CANVAS_BOLD | (selected ? CANVAS_REVERSE : 0);
    int used = canvas_text(c, r.x, r.y, r.w, line, CANVAS_CYAN, attr);
    if (used + 1 < r.w)
        canvas_hline(c, r.x + used + 1, r.y, r.w - used - 1, CANVAS_CYAN, CANVAS_DIM);
}

void view_charts_draw(canvas *c, canvas_rect r, const tui_grid_spec *spec)
{
    tui_charts *ch = spec->charts;
    const char **names;
    size_t nn = collect(spec, &names);
    panel *pn;
    char **split;
    int np = (int)panels_of(spec, names, nn, &pn, &split);
    int npinned = 0;
    while (npinned < np &&
           (strchr(pn[npinned].key, '\n') || tui_names_find(&ch->pinned, pn[npinned].key) >= 0))
        npinned++;
    item *it = NULL;
    section *sec = NULL;
    canvas_rect *rects = NULL;
    int nsec = 0, n = np ? items_of(spec, pn, np, npinned, &it, &sec, &nsec) : 0;
    ch->nmetrics = n;
    ch->selected[0] = ch->pair[0] = ch->section[0] = 0;
    ch->on_header = 0;
    if (n == 0) {
        const char *msg = spec->filter && spec->filter->active ? "no metric matches the filter"
                          : spec->system                       ? "no system metrics (yet)"
                                                               : "no metrics logged yet";
        canvas_text(c, r.x + 1, r.y + r.h / 2, r.w - 2, msg, CANVAS_DEFAULT, CANVAS_DIM);
        ch->per_page = ch->pages = 1;
        ch->page = ch->sel = 0;
        goto done;
    }
    /* The selection: a section asked for, else clamped; focus steps over
     * headers in the direction of the last move. */
    if (ch->go_section[0] || ch->go_chart) {
        for (int i = 0; i < n; i++)
            if ((!ch->go_section[0] || strcmp(sec[it[i].section].key, ch->go_section) == 0) &&
                (!ch->go_chart || it[i].panel >= 0)) {
                ch->sel = i;
                break;
            }
        ch->go_section[0] = 0;
        ch->go_chart = 0;
    }
    if (ch->sel >= n)
        ch->sel = n - 1;
    if (ch->sel < 0)
        ch->sel = 0;
    if (ch->focus && it[ch->sel].panel < 0) {
        int d = ch->dir < 0 ? -1 : 1, i = ch->sel;
        while (i >= 0 && i < n && it[i].panel < 0)
            i += d;
        if (i < 0 || i >= n)
            for (i = ch->sel; i >= 0 && i < n && it[i].panel < 0; i -= d)
                ;
        if (i >= 0 && i < n)
            ch->sel = i;
        else
            ch->focus = 0; /* every section is collapsed */
    }
    const item *sel = &it[ch->sel];
    snprintf(ch->section, sizeof ch->section, "%s", sec[sel->section].key);
    ch->on_header = sel->panel < 0;
    if (sel->panel >= 0) {
        const panel *sp = &pn[sel->panel];
        snprintf(ch->selected, sizeof ch->selected, "%s", sp->key);
        char partner[256];
        const char *pair =
            sp->n == 1 ? pair_of(sp->name[0], names, nn, partner, sizeof partner) : NULL;
        snprintf(ch->pair, sizeof ch->pair, "%s", pair ? pair : "");
    }
    if (ch->focus) {
        ch->per_page = 1;
        ch->page = 0;
        ch->pages = 1;
        draw_panel(c, r, spec, &pn[sel->panel], sel->panel, 0, 1);
        goto done;
    }
    /* Pages: the chart size of a grid for the visible charts in the room
     * the headers leave, then as many items as fit, page after page. */
    int charts = 0, headers = 0;
    for (int i = 0; i < n; i++)
        charts += it[i].panel >= 0, headers += it[i].panel < 0;
    layout_grid g = layout_grid_of(r, charts > 0 ? charts : 1);
    int h = r.h / g.rows;
    if (headers) {
        /* Each section starts a row: when everything fits at a readable
         * size, shrink the charts so it does. */
        int rows = 0;
        for (int k = 0; k < nsec; k++)
            rows += sec[k].collapsed ? 0 : (sec[k].count + g.cols - 1) / g.cols;
        int fit = rows > 0 ? (r.h - headers) / rows : h;
        if (fit < h && fit >= LAYOUT_MIN_CHART_H)
            h = fit;
    }
    rects = malloc((size_t)n * sizeof *rects);
    if (!rects)
        goto done;
    int first = 0, page = 0, count = page_layout(it, n, 0, r, g.cols, h, rects);
    ch->prev_page = 0;
    while (first + count <= ch->sel) {
        ch->prev_page = first;
        first += count;
        page++;
        count = page_layout(it, n, first, r, g.cols, h, rects);
    }
    int pages = page + 1;
    for (int f = first + count; f < n; pages++)
        f += page_layout(it, n, f, r, g.cols, h, rects);
    count = page_layout(it, n, first, r, g.cols, h, rects); /* this page's, again */
    ch->page = page;
    ch->pages = pages;
    ch->next_page = first + count < n ? first + count : first;
    ch->per_page = 0;
    for (int k = 0; k < count; k++) {
        const item *x = &it[first + k];
        if (x->panel < 0) {
            draw_header(c, rects[k], &sec[x->section], first + k == ch->sel);
            continue;
        }
        ch->per_page++;
        draw_panel(c, rects[k], spec, &pn[x->panel], x->panel, first + k == ch->sel && n > 1, 0);
    }
done:
    for (size_t i = 0; i < ch->overlays.n && split; i++)
        free(split[i]);
    free(split);
    free(rects);
    free(it);
    free(sec);
    free(pn);
    free(names);
}

/* Selects, at the next frame, the section's header (chart: its first
 * chart, when one shows). */
static void go_to(tui_charts *ch, const char *key, int chart)
{
    snprintf(ch->go_section, sizeof ch->go_section, "%s", key);
    ch->go_chart = chart;
}

static void toggle_section(tui_charts *ch)
{
    if (!ch->section[0])
        return;
    if (tui_names_find(&ch->collapsed, ch->section) >= 0)
        tui_names_remove(&ch->collapsed, ch->section);
    else
        tui_names_add(&ch->collapsed, ch->section);
    ch->focus = 0;
    go_to(ch, ch->section, 0);
}

/* m, M, P: the selected chart's marks, overlays and pins. */
static void arrange(tui_charts *ch, keymap_action a)
{
    const char *sel = ch->selected;
    if (!sel[0])
        return;
    if (a == ACT_MARK) {
        if (tui_names_find(&ch->marked, sel) >= 0)
            tui_names_remove(&ch->marked, sel);
        else if (!strchr(sel, '\n'))
            tui_names_add(&ch->marked, sel);
    } else if (a == ACT_PIN) {
        if (tui_names_find(&ch->pinned, sel) >= 0)
            tui_names_remove(&ch->pinned, sel);
        else if (!strchr(sel, '\n'))
            tui_names_add(&ch->pinned, sel);
        go_to(ch, SECTION_PINNED, 1);
    } else if (a == ACT_OVERLAY) {
        if (tui_names_find(&ch->overlays, sel) >= 0) {
            tui_names_remove(&ch->overlays, sel);
            return;
        }
        /* The marked charts (the selected one first when it is not
         * marked), or the selected one with its train/val pair. */
        char key[1400] = "";
        size_t used = 0;
        int count = 0;
        if (ch->marked.n > 0) {
            if (tui_names_find(&ch->marked, sel) < 0 && !strchr(sel, '\n'))
                used += (size_t)snprintf(key, sizeof key, "%s", sel), count++;
            for (size_t i = 0; i < ch->marked.n && count < PANEL_MAX && used < sizeof key;
                 i++, count++)
                used += (size_t)snprintf(key + used, sizeof key - used, "%s%s", used ? "\n" : "",
                                         ch->marked.v[i]);
        } else if (ch->pair[0]) {
            used = (size_t)snprintf(key, sizeof key, "%s\n%s", sel, ch->pair);
            count = 2;
        }
        if (count < 2 || used >= sizeof ch->selected)
            return; /* the key must fit tui_charts.selected */
        tui_names_add(&ch->overlays, key);
        tui_names_free(&ch->marked);
        go_to(ch, SECTION_PINNED, 1); /* overlays come first */
    }
}

static void move_cursor(tui_charts *ch, keymap_action a)
{
    ch->focus = 1;
    if (!ch->cursor) {
        /* It appears at the newest point, where the eye already is. */
        ch->cursor = 1;
        ch->cursor_col = INT_MAX / 2;
        return;
    }
    int d = a == ACT_CURSOR_LEFT        ? -1
            : a == ACT_CURSOR_RIGHT     ? 1
            : a == ACT_CURSOR_LEFT_FAST ? -10
                                        : 10;
    if (ch->cursor_col > ch->plot_w - 1)
        ch->cursor_col = ch->plot_w - 1;
    ch->cursor_col += d;
    if (ch->cursor_col < 0)
        ch->cursor_col = 0;
}

void view_charts_nav(tui_charts *ch, keymap_action a)
{
    int last = ch->nmetrics > 0 ? ch->nmetrics - 1 : 0;
    switch (a) {
    case ACT_UP:
        ch->dir = -1;
        if (ch->sel > 0)
            ch->sel--;
        break;
    case ACT_DOWN:
        ch->dir = 1;
        if (ch->sel < last)
            ch->sel++;
        break;
    case ACT_PAGE_NEXT: ch->sel = ch->next_page, ch->dir = 1; break;
    case ACT_PAGE_PREV: ch->sel = ch->prev_page, ch->dir = 1; break;
    case ACT_TOP: ch->sel = 0, ch->dir = 1; break;
    case ACT_BOTTOM: ch->sel = last, ch->dir = -1; break;
    case ACT_ENTER:
        if (ch->on_header && !ch->focus)
            toggle_section(ch);
        else
            ch->focus = !ch->focus;
        break;
    case ACT_SECTION: toggle_section(ch); break;
    case ACT_CURSOR_LEFT:
    case ACT_CURSOR_RIGHT:
    case ACT_CURSOR_LEFT_FAST:
    case ACT_CURSOR_RIGHT_FAST: move_cursor(ch, a); break;
    case ACT_MARK:
    case ACT_PIN:
    case ACT_OVERLAY: arrange(ch, a); break;
    case ACT_OUTLIERS: ch->outliers = !ch->outliers; break;
    default: tui_charts_action(ch, a); break;
    }
}

/* Esc in a chart grid: hide the cursor, leave focus, then drop the filter,
 * then go back. */
int view_charts_back(tui_charts *ch, tui_filter *f)
{
    if (ch->cursor) {
        ch->cursor = 0;
        return 1;
    }
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

void view_charts_hint(const tui_charts *ch, const tui_grid_spec *spec, char *out, size_t size)
{
    int pages = ch->pages;
    /* The x axis by its name: the selected chart's step metric, say. */
    const char *xname = tui_xmode_name(ch->xmode);
    if (ch->xmode == XMODE_STEP && spec->nruns > 0 && ch->selected[0] &&
        !strchr(ch->selected, '\n')) {
        const tally_metric_info *m = tally_store_find_metric(spec->runs[0].store, ch->selected);
        if (m && m->axis == TALLY_AXIS_TIME)
            xname = "time";
        else if (m && m->step_metric &&
                 tally_store_find_metric(spec->runs[0].store, m->step_metric))
            xname = m->step_metric;
    }
    char sm[16] = "off", lim[80] = "", a[VALFMT_MAX], b[VALFMT_MAX];
    if (ch->smooth > 0)
        snprintf(sm, sizeof sm, "%.2g", ch->smooth);
    if (ch->y_limits)
        snprintf(lim, sizeof lim, "  y %s..%s",
                 ch->y_limits & CHART_Y_LO ? valfmt(a, ch->y_lo, 4) : "",
                 ch->y_limits & CHART_Y_HI ? valfmt(b, ch->y_hi, 4) : "");
    char pair[300] = "";
    if (ch->pair[0])
        snprintf(pair, sizeof pair, "  M +%s", ch->pair);
    snprintf(out, size, " page %d/%d  x:%s  zoom %.3gx%s  smooth %s%s%s%s%s%s%s  %s  ? help",
             ch->page + 1, pages < 1 ? 1 : pages, xname, 1 / (ch->f1 - ch->f0),
             ch->hold ? " held (F follow)" : "", sm, ch->log_y ? "  log-y" : "",
             ch->outliers ? "  no outliers" : "", lim,
             spec->filter && spec->filter->active ? "  /" : "",
             spec->filter && spec->filter->active ? spec->filter->text : "", pair,
             ch->cursor  ? "[ ] cursor  Esc hide"
             : ch->focus ? "Esc grid"
                         : "Enter focus");
}
