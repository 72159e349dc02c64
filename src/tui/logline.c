/*
 * logline.c — SGR colour codes in console lines (see logline.h).
 */
#include "tui/logline.h"

#include <string.h>
#include <wchar.h>

#include "common/buf.h"
#include "common/text.h"

/* The nearest of the eight basic colours to an RGB triple (0..255 each):
 * each channel is on when it is past the middle; black and white are the
 * terminal's default. */
static int basic_of_rgb(int r, int g, int b)
{
    int c = (r > 127) | (g > 127) << 1 | (b > 127) << 2;
    return c == 0 || c == 7 ? CANVAS_DEFAULT : c;
}

/* One of the 256 xterm colours as a basic one. */
static int basic_of_256(int n)
{
    if (n < 8)
        return n == 0 || n == 7 ? CANVAS_DEFAULT : n;
    if (n < 16)
        return n == 8 || n == 15 ? CANVAS_DEFAULT : n - 8;
    if (n < 232) { /* the 6x6x6 cube */
        n -= 16;
        return basic_of_rgb(n / 36 * 51, n / 6 % 6 * 51, n % 6 * 51);
    }
    return CANVAS_DEFAULT; /* the grey ramp */
}

/* Reads up to max numeric parameters of "ESC [ p;p;...m"; a missing one is 0.
 * Returns the sequence length, or 0 when s does not start with one. */
static size_t sgr_params(const char *s, size_t n, int *p, int max, int *np)
{
    if (n < 3 || s[0] != '\x1b' || s[1] != '[')
        return 0;
    *np = 0;
    int cur = 0;
    for (size_t i = 2; i < n && i < 256; i++) {
        char ch = s[i];
        if (ch >= '0' && ch <= '9') {
            cur = cur < 100000 ? cur * 10 + (ch - '0') : cur;
        } else if (ch == ';' || ch == ':' || ch == 'm') {
            if (*np < max)
                p[(*np)++] = cur;
            cur = 0;
            if (ch == 'm')
                return i + 1;
        } else {
            return 0; /* another CSI sequence: not ours to interpret */
        }
    }
    return 0;
}

size_t sgr_parse(const char *s, size_t n, sgr_style *style)
{
    int p[32], np;
    size_t len = sgr_params(s, n, p, 32, &np);
    if (!len)
        return 0;
    sgr_style st = *style;
    for (int i = 0; i < np; i++) {
        int v = p[i];
        if (v == 0) {
            st.fg = CANVAS_DEFAULT;
            st.attr = 0;
        } else if (v == 1) {
            st.attr = (st.attr | CANVAS_BOLD) & ~CANVAS_DIM;
        } else if (v == 2) {
            st.attr = (st.attr | CANVAS_DIM) & ~CANVAS_BOLD;
        } else if (v == 4) {
            st.attr |= CANVAS_UNDERLINE;
        } else if (v == 7) {
            st.attr |= CANVAS_REVERSE;
        } else if (v == 22) {
            st.attr &= ~(CANVAS_BOLD | CANVAS_DIM);
        } else if (v == 24) {
            st.attr &= ~CANVAS_UNDERLINE;
        } else if (v == 27) {
            st.attr &= ~CANVAS_REVERSE;
        } else if (v >= 30 && v <= 37) {
            st.fg = basic_of_256(v - 30);
        } else if (v == 39) {
            st.fg = CANVAS_DEFAULT;
        } else if (v >= 90 && v <= 97) {
            st.fg = basic_of_256(v - 90);
            st.attr |= CANVAS_BOLD;
        } else if (v == 38 || v == 48) {
            /* 38;5;n or 38;2;r;g;b (48: background, read and ignored). */
            int fg = CANVAS_DEFAULT, used = 0;
            if (i + 2 < np && p[i + 1] == 5) {
                fg = basic_of_256(p[i + 2] & 255);
                used = 2;
            } else if (i + 4 < np && p[i + 1] == 2) {
                fg = basic_of_rgb(p[i + 2] & 255, p[i + 3] & 255, p[i + 4] & 255);
                used = 4;
            }
            if (v == 38)
                st.fg = fg;
            i += used;
        }
        /* Backgrounds, blink, italics and the rest: dropped. */
    }
    *style = st;
    return len;
}

