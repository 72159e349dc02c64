/*
 * test_tui_media.c — the media parts of the dashboard that need no run:
 * terminal capability parsing and the graphics choice, mosaic fallback
 * selection, images as cells (colours known) and as Kitty / sixel bytes
 * (well formed, Kitty chunked <= 4096), histogram ridgeline / bands / heat
 * layouts, and the table model (cell text, sort, filter, columns).
 */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <zlib.h>

#include "tui/histlayout.h"
#include "tui/imgdraw.h"
#include "tui/palette.h"
#include "tui/tablemodel.h"
#include "tui/termcaps.h"
#include "testutil.h"

/* ---- terminal capabilities ---- */

static void test_termcaps_parse(void **state)
{
    (void)state;
    termcaps_reply r;
    const char kitty_da[] = "\033_Gi=31;OK\033\\\033[?62;22;4c";
    termcaps_parse_reply(kitty_da, sizeof kitty_da - 1, &r);
    assert_true(r.answered);
    assert_true(r.kitty);
    assert_true(r.sixel);

    const char xterm[] = "\033[?64;1;2;6;9;15;16;17;18;21;22;28c";
    termcaps_parse_reply(xterm, sizeof xterm - 1, &r);
    assert_true(r.answered);
    assert_false(r.kitty);
    assert_false(r.sixel); /* 4 is not 64, 6, 14 ... */

    const char err[] = "\033_Gi=31;ENOTSUPPORTED:no\033\\\033[?1;2c";
    termcaps_parse_reply(err, sizeof err - 1, &r);
    assert_false(r.kitty);
    assert_true(r.answered);

    const char cut[] = "\033_Gi=31;OK\033";
    termcaps_parse_reply(cut, sizeof cut - 1, &r);
    assert_false(r.kitty);
    assert_false(r.answered);
    assert_false(termcaps_reply_done(cut, sizeof cut - 1));
    assert_true(termcaps_reply_done(xterm, sizeof xterm - 1));

    /* An OK for another id is not ours. */
    const char other[] = "\033_Gi=7;OK\033\\\033[?4c";
    termcaps_parse_reply(other, sizeof other - 1, &r);
    assert_false(r.kitty);
    assert_true(r.sixel);

    /* Junk and NULs around it. */
    const char junk[] = "ab\0\033[\033[?1;4c\033_G";
    termcaps_parse_reply(junk, sizeof junk - 1, &r);
    assert_true(r.sixel);
}

static void test_termcaps_query_bytes(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    termcaps_query_bytes(0, &b);
    assert_non_null(strstr(buf_cstr(&b), "\033_Gi=31,"));
    assert_non_null(strstr(buf_cstr(&b), "\033[c"));
    buf_reset(&b);
    termcaps_query_bytes(1, &b);
    /* Kitty's query wrapped for tmux, every ESC inside doubled; DA1 not. */
    assert_memory_equal(b.data, "\033Ptmux;\033\033_G", 10);
    assert_string_equal(b.data + b.len - 3, "\033[c");
    buf_free(&b);
}

