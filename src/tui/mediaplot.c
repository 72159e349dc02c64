/*
 * mediaplot.c — custom plots, confusion matrices and waveforms as chart
 * series (see mediaplot.h).  Everything is drawn by chart.c: a scatter is
 * buckets with no join values, a bar a bucket from 0 spanning its width.
 */
#include "tui/mediaplot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "tally.h"

/* The column a preset's field reads: fields_json's mapping, else the
 * field's own name; -1 when the table has no such column. */
static long field_col(const tablemodel *t, const char *fields_json, const char *field)
{
    const char *name = field;
    cJSON *f = fields_json ? json_parse(fields_json) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, field);
    if (cJSON_IsString(v))
        name = v->valuestring;
    long col = -1;
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->header[c], name) == 0) {
            col = (long)c;
            break;
        }
    cJSON_Delete(f);
    return col;
}

void mediaplot_free(mediaplot *p)
{
    for (size_t i = 0; i < p->nseries; i++) {
        free(p->name[i]);
        free(p->pts[i]);
    }
    for (size_t i = 0; i < p->nlabels; i++)
        free(p->labels[i]);
    free(p->labels);
    memset(p, 0, sizeof *p);
}

/* The series named name (a class, a stroke), added when new; -1 past the cap. */
static int series_of(mediaplot *p, const char *name, size_t cap)
{
    for (size_t i = 0; i < p->nseries; i++)
        if (strcmp(p->name[i], name) == 0)
            return (int)i;
    if (p->nseries == MEDIAPLOT_MAX_SERIES)
        return -1;
    size_t i = p->nseries;
    p->name[i] = strdup(name);
    p->pts[i] = calloc(cap + 1, sizeof *p->pts[i]);
    if (!p->name[i] || !p->pts[i]) {
        free(p->name[i]);
        free(p->pts[i]);
        return -2;
    }
    p->nseries++;
    return (int)i;
}

static int pt_cmp(const void *a, const void *b)
{
    double x = ((const chart_point *)a)->x, y = ((const chart_point *)b)->x;
    return x < y ? -1 : x > y;
}

static chart_point point(double x, double y, int joined)
{
    double j = joined ? y : NAN;
    return (chart_point){x, y, y, j, j, x, x};
}

static void widen(mediaplot *p, double lo, double hi)
{
    if (lo < p->x_lo)
        p->x_lo = lo;
    if (hi > p->x_hi)
        p->x_hi = hi;
}

/* x / y (/ class) points of a table, a series per distinct class value. */
static int build_xy(mediaplot *p, const tablemodel *t, long cx, long cy, long cclass, int joined)
{
    p->x_lo = INFINITY;
    p->x_hi = -INFINITY;
    for (size_t i = 0; i < t->nrows; i++) {
        double x = t->num[i * t->ncols + (size_t)cx], y = t->num[i * t->ncols + (size_t)cy];
        if (isnan(x) || isnan(y)) {
            p->dropped++;
            continue;
        }
        const char *cls = cclass >= 0 ? t->text[i * t->ncols + (size_t)cclass] : "";
        int s = series_of(p, cls, t->nrows);
        if (s == -2)
            return TALLY_ENOMEM;
        if (s < 0) {
            p->dropped++;
            continue;
        }
        p->pts[s][p->n[s]++] = point(x, y, joined);
        widen(p, x, x);
    }
    for (size_t s = 0; s < p->nseries; s++)
        qsort(p->pts[s], p->n[s], sizeof *p->pts[s], pt_cmp);
    if (!(p->x_hi > p->x_lo)) {
        double x = isfinite(p->x_lo) ? p->x_lo : 0;
        p->x_lo = x - 0.5;
        p->x_hi = x + 0.5;
    }
    return 0;
}

