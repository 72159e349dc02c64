/*
 * imgdraw.c — images through libchafa (see imgdraw.h).  chafa picks each
 * cell's symbol and its two colours from the pixels under it; the cells
 * land in the canvas, so screen.c draws them like any text.  Only bytes
 * built here from decoded pixels ever reach the terminal.
 */
#include "tui/imgdraw.h"

#include <chafa.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tally.h"

void imgdraw_fit(int iw, int ih, int cols, int rows, int cell_w, int cell_h, int *out_cols,
                 int *out_rows)
{
    if (cell_w <= 0 || cell_h <= 0)
        cell_w = 1, cell_h = 2;
    *out_cols = *out_rows = 0;
    if (iw <= 0 || ih <= 0 || cols <= 0 || rows <= 0)
        return;
    /* The image's aspect in cells: (iw / cell_w) : (ih / cell_h). */
    double aw = (double)iw / cell_w, ah = (double)ih / cell_h;
    double k = (double)cols / aw < (double)rows / ah ? (double)cols / aw : (double)rows / ah;
    int c = (int)(aw * k + 0.5), r = (int)(ah * k + 0.5);
    *out_cols = c < 1 ? 1 : c > cols ? cols : c;
    *out_rows = r < 1 ? 1 : r > rows ? rows : r;
}

/* chafa renders with a pool of threads by default, and with more than one
 * the same pixels do not always give the same cells (a colour at an edge
 * flips between frames).  One thread: the same image draws the same way
 * every time, and the dashboard leaves the training its cores. */
static pthread_once_t chafa_once = PTHREAD_ONCE_INIT;

static void chafa_single_thread(void)
{
    chafa_set_n_threads(1);
}

static ChafaSymbolMap *symbol_map(termcaps_symbols s)
{
    ChafaSymbolMap *map = chafa_symbol_map_new();
    ChafaSymbolTags tags = CHAFA_SYMBOL_TAG_SPACE | CHAFA_SYMBOL_TAG_SOLID;
    switch (s) {
    case TERMCAPS_SYM_ASCII: tags = CHAFA_SYMBOL_TAG_ASCII; break;
    case TERMCAPS_SYM_HALF: tags |= CHAFA_SYMBOL_TAG_HHALF; break;
    case TERMCAPS_SYM_QUAD: tags |= CHAFA_SYMBOL_TAG_QUAD | CHAFA_SYMBOL_TAG_HALF; break;
    case TERMCAPS_SYM_SEXTANT:
        tags |= CHAFA_SYMBOL_TAG_SEXTANT | CHAFA_SYMBOL_TAG_QUAD | CHAFA_SYMBOL_TAG_HALF;
        break;
    }
    chafa_symbol_map_add_by_tags(map, tags);
    return map;
}

static ChafaCanvasMode canvas_mode(int colors)
{
    if (colors >= 1 << 24)
        return CHAFA_CANVAS_MODE_TRUECOLOR;
    if (colors >= 256)
        return CHAFA_CANVAS_MODE_INDEXED_240; /* not the theme's 16 */
    if (colors >= 16)
        return CHAFA_CANVAS_MODE_INDEXED_16;
    if (colors >= 8)
        return CHAFA_CANVAS_MODE_INDEXED_8;
    return CHAFA_CANVAS_MODE_FGBG;
}

/* A chafa raw colour as a canvas colour (0: the terminal's default). */
static uint32_t cell_color(int raw, ChafaCanvasMode mode)
{
    if (raw < 0)
        return 0;
    if (mode == CHAFA_CANVAS_MODE_TRUECOLOR)
        return CANVAS_X_RGB | ((uint32_t)raw & 0xffffffu);
    if (mode == CHAFA_CANVAS_MODE_FGBG || raw > 255)
        return 0; /* fg/bg only, or chafa's transparent index */
    return CANVAS_XIDX(raw);
}

static int size_ok(int w, int h)
{
    return w > 0 && h > 0 && w <= 1 << 15 && h <= 1 << 15;
}

