/*
 * screen.c — the ncurses edge: the only file that talks to the terminal.
 * It blits the canvas the views drew, turns terminal keys into key-map
 * codes, and runs the loop: a blocking read with a timeout (so an idle
 * dashboard sleeps), a poll of the run files at each timeout, a redraw
 * when something changed or the terminal was resized.
 */
#include <curses.h>
#include <langinfo.h>
#include <string.h>
#include <time.h>

#include "tui/palette.h"
#include "tui/tui.h"

#define SCREEN_POLL_MS 250

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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
            setcchar(&cc, wch, attr, (short)(colors ? cell->fg : 0), NULL);
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
    if (!initscr())
        return 1;
    raw(); /* ^C arrives as a key (quit), so the terminal is always restored */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    int colors = has_colors();
    if (colors) {
        start_color();
        use_default_colors();
        for (short i = 1; i < CANVAS_WHITE + 1 && i < COLOR_PAIRS; i++)
            init_pair(i, i, -1);
        /* The runs' colours: the 256-colour palette, else the basic six. */
        for (short i = CANVAS_SERIES_BASE; i < CANVAS_NCOLORS && i < COLOR_PAIRS; i++)
            init_pair(i, (short)(COLORS >= 256 ? palette_xterm(i) : palette_basic(i)), -1);
    }
    mousemask(BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
                  | BUTTON5_PRESSED
#endif
              ,
              NULL);
    wtimeout(stdscr, SCREEN_POLL_MS);

    canvas cv = {0};
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
    endwin();
    canvas_free(&cv);
    return 0;
}
