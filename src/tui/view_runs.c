/*
 * view_runs.c — the runs browser, the dashboard's home: a table of the
 * runs under the store root (state, name, project, id, start, duration,
 * steps, key summary values), sorted by any column, filtered by text,
 * with runs selected for comparing.  Owns the run list; re-read on poll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "common/numfmt.h"
#include "tui/layout.h"
#include "tui/tui.h"

enum { COL_NAME, COL_PROJECT, COL_STATE, COL_STARTED, COL_DURATION, COL_STEPS, NCOLS };
static const char *const col_names[NCOLS] = {"name",    "project",  "state",
                                             "started", "duration", "steps"};

static double duration_of(const tally_run_info *r, double now)
{
    double end = r->end_time > 0                   ? r->end_time
                 : r->state == TALLY_STATE_RUNNING ? now
                                                   : r->heartbeat;
    return end > r->start_time ? end - r->start_time : 0;
}

static int cmp_str(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

static int cmp_num(double a, double b) { return a < b ? -1 : a > b; }

typedef struct sort_ctx {
    const tally_run_info *runs;
    int col, rev;
    double now;
} sort_ctx;

static int compare_runs(const sort_ctx *s, size_t ia, size_t ib)
{
    const tally_run_info *a = &s->runs[ia], *b = &s->runs[ib];
    int c = 0;
    switch (s->col) {
    case COL_NAME: c = cmp_str(a->name, b->name); break;
    case COL_PROJECT: c = cmp_str(a->project, b->project); break;
    case COL_STATE: c = cmp_num(a->state, b->state); break;
    case COL_STARTED: c = cmp_num(a->start_time, b->start_time); break;
    case COL_DURATION: c = cmp_num(duration_of(a, s->now), duration_of(b, s->now)); break;
    case COL_STEPS: c = cmp_num((double)a->rows, (double)b->rows); break;
    }
    if (c == 0)
        c = cmp_str(a->id, b->id);
    return s->rev ? -c : c;
}

/* Insertion sort: run lists are short, and no qsort context is needed. */
static void sort_order(tui_app *app)
{
    sort_ctx s = {app->list->runs, app->sort_col, app->sort_rev, (double)time(NULL)};
    for (size_t i = 1; i < app->norder; i++) {
        size_t v = app->order[i], j = i;
        while (j > 0 && compare_runs(&s, app->order[j - 1], v) > 0) {
            app->order[j] = app->order[j - 1];
            j--;
        }
        app->order[j] = v;
    }
}

static int run_matches(const tui_filter *f, const tally_run_info *r)
{
    const char *fields[] = {
        r->name, r->project, r->id, r->tags_json, r->group, r->notes, tally_state_name(r->state)};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (fields[i] && tui_filter_match(f, fields[i]))
            return 1;
    return 0;
}

static const char *cursor_path(const tui_app *app)
{
    if (!app->list || app->cursor < 0 || (size_t)app->cursor >= app->norder)
        return NULL;
    return app->list->runs[app->order[app->cursor]].path;
}

void view_runs_reload(tui_app *app)
{
    char *keep = cursor_path(app) ? strdup(cursor_path(app)) : NULL;
    tally_run_list *list = NULL;
    if (tally_store_list(app->root, &list) != 0) {
        free(keep);
        return;
    }
    size_t *order = malloc((list->n + 1) * sizeof *order);
    if (!order) {
        tally_run_list_free(list);
        free(keep);
        return;
    }
    tally_run_list_free(app->list);
    free(app->order);
    app->list = list;
    app->order = order;
    app->norder = 0;
    for (size_t i = 0; i < list->n; i++)
        if (!app->runs_filter.active || run_matches(&app->runs_filter, &list->runs[i]))
            order[app->norder++] = i;
    sort_order(app);
    if (keep) {
        for (size_t i = 0; i < app->norder; i++)
            if (strcmp(list->runs[order[i]].path, keep) == 0)
                app->cursor = (int)i;
        free(keep);
    }
    if (app->cursor >= (int)app->norder)
        app->cursor = (int)app->norder - 1;
    if (app->cursor < 0)
        app->cursor = 0;
}

static int is_chosen(const tui_app *app, const char *path)
{
    for (size_t i = 0; i < app->nchosen; i++)
        if (strcmp(app->chosen[i], path) == 0)
            return (int)i + 1;
    return 0;
}

static void toggle_chosen(tui_app *app, const char *path)
{
    int i = is_chosen(app, path);
    if (i) {
        free(app->chosen[i - 1]);
        memmove(app->chosen + i - 1, app->chosen + i, (app->nchosen - (size_t)i) * sizeof(char *));
        app->nchosen--;
        return;
    }
    char **v = realloc(app->chosen, (app->nchosen + 1) * sizeof *v);
    if (!v)
        return;
    app->chosen = v;
    if ((v[app->nchosen] = strdup(path)) != NULL)
        app->nchosen++;
}

