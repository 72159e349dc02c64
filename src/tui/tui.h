/*
 * tui.h — the dashboard's state and the entry points the CLI calls.
 *
 * tui_app holds everything a view shows: the runs list, the open run(s),
 * the chart controls, the prompt.  tui.c dispatches keys and polls for new
 * data; each view_*.c draws into a canvas and handles its own actions;
 * screen.c is the only code that talks to ncurses.  Nothing here is global.
 */
#ifndef TALLY_TUI_H
#define TALLY_TUI_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "tally_store.h"
#include "tui/canvas.h"
#include "tui/keymap.h"
#include "tui/seriescache.h"
#include "tui/syncjob.h"
#include "tui/termcaps.h"

typedef enum tui_view { TUI_RUNS = 0, TUI_RUN, TUI_COMPARE, TUI_HELP } tui_view;
typedef enum tui_tab {
    TAB_CHARTS = 0,
    TAB_SUMMARY,
    TAB_SYSTEM,
    TAB_LOGS,
    TAB_MEDIA,
    TAB_COUNT
} tui_tab;
typedef enum tui_xmode {
    XMODE_STEP = 0, /* the metric's define_metric step metric, else _step */
    XMODE_RELTIME,  /* _runtime */
    XMODE_WALL,     /* _timestamp */
    XMODE_RAW_STEP, /* _step, whatever define_metric said */
    XMODE_COUNT
} tui_xmode;

/* A metric filter: a regex, or a glob when the pattern has * or ? and no
 * other regex syntax.  Empty: everything matches. */
typedef struct tui_filter {
    char text[256];
    int active, glob;
    regex_t re;
} tui_filter;

/* Sets the filter; -1 (and the filter unchanged) on a bad regex. */
int tui_filter_set(tui_filter *f, const char *text);
void tui_filter_clear(tui_filter *f);
int tui_filter_match(const tui_filter *f, const char *s);

/* A set of names (charts marked, pinned; overlays as names joined by
 * '\n'), in the order they were added. */
typedef struct tui_names {
    char **v;
    size_t n;
} tui_names;
int tui_names_find(const tui_names *s, const char *name); /* index, -1 absent */
int tui_names_add(tui_names *s, const char *name);        /* -1 on OOM */
void tui_names_remove(tui_names *s, const char *name);
void tui_names_free(tui_names *s);

/* The chart controls, shared by the charts, system and compare views. */
typedef struct tui_charts {
    double f0, f1; /* the x window as fractions of the full range */
    double smooth; /* EMA weight, 0: off */
    int log_y;
    tui_xmode xmode;
    int page, sel; /* page of the grid shown; the selected item (chart or section
                      header) counted from the grid's first */
    int focus;     /* the selected chart fills the screen, with axes */
    int per_page;  /* charts on the page, last frame */
    int pages;     /* pages of the grid, last frame */
    int nmetrics;  /* items (charts and section headers) in the last frame */

    /* Following: while the window touches the right edge it moves with new
     * data; once panned or zoomed off it, it holds still, on the data as
     * it was then (each run records where its data ended, hold_gen). */
    int hold;          /* 0: following */
    unsigned hold_gen; /* bumped each time the window stops following */

    int cursor;        /* a vertical cursor over the focused chart */
    int cursor_col;    /* its plot column */
    int plot_w;        /* the focused plot's width, last frame */
    int outliers;      /* ignore outliers when scaling y */
    unsigned y_limits; /* CHART_Y_* bits: manual y limits */
    double y_lo, y_hi;

    tui_names marked;         /* charts marked for an overlay */
    tui_names overlays;       /* overlay charts, first in the grid */
    tui_names pinned;         /* charts pinned to the top, after the overlays */
    tui_names collapsed;      /* sections shown as their header alone */
    int dir;                  /* of the last move (+1, -1): focus steps over headers that way */
    int next_page, prev_page; /* the first item of the next / previous page, last frame */
    int on_header;            /* the selection is a section header, last frame */
    char section[128];        /* the selected item's section, last frame */
    char go_section[128];     /* select this section's header at the next frame, */
    int go_chart;             /* or its first chart (no section: the grid's first chart) */
    char selected[1024];      /* the selected chart's name (an overlay's key), last frame */
    char pair[256];           /* its train/val partner, "" when none */
} tui_charts;

typedef struct tui_log_line {
    int64_t seq;
    double t;
    int stream;
    char *text;
} tui_log_line;