int imgdraw_cells(canvas *c, canvas_rect r, const unsigned char *rgba, int w, int h,
                  const imgdraw_opts *o)
{
    if (!rgba || !size_ok(w, h))
        return TALLY_EINVAL;
    int cols, rows;
    imgdraw_fit(w, h, r.w, r.h, 1, 2, &cols, &rows); /* cells: twice as tall as wide */
    if (cols <= 0 || rows <= 0)
        return 0;
    ChafaCanvasMode mode = canvas_mode(o->colors);
    ChafaSymbolMap *map = symbol_map(o->symbols);
    pthread_once(&chafa_once, chafa_single_thread);
    ChafaCanvasConfig *cfg = chafa_canvas_config_new();
    chafa_canvas_config_set_geometry(cfg, cols, rows);
    chafa_canvas_config_set_canvas_mode(cfg, mode);
    chafa_canvas_config_set_symbol_map(cfg, map);
    chafa_canvas_config_set_pixel_mode(cfg, CHAFA_PIXEL_MODE_SYMBOLS);
    /* Fewer symbol candidates a cell: a slider move stays well inside its
     * 50 ms on a full screen (0.5, chafa's default, took twice as long). */
    chafa_canvas_config_set_work_factor(cfg, 0.2f);
    if (mode == CHAFA_CANVAS_MODE_FGBG)
        chafa_canvas_config_set_fg_only_enabled(cfg, TRUE);
    ChafaCanvas *cv = chafa_canvas_new(cfg);
    if (!cv) {
        chafa_canvas_config_unref(cfg);
        chafa_symbol_map_unref(map);
        return TALLY_ENOMEM;
    }
    chafa_canvas_draw_all_pixels(cv, CHAFA_PIXEL_RGBA8_UNASSOCIATED, rgba, w, h, w * 4);
    int x0 = r.x + (r.w - cols) / 2, y0 = r.y + (r.h - rows) / 2;
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++) {
            gunichar ch = chafa_canvas_get_char_at(cv, x, y);
            int fg = -1, bg = -1;
            chafa_canvas_get_raw_colors_at(cv, x, y, &fg, &bg);
            /* chafa only ever picks from our map, but a cell is a cell:
             * nothing below a space or a control reaches the terminal. */
            if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0))
                ch = ' ';
            canvas_put_x(c, x0 + x, y0 + y, ch, cell_color(fg, mode), cell_color(bg, mode));
        }
    chafa_canvas_unref(cv);
    chafa_canvas_config_unref(cfg);
    chafa_symbol_map_unref(map);
    return 0;
}

int imgdraw_scale(const unsigned char *rgba, int w, int h, int maxw, int maxh,
                  unsigned char **out, int *ow, int *oh)
{
    *out = NULL;
    if (!rgba || !size_ok(w, h) || maxw <= 0 || maxh <= 0)
        return TALLY_EINVAL;
    int nw = w, nh = h;
    if (nw > maxw || nh > maxh) {
        double k = (double)maxw / w < (double)maxh / h ? (double)maxw / w : (double)maxh / h;
        nw = (int)(w * k);
        nh = (int)(h * k);
        nw = nw < 1 ? 1 : nw;
        nh = nh < 1 ? 1 : nh;
    }
    unsigned char *dst = malloc((size_t)nw * (size_t)nh * 4);
    if (!dst)
        return TALLY_ENOMEM;
    /* Each output pixel averages the source box it covers. */
    for (int y = 0; y < nh; y++) {
        int sy0 = (int)((long long)y * h / nh), sy1 = (int)((long long)(y + 1) * h / nh);
        if (sy1 <= sy0)
            sy1 = sy0 + 1;
        for (int x = 0; x < nw; x++) {
            int sx0 = (int)((long long)x * w / nw), sx1 = (int)((long long)(x + 1) * w / nw);
            if (sx1 <= sx0)
                sx1 = sx0 + 1;
            unsigned long sum[4] = {0, 0, 0, 0}, n = 0;
            for (int sy = sy0; sy < sy1; sy++)
                for (int sx = sx0; sx < sx1; sx++) {
                    const unsigned char *p = rgba + ((size_t)sy * w + sx) * 4;
                    for (int k = 0; k < 4; k++)
                        sum[k] += p[k];
                    n++;
                }
            unsigned char *q = dst + ((size_t)y * nw + x) * 4;
            for (int k = 0; k < 4; k++)
                q[k] = (unsigned char)(sum[k] / n);
        }
    }
    *out = dst;
    *ow = nw;
    *oh = nh;
    return 0;
}

