/*
 * view_media.c — the media tab of the run view: a panel for every key that
 * holds objects (images, galleries, histograms, tables, plots, audio,
 * video) at its selected step, a step slider a key (linked on request),
 * and one panel focused full screen.  Objects are read through the read
 * API when a panel shows them; decoded images are kept scaled in a small
 * cache, so a run of any number of images costs a bounded amount of memory.
 */
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "media/media.h"
#include "tui/braille.h"
#include "tui/histlayout.h"
#include "tui/imgdraw.h"
#include "tui/mediaplot.h"
#include "tui/palette.h"
#include "tui/tablemodel.h"
#include "tui/tui.h"
#include "tui/valfmt.h"

#define MEDIA_PANEL_W 44   /* a panel's width in the grid, about */
#define MEDIA_PANEL_H 14   /* and its height */
#define MEDIA_CACHE 48     /* scaled images kept */
#define MEDIA_CACHE_SIDE 320 /* their longest side, pixels (enough for a mosaic) */
#define MEDIA_MAX_RIDGES 64
#define MEDIA_FFMPEG_FRAMES 8
#define MEDIA_FFMPEG_TIMEOUT_MS 3000

/* One decoded image, scaled down, and the last cells drawn from it. */
typedef struct img_entry {
    char sha[65];
    unsigned char *rgba;
    int w, h;
    unsigned long tick;
    canvas_cell *cells; /* the mosaic last drawn: cols x rows for symbols / colors */
    int cols, rows, symbols, colors;
} img_entry;

/* A key that holds objects, and where its slider is. */
typedef struct media_key {
    int64_t metric_id;
    char *name;
    tally_media_type type;
    int64_t count; /* objects when steps were read */
    int64_t *steps;
    size_t nsteps;
    size_t cur;    /* index into steps */
    int follow;    /* the slider stays on the newest step */
    /* histograms of every step, read once and then only the new ones */
    hist_in *hist;
    size_t nhist;
    int64_t hist_last;
    /* the table of the shown step (tables and plots) */
    tablemodel table;
    int64_t table_step;
    int table_state; /* 0 not read, 1 read, < 0 the error reading it */
    char *preset, *fields, *title;
    size_t table_top, table_sel, table_col;
    /* audio of the shown step */
    tally_pcm pcm;
    int64_t pcm_step;
    int pcm_state;
    /* video frames of the shown step */
    media_anim anim;
    int64_t anim_step;
    int anim_state;
    char anim_note[160];
} media_key;

typedef struct media_state {
    media_key *keys;
    size_t nkeys;
    int sel;       /* the selected key (panel) */
    int top;       /* first panel row shown */
    int focus;     /* the selected panel fills the tab */
    int linked;    /* the sliders move together, by step */
    int hist_mode; /* 0 offset (ridgeline), 1 distribution */
    int gallery_sel; /* focused gallery: the image picked, -1 the grid */
    int big;         /* focused gallery: the picked image alone */
    int playing;
    size_t frame;
    double frame_t;
    img_entry cache[MEDIA_CACHE];
    unsigned long tick;
    uint32_t gfx_id;
} media_state;

/* ---- the keys ---- */

static void key_clear_objects(media_key *k)
{
    for (size_t i = 0; i < k->nhist; i++) {
        free((void *)k->hist[i].counts);
        free((void *)k->hist[i].edges);
    }
    free(k->hist);
    k->hist = NULL;
    k->nhist = 0;
    k->hist_last = INT64_MIN;
    tablemodel_free(&k->table);
    k->table_state = 0;
    free(k->preset);
    free(k->fields);
    free(k->title);
    k->preset = k->fields = k->title = NULL;
    tally_pcm_free(&k->pcm);
    memset(&k->pcm, 0, sizeof k->pcm);
    k->pcm_state = 0;
    media_anim_free(&k->anim);
    memset(&k->anim, 0, sizeof k->anim);
    k->anim_state = 0;
}

static void key_free(media_key *k)
{
    key_clear_objects(k);
    free(k->name);
    free(k->steps);
}

void view_media_close(tui_app *app)
{
    media_state *m = app->media;
    if (!m)
        return;
    for (size_t i = 0; i < m->nkeys; i++)
        key_free(&m->keys[i]);
    free(m->keys);
    for (int i = 0; i < MEDIA_CACHE; i++) {
        free(m->cache[i].rgba);
        free(m->cache[i].cells);
    }
    free(m);
    app->media = NULL;
}

static int key_read_steps(tally_store *st, media_key *k)
{
    int64_t *steps;
    size_t n;
    int rc = tally_media_steps(st, k->metric_id, &steps, &n);
    if (rc)
        return rc;
    int at_end = k->nsteps == 0 || k->cur + 1 >= k->nsteps;
    int64_t was = k->nsteps ? k->steps[k->cur] : INT64_MIN;
    free(k->steps);
    k->steps = steps;
    k->nsteps = n;
    if (n == 0) {
        k->cur = 0;
    } else if (k->follow && at_end) {
        k->cur = n - 1; /* a live run: its newest step */
    } else {
        /* Stay on the step shown. */
        size_t i = 0;
        while (i + 1 < n && steps[i + 1] <= was)
            i++;
        k->cur = i;
    }
    return 0;
}

/* Brings the key list up to date with the store; 1 when it changed. */
static int keys_sync(tally_store *st, media_state *m)
{
    int changed = 0;
    size_t n = tally_store_media_key_count(st);
    for (size_t i = 0; i < n; i++) {
        const tally_media_key *mk = tally_store_media_key(st, i);
        size_t j = 0;
        while (j < m->nkeys && m->keys[j].metric_id != mk->metric_id)
            j++;
        if (j == m->nkeys) {
            media_key *v = realloc(m->keys, (m->nkeys + 1) * sizeof *v);
            if (!v)
                return changed;
            m->keys = v;
            media_key *k = &m->keys[m->nkeys];
            memset(k, 0, sizeof *k);
            k->metric_id = mk->metric_id;
            k->name = strdup(mk->name ? mk->name : "?");
            k->type = mk->type;
            k->follow = 1;
            k->hist_last = INT64_MIN;
            k->count = -1;
            if (!k->name)
                return changed;
            m->nkeys++;
            changed = 1;
        }
        media_key *k = &m->keys[j];
        if (k->count != mk->count) {
            k->count = mk->count;
            if (key_read_steps(st, k) == 0)
                changed = 1;
        }
    }
    return changed;
}

static media_state *state_of(tui_app *app)
{
    if (!app->media) {
        app->media = calloc(1, sizeof *app->media);
        if (app->media) {
            app->media->gallery_sel = -1;
            keys_sync(app->run.store, app->media);
        }
    }
    return app->media;
}

int view_media_poll(tui_app *app)
{
    media_state *m = app->media;
    if (!m || !app->run.store)
        return 0;
    int changed = keys_sync(app->run.store, m);
    if (m->playing && m->focus && m->sel >= 0 && (size_t)m->sel < m->nkeys) {
        media_key *k = &m->keys[m->sel];
        if (k->anim_state == 1 && k->anim.nframes > 1) {
            int delay = k->anim.delay_ms[m->frame % (size_t)k->anim.nframes];
            if (app->now - m->frame_t >= (delay > 0 ? delay : 100) / 1000.0) {
                m->frame = (m->frame + 1) % (size_t)k->anim.nframes;
                m->frame_t = app->now;
                changed = 1;
            }
        }
    }
    return changed;
}