/* The logs tab.  The log stays in the run file: each frame reads the
 * window it shows through the read API, so a log of any length is
 * reachable and search covers every line. */
typedef struct tui_logs {
    tui_log_line *win; /* the lines of the last frame, oldest first */
    size_t nwin, capwin;
    int follow;        /* show the newest lines as they arrive */
    int64_t top;       /* seq of the first line shown (when not following) */
    int64_t total;     /* lines in the log, as of the last frame */
    int64_t line_no;   /* 1-based number of the first line shown */
    char search[256];
    int64_t match;     /* seq of the current match, -1 none */
    int wrap;          /* long lines continue on the next row */
    int stamps;        /* 0 none, 1 wall clock, 2 time since the run started */
    int hscroll;       /* columns scrolled off to the left (no wrap) */
} tui_logs;

/* A run open in the run or compare view. */
typedef struct tui_run {
    tally_store *store;
    unsigned hold_gen; /* the tui_charts.hold_gen the two below are for */
    int64_t hold_step; /* the last step when the window stopped following */
    double hold_time;  /* and the Unix time then */
    double rate;       /* steps per second, recent */
    double rate_t;     /* when rate_step was seen */
    int color;         /* its series colour in compare (palette.h); 0: by position */
    int hidden;        /* toggled off in compare */
    int64_t rate_step;
} tui_run;

enum { PROMPT_TEXT = 1, PROMPT_Y_LIMITS = 2 };

typedef struct tui_app {
    char *root; /* store root of the runs browser */
    tui_view view;
    tui_view stack[8]; /* where Esc goes back to */
    int depth;
    int quit;
    int ascii;         /* no UTF-8: ASCII charts and marks */
    char message[256]; /* a one-shot line in the footer */

    /* runs browser */
    tally_run_list *list;
    size_t *order, norder; /* filtered and sorted indices into list */
    int cursor, top;
    int sort_col, sort_rev; /* a fixed column, or RUNS_FIXED_COLS + a chosen one */
    struct runs_state *runs; /* view_runs.c: the filter, columns, parsed values */
    char **chosen; /* paths selected with space */
    size_t nchosen;
    double list_time;  /* when the list was read */
    tui_syncjob *sync; /* S: pushing runs to the W&B server, or NULL */

    /* run view */
    tui_run run;
    tui_tab tab;
    tui_charts charts; /* the charts and system tabs */
    tui_filter metric_filter;
    tui_logs logs;
    long text_scroll; /* summary tab */

    /* compare view */
    tui_run *cmp;
    size_t ncmp;
    tui_charts cmp_charts;
    struct compare_state *compare; /* view_compare.c: legend, groups, config diff */

    /* the '/' prompt (PROMPT_TEXT), or the y-limits one; 0: none.  A view's
     * own prompt (view_runs.c: rename, tags, notes, delete) is a PROMPT_TEXT
     * with prompt_kind set, shown after prompt_label. */
    int prompting;
    int prompt_kind;
    char prompt_label[64]; /* shown before the text (prompt_kind set) */
    char prompt_note[160]; /* shown after it: why the text does not apply */
    char prompt_orig[256]; /* the text when it opened: Esc on a live filter restores it */
    char prompt[256];
    size_t prompt_len;

    /* the media tab (view_media.c), and what the terminal shows of an
     * image: screen.c fills these in; tests and benchmarks keep the
     * defaults (mosaic quadrants, 256 colours) */
    struct media_state *media;
    termcaps caps;
    int colors;         /* 0, 8, 16, 256, or 1 << 24 (direct RGB) */
    int cell_w, cell_h; /* a cell in pixels (graphics protocols), 0: unknown */
    double now;         /* monotonic seconds of the last poll (video playback) */

    int help_scroll;
    int body_h;          /* rows of the body in the last frame (for paging text) */
    series_cache *cache; /* decimated series kept between frames */
} tui_app;

tui_app *tui_app_new(const char *root);
void tui_app_free(tui_app *app);
/* Opens a run file in the run view (tab TAB_*); 0 or a TALLY_E* code. */
int tui_open_run(tui_app *app, const char *path, tui_tab tab);
/* Draws the current view into c (sized to the screen). */
void tui_draw(tui_app *app, canvas *c);
/* Handles one key (KEY_T_* or a code point). */
void tui_key(tui_app *app, int key);
/* Polls the open run files; 1 when the screen should be redrawn.  now is
 * a monotonic time in seconds. */
int tui_poll(tui_app *app, double now);

/* Runs the dashboard on the terminal until q; returns the exit code.
 * (screen.c: the ncurses edge.) */
