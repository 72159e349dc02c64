/*
 * view_run.c — one run: a header (name, id, state, step, steps/s,
 * runtime) over four tabs: the chart grid, summary + config, the system
 * charts, and the console logs.  Owns the open run's store handle and its
 * log buffer; tui.c routes keys and polls here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/numfmt.h"
#include "tui/layout.h"
#include "tui/tui.h"

#define LOGS_MAX 20000 /* lines kept in memory; older ones scroll away */

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void logs_free(tui_logs *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->lines[i].text);
    free(l->lines);
    memset(l, 0, sizeof *l);
    l->follow = 1;
    l->match = -1;
}

void view_run_close(tui_app *app)
{
    series_cache_forget(app->cache, app->run.store);
    tally_store_close(app->run.store);
    memset(&app->run, 0, sizeof app->run);
    logs_free(&app->logs);
}

static int log_add(void *ctx, const tally_log_line *line)
{
    tui_logs *l = ctx;
    if (l->n == LOGS_MAX) {
        /* Drop the older half at once: amortised O(1) a line. */
        size_t drop = LOGS_MAX / 2;
        for (size_t i = 0; i < drop; i++)
            free(l->lines[i].text);
        memmove(l->lines, l->lines + drop, (l->n - drop) * sizeof *l->lines);
        l->n -= drop;
        l->scroll = l->scroll > (long)drop ? l->scroll - (long)drop : 0;
        l->match = l->match >= (long)drop ? l->match - (long)drop : -1;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        tui_log_line *v = realloc(l->lines, cap * sizeof *v);
        if (!v)
            return 1;
        l->lines = v;
        l->cap = cap;
    }
    char *text = strdup(line->text ? line->text : "");
    if (!text)
        return 1;
    l->lines[l->n++] = (tui_log_line){line->seq, line->t, line->stream, text};
    l->last_seq = line->seq;
    return 0;
}

int view_run_poll(tui_app *app)
{
    tui_run *r = &app->run;
    if (!r->store)
        return 0;
    int changed = 0;
    if (tally_store_refresh(r->store, &changed) != 0)
        return 0;
    double now = mono_now();
    const tally_run_info *info = tally_store_info(r->store);
    if (r->rate_t == 0) {
        r->rate_t = now;
        r->rate_step = info->last_step;
        double end = info->end_time > 0 ? info->end_time : (double)time(NULL);
        double dur = end - info->start_time;
        r->rate = dur > 0 && info->rows > 0 ? (double)info->rows / dur : 0;
        changed = 1;
    } else if (now - r->rate_t >= 2.0) {
        double inst = (double)(info->last_step - r->rate_step) / (now - r->rate_t);
        r->rate = info->state == TALLY_STATE_RUNNING
                      ? (r->rate > 0 ? 0.5 * r->rate + 0.5 * inst : inst)
                      : r->rate;
        r->rate_t = now;
        r->rate_step = info->last_step;
    }
    if (changed || app->logs.n == 0) {
        size_t before = app->logs.n;
        int64_t seq = app->logs.last_seq;
        tally_store_logs(r->store, app->logs.last_seq, 0, log_add, &app->logs);
        if (app->logs.n != before || app->logs.last_seq != seq)
            changed = 1;
    }
    return changed;
}

/* ---- header ---- */