/* The keys shown: those the key filter ('/') lets through. */
static size_t shown_keys(tui_app *app, media_state *m, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nkeys; i++)
        if (tui_filter_match(&app->metric_filter, m->keys[i].name))
            idx[n++] = i;
    return n;
}

/* ---- one object ---- */

/* What a panel needs of an object, copied out of the iterator. */
typedef struct mobj {
    int found;
    int64_t step;
    tally_media_type type;
    size_t nfiles;
    char (*sha)[65];
    char **caption;
    char **format;
    int *fw, *fh;
    int width, height, nframes, sample_rate, channels;
    double fps, duration;
    int64_t nrows, ncols;
} mobj;

static void mobj_free(mobj *o)
{
    for (size_t i = 0; i < o->nfiles; i++) {
        free(o->caption[i]);
        free(o->format[i]);
    }
    free(o->sha);
    free(o->caption);
    free(o->format);
    free(o->fw);
    free(o->fh);
    memset(o, 0, sizeof *o);
}

/* Work done on an object while the iterator still owns it. */
typedef int (*mobj_fn)(tally_store *st, const tally_media *md, media_key *k);

/* Reads key k's object at step into o (and runs fn on it).  0 with
 * o->found 0 when there is none; a TALLY_E* code when it cannot be read. */
static int mobj_read(tally_store *st, media_key *k, int64_t step, mobj *o, mobj_fn fn)
{
    memset(o, 0, sizeof *o);
    tally_media_iter *it;
    int rc = tally_media_open(st, k->metric_id, step, step, &it);
    if (rc)
        return rc;
    tally_media md;
    rc = tally_media_next(it, &md);
    if (rc == 1) {
        rc = 0;
        o->found = 1;
        o->step = md.step;
        o->type = md.type;
        o->width = md.width, o->height = md.height;
        o->nframes = md.nframes, o->fps = md.fps, o->duration = md.duration;
        o->sample_rate = md.sample_rate, o->channels = md.channels;
        o->nrows = md.nrows, o->ncols = md.ncols;
        size_t n = md.nfiles;
        o->sha = calloc(n + 1, sizeof *o->sha);
        o->caption = calloc(n + 1, sizeof *o->caption);
        o->format = calloc(n + 1, sizeof *o->format);
        o->fw = calloc(n + 1, sizeof *o->fw);
        o->fh = calloc(n + 1, sizeof *o->fh);
        if (!o->sha || !o->caption || !o->format || !o->fw || !o->fh) {
            rc = TALLY_ENOMEM;
        } else {
            o->nfiles = n;
            for (size_t i = 0; i < n; i++) {
                memcpy(o->sha[i], md.files[i].sha256, 65);
                o->sha[i][64] = 0;
                o->caption[i] = md.files[i].caption ? strdup(md.files[i].caption) : NULL;
                o->format[i] = strdup(md.files[i].format ? md.files[i].format : "");
                o->fw[i] = md.files[i].width;
                o->fh[i] = md.files[i].height;
            }
            if (fn)
                rc = fn(st, &md, k);
        }
    } else if (rc == 0) {
        o->found = 0;
    }
    tally_media_close(it);
    return rc;
}

/* ---- images ---- */

static img_entry *cache_get(tui_app *app, media_state *m, const char *sha, int *err)
{
    *err = 0;
    img_entry *slot = &m->cache[0];
    for (int i = 0; i < MEDIA_CACHE; i++) {
        if (m->cache[i].rgba && strcmp(m->cache[i].sha, sha) == 0) {
            m->cache[i].tick = ++m->tick;
            return &m->cache[i];
        }
        if (!m->cache[i].rgba || m->cache[i].tick < slot->tick || !slot->rgba)
            slot = !slot->rgba ? slot : &m->cache[i];
    }
    for (int i = 0; i < MEDIA_CACHE; i++) /* an empty slot, else the oldest */
        if (!m->cache[i].rgba) {
            slot = &m->cache[i];
            break;
        } else if (m->cache[i].tick < slot->tick) {
            slot = &m->cache[i];
        }
    tally_rgba px = {0};
    int rc = tally_store_image_rgba(app->run.store, sha, &px);
    if (rc) {
        *err = rc;
        return NULL;
    }
    unsigned char *small;
    int sw, sh;
    rc = imgdraw_scale(px.pixels, px.width, px.height, MEDIA_CACHE_SIDE, MEDIA_CACHE_SIDE,
                       &small, &sw, &sh);
    tally_rgba_free(&px);
    if (rc) {
        *err = rc;
        return NULL;
    }
    free(slot->rgba);
    free(slot->cells);
    memset(slot, 0, sizeof *slot);
    snprintf(slot->sha, sizeof slot->sha, "%s", sha);
    slot->rgba = small;
    slot->w = sw;
    slot->h = sh;
    slot->tick = ++m->tick;
    return slot;
}

static imgdraw_opts draw_opts(const tui_app *app)
{
    return (imgdraw_opts){.symbols = app->ascii ? TERMCAPS_SYM_ASCII : app->caps.symbols,
                          .colors = app->colors,
                          .cell_w = app->cell_w,
                          .cell_h = app->cell_h};
}

/* Graphics bytes for pixels over r (fitted), attached to the canvas. */
static int draw_gfx(tui_app *app, canvas *c, canvas_rect r, const unsigned char *rgba, int w,
                    int h)
{
    media_state *m = app->media;
    imgdraw_opts o = draw_opts(app);
    int cw = o.cell_w > 0 ? o.cell_w : 10, ch = o.cell_h > 0 ? o.cell_h : 20;
    int cols, rows;
    imgdraw_fit(w, h, r.w, r.h, cw, ch, &cols, &rows);
    if (cols <= 0 || rows <= 0)
        return 0;
    buf b = BUF_INIT, wrapped = BUF_INIT;
    int rc = app->caps.gfx == TERMCAPS_KITTY
                 ? imgdraw_kitty(rgba, w, h, cols, rows, ++m->gfx_id, &b)
                 : imgdraw_pixels(app->caps.gfx, rgba, w, h, cols, rows, &o, &b);
    if (!rc && app->caps.in_tmux && app->caps.gfx != TERMCAPS_SIXEL) {
        termcaps_tmux_wrap(b.data, b.len, &wrapped);
        buf_free(&b);
        b = wrapped;
    } else {
        buf_free(&wrapped);
    }
    if (!rc && b.len) {
        canvas_rect at = {r.x + (r.w - cols) / 2, r.y + (r.h - rows) / 2, cols, rows};
        canvas_fill(c, at, ' ', 0, 0);
        size_t len = b.len;
        rc = canvas_add_gfx(c, at, buf_steal(&b), len);
    }
    buf_free(&b);
    return rc;
}

/* Draws an image by sha256 into r: graphics when the terminal has them
 * and `pixels` asks, else mosaic cells (remembered for the next frame). */