int imgdraw_kitty(const unsigned char *rgba, int w, int h, int cols, int rows, uint32_t id,
                  buf *out)
{
    if (!rgba || !size_ok(w, h) || cols <= 0 || rows <= 0)
        return TALLY_EINVAL;
    uLong raw = (uLong)w * (uLong)h * 4;
    uLongf zlen = compressBound(raw);
    unsigned char *z = malloc(zlen);
    if (!z)
        return TALLY_ENOMEM;
    if (compress2(z, &zlen, rgba, raw, 6) != Z_OK) {
        free(z);
        return TALLY_ENOMEM;
    }
    gchar *b64 = g_base64_encode(z, zlen);
    free(z);
    if (!b64)
        return TALLY_ENOMEM;
    size_t n = strlen(b64);
    /* The first chunk carries the keys; the rest only m=.  q=2: the
     * terminal answers nothing (an answer would read as keys), C=1: the
     * cursor stays, so ncurses' idea of it stays true. */
    for (size_t off = 0; off < n || off == 0; off += IMGDRAW_KITTY_CHUNK) {
        size_t len = n - off < IMGDRAW_KITTY_CHUNK ? n - off : IMGDRAW_KITTY_CHUNK;
        int more = off + len < n;
        if (off == 0)
            buf_printf(out, "\033_Ga=T,f=32,o=z,s=%d,v=%d,c=%d,r=%d,i=%u,q=2,C=1,m=%d;", w, h,
                       cols, rows, (unsigned)id, more);
        else
            buf_printf(out, "\033_Gm=%d;", more);
        buf_append(out, b64 + off, len);
        buf_puts(out, "\033\\");
        if (n == 0)
            break;
    }
    g_free(b64);
    return out->oom ? TALLY_ENOMEM : 0;
}

void imgdraw_kitty_delete_all(buf *out)
{
    buf_puts(out, "\033_Ga=d,d=A,q=2\033\\");
}

int imgdraw_pixels(termcaps_gfx gfx, const unsigned char *rgba, int w, int h, int cols, int rows,
                   const imgdraw_opts *o, buf *out)
{
    if (!rgba || !size_ok(w, h) || cols <= 0 || rows <= 0)
        return TALLY_EINVAL;
    if (gfx == TERMCAPS_KITTY)
        return imgdraw_kitty(rgba, w, h, cols, rows, 1, out);
    if (gfx != TERMCAPS_SIXEL && gfx != TERMCAPS_ITERM2)
        return TALLY_EINVAL;
    int cw = o && o->cell_w > 0 ? o->cell_w : 10, ch = o && o->cell_h > 0 ? o->cell_h : 20;
    pthread_once(&chafa_once, chafa_single_thread);
    ChafaCanvasConfig *cfg = chafa_canvas_config_new();
    chafa_canvas_config_set_geometry(cfg, cols, rows);
    chafa_canvas_config_set_cell_geometry(cfg, cw, ch);
    chafa_canvas_config_set_pixel_mode(
        cfg, gfx == TERMCAPS_SIXEL ? CHAFA_PIXEL_MODE_SIXELS : CHAFA_PIXEL_MODE_ITERM2);
    chafa_canvas_config_set_canvas_mode(cfg, CHAFA_CANVAS_MODE_TRUECOLOR);
    ChafaCanvas *cv = chafa_canvas_new(cfg);
    ChafaTermInfo *ti = chafa_term_db_get_fallback_info(chafa_term_db_get_default());
    int rc = TALLY_ENOMEM;
    if (cv && ti) {
        chafa_canvas_draw_all_pixels(cv, CHAFA_PIXEL_RGBA8_UNASSOCIATED, rgba, w, h, w * 4);
        GString *s = chafa_canvas_print(cv, ti);
        if (s) {
            buf_append(out, s->str, s->len);
            g_string_free(s, TRUE);
            rc = out->oom ? TALLY_ENOMEM : 0;
        }
    }
    if (ti)
        chafa_term_info_unref(ti);
    if (cv)
        chafa_canvas_unref(cv);
    chafa_canvas_config_unref(cfg);
    return rc;
}
