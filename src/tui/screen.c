/*
 * screen.c — the ncurses edge: the only file that talks to the terminal.
 * It blits the canvas the views drew, turns terminal keys into key-map
 * codes, and runs the loop: a blocking read with a timeout (so an idle
 * dashboard sleeps), a poll of the run files at each timeout, a redraw
 * when something changed or the terminal was resized.  Images: it asks
 * the terminal what it can show before ncurses starts (termcaps.c decides),
 * gives cells with image colours colour pairs of their own, and writes the
 * graphics-protocol bytes a frame carries (canvas_gfx) after the cells.
 */
#include <curses.h>
#include <fcntl.h>
#include <langinfo.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tui/imgdraw.h"
#include "tui/palette.h"
#include "tui/termcaps.h"
#include "tui/tui.h"

#define SCREEN_POLL_MS 250
#define SCREEN_QUERY_MS 200 /* how long the terminal has to answer the graphics query */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sends the graphics query and reads the answer, the terminal in raw
 * mode meanwhile; 0 when there was none to read. */
static int query_terminal(int in_tmux, termcaps_reply *reply)
{
    struct termios saved, raw;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || tcgetattr(STDIN_FILENO, &saved) != 0)
        return 0;
    raw = saved;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0)
        return 0;
    buf q = BUF_INIT;
    termcaps_query_bytes(in_tmux, &q);
    ssize_t wr = write(STDOUT_FILENO, q.data, q.len);
    buf_free(&q);
    char ans[512];
    size_t n = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (wr > 0 && n < sizeof ans && !termcaps_reply_done(ans, n)) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long left = SCREEN_QUERY_MS - ((t1.tv_sec - t0.tv_sec) * 1000 +
                                       (t1.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = {STDIN_FILENO, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t r = read(STDIN_FILENO, ans + n, sizeof ans - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    termcaps_parse_reply(ans, n, reply);
    return 1;
}

/* What the terminal shows of images: the query and the environment. */
static int detect_graphics(tui_app *app)
{
    termcaps_env env = {getenv("TERM"),     getenv("TERM_PROGRAM"), getenv("KITTY_WINDOW_ID"),
                        getenv("TMUX"),     getenv("COLORTERM"),    getenv("TALLY_GRAPHICS"),
                        getenv("TALLY_MOSAIC")};
    termcaps_reply reply;
    int asked = termcaps_should_query(&env) && query_terminal(env.tmux && *env.tmux, &reply);
    termcaps_choose(&env, asked ? &reply : NULL, !app->ascii, &app->caps);
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row && ws.ws_xpixel) {
        app->cell_w = ws.ws_xpixel / ws.ws_col;
        app->cell_h = ws.ws_ypixel / ws.ws_row;
    }
    return asked;
}

/* The terminal's colour for a canvas colour (CANVAS_XRGB / _XIDX), -1: default. */
static int term_color(uint32_t x)
{
    if (!x)
        return -1;
    if (x & CANVAS_X_RGB) {
        uint32_t rgb = x & 0xffffffu;
        return COLORS >= 0x1000000 ? (int)rgb : palette_nearest(rgb, COLORS);
    }
    int i = (int)(x & 0xff);
    if (COLORS >= 256)
        return i;
    int rgb[3];
    palette_rgb(i, rgb);
    return palette_nearest((uint32_t)(rgb[0] << 16 | rgb[1] << 8 | rgb[2]), COLORS);
}

/* Writes the frame's images after the cells, each at its cell with the
 * cursor saved and restored around it (ncurses keeps its idea of where
 * the cursor is).  Only when they changed: an unchanged image stays. */
static void blit_gfx(const canvas *c, const tui_app *app, uint64_t *last)
{
    if (app->caps.gfx == TERMCAPS_MOSAIC)
        return;
    uint64_t h = 1469598103934665603ull ^ c->ngfx;
    for (size_t i = 0; i < c->ngfx; i++)
        h = (h ^ c->gfx[i].hash) * 1099511628211ull;
    if (h == *last)
        return;
    buf out = BUF_INIT;
    if (app->caps.gfx == TERMCAPS_KITTY) {
        buf del = BUF_INIT;
        imgdraw_kitty_delete_all(&del);
        if (app->caps.in_tmux)
            termcaps_tmux_wrap(del.data, del.len, &out);
        else
            buf_append(&out, del.data, del.len);
        buf_free(&del);
    } else if (*last) {
        /* Pixels of an image that left stay on screen until every cell
         * is drawn again. */
        redrawwin(stdscr);
        wnoutrefresh(stdscr);
        doupdate();
    }
    *last = h;
    for (size_t i = 0; i < c->ngfx; i++) {
        buf_printf(&out, "\0337\033[%d;%dH", c->gfx[i].r.y + 1, c->gfx[i].r.x + 1);
        buf_append(&out, c->gfx[i].data, c->gfx[i].len);
        buf_puts(&out, "\0338");
    }
    fflush(stdout);
    for (size_t off = 0; off < out.len;) {
        ssize_t n = write(STDOUT_FILENO, out.data + off, out.len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    buf_free(&out);
}

static void blit(const canvas *c, int colors)
{
    for (int y = 0; y < c->h; y++)
        for (int x = 0; x < c->w; x++) {
            const canvas_cell *cell = canvas_at(c, x, y);
            if (cell->ch == CANVAS_WIDE_TAIL)
                continue;
            attr_t attr = 0;
            if (cell->attr & CANVAS_BOLD)
                attr |= A_BOLD;
            if (cell->attr & CANVAS_DIM)
                attr |= A_DIM;
            if (cell->attr & CANVAS_REVERSE)
                attr |= A_REVERSE;
            if (cell->attr & CANVAS_UNDERLINE)
                attr |= A_UNDERLINE;
            wchar_t wch[2] = {(wchar_t)cell->ch, 0};
            cchar_t cc;
            int pair = colors ? cell->fg : 0;
            if (colors && (cell->fgx || cell->bgx)) {
                /* An image's colours: a pair of their own (ncurses keeps
                 * the table, reusing the oldest when it is full). */
                pair = alloc_pair(term_color(cell->fgx), term_color(cell->bgx));
                if (pair < 0)
                    pair = 0;
            }
            setcchar(&cc, wch, attr, (short)(pair < 0x7fff ? pair : 0), &pair);
            mvadd_wch(y, x, &cc); /* the bottom-right cell may report ERR: harmless */
        }
    wnoutrefresh(stdscr);
    doupdate();
}

static int map_key(int r, wint_t wc)
{
    if (r == KEY_CODE_YES) {
        switch (wc) {
        case KEY_UP: return KEY_T_UP;
        case KEY_DOWN: return KEY_T_DOWN;
        case KEY_LEFT: return KEY_T_LEFT;
        case KEY_RIGHT: return KEY_T_RIGHT;
        case KEY_NPAGE: return KEY_T_PGDN;
        case KEY_PPAGE: return KEY_T_PGUP;
        case KEY_HOME: return KEY_T_HOME;
        case KEY_END: return KEY_T_END;
        case KEY_ENTER: return KEY_T_ENTER;
        case KEY_BACKSPACE: return KEY_T_BACKSPACE;
        case KEY_RESIZE: return KEY_T_RESIZE;
        case KEY_MOUSE: {
            MEVENT ev;
            if (getmouse(&ev) == OK) {
                if (ev.bstate & BUTTON4_PRESSED)
                    return KEY_T_WHEEL_UP;
#ifdef BUTTON5_PRESSED
                if (ev.bstate & BUTTON5_PRESSED)
                    return KEY_T_WHEEL_DOWN;
#endif
            }
            return 0;
        }
        default: return 0;
        }
    }
    switch (wc) {
    case '\n':
    case '\r': return KEY_T_ENTER;
    case 27: return KEY_T_ESC;
    case '\t': return KEY_T_TAB;
    case 127:
    case 8: return KEY_T_BACKSPACE;
    default: return (int)wc;
    }
}

int tui_main(tui_app *app)
{
    const char *cs = nl_langinfo(CODESET);
    app->ascii = !(cs && strcmp(cs, "UTF-8") == 0);
    int asked = detect_graphics(app);
    if (!initscr())
        return 1;
    raw(); /* ^C arrives as a key (quit), so the terminal is always restored */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    int colors = has_colors();
    if (asked)
        flushinp(); /* an answer to the graphics query that came late is no key */
    if (colors) {
        start_color();
        use_default_colors();
        for (short i = 1; i < CANVAS_WHITE + 1 && i < COLOR_PAIRS; i++)
            init_pair(i, i, -1);
        /* The runs' colours: the 256-colour palette, else the basic six. */
        for (short i = CANVAS_SERIES_BASE; i < CANVAS_NCOLORS && i < COLOR_PAIRS; i++)
            init_pair(i, (short)(COLORS >= 256 ? palette_xterm(i) : palette_basic(i)), -1);
        app->colors = COLORS >= 0x1000000 ? 1 << 24 : COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : 8;
    } else {
        app->colors = 0;
    }
    mousemask(BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
                  | BUTTON5_PRESSED
#endif
              ,
              NULL);
    wtimeout(stdscr, SCREEN_POLL_MS);

    canvas cv = {0};
    uint64_t gfx_last = 0;
    int redraw = 1;
    double last_poll = 0;
    tui_poll(app, now_s());
    while (!app->quit) {
        if (redraw) {
            int h, w;
            getmaxyx(stdscr, h, w);
            if (canvas_resize(&cv, w, h) == 0) {
                tui_draw(app, &cv);
                blit(&cv, colors);
                blit_gfx(&cv, app, &gfx_last);
            }
            redraw = 0;
        }
        wint_t wc = 0;
        int r = wget_wch(stdscr, &wc);
        double t = now_s();
        if (r != ERR) {
            int key = map_key(r, wc);
            if (key == KEY_T_RESIZE) {
                redraw = 1;
            } else if (key) {
                tui_key(app, key);
                redraw = 1;
            }
        }
        if (t - last_poll >= SCREEN_POLL_MS / 1000.0) {
            last_poll = t;
            if (tui_poll(app, t))
                redraw = 1;
        }
    }
    if (app->caps.gfx == TERMCAPS_KITTY && gfx_last) {
        buf del = BUF_INIT, out = BUF_INIT;
        imgdraw_kitty_delete_all(&del);
        if (app->caps.in_tmux)
            termcaps_tmux_wrap(del.data, del.len, &out);
        else
            buf_append(&out, del.data, del.len);
        fflush(stdout);
        ssize_t wr = write(STDOUT_FILENO, out.data, out.len);
        (void)wr; /* leaving anyway */
        buf_free(&del);
        buf_free(&out);
    }
    endwin();
    canvas_free(&cv);
    return 0;
}