static void test_termcaps_choose(void **state)
{
    (void)state;
    termcaps t;
    termcaps_env env = {.term = "xterm-256color"};
    termcaps_reply none = {.answered = 1};
    termcaps_reply kitty = {.answered = 1, .kitty = 1};
    termcaps_reply sixel = {.answered = 1, .sixel = 1};

    termcaps_choose(&env, &none, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_MOSAIC);
    assert_int_equal(t.symbols, TERMCAPS_SYM_QUAD);
    termcaps_choose(&env, &kitty, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_KITTY);
    termcaps_choose(&env, &sixel, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_SIXEL);
    /* No UTF-8: ASCII mosaics. */
    termcaps_choose(&env, &none, 0, &t);
    assert_int_equal(t.symbols, TERMCAPS_SYM_ASCII);

    /* kitty's environment, no query possible: trusted; inside tmux
     * without an answer through passthrough: not. */
    termcaps_env kenv = {.term = "xterm-kitty", .kitty_window_id = "1"};
    termcaps_choose(&kenv, NULL, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_KITTY);
    assert_int_equal(t.symbols, TERMCAPS_SYM_SEXTANT);
    termcaps_env tenv = {.term = "tmux-256color", .kitty_window_id = "1", .tmux = "/tmp/x,1,0"};
    termcaps_choose(&tenv, NULL, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_MOSAIC);
    termcaps_choose(&tenv, &none, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_MOSAIC);
    assert_true(t.in_tmux);
    assert_non_null(strstr(t.why, "passthrough"));
    termcaps_choose(&tenv, &kitty, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_KITTY);

    /* iTerm2 answers neither query; its TERM_PROGRAM decides. */
    termcaps_env ienv = {.term = "xterm-256color", .term_program = "iTerm.app"};
    termcaps_choose(&ienv, &none, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_ITERM2);
    termcaps_env fenv = {.term = "foot"};
    termcaps_choose(&fenv, NULL, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_SIXEL);

    /* TALLY_GRAPHICS and TALLY_MOSAIC decide over everything. */
    termcaps_env forced = {.term = "xterm-kitty", .graphics = "mosaic", .mosaic = "half"};
    assert_false(termcaps_should_query(&forced));
    termcaps_choose(&forced, &kitty, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_MOSAIC);
    assert_int_equal(t.symbols, TERMCAPS_SYM_HALF);
    assert_true(t.forced);
    forced.graphics = "ascii";
    termcaps_choose(&forced, NULL, 1, &t);
    assert_int_equal(t.symbols, TERMCAPS_SYM_ASCII);
    forced.graphics = "sixel";
    termcaps_choose(&forced, NULL, 1, &t);
    assert_int_equal(t.gfx, TERMCAPS_SIXEL);
    forced.graphics = "auto";
    assert_true(termcaps_should_query(&forced));
    forced.graphics = "bogus"; /* unknown: as auto */
    termcaps_choose(&forced, &none, 1, &t);
    assert_false(t.forced);
}

/* ---- images ---- */

/* w x h: left half red, right half blue, opaque. */
static unsigned char *two_colours(int w, int h)
{
    unsigned char *p = malloc((size_t)w * h * 4);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *q = p + ((size_t)y * w + x) * 4;
            q[0] = x < w / 2 ? 255 : 0;
            q[1] = 0;
            q[2] = x < w / 2 ? 0 : 255;
            q[3] = 255;
        }
    return p;
}

static void test_imgdraw_fit(void **state)
{
    (void)state;
    int c, r;
    imgdraw_fit(512, 512, 80, 24, 1, 2, &c, &r);
    assert_int_equal(r, 24);
    assert_int_equal(c, 48);
    imgdraw_fit(1000, 10, 80, 24, 1, 2, &c, &r);
    assert_int_equal(c, 80);
    assert_int_equal(r, 1);
    imgdraw_fit(0, 10, 80, 24, 1, 2, &c, &r);
    assert_int_equal(c, 0);
}

/* Cells of the left half carry red, of the right half blue, in every
 * colour depth, with every symbol set. */
static void test_imgdraw_cells_colours(void **state)
{
    (void)state;
    unsigned char *px = two_colours(64, 32);
    static const int depths[] = {1 << 24, 256, 16};
    static const termcaps_symbols syms[] = {TERMCAPS_SYM_HALF, TERMCAPS_SYM_QUAD,
                                            TERMCAPS_SYM_SEXTANT, TERMCAPS_SYM_ASCII};
    for (size_t d = 0; d < 3; d++)
        for (size_t s = 0; s < 4; s++) {
            canvas c = {0};
            assert_int_equal(canvas_resize(&c, 32, 8), 0);
            imgdraw_opts o = {.symbols = syms[s], .colors = depths[d]};
            assert_int_equal(imgdraw_cells(&c, (canvas_rect){0, 0, 32, 8}, px, 64, 32, &o), 0);
            int red = 0, blue = 0;
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 32; x++) {
                    const canvas_cell *cell = canvas_at(&c, x, y);
                    uint32_t col = cell->ch == ' ' ? cell->bgx : cell->fgx;
                    if (!col)
                        continue;
                    int rgb[3];
                    if (col & CANVAS_X_RGB) {
                        rgb[0] = (int)(col >> 16 & 0xff), rgb[1] = (int)(col >> 8 & 0xff);
                        rgb[2] = (int)(col & 0xff);
                    } else {
                        palette_rgb((int)(col & 0xff), rgb);
                    }
                    if (rgb[0] > 100 && rgb[2] < 60) {
                        assert_true(x < 16);
                        red++;
                    } else if (rgb[2] > 100 && rgb[0] < 60) {
                        assert_true(x >= 16);
                        blue++;
                    }
                    if (syms[s] == TERMCAPS_SYM_ASCII)
                        assert_true(cell->ch >= 0x20 && cell->ch < 0x7f);
                }
            assert_true(red > 40);
            assert_true(blue > 40);
            canvas_free(&c);
        }
    /* No colours at all: fg/bg symbols only, no colour in any cell. */
    canvas c = {0};
    canvas_resize(&c, 16, 4);
    imgdraw_opts o = {.symbols = TERMCAPS_SYM_QUAD, .colors = 0};
    assert_int_equal(imgdraw_cells(&c, (canvas_rect){0, 0, 16, 4}, px, 64, 32, &o), 0);
    for (int i = 0; i < 16 * 4; i++)
        assert_int_equal(c.cells[i].fgx | c.cells[i].bgx, 0);
    assert_int_equal(imgdraw_cells(&c, (canvas_rect){0, 0, 16, 4}, px, 0, 32, &o), TALLY_EINVAL);
    canvas_free(&c);
    free(px);
}

