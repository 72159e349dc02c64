/*
 * termcaps.h — what the terminal can show of an image: a graphics protocol
 * (Kitty, sixel, iTerm2), else Unicode mosaics in its colours, else ASCII.
 * Pure: the environment and the query's reply come in as text; screen.c
 * sends the query (termcaps_query_bytes) and reads the reply with a timeout.
 */
#ifndef TALLY_TUI_TERMCAPS_H
#define TALLY_TUI_TERMCAPS_H

#include <stddef.h>

#include "common/buf.h"

typedef enum termcaps_gfx {
    TERMCAPS_MOSAIC = 0, /* Unicode block / sextant mosaics (ASCII without UTF-8) */
    TERMCAPS_KITTY,
    TERMCAPS_SIXEL,
    TERMCAPS_ITERM2
} termcaps_gfx;

typedef enum termcaps_symbols {
    TERMCAPS_SYM_ASCII = 0, /* no UTF-8: ASCII characters by coverage */
    TERMCAPS_SYM_HALF,      /* half blocks: two pixels a cell */
    TERMCAPS_SYM_QUAD,      /* quadrants and half blocks: four */
    TERMCAPS_SYM_SEXTANT    /* sextants (Unicode 13): six */
} termcaps_symbols;

/* The environment variables the choice reads (NULL when unset). */
typedef struct termcaps_env {
    const char *term, *term_program, *kitty_window_id, *tmux, *colorterm;
    const char *graphics; /* TALLY_GRAPHICS: auto, kitty, sixel, iterm2, mosaic, ascii */
    const char *mosaic;   /* TALLY_MOSAIC: half, quad, sextant */
} termcaps_env;

/* What the query's replies said. */
typedef struct termcaps_reply {
    int answered; /* the DA1 reply came (every terminal answers it) */
    int kitty;    /* the Kitty graphics query was answered OK */
    int sixel;    /* DA1 lists attribute 4 */
} termcaps_reply;

typedef struct termcaps {
    termcaps_gfx gfx;
    termcaps_symbols symbols;
    int in_tmux;  /* graphics bytes go through tmux's passthrough */
    int forced;   /* TALLY_GRAPHICS chose */
    char why[96]; /* how it was decided, for the help view and the footer */
} termcaps;

/* Whether to ask the terminal at all: not when TALLY_GRAPHICS decides. */
int termcaps_should_query(const termcaps_env *env);
/* The query: the Kitty graphics query (a 1x1 image, id 31), then DA1, each
 * wrapped for tmux's passthrough when in_tmux.  Appended to out. */
void termcaps_query_bytes(int in_tmux, buf *out);
/* Parses what the terminal sent back (any bytes, possibly cut short). */
void termcaps_parse_reply(const char *data, size_t len, termcaps_reply *out);
/* 1 once data holds the DA1 reply: the end of the answer to the query. */
int termcaps_reply_done(const char *data, size_t len);
/* Decides.  reply NULL: no query was made (not a terminal, or forced).
 * utf8: the locale is UTF-8. */
void termcaps_choose(const termcaps_env *env, const termcaps_reply *reply, int utf8,
                     termcaps *out);
/* Wraps escape sequences for tmux's passthrough (ESC Ptmux; ... ESC \, each
 * ESC doubled), appended to out. */
void termcaps_tmux_wrap(const char *data, size_t len, buf *out);
/* "kitty", "sixel", "iterm2", "mosaic"; "half", "quad", "sextant", "ascii". */
const char *termcaps_gfx_name(termcaps_gfx g);
const char *termcaps_symbols_name(termcaps_symbols s);

#endif
