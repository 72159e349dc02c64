/*
 * view_runs.c — the runs browser, the dashboard's home: a table of the
 * runs under the store root (state, name, project, id, start, duration,
 * steps, then summary and config columns the user picks), sorted by any
 * column, filtered by an expression applied as it is typed (runquery.h),
 * with runs selected for comparing, and renamed, tagged, annotated or
 * deleted in place.  Owns the run list; re-read on poll.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/numfmt.h"
#include "tui/layout.h"
#include "tui/runquery.h"
#include "tui/tui.h"

enum { COL_NAME, COL_PROJECT, COL_STATE, COL_STARTED, COL_DURATION, COL_STEPS };
static const char *const col_names[RUNS_FIXED_COLS] = {"name",    "project",  "state",
                                                       "started", "duration", "steps"};

#define MAX_COLS 12    /* chosen summary / config columns */
#define AUTO_COLS 3    /* picked for the user until they choose */
#define KEY_MAX 128

typedef enum col_source { SRC_SUMMARY = 0, SRC_CONFIG = 1 } col_source;

typedef struct runs_col {
    col_source source;
    char key[KEY_MAX];
} runs_col;

/* A run's JSON, parsed once per change of the run: path and hash (of the
 * JSON texts) find it again after the list was refreshed. */
typedef struct runs_row {
    cJSON *summary, *config, *tags;
    char *path;
    uint64_t hash;
} runs_row;

/* What the prompts of this view act on. */
enum { PROMPT_RENAME = 1, PROMPT_TAGS, PROMPT_NOTES, PROMPT_DELETE };

typedef struct runs_state {
    runquery *query; /* NULL: no filter */
    char query_text[256];
    runs_row *rows; /* parallel to app->list->runs */
    size_t nrows;
    runs_col cols[MAX_COLS];
    size_t ncols;
    int chosen_cols; /* the user picked the columns: stop picking for them */
    /* the column picker */
    int picking, pick_cursor, pick_top;
    runs_col *keys;
    size_t nkeys, capkeys;
    char *edit_path; /* the run a prompt edits */
} runs_state;

static runs_state *state_of(tui_app *app)
{
    if (!app->runs)
        app->runs = calloc(1, sizeof *app->runs);
    return app->runs;
}

static void row_free(runs_row *r)
{
    cJSON_Delete(r->summary);
    cJSON_Delete(r->config);
    cJSON_Delete(r->tags);
    free(r->path);
}

void view_runs_free(tui_app *app)
{
    runs_state *s = app->runs;
    if (!s)
        return;
    for (size_t i = 0; i < s->nrows; i++)
        row_free(&s->rows[i]);
    free(s->rows);
    runquery_free(s->query);
    free(s->keys);
    free(s->edit_path);
    free(s);
    app->runs = NULL;
}

static double duration_of(const tally_run_info *r, double now)
{
    double end = tui_run_end(r, now);
    return end > r->start_time ? end - r->start_time : 0;
}

/* ---- values of the chosen columns ---- */

static const cJSON *col_value(const runs_row *row, const runs_col *col)
{
    const cJSON *obj = col->source == SRC_SUMMARY ? row->summary : row->config;
    return runquery_scalar(runquery_lookup(obj, col->key));
}

static runquery_run query_run(const tally_run_info *r, const runs_row *row)
{
    return (runquery_run){r->name,   r->project, r->id,     r->group,  r->job_type,
                          r->notes,  tally_state_name(r->state), row->tags,
                          row->summary, row->config};
}

/* ---- sorting ---- */

typedef struct sort_ctx {
    const tally_run_info *runs;
    const runs_row *rows;
    const runs_col *col; /* a chosen column, or NULL for a fixed one */
    int fixed, rev;
    double now;
} sort_ctx;