/* Splits Kitty output into its escapes and checks each; returns the
 * decoded, inflated payload's size. */
static size_t check_kitty(const buf *b, int w, int h)
{
    const char *p = b->data, *end = b->data + b->len;
    buf payload = BUF_INIT;
    int first = 1, last_more = 1;
    while (p < end) {
        assert_memory_equal(p, "\033_G", 3);
        const char *st = strstr(p, "\033\\");
        assert_non_null(st);
        const char *semi = memchr(p, ';', (size_t)(st - p));
        assert_non_null(semi);
        size_t n = (size_t)(st - semi - 1);
        assert_true(n <= IMGDRAW_KITTY_CHUNK);
        if (st + 2 < end)
            assert_int_equal(n % 4, 0);
        char keys[256];
        snprintf(keys, sizeof keys, "%.*s", (int)(semi - p - 3), p + 3);
        if (first) {
            char want[64];
            snprintf(want, sizeof want, "s=%d,v=%d", w, h);
            assert_non_null(strstr(keys, "a=T"));
            assert_non_null(strstr(keys, "f=32"));
            assert_non_null(strstr(keys, "o=z"));
            assert_non_null(strstr(keys, "q=2"));
            assert_non_null(strstr(keys, want));
        }
        last_more = strstr(keys, "m=1") != NULL;
        assert_true(last_more || strstr(keys, "m=0"));
        for (size_t i = 0; i < n; i++) {
            char ch = semi[1 + i];
            assert_true((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                        (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '=');
        }
        buf_append(&payload, semi + 1, n);
        first = 0;
        p = st + 2;
        if (!last_more)
            break;
    }
    assert_ptr_equal(p, end);
    assert_false(last_more);
    gsize zn = 0;
    guchar *z = g_base64_decode(buf_cstr(&payload), &zn);
    uLongf rawn = (uLongf)w * h * 4;
    unsigned char *raw = malloc(rawn);
    assert_int_equal(uncompress(raw, &rawn, z, zn), Z_OK);
    g_free(z);
    free(raw);
    buf_free(&payload);
    return rawn;
}

static void test_imgdraw_kitty(void **state)
{
    (void)state;
    /* Noise so that zlib cannot shrink it under one chunk. */
    int w = 256, h = 128;
    unsigned char *px = malloc((size_t)w * h * 4);
    tu_rng rng;
    tu_rng_seed(&rng, 7);
    for (size_t i = 0; i < (size_t)w * h * 4; i++)
        px[i] = (unsigned char)tu_rng_next(&rng);
    buf b = BUF_INIT;
    assert_int_equal(imgdraw_kitty(px, w, h, 40, 10, 3, &b), 0);
    assert_true(b.len > 10 * IMGDRAW_KITTY_CHUNK);
    assert_int_equal(check_kitty(&b, w, h), (size_t)w * h * 4);
    buf_reset(&b);
    unsigned char *small = two_colours(4, 2);
    assert_int_equal(imgdraw_kitty(small, 4, 2, 2, 1, 3, &b), 0);
    assert_int_equal(check_kitty(&b, 4, 2), 32);
    buf_reset(&b);
    assert_int_equal(imgdraw_pixels(TERMCAPS_KITTY, small, 4, 2, 2, 1, NULL, &b), 0);
    assert_int_equal(check_kitty(&b, 4, 2), 32);
    buf_free(&b);
    free(small);
    free(px);
}

static void test_imgdraw_sixel(void **state)
{
    (void)state;
    unsigned char *px = two_colours(64, 40);
    imgdraw_opts o = {.symbols = TERMCAPS_SYM_QUAD, .colors = 256, .cell_w = 8, .cell_h = 16};
    buf b = BUF_INIT;
    assert_int_equal(imgdraw_pixels(TERMCAPS_SIXEL, px, 64, 40, 8, 4, &o, &b), 0);
    /* DCS P ... q, sixel data in '?'..'~' with its commands, then ST. */
    assert_true(b.len > 10);
    assert_int_equal(b.data[0], '\033');
    assert_int_equal(b.data[1], 'P');
    const char *q = memchr(b.data, 'q', b.len);
    assert_non_null(q);
    for (const char *p = b.data + 2; p < q; p++)
        assert_true((*p >= '0' && *p <= '9') || *p == ';');
    assert_memory_equal(b.data + b.len - 2, "\033\\", 2);
    int colours = 0;
    for (const char *p = q + 1; p < b.data + b.len - 2; p++) {
        unsigned char ch = (unsigned char)*p;
        assert_true((ch >= '?' && ch <= '~') || (ch >= '0' && ch <= '9') || ch == ';' ||
                    ch == '#' || ch == '!' || ch == '"' || ch == '$' || ch == '-');
        colours += ch == '#';
    }
    assert_true(colours >= 2); /* red and blue registers at least */
    buf_reset(&b);
    assert_int_equal(imgdraw_pixels(TERMCAPS_ITERM2, px, 64, 40, 8, 4, &o, &b), 0);
    assert_memory_equal(b.data, "\033]1337;File=", 12);
    assert_int_equal(imgdraw_pixels(TERMCAPS_MOSAIC, px, 64, 40, 8, 4, &o, &b), TALLY_EINVAL);
    buf_free(&b);
    free(px);
}

static void test_imgdraw_scale(void **state)
{
    (void)state;
    unsigned char *px = two_colours(512, 512), *out;
    int ow, oh;
    assert_int_equal(imgdraw_scale(px, 512, 512, 100, 50, &out, &ow, &oh), 0);
    assert_int_equal(ow, 50);
    assert_int_equal(oh, 50);
    assert_int_equal(out[0], 255);                      /* left: red */
    assert_int_equal(out[(49 * 50 + 49) * 4 + 2], 255); /* right: blue */
    free(out);
    assert_int_equal(imgdraw_scale(px, 512, 512, 1024, 1024, &out, &ow, &oh), 0);
    assert_int_equal(ow, 512);
    free(out);
    free(px);
}

/* ---- histograms ---- */

static void test_hist_percentiles(void **state)
{
    (void)state;
    double counts[4] = {1, 1, 1, 1}, edges[5] = {0, 1, 2, 3, 4};
    hist_in h = {0, 4, counts, edges};
    double out[HIST_NQ];
    histlayout_percentiles(&h, histlayout_quantiles, HIST_NQ, out);
    assert_float_equal(out[0], 0, 1e-9);
    assert_float_equal(out[4], 2, 1e-9);
    assert_float_equal(out[8], 4, 1e-9);
    assert_float_equal(out[1], 0.0668 * 4, 1e-9);
    for (int i = 1; i < HIST_NQ; i++)
        assert_true(out[i] >= out[i - 1]);
    /* All mass in the third bin: every percentile inside it. */
    double c2[4] = {0, 0, 5, 0};
    hist_in h2 = {0, 4, c2, edges};
    histlayout_percentiles(&h2, histlayout_quantiles, HIST_NQ, out);
    assert_float_equal(out[0], 2, 1e-9);
    assert_float_equal(out[4], 2.5, 1e-9);
    assert_float_equal(out[8], 3, 1e-9);
    double c0[4] = {0, 0, 0, 0};
    hist_in h0 = {0, 4, c0, edges};
    histlayout_percentiles(&h0, histlayout_quantiles, HIST_NQ, out);
    assert_true(isnan(out[4]));
}

static void test_hist_ridge(void **state)
{
    (void)state;
    double e1[3] = {0, 1, 2}, c1[2] = {10, 0};
    double e2[3] = {2, 3, 4}, c2[2] = {0, 5};
    hist_in h[2] = {{0, 2, c1, e1}, {1, 2, c2, e2}};
    double lo, hi;
    assert_true(histlayout_range(h, 2, &lo, &hi));
    assert_float_equal(lo, 0, 0);
    assert_float_equal(hi, 4, 0);
    assert_int_equal(histlayout_bin_at(&h[0], 0.5), 0);
    assert_int_equal(histlayout_bin_at(&h[0], 2.0), 1); /* the last bin is closed */
    assert_int_equal(histlayout_bin_at(&h[0], 2.5), -1);
    int base[2], ys[2 * 8];
    assert_int_equal(histlayout_ridge(h, 2, lo, hi, 8, 20, base, ys), 0);
    /* The oldest ridge sits above the newest; ridge 0 rises the full
     * amplitude over x 0..1 (its count is the largest), ridge 1 half of it
     * over x 3..4, flat elsewhere. */
    assert_true(base[0] < base[1]);
    assert_int_equal(base[1], 19);
    int amp = 20 * 2 / 5;
    assert_int_equal(ys[0], base[0] - amp);
    assert_int_equal(ys[1], base[0] - amp);
    assert_int_equal(ys[2], base[0]);
    assert_int_equal(ys[7], base[0]);
    assert_int_equal(ys[8 + 0], base[1]);
    assert_int_equal(ys[8 + 7], base[1] - amp / 2);
    assert_int_equal(histlayout_ridge(h, 2, 1, 1, 8, 20, base, ys), TALLY_EINVAL);

    size_t idx[5];
    assert_int_equal(histlayout_pick(100, 5, idx), 5);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[4], 99);
    assert_true(idx[1] > idx[0] && idx[2] > idx[1] && idx[3] > idx[2]);
    assert_int_equal(histlayout_pick(3, 5, idx), 3);
    assert_int_equal(idx[2], 2);
    assert_int_equal(histlayout_pick(9, 1, idx), 1);
    assert_int_equal(idx[0], 8);
}

static void test_hist_heat(void **state)
{
    (void)state;
    double e[3] = {0, 1, 2}, lowc[2] = {4, 0}, highc[2] = {0, 2};
    hist_in h[2] = {{0, 2, lowc, e}, {1, 2, highc, e}};
    float heat[2 * 4];
    assert_int_equal(histlayout_heat(h, 2, 0, 2, 4, 2, heat), 0);
    /* columns 0-1: step 0 (low values: the bottom row), 2-3: step 1 (top
     * row, half as many). */
    assert_float_equal(heat[0 * 4 + 0], 0, 1e-6);
    assert_float_equal(heat[1 * 4 + 0], 1, 1e-6);
    assert_float_equal(heat[0 * 4 + 3], 0.5, 1e-6);
    assert_float_equal(heat[1 * 4 + 3], 0, 1e-6);
}

/* ---- tables ---- */

static void test_table_cells(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    double num;
    char *sha;
    tablemodel_cell_text("\"cat\"", &b, &num, &sha);
    assert_string_equal(buf_cstr(&b), "cat");
    assert_true(isnan(num));
    buf_reset(&b);
    tablemodel_cell_text("0.25", &b, &num, &sha);
    assert_string_equal(buf_cstr(&b), "0.25");
    assert_float_equal(num, 0.25, 0);
    buf_reset(&b);
    tablemodel_cell_text("\"a\\u001b[31mred\"", &b, &num, &sha);
    assert_string_equal(buf_cstr(&b), "a\033[31mred"); /* sanitized when drawn */
    buf_reset(&b);
    tablemodel_cell_text("{\"_type\":\"image-file\",\"sha256\":\"" 
                         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
                         "\"width\":8,\"height\":4}",
                         &b, &num, &sha);
    assert_string_equal(buf_cstr(&b), "[image 8x4]");
    assert_non_null(sha);
    free(sha);
    buf_reset(&b);
    tablemodel_cell_text("null", &b, &num, &sha);
    assert_string_equal(buf_cstr(&b), "");
    buf_reset(&b);
    tablemodel_cell_text("[1,2]", &b, &num, &sha);
    assert_string_equal(buf_cstr(&b), "[1,2]");
    buf_free(&b);
}

static void test_table_sort_filter(void **state)
{
    (void)state;
    char *cols[2] = {"name", "score"};
    char *cells[8] = {"\"b\"", "10", "\"a\"", "2", "\"c\"", "\"n/a\"", "\"B2\"", "-1"};
    tablemodel t;
    assert_int_equal(tablemodel_init(&t, 2, 4, cols, cells), 0);
    assert_int_equal(t.nshown, 4);
    tablemodel_sort(&t, 1); /* numbers ascending, then text */
    assert_int_equal(t.rows[0], 3);
    assert_int_equal(t.rows[1], 1);
    assert_int_equal(t.rows[2], 0);
    assert_int_equal(t.rows[3], 2);
    tablemodel_sort(&t, 1); /* again: reversed */
    assert_int_equal(t.rows[0], 2);
    assert_int_equal(t.rows[3], 3);
    tablemodel_sort(&t, 0);
    assert_int_equal(t.rows[0], 1); /* "a" */
    assert_int_equal(t.sort_desc, 0);
    tablemodel_filter(&t, "B");
    assert_int_equal(t.nshown, 2); /* "b" and "B2", any case */
    assert_int_equal(t.rows[0], 0);
    assert_int_equal(t.rows[1], 3);
    tablemodel_filter(&t, "");
    assert_int_equal(t.nshown, 4);
    tablemodel_sort(&t, -1);
    assert_int_equal(t.rows[0], 0);

    /* Columns that fit; at least one. */
    assert_int_equal(tablemodel_visible_cols(&t, 0, 100), 2);
    assert_int_equal(tablemodel_visible_cols(&t, 0, 2), 1);
    assert_int_equal(tablemodel_visible_cols(&t, 1, 100), 1);

    canvas c = {0};
    canvas_resize(&c, 20, 5);
    tablemodel_sort(&t, 1);
    tablemodel_draw(&t, &c, (canvas_rect){0, 0, 20, 5}, 0, 0, 0);
    buf b = BUF_INIT;
    canvas_dump(&c, &b);
    assert_non_null(strstr(buf_cstr(&b), "score\xe2\x96\xb2"));
    assert_non_null(strstr(buf_cstr(&b), "B2"));
    assert_int_equal(canvas_at(&c, 0, 1)->attr & CANVAS_REVERSE, CANVAS_REVERSE);
    buf_free(&b);
    canvas_free(&c);
    tablemodel_free(&t);
}

/* A cell holding an escape sequence reaches the canvas as '?'s. */
static void test_table_escape(void **state)
{
    (void)state;
    char *cols[1] = {"x\033]0;pwned\007"};
    char *cells[1] = {"\"\\u001b[2J\\u009b31m\""};
    tablemodel t;
    assert_int_equal(tablemodel_init(&t, 1, 1, cols, cells), 0);
    canvas c = {0};
    canvas_resize(&c, 30, 3);
    tablemodel_draw(&t, &c, (canvas_rect){0, 0, 30, 3}, 0, 0, 9);
    for (int i = 0; i < 30 * 3; i++)
        assert_true(c.cells[i].ch >= 0x20 && c.cells[i].ch != 0x7f &&
                    !(c.cells[i].ch >= 0x80 && c.cells[i].ch < 0xa0));
    canvas_free(&c);
    tablemodel_free(&t);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_termcaps_parse),
        cmocka_unit_test(test_termcaps_query_bytes),
        cmocka_unit_test(test_termcaps_choose),
        cmocka_unit_test(test_imgdraw_fit),
        cmocka_unit_test(test_imgdraw_cells_colours),
        cmocka_unit_test(test_imgdraw_kitty),
        cmocka_unit_test(test_imgdraw_sixel),
        cmocka_unit_test(test_imgdraw_scale),
        cmocka_unit_test(test_hist_percentiles),
        cmocka_unit_test(test_hist_ridge),
        cmocka_unit_test(test_hist_heat),
        cmocka_unit_test(test_table_cells),
        cmocka_unit_test(test_table_sort_filter),
        cmocka_unit_test(test_table_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
