/*
 * tui.c — the dashboard's state machine: the view stack, the '/' prompt,
 * key dispatch through the key map, polling the open runs, and helpers
 * the views share.  No terminal here: screen.c drives it, tests and the
 * benchmark call it directly.
 */
#include "tui/tui.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/numfmt.h"
#include "tui/chart.h"
#include "tui/runquery.h"
#include "tui/smooth.h"
#include "tui/valfmt.h"

/* ---- filters ---- */

int tui_filter_set(tui_filter *f, const char *text)
{
    if (!text || !*text) {
        tui_filter_clear(f);
        return 0;
    }
    int glob = strpbrk(text, "*?") && !strpbrk(text, "^$()|+\\{}.");
    regex_t re;
    if (!glob && (runquery_regex_too_costly(text) ||
                  regcomp(&re, text, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0))
        return -1;
    tui_filter_clear(f);
    snprintf(f->text, sizeof f->text, "%s", text);
    f->active = 1;
    f->glob = glob;
    if (!glob)
        f->re = re;
    return 0;
}

void tui_filter_clear(tui_filter *f)
{
    if (f->active && !f->glob)
        regfree(&f->re);
    f->active = f->glob = 0;
    f->text[0] = 0;
}

int tui_filter_match(const tui_filter *f, const char *s)
{
    if (!f || !f->active)
        return 1;
    if (f->glob)
        return fnmatch(f->text, s, FNM_CASEFOLD) == 0;
    return regexec(&f->re, s, 0, NULL, 0) == 0;
}

/* ---- the app ---- */

tui_app *tui_app_new(const char *root)
{
    tui_app *app = calloc(1, sizeof *app);
    if (!app)
        return NULL;
    app->root = strdup(root ? root : tally_store_default_root());
    if (!app->root) {
        free(app);
        return NULL;
    }
    app->cache = series_cache_new();
    app->view = TUI_RUNS;
    app->list_time = -1e9;
    app->sort_col = 3; /* started, newest first */
    app->sort_rev = 1;
    tui_charts_reset(&app->charts);
    tui_charts_reset(&app->cmp_charts);
    app->logs.follow = 1;
    app->logs.match = -1;
    app->colors = 256;
    app->caps.gfx = TERMCAPS_MOSAIC;
    app->caps.symbols = TERMCAPS_SYM_QUAD;
    return app;
}

void tui_app_free(tui_app *app)
{
    if (!app)
        return;
    view_run_close(app);
    view_compare_close(app);
    view_runs_free(app); /* before the list its rows belong to */
    tally_run_list_free(app->list);
    free(app->order);
    for (size_t i = 0; i < app->nchosen; i++)
        free(app->chosen[i]);
    free(app->chosen);
    tui_filter_clear(&app->metric_filter);
    tui_charts_free(&app->charts);
    tui_charts_free(&app->cmp_charts);
    series_cache_free(app->cache);
    tui_syncjob_free(app->sync);
    free(app->root);
    free(app);
}

void tui_push(tui_app *app, tui_view view)
{
    if (app->depth < (int)(sizeof app->stack / sizeof *app->stack))
        app->stack[app->depth++] = app->view;
    app->view = view;
}

void tui_back(tui_app *app)
{
    if (app->depth == 0) {
        app->quit = 1; /* Esc at the first view leaves, like q */
        return;
    }
    tui_view from = app->view;
    app->view = app->stack[--app->depth];
    if (from == TUI_RUN && app->view != TUI_RUN && app->view != TUI_HELP)
        view_run_close(app);
    if (from == TUI_COMPARE && app->view != TUI_COMPARE && app->view != TUI_HELP)
        view_compare_close(app);
}

void tui_charts_free(tui_charts *ch)
{
    tui_names_free(&ch->marked);
    tui_names_free(&ch->overlays);
    tui_names_free(&ch->pinned);
    tui_names_free(&ch->collapsed);
}

void tui_charts_reset(tui_charts *ch)
{
    double smooth = ch->smooth;
    int log_y = ch->log_y;
    tui_xmode x = ch->xmode;
    unsigned gen = ch->hold_gen;
    tui_charts_free(ch);
    memset(ch, 0, sizeof *ch);
    ch->hold_gen = gen;
    ch->go_chart = 1; /* the first chart, not the first section's header */
    ch->f0 = 0;
    ch->f1 = 1;
    ch->smooth = smooth;
    ch->log_y = log_y;
    ch->xmode = x;
}

int tui_charts_action(tui_charts *ch, keymap_action a)
{
    double w = ch->f1 - ch->f0, mid = (ch->f0 + ch->f1) / 2;
    switch (a) {
    case ACT_ZOOM_IN:
        if (w > 1e-6) {
            /* Keep the live end pinned when the window is at it. */
            if (ch->f1 >= 1)
                ch->f0 = 1 - w / 2;
            else
                ch->f0 = mid - w / 4, ch->f1 = mid + w / 4;
        }
        return 1;
    case ACT_ZOOM_OUT:
        w = w * 2 > 1 ? 1 : w * 2;
        if (ch->f1 >= 1)
            ch->f0 = 1 - w;
        else
            ch->f0 = mid - w / 2, ch->f1 = mid + w / 2;
        break;
    case ACT_PAN_LEFT: ch->f0 -= w / 4, ch->f1 -= w / 4; break;
    case ACT_PAN_RIGHT: ch->f0 += w / 4, ch->f1 += w / 4; break;
    case ACT_RESET: ch->f0 = 0, ch->f1 = 1, ch->hold = 0; return 1;
    case ACT_LIVE: ch->f0 = 1 - w, ch->f1 = 1, ch->hold = 0; return 1;
    case ACT_SMOOTH: ch->smooth = smooth_next_weight(ch->smooth); return 1;
    case ACT_LOG_Y: ch->log_y = !ch->log_y; return 1;
    case ACT_X_AXIS: ch->xmode = (tui_xmode)((ch->xmode + 1) % XMODE_COUNT); return 1;
    default: return 0;
    }
    /* Keep the window inside [0, 1]. */
    w = ch->f1 - ch->f0;
    if (ch->f0 < 0)
        ch->f0 = 0, ch->f1 = w;
    if (ch->f1 > 1)
        ch->f1 = 1, ch->f0 = 1 - w;
    if (ch->f0 < 0)
        ch->f0 = 0;
    /* Off the right edge the window holds still; back at it, it follows. */
    if (ch->f1 < 1 - 1e-9 && !ch->hold) {
        ch->hold = 1;
        ch->hold_gen++;
    } else if (ch->f1 >= 1 - 1e-9) {
        ch->f1 = 1;
        ch->hold = 0;
    }
    return 1;
}

const char *tui_xmode_name(tui_xmode m)
{
    static const char *const names[] = {"step", "relative time", "wall time", "_step"};
    return (unsigned)m < XMODE_COUNT ? names[m] : "?";
}

double tui_run_end(const tally_run_info *info, double now)
{
    if (info->end_time > 0)
        return info->end_time;
    if (info->state == TALLY_STATE_RUNNING)
        return now;
    /* Crashed (or failed without an end): the last sign of life. */
    return info->heartbeat > info->start_time ? info->heartbeat : info->start_time;
}

const char *tui_format_value(char out[32], double v)
{
    char tmp[VALFMT_MAX];
    snprintf(out, 32, "%s", valfmt(tmp, v, 4));
    return out;
}

const char *tui_state_mark(tally_state s, int ascii, int *color)
{
    /* running ●, finished ✓, failed ✗, crashed ✝ */
    static const struct {
        int color;
        const char *ascii, *utf8;
    } marks[] = {{CANVAS_GREEN, "*", "\xe2\x97\x8f"},
                 {CANVAS_DEFAULT, "+", "\xe2\x9c\x93"},
                 {CANVAS_RED, "!", "\xe2\x9c\x97"},
                 {CANVAS_RED, "X", "\xe2\x9c\x9d"}};
    size_t i = (unsigned)s < 4 ? (size_t)s : 3;
    *color = marks[i].color;
    return ascii ? marks[i].ascii : marks[i].utf8;
}

void tui_draw_footer(tui_app *app, canvas *c, canvas_rect r, const char *hint)
{
    if (r.h <= 0)
        return;
    canvas_fill(c, r, ' ', 0, CANVAS_REVERSE);
    if (app->prompting) {
        const char *label = app->prompt_kind               ? app->prompt_label
                            : app->prompting == PROMPT_Y_LIMITS ? "y limits, lo hi (- automatic): "
                                                                : "/";
        int used = canvas_text(c, r.x, r.y, r.w, label, 0, CANVAS_REVERSE | CANVAS_BOLD);
        int note = app->prompt_note[0] ? canvas_text_width(c, app->prompt_note) + 2 : 0;
        if (note > r.w / 2)
            note = r.w / 2;
        if (note)
            canvas_text(c, r.x + r.w - note + 1, r.y, note - 1, app->prompt_note, CANVAS_YELLOW,
                        CANVAS_REVERSE | CANVAS_BOLD);
        r.w -= note;
        /* Show the end of a long prompt. */
        const char *p = app->prompt;
        while (canvas_text_width(c, p) > r.w - used - 1 && *p)
            p++;
        used += canvas_text(c, r.x + used, r.y, r.w - used, p, 0, CANVAS_REVERSE);
        canvas_put(c, r.x + used, r.y, '_', 0, CANVAS_REVERSE | CANVAS_BOLD);
        return;
    }
    if (app->message[0]) {
        canvas_text(c, r.x, r.y, r.w, app->message, CANVAS_YELLOW, CANVAS_REVERSE);
        return;
    }
    canvas_text(c, r.x, r.y, r.w, hint, 0, CANVAS_REVERSE);
}

/* ---- dispatch ---- */

int tui_open_run(tui_app *app, const char *path, tui_tab tab)
{
    tally_store *st;
    int rc = tally_store_open(path, &st);
    if (rc)
        return rc;
    view_run_close(app);
    app->run.store = st;
    app->tab = tab;
    tui_charts_reset(&app->charts);
    app->logs.follow = 1;
    app->logs.match = -1;
    app->text_scroll = 0;
    if (app->view != TUI_RUN)
        tui_push(app, TUI_RUN);
    view_run_poll(app);
    return 0;
}

static unsigned scope_of(const tui_app *app)
{
    switch (app->view) {
    case TUI_RUNS: return KM_RUNS;
    case TUI_COMPARE: return KM_CHARTS | KM_COMPARE;
    case TUI_RUN:
        if (app->tab == TAB_CHARTS || app->tab == TAB_SYSTEM)
            return KM_RUN | KM_CHARTS;
        if (app->tab == TAB_MEDIA)
            return KM_RUN | KM_MEDIA;
        return KM_RUN | KM_TEXT | (app->tab == TAB_LOGS ? KM_LOGS : 0);
    default: return KM_HELP;
    }
}

/* The charts the y-limits prompt applies to. */
static tui_charts *charts_of(tui_app *app)
{
    if (app->view == TUI_COMPARE)
        return &app->cmp_charts;
    if (app->view == TUI_RUN && (app->tab == TAB_CHARTS || app->tab == TAB_SYSTEM))
        return &app->charts;
    return NULL;
}

/* "lo hi", either "-" for automatic; "" clears both.  0 or -1. */
static int parse_y_limits(const char *text, tui_charts *ch)
{
    char a[64] = "", b[64] = "", extra[2];
    int n = sscanf(text, "%63s %63s %1s", a, b, extra);
    if (n > 2)
        return -1;
    unsigned bits = 0;
    double v[2] = {0, 0};
    const char *tok[2] = {a, b};
    for (int i = 0; i < 2 && i < (n < 0 ? 0 : n); i++) {
        if (strcmp(tok[i], "-") == 0 || strcmp(tok[i], "auto") == 0)
            continue;
        char *end;
        v[i] = strtod(tok[i], &end);
        if (*end || !isfinite(v[i]))
            return -1;
        bits |= i == 0 ? CHART_Y_LO : CHART_Y_HI;
    }
    if ((bits & CHART_Y_LO) && (bits & CHART_Y_HI) && !(v[0] < v[1]))
        return -1;
    ch->y_limits = bits;
    ch->y_lo = v[0];
    ch->y_hi = v[1];
    return 0;
}

static void prompt_done(tui_app *app, int accept)
{
    int kind = app->prompting;
    app->prompting = 0;
    app->prompt[app->prompt_len] = 0;
    if (app->prompt_kind) {
        view_runs_prompt_done(app, accept);
        app->prompt_kind = 0;
        app->prompt_label[0] = app->prompt_note[0] = 0;
        return;
    }
    if (app->view == TUI_RUNS) {
        /* The filter applied as it was typed; Esc puts the old one back. */
        if (!accept)
            view_runs_set_filter(app, app->prompt_orig);
        else if (app->prompt_note[0])
            snprintf(app->message, sizeof app->message, "%s", app->prompt_note);
        app->prompt_label[0] = app->prompt_note[0] = 0;
        return;
    }
    if (!accept)
        return;
    if (kind == PROMPT_Y_LIMITS) {
        tui_charts *ch = charts_of(app);
        if (ch && parse_y_limits(app->prompt, ch) != 0)
            snprintf(app->message, sizeof app->message,
                     "y limits: two numbers, lo < hi, or - for automatic");
        return;
    }
    if (app->view == TUI_RUN && app->tab == TAB_MEDIA && view_media_prompt(app, app->prompt))
        return;
    if (app->view == TUI_RUN && app->tab == TAB_LOGS) {
        snprintf(app->logs.search, sizeof app->logs.search, "%s", app->prompt);
        app->logs.match = -1;
        view_run_action(app, ACT_ENTER, 0); /* jump to the newest match */
    } else if (tui_filter_set(&app->metric_filter, app->prompt) != 0) {
        snprintf(app->message, sizeof app->message, "not a valid regular expression");
    } else {
        app->charts.page = app->charts.sel = 0;
        app->cmp_charts.page = app->cmp_charts.sel = 0;
        app->text_scroll = 0;
    }
}

static void prompt_key(tui_app *app, int key)
{
    if (key == KEY_T_ENTER) {
        prompt_done(app, 1);
    } else if (key == KEY_T_ESC) {
        prompt_done(app, 0);
    } else if (key == KEY_T_BACKSPACE) {
        /* Drop one UTF-8 character. */
        while (app->prompt_len > 0 && (app->prompt[--app->prompt_len] & 0xc0) == 0x80)
            ;
        app->prompt[app->prompt_len] = 0;
    } else if (key >= 0x20 && key < 0x110000 && key != 0x7f) {
        char enc[4];
        size_t n;
        if (key < 0x80)
            enc[0] = (char)key, n = 1;
        else if (key < 0x800)
            enc[0] = (char)(0xc0 | key >> 6), enc[1] = (char)(0x80 | (key & 0x3f)), n = 2;
        else if (key < 0x10000)
            enc[0] = (char)(0xe0 | key >> 12), enc[1] = (char)(0x80 | (key >> 6 & 0x3f)),
            enc[2] = (char)(0x80 | (key & 0x3f)), n = 3;
        else
            enc[0] = (char)(0xf0 | key >> 18), enc[1] = (char)(0x80 | (key >> 12 & 0x3f)),
            enc[2] = (char)(0x80 | (key >> 6 & 0x3f)), enc[3] = (char)(0x80 | (key & 0x3f)), n = 4;
        if (app->prompt_len + n < sizeof app->prompt) {
            memcpy(app->prompt + app->prompt_len, enc, n);
            app->prompt_len += n;
            app->prompt[app->prompt_len] = 0;
        }
    }
    if (app->prompting && !app->prompt_kind && app->view == TUI_RUNS)
        view_runs_set_filter(app, app->prompt); /* as you type */
}

void tui_key(tui_app *app, int key)
{
    app->message[0] = 0;
    if (app->prompting) {
        prompt_key(app, key);
        return;
    }
    keymap_action a = keymap_lookup(key, scope_of(app));
    if (a == ACT_QUIT) {
        app->quit = 1;
        return;
    }
    if (a == ACT_HELP) {
        if (app->view != TUI_HELP) {
            app->help_scroll = 0;
            tui_push(app, TUI_HELP);
        } else {
            tui_back(app);
        }
        return;
    }
    if (a == ACT_Y_LIMITS && charts_of(app)) {
        tui_charts *ch = charts_of(app);
        char lo[NUMFMT_MAX] = "-", hi[NUMFMT_MAX] = "-";
        if (ch->y_limits & CHART_Y_LO)
            numfmt_double(lo, ch->y_lo);
        if (ch->y_limits & CHART_Y_HI)
            numfmt_double(hi, ch->y_hi);
        app->prompting = PROMPT_Y_LIMITS;
        snprintf(app->prompt, sizeof app->prompt, "%s", ch->y_limits ? lo : "");
        if (ch->y_limits)
            snprintf(app->prompt + strlen(app->prompt), sizeof app->prompt - strlen(app->prompt),
                     " %s", hi);
        app->prompt_len = strlen(app->prompt);
        return;
    }
    if (a == ACT_FILTER && app->view != TUI_HELP) {
        app->prompting = PROMPT_TEXT;
        const char *cur = app->view == TUI_RUNS                          ? view_runs_filter_text(app)
                          : app->view == TUI_RUN && app->tab == TAB_LOGS ? app->logs.search
                                                                         : app->metric_filter.text;
        if (app->view == TUI_RUN && app->tab == TAB_MEDIA && view_media_filter_text(app))
            cur = view_media_filter_text(app);
        snprintf(app->prompt, sizeof app->prompt, "%s", cur);
        app->prompt_len = strlen(app->prompt);
        app->prompt_kind = 0;
        app->prompt_note[0] = 0;
        snprintf(app->prompt_orig, sizeof app->prompt_orig, "%s", cur);
        return;
    }
    switch (app->view) {
    case TUI_RUNS: view_runs_action(app, a, key); break;
    case TUI_RUN: view_run_action(app, a, key); break;
    case TUI_COMPARE: view_compare_action(app, a, key); break;
    case TUI_HELP: view_help_action(app, a, key); break;
    }
}

void tui_draw(tui_app *app, canvas *c)
{
    canvas_clear(c);
    c->ascii = app->ascii;
    switch (app->view) {
    case TUI_RUNS: view_runs_draw(app, c); break;
    case TUI_RUN: view_run_draw(app, c); break;
    case TUI_COMPARE: view_compare_draw(app, c); break;
    case TUI_HELP: view_help_draw(app, c); break;
    }
}

int tui_poll(tui_app *app, double now)
{
    int redraw = 0;
    app->now = now;
    tui_view v = app->view == TUI_HELP && app->depth > 0 ? app->stack[app->depth - 1] : app->view;
    if (v == TUI_RUNS && now - app->list_time >= 2.0) {
        app->list_time = now;
        if (view_runs_reload(app))
            redraw = 1;
    }
    if (app->run.store && view_run_poll(app))
        redraw = 1;
    if (app->sync) {
        /* The job's line stays in the footer until the next key. */
        if (!tui_syncjob_status(app->sync, app->message, sizeof app->message)) {
            tui_syncjob_free(app->sync);
            app->sync = NULL;
        }
        redraw = 1;
    }
    for (size_t i = 0; i < app->ncmp; i++) {
        int changed = 0;
        if (tally_store_refresh(app->cmp[i].store, &changed) == 0 && changed)
            redraw = 1;
    }
    return redraw && app->view != TUI_HELP ? 1 : redraw;
}