static int cmp_str(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

static int cmp_num(double a, double b) { return a < b ? -1 : a > b; }

static int compare_runs(const void *pa, const void *pb, void *ctx)
{
    const sort_ctx *s = ctx;
    size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
    const tally_run_info *a = &s->runs[ia], *b = &s->runs[ib];
    int c = 0;
    if (s->col) {
        /* Runs without the value sort last whichever the direction. */
        const cJSON *va = col_value(&s->rows[ia], s->col), *vb = col_value(&s->rows[ib], s->col);
        if (!va || !vb)
            return va ? -1 : vb ? 1 : cmp_str(a->id, b->id);
        if (cJSON_IsString(va) || cJSON_IsString(vb))
            c = cJSON_IsString(va) && cJSON_IsString(vb) ? strcmp(va->valuestring, vb->valuestring)
                                                         : cJSON_IsString(va) ? 1 : -1;
        else
            c = cmp_num(va->valuedouble, vb->valuedouble);
    } else {
        switch (s->fixed) {
        case COL_NAME: c = cmp_str(a->name, b->name); break;
        case COL_PROJECT: c = cmp_str(a->project, b->project); break;
        case COL_STATE: c = cmp_num(a->state, b->state); break;
        case COL_STARTED: c = cmp_num(a->start_time, b->start_time); break;
        case COL_DURATION: c = cmp_num(duration_of(a, s->now), duration_of(b, s->now)); break;
        case COL_STEPS: c = cmp_num((double)a->rows, (double)b->rows); break;
        }
    }
    if (c == 0)
        c = cmp_str(a->id, b->id);
    return s->rev ? -c : c;
}

static void sort_order(tui_app *app)
{
    runs_state *s = app->runs;
    if (app->sort_col >= RUNS_FIXED_COLS + (int)s->ncols)
        app->sort_col = COL_STARTED;
    sort_ctx ctx = {app->list->runs, s->rows,
                    app->sort_col >= RUNS_FIXED_COLS ? &s->cols[app->sort_col - RUNS_FIXED_COLS]
                                                     : NULL,
                    app->sort_col, app->sort_rev, (double)time(NULL)};
    qsort_r(app->order, app->norder, sizeof *app->order, compare_runs, &ctx);
}

/* ---- the list ---- */

static const char *cursor_path(const tui_app *app)
{
    if (!app->list || app->cursor < 0 || (size_t)app->cursor >= app->norder)
        return NULL;
    return app->list->runs[app->order[app->cursor]].path;
}

static cJSON *parse_or_null(const char *json) { return json && *json ? json_parse(json) : NULL; }

/* FNV-1a over the texts a row is parsed from. */
static uint64_t hash_texts(const tally_run_info *r)
{
    uint64_t h = 1469598103934665603ull;
    const char *texts[] = {r->summary_json, r->config_json, r->tags_json};
    for (size_t i = 0; i < 3; i++) {
        for (const char *p = texts[i] ? texts[i] : ""; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull; /* ends each text */
    }
    return h;
}

static int cmp_row_path(const void *a, const void *b, void *ctx)
{
    const runs_row *rows = ctx;
    return cmp_str(rows[*(const size_t *)a].path, rows[*(const size_t *)b].path);
}

/* Rows for each run of list, moved over from the old rows where the run's
 * texts did not change (re-parsing 2,000 summaries a poll is what costs). */
static runs_row *build_rows(runs_row *old, size_t nold, const tally_run_list *list)
{
    runs_row *rows = calloc(list->n + 1, sizeof *rows);
    size_t *idx = nold ? malloc(nold * sizeof *idx) : NULL;
    if (!rows || (nold && !idx)) {
        free(rows);
        free(idx);
        return NULL;
    }
    for (size_t i = 0; i < nold; i++)
        idx[i] = i;
    if (nold)
        qsort_r(idx, nold, sizeof *idx, cmp_row_path, old);
    for (size_t i = 0; i < list->n; i++) {
        const tally_run_info *r = &list->runs[i];
        uint64_t h = hash_texts(r);
        size_t lo = 0, hi = nold;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = cmp_str(old[idx[mid]].path, r->path); /* NULL: out of memory */
            if (c == 0) {
                lo = mid;
                break;
            }
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        runs_row *o = lo < hi ? &old[idx[lo]] : NULL;
        rows[i].path = strdup(r->path);
        rows[i].hash = h;
        if (o && o->hash == h && (o->summary || o->config || o->tags)) {
            /* The parsed values move; the old row keeps its path (searched). */
            rows[i].summary = o->summary;
            rows[i].config = o->config;
            rows[i].tags = o->tags;
            o->summary = o->config = o->tags = NULL;
            continue;
        }
        rows[i].summary = parse_or_null(r->summary_json);
        rows[i].config = parse_or_null(r->config_json);
        rows[i].tags = parse_or_null(r->tags_json);
    }
    free(idx);
    return rows;
}

/* Up to AUTO_COLS summary columns, losses and accuracies first: what
 * people sort runs by, until they choose their own. */
typedef struct auto_pick {
    runs_col *cols;
    size_t n;
    int pass;
} auto_pick;

static void auto_key(void *ctx, const char *key)
{
    auto_pick *p = ctx;
    if (p->n >= AUTO_COLS || key[0] == '_' || strlen(key) >= KEY_MAX)
        return;
    /* Keys of one summary rule ("val/loss.min") are there for choosing. */
    const char *dot = strrchr(key, '.');
    static const char *const rules[] = {".min", ".max", ".mean", ".last", ".first"};
    for (size_t i = 0; dot && i < sizeof rules / sizeof *rules; i++)
        if (strcmp(dot, rules[i]) == 0)
            return;
    int preferred = strstr(key, "loss") || strstr(key, "acc");
    if (preferred != (p->pass == 0))
        return;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->cols[i].key, key) == 0)
            return;
    p->cols[p->n].source = SRC_SUMMARY;
    snprintf(p->cols[p->n].key, KEY_MAX, "%s", key);
    p->n++;
}

