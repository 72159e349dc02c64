/*
 * view_compare.c — several runs overlaid on the same charts, one colour a
 * run, with a legend.  Owns the store handles of the compared runs (opened
 * from the runs browser's selection); the grid is view_charts.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/layout.h"
#include "tui/tui.h"

static const int legend_colors[] = {CANVAS_CYAN,  CANVAS_YELLOW, CANVAS_MAGENTA,
                                    CANVAS_GREEN, CANVAS_BLUE,   CANVAS_RED};

void view_compare_close(tui_app *app)
{
    for (size_t i = 0; i < app->ncmp; i++) {
        series_cache_forget(app->cache, app->cmp[i].store);
        tally_store_close(app->cmp[i].store);
    }
    free(app->cmp);
    app->cmp = NULL;
    app->ncmp = 0;
}

int view_compare_open(tui_app *app)
{
    view_compare_close(app);
    app->cmp = calloc(app->nchosen + 1, sizeof *app->cmp);
    if (!app->cmp)
        return TALLY_ENOMEM;
    for (size_t i = 0; i < app->nchosen; i++) {
        tally_store *st;
        if (tally_store_open(app->chosen[i], &st) == 0)
            app->cmp[app->ncmp++].store = st;
    }
    if (app->ncmp == 0) {
        view_compare_close(app);
        return TALLY_ENOTFOUND;
    }
    tui_charts_reset(&app->cmp_charts);
    tui_push(app, TUI_COMPARE);
    return 0;
}

void view_compare_draw(tui_app *app, canvas *c)
{
    layout_screen s = layout_screen_of(c->w, c->h);
    app->body_h = s.body.h;
    /* The legend: the header line, and more lines when it does not fit. */
    int x = 0, y = s.header.y, rows = s.header.h;
    canvas_rect body = s.body;
    if (rows)
        x += canvas_text(c, 0, y, c->w, "compare ", 0, CANVAS_BOLD);
    for (size_t i = 0; i < app->ncmp && rows; i++) {
        const tally_run_info *in = tally_store_info(app->cmp[i].store);
        const char *name = in->name && *in->name ? in->name : in->id;
        int w = canvas_text_width(c, name) + 4;
        if (w > 28)
            w = 28;
        if (x + w > c->w && body.h > 6) {
            /* Wrap onto a line taken from the body. */
            y++;
            x = 0;
            body.y++;
            body.h--;
        }
        int color;
        const char *mark = tui_state_mark(in->state, c->ascii, &color);
        canvas_text(c, x, y, 2, c->ascii ? "--" : "\xe2\x94\x81\xe2\x94\x81", legend_colors[i % 6],
                    CANVAS_BOLD);
        canvas_text(c, x + 2, y, 1, mark, color, 0);
        canvas_text(c, x + 3, y, w - 4, name, legend_colors[i % 6], 0);
        x += w;
    }
    tui_grid_spec spec = {app->cmp,         app->ncmp,  0,         &app->metric_filter,
                          &app->cmp_charts, app->ascii, app->cache};
    view_charts_draw(c, body, &spec);
    char charts_hint[600], hint[700];
    view_charts_hint(&app->cmp_charts, &spec, charts_hint, sizeof charts_hint);
    snprintf(hint, sizeof hint, " %zu runs %s", app->ncmp, charts_hint);
    tui_draw_footer(app, c, s.footer, hint);
}

void view_compare_action(tui_app *app, keymap_action a, int key)
{
    (void)key;
    if (a == ACT_BACK) {
        if (!view_charts_back(&app->cmp_charts, &app->metric_filter))
            tui_back(app);
        return;
    }
    if (a != ACT_NONE)
        view_charts_nav(&app->cmp_charts, a);
}
