/*
 * view_compare.c — several runs overlaid on the same charts, one colour a
 * run (16 distinguishable ones on a 256-colour terminal, palette.h), under
 * a legend of the runs (the chart cursor's legend, view_charts.c, has their
 * values).  In the legend < and > pick a run and t hides or shows it; a
 * groups the runs (by their group, then by each config key that differs)
 * and draws each group's mean over its min-max band; d swaps the charts for
 * the config keys that differ between the runs.  Owns the store
 * handles of the compared runs (opened from the runs browser's selection);
 * the grid is view_charts.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "tui/groups.h"
#include "tui/layout.h"
#include "tui/palette.h"
#include "tui/runquery.h"
#include "tui/tui.h"

#define MAX_GROUPS 16 /* one colour each */

typedef struct compare_state {
    int sel;          /* the legend's run */
    int diff;         /* the config diff replaces the charts */
    long diff_scroll; /* first row of the diff shown */
    int grouping;     /* 0 off, 1 by the runs' group, 2: by config key group_key */
    char group_key[128];
    /* of the last frame, grouped: the shown runs' groups and their labels */
    int *group_of;
    size_t ngroups;
    char *labels[MAX_GROUPS];
    int counts[MAX_GROUPS];
} compare_state;

static void groups_clear(compare_state *cs)
{
    for (size_t g = 0; g < MAX_GROUPS; g++) {
        free(cs->labels[g]);
        cs->labels[g] = NULL;
        cs->counts[g] = 0;
    }
    free(cs->group_of);
    cs->group_of = NULL;
    cs->ngroups = 0;
}

void view_compare_close(tui_app *app)
{
    for (size_t i = 0; i < app->ncmp; i++) {
        series_cache_forget(app->cache, app->cmp[i].store);
        tally_store_close(app->cmp[i].store);
    }
    free(app->cmp);
    if (app->compare)
        groups_clear(app->compare);
    free(app->compare);
    app->compare = NULL;
    app->cmp = NULL;
    app->ncmp = 0;
}

int view_compare_open(tui_app *app)
{
    view_compare_close(app);
    app->cmp = calloc(app->nchosen + 1, sizeof *app->cmp);
    app->compare = calloc(1, sizeof *app->compare);
    if (!app->cmp || !app->compare) {
        view_compare_close(app);
        return TALLY_ENOMEM;
    }
    for (size_t i = 0; i < app->nchosen; i++) {
        tally_store *st;
        if (tally_store_open(app->chosen[i], &st) == 0) {
            app->cmp[app->ncmp].store = st;
            /* Each run keeps its colour while others are hidden. */
            app->cmp[app->ncmp].color = palette_run_color(app->ncmp);
            app->ncmp++;
        }
    }
    if (app->ncmp == 0) {
        view_compare_close(app);
        return TALLY_ENOTFOUND;
    }
    tui_charts_reset(&app->cmp_charts);
    tui_push(app, TUI_COMPARE);
    return 0;
}

static const char *run_label(const tally_run_info *in)
{
    return in->name && *in->name ? in->name : in->id;
}

/* The legend: each run as "━ ✓ name", wrapping onto lines taken from the
 * top of the body; the selected run is underlined, a hidden one dim with a
 * dashed line. */