static void draw_header(tui_app *app, canvas *c, canvas_rect r)
{
    if (r.h <= 0)
        return;
    const tally_run_info *info = tally_store_info(app->run.store);
    int color;
    const char *mark = tui_state_mark(info->state, c->ascii, &color);
    int x = r.x;
    x += canvas_text(c, x, r.y, r.w, mark, color, CANVAS_BOLD);
    x += 1;
    x += canvas_text(c, x, r.y, r.x + r.w - x, info->name && *info->name ? info->name : info->id,
                     CANVAS_DEFAULT, CANVAS_BOLD);
    char rt[32], line[200];
    double end = info->end_time > 0 ? info->end_time : (double)time(NULL);
    numfmt_duration(rt, sizeof rt, end - info->start_time);
    char rate[32];
    snprintf(rate, sizeof rate, app->run.rate >= 10 ? "%.0f" : "%.2g", app->run.rate);
    snprintf(line, sizeof line, "  %s  %s  step %lld  %s st/s  %s", info->id,
             tally_state_name(info->state), (long long)(info->last_step < 0 ? 0 : info->last_step),
             rate, rt);
    x += canvas_text(c, x, r.y, r.x + r.w - x, line, CANVAS_DEFAULT, 0);
    if (info->dropped > 0) {
        /* Values the disk could not keep up with: never silent. */
        snprintf(line, sizeof line, "  %lld dropped", (long long)info->dropped);
        x += canvas_text(c, x, r.y, r.x + r.w - x, line, CANVAS_RED, CANVAS_BOLD);
    }
    /* The tabs, right-aligned when there is room. */
    static const char *const tabs[TAB_COUNT] = {"1 charts", "2 summary", "3 system", "4 logs"};
    int tw = 0;
    for (int i = 0; i < TAB_COUNT; i++)
        tw += (int)strlen(tabs[i]) + 2;
    if (r.x + r.w - x >= tw + 2) {
        int tx = r.x + r.w - tw;
        for (int i = 0; i < TAB_COUNT; i++) {
            unsigned attr = i == (int)app->tab ? CANVAS_REVERSE | CANVAS_BOLD : CANVAS_DIM;
            tx += canvas_text(c, tx + 1, r.y, (int)strlen(tabs[i]), tabs[i], 0, attr) + 2;
        }
    }
}

/* ---- summary and config ---- */

typedef struct kv_lines {
    char **key, **value;
    size_t n, cap;
} kv_lines;

static void kv_add(kv_lines *kv, const char *key, const char *value)
{
    if (kv->n == kv->cap) {
        size_t cap = kv->cap ? kv->cap * 2 : 64;
        char **k = realloc(kv->key, cap * sizeof *k);
        if (!k)
            return;
        kv->key = k;
        char **v = realloc(kv->value, cap * sizeof *v);
        if (!v)
            return;
        kv->value = v;
        kv->cap = cap;
    }
    kv->key[kv->n] = key ? strdup(key) : NULL; /* NULL: a section title */
    kv->value[kv->n] = strdup(value ? value : "");
    kv->n++;
}

static void kv_free(kv_lines *kv)
{
    for (size_t i = 0; i < kv->n; i++) {
        free(kv->key[i]);
        free(kv->value[i]);
    }
    free(kv->key);
    free(kv->value);
}

static void flatten(kv_lines *kv, const char *prefix, const cJSON *j, const tui_filter *f)
{
    for (const cJSON *it = j ? j->child : NULL; it; it = it->next) {
        char key[512];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "/" : "",
                 it->string ? it->string : "");
        if (cJSON_IsObject(it) && it->child) {
            flatten(kv, key, it, f);
            continue;
        }
        if (!tui_filter_match(f, key))
            continue;
        char num[NUMFMT_MAX];
        if (cJSON_IsNumber(it)) {
            kv_add(kv, key, numfmt_double(num, it->valuedouble));
        } else if (cJSON_IsString(it)) {
            kv_add(kv, key, it->valuestring);
        } else {
            char *s = json_print(it, JSON_BARE_NONFINITE);
            kv_add(kv, key, s ? s : "?");
            free(s);
        }
    }
}

static void add_json_section(kv_lines *kv, const char *title, const char *json, const tui_filter *f)
{
    kv_add(kv, NULL, title);
    cJSON *j = json ? json_parse(json) : NULL;
    size_t before = kv->n;
    flatten(kv, "", j, f);
    if (kv->n == before)
        kv_add(kv, "", f && f->active ? "(nothing matches the filter)" : "(empty)");
    cJSON_Delete(j);
}

