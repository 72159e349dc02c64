/*
 * braille.c — the 2x4 dot raster (see braille.h).  Owns its dot and
 * colour arrays; chart.c is its caller.
 */
#include "tui/braille.h"

#include <stdlib.h>
#include <string.h>

int braille_init(braille *b, int w, int h)
{
    b->w = w > 0 ? w : 0;
    b->h = h > 0 ? h : 0;
    size_t n = (size_t)b->w * (size_t)b->h + 1;
    b->dots = calloc(n, 1);
    b->color = calloc(n, 1);
    if (!b->dots || !b->color) {
        braille_free(b);
        return -1;
    }
    return 0;
}

void braille_free(braille *b)
{
    free(b->dots);
    free(b->color);
    b->dots = b->color = NULL;
}

/* Unicode's braille numbering: dots 1-3 and 7 down the left column,
 * 4-6 and 8 down the right one. */
uint8_t braille_bit(int dx, int dy)
{
    static const uint8_t bits[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    return bits[dy & 3][dx & 1];
}

void braille_dot(braille *b, int px, int py, int color)
{
    if (px < 0 || py < 0 || px >= 2 * b->w || py >= 4 * b->h)
        return;
    int i = (py / 4) * b->w + px / 2;
    b->dots[i] |= braille_bit(px % 2, py % 4);
    b->color[i] = (uint8_t)color;
}

void braille_line(braille *b, int x0, int y0, int x1, int y1, int color)
{
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    /* Bound the walk: a line far off the raster is clipped by the dots. */
    for (int guard = 0; guard < 1 << 16; guard++) {
        braille_dot(b, x0, y0, color);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

/* ASCII: which rows of the cell hold dots decides the character. */
static uint32_t ascii_char(uint8_t dots)
{
    int rows[4] = {(dots & 0x09) != 0, (dots & 0x12) != 0, (dots & 0x24) != 0, (dots & 0xc0) != 0};
    int top = -1, bottom = -1;
    for (int r = 0; r < 4; r++)
        if (rows[r]) {
            if (top < 0)
                top = r;
            bottom = r;
        }
    if (top < 0)
        return ' ';
    if (bottom - top >= 2)
        return '|';
    if (bottom - top == 1) {
        /* A step inside the cell: a slash by which side is higher. */
        int left_top = (dots & (top == 0 ? 0x01 : top == 1 ? 0x02 : 0x04)) != 0;
        int right_top = (dots & (top == 0 ? 0x08 : top == 1 ? 0x10 : 0x20)) != 0;
        if (left_top && !right_top)
            return '\\';
        if (right_top && !left_top)
            return '/';
        return top == 0 ? '\'' : top == 1 ? '-' : '.';
    }
    static const uint32_t single[4] = {'\'', '-', '.', '_'};
    return single[top];
}

uint32_t braille_char(uint8_t dots, int ascii)
{
    if (ascii)
        return ascii_char(dots);
    return 0x2800u + dots;
}

void braille_blit(const braille *b, canvas *c, int x, int y)
{
    for (int cy = 0; cy < b->h; cy++)
        for (int cx = 0; cx < b->w; cx++) {
            int i = cy * b->w + cx;
            if (b->dots[i])
                canvas_put(c, x + cx, y + cy, braille_char(b->dots[i], c->ascii), b->color[i], 0);
        }
}
