/*
 * view_help.c — every key, printed from the key map (keymap.c) that the
 * handler uses, grouped by action with where each applies.
 */
#include <stdio.h>
#include <string.h>

#include "tui/layout.h"
#include "tui/tui.h"

static const char *scope_name(unsigned scope)
{
    if (scope == KM_ALL)
        return "";
    if (scope & KM_RUNS)
        return "runs";
    if (scope & KM_CHARTS)
        return "charts";
    if (scope & KM_LOGS)
        return "logs";
    if (scope & KM_MEDIA)
        return "media";
    if (scope & KM_COMPARE)
        return "compare";
    return "run";
}

/* The keys of the action whose first entry is t[i], joined ("k Up"). */
static void keys_of(const keymap_entry *t, size_t n, size_t i, char *keys, size_t size)
{
    size_t used = 0;
    keys[0] = 0;
    for (size_t j = i; j < n; j++) {
        if (t[j].action != t[i].action || t[j].scope != t[i].scope || (j > i && t[j].help))
            continue;
        if (j > i && strcmp(t[j].label, t[j - 1].label) == 0)
            continue;
        int k = snprintf(keys + used, size - used, "%s%s", used ? " " : "", t[j].label);
        if (k > 0 && (size_t)k < size - used)
            used += (size_t)k;
    }
}

/* The length of the next line of text s at most width columns, broken
 * after a space where one is (the help is ASCII, one column a byte). */
static int wrap_len(const char *s, int width)
{
    int n = (int)strlen(s);
    if (n <= width)
        return n;
    for (int i = width; i > 0; i--)
        if (s[i] == ' ')
            return i;
    return width;
}

/* The help lines, in table order, one entry per action (keys joined):
 * the keys, where they apply, and the description, in three columns
 * sized from the table itself, the description wrapped under its own
 * column.  Narrower than 48 columns the description goes on lines of its
 * own under the keys.  Returns the number of lines; draws those from skip
 * on, h of them, when draw. */
static int help_lines(canvas *c, int y0, int skip, int h, int draw)
{
    size_t n;
    const keymap_entry *t = keymap_table(&n);
    char keys[64];
    int kw = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].help) {
            keys_of(t, n, i, keys, sizeof keys);
            kw = (int)strlen(keys) > kw ? (int)strlen(keys) : kw;
        }
    const int sw = 7; /* "compare", the longest scope */
    int narrow = c->w < 48;
    int dx = narrow ? 4 : 1 + kw + 1 + sw + 1, dw = c->w - dx - 1;
    if (dw < 8)
        dw = 8;
    int line = 0;
#define EMIT(x, w, text, len, fg, attr)                                                            \
    do {                                                                                           \
        if (draw && line >= skip && line - skip < h)                                               \
            canvas_printf(c, x, y0 + line - skip, w, fg, attr, "%.*s", len, text);                 \
    } while (0)
    for (size_t i = 0; i < n; i++) {
        if (!t[i].help)
            continue;
        keys_of(t, n, i, keys, sizeof keys);
        const char *scope = scope_name(t[i].scope);
        EMIT(1, narrow ? c->w - 2 : kw, keys, (int)strlen(keys), CANVAS_YELLOW, CANVAS_BOLD);
        EMIT(narrow ? 2 + (int)strlen(keys) : 2 + kw, sw, scope, (int)strlen(scope), 0, CANVAS_DIM);
        if (narrow)
            line++;
        for (const char *p = t[i].help; *p;) {
            int len = wrap_len(p, dw);
            EMIT(dx, dw, p, len, 0, 0);
            line++;
            p += len;
            while (*p == ' ')
                p++;
        }
    }
#undef EMIT
    return line;
}

void view_help_draw(tui_app *app, canvas *c)
{
    layout_screen s = layout_screen_of(c->w, c->h);
    app->body_h = s.body.h;
    if (s.header.h)
        canvas_text(c, 0, 0, c->w, "tally dashboard: keys", 0, CANVAS_BOLD);
    int total = help_lines(c, s.body.y, 0, 0, 0);
    if (app->help_scroll > total - s.body.h)
        app->help_scroll = total - s.body.h;
    if (app->help_scroll < 0)
        app->help_scroll = 0;
    help_lines(c, s.body.y, app->help_scroll, s.body.h, 1);
    tui_draw_footer(app, c, s.footer,
                    c->w >= 36 ? " j/k scroll  Esc or ? back  q quit" : " j/k  Esc/? back  q quit");
}

void view_help_action(tui_app *app, keymap_action a, int key)
{
    (void)key;
    switch (a) {
    case ACT_UP: app->help_scroll--; break;
    case ACT_DOWN: app->help_scroll++; break;
    case ACT_PAGE_NEXT: app->help_scroll += app->body_h; break;
    case ACT_PAGE_PREV: app->help_scroll -= app->body_h; break;
    case ACT_BACK: tui_back(app); break;
    default: break;
    }
}