static void build_summary(tui_app *app, kv_lines *kv)
{
    tally_store *st = app->run.store;
    const tally_run_info *in = tally_store_info(st);
    const tui_filter *f = &app->metric_filter;
    char t[64];
    kv_add(kv, NULL, "run");
    struct {
        const char *k, *v;
    } rows[] = {{"id", in->id},           {"name", in->name},
                {"project", in->project}, {"state", tally_state_name(in->state)},
                {"group", in->group},     {"job_type", in->job_type},
                {"notes", in->notes},     {"tags", in->tags_json},
                {"host", in->host},       {"command", in->command_json},
                {"cwd", in->cwd},         {"git", in->git_json},
                {"file", in->path}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        if (rows[i].v && *rows[i].v && tui_filter_match(f, rows[i].k))
            kv_add(kv, rows[i].k, rows[i].v);
    time_t st0 = (time_t)in->start_time;
    struct tm tm;
    if (localtime_r(&st0, &tm) && strftime(t, sizeof t, "%Y-%m-%d %H:%M:%S", &tm) &&
        tui_filter_match(f, "started"))
        kv_add(kv, "started", t);
    if (in->dropped > 0 && tui_filter_match(f, "dropped")) {
        snprintf(t, sizeof t, "%lld values (the disk did not keep up)", (long long)in->dropped);
        kv_add(kv, "dropped", t);
    }
    char *summary = NULL, *config = NULL;
    tally_store_summary(st, &summary);
    tally_store_config(st, &config);
    add_json_section(kv, "summary", summary, f);
    add_json_section(kv, "config", config, f);
    free(summary);
    free(config);
}

static void draw_summary(tui_app *app, canvas *c, canvas_rect r)
{
    kv_lines kv = {0};
    build_summary(app, &kv);
    long max_scroll = (long)kv.n - r.h;
    if (app->text_scroll > max_scroll)
        app->text_scroll = max_scroll;
    if (app->text_scroll < 0)
        app->text_scroll = 0;
    int kw = 0;
    for (size_t i = 0; i < kv.n; i++) {
        int w = canvas_text_width(c, kv.key[i]);
        kw = w > kw ? w : kw;
    }
    if (kw > r.w * 2 / 5)
        kw = r.w * 2 / 5;
    for (int row = 0; row < r.h && (size_t)(app->text_scroll + row) < kv.n; row++) {
        size_t i = (size_t)(app->text_scroll + row);
        int y = r.y + row;
        if (!kv.key[i]) {
            canvas_text(c, r.x, y, r.w, kv.value[i], CANVAS_CYAN, CANVAS_BOLD | CANVAS_UNDERLINE);
        } else if (kv.key[i][0] == 0) {
            canvas_text(c, r.x + 2, y, r.w - 2, kv.value[i], 0, CANVAS_DIM);
        } else {
            canvas_text(c, r.x + 2, y, kw, kv.key[i], 0, CANVAS_BOLD);
            canvas_text(c, r.x + 4 + kw, y, r.w - 4 - kw, kv.value[i], 0, 0);
        }
    }
    kv_free(&kv);
}

/* ---- logs ---- */

static int log_matches(const tui_logs *l, size_t i)
{
    return l->search[0] && strstr(l->lines[i].text, l->search) != NULL;
}

static void draw_logs(tui_app *app, canvas *c, canvas_rect r)
{
    tui_logs *l = &app->logs;
    if (l->n == 0) {
        canvas_text(c, r.x + 1, r.y + r.h / 2, r.w - 2,
                    "no console output recorded for this run (yet)", 0, CANVAS_DIM);
        return;
    }
    long first = l->follow ? (long)l->n - r.h : l->scroll;
    if (first > (long)l->n - r.h)
        first = (long)l->n - r.h;
    if (first < 0)
        first = 0;
    l->scroll = first;
    for (int row = 0; row < r.h && (size_t)(first + row) < l->n; row++) {
        size_t i = (size_t)(first + row);
        const tui_log_line *line = &l->lines[i];
        int x = r.x;
        if (line->stream == 2)
            x += canvas_text(c, x, r.y + row, 2, c->ascii ? "! " : "\xe2\x96\x8c ", CANVAS_RED,
                             CANVAS_BOLD);
        else
            x += 2;
        unsigned attr = (long)i == l->match ? CANVAS_REVERSE : log_matches(l, i) ? CANVAS_BOLD : 0;
        canvas_text(c, x, r.y + row, r.x + r.w - x, line->text,
                    line->stream == 2 ? CANVAS_RED : CANVAS_DEFAULT, attr);
    }
}

static void logs_action(tui_app *app, keymap_action a)
{
    tui_logs *l = &app->logs;
    int page = app->body_h > 1 ? app->body_h - 1 : 1;
    switch (a) {
    case ACT_UP: l->follow = 0, l->scroll--; break;
    case ACT_DOWN: l->scroll++; break;
    case ACT_PAGE_PREV: l->follow = 0, l->scroll -= page; break;
    case ACT_PAGE_NEXT: l->scroll += page; break;
    case ACT_TOP: l->follow = 0, l->scroll = 0; break;
    case ACT_BOTTOM: l->follow = 1; break;
    case ACT_FOLLOW: l->follow = !l->follow; break;
    case ACT_ENTER: {
        /* The next older match (from the bottom first). */
        long from = l->match >= 0 ? l->match - 1 : (long)l->n - 1;
        for (long i = from; i >= 0; i--)
            if (log_matches(l, (size_t)i)) {
                l->match = i;
                l->follow = 0;
                l->scroll = i - app->body_h / 2;
                return;
            }
        if (l->search[0])
            snprintf(app->message, sizeof app->message, "no older line matches");
        break;
    }
    default: break;
    }
    /* Scrolling down to the end resumes following. */
    if (l->scroll + app->body_h >= (long)l->n && (a == ACT_DOWN || a == ACT_PAGE_NEXT))
        l->follow = 1;
    if (l->scroll < 0)
        l->scroll = 0;
}

/* ---- the view ---- */

static tui_grid_spec grid_spec(tui_app *app)
{
    return (tui_grid_spec){
        &app->run,  1,         app->tab == TAB_SYSTEM, &app->metric_filter, &app->charts,
        app->ascii, app->cache};
}

void view_run_draw(tui_app *app, canvas *c)
{
    layout_screen s = layout_screen_of(c->w, c->h);
    app->body_h = s.body.h;
    draw_header(app, c, s.header);
    const char *hint = "";
    char hintbuf[512];
    switch (app->tab) {
    case TAB_CHARTS:
    case TAB_SYSTEM: {
        tui_grid_spec spec = grid_spec(app);
        view_charts_draw(c, s.body, &spec);
        view_charts_hint(&app->charts, &spec, hintbuf, sizeof hintbuf);
        hint = hintbuf;
        break;
    }
    case TAB_SUMMARY:
        draw_summary(app, c, s.body);
        hint = " j/k scroll  / filter keys  Tab next tab  ? help  q quit";
        break;
    case TAB_LOGS:
        draw_logs(app, c, s.body);
        snprintf(hintbuf, sizeof hintbuf,
                 " %zu lines  %s  / search  Enter older match  f follow  ? help", app->logs.n,
                 app->logs.follow ? "following" : "scrolled");
        hint = hintbuf;
        break;
    default: break;
    }
    tui_draw_footer(app, c, s.footer, hint);
}

void view_run_action(tui_app *app, keymap_action a, int key)
{
    (void)key;
    switch (a) {
    case ACT_TAB_NEXT: app->tab = (tui_tab)((app->tab + 1) % TAB_COUNT); return;
    case ACT_TAB_CHARTS: app->tab = TAB_CHARTS; return;
    case ACT_TAB_SUMMARY: app->tab = TAB_SUMMARY; return;
    case ACT_TAB_SYSTEM: app->tab = TAB_SYSTEM; return;
    case ACT_TAB_LOGS: app->tab = TAB_LOGS; return;
    default: break;
    }
    if (a == ACT_BACK) {
        if ((app->tab == TAB_CHARTS || app->tab == TAB_SYSTEM) &&
            view_charts_back(&app->charts, &app->metric_filter))
            return;
        if (app->tab == TAB_SUMMARY && app->metric_filter.active) {
            tui_filter_clear(&app->metric_filter);
            return;
        }
        tui_back(app);
        return;
    }
    if (app->tab == TAB_CHARTS || app->tab == TAB_SYSTEM) {
        if (app->tab == TAB_SYSTEM || a != ACT_NONE)
            view_charts_nav(&app->charts, a);
    } else if (app->tab == TAB_LOGS) {
        logs_action(app, a);
    } else {
        int page = app->body_h > 1 ? app->body_h - 1 : 1;
        switch (a) {
        case ACT_UP: app->text_scroll--; break;
        case ACT_DOWN: app->text_scroll++; break;
        case ACT_PAGE_PREV: app->text_scroll -= page; break;
        case ACT_PAGE_NEXT: app->text_scroll += page; break;
        case ACT_TOP: app->text_scroll = 0; break;
        case ACT_BOTTOM: app->text_scroll = 1L << 30; break;
        default: break;
        }
        if (app->text_scroll < 0)
            app->text_scroll = 0;
    }
}
