/*
 * palette.c — series colours for compare (see palette.h).
 */
#include "tui/palette.h"

#include <stdlib.h>

/* Picked from the xterm cube farthest point first (each the colour
 * farthest from those before it), among colours that are neither grey nor
 * too dark for a black terminal nor too light for a white one (luminance
 * 90..225 of 255): no two are closer than 97 in RGB.  The order keeps
 * neighbours in the legend far apart. */
static const int xterm[PALETTE_SIZE] = {39,  202, 165, 46,  156, 60, 211, 106,
                                        48,  111, 198, 220, 29,  77, 86,  134};

/* The six basic colours, in the order compare used before. */
static const int basic[6] = {CANVAS_CYAN,  CANVAS_YELLOW, CANVAS_MAGENTA,
                             CANVAS_GREEN, CANVAS_BLUE,   CANVAS_RED};

int palette_run_color(size_t i) { return CANVAS_SERIES_BASE + (int)(i % PALETTE_SIZE); }

int palette_xterm(int fg)
{
    int k = fg - CANVAS_SERIES_BASE;
    return k >= 0 && k < PALETTE_SIZE ? xterm[k] : -1;
}

int palette_basic(int fg)
{
    int k = fg - CANVAS_SERIES_BASE;
    return k >= 0 && k < PALETTE_SIZE ? basic[k % 6] : fg;
}

void palette_rgb(int x, int rgb[3])
{
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    static const int base16[16][3] = {
        {0, 0, 0},       {128, 0, 0},   {0, 128, 0},   {128, 128, 0},
        {0, 0, 128},     {128, 0, 128}, {0, 128, 128}, {192, 192, 192},
        {128, 128, 128}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
        {0, 0, 255},     {255, 0, 255}, {0, 255, 255}, {255, 255, 255}};
    if (x < 0 || x > 255)
        x = 0;
    if (x < 16) {
        for (int i = 0; i < 3; i++)
            rgb[i] = base16[x][i];
    } else if (x < 232) {
        x -= 16;
        rgb[0] = level[x / 36];
        rgb[1] = level[x / 6 % 6];
        rgb[2] = level[x % 6];
    } else {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (x - 232);
    }
}

static int dist2(const int a[3], int r, int g, int b)
{
    return (a[0] - r) * (a[0] - r) + (a[1] - g) * (a[1] - g) + (a[2] - b) * (a[2] - b);
}

int palette_nearest(uint32_t rgb, int ncolors)
{
    int r = (int)(rgb >> 16 & 0xff), g = (int)(rgb >> 8 & 0xff), b = (int)(rgb & 0xff);
    int best = 0, bestd = 1 << 30;
    if (ncolors >= 256) {
        /* The cube's nearest level on each axis, and the nearest grey. */
        static const int level[6] = {0, 95, 135, 175, 215, 255};
        int ix[3], v[3] = {r, g, b};
        for (int k = 0; k < 3; k++) {
            ix[k] = 0;
            for (int l = 1; l < 6; l++)
                if (abs(level[l] - v[k]) < abs(level[ix[k]] - v[k]))
                    ix[k] = l;
        }
        int cube = 16 + 36 * ix[0] + 6 * ix[1] + ix[2];
        int grey = 232 + ((r + g + b) / 3 - 3) / 10;
        grey = grey < 232 ? 232 : grey > 255 ? 255 : grey;
        int c[3], gr[3];
        palette_rgb(cube, c);
        palette_rgb(grey, gr);
        return dist2(c, r, g, b) <= dist2(gr, r, g, b) ? cube : grey;
    }
    int n = ncolors >= 16 ? 16 : 8;
    for (int i = 0; i < n; i++) {
        int c[3];
        palette_rgb(i, c);
        int d = dist2(c, r, g, b);
        if (d < bestd) {
            bestd = d;
            best = i;
        }
    }
    return best;
}
