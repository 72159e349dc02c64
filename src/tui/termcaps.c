/*
 * termcaps.c — terminal graphics detection (see termcaps.h): the query
 * bytes, a parser for the replies, and the decision from them and the
 * environment.  The query is what decides when it was answered (as chafa
 * and yazi do); the environment only fills in when it could not be asked.
 */
#include "tui/termcaps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is(const char *s, const char *v)
{
    return s && strcmp(s, v) == 0;
}

static int has(const char *s, const char *part)
{
    return s && strstr(s, part) != NULL;
}

int termcaps_should_query(const termcaps_env *env)
{
    return !env->graphics || !*env->graphics || is(env->graphics, "auto");
}

void termcaps_tmux_wrap(const char *data, size_t len, buf *out)
{
    buf_puts(out, "\033Ptmux;");
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\033')
            buf_putc(out, '\033');
        buf_putc(out, data[i]);
    }
    buf_puts(out, "\033\\");
}

void termcaps_query_bytes(int in_tmux, buf *out)
{
    /* A 1x1 RGB image sent only to be checked (a=q): a terminal with the
     * protocol answers "i=31;OK"; any other ignores it.  Inside tmux it
     * must pass through (allowed only with `allow-passthrough on`), while
     * DA1 is answered by tmux itself: so a sixel-capable tmux says so. */
    static const char kitty[] = "\033_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\033\\";
    if (in_tmux)
        termcaps_tmux_wrap(kitty, sizeof kitty - 1, out);
    else
        buf_puts(out, kitty);
    buf_puts(out, "\033[c");
}

/* Finds the DA1 reply ESC [ ? n ; n ... c; its parameters in [*p0, *p1). */
static int find_da1(const char *d, size_t len, size_t *p0, size_t *p1)
{
    for (size_t i = 0; i + 2 < len; i++) {
        if (d[i] != '\033' || d[i + 1] != '[' || d[i + 2] != '?')
            continue;
        size_t j = i + 3;
        while (j < len && ((d[j] >= '0' && d[j] <= '9') || d[j] == ';'))
            j++;
        if (j < len && d[j] == 'c') {
            *p0 = i + 3;
            *p1 = j;
            return 1;
        }
    }
    return 0;
}

int termcaps_reply_done(const char *data, size_t len)
{
    size_t a, b;
    return find_da1(data, len, &a, &b);
}

void termcaps_parse_reply(const char *d, size_t len, termcaps_reply *out)
{
    memset(out, 0, sizeof *out);
    size_t p0, p1;
    if (find_da1(d, len, &p0, &p1)) {
        out->answered = 1;
        long v = 0;
        int digits = 0;
        for (size_t i = p0; i <= p1; i++) {
            if (i < p1 && d[i] >= '0' && d[i] <= '9') {
                v = v < 100000 ? v * 10 + (d[i] - '0') : v;
                digits = 1;
                continue;
            }
            if (digits && v == 4)
                out->sixel = 1;
            v = 0;
            digits = 0;
        }
    }
    /* APC G ... ; message ESC \ : OK for our id. */
    for (size_t i = 0; i + 2 < len; i++) {
        if (d[i] != '\033' || d[i + 1] != '_' || d[i + 2] != 'G')
            continue;
        size_t j = i + 3;
        while (j + 1 < len && !(d[j] == '\033' && d[j + 1] == '\\'))
            j++;
        if (j + 1 >= len)
            break; /* cut short */
        size_t n = j - (i + 3);
        char body[128];
        if (n >= sizeof body)
            n = sizeof body - 1;
        memcpy(body, d + i + 3, n);
        body[n] = 0;
        char *semi = strchr(body, ';');
        if (semi && strstr(body, "i=31") && strncmp(semi + 1, "OK", 2) == 0)
            out->kitty = 1;
        i = j + 1;
    }
}

/* Terminals known to draw the graphics protocols, from their environment:
 * used only when the query could not be made or was not answered. */
static termcaps_gfx gfx_of_env(const termcaps_env *env, int in_tmux)
{
    if (in_tmux)
        return TERMCAPS_MOSAIC; /* passthrough unconfirmed */
    if ((env->kitty_window_id && *env->kitty_window_id) || has(env->term, "kitty") ||
        is(env->term_program, "WezTerm") || is(env->term_program, "ghostty") ||
        has(env->term, "ghostty"))
        return TERMCAPS_KITTY;
    if (is(env->term_program, "iTerm.app"))
        return TERMCAPS_ITERM2;
    if (has(env->term, "foot") || has(env->term, "mlterm") || has(env->term, "yaft") ||
        has(env->term, "contour"))
        return TERMCAPS_SIXEL;
    return TERMCAPS_MOSAIC;
}