static void auto_columns(tui_app *app)
{
    runs_state *s = app->runs;
    auto_pick p = {s->cols, 0, 0};
    for (p.pass = 0; p.pass < 2; p.pass++)
        for (size_t i = 0; i < app->list->n && p.n < AUTO_COLS; i++)
            runquery_keys(s->rows[i].summary, auto_key, &p);
    s->ncols = p.n;
}

static void refilter(tui_app *app)
{
    runs_state *s = app->runs;
    app->norder = 0;
    for (size_t i = 0; app->list && i < app->list->n; i++) {
        runquery_run q = query_run(&app->list->runs[i], &s->rows[i]);
        if (runquery_match(s->query, &q))
            app->order[app->norder++] = i;
    }
    sort_order(app);
}

int view_runs_reload(tui_app *app)
{
    runs_state *s = state_of(app);
    if (!s)
        return 0;
    char *keep = cursor_path(app) ? strdup(cursor_path(app)) : NULL;
    int changed = 1, rc;
    /* Refreshed in place: only files that changed are read again. */
    if (app->list)
        rc = tally_store_list_refresh(app->root, &app->list, &changed);
    else
        rc = tally_store_list(app->root, &app->list);
    if (rc || !changed) {
        free(keep);
        return 0;
    }
    size_t *order = malloc((app->list->n + 1) * sizeof *order);
    runs_row *rows = order ? build_rows(s->rows, s->nrows, app->list) : NULL;
    for (size_t i = 0; i < s->nrows; i++)
        row_free(&s->rows[i]);
    free(s->rows);
    free(app->order);
    s->rows = rows;
    s->nrows = rows ? app->list->n : 0;
    app->order = rows ? order : NULL;
    app->norder = 0;
    if (!rows) {
        /* Out of memory: show nothing rather than rows of another list. */
        free(order);
        tally_run_list_free(app->list);
        app->list = NULL;
        free(keep);
        return 1;
    }
    if (!s->chosen_cols)
        auto_columns(app);
    refilter(app);
    if (keep) {
        for (size_t i = 0; i < app->norder; i++)
            if (strcmp(app->list->runs[order[i]].path, keep) == 0)
                app->cursor = (int)i;
        free(keep);
    }
    if (app->cursor >= (int)app->norder)
        app->cursor = (int)app->norder - 1;
    if (app->cursor < 0)
        app->cursor = 0;
    return 1;
}