static canvas_rect draw_legend(tui_app *app, canvas *c, canvas_rect header, canvas_rect body)
{
    compare_state *cs = app->compare;
    int x = 0, y = header.y;
    if (header.h <= 0)
        return body;
    x += canvas_text(c, 0, y, c->w, "compare ", 0, CANVAS_BOLD);
    if (cs->grouping) {
        /* Grouped: the groups, each "━ label ×n runs". */
        char by[160];
        snprintf(by, sizeof by, "by %s: ", cs->grouping == 1 ? "group" : cs->group_key);
        x += canvas_text(c, x, y, c->w - x, by, 0, CANVAS_DIM);
        for (size_t g = 0; g < cs->ngroups; g++) {
            char line[200];
            snprintf(line, sizeof line, "%.40s \xc3\x97%d", cs->labels[g] ? cs->labels[g] : "",
                     cs->counts[g]);
            int w = 3 + canvas_text_width(c, line) + 2;
            if (x + w > c->w && x > 0 && body.h > 6) {
                y++;
                x = 0;
                body.y++;
                body.h--;
            }
            int color = palette_run_color(g);
            canvas_text(c, x, y, 2, c->ascii ? "--" : "\xe2\x94\x81\xe2\x94\x81", color,
                        CANVAS_BOLD);
            canvas_text(c, x + 3, y, w - 3, line, color, 0);
            x += w;
        }
        return body;
    }
    for (size_t i = 0; i < app->ncmp; i++) {
        const tui_run *r = &app->cmp[i];
        const tally_run_info *in = tally_store_info(r->store);
        const char *name = run_label(in);
        int nw = canvas_text_width(c, name);
        if (nw > 22)
            nw = 22;
        int w = 4 + nw + 1;
        if (x + w > c->w && x > 0 && body.h > 6) {
            y++;
            x = 0;
            body.y++;
            body.h--;
        }
        unsigned attr = (int)i == cs->sel ? CANVAS_UNDERLINE | CANVAS_BOLD : 0;
        if (r->hidden)
            attr |= CANVAS_DIM;
        int color;
        const char *mark = tui_state_mark(in->state, c->ascii, &color);
        const char *line = r->hidden ? (c->ascii ? "  " : "\xe2\x94\x84\xe2\x94\x84")
                                     : (c->ascii ? "--" : "\xe2\x94\x81\xe2\x94\x81");
        canvas_text(c, x, y, 2, line, r->color, CANVAS_BOLD | (r->hidden ? CANVAS_DIM : 0));
        canvas_text(c, x + 2, y, 1, mark, color, r->hidden ? CANVAS_DIM : 0);
        canvas_text(c, x + 4, y, nw, name, r->color, attr);
        x += w;
    }
    return body;
}

/* ---- the config diff ---- */

/* A config value as a cell shows it (malloc'd): text as is, the rest as
 * JSON; NULL for none. */
static char *value_text(const cJSON *v)
{
    if (!v)
        return NULL;
    return cJSON_IsString(v) ? strdup(v->valuestring) : json_print(v, 0);
}

static void draw_config_diff(tui_app *app, canvas *c, canvas_rect r)
{
    compare_state *cs = app->compare;
    size_t n = 0;
    cJSON **configs = calloc(app->ncmp + 1, sizeof *configs);
    const tui_run **runs = calloc(app->ncmp + 1, sizeof *runs);
    if (!configs || !runs) {
        free(configs);
        free(runs);
        return;
    }
    for (size_t i = 0; i < app->ncmp; i++) {
        if (app->cmp[i].hidden)
            continue;
        char *json = NULL;
        tally_store_config(app->cmp[i].store, &json);
        configs[n] = json ? json_parse(json) : NULL;
        runs[n++] = &app->cmp[i];
        free(json);
    }
    runquery_keylist d = {0};
    runquery_diff_keys((const cJSON *const *)configs, n, runquery_keylist_add, &d);
    /* A column a run: the key column takes up to a third. */
    int kw = 8;
    for (size_t k = 0; k < d.n; k++) {
        int w = canvas_text_width(c, d.keys[k]);
        kw = w > kw ? w : kw;
    }
    if (kw > r.w / 3)
        kw = r.w / 3;
    int cw = n ? (r.w - kw - 2) / (int)n : 0;
    if (cw > 24)
        cw = 24;
    canvas_fill(c, (canvas_rect){r.x, r.y, r.w, 1}, ' ', 0, CANVAS_UNDERLINE);
    canvas_text(c, r.x + 1, r.y, kw, "config", 0, CANVAS_UNDERLINE | CANVAS_BOLD);
    for (size_t i = 0; i < n && cw >= 4; i++)
        canvas_text(c, r.x + 2 + kw + (int)i * cw, r.y, cw - 1,
                    run_label(tally_store_info(runs[i]->store)), runs[i]->color,
                    CANVAS_UNDERLINE | CANVAS_BOLD);
    int rows = r.h - 1;
    if (cs->diff_scroll > (long)d.n - rows)
        cs->diff_scroll = (long)d.n - rows;
    if (cs->diff_scroll < 0)
        cs->diff_scroll = 0;
    if (d.n == 0)
        canvas_text(c, r.x + 1, r.y + 2, r.w - 2,
                    n < 2 ? "show two runs or more to compare their config"
                          : "the config of these runs is the same",
                    0, CANVAS_DIM);
    for (int row = 0; row < rows && (size_t)(cs->diff_scroll + row) < d.n; row++) {
        const char *key = d.keys[cs->diff_scroll + row];
        int y = r.y + 1 + row;
        canvas_text(c, r.x + 1, y, kw, key, 0, CANVAS_BOLD);
        for (size_t i = 0; i < n && cw >= 4; i++) {
            const cJSON *v = runquery_lookup(configs[i], key);
            char *text = value_text(v);
            canvas_text(c, r.x + 2 + kw + (int)i * cw, y, cw - 1, text ? text : "-",
                        v ? 0 : CANVAS_DEFAULT, v ? 0 : CANVAS_DIM);
            free(text);
        }
    }
    runquery_keylist_free(&d);
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(configs[i]);
    free(configs);
    free(runs);
}