/* Fonts of these terminals draw the sextants (Unicode 13 block mosaics)
 * themselves; elsewhere quadrants, which every font with block elements has. */
static int draws_sextants(const termcaps_env *env)
{
    return has(env->term, "kitty") || has(env->term, "foot") || has(env->term, "ghostty") ||
           (env->kitty_window_id && *env->kitty_window_id) ||
           is(env->term_program, "WezTerm") || is(env->term_program, "ghostty") ||
           is(env->term_program, "iTerm.app");
}

static termcaps_symbols symbols_of(const termcaps_env *env, int utf8)
{
    if (!utf8)
        return TERMCAPS_SYM_ASCII;
    if (is(env->mosaic, "half"))
        return TERMCAPS_SYM_HALF;
    if (is(env->mosaic, "quad"))
        return TERMCAPS_SYM_QUAD;
    if (is(env->mosaic, "sextant"))
        return TERMCAPS_SYM_SEXTANT;
    if (is(env->mosaic, "ascii"))
        return TERMCAPS_SYM_ASCII;
    return draws_sextants(env) ? TERMCAPS_SYM_SEXTANT : TERMCAPS_SYM_QUAD;
}

void termcaps_choose(const termcaps_env *env, const termcaps_reply *reply, int utf8,
                     termcaps *out)
{
    memset(out, 0, sizeof *out);
    out->in_tmux = env->tmux && *env->tmux;
    out->symbols = symbols_of(env, utf8);
    const char *g = env->graphics;
    if (g && *g && !is(g, "auto")) {
        out->forced = 1;
        if (is(g, "kitty"))
            out->gfx = TERMCAPS_KITTY;
        else if (is(g, "sixel"))
            out->gfx = TERMCAPS_SIXEL;
        else if (is(g, "iterm2"))
            out->gfx = TERMCAPS_ITERM2;
        else if (is(g, "ascii"))
            out->symbols = TERMCAPS_SYM_ASCII;
        else if (!is(g, "mosaic"))
            out->forced = 0; /* unknown: decide as auto */
        if (out->forced) {
            snprintf(out->why, sizeof out->why, "TALLY_GRAPHICS=%.40s", g);
            return;
        }
    }
    if (reply && reply->kitty) {
        out->gfx = TERMCAPS_KITTY;
        snprintf(out->why, sizeof out->why, "the terminal answered the Kitty graphics query%s",
                 out->in_tmux ? " through tmux" : "");
    } else if (reply && reply->sixel) {
        out->gfx = TERMCAPS_SIXEL;
        snprintf(out->why, sizeof out->why, "%s reports sixel (DA1)",
                 out->in_tmux ? "tmux" : "the terminal");
    } else if (reply && reply->answered) {
        /* Asked and answered without graphics; iTerm2 answers neither query. */
        out->gfx = !out->in_tmux && is(env->term_program, "iTerm.app") ? TERMCAPS_ITERM2
                                                                        : TERMCAPS_MOSAIC;
        snprintf(out->why, sizeof out->why, "%s",
                 out->gfx == TERMCAPS_ITERM2
                     ? "TERM_PROGRAM=iTerm.app"
                     : out->in_tmux ? "no graphics through tmux (allow-passthrough off?)"
                                    : "the terminal reports no graphics protocol");
    } else {
        out->gfx = gfx_of_env(env, out->in_tmux);
        snprintf(out->why, sizeof out->why, "%s",
                 out->gfx == TERMCAPS_MOSAIC ? "no answer to the graphics query"
                                             : "from TERM / TERM_PROGRAM (no answer to the query)");
    }
}

const char *termcaps_gfx_name(termcaps_gfx g)
{
    switch (g) {
    case TERMCAPS_KITTY: return "kitty";
    case TERMCAPS_SIXEL: return "sixel";
    case TERMCAPS_ITERM2: return "iterm2";
    default: return "mosaic";
    }
}

const char *termcaps_symbols_name(termcaps_symbols s)
{
    switch (s) {
    case TERMCAPS_SYM_HALF: return "half";
    case TERMCAPS_SYM_QUAD: return "quad";
    case TERMCAPS_SYM_SEXTANT: return "sextant";
    default: return "ascii";
    }
}
