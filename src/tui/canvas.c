/*
 * canvas.c — the cell grid the dashboard draws into (see canvas.h).
 * Owns the cell array; every text from a run passes text_sanitize here,
 * so no view can hand the terminal a control sequence.
 */
#include "tui/canvas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/text.h"

int canvas_resize(canvas *c, int w, int h)
{
    if (w < 0)
        w = 0;
    if (h < 0)
        h = 0;
    if (w != c->w || h != c->h || !c->cells) {
        canvas_cell *cells = calloc((size_t)w * (size_t)h + 1, sizeof *cells);
        if (!cells)
            return -1;
        free(c->cells);
        c->cells = cells;
        c->w = w;
        c->h = h;
    }
    canvas_clear(c);
    return 0;
}

static void gfx_clear(canvas *c)
{
    for (size_t i = 0; i < c->ngfx; i++)
        free(c->gfx[i].data);
    free(c->gfx);
    c->gfx = NULL;
    c->ngfx = 0;
}

void canvas_free(canvas *c)
{
    free(c->cells);
    gfx_clear(c);
    c->cells = NULL;
    c->w = c->h = 0;
}

void canvas_clear(canvas *c)
{
    for (int i = 0; i < c->w * c->h; i++)
        c->cells[i] = (canvas_cell){' ', 0, 0, 0, 0};
    gfx_clear(c);
}

/* FNV-1a over the bytes and the rectangle. */
static uint64_t gfx_hash(canvas_rect r, const char *data, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    int v[4] = {r.x, r.y, r.w, r.h};
    const unsigned char *p = (const unsigned char *)v;
    for (size_t i = 0; i < sizeof v; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)data[i]) * 1099511628211ull;
    return h;
}

int canvas_add_gfx(canvas *c, canvas_rect r, char *data, size_t len)
{
    canvas_gfx *v = realloc(c->gfx, (c->ngfx + 1) * sizeof *v);
    if (!v) {
        free(data);
        return -1;
    }
    c->gfx = v;
    c->gfx[c->ngfx++] = (canvas_gfx){r, data, len, gfx_hash(r, data, len)};
    return 0;
}

const canvas_cell *canvas_at(const canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return NULL;
    return &c->cells[y * c->w + x];
}

void canvas_put(canvas *c, int x, int y, uint32_t ch, int fg, unsigned attr)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return;
    canvas_cell *cell = &c->cells[y * c->w + x];
    /* Overwriting half of a wide character blanks its other half. */
    if (cell->ch == CANVAS_WIDE_TAIL && x > 0)
        c->cells[y * c->w + x - 1].ch = ' ';
    else if (x + 1 < c->w && c->cells[y * c->w + x + 1].ch == CANVAS_WIDE_TAIL &&
             ch != CANVAS_WIDE_TAIL)
        c->cells[y * c->w + x + 1].ch = ' ';
    cell->ch = ch;
    cell->fg = (uint8_t)fg;
    cell->attr = (uint8_t)attr;
    cell->fgx = cell->bgx = 0;
}

void canvas_put_x(canvas *c, int x, int y, uint32_t ch, uint32_t fgx, uint32_t bgx)
{
    canvas_put(c, x, y, ch, CANVAS_DEFAULT, 0);
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return;
    c->cells[y * c->w + x].fgx = fgx;
    c->cells[y * c->w + x].bgx = bgx;
}

void canvas_fill(canvas *c, canvas_rect r, uint32_t ch, int fg, unsigned attr)
{
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            canvas_put(c, x, y, ch, fg, attr);
}

static int cp_width(uint32_t cp)
{
    int w = wcwidth((wchar_t)cp);
    return w < 0 ? 1 : w; /* sanitized text has no controls left */
}

/* Walks sanitized text; calls put for each code point that fits. */
static int layout_text(canvas *c, int x, int y, int maxw, const char *s, int fg, unsigned attr,
                       int draw)
{
    if (!s || maxw <= 0)
        return 0;
    buf b = BUF_INIT;
    text_sanitize(&b, s, strlen(s), c->ascii ? TEXT_ASCII : 0);
    const char *p = buf_cstr(&b);
    size_t n = strlen(p), i = 0;
    int used = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (len == 0) {
            cp = '?';
            len = 1;
        }
        int w = cp_width(cp);
        /* Does the rest fit?  If not, keep a column for the '~' mark. */
        if (used + w > maxw || (used + w == maxw && i + len < n)) {
            if (draw && used < maxw)
                canvas_put(c, x + used, y, '~', fg, attr | CANVAS_DIM);
            used = used < maxw ? used + 1 : used;
            break;
        }
        if (draw) {
            canvas_put(c, x + used, y, cp, fg, attr);
            if (w == 2)
                canvas_put(c, x + used + 1, y, CANVAS_WIDE_TAIL, fg, attr);
        }
        used += w;
        i += len;
    }
    buf_free(&b);
    return used;
}

int canvas_text(canvas *c, int x, int y, int maxw, const char *s, int fg, unsigned attr)
{
    return layout_text(c, x, y, maxw, s, fg, attr, 1);
}

int canvas_text_width(const canvas *c, const char *s)
{
    canvas tmp = *c;
    return layout_text(&tmp, 0, 0, 1 << 30, s, 0, 0, 0);
}

int canvas_printf(canvas *c, int x, int y, int maxw, int fg, unsigned attr, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return canvas_text(c, x, y, maxw, line, fg, attr);
}

void canvas_hline(canvas *c, int x, int y, int w, int fg, unsigned attr)
{
    for (int i = 0; i < w; i++)
        canvas_put(c, x + i, y, c->ascii ? '-' : 0x2500, fg, attr);
}

static void put_utf8(buf *out, uint32_t cp)
{
    char s[4];
    if (cp < 0x80) {
        buf_putc(out, (char)cp);
    } else if (cp < 0x800) {
        s[0] = (char)(0xc0 | cp >> 6), s[1] = (char)(0x80 | (cp & 0x3f));
        buf_append(out, s, 2);
    } else if (cp < 0x10000) {
        s[0] = (char)(0xe0 | cp >> 12), s[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        s[2] = (char)(0x80 | (cp & 0x3f));
        buf_append(out, s, 3);
    } else {
        s[0] = (char)(0xf0 | cp >> 18), s[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        s[2] = (char)(0x80 | (cp >> 6 & 0x3f)), s[3] = (char)(0x80 | (cp & 0x3f));
        buf_append(out, s, 4);
    }
}

void canvas_row_text(const canvas *c, int y, buf *out)
{
    for (int x = 0; x < c->w; x++) {
        uint32_t ch = c->cells[y * c->w + x].ch;
        if (ch != CANVAS_WIDE_TAIL)
            put_utf8(out, ch);
    }
}

void canvas_dump(const canvas *c, buf *out)
{
    for (int y = 0; y < c->h; y++) {
        size_t start = out->len;
        canvas_row_text(c, y, out);
        while (out->len > start && out->data[out->len - 1] == ' ')
            out->len--;
        buf_putc(out, '\n');
    }
}