int view_runs_set_filter(tui_app *app, const char *text)
{
    runs_state *s = state_of(app);
    if (!s)
        return -1;
    char err[160];
    runquery *q = runquery_parse(text, err, sizeof err);
    if (!q) {
        snprintf(app->prompt_note, sizeof app->prompt_note, "%s", err);
        return -1;
    }
    app->prompt_note[0] = 0;
    runquery_free(s->query);
    s->query = runquery_terms(q) ? q : NULL;
    if (!s->query)
        runquery_free(q);
    snprintf(s->query_text, sizeof s->query_text, "%s", s->query ? text : "");
    app->cursor = app->top = 0;
    if (app->list)
        refilter(app);
    return 0;
}

const char *view_runs_filter_text(const tui_app *app)
{
    return app->runs ? app->runs->query_text : "";
}

/* ---- selection ---- */

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

/* ---- the column picker ---- */

static void add_key(runs_state *s, col_source src, const char *key)
{
    if (key[0] == '_' || strlen(key) >= KEY_MAX)
        return;
    for (size_t i = 0; i < s->nkeys; i++)
        if (s->keys[i].source == src && strcmp(s->keys[i].key, key) == 0)
            return;
    if (s->nkeys == s->capkeys) {
        size_t cap = s->capkeys ? s->capkeys * 2 : 64;
        runs_col *v = realloc(s->keys, cap * sizeof *v);
        if (!v)
            return;
        s->keys = v;
        s->capkeys = cap;
    }
    s->keys[s->nkeys].source = src;
    snprintf(s->keys[s->nkeys].key, KEY_MAX, "%s", key);
    s->nkeys++;
}

static void add_summary_key(void *ctx, const char *key) { add_key(ctx, SRC_SUMMARY, key); }
static void add_config_key(void *ctx, const char *key) { add_key(ctx, SRC_CONFIG, key); }

static int cmp_key(const void *a, const void *b)
{
    const runs_col *x = a, *y = b;
    return x->source != y->source ? (int)x->source - (int)y->source : strcmp(x->key, y->key);
}

/* Every summary and config key of the listed runs. */
static void picker_open(tui_app *app)
{
    runs_state *s = app->runs;
    s->nkeys = 0;
    for (size_t i = 0; app->list && i < app->list->n; i++) {
        runquery_keys(s->rows[i].summary, add_summary_key, s);
        runquery_keys(s->rows[i].config, add_config_key, s);
    }
    qsort(s->keys, s->nkeys, sizeof *s->keys, cmp_key);
    s->picking = 1;
    s->pick_cursor = s->pick_top = 0;
}

static int col_index(const runs_state *s, const runs_col *k)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (s->cols[i].source == k->source && strcmp(s->cols[i].key, k->key) == 0)
            return (int)i;
    return -1;
}

static void picker_toggle(tui_app *app)
{
    runs_state *s = app->runs;
    if (s->pick_cursor < 0 || (size_t)s->pick_cursor >= s->nkeys)
        return;
    const runs_col *k = &s->keys[s->pick_cursor];
    int i = col_index(s, k);
    s->chosen_cols = 1;
    if (i >= 0) {
        int sorted = app->sort_col - RUNS_FIXED_COLS;
        memmove(&s->cols[i], &s->cols[i + 1], (s->ncols - (size_t)i - 1) * sizeof *s->cols);
        s->ncols--;
        if (sorted == i)
            app->sort_col = COL_STARTED;
        else if (sorted > i)
            app->sort_col--;
    } else if (s->ncols < MAX_COLS) {
        s->cols[s->ncols++] = *k;
    } else {
        snprintf(app->message, sizeof app->message, "at most %d columns", MAX_COLS);
    }
}

