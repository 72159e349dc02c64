/*
 * keymap.h — the one table of keys: the key handler looks actions up in
 * it and the help view prints it, so the two cannot disagree.  Keys are
 * terminal-independent codes (screen.c maps ncurses' codes onto them).
 */
#ifndef TALLY_TUI_KEYMAP_H
#define TALLY_TUI_KEYMAP_H

#include <stddef.h>

/* Special keys, above the Unicode range. */
enum {
    KEY_T_UP = 0x110000,
    KEY_T_DOWN,
    KEY_T_LEFT,
    KEY_T_RIGHT,
    KEY_T_PGUP,
    KEY_T_PGDN,
    KEY_T_HOME,
    KEY_T_END,
    KEY_T_ENTER,
    KEY_T_ESC,
    KEY_T_BACKSPACE,
    KEY_T_TAB,
    KEY_T_RESIZE,
    KEY_T_WHEEL_UP,
    KEY_T_WHEEL_DOWN
};

/* Where a key applies (bits). */
#define KM_RUNS 0x01u   /* the runs browser */
#define KM_CHARTS 0x02u /* chart grids: run charts, system, compare */
#define KM_RUN 0x04u    /* every tab of the run view */
#define KM_TEXT 0x08u   /* the summary and logs tabs */
#define KM_LOGS 0x10u   /* the logs tab only */
#define KM_HELP 0x20u   /* the help view */
#define KM_COMPARE 0x40u /* the compare view */
#define KM_MEDIA 0x80u   /* the media tab of the run view */
#define KM_ALL 0xffu

typedef enum keymap_action {
    ACT_NONE = 0,
    ACT_QUIT,
    ACT_BACK,
    ACT_HELP,
    ACT_UP,
    ACT_DOWN,
    ACT_PAGE_NEXT,
    ACT_PAGE_PREV,
    ACT_TOP,
    ACT_BOTTOM,
    ACT_ENTER,
    ACT_FILTER,
    ACT_ZOOM_IN,
    ACT_ZOOM_OUT,
    ACT_PAN_LEFT,
    ACT_PAN_RIGHT,
    ACT_RESET,
    ACT_SMOOTH,
    ACT_LOG_Y,
    ACT_X_AXIS,
    ACT_SELECT,
    ACT_COMPARE,
    ACT_SORT,
    ACT_REVERSE,
    ACT_TAB_NEXT,
    ACT_TAB_CHARTS,
    ACT_TAB_SUMMARY,
    ACT_TAB_SYSTEM,
    ACT_TAB_LOGS,
    ACT_FOLLOW,
    ACT_SYNC,
    /* chart reading (view_charts.c) */
    ACT_CURSOR_LEFT,
    ACT_CURSOR_RIGHT,
    ACT_CURSOR_LEFT_FAST,
    ACT_CURSOR_RIGHT_FAST,
    ACT_MARK,
    ACT_OVERLAY,
    ACT_PIN,
    ACT_OUTLIERS,
    ACT_Y_LIMITS,
    ACT_LIVE,
    ACT_SECTION,
    /* logs (view_run.c) */
    ACT_MATCH_NEWER,
    ACT_WRAP,
    ACT_STAMPS,
    ACT_COLUMNS,
    ACT_RENAME,
    ACT_TAGS,
    ACT_NOTES,
    ACT_DELETE,
    ACT_LEGEND_PREV,
    ACT_LEGEND_NEXT,
    ACT_TOGGLE_RUN,
    ACT_GROUP,
    ACT_CONFIG_DIFF,
    /* the media tab (view_media.c) */
    ACT_TAB_MEDIA,
    ACT_STEP_PREV,
    ACT_STEP_NEXT,
    ACT_STEP_FIRST,
    ACT_STEP_LAST,
    ACT_LINK,
    ACT_HIST_MODE,
    ACT_PLAY,
    ACT_COL_LEFT,
    ACT_COL_RIGHT
} keymap_action;

typedef struct keymap_entry {
    int key;
    const char *label; /* how help shows the key */
    unsigned scope;    /* KM_* bits */
    keymap_action action;
    const char *help; /* one line; entries of one action share the first's */
} keymap_entry;

/* The table, in the order help shows it. */
const keymap_entry *keymap_table(size_t *n);
/* The action of key where scope applies, ACT_NONE when none. */
keymap_action keymap_lookup(int key, unsigned scope);

#endif