/* ---- groups ---- */

/* The label of a run under the current grouping, malloc'd (NULL: none). */
static char *group_label(const compare_state *cs, tui_run *r)
{
    const tally_run_info *in = tally_store_info(r->store);
    if (cs->grouping == 1)
        return in->group && *in->group ? strdup(in->group) : NULL;
    char *json = NULL;
    tally_store_config(r->store, &json);
    cJSON *config = json ? json_parse(json) : NULL;
    free(json);
    char *out = value_text(runquery_scalar(runquery_lookup(config, cs->group_key)));
    cJSON_Delete(config);
    return out;
}

/* Groups the n shown runs for this frame. */
static void build_groups(compare_state *cs, tui_run *shown, size_t n)
{
    groups_clear(cs);
    if (!cs->grouping || n == 0)
        return;
    char **labels = calloc(n, sizeof *labels);
    cs->group_of = calloc(n, sizeof *cs->group_of);
    if (!labels || !cs->group_of) {
        free(labels);
        groups_clear(cs);
        return;
    }
    for (size_t i = 0; i < n; i++)
        labels[i] = group_label(cs, &shown[i]);
    cs->ngroups = groups_assign((const char *const *)labels, n, cs->group_of, MAX_GROUPS);
    for (size_t i = 0; i < n; i++) {
        int g = cs->group_of[i];
        if (!cs->labels[g])
            cs->labels[g] = strdup(labels[i] ? labels[i] : "(none)");
        cs->counts[g]++;
        free(labels[i]);
    }
    free(labels);
}

/* a: off -> by group -> by each config key that differs -> off. */
static void next_grouping(tui_app *app)
{
    compare_state *cs = app->compare;
    runquery_keylist keys = {0};
    cJSON **configs = calloc(app->ncmp + 1, sizeof *configs);
    if (!configs)
        return;
    for (size_t i = 0; i < app->ncmp; i++) {
        char *json = NULL;
        tally_store_config(app->cmp[i].store, &json);
        configs[i] = json ? json_parse(json) : NULL;
        free(json);
    }
    runquery_diff_keys((const cJSON *const *)configs, app->ncmp, runquery_keylist_add, &keys);
    for (size_t i = 0; i < app->ncmp; i++)
        cJSON_Delete(configs[i]);
    free(configs);
    if (cs->grouping == 0) {
        cs->grouping = 1;
    } else {
        size_t at = 0; /* the key after the current one */
        if (cs->grouping == 2)
            while (at < keys.n && strcmp(keys.keys[at], cs->group_key) != 0)
                at++;
        at = cs->grouping == 2 ? at + 1 : 0;
        if (at < keys.n && strlen(keys.keys[at]) < sizeof cs->group_key) {
            cs->grouping = 2;
            snprintf(cs->group_key, sizeof cs->group_key, "%s", keys.keys[at]);
        } else {
            cs->grouping = 0;
        }
    }
    runquery_keylist_free(&keys);
}

/* ---- the view ---- */

/* The runs the charts show: the compared ones not hidden (copies, with
 * from[] their index in app->cmp, to copy back what the grid keeps in a
 * run: its live hold). */