static int build_bars(mediaplot *p, const tablemodel *t, long clabel, long cvalue)
{
    p->bars = 1;
    p->labels = calloc(t->nrows + 1, sizeof *p->labels);
    int s = series_of(p, "", t->nrows);
    if (!p->labels || s < 0)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < t->nrows; i++) {
        double v = t->num[i * t->ncols + (size_t)cvalue];
        if (isnan(v)) {
            p->dropped++;
            continue;
        }
        double x = (double)p->nlabels;
        p->labels[p->nlabels++] = strdup(t->text[i * t->ncols + (size_t)clabel]);
        p->pts[s][p->n[s]++] = (chart_point){x, v < 0 ? v : 0, v > 0 ? v : 0, NAN, NAN,
                                             x - 0.3, x + 0.3};
    }
    p->x_lo = -0.5;
    p->x_hi = (double)(p->nlabels ? p->nlabels : 1) - 0.5;
    return 0;
}

static int build_histogram(mediaplot *p, const tablemodel *t, long cvalue)
{
    enum { NBINS = 20 };
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < t->nrows; i++) {
        double v = t->num[i * t->ncols + (size_t)cvalue];
        if (isfinite(v)) {
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        } else {
            p->dropped++;
        }
    }
    int s = series_of(p, "", NBINS);
    if (s < 0)
        return TALLY_ENOMEM;
    if (!(hi >= lo)) {
        p->x_lo = 0, p->x_hi = 1;
        return 0;
    }
    if (hi == lo)
        lo -= 0.5, hi += 0.5;
    double count[NBINS] = {0}, w = (hi - lo) / NBINS;
    for (size_t i = 0; i < t->nrows; i++) {
        double v = t->num[i * t->ncols + (size_t)cvalue];
        if (!isfinite(v))
            continue;
        int b = (int)((v - lo) / w);
        count[b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b]++;
    }
    for (int b = 0; b < NBINS; b++) {
        double x0 = lo + b * w;
        p->pts[s][p->n[s]++] =
            (chart_point){x0 + w / 2, 0, count[b], NAN, NAN, x0 + w * 0.1, x0 + w * 0.9};
    }
    p->x_lo = lo;
    p->x_hi = hi;
    return 0;
}

int mediaplot_build(const tablemodel *t, const char *preset, const char *fields_json,
                    mediaplot *out)
{
    memset(out, 0, sizeof *out);
    if (!preset)
        return TALLY_EINVAL;
    const char *fx = "x", *fy = "y", *fclass = NULL;
    int joined = 1, rc;
    if (strcmp(preset, "line") == 0) {
        fclass = "stroke";
    } else if (strcmp(preset, "scatter") == 0) {
        joined = 0;
    } else if (strcmp(preset, "pr_curve") == 0 || strcmp(preset, "roc_curve") == 0) {
        fclass = "class";
    } else if (strcmp(preset, "line_series") == 0) {
        fx = "step", fy = "lineVal", fclass = "lineKey";
    } else if (strcmp(preset, "bar") == 0) {
        long cl = field_col(t, fields_json, "label"), cv = field_col(t, fields_json, "value");
        if (cl < 0 || cv < 0)
            return TALLY_EINVAL;
        snprintf(out->x_title, sizeof out->x_title, "%s", t->header[cl]);
        snprintf(out->y_title, sizeof out->y_title, "%s", t->header[cv]);
        rc = build_bars(out, t, cl, cv);
        goto done;
    } else if (strcmp(preset, "histogram") == 0) {
        long cv = field_col(t, fields_json, "value");
        if (cv < 0)
            return TALLY_EINVAL;
        snprintf(out->x_title, sizeof out->x_title, "%s", t->header[cv]);
        snprintf(out->y_title, sizeof out->y_title, "count");
        rc = build_histogram(out, t, cv);
        goto done;
    } else {
        return TALLY_EINVAL;
    }
    long cx = field_col(t, fields_json, fx), cy = field_col(t, fields_json, fy);
    long cc = fclass ? field_col(t, fields_json, fclass) : -1;
    if (cx < 0 || cy < 0)
        return TALLY_EINVAL;
    snprintf(out->x_title, sizeof out->x_title, "%s", t->header[cx]);
    snprintf(out->y_title, sizeof out->y_title, "%s", t->header[cy]);
    rc = build_xy(out, t, cx, cy, cc, joined);
done:
    if (rc)
        mediaplot_free(out);
    return rc;
}