static void picker_draw(tui_app *app, canvas *c, canvas_rect b)
{
    runs_state *s = app->runs;
    int w = b.w > 60 ? 60 : b.w, x0 = b.x + (b.w - w) / 2;
    canvas_rect box = {x0, b.y, w, b.h};
    canvas_fill(c, box, ' ', 0, 0);
    canvas_text(c, x0 + 1, b.y, w - 2, "columns: Space toggles, o sorts, Esc closes", 0,
                CANVAS_BOLD | CANVAS_UNDERLINE);
    int rows = b.h - 1;
    if (s->nkeys == 0) {
        canvas_text(c, x0 + 2, b.y + 1, w - 3, "(no summary or config keys in these runs)", 0,
                    CANVAS_DIM);
        return;
    }
    if (s->pick_cursor < s->pick_top)
        s->pick_top = s->pick_cursor;
    if (s->pick_cursor >= s->pick_top + rows)
        s->pick_top = s->pick_cursor - rows + 1;
    for (int row = 0; row < rows && (size_t)(s->pick_top + row) < s->nkeys; row++) {
        int i = s->pick_top + row, y = b.y + 1 + row;
        const runs_col *k = &s->keys[i];
        unsigned attr = i == s->pick_cursor ? CANVAS_REVERSE : 0;
        if (attr)
            canvas_fill(c, (canvas_rect){x0, y, w, 1}, ' ', 0, attr);
        int on = col_index(s, k) >= 0;
        canvas_text(c, x0 + 1, y, 3, on ? "[x]" : "[ ]", on ? CANVAS_GREEN : 0, attr);
        canvas_text(c, x0 + 5, y, 8, k->source == SRC_SUMMARY ? "summary" : "config",
                    k->source == SRC_SUMMARY ? CANVAS_CYAN : CANVAS_MAGENTA, attr | CANVAS_DIM);
        canvas_text(c, x0 + 13, y, w - 14, k->key, 0, attr);
    }
}

/* ---- drawing ---- */

typedef struct column {
    int x, w;
} column;