static size_t shown_runs(tui_app *app, tui_run *out, size_t *from)
{
    size_t n = 0;
    for (size_t i = 0; i < app->ncmp; i++)
        if (!app->cmp[i].hidden) {
            from[n] = i;
            out[n++] = app->cmp[i];
        }
    return n;
}

void view_compare_draw(tui_app *app, canvas *c)
{
    compare_state *cs = app->compare;
    layout_screen s = layout_screen_of(c->w, c->h);
    app->body_h = s.body.h;
    tui_run *shown = calloc(app->ncmp + 1, sizeof *shown);
    size_t *from = calloc(app->ncmp + 1, sizeof *from);
    if (!shown || !from || !cs) {
        free(shown);
        free(from);
        return;
    }
    size_t nshown = shown_runs(app, shown, from);
    build_groups(cs, shown, nshown);
    int colors[MAX_GROUPS];
    for (size_t g = 0; g < MAX_GROUPS; g++)
        colors[g] = palette_run_color(g);
    tui_grid_spec spec = {.runs = shown,
                          .nruns = nshown,
                          .filter = &app->metric_filter,
                          .charts = &app->cmp_charts,
                          .ascii = app->ascii,
                          .cache = app->cache,
                          .group_of = cs->group_of,
                          .ngroups = cs->ngroups,
                          .group_colors = colors};
    canvas_rect body = draw_legend(app, c, s.header, s.body);
    if (cs->diff)
        draw_config_diff(app, c, body);
    else if (nshown)
        view_charts_draw(c, body, &spec);
    else
        canvas_text(c, body.x + 1, body.y + body.h / 2, body.w - 2,
                    "every run is hidden: < > pick one, t shows it", 0, CANVAS_DIM);
    for (size_t j = 0; j < nshown; j++)
        app->cmp[from[j]] = shown[j];
    char charts_hint[600], hint[800];
    if (cs->diff) {
        snprintf(hint, sizeof hint,
                 " config diff of %zu runs  j/k scroll  d charts  < > t hide runs  Esc back"
                 "  ? help",
                 nshown);
    } else {
        view_charts_hint(&app->cmp_charts, &spec, charts_hint, sizeof charts_hint);
        snprintf(hint, sizeof hint, " %zu of %zu runs  < > t hide  a group  d config %s",
                 nshown, app->ncmp, charts_hint);
    }
    free(shown);
    free(from);
    tui_draw_footer(app, c, s.footer, hint);
}

void view_compare_action(tui_app *app, keymap_action a, int key)
{
    (void)key;
    compare_state *cs = app->compare;
    if (!cs)
        return;
    switch (a) {
    case ACT_LEGEND_PREV: cs->sel = cs->sel > 0 ? cs->sel - 1 : (int)app->ncmp - 1; return;
    case ACT_LEGEND_NEXT: cs->sel = (size_t)(cs->sel + 1) < app->ncmp ? cs->sel + 1 : 0; return;
    case ACT_TOGGLE_RUN:
        if ((size_t)cs->sel < app->ncmp) {
            app->cmp[cs->sel].hidden = !app->cmp[cs->sel].hidden;
            app->cmp_charts.page = app->cmp_charts.sel = 0;
        }
        return;
    case ACT_GROUP:
        next_grouping(app);
        return;
    case ACT_CONFIG_DIFF:
        cs->diff = !cs->diff;
        cs->diff_scroll = 0;
        return;
    default: break;
    }
    if (cs->diff) {
        int page = app->body_h > 2 ? app->body_h - 2 : 1;
        switch (a) {
        case ACT_UP: cs->diff_scroll--; break;
        case ACT_DOWN: cs->diff_scroll++; break;
        case ACT_PAGE_PREV: cs->diff_scroll -= page; break;
        case ACT_PAGE_NEXT: cs->diff_scroll += page; break;
        case ACT_TOP: cs->diff_scroll = 0; break;
        case ACT_BACK: cs->diff = 0; break;
        default: break;
        }
        return;
    }
    if (a == ACT_BACK) {
        if (!view_charts_back(&app->cmp_charts, &app->metric_filter))
            tui_back(app);
        return;
    }
    if (a != ACT_NONE)
        view_charts_nav(&app->cmp_charts, a);
}