static int draw_image(tui_app *app, canvas *c, canvas_rect r, const char *sha, int pixels)
{
    media_state *m = app->media;
    if (r.w <= 0 || r.h <= 0)
        return 0;
    int err;
    img_entry *e = cache_get(app, m, sha, &err);
    if (!e) {
        canvas_printf(c, r.x, r.y + r.h / 2, r.w, CANVAS_RED, 0, "cannot show the image: %s",
                      tally_strerror(err));
        return err;
    }
    if (pixels && app->caps.gfx != TERMCAPS_MOSAIC && !app->ascii) {
        /* A large image on a graphics terminal: decode it again at full size. */
        tally_rgba px = {0};
        if (tally_store_image_rgba(app->run.store, sha, &px) == 0) {
            int cw = app->cell_w > 0 ? app->cell_w : 10, chh = app->cell_h > 0 ? app->cell_h : 20;
            unsigned char *fit;
            int fw, fh;
            int rc = imgdraw_scale(px.pixels, px.width, px.height, r.w * cw, r.h * chh, &fit,
                                   &fw, &fh);
            tally_rgba_free(&px);
            if (rc == 0) {
                rc = draw_gfx(app, c, r, fit, fw, fh);
                free(fit);
                return rc;
            }
        }
        return draw_gfx(app, c, r, e->rgba, e->w, e->h);
    }
    imgdraw_opts o = draw_opts(app);
    int cols, rows;
    imgdraw_fit(e->w, e->h, r.w, r.h, 1, 2, &cols, &rows);
    if (!e->cells || e->cols != cols || e->rows != rows || e->symbols != (int)o.symbols ||
        e->colors != o.colors) {
        canvas tmp = {0};
        if (canvas_resize(&tmp, cols, rows) != 0)
            return TALLY_ENOMEM;
        int rc = imgdraw_cells(&tmp, (canvas_rect){0, 0, cols, rows}, e->rgba, e->w, e->h, &o);
        if (rc) {
            canvas_free(&tmp);
            return rc;
        }
        free(e->cells);
        e->cells = tmp.cells; /* kept: the slider back to this step costs a copy */
        tmp.cells = NULL;
        canvas_free(&tmp);
        e->cols = cols, e->rows = rows, e->symbols = (int)o.symbols, e->colors = o.colors;
    }
    int x0 = r.x + (r.w - cols) / 2, y0 = r.y + (r.h - rows) / 2;
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++) {
            const canvas_cell *cell = &e->cells[y * cols + x];
            canvas_put_x(c, x0 + x, y0 + y, cell->ch, cell->fgx, cell->bgx);
        }
    return 0;
}