static void format_cell(const cJSON *v, char *out, size_t size)
{
    out[0] = 0;
    if (!v)
        return;
    if (cJSON_IsString(v)) {
        snprintf(out, size, "%s", v->valuestring);
    } else if (cJSON_IsBool(v)) {
        snprintf(out, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else {
        char t[32];
        snprintf(out, size, "%s", tui_format_value(t, v->valuedouble));
    }
}

void view_runs_draw(tui_app *app, canvas *c)
{
    runs_state *s = state_of(app);
    layout_screen ls = layout_screen_of(c->w, c->h);
    app->body_h = ls.body.h;
    size_t total = app->list ? app->list->n : 0;
    if (ls.header.h) {
        char line[512];
        if (s && s->query)
            snprintf(line, sizeof line, "tally  %s  %zu of %zu run%s", app->root, app->norder,
                     total, total == 1 ? "" : "s");
        else
            snprintf(line, sizeof line, "tally  %s  %zu run%s", app->root, total,
                     total == 1 ? "" : "s");
        canvas_text(c, 0, 0, c->w, line, CANVAS_DEFAULT, CANVAS_BOLD);
    }
    const char *sort_name = "";
    if (s && app->sort_col >= RUNS_FIXED_COLS && app->sort_col - RUNS_FIXED_COLS < (int)s->ncols)
        sort_name = s->cols[app->sort_col - RUNS_FIXED_COLS].key;
    else if (app->sort_col >= 0 && app->sort_col < RUNS_FIXED_COLS)
        sort_name = col_names[app->sort_col];
    char hint[300];
    snprintf(hint, sizeof hint,
             " Enter open  Space select (%zu)  c compare  o sort:%.40s%s  C columns  / filter"
             "  R T e D edit  S sync  ? help",
             app->nchosen, sort_name, app->sort_rev ? "v" : "^");
    tui_draw_footer(app, c, ls.footer, hint);
    canvas_rect b = ls.body;
    if (b.h <= 0 || !s)
        return;
    if (s->picking) {
        picker_draw(app, c, b);
        return;
    }
    if (!app->list || app->norder == 0) {
        const char *msg = s->query ? "no run matches the filter"
                                   : "no runs here yet: try `tally demo`";
        canvas_text(c, b.x + 1, b.y + b.h / 2, b.w - 2, msg, 0, CANVAS_DIM);
        return;
    }
    /* Columns: the fixed ones by priority while the name keeps 12
     * columns; the name takes up to 28, the chosen columns what is left
     * (each at least 8 wide, the later ones dropped when they do not fit). */
    int W = b.w, avail = W - 3, used = 0;
    enum { P_PROJ, P_ID, P_START, P_DUR, P_STEPS, NP };
    static const int widths[NP] = {12, 8, 16, 10, 9};
    static const int priority[NP] = {P_DUR, P_STEPS, P_START, P_PROJ, P_ID};
    int value_w[MAX_COLS], nvals = 0, vals_w = 0;
    for (size_t k = 0; k < s->ncols; k++) {
        int w = (int)strlen(s->cols[k].key);
        w = w < 8 ? 8 : w > 14 ? 14 : w;
        if (avail - vals_w - (w + 1) < 12 + 8)
            break;
        value_w[nvals++] = w;
        vals_w += w + 1;
    }
    avail -= vals_w;
    int shown[NP] = {0};
    for (int k = 0; k < NP; k++)
        if (avail - used - (widths[priority[k]] + 1) >= 12) {
            shown[priority[k]] = 1;
            used += widths[priority[k]] + 1;
        }
    column cname = {3, avail - used - 1}, cols[NP];
    if (avail - used - 29 >= 0 && nvals < (int)s->ncols)
        cname.w = 28;
    else if (cname.w > 40)
        cname.w = 40;
    int x = 3 + cname.w + 1;
    for (int k = 0; k < NP; k++) {
        cols[k] = (column){shown[k] ? x : 0, shown[k] ? widths[k] : 0};
        x += shown[k] ? widths[k] + 1 : 0;
    }
    column cvals[MAX_COLS];
    for (int k = 0; k < nvals; k++) {
        cvals[k] = (column){x, value_w[k]};
        x += value_w[k] + 1;
    }
    column cproj = cols[P_PROJ], cid = cols[P_ID], cstart = cols[P_START], cdur = cols[P_DUR],
           csteps = cols[P_STEPS];
    /* The header row; the sort column in bold with its direction. */
    int hy = b.y;
    struct {
        column col;
        int sort;
        const char *title;
    } heads[] = {{cname, COL_NAME, "name"},          {cproj, COL_PROJECT, "project"},
                 {cid, -1, "id"},                    {cstart, COL_STARTED, "started"},
                 {cdur, COL_DURATION, "duration"},   {csteps, COL_STEPS, "steps"}};
    canvas_fill(c, (canvas_rect){0, hy, W, 1}, ' ', 0, CANVAS_UNDERLINE);
    canvas_text(c, 0, hy, 3, "st", 0,
                CANVAS_UNDERLINE | (app->sort_col == COL_STATE ? CANVAS_BOLD : 0));
    const char *arrow = c->ascii ? (app->sort_rev ? "v" : "^")
                                 : (app->sort_rev ? "\xe2\x96\xbc" : "\xe2\x96\xb2");
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
        if (heads[i].col.w <= 0)
            continue;
        int on = heads[i].sort == app->sort_col;
        unsigned attr = CANVAS_UNDERLINE | (on ? CANVAS_BOLD : 0);
        int n = canvas_text(c, heads[i].col.x, hy, heads[i].col.w - on, heads[i].title, 0, attr);
        if (on)
            canvas_text(c, heads[i].col.x + n, hy, 1, arrow, 0, attr);
    }
    for (int k = 0; k < nvals; k++) {
        int on = app->sort_col == RUNS_FIXED_COLS + k;
        unsigned attr = CANVAS_UNDERLINE | (on ? CANVAS_BOLD : 0);
        int color = s->cols[k].source == SRC_SUMMARY ? CANVAS_CYAN : CANVAS_MAGENTA;
        int n = canvas_text(c, cvals[k].x, hy, cvals[k].w - on, s->cols[k].key, color, attr);
        if (on)
            canvas_text(c, cvals[k].x + n, hy, 1, arrow, color, attr);
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
        size_t ri = app->order[i];
        const tally_run_info *r = &app->list->runs[ri];
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
        for (int k = 0; k < nvals; k++) {
            char v[256];
            format_cell(col_value(&s->rows[ri], &s->cols[k]), v, sizeof v);
            /* Numbers line up on the right, text on the left. */
            int vw = canvas_text_width(c, v), cx = cvals[k].x;
            const cJSON *raw = col_value(&s->rows[ri], &s->cols[k]);
            if (raw && !cJSON_IsString(raw) && vw < cvals[k].w)
                cx += cvals[k].w - vw;
            canvas_text(c, cx, y, cvals[k].x + cvals[k].w - cx, v,
                        s->cols[k].source == SRC_SUMMARY ? CANVAS_CYAN : 0, attr);
        }
    }
}

/* ---- editing ---- */

static const tally_run_info *cursor_run(const tui_app *app)
{
    if (!app->list || app->cursor < 0 || (size_t)app->cursor >= app->norder)
        return NULL;
    return &app->list->runs[app->order[app->cursor]];
}

/* "a, b c" -> ["a","b","c"]: tags are typed separated by commas or spaces. */
static char *tags_json_of(const char *text)
{
    cJSON *arr = cJSON_CreateArray();
    char *copy = strdup(text);
    if (!arr || !copy) {
        cJSON_Delete(arr);
        free(copy);
        return NULL;
    }
    char *save = NULL;
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
        cJSON_AddItemToArray(arr, cJSON_CreateString(t));
    char *json = json_print(arr, 0);
    cJSON_Delete(arr);
    free(copy);
    return json;
}

/* "a, b": the tags as the prompt shows them. */
static void tags_text_of(const cJSON *tags, char *out, size_t size)
{
    size_t used = 0;
    out[0] = 0;
    for (const cJSON *it = tags ? tags->child : NULL; it; it = it->next) {
        if (!cJSON_IsString(it))
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? ", " : "", it->valuestring);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

static void open_prompt(tui_app *app, int kind, const char *label, const char *text)
{
    app->prompting = PROMPT_TEXT;
    app->prompt_kind = kind;
    app->prompt_note[0] = 0;
    snprintf(app->prompt_label, sizeof app->prompt_label, "%s", label);
    snprintf(app->prompt, sizeof app->prompt, "%s", text ? text : "");
    app->prompt_len = strlen(app->prompt);
}

static void start_edit(tui_app *app, keymap_action a)
{
    runs_state *s = app->runs;
    const tally_run_info *r = cursor_run(app);
    if (!r) {
        snprintf(app->message, sizeof app->message, "no run here");
        return;
    }
    free(s->edit_path);
    s->edit_path = strdup(r->path);
    if (!s->edit_path)
        return;
    char tags[256];
    switch (a) {
    case ACT_RENAME: open_prompt(app, PROMPT_RENAME, "rename: ", r->name); break;
    case ACT_NOTES: open_prompt(app, PROMPT_NOTES, "notes: ", r->notes); break;
    case ACT_TAGS:
        tags_text_of(s->rows[app->order[app->cursor]].tags, tags, sizeof tags);
        open_prompt(app, PROMPT_TAGS, "tags (a, b): ", tags);
        break;
    case ACT_DELETE: {
        char label[64];
        if (app->nchosen)
            snprintf(label, sizeof label, "delete %zu selected runs? type yes: ", app->nchosen);
        else
            snprintf(label, sizeof label, "delete %.24s? type yes: ",
                     r->name && *r->name ? r->name : r->id);
        open_prompt(app, PROMPT_DELETE, label, "");
        break;
    }
    default: break;
    }
}

static void delete_runs(tui_app *app)
{
    const char *one = app->runs->edit_path;
    char *const *paths = app->nchosen ? app->chosen : (char *const *)&one;
    size_t n = app->nchosen ? app->nchosen : 1, gone = 0;
    int last_rc = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = tally_store_delete(paths[i]);
        if (rc)
            last_rc = rc;
        else
            gone++;
    }
    if (last_rc)
        snprintf(app->message, sizeof app->message, "deleted %zu of %zu runs: %s", gone, n,
                 last_rc == TALLY_EBUSY ? "a running run is not deleted"
                                        : tally_strerror(last_rc));
    else
        snprintf(app->message, sizeof app->message, "deleted %zu run%s", gone,
                 gone == 1 ? "" : "s");
    /* Deleted runs leave the selection; the others stay chosen. */
    size_t k = 0;
    for (size_t i = 0; i < app->nchosen; i++) {
        FILE *f = fopen(app->chosen[i], "rb");
        if (f) {
            fclose(f);
            app->chosen[k++] = app->chosen[i];
        } else {
            free(app->chosen[i]);
        }
    }
    app->nchosen = k;
}

void view_runs_prompt_done(tui_app *app, int accept)
{
    runs_state *s = app->runs;
    if (!s || !s->edit_path)
        return;
    if (accept) {
        int rc = 0;
        char *json = NULL;
        switch (app->prompt_kind) {
        case PROMPT_RENAME: rc = tally_store_set_field(s->edit_path, "name", app->prompt); break;
        case PROMPT_NOTES: rc = tally_store_set_field(s->edit_path, "notes", app->prompt); break;
        case PROMPT_TAGS:
            json = tags_json_of(app->prompt);
            rc = json ? tally_store_set_field(s->edit_path, "tags", json) : TALLY_ENOMEM;
            free(json);
            break;
        case PROMPT_DELETE:
            if (strcmp(app->prompt, "yes") == 0 || strcmp(app->prompt, "y") == 0)
                delete_runs(app);
            else
                snprintf(app->message, sizeof app->message, "nothing deleted");
            break;
        default: break;
        }
        if (rc)
            snprintf(app->message, sizeof app->message, "cannot change the run: %s",
                     tally_strerror(rc));
        view_runs_reload(app);
    }
    free(s->edit_path);
    s->edit_path = NULL;
}

/* ---- keys ---- */

static void picker_action(tui_app *app, keymap_action a)
{
    runs_state *s = app->runs;
    int page = app->body_h > 2 ? app->body_h - 2 : 1;
    switch (a) {
    case ACT_UP: s->pick_cursor--; break;
    case ACT_DOWN: s->pick_cursor++; break;
    case ACT_PAGE_NEXT: s->pick_cursor += page; break;
    case ACT_PAGE_PREV: s->pick_cursor -= page; break;
    case ACT_TOP: s->pick_cursor = 0; break;
    case ACT_BOTTOM: s->pick_cursor = (int)s->nkeys - 1; break;
    case ACT_SELECT: picker_toggle(app); break;
    case ACT_SORT:
        /* Sort by the key under the cursor, choosing it when it is not shown. */
        if ((size_t)s->pick_cursor < s->nkeys) {
            if (col_index(s, &s->keys[s->pick_cursor]) < 0)
                picker_toggle(app);
            int i = col_index(s, &s->keys[s->pick_cursor]);
            if (i >= 0) {
                app->sort_rev = app->sort_col == RUNS_FIXED_COLS + i ? !app->sort_rev : 0;
                app->sort_col = RUNS_FIXED_COLS + i;
            }
        }
        break;
    case ACT_ENTER:
    case ACT_BACK:
    case ACT_COLUMNS: s->picking = 0; break;
    default: break;
    }
    if (s->pick_cursor >= (int)s->nkeys)
        s->pick_cursor = (int)s->nkeys - 1;
    if (s->pick_cursor < 0)
        s->pick_cursor = 0;
    if (app->list)
        refilter(app);
}

void view_runs_action(tui_app *app, keymap_action a, int key)
{
    (void)key;
    runs_state *s = state_of(app);
    if (!s)
        return;
    if (s->picking) {
        picker_action(app, a);
        return;
    }
    int page = app->body_h > 2 ? app->body_h - 2 : 1;
    switch (a) {
    case ACT_UP: app->cursor--; break;
    case ACT_DOWN: app->cursor++; break;
    case ACT_PAGE_NEXT: app->cursor += page; break;
    case ACT_PAGE_PREV: app->cursor -= page; break;
    case ACT_TOP: app->cursor = 0; break;
    case ACT_BOTTOM: app->cursor = (int)app->norder - 1; break;
    case ACT_SORT:
        app->sort_col = (app->sort_col + 1) % (RUNS_FIXED_COLS + (int)s->ncols);
        if (app->list)
            refilter(app);
        break;
    case ACT_REVERSE:
        app->sort_rev = !app->sort_rev;
        if (app->list)
            refilter(app);
        break;
    case ACT_COLUMNS: picker_open(app); break;
    case ACT_RENAME:
    case ACT_TAGS:
    case ACT_NOTES:
    case ACT_DELETE: start_edit(app, a); break;
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
        if (s->query)
            view_runs_set_filter(app, "");
        else
            tui_back(app);
        break;
    default: break;
    }
    if (app->cursor >= (int)app->norder)
        app->cursor = (int)app->norder - 1;
    if (app->cursor < 0)
        app->cursor = 0;
}
