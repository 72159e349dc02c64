/*
 * mediapanel.c — media keys in the chart grid (see mediapanel.h).  Each
 * draw reads what it shows and nothing more: the heat strip picks one
 * histogram a column from the key's steps, an image panel decodes the
 * newest image once, scaled down to the panel's cells before chafa sees it.
 */
#include "tui/mediapanel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/histlayout.h"

static void title(canvas *c, canvas_rect r, const tally_metric_info *m, int selected)
{
    char what[64];
    snprintf(what, sizeof what, "%s %lld", tally_media_type_name(m->media), (long long)m->n);
    unsigned attr = CANVAS_BOLD | (selected ? CANVAS_REVERSE : 0);
    int ww = canvas_text_width(c, what);
    int room = ww + 1 < r.w / 2 ? r.w - ww - 1 : r.w;
    canvas_text(c, r.x, r.y, room, m->name, CANVAS_DEFAULT, attr);
    if (room < r.w)
        canvas_text(c, r.x + r.w - ww, r.y, ww, what, CANVAS_CYAN, 0);
}

/* The histogram at one step, its arrays malloc'd into *h (0 when none). */
static int hist_at(tally_store *st, int64_t id, int64_t step, tally_histogram *h)
{
    tally_media_iter *it;
    tally_media md;
    int found = 0;
    if (tally_media_open(st, id, step, step, &it) != 0)
        return 0;
    if (tally_media_next(it, &md) == 1 && tally_media_histogram(&md, h) == 0)
        found = 1;
    tally_media_close(it);
    return found;
}

static void heat_strip(canvas *c, canvas_rect r, tally_store *st, const tally_metric_info *m,
                       const imgdraw_opts *img)
{
    int64_t *steps = NULL;
    size_t nsteps = 0;
    if (tally_media_steps(st, m->id, &steps, &nsteps) != 0 || nsteps == 0) {
        free(steps);
        return;
    }
    size_t k = (size_t)r.w < nsteps ? (size_t)r.w : nsteps;
    size_t *idx = calloc(k, sizeof *idx);
    tally_histogram *hs = calloc(k, sizeof *hs);
    hist_in *in = calloc(k, sizeof *in);
    float *heat = calloc((size_t)r.w * (size_t)r.h, sizeof *heat);
    size_t n = 0;
    if (idx && hs && in && heat) {
        k = histlayout_pick(nsteps, k, idx);
        for (size_t i = 0; i < k; i++)
            if (hist_at(st, m->id, steps[idx[i]], &hs[n])) {
                in[n] = (hist_in){steps[idx[i]], hs[n].nbins, hs[n].counts, hs[n].edges};
                n++;
            }
    }
    double lo, hi;
    int rows = r.h > 3 ? r.h - 2 : r.h - 1; /* the last row: the value range */
    int cols = r.w; /* each histogram stretched over its share of the columns */
    if (n > 0 && histlayout_range(in, n, &lo, &hi) &&
        histlayout_heat(in, n, lo, hi, cols, rows, heat) == 0) {
        /* Shades, not colours: they read on every terminal, and in ASCII. */
        static const uint32_t shade[] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
        static const uint32_t ascii[] = {' ', '.', ':', '*', '#'};
        const uint32_t *ramp = img->symbols == TERMCAPS_SYM_ASCII ? ascii : shade;
        int x0 = r.x;
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++) {
                float v = heat[(size_t)y * (size_t)cols + (size_t)x];
                int level = v <= 0 ? 0 : 1 + (int)(v * 3.999f);
                canvas_put(c, x0 + x, r.y + 1 + y, ramp[level > 4 ? 4 : level], CANVAS_CYAN, 0);
            }
        char range[80];
        snprintf(range, sizeof range, "%.3g..%.3g", lo, hi);
        canvas_text(c, r.x, r.y + r.h - 1, r.w, range, CANVAS_DEFAULT, CANVAS_DIM);
    }
    for (size_t i = 0; i < n; i++)
        tally_histogram_free(&hs[i]);
    free(steps);
    free(idx);
    free(hs);
    free(in);
    free(heat);
}

static void newest_image(canvas *c, canvas_rect r, tally_store *st, const tally_metric_info *m,
                         const imgdraw_opts *img)
{
    tally_media_iter *it;
    tally_media md;
    if (tally_media_open(st, m->id, m->x_max, m->x_max, &it) != 0)
        return;
    tally_rgba px = {0};
    if (tally_media_next(it, &md) == 1 && md.nfiles > 0 &&
        tally_store_image_rgba(st, md.files[0].sha256, &px) == 0) {
        unsigned char *small = NULL;
        int w = 0, h = 0;
        canvas_rect pr = {r.x, r.y + 1, r.w, r.h - 1};
        if (imgdraw_scale(px.pixels, px.width, px.height, 2 * pr.w, 4 * pr.h, &small, &w, &h) ==
            0)
            imgdraw_cells(c, pr, small, w, h, img);
        free(small);
        tally_rgba_free(&px);
    }
    tally_media_close(it);
}

void mediapanel_draw(canvas *c, canvas_rect r, tally_store *st, const tally_metric_info *m,
                     int selected, const imgdraw_opts *img)
{
    if (r.w < 4 || r.h < 2)
        return;
    title(c, r, m, selected);
    if (m->n == 0)
        return;
    if (m->media == TALLY_MEDIA_HISTOGRAM) {
        heat_strip(c, r, st, m, img);
    } else if (m->media == TALLY_MEDIA_IMAGE || m->media == TALLY_MEDIA_IMAGES) {
        newest_image(c, r, st, m, img);
    } else {
        char line[96];
        snprintf(line, sizeof line, "steps %lld..%lld  (5: media tab)", (long long)m->x_min,
                 (long long)m->x_max);
        canvas_text(c, r.x, r.y + 1 + (r.h - 1) / 2, r.w, line, CANVAS_DEFAULT, CANVAS_DIM);
    }
}
