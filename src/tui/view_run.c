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
#include "tui/logline.h"
#include "tui/tui.h"
#include "tui/valfmt.h"

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void logs_reset(tui_logs *l)
{
    for (size_t i = 0; i < l->nwin; i++)
        free(l->win[i].text);
    free(l->win);
    int wrap = l->wrap, stamps = l->stamps;
    memset(l, 0, sizeof *l);
    l->follow = 1;
    l->match = -1;
    l->wrap = wrap; /* view preferences outlive the run */
    l->stamps = stamps;
}

void view_run_close(tui_app *app)
{
    view_media_close(app); /* before the store its objects come from */
    series_cache_forget(app->cache, app->run.store);
    tally_store_close(app->run.store);
    memset(&app->run, 0, sizeof app->run);
    logs_reset(&app->logs);
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
        double dur = tui_run_end(info, (double)time(NULL)) - info->start_time;
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
    if (changed || app->tab == TAB_MEDIA)
        changed |= view_media_poll(app); /* new steps of media keys, a playing video */
    return changed; /* new console lines change the file too */
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
    double run_s = tui_run_end(info, (double)time(NULL)) - info->start_time;
    numfmt_duration(rt, sizeof rt, run_s > 0 ? run_s : 0);
    char rate[VALFMT_MAX];
    valfmt(rate, app->run.rate, 3);
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
    static const char *const tabs[TAB_COUNT] = {"1 charts", "2 summary", "3 system", "4 logs",
                                                "5 media"};
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

static void win_clear(tui_logs *l)
{
    for (size_t i = 0; i < l->nwin; i++)
        free(l->win[i].text);
    l->nwin = 0;
}

static int win_add(void *ctx, const tally_log_line *line)
{
    tui_logs *l = ctx;
    if (l->nwin == l->capwin) {
        size_t cap = l->capwin ? l->capwin * 2 : 64;
        tui_log_line *v = realloc(l->win, cap * sizeof *v);
        if (!v)
            return 1;
        l->win = v;
        l->capwin = cap;
    }
    char *text = strdup(line->text);
    if (!text)
        return 1;
    l->win[l->nwin++] = (tui_log_line){line->seq, line->t, line->stream, text};
    return 0;
}

/* The seq k lines before (k < 0) or after (k > 0) seq, clamped to the log's
 * ends; seq itself when there is no such line. */
static int64_t seq_step(tally_store *st, int64_t seq, long k)
{
    tui_logs tmp = {0};
    if (k < 0)
        tally_store_logs_before(st, seq, (size_t)-k, win_add, &tmp);
    else if (k > 0)
        tally_store_logs(st, seq, (size_t)k, win_add, &tmp);
    int64_t out = seq;
    if (tmp.nwin)
        out = k < 0 ? tmp.win[0].seq : tmp.win[tmp.nwin - 1].seq;
    win_clear(&tmp);
    free(tmp.win);
    return out;
}

static void format_stamp(const tui_logs *l, const tui_log_line *line, double start, char *out,
                         size_t size)
{
    if (l->stamps == 1) {
        time_t tt = (time_t)line->t;
        struct tm tm;
        int ms = (int)((line->t - floor(line->t)) * 1000);
        char hms[16] = "??:??:??";
        if (localtime_r(&tt, &tm))
            strftime(hms, sizeof hms, "%H:%M:%S", &tm);
        snprintf(out, size, "%s.%03d ", hms, ms < 0 ? 0 : ms > 999 ? 999 : ms);
    } else {
        char d[32];
        numfmt_duration(d, sizeof d, line->t > start ? line->t - start : 0);
        snprintf(out, size, "%8s ", d);
    }
}

/* Lays out one line at y (draw == 0: measures); returns its rows. */
static int draw_log_line(tui_app *app, canvas *c, canvas_rect r, int y, int max_rows,
                         const tui_log_line *line, int draw)
{
    tui_logs *l = &app->logs;
    int x = r.x;
    if (draw) {
        if (line->stream == 2)
            canvas_text(c, x, y, 2, c->ascii ? "! " : "\xe2\x96\x8c ", CANVAS_RED, CANVAS_BOLD);
    }
    x += 2;
    if (l->stamps) {
        char stamp[48];
        format_stamp(l, line, tally_store_info(app->run.store)->start_time, stamp, sizeof stamp);
        x += draw ? canvas_text(c, x, y, r.x + r.w - x, stamp, 0, CANVAS_DIM)
                  : canvas_text_width(c, stamp);
    }
    int match = l->search[0] && line->seq == l->match;
    unsigned attr = match ? CANVAS_REVERSE : 0;
    return logline_draw(c, x, y, r.x + r.w - x, max_rows, line->text,
                        line->stream == 2 ? CANVAS_RED : CANVAS_DEFAULT, attr, l->hscroll,
                        l->wrap, draw);
}

/* Reads the lines of this frame into the window: from top, or the newest
 * ones when following (or when fewer than a screen follow top). */
static void logs_window(tui_app *app, canvas *c, canvas_rect r)
{
    tui_logs *l = &app->logs;
    tally_store *st = app->run.store;
    win_clear(l);
    if (!l->follow)
        tally_store_logs(st, l->top - 1, (size_t)r.h, win_add, l);
    if (l->follow || (long)l->nwin < r.h) {
        win_clear(l);
        tally_store_logs_before(st, INT64_MAX, (size_t)r.h, win_add, l);
        /* Wrapped lines take more rows: keep the newest that fit. */
        size_t first = l->nwin;
        for (int rows = 0; first > 0; first--) {
            rows += l->wrap ? draw_log_line(app, c, r, r.y, r.h, &l->win[first - 1], 0) : 1;
            if (rows > r.h)
                break;
        }
        for (size_t i = 0; i < first; i++)
            free(l->win[i].text);
        memmove(l->win, l->win + first, (l->nwin - first) * sizeof *l->win);
        l->nwin -= first;
    }
    l->top = l->nwin ? l->win[0].seq : 0;
}

static void draw_logs(tui_app *app, canvas *c, canvas_rect r)
{
    tui_logs *l = &app->logs;
    tally_store *st = app->run.store;
    l->total = 0;
    tally_store_log_count(st, INT64_MAX, &l->total);
    if (l->total == 0 || r.h <= 0) {
        canvas_text(c, r.x + 1, r.y + r.h / 2, r.w - 2,
                    "no console output recorded for this run (yet)", 0, CANVAS_DIM);
        return;
    }
    logs_window(app, c, r);
    int64_t before = 0;
    tally_store_log_count(st, l->top, &before);
    l->line_no = before + 1;
    int y = r.y;
    for (size_t i = 0; i < l->nwin && y < r.y + r.h; i++)
        y += draw_log_line(app, c, r, y, r.y + r.h - y, &l->win[i], 1);
}

/* Moves to the next match older (dir < 0) or newer (dir > 0) than the
 * current one, over the whole log; it lands mid-screen. */
static void logs_find(tui_app *app, int dir)
{
    tui_logs *l = &app->logs;
    if (!l->search[0])
        return;
    int64_t from = l->match >= 0 ? l->match : dir < 0 ? INT64_MAX : INT64_MIN;
    int64_t seq;
    int rc = tally_store_log_find(app->run.store, l->search, from, dir, &seq);
    if (rc == TALLY_ENOTFOUND) {
        snprintf(app->message, sizeof app->message, "no %s line matches \"%.200s\"",
                 dir < 0 ? "older" : "newer", l->search);
        return;
    }
    if (rc) {
        snprintf(app->message, sizeof app->message, "search failed: %s", tally_strerror(rc));
        return;
    }
    l->match = seq;
    l->follow = 0;
    l->top = seq_step(app->run.store, seq, -(long)(app->body_h / 2));
}

static void logs_action(tui_app *app, keymap_action a)
{
    tui_logs *l = &app->logs;
    tally_store *st = app->run.store;
    long page = app->body_h > 1 ? app->body_h - 1 : 1;
    long move = 0;
    switch (a) {
    case ACT_UP: move = -1; break;
    case ACT_DOWN: move = 1; break;
    case ACT_PAGE_PREV: move = -page; break;
    case ACT_PAGE_NEXT: move = page; break;
    case ACT_TOP:
        l->follow = 0;
        l->top = seq_step(st, INT64_MIN, 1);
        break;
    case ACT_BOTTOM: l->follow = 1; break;
    case ACT_FOLLOW: l->follow = !l->follow; break;
    case ACT_ENTER: logs_find(app, -1); break;
    case ACT_MATCH_NEWER: logs_find(app, 1); break;
    case ACT_WRAP:
        l->wrap = !l->wrap;
        l->hscroll = 0;
        break;
    case ACT_STAMPS: l->stamps = (l->stamps + 1) % 3; break;
    case ACT_PAN_LEFT: l->hscroll = l->hscroll > 8 ? l->hscroll - 8 : 0; break;
    case ACT_PAN_RIGHT:
        if (!l->wrap)
            l->hscroll += 8;
        break;
    default: break;
    }
    if (move < 0 && (l->follow || l->top > 0)) {
        l->follow = 0;
        l->top = seq_step(st, l->top, move);
    } else if (move > 0 && !l->follow) {
        l->top = seq_step(st, l->top, move);
        /* Scrolling down to the end resumes following. */
        tui_logs rest = {0};
        tally_store_logs(st, l->top - 1, (size_t)app->body_h + 1, win_add, &rest);
        if ((long)rest.nwin <= app->body_h)
            l->follow = 1;
        win_clear(&rest);
        free(rest.win);
    }
}

/* ---- the system tab without samples ---- */

static int has_system_samples(tally_store *st)
{
    for (size_t i = 0; i < tally_store_metric_count(st); i++) {
        const tally_metric_info *m = tally_store_metric(st, i);
        if (!m->hidden && m->n > 0 &&
            (m->axis == TALLY_AXIS_TIME || strncmp(m->name, "system.", 7) == 0 ||
             strncmp(m->name, "system/", 7) == 0))
            return 1;
    }
    return 0;
}

static void draw_no_samples(tui_app *app, canvas *c, canvas_rect r)
{
    const tally_run_info *in = tally_store_info(app->run.store);
    const char *msg = in->state == TALLY_STATE_RUNNING
                          ? "no system samples yet: the first comes after one sample period"
                          : "no system samples were recorded for this run";
    const char *why = "(CPU, memory, GPU and disk are sampled by `tally run` and tally_init;"
                      " sample_ms -1 turns it off)";
    canvas_text(c, r.x + 1, r.y + r.h / 2, r.w - 2, msg, CANVAS_DEFAULT, CANVAS_BOLD);
    canvas_text(c, r.x + 1, r.y + r.h / 2 + 1, r.w - 2, why, CANVAS_DEFAULT, CANVAS_DIM);
    app->charts.nmetrics = 0;
    app->charts.per_page = 1;
}

/* ---- the view ---- */

static tui_grid_spec grid_spec(tui_app *app)
{
    return (tui_grid_spec){.runs = &app->run,
                           .nruns = 1,
                           .system = app->tab == TAB_SYSTEM,
                           .filter = &app->metric_filter,
                           .charts = &app->charts,
                           .ascii = app->ascii,
                           .cache = app->cache};
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
        if (app->tab == TAB_SYSTEM && !has_system_samples(app->run.store))
            draw_no_samples(app, c, s.body);
        else
            view_charts_draw(c, s.body, &spec);
        view_charts_hint(&app->charts, &spec, hintbuf, sizeof hintbuf);
        hint = hintbuf;
        break;
    }
    case TAB_SUMMARY:
        draw_summary(app, c, s.body);
        hint = " j/k scroll  / filter keys  Tab next tab  ? help  q quit";
        break;
    case TAB_MEDIA:
        view_media_draw(app, c, s.body, hintbuf, sizeof hintbuf);
        hint = hintbuf;
        break;
    case TAB_LOGS:
        draw_logs(app, c, s.body);
        snprintf(hintbuf, sizeof hintbuf,
                 " line %lld of %lld  %s%s  / search  Enter older  N newer  f follow  w wrap"
                 "  t time  ? help",
                 (long long)app->logs.line_no, (long long)app->logs.total,
                 app->logs.follow ? "following" : "scrolled", app->logs.wrap ? "  wrap" : "");
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
    case ACT_TAB_MEDIA: app->tab = TAB_MEDIA; return;
    default: break;
    }
    if (a == ACT_BACK) {
        if ((app->tab == TAB_CHARTS || app->tab == TAB_SYSTEM) &&
            view_charts_back(&app->charts, &app->metric_filter))
            return;
        if (app->tab == TAB_MEDIA && view_media_back(app))
            return;
        if ((app->tab == TAB_SUMMARY || app->tab == TAB_MEDIA) && app->metric_filter.active) {
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
    } else if (app->tab == TAB_MEDIA) {
        view_media_action(app, a, key);
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