/* A gallery: thumbnails in a grid, each with its caption under it. */
static void draw_gallery(tui_app *app, canvas *c, canvas_rect r, const mobj *o, int pick,
                         int pixels)
{
    size_t n = o->nfiles;
    if (n == 0 || r.w <= 0 || r.h <= 0)
        return;
    int cols = 1;
    while ((size_t)cols * (size_t)cols < n)
        cols++;
    /* Wide panels: more columns, fewer rows. */
    while (cols < (int)n && r.w / (cols + 1) >= 2 * (r.h / (int)((n + cols) / (cols + 1))))
        cols++;
    int rows = (int)((n + (size_t)cols - 1) / (size_t)cols);
    int tw = r.w / cols, th = r.h / rows;
    if (tw < 2 || th < 2) {
        canvas_printf(c, r.x, r.y, r.w, 0, CANVAS_DIM, "%zu images (focus to see them)", n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        canvas_rect t = {r.x + (int)(i % (size_t)cols) * tw, r.y + (int)(i / (size_t)cols) * th,
                         tw - 1, th};
        int cap = th >= 4 ? 1 : 0;
        draw_image(app, c, (canvas_rect){t.x, t.y, t.w, t.h - cap}, o->sha[i], pixels);
        if (cap) {
            char label[64];
            snprintf(label, sizeof label, "%zu", i + 1);
            canvas_text(c, t.x, t.y + t.h - 1, t.w, o->caption[i] ? o->caption[i] : label,
                        (int)i == pick ? CANVAS_YELLOW : CANVAS_DEFAULT,
                        (int)i == pick ? CANVAS_REVERSE : CANVAS_DIM);
        }
    }
}

/* ---- histograms ---- */

static int hist_add(tally_store *st, const tally_media *md, media_key *k)
{
    (void)st;
    tally_histogram h;
    int rc = tally_media_histogram(md, &h);
    if (rc)
        return rc;
    hist_in *v = realloc(k->hist, (k->nhist + 1) * sizeof *v);
    if (!v) {
        tally_histogram_free(&h);
        return TALLY_ENOMEM;
    }
    k->hist = v;
    k->hist[k->nhist++] = (hist_in){md->step, h.nbins, h.counts, h.edges};
    k->hist_last = md->step;
    return 0;
}

/* Reads the histograms logged since the last call. */
static int hist_load(tally_store *st, media_key *k)
{
    if (k->nsteps == 0 || k->steps[k->nsteps - 1] <= k->hist_last)
        return 0;
    tally_media_iter *it;
    int64_t from = k->hist_last == INT64_MIN ? INT64_MIN : k->hist_last + 1;
    int rc = tally_media_open(st, k->metric_id, from, INT64_MAX, &it);
    if (rc)
        return rc;
    tally_media md;
    while ((rc = tally_media_next(it, &md)) != 0) {
        if (rc == TALLY_ECORRUPT)
            continue; /* recorded as damage; the others still show */
        if (rc < 0 || (rc = hist_add(st, &md, k)) != 0)
            break;
    }
    tally_media_close(it);
    return rc < 0 ? rc : 0;
}

/* The histograms up to the slider's step. */
static size_t hist_upto(const media_key *k)
{
    int64_t step = k->nsteps ? k->steps[k->cur] : INT64_MAX;
    size_t n = 0;
    while (n < k->nhist && k->hist[n].step <= step)
        n++;
    return n;
}

static void draw_ridgeline(canvas *c, canvas_rect r, const media_key *k, int ascii, int cursor)
{
    size_t upto = hist_upto(k);
    if (upto == 0 || r.w < 4 || r.h < 3)
        return;
    double lo, hi;
    if (!histlayout_range(k->hist, upto, &lo, &hi))
        return;
    int gutter = 8;
    canvas_rect pr = {r.x + gutter, r.y, r.w - gutter, r.h - 1};
    int pw = pr.w * 2, ph = pr.h * 4;
    size_t want = (size_t)(ph / 3 > 1 ? ph / 3 : 1);
    want = want > MEDIA_MAX_RIDGES ? MEDIA_MAX_RIDGES : want;
    size_t idx[MEDIA_MAX_RIDGES];
    size_t n = histlayout_pick(upto, want, idx);
    hist_in sel[MEDIA_MAX_RIDGES];
    for (size_t i = 0; i < n; i++)
        sel[i] = k->hist[idx[i]];
    int *base = malloc(n * sizeof *base), *ys = malloc(n * (size_t)pw * sizeof *ys);
    braille b;
    if (!base || !ys || braille_init(&b, pr.w, pr.h) != 0 ||
        histlayout_ridge(sel, n, lo, hi, pw, ph, base, ys) != 0) {
        free(base);
        free(ys);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        /* Older ridges dim cyan, the step on the slider bright yellow. */
        int color = i + 1 == n ? CANVAS_YELLOW : CANVAS_CYAN;
        /* Only over the ridge's own range: no baseline across the rest. */
        int a = chart_px(sel[i].edges[0], lo, hi, pw), z = chart_px(sel[i].edges[sel[i].nbins], lo, hi, pw);
        for (int px = a < 0 ? 0 : a; px + 1 < pw && px < z; px++)
            braille_line(&b, px, ys[i * (size_t)pw + (size_t)px], px + 1,
                         ys[i * (size_t)pw + (size_t)px + 1], color);
    }
    braille_blit(&b, c, pr.x, pr.y);
    for (size_t i = 0; i < n; i += (n + 4) / 5) {
        char t[32];
        snprintf(t, sizeof t, "%lld", (long long)sel[i].step);
        canvas_text(c, r.x, pr.y + base[i] / 4, gutter - 1, t, 0, CANVAS_DIM);
    }
    char a[VALFMT_MAX], z[VALFMT_MAX];
    canvas_printf(c, pr.x, r.y + r.h - 1, pr.w, 0, CANVAS_DIM, "%s", valfmt(a, lo, 4));
    valfmt(z, hi, 4);
    canvas_text(c, pr.x + pr.w - (int)strlen(z), r.y + r.h - 1, (int)strlen(z), z, 0, CANVAS_DIM);
    if (cursor >= 0 && cursor < pr.w) {
        /* The value under the cursor: the bin there at the slider's step. */
        const hist_in *h = &sel[n - 1];
        double x = lo + (hi - lo) * (cursor * 2 + 1) / (double)pw;
        long bin = histlayout_bin_at(h, x);
        for (int y = pr.y; y < pr.y + pr.h; y++) {
            const canvas_cell *cell = canvas_at(c, pr.x + cursor, y);
            canvas_put(c, pr.x + cursor, y, cell && cell->ch != ' ' ? cell->ch : (ascii ? '|' : 0x2502),
                       CANVAS_DEFAULT, CANVAS_REVERSE);
        }
        char v0[VALFMT_MAX], v1[VALFMT_MAX], cnt[VALFMT_MAX];
        if (bin >= 0)
            canvas_printf(c, pr.x, pr.y, pr.w, CANVAS_YELLOW, CANVAS_BOLD,
                          "step %lld  [%s, %s)  count %s", (long long)h->step,
                          valfmt(v0, h->edges[bin], 4), valfmt(v1, h->edges[bin + 1], 4),
                          valfmt(cnt, h->counts[bin], 6));
        else
            canvas_printf(c, pr.x, pr.y, pr.w, CANVAS_YELLOW, CANVAS_BOLD,
                          "step %lld  x %s: outside its bins", (long long)h->step,
                          valfmt(v0, x, 4));
    }
    braille_free(&b);
    free(base);
    free(ys);
}

/* TensorBoard's distribution view: bands between matching percentiles
 * (0-100, 7-93, 16-84, 31-69) over steps, the median as a line. */
static void draw_distribution(canvas *c, canvas_rect r, const media_key *k, int cursor_on)
{
    if (k->nhist == 0)
        return;
    size_t n = k->nhist;
    chart_point *band[4], *med;
    for (int b = 0; b < 4; b++)
        band[b] = calloc(n + 1, sizeof *band[b]);
    med = calloc(n + 1, sizeof *med);
    if (!band[0] || !band[1] || !band[2] || !band[3] || !med)
        goto done;
    for (size_t i = 0; i < n; i++) {
        double q[HIST_NQ];
        histlayout_percentiles(&k->hist[i], histlayout_quantiles, HIST_NQ, q);
        double x = (double)k->hist[i].step;
        /* Each step's band reaches halfway to its neighbours: filled areas. */
        double x0 = i > 0 ? (x + (double)k->hist[i - 1].step) / 2 : x;
        double x1 = i + 1 < n ? (x + (double)k->hist[i + 1].step) / 2 : x;
        for (int b = 0; b < 4; b++)
            band[b][i] = (chart_point){x, q[b], q[HIST_NQ - 1 - b], NAN, NAN, x0, x1};
        med[i] = (chart_point){x, q[4], q[4], q[4], q[4], x, x};
    }
    chart_series s[5] = {{band[0], n, CANVAS_BLUE, 1}, {band[1], n, CANVAS_BLUE, 0},
                         {band[2], n, CANVAS_CYAN, 1}, {band[3], n, CANVAS_CYAN, 0},
                         {med, n, CANVAS_YELLOW, 0}};
    double x_lo = (double)k->hist[0].step, x_hi = (double)k->hist[n - 1].step;
    if (!(x_hi > x_lo))
        x_lo -= 0.5, x_hi += 0.5;
    chart_opts o = {.title = "",
                    .x_lo = x_lo,
                    .x_hi = x_hi,
                    .axes = r.h >= 8,
                    .x_title = "step"};
    canvas_rect pr = chart_plot_rect(r, s, 5, &o);
    if (cursor_on && k->nsteps && pr.w > 0) {
        o.cursor = 1;
        o.cursor_col = chart_px((double)k->steps[k->cur], x_lo, x_hi, pr.w * 2) / 2;
    }
    chart_draw(c, r, s, 5, &o);
    if (cursor_on && k->nsteps) {
        size_t i = hist_upto(k);
        if (i > 0) {
            double q[HIST_NQ];
            histlayout_percentiles(&k->hist[i - 1], histlayout_quantiles, HIST_NQ, q);
            char a[VALFMT_MAX], b[VALFMT_MAX], m[VALFMT_MAX];
            canvas_printf(c, pr.x, pr.y, pr.w, CANVAS_YELLOW, CANVAS_BOLD,
                          "step %lld  median %s  16-84%% %s..%s", (long long)k->hist[i - 1].step,
                          valfmt(m, q[4], 4), valfmt(a, q[2], 4), valfmt(b, q[6], 4));
        }
    }
done:
    for (int b = 0; b < 4; b++)
        free(band[b]);
    free(med);
}

/* ---- tables and plots ---- */

static int table_take(tally_store *st, const tally_media *md, media_key *k)
{
    tally_table *t;
    int rc = tally_media_table(st, md, &t);
    if (rc)
        return rc;
    rc = tablemodel_init(&k->table, t->ncols, t->nrows, t->columns, t->cells);
    tally_table_free(t);
    if (rc)
        return rc;
    if (md->type == TALLY_MEDIA_PLOT) {
        k->preset = md->preset ? strdup(md->preset) : NULL;
        k->fields = md->fields_json ? strdup(md->fields_json) : NULL;
        k->title = md->title ? strdup(md->title) : NULL;
    }
    return 0;
}

/* The table of the slider's step, read when the step changed. */
static int table_load(tally_store *st, media_key *k)
{
    int64_t step = k->steps[k->cur];
    if (k->table_state != 0 && k->table_step == step)
        return k->table_state < 0 ? k->table_state : 0;
    tablemodel_free(&k->table);
    free(k->preset), free(k->fields), free(k->title);
    k->preset = k->fields = k->title = NULL;
    k->table_top = k->table_sel = k->table_col = 0;
    mobj o;
    int rc = mobj_read(st, k, step, &o, table_take);
    if (!rc && !o.found)
        rc = TALLY_ENOTFOUND;
    mobj_free(&o);
    k->table_step = step;
    k->table_state = rc ? rc : 1;
    return rc;
}

static void draw_table(tui_app *app, canvas *c, canvas_rect r, media_key *k, int focused)
{
    tablemodel *t = &k->table;
    if (t->nshown == 0 && t->nrows > 0) {
        canvas_printf(c, r.x, r.y + 1, r.w, 0, CANVAS_DIM, "no row has \"%s\"", t->filter);
        return;
    }
    int body = r.h - 1;
    /* Keep the selected row in view. */
    if (k->table_sel >= t->nshown && t->nshown)
        k->table_sel = t->nshown - 1;
    if (k->table_sel < k->table_top)
        k->table_top = k->table_sel;
    if (body > 0 && k->table_sel >= k->table_top + (size_t)body)
        k->table_top = k->table_sel - (size_t)body + 1;
    canvas_rect grid = r;
    /* An image cell in the selected row: a detail pane with its thumbnail. */
    const char *img = NULL;
    if (focused && t->nshown && r.w >= 60) {
        size_t row = t->rows[k->table_sel];
        for (size_t col = 0; col < t->ncols && !img; col++)
            img = t->image[row * t->ncols + col];
        if (img) {
            grid.w = r.w * 3 / 5;
            canvas_rect pane = {r.x + grid.w + 1, r.y, r.w - grid.w - 1, r.h};
            canvas_text(c, pane.x, pane.y, pane.w, "image of the selected row", 0, CANVAS_DIM);
            draw_image(app, c, (canvas_rect){pane.x, pane.y + 1, pane.w, pane.h - 1}, img, 1);
        }
    }
    tablemodel_draw(t, c, grid, k->table_col, k->table_top, focused ? k->table_sel : (size_t)-1);
}

static void draw_plot(tui_app *app, canvas *c, canvas_rect r, media_key *k)
{
    const char *preset = k->preset ? k->preset : "";
    const char *title = k->title && *k->title ? k->title : k->name;
    if (strcmp(preset, "confusion_matrix") == 0) {
        confmat m;
        if (confmat_build(&k->table, k->fields, &m) == 0) {
            canvas_text(c, r.x, r.y, r.w, title, 0, CANVAS_BOLD);
            canvas_text(c, r.x, r.y + 1, r.w, "rows actual, columns predicted", 0, CANVAS_DIM);
            confmat_draw(c, (canvas_rect){r.x, r.y + 2, r.w, r.h - 2}, &m, app->colors);
            confmat_free(&m);
            return;
        }
    }
    mediaplot p;
    int rc = mediaplot_build(&k->table, preset, k->fields, &p);
    if (rc) {
        canvas_printf(c, r.x, r.y + 1, r.w, CANVAS_YELLOW, 0,
                      "preset \"%s\" cannot be drawn from this table; its rows:", preset);
        draw_table(app, c, (canvas_rect){r.x, r.y + 2, r.w, r.h - 2}, k, 0);
        return;
    }
    mediaplot_draw(c, r, &p, title, app->ascii);
    mediaplot_free(&p);
}

/* ---- audio ---- */

static int audio_take(tally_store *st, const tally_media *md, media_key *k)
{
    return tally_media_audio(st, md, &k->pcm);
}

static void draw_audio(tui_app *app, canvas *c, canvas_rect r, media_key *k, const mobj *o)
{
    int64_t step = k->steps[k->cur];
    if (k->pcm_state == 0 || k->pcm_step != step) {
        tally_pcm_free(&k->pcm);
        memset(&k->pcm, 0, sizeof k->pcm);
        mobj tmp;
        int rc = mobj_read(app->run.store, k, step, &tmp, audio_take);
        mobj_free(&tmp);
        k->pcm_state = rc ? rc : 1;
        k->pcm_step = step;
    }
    double dur = o->duration > 0 ? o->duration
                 : k->pcm.sample_rate > 0 ? (double)k->pcm.frames / k->pcm.sample_rate
                                          : 0;
    canvas_printf(c, r.x, r.y + r.h - 1, r.w, 0, CANVAS_DIM, "%.2f s  %d Hz  %d channel%s%s%s",
                  dur, o->sample_rate ? o->sample_rate : k->pcm.sample_rate,
                  o->channels ? o->channels : k->pcm.channels,
                  (o->channels ? o->channels : k->pcm.channels) == 1 ? "" : "s",
                  o->nfiles && o->caption[0] ? "  " : "", o->nfiles && o->caption[0] ? o->caption[0] : "");
    if (k->pcm_state < 0) {
        canvas_printf(c, r.x, r.y + r.h / 2, r.w, CANVAS_RED, 0, "cannot read the audio: %s",
                      tally_strerror(k->pcm_state));
        return;
    }
    if (k->pcm.frames == 0 || r.h < 3)
        return;
    canvas_rect wr = {r.x, r.y, r.w, r.h - 1};
    chart_opts opt = {.title = "", .x_lo = 0, .x_hi = (double)k->pcm.frames / k->pcm.sample_rate,
                      .x_kind = AXIS_DURATION, .axes = wr.h >= 8, .y_limits = CHART_Y_LO | CHART_Y_HI,
                      .y_lo = -1, .y_hi = 1};
    size_t ncols = (size_t)(wr.w > 0 ? wr.w * 2 : 1);
    chart_point *pts = malloc(ncols * sizeof *pts);
    if (!pts)
        return;
    if (mediaplot_wave(k->pcm.samples, k->pcm.frames, k->pcm.channels, k->pcm.sample_rate, 0,
                       k->pcm.frames, ncols, pts) == 0) {
        chart_series s = {pts, ncols, CANVAS_GREEN, 0};
        chart_draw(c, wr, &s, 1, &opt);
    }
    free(pts);
}

/* ---- video ---- */

/* mp4 / webm / ogg frames through the ffmpeg program: the bytes go to a
 * private temporary file, ffmpeg writes raw RGBA on a pipe; past the
 * timeout it is killed.  Nothing ffmpeg prints reaches the terminal. */
static int ffmpeg_frames(const void *data, size_t size, int w, int h, media_anim *out,
                         char *note, size_t note_size)
{
    const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/tally-video-XXXXXX", tmpdir);
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(note, note_size, "cannot write a temporary file for ffmpeg");
        return TALLY_EIO;
    }
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, (const char *)data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);
    int pfd[2];
    if (off < size || pipe(pfd) != 0) {
        unlink(path);
        return TALLY_EIO;
    }
    char scale[64], frames[16];
    snprintf(scale, sizeof scale, "scale=%d:%d", w, h);
    snprintf(frames, sizeof frames, "%d", MEDIA_FFMPEG_FRAMES);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(pfd[1], 1);
        dup2(null, 2);
        close(pfd[0]);
        execlp("ffmpeg", "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-frames:v", frames,
               "-vf", scale, "-f", "rawvideo", "-pix_fmt", "rgba", "pipe:1", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        unlink(path);
        return TALLY_EIO;
    }
    size_t frame = (size_t)w * (size_t)h * 4, cap = frame * MEDIA_FFMPEG_FRAMES, got = 0;
    unsigned char *px = malloc(cap);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int timed_out = 0;
    while (px && got < cap) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long left = MEDIA_FFMPEG_TIMEOUT_MS - ((t1.tv_sec - t0.tv_sec) * 1000 +
                                               (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd p = {pfd[0], POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t n = read(pfd[0], px + got, cap - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(pfd[0]);
    kill(pid, SIGKILL); /* done with it either way */
    int status = 0;
    waitpid(pid, &status, 0);
    unlink(path);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && got == 0) {
        free(px);
        snprintf(note, note_size, "install ffmpeg (apt-get install ffmpeg) to see its frames");
        return TALLY_ENOTFOUND;
    }
    if (!px || got < frame) {
        free(px);
        snprintf(note, note_size, "%s", timed_out ? "ffmpeg took too long: no frames"
                                                  : "ffmpeg could not decode the video");
        return TALLY_EMEDIA;
    }
    out->width = w, out->height = h;
    out->nframes = (int)(got / frame);
    out->rgba = px;
    out->delay_ms = calloc((size_t)out->nframes, sizeof *out->delay_ms);
    if (!out->delay_ms) {
        media_anim_free(out);
        return TALLY_ENOMEM;
    }
    return 0;
}

static int video_take(tally_store *st, const tally_media *md, media_key *k)
{
    if (md->nfiles == 0)
        return TALLY_ENOTFOUND;
    void *data;
    size_t size;
    int rc = tally_store_blob(st, md->files[0].sha256, &data, &size);
    if (rc)
        return rc;
    const char *fmt = md->files[0].format ? md->files[0].format : "";
    if (strcmp(fmt, "gif") == 0) {
        rc = media_gif_decode(data, size, &k->anim);
        if (rc)
            snprintf(k->anim_note, sizeof k->anim_note, "cannot decode the GIF: %s",
                     tally_strerror(rc));
    } else {
        int w = md->width > 0 ? md->width : 320, h = md->height > 0 ? md->height : 240;
        /* A frame small enough to keep a few of: at most 320 wide. */
        if (w > 320) {
            h = (int)((long)h * 320 / w);
            w = 320;
        }
        rc = ffmpeg_frames(data, size, w < 2 ? 2 : w, h < 2 ? 2 : h, &k->anim, k->anim_note,
                           sizeof k->anim_note);
        if (!rc && md->fps > 0)
            for (int i = 0; i < k->anim.nframes; i++)
                k->anim.delay_ms[i] = (int)(1000 / md->fps);
    }
    free(data);
    return rc;
}

static void draw_video(tui_app *app, canvas *c, canvas_rect r, media_key *k, const mobj *o,
                       int focused)
{
    media_state *m = app->media;
    int64_t step = k->steps[k->cur];
    if (k->anim_state == 0 || k->anim_step != step) {
        media_anim_free(&k->anim);
        memset(&k->anim, 0, sizeof k->anim);
        k->anim_note[0] = 0;
        mobj tmp;
        int rc = mobj_read(app->run.store, k, step, &tmp, video_take);
        mobj_free(&tmp);
        k->anim_state = rc ? rc : 1;
        k->anim_step = step;
        m->frame = 0;
    }
    const char *fmt = o->nfiles ? o->format[0] : "?";
    canvas_printf(c, r.x, r.y + r.h - 1, r.w, 0, CANVAS_DIM,
                  "%s  %dx%d  %d frames  %.3g fps  %.2f s%s%s", fmt, o->width, o->height,
                  o->nframes, o->fps, o->duration, o->nfiles && o->caption[0] ? "  " : "",
                  o->nfiles && o->caption[0] ? o->caption[0] : "");
    if (k->anim_state < 0 || k->anim.nframes <= 0) {
        canvas_text(c, r.x, r.y + r.h / 2, r.w,
                    k->anim_note[0] ? k->anim_note : "no frames to show", CANVAS_YELLOW, 0);
        return;
    }
    size_t f = focused ? m->frame % (size_t)k->anim.nframes : 0;
    const unsigned char *px = k->anim.rgba + f * (size_t)k->anim.width * k->anim.height * 4;
    canvas_rect ir = {r.x, r.y, r.w, r.h - 2};
    imgdraw_opts opt = draw_opts(app);
    imgdraw_cells(c, ir, px, k->anim.width, k->anim.height, &opt);
    canvas_printf(c, r.x, r.y + r.h - 2, r.w, 0, CANVAS_DIM, "frame %zu/%d  %s", f + 1,
                  k->anim.nframes,
                  !focused ? "Enter, then Space plays" : m->playing ? "playing (Space pauses)"
                                                                    : "Space plays");
}

/* ---- panels ---- */

static const char *type_label(tally_media_type t)
{
    const char *n = tally_media_type_name((int)t);
    return n ? n : "?";
}

/* The slider under a panel: where the step sits among the key's steps. */
static void draw_slider(tui_app *app, canvas *c, int x, int y, int w, const media_key *k)
{
    media_state *m = app->media;
    char label[96];
    snprintf(label, sizeof label, " step %lld  %zu/%zu%s%s", (long long)k->steps[k->cur],
             k->cur + 1, k->nsteps, m->linked ? "  linked" : "",
             k->follow && k->cur + 1 == k->nsteps ? "" : "  held");
    int lw = canvas_text_width(c, label);
    int bw = w - lw - 2;
    if (bw >= 4) {
        int pos = k->nsteps > 1 ? (int)((double)k->cur / (double)(k->nsteps - 1) * (bw - 1) + 0.5)
                                : bw - 1;
        for (int i = 0; i < bw; i++)
            canvas_put(c, x + 1 + i, y, i == pos ? (c->ascii ? 'O' : 0x25cf) : (c->ascii ? '-' : 0x2500),
                       i == pos ? CANVAS_YELLOW : CANVAS_DEFAULT, i == pos ? CANVAS_BOLD : CANVAS_DIM);
        canvas_put(c, x, y, c->ascii ? '[' : 0x251c, 0, CANVAS_DIM);
        canvas_put(c, x + bw + 1, y, c->ascii ? ']' : 0x2524, 0, CANVAS_DIM);
        canvas_text(c, x + bw + 2, y, lw, label, 0, 0);
    } else {
        canvas_text(c, x, y, w, label, 0, 0);
    }
}

static void draw_panel(tui_app *app, canvas *c, canvas_rect r, media_key *k, int selected,
                       int focused)
{
    media_state *m = app->media;
    tally_store *st = app->run.store;
    if (r.w < 8 || r.h < 3)
        return;
    /* Title: the key, its type. */
    int used = canvas_text(c, r.x, r.y, r.w, k->name, selected ? CANVAS_YELLOW : CANVAS_DEFAULT,
                           CANVAS_BOLD | (selected && !focused ? CANVAS_REVERSE : 0));
    canvas_printf(c, r.x + used + 1, r.y, r.w - used - 1, 0, CANVAS_DIM, "%s", type_label(k->type));
    if (k->nsteps == 0) {
        canvas_text(c, r.x, r.y + 1, r.w, "no objects yet", 0, CANVAS_DIM);
        return;
    }
    draw_slider(app, c, r.x, r.y + r.h - 1, r.w, k);
    canvas_rect body = {r.x, r.y + 1, r.w, r.h - 2};
    if (body.h <= 0)
        return;
    if (k->type == TALLY_MEDIA_HISTOGRAM) {
        if (hist_load(st, k) != 0 && k->nhist == 0) {
            canvas_text(c, body.x, body.y, body.w, "cannot read the histograms", CANVAS_RED, 0);
            return;
        }
        if (m->hist_mode)
            draw_distribution(c, body, k, focused);
        else
            draw_ridgeline(c, body, k, c->ascii, focused ? body.w / 2 : -1);
        return;
    }
    if (k->type == TALLY_MEDIA_TABLE || k->type == TALLY_MEDIA_PLOT) {
        int rc = table_load(st, k);
        if (rc) {
            canvas_printf(c, body.x, body.y, body.w, CANVAS_RED, 0, "cannot read the table: %s",
                          tally_strerror(rc));
            return;
        }
        if (k->type == TALLY_MEDIA_PLOT) {
            draw_plot(app, c, body, k);
        } else {
            canvas_printf(c, body.x, body.y, body.w, 0, CANVAS_DIM, "%zu rows x %zu columns%s%s",
                          k->table.nrows, k->table.ncols, k->table.filter[0] ? "  filter: " : "",
                          k->table.filter);
            draw_table(app, c, (canvas_rect){body.x, body.y + 1, body.w, body.h - 1}, k, focused);
        }
        return;
    }
    mobj o;
    int rc = mobj_read(st, k, k->steps[k->cur], &o, NULL);
    if (rc || !o.found) {
        canvas_printf(c, body.x, body.y, body.w, CANVAS_RED, 0, "cannot read step %lld: %s",
                      (long long)k->steps[k->cur], rc ? tally_strerror(rc) : "not found");
        mobj_free(&o);
        return;
    }
    switch (k->type) {
    case TALLY_MEDIA_IMAGE:
        if (o.nfiles) {
            int cap = o.caption[0] && body.h > 3;
            draw_image(app, c, (canvas_rect){body.x, body.y, body.w, body.h - cap}, o.sha[0],
                       focused);
            if (cap)
                canvas_text(c, body.x, body.y + body.h - 1, body.w, o.caption[0], 0, CANVAS_DIM);
        }
        break;
    case TALLY_MEDIA_IMAGES:
        if (focused && m->big && m->gallery_sel >= 0 && (size_t)m->gallery_sel < o.nfiles) {
            size_t i = (size_t)m->gallery_sel;
            draw_image(app, c, (canvas_rect){body.x, body.y, body.w, body.h - 1}, o.sha[i], 1);
            canvas_printf(c, body.x, body.y + body.h - 1, body.w, 0, CANVAS_DIM, "%zu/%zu  %s",
                          i + 1, o.nfiles, o.caption[i] ? o.caption[i] : "");
        } else {
            draw_gallery(app, c, body, &o, focused ? m->gallery_sel : -1, focused);
        }
        break;
    case TALLY_MEDIA_AUDIO: draw_audio(app, c, body, k, &o); break;
    case TALLY_MEDIA_VIDEO: draw_video(app, c, body, k, &o, focused); break;
    default:
        canvas_printf(c, body.x, body.y, body.w, 0, CANVAS_DIM, "a %s object", type_label(k->type));
        break;
    }
    mobj_free(&o);
}

void view_media_draw(tui_app *app, canvas *c, canvas_rect r, char *hint, size_t hint_size)
{
    media_state *m = state_of(app);
    snprintf(hint, hint_size, " ? help");
    if (!m)
        return;
    size_t *idx = malloc((m->nkeys + 1) * sizeof *idx);
    if (!idx)
        return;
    size_t n = shown_keys(app, m, idx);
    if (n == 0) {
        const char *msg = m->nkeys ? "no media key matches the filter"
                                   : "no images, histograms, tables, plots, audio or video logged"
                                     " in this run (yet)";
        canvas_text(c, r.x + 1, r.y + r.h / 2, r.w - 2, msg, 0, CANVAS_BOLD);
        canvas_text(c, r.x + 1, r.y + r.h / 2 + 1, r.w - 2,
                    "(tally_log_image, tally_log_histogram, tally_log_table, ... and wandb.Image,"
                    " wandb.Histogram, wandb.Table in Python)",
                    0, CANVAS_DIM);
        free(idx);
        return;
    }
    if (m->sel >= (int)n)
        m->sel = (int)n - 1;
    if (m->sel < 0)
        m->sel = 0;
    media_key *selk = &m->keys[idx[m->sel]];
    if (m->focus) {
        draw_panel(app, c, r, selk, 1, 1);
    } else {
        int cols = r.w / MEDIA_PANEL_W > 0 ? r.w / MEDIA_PANEL_W : 1;
        if ((size_t)cols > n)
            cols = (int)n;
        int rows_total = (int)((n + (size_t)cols - 1) / (size_t)cols);
        int ph = n <= (size_t)cols ? r.h : MEDIA_PANEL_H;
        if (ph > r.h)
            ph = r.h;
        int rows_fit = r.h / ph > 0 ? r.h / ph : 1;
        if (rows_fit > rows_total)
            rows_fit = rows_total;
        ph = r.h / rows_fit; /* the panels fill the tab */
        int srow = m->sel / cols;
        if (srow < m->top)
            m->top = srow;
        if (srow >= m->top + rows_fit)
            m->top = srow - rows_fit + 1;
        int pw = r.w / cols;
        for (int row = 0; row < rows_fit; row++)
            for (int col = 0; col < cols; col++) {
                size_t i = (size_t)(m->top + row) * (size_t)cols + (size_t)col;
                if (i >= n)
                    break;
                canvas_rect pr = {r.x + col * pw, r.y + row * ph, pw - 1, ph - 1};
                draw_panel(app, c, pr, &m->keys[idx[i]], (int)i == m->sel, 0);
            }
    }
    const media_key *k = selk;
    if (m->focus && k->type == TALLY_MEDIA_TABLE)
        snprintf(hint, hint_size,
                 " row %zu/%zu  j/k rows  h/l columns  o sort  r reverse  / filter  [ ] step  Esc"
                 " back",
                 k->table.nshown ? k->table_sel + 1 : 0, k->table.nshown);
    else if (m->focus && k->type == TALLY_MEDIA_IMAGES)
        snprintf(hint, hint_size, " j/k pick an image  Enter %s  [ ] step  { } first/last  Esc back",
                 m->big ? "the grid" : "show it alone");
    else if (m->focus && k->type == TALLY_MEDIA_VIDEO)
        snprintf(hint, hint_size, " Space %s  [ ] step  Esc back", m->playing ? "pause" : "play");
    else if (m->focus && k->type == TALLY_MEDIA_HISTOGRAM)
        snprintf(hint, hint_size, " d %s  [ ] step  { } first/last  Esc back",
                 m->hist_mode ? "offset view" : "distribution view");
    else if (m->focus)
        snprintf(hint, hint_size, " [ ] step  { } first/last  L %s  %s  Esc back",
                 m->linked ? "unlink" : "link", termcaps_gfx_name(app->caps.gfx));
    else
        snprintf(hint, hint_size, " %zu keys  [ ] step  { } first/last  L %s  Enter focus  %s  ? help",
                 n, m->linked ? "unlink" : "link", termcaps_gfx_name(app->caps.gfx));
    free(idx);
}

/* ---- keys ---- */

/* Moves key k's slider: by one (dir -1 / +1), or to the first / last. */
static void slide(media_key *k, int how)
{
    if (k->nsteps == 0)
        return;
    if (how == -2)
        k->cur = 0;
    else if (how == 2)
        k->cur = k->nsteps - 1;
    else if (how < 0 && k->cur > 0)
        k->cur--;
    else if (how > 0 && k->cur + 1 < k->nsteps)
        k->cur++;
    k->follow = k->cur + 1 == k->nsteps;
}

/* Linked: every other key goes to the last of its steps at or before the
 * selected key's step (its first when it has none so early). */
static void link_others(media_state *m, const media_key *from)
{
    int64_t step = from->steps[from->cur];
    for (size_t i = 0; i < m->nkeys; i++) {
        media_key *k = &m->keys[i];
        if (k == from || k->nsteps == 0)
            continue;
        size_t j = 0;
        while (j + 1 < k->nsteps && k->steps[j + 1] <= step)
            j++;
        k->cur = j;
        k->follow = from->follow && j + 1 == k->nsteps;
    }
}

static void gallery_count(tui_app *app, media_key *k, size_t *n)
{
    mobj o;
    *n = 0;
    if (k->nsteps && mobj_read(app->run.store, k, k->steps[k->cur], &o, NULL) == 0) {
        *n = o.nfiles;
        mobj_free(&o);
    }
}

void view_media_action(tui_app *app, keymap_action a, int key)
{
    media_state *m = state_of(app);
    if (!m)
        return;
    size_t *idx = malloc((m->nkeys + 1) * sizeof *idx);
    if (!idx)
        return;
    size_t n = shown_keys(app, m, idx);
    if (n == 0) {
        free(idx);
        return;
    }
    if (m->sel >= (int)n)
        m->sel = (int)n - 1;
    media_key *k = &m->keys[idx[m->sel < 0 ? 0 : m->sel]];
    int table = m->focus && k->type == TALLY_MEDIA_TABLE && k->table_state == 1;
    int gallery = m->focus && k->type == TALLY_MEDIA_IMAGES;
    /* In a focused table, h / l / arrows scroll the columns. */
    if (table && (key == 'h' || key == KEY_T_LEFT))
        a = ACT_COL_LEFT;
    if (table && (key == 'l' || key == KEY_T_RIGHT))
        a = ACT_COL_RIGHT;
    size_t body = app->body_h > 4 ? (size_t)app->body_h - 4 : 1;
    switch (a) {
    case ACT_STEP_PREV:
    case ACT_STEP_NEXT:
    case ACT_STEP_FIRST:
    case ACT_STEP_LAST: {
        int how = a == ACT_STEP_PREV ? -1 : a == ACT_STEP_NEXT ? 1 : a == ACT_STEP_FIRST ? -2 : 2;
        slide(k, how);
        if (m->linked && k->nsteps)
            link_others(m, k);
        break;
    }
    case ACT_LINK:
        m->linked = !m->linked;
        if (m->linked && k->nsteps)
            link_others(m, k);
        snprintf(app->message, sizeof app->message, "%s",
                 m->linked ? "step sliders linked: every key follows this one's step"
                           : "step sliders move on their own");
        break;
    case ACT_HIST_MODE: m->hist_mode = !m->hist_mode; break;
    case ACT_PLAY:
        if (m->focus && k->type == TALLY_MEDIA_VIDEO) {
            m->playing = !m->playing;
            m->frame_t = app->now;
        }
        break;
    case ACT_ENTER:
        if (!m->focus) {
            m->focus = 1;
            m->gallery_sel = k->type == TALLY_MEDIA_IMAGES ? 0 : -1;
            m->big = 0;
        } else if (gallery) {
            m->big = !m->big;
        }
        break;
    case ACT_UP:
    case ACT_DOWN: {
        int d = a == ACT_UP ? -1 : 1;
        if (table) {
            if (d < 0 && k->table_sel > 0)
                k->table_sel--;
            else if (d > 0 && k->table_sel + 1 < k->table.nshown)
                k->table_sel++;
        } else if (gallery) {
            size_t cnt;
            gallery_count(app, k, &cnt);
            if (d < 0 && m->gallery_sel > 0)
                m->gallery_sel--;
            else if (d > 0 && (size_t)(m->gallery_sel + 1) < cnt)
                m->gallery_sel++;
        } else if (!m->focus) {
            m->sel += d;
        }
        break;
    }
    case ACT_PAGE_NEXT:
        if (table)
            k->table_sel = k->table_sel + body < k->table.nshown ? k->table_sel + body
                           : k->table.nshown ? k->table.nshown - 1
                                             : 0;
        else if (!m->focus)
            m->sel += 4;
        break;
    case ACT_PAGE_PREV:
        if (table)
            k->table_sel = k->table_sel > body ? k->table_sel - body : 0;
        else if (!m->focus)
            m->sel -= 4;
        break;
    case ACT_TOP:
        if (table)
            k->table_sel = 0;
        else if (!m->focus)
            m->sel = 0;
        break;
    case ACT_BOTTOM:
        if (table)
            k->table_sel = k->table.nshown ? k->table.nshown - 1 : 0;
        else if (!m->focus)
            m->sel = (int)n - 1;
        break;
    case ACT_SORT:
        if (table || (k->type == TALLY_MEDIA_TABLE && k->table_state == 1)) {
            int next = k->table.sort_col + 1;
            tablemodel_sort(&k->table, next >= (int)k->table.ncols ? -1 : next);
            if (k->table.sort_col >= 0 && k->table.sort_desc)
                tablemodel_sort(&k->table, k->table.sort_col); /* a new column starts ascending */
            k->table_sel = 0;
        }
        break;
    case ACT_REVERSE:
        if (k->type == TALLY_MEDIA_TABLE && k->table_state == 1 && k->table.sort_col >= 0)
            tablemodel_sort(&k->table, k->table.sort_col);
        break;
    case ACT_COL_LEFT:
        if (k->table_col > 0)
            k->table_col--;
        break;
    case ACT_COL_RIGHT:
        if (k->type == TALLY_MEDIA_TABLE && k->table_col + 1 < k->table.ncols)
            k->table_col++;
        break;
    default: break;
    }
    if (m->sel < 0)
        m->sel = 0;
    if (m->sel >= (int)n)
        m->sel = (int)n - 1;
    free(idx);
}

static media_key *focused_table(tui_app *app)
{
    media_state *m = app->media;
    if (!m || !m->focus)
        return NULL;
    size_t *idx = malloc((m->nkeys + 1) * sizeof *idx);
    if (!idx)
        return NULL;
    size_t n = shown_keys(app, m, idx);
    media_key *k = m->sel >= 0 && (size_t)m->sel < n ? &m->keys[idx[m->sel]] : NULL;
    free(idx);
    return k && k->type == TALLY_MEDIA_TABLE && k->table_state == 1 ? k : NULL;
}

int view_media_prompt(tui_app *app, const char *text)
{
    media_key *k = focused_table(app);
    if (!k)
        return 0;
    tablemodel_filter(&k->table, text);
    k->table_sel = k->table_top = 0;
    return 1;
}

const char *view_media_filter_text(const tui_app *app)
{
    media_key *k = focused_table((tui_app *)app);
    return k ? k->table.filter : NULL;
}

int view_media_back(tui_app *app)
{
    media_state *m = app->media;
    if (!m)
        return 0;
    media_key *k = focused_table(app);
    if (k && k->table.filter[0]) {
        tablemodel_filter(&k->table, "");
        k->table_sel = k->table_top = 0;
        return 1;
    }
    if (m->focus && m->big) {
        m->big = 0;
        return 1;
    }
    if (m->focus) {
        m->focus = 0;
        m->playing = 0;
        return 1;
    }
    return 0;
}