/* "loss 0.153  acc 0.91": the first few numeric summary values. */
static void summary_brief(const char *json, char *out, size_t size)
{
    out[0] = 0;
    cJSON *j = json ? json_parse(json) : NULL;
    size_t used = 0;
    int shown = 0;
    /* Losses and accuracies first: what people sort runs by. */
    for (int pass = 0; pass < 2; pass++)
        for (const cJSON *it = j ? j->child : NULL; it && shown < 3; it = it->next) {
            if (!it->string || it->string[0] == '_' || !cJSON_IsNumber(it))
                continue;
            int key = strstr(it->string, "loss") || strstr(it->string, "acc");
            if (key != (pass == 0))
                continue;
            char v[32];
            tui_format_value(v, it->valuedouble);
            int n = snprintf(out + used, size - used, "%s%s %s", shown ? "  " : "", it->string, v);
            if (n < 0 || (size_t)n >= size - used)
                break;
            used += (size_t)n;
            shown++;
        }
    cJSON_Delete(j);
}

typedef struct column {
    int x, w;
} column;

void view_runs_draw(tui_app *app, canvas *c)
{
    layout_screen s = layout_screen_of(c->w, c->h);
    app->body_h = s.body.h;
    if (s.header.h) {
        char line[512];
        snprintf(line, sizeof line, "tally  %s  %zu run%s", app->root, app->list ? app->list->n : 0,
                 app->list && app->list->n == 1 ? "" : "s");
        canvas_text(c, 0, 0, c->w, line, CANVAS_DEFAULT, CANVAS_BOLD);
    }
    char hint[200];
    snprintf(hint, sizeof hint,
             " Enter open  Space select (%zu)  c compare  S sync  o sort:%s%s  / filter"
             "  ? help  q quit",
             app->nchosen, col_names[app->sort_col], app->sort_rev ? "v" : "^");
    tui_draw_footer(app, c, s.footer, hint);
    canvas_rect b = s.body;
    if (b.h <= 0)
        return;
    if (!app->list || app->norder == 0) {
        const char *msg = app->runs_filter.active ? "no run matches the filter"
                                                  : "no runs here yet: try `tally demo`";
        canvas_text(c, b.x + 1, b.y + b.h / 2, b.w - 2, msg, 0, CANVAS_DIM);
        return;
    }
    /* Columns: the fixed ones by priority while the name keeps 12
     * columns; the name takes up to 28, the summary what is left. */
    int W = b.w, avail = W - 3, used = 0;
    enum { P_PROJ, P_ID, P_START, P_DUR, P_STEPS, NP };
    static const int widths[NP] = {12, 8, 16, 10, 9};
    static const int priority[NP] = {P_DUR, P_STEPS, P_START, P_PROJ, P_ID};
    int shown[NP] = {0};
    for (int k = 0; k < NP; k++)
        if (avail - used - (widths[priority[k]] + 1) >= 12) {
            shown[priority[k]] = 1;
            used += widths[priority[k]] + 1;
        }
    column cname = {3, avail - used - 1}, csum = {0, 0}, cols[NP];
    if (avail - used - 29 >= 16)
        cname.w = 28;
    int x = 3 + cname.w + 1;
    for (int k = 0; k < NP; k++) {
        cols[k] = (column){shown[k] ? x : 0, shown[k] ? widths[k] : 0};
        x += shown[k] ? widths[k] + 1 : 0;
    }
    if (W - x >= 8)
        csum = (column){x, W - x};
    column cproj = cols[P_PROJ], cid = cols[P_ID], cstart = cols[P_START], cdur = cols[P_DUR],
           csteps = cols[P_STEPS];
    /* The header row. */
    int hy = b.y;
    struct {
        column col;
        int sort;
        const char *title;
    } heads[] = {{cname, COL_NAME, "name"},
                 {cproj, COL_PROJECT, "project"},
                 {cid, -1, "id"},
                 {cstart, COL_STARTED, "started"},
                 {cdur, COL_DURATION, "duration"},
                 {csteps, COL_STEPS, "steps"},
                 {csum, -1, "summary"}};
    canvas_fill(c, (canvas_rect){0, hy, W, 1}, ' ', 0, CANVAS_UNDERLINE);
    canvas_text(c, 0, hy, 3, "st", 0,
                CANVAS_UNDERLINE | (app->sort_col == COL_STATE ? CANVAS_BOLD : 0));
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
        if (heads[i].col.w <= 0)
            continue;
        unsigned attr = CANVAS_UNDERLINE | (heads[i].sort == app->sort_col ? CANVAS_BOLD : 0);
        canvas_text(c, heads[i].col.x, hy, heads[i].col.w, heads[i].title, 0, attr);
    }
    int rows = b.h - 1;
    if (rows <= 0)
        return;
    if (app->cursor < app->top)
        app->top = app->cursor;
    if (app->cursor >= app->top + rows)
        app->top = app->cursor - rows + 1;
    double now = (double)time(NULL);
    for (int row = 0; row < rows && (size_t)(app->top + row) < app->norder; row++) {
        int i = app->top + row, y = b.y + 1 + row;
        const tally_run_info *r = &app->list->runs[app->order[i]];
        unsigned attr = i == app->cursor ? CANVAS_REVERSE : 0;
        if (attr)
            canvas_fill(c, (canvas_rect){0, y, W, 1}, ' ', 0, attr);
        if (is_chosen(app, r->path))
            canvas_text(c, 0, y, 1, c->ascii ? "#" : "\xe2\x96\xa0", CANVAS_YELLOW,
                        attr | CANVAS_BOLD);
        int color;
        const char *mark = tui_state_mark(r->state, c->ascii, &color);
        canvas_text(c, 1, y, 1, mark, color, attr | CANVAS_BOLD);
        canvas_text(c, cname.x, y, cname.w, r->name && *r->name ? r->name : r->id, 0, attr);
        if (cproj.w && cproj.x)
            canvas_text(c, cproj.x, y, cproj.w, r->project, 0, attr);
        if (cid.x)
            canvas_text(c, cid.x, y, cid.w, r->id, 0, attr | CANVAS_DIM);
        char t[64];
        if (cstart.x) {
            time_t tt = (time_t)r->start_time;
            struct tm tm;
            if (localtime_r(&tt, &tm) && strftime(t, sizeof t, "%Y-%m-%d %H:%M", &tm))
                canvas_text(c, cstart.x, y, cstart.w, t, 0, attr);
        }
        if (cdur.x) {
            numfmt_duration(t, sizeof t, duration_of(r, now));
            if (r->state != TALLY_STATE_FINISHED) {
                size_t n = strlen(t);
                snprintf(t + n, sizeof t - n, " %s",
                         r->state == TALLY_STATE_RUNNING ? "" : tally_state_name(r->state));
            }
            canvas_text(c, cdur.x, y, cdur.w, t, r->state >= TALLY_STATE_FAILED ? CANVAS_RED : 0,
                        attr);
        }
        if (csteps.x) {
            snprintf(t, sizeof t, "%lld", (long long)r->rows);
            canvas_text(c, csteps.x, y, csteps.w, t, 0, attr);
        }
        if (csum.w > 0) {
            char brief[256];
            summary_brief(r->summary_json, brief, sizeof brief);
            canvas_text(c, csum.x, y, csum.w, brief, CANVAS_CYAN, attr);
        }
    }
}