typedef struct flow {
    canvas *c;
    int x, y, w, max_rows, skip, wrap, draw;
    int col, row; /* where the next cell goes, col counting skipped ones */
    int full;     /* no room left */
} flow;

static void flow_put(flow *f, uint32_t cp, int cw, int fg, unsigned attr)
{
    if (f->full)
        return;
    if (f->wrap) {
        if (f->col + cw > f->w) {
            if (f->row + 1 >= f->max_rows) {
                f->full = 1;
                return;
            }
            f->row++;
            f->col = 0;
        }
        if (f->draw) {
            canvas_put(f->c, f->x + f->col, f->y + f->row, cp, fg, attr);
            if (cw == 2)
                canvas_put(f->c, f->x + f->col + 1, f->y + f->row, CANVAS_WIDE_TAIL, fg, attr);
        }
        f->col += cw;
        return;
    }
    int at = f->col - f->skip; /* the screen column */
    f->col += cw;
    if (at < 0)
        return; /* scrolled off to the left */
    if (at + cw > f->w) {
        /* More than fits: the last column says so. */
        if (f->draw)
            canvas_put(f->c, f->x + f->w - 1, f->y, '~', fg, attr | CANVAS_DIM);
        f->full = 1;
        return;
    }
    if (f->draw) {
        canvas_put(f->c, f->x + at, f->y, cp, fg, attr);
        if (cw == 2)
            canvas_put(f->c, f->x + at + 1, f->y, CANVAS_WIDE_TAIL, fg, attr);
    }
}

/* Sanitizes s[0..n) and flows it out in one style. */
static void flow_text(flow *f, const char *s, size_t n, int fg, unsigned attr)
{
    buf b = BUF_INIT;
    text_sanitize(&b, s, n, f->c->ascii ? TEXT_ASCII : 0);
    const char *p = buf_cstr(&b);
    size_t len = b.len, i = 0;
    while (i < len && !f->full) {
        uint32_t cp;
        size_t k = utf8_decode(p + i, len - i, &cp);
        if (k == 0)
            cp = '?', k = 1;
        int cw = wcwidth((wchar_t)cp);
        /* A cell holds one code point: zero-width ones (combining marks)
         * are left out, as canvas_text overwrites them. */
        if (cw != 0)
            flow_put(f, cp, cw < 0 ? 1 : cw, fg, attr);
        i += k;
    }
    buf_free(&b);
}

int logline_draw(canvas *c, int x, int y, int w, int max_rows, const char *line, int fg,
                 unsigned attr, int skip, int wrap, int draw)
{
    if (w <= 0 || max_rows <= 0 || !line)
        return 1;
    flow f = {c, x, y, w, max_rows, skip < 0 ? 0 : skip, wrap, draw, 0, 0, 0};
    sgr_style st = {CANVAS_DEFAULT, 0};
    int cur_fg = fg;
    unsigned cur_attr = attr;
    size_t n = strlen(line), start = 0, i = 0;
    /* Text between SGR sequences is drawn in the style they set over the
     * line's own (a reset returns to the line's colour, not to none). */
    while (i < n && !f.full) {
        size_t len = line[i] == '\x1b' ? sgr_parse(line + i, n - i, &st) : 0;
        if (!len) {
            i++;
            continue;
        }
        flow_text(&f, line + start, i - start, cur_fg, cur_attr);
        i += len;
        start = i;
        cur_fg = st.fg != CANVAS_DEFAULT ? st.fg : fg;
        cur_attr = attr | st.attr;
    }
    flow_text(&f, line + start, n - start, cur_fg, cur_attr);
    return f.row + 1;
}