int mediaplot_draw(canvas *c, canvas_rect r, const mediaplot *p, const char *title, int ascii)
{
    chart_series s[MEDIAPLOT_MAX_SERIES];
    for (size_t i = 0; i < p->nseries; i++)
        s[i] = (chart_series){p->pts[i], p->n[i], (int)(i % CANVAS_SERIES_COLORS) + 1, 0};
    /* A legend line when there are several series (classes, strokes). */
    int legend = p->nseries > 1 && r.h > 6;
    if (legend) {
        int x = r.x;
        for (size_t i = 0; i < p->nseries && x < r.x + r.w; i++) {
            x += canvas_text(c, x, r.y + 1, r.x + r.w - x, ascii ? "- " : "\xe2\x94\x81 ",
                             s[i].color, CANVAS_BOLD);
            x += canvas_text(c, x, r.y + 1, r.x + r.w - x, p->name[i][0] ? p->name[i] : "-",
                             0, 0) + 2;
        }
    }
    chart_opts o = {.title = title,
                    .x_lo = p->x_lo,
                    .x_hi = p->x_hi,
                    .x_kind = AXIS_NUMBER,
                    .axes = r.h >= 8,
                    .x_title = p->x_title,
                    .y_title = p->y_title};
    canvas_rect cr = r;
    if (legend) {
        /* Title on the first line, the legend on the second, the chart below. */
        canvas_text(c, r.x, r.y, r.w, title, 0, CANVAS_BOLD);
        o.title = "";
        cr.y += 1;
        cr.h -= 1;
    }
    int rc = chart_draw(c, cr, s, p->nseries, &o);
    if (p->bars && r.h >= 8) {
        /* Bar labels under the plot, where they fit. */
        canvas_rect pr = chart_plot_rect(cr, s, p->nseries, &o);
        for (size_t i = 0; i < p->nlabels; i++) {
            int px = chart_px((double)i, p->x_lo, p->x_hi, pr.w * 2) / 2;
            int room = pr.w / (int)(p->nlabels ? p->nlabels : 1);
            if (room >= 2)
                canvas_text(c, pr.x + px - room / 2 + 1, pr.y + pr.h + 1, room - 1, p->labels[i],
                            0, CANVAS_DIM);
        }
    }
    return rc;
}

/* ---- confusion matrix ---- */

void confmat_free(confmat *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->classes[i]);
    free(m->classes);
    free(m->count);
    memset(m, 0, sizeof *m);
}

static long class_of(confmat *m, const char *name, size_t cap)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->classes[i], name) == 0)
            return (long)i;
    if (m->n == cap)
        return -1;
    m->classes[m->n] = strdup(name);
    return m->classes[m->n] ? (long)m->n++ : -1;
}

int confmat_build(const tablemodel *t, const char *fields_json, confmat *out)
{
    memset(out, 0, sizeof *out);
    long ca = field_col(t, fields_json, "Actual"), cp = field_col(t, fields_json, "Predicted");
    long cn = field_col(t, fields_json, "nPredictions");
    if (ca < 0 || cp < 0)
        return TALLY_EINVAL;
    size_t cap = 64; /* classes shown; wandb's own chart has the same order */
    out->classes = calloc(cap, sizeof *out->classes);
    out->count = calloc(cap * cap, sizeof *out->count);
    if (!out->classes || !out->count) {
        confmat_free(out);
        return TALLY_ENOMEM;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        long a = class_of(out, t->text[i * t->ncols + (size_t)ca], cap);
        long p = class_of(out, t->text[i * t->ncols + (size_t)cp], cap);
        double n = cn >= 0 ? t->num[i * t->ncols + (size_t)cn] : 1;
        if (a < 0 || p < 0 || !isfinite(n))
            continue;
        out->count[(size_t)a * cap + (size_t)p] += n;
    }
    /* Pack the rows to n x n. */
    for (size_t a = 0; a < out->n; a++)
        for (size_t p = 0; p < out->n; p++) {
            double v = out->count[a * cap + p];
            out->count[a * out->n + p] = v;
            if (v > out->max)
                out->max = v;
        }
    return 0;
}