int tui_main(tui_app *app);

/* ---- shared by the views ---- */
void tui_push(tui_app *app, tui_view view);
void tui_back(tui_app *app);
void tui_charts_reset(tui_charts *ch);
void tui_charts_free(tui_charts *ch);
/* Applies a chart-control action; 1 when it was one. */
int tui_charts_action(tui_charts *ch, keymap_action a);
const char *tui_xmode_name(tui_xmode m);
/* When a run stopped: its end time; now while it runs; its last heartbeat
 * when it crashed (not the time it was looked at). */
double tui_run_end(const tally_run_info *info, double now);
/* "12.3k", "0.1532": a value for a title line. */
const char *tui_format_value(char out[32], double v);
/* State mark and colour ("●", CANVAS_GREEN for running ...). */
const char *tui_state_mark(tally_state s, int ascii, int *color);
/* The footer: the prompt when one is open, else hint (and the message). */
void tui_draw_footer(tui_app *app, canvas *c, canvas_rect r, const char *hint);

/* One chart grid over one or more runs (view_charts.c). */
typedef struct tui_grid_spec {
    tui_run *runs;
    size_t nruns;
    int system; /* the system tab: time-axis and system.* metrics */
    const tui_filter *filter;
    tui_charts *charts;
    int ascii;
    series_cache *cache; /* may be NULL */
    /* compare, grouped: runs[k] is in group group_of[k] of ngroups, each
     * drawn as its mean over a min-max band in group_colors[g]; NULL: not */
    const int *group_of;
    size_t ngroups;
    const int *group_colors;
} tui_grid_spec;
void view_charts_draw(canvas *c, canvas_rect r, const tui_grid_spec *spec);
/* Charts in the grid the last draw would show (for paging). */
int view_charts_count(const tui_grid_spec *spec);
/* Moves the selection, pages, focuses, or applies a chart control. */
void view_charts_nav(tui_charts *ch, keymap_action a);
/* The chart controls' part of a footer ("page 1/3  x:epoch  smooth 0.6
 * ...  Enter focus") for this grid; out has size bytes. */
void view_charts_hint(const tui_charts *ch, const tui_grid_spec *spec, char *out, size_t size);
/* Esc in a chart grid: leaves focus, then drops the filter; 0 when
 * neither applied (the view should step back). */
int view_charts_back(tui_charts *ch, tui_filter *f);

#define RUNS_FIXED_COLS 6 /* name, project, state, started, duration, steps */
void view_runs_draw(tui_app *app, canvas *c);
void view_runs_action(tui_app *app, keymap_action a, int key);
/* Brings the list up to date (only changed files are read); 1 when it changed. */
int view_runs_reload(tui_app *app);
void view_runs_free(tui_app *app);
/* The filter expression (runquery.h), applied as it is typed: 0, or -1
 * with the reason in app->prompt_note (the last good filter stays). */
int view_runs_set_filter(tui_app *app, const char *text);
const char *view_runs_filter_text(const tui_app *app);
/* A prompt the runs view opened (rename, tags, notes, delete) ended. */
void view_runs_prompt_done(tui_app *app, int accept);

void view_run_draw(tui_app *app, canvas *c);
void view_run_action(tui_app *app, keymap_action a, int key);
int view_run_poll(tui_app *app);
void view_run_close(tui_app *app);

/* The media tab (view_media.c): every media key at its selected step. */
void view_media_draw(tui_app *app, canvas *c, canvas_rect r, char *hint, size_t hint_size);
void view_media_action(tui_app *app, keymap_action a, int key);
/* New steps after a refresh; 1 when the tab should be redrawn. */
int view_media_poll(tui_app *app);
/* The '/' prompt on the media tab: a focused table's row filter (1), or
 * not the media tab's to take (0). */
int view_media_prompt(tui_app *app, const char *text);
/* What the '/' prompt starts from on the media tab (NULL: the key filter). */
const char *view_media_filter_text(const tui_app *app);
/* Esc on the media tab: leaves a focus (1), or nothing to leave (0). */
int view_media_back(tui_app *app);
void view_media_close(tui_app *app);

void view_compare_draw(tui_app *app, canvas *c);
void view_compare_action(tui_app *app, keymap_action a, int key);
int view_compare_open(tui_app *app);
void view_compare_close(tui_app *app);

void view_help_draw(tui_app *app, canvas *c);
void view_help_action(tui_app *app, keymap_action a, int key);

#endif