void view_runs_action(tui_app *app, keymap_action a, int key)
{
    (void)key;
    int page = app->body_h > 2 ? app->body_h - 2 : 1;
    switch (a) {
    case ACT_UP: app->cursor--; break;
    case ACT_DOWN: app->cursor++; break;
    case ACT_PAGE_NEXT: app->cursor += page; break;
    case ACT_PAGE_PREV: app->cursor -= page; break;
    case ACT_TOP: app->cursor = 0; break;
    case ACT_BOTTOM: app->cursor = (int)app->norder - 1; break;
    case ACT_SORT:
        app->sort_col = (app->sort_col + 1) % NCOLS;
        view_runs_reload(app);
        break;
    case ACT_REVERSE:
        app->sort_rev = !app->sort_rev;
        view_runs_reload(app);
        break;
    case ACT_SELECT:
        if (cursor_path(app)) {
            toggle_chosen(app, cursor_path(app));
            app->cursor++;
        }
        break;
    case ACT_ENTER: {
        const char *path = cursor_path(app);
        if (path) {
            char *p = strdup(path);
            int rc = p ? tui_open_run(app, p, TAB_CHARTS) : TALLY_ENOMEM;
            if (rc)
                snprintf(app->message, sizeof app->message, "cannot open the run: %s",
                         tally_strerror(rc));
            free(p);
        }
        break;
    }
    case ACT_COMPARE:
        if (app->nchosen == 0) {
            snprintf(app->message, sizeof app->message,
                     "select runs with Space first, then c compares them");
        } else if (view_compare_open(app) != 0) {
            snprintf(app->message, sizeof app->message, "cannot open the selected runs");
        }
        break;
    case ACT_SYNC: {
        const char *one = cursor_path(app);
        char *const *paths = app->nchosen ? app->chosen : (char *const *)&one;
        size_t n = app->nchosen ? app->nchosen : one != NULL;
        if (app->sync) {
            snprintf(app->message, sizeof app->message, "a sync is already running");
        } else if (n == 0) {
            snprintf(app->message, sizeof app->message, "no run to sync");
        } else if (tui_syncjob_start(paths, n, &app->sync) != 0) {
            snprintf(app->message, sizeof app->message, "cannot start the sync");
        } else {
            snprintf(app->message, sizeof app->message, "sync: starting...");
        }
        break;
    }
    case ACT_BACK:
        if (app->runs_filter.active) {
            tui_filter_clear(&app->runs_filter);
            view_runs_reload(app);
        } else {
            tui_back(app);
        }
        break;
    default: break;
    }
    if (app->cursor >= (int)app->norder)
        app->cursor = (int)app->norder - 1;
    if (app->cursor < 0)
        app->cursor = 0;
}
