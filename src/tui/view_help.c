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
    return "run";
}

/* The help lines: one per action (keys joined), in table order. */
static int help_lines(canvas *c, int y0, int skip, int h, int draw)
{
    size_t n;
    const keymap_entry *t = keymap_table(&n);
    int line = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].help)
            continue;
        char keys[64] = "";
        size_t used = 0;
        for (size_t j = i; j < n; j++) {
            if (t[j].action != t[i].action || t[j].scope != t[i].scope || (j > i && t[j].help))
                continue;
            if (j > i && strcmp(t[j].label, t[j - 1].label) == 0)
                continue;
            int k = snprintf(keys + used, sizeof keys - used, "%s%s", used ? " " : "", t[j].label);
            if (k > 0 && (size_t)k < sizeof keys - used)
                used += (size_t)k;
        }
        if (draw && line >= skip && line - skip < h) {
            int y = y0 + line - skip;
            canvas_text(c, 1, y, 16, keys, CANVAS_YELLOW, CANVAS_BOLD);
            canvas_text(c, 18, y, 7, scope_name(t[i].scope), 0, CANVAS_DIM);
            canvas_text(c, 25, y, c->w - 26, t[i].help, 0, 0);
        }
        line++;
    }
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
    tui_draw_footer(app, c, s.footer, " j/k scroll  Esc or ? back  q quit");
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