void confmat_draw(canvas *c, canvas_rect r, const confmat *m, int colors)
{
    if (m->n == 0 || r.w < 4 || r.h < 2)
        return;
    /* A shade of blue from dark to bright by share of the largest count. */
    static const int ramp[] = {17, 18, 19, 20, 21, 27, 33, 39, 45};
    int lw = 0;
    for (size_t i = 0; i < m->n; i++) {
        int w = canvas_text_width(c, m->classes[i]);
        lw = w > lw ? w : lw;
    }
    lw = lw > r.w / 4 ? r.w / 4 : lw < 3 ? 3 : lw;
    int cw = (r.w - lw - 1) / (int)m->n;
    if (cw > 10)
        cw = 10;
    if (cw < 2)
        cw = 2;
    size_t shown = (size_t)((r.w - lw - 1) / cw);
    shown = shown > m->n ? m->n : shown;
    size_t rows = (size_t)(r.h - 1) < m->n ? (size_t)(r.h - 1) : m->n;
    for (size_t p = 0; p < shown; p++)
        canvas_text(c, r.x + lw + 1 + (int)p * cw, r.y, cw - 1, m->classes[p], CANVAS_CYAN,
                    CANVAS_BOLD);
    for (size_t a = 0; a < rows; a++) {
        int y = r.y + 1 + (int)a;
        canvas_text(c, r.x, y, lw, m->classes[a], CANVAS_CYAN, CANVAS_BOLD);
        for (size_t p = 0; p < shown; p++) {
            double v = m->count[a * m->n + p];
            double share = m->max > 0 ? v / m->max : 0;
            int x = r.x + lw + 1 + (int)p * cw;
            char num[32];
            snprintf(num, sizeof num, "%.0f", v);
            if (colors >= 256) {
                uint32_t bg = v > 0 ? CANVAS_XIDX(ramp[(int)(share * 8 + 0.5)]) : 0;
                for (int k = 0; k < cw - 1; k++)
                    canvas_put_x(c, x + k, y, ' ', CANVAS_XIDX(231), bg);
                int len = (int)strlen(num);
                for (int k = 0; k < len && k < cw - 1; k++)
                    canvas_put_x(c, x + cw - 1 - len + k, y, (uint32_t)num[k], CANVAS_XIDX(231),
                                 bg);
            } else {
                unsigned attr = share > 0.5 ? CANVAS_REVERSE | CANVAS_BOLD
                                : share > 0  ? 0
                                             : CANVAS_DIM;
                int len = (int)strlen(num);
                canvas_text(c, x + (cw - 1 > len ? cw - 1 - len : 0), y, cw - 1, num,
                            a == p ? CANVAS_GREEN : CANVAS_DEFAULT, attr);
            }
        }
    }
}

/* ---- audio ---- */

int mediaplot_wave(const float *samples, size_t frames, int channels, int sample_rate, size_t f0,
                   size_t f1, size_t ncols, chart_point *out)
{
    if (!samples || channels <= 0 || sample_rate <= 0 || ncols == 0)
        return TALLY_EINVAL;
    if (f1 > frames)
        f1 = frames;
    if (f0 >= f1)
        return TALLY_EINVAL;
    size_t span = f1 - f0;
    for (size_t c = 0; c < ncols; c++) {
        size_t a = f0 + c * span / ncols, b = f0 + (c + 1) * span / ncols;
        if (b <= a)
            b = a + 1;
        if (b > f1)
            b = f1;
        float lo = INFINITY, hi = -INFINITY;
        for (size_t f = a; f < b; f++)
            for (int ch = 0; ch < channels; ch++) {
                float v = samples[f * (size_t)channels + (size_t)ch];
                if (v < lo)
                    lo = v;
                if (v > hi)
                    hi = v;
            }
        double x0 = (double)a / sample_rate, x1 = (double)b / sample_rate;
        out[c] = (chart_point){(x0 + x1) / 2, lo, hi, lo, hi, x0, x1};
    }
    return 0;
}
