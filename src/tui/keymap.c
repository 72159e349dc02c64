/*
 * keymap.c — the key table (see keymap.h).  Adding a key here makes it
 * work and shows it in help at once.
 */
#include "tui/keymap.h"

#define CH KM_CHARTS
static const keymap_entry table[] = {
    {'q', "q", KM_ALL, ACT_QUIT, "quit, from anywhere"},
    {3, "^C", KM_ALL, ACT_QUIT, NULL},
    {KEY_T_ESC, "Esc", KM_ALL, ACT_BACK, "step back (hide the cursor, leave focus, prompt, view)"},
    {'?', "?", KM_ALL, ACT_HELP, "this help"},
    {'/', "/", KM_ALL, ACT_FILTER,
     "filter: runs (lr>1e-3 state=finished), metrics, log search"},
    {'k', "k", KM_ALL, ACT_UP, "move up (select chart / run, scroll)"},
    {KEY_T_UP, "Up", KM_ALL, ACT_UP, NULL},
    {'j', "j", KM_ALL, ACT_DOWN, "move down"},
    {KEY_T_DOWN, "Down", KM_ALL, ACT_DOWN, NULL},
    {'n', "n", KM_ALL, ACT_PAGE_NEXT, "next page"},
    {KEY_T_PGDN, "PgDn", KM_ALL, ACT_PAGE_NEXT, NULL},
    {'p', "p", KM_ALL, ACT_PAGE_PREV, "previous page"},
    {KEY_T_PGUP, "PgUp", KM_ALL, ACT_PAGE_PREV, NULL},
    {'g', "g", KM_ALL, ACT_TOP, "first (top)"},
    {KEY_T_HOME, "Home", KM_ALL, ACT_TOP, NULL},
    {'G', "G", KM_ALL, ACT_BOTTOM, "last (bottom, follow)"},
    {KEY_T_END, "End", KM_ALL, ACT_BOTTOM, NULL},
    {KEY_T_ENTER, "Enter", KM_ALL, ACT_ENTER,
     "open the run / focus the chart full screen / next older match"},
    {'+', "+", CH, ACT_ZOOM_IN, "zoom in on x"},
    {'=', "=", CH, ACT_ZOOM_IN, NULL},
    {KEY_T_WHEEL_UP, "wheel", CH, ACT_ZOOM_IN, NULL},
    {'-', "-", CH, ACT_ZOOM_OUT, "zoom out on x"},
    {KEY_T_WHEEL_DOWN, "wheel", CH, ACT_ZOOM_OUT, NULL},
    {'h', "h", CH, ACT_PAN_LEFT, "pan left"},
    {KEY_T_LEFT, "Left", CH, ACT_PAN_LEFT, NULL},
    {'l', "l", CH, ACT_PAN_RIGHT, "pan right"},
    {KEY_T_RIGHT, "Right", CH, ACT_PAN_RIGHT, NULL},
    {'0', "0", CH, ACT_RESET, "reset zoom and pan (follow the live end)"},
    {'s', "s", CH, ACT_SMOOTH, "smoothing: off, EMA 0.6, 0.8, 0.9, 0.95, 0.99"},
    {'y', "y", CH, ACT_LOG_Y, "log scale on y"},
    {'x', "x", CH, ACT_X_AXIS,
     "x axis: step metric (define_metric's, else _step), relative time, wall time, _step"},
    {'[', "[", CH, ACT_CURSOR_LEFT, "cursor: show it, move one column left (legend of values)"},
    {']', "]", CH, ACT_CURSOR_RIGHT, "cursor: one column right"},
    {'{', "{", CH, ACT_CURSOR_LEFT_FAST, "cursor: ten columns left"},
    {'}', "}", CH, ACT_CURSOR_RIGHT_FAST, "cursor: ten columns right"},
    {'m', "m", CH, ACT_MARK, "mark the chart for an overlay"},
    {'M', "M", CH, ACT_OVERLAY,
     "overlay the marked charts (or train/X with val/X); on an overlay: undo it"},
    {'P', "P", CH, ACT_PIN, "pin the chart to the top (again: unpin)"},
    {'z', "z", CH, ACT_SECTION, "collapse / expand the section (or Enter on its header)"},
    {'o', "o", CH, ACT_OUTLIERS, "ignore outliers when scaling y (5th-95th percentile)"},
    {'Y', "Y", CH, ACT_Y_LIMITS, "y limits: type 'lo hi' (- for automatic)"},
    {'F', "F", CH, ACT_LIVE, "follow the live end again, keeping the zoom"},
    {' ', "Space", KM_RUNS, ACT_SELECT, "select a run for comparing"},
    {'c', "c", KM_RUNS, ACT_COMPARE, "compare the selected runs"},
    {'o', "o", KM_RUNS, ACT_SORT, "sort by the next column"},
    {'r', "r", KM_RUNS, ACT_REVERSE, "reverse the sort"},
    {'S', "S", KM_RUNS, ACT_SYNC, "sync the selected runs (or this one) to W&B"},
    {'C', "C", KM_RUNS, ACT_COLUMNS, "choose the summary / config columns"},
    {'R', "R", KM_RUNS, ACT_RENAME, "rename the run"},
    {'T', "T", KM_RUNS, ACT_TAGS, "edit the run's tags"},
    {'e', "e", KM_RUNS, ACT_NOTES, "edit the run's notes"},
    {'D', "D", KM_RUNS, ACT_DELETE, "delete the selected runs (or this one), after a yes"},
    {'<', "<", KM_COMPARE, ACT_LEGEND_PREV, "previous run in the legend"},
    {'>', ">", KM_COMPARE, ACT_LEGEND_NEXT, "next run in the legend"},
    {'t', "t", KM_COMPARE, ACT_TOGGLE_RUN, "hide / show the legend's run"},
    {'a', "a", KM_COMPARE, ACT_GROUP, "group runs: by group, by each config key that differs, off"},
    {'d', "d", KM_COMPARE, ACT_CONFIG_DIFF, "the config keys that differ between the runs"},
    {KEY_T_TAB, "Tab", KM_RUN, ACT_TAB_NEXT, "next tab of the run view"},
    {'1', "1", KM_RUN, ACT_TAB_CHARTS, "charts tab"},
    {'2', "2", KM_RUN, ACT_TAB_SUMMARY, "summary and config tab"},
    {'3', "3", KM_RUN, ACT_TAB_SYSTEM, "system tab"},
    {'4', "4", KM_RUN, ACT_TAB_LOGS, "logs tab"},
    {'5', "5", KM_RUN, ACT_TAB_MEDIA, "media tab: images, histograms, tables, plots, audio, video"},
    {'[', "[", KM_MEDIA, ACT_STEP_PREV, "step slider: the previous step"},
    {KEY_T_LEFT, "Left", KM_MEDIA, ACT_STEP_PREV, NULL},
    {'h', "h", KM_MEDIA, ACT_STEP_PREV, NULL},
    {']', "]", KM_MEDIA, ACT_STEP_NEXT, "step slider: the next step"},
    {KEY_T_RIGHT, "Right", KM_MEDIA, ACT_STEP_NEXT, NULL},
    {'l', "l", KM_MEDIA, ACT_STEP_NEXT, NULL},
    {'{', "{", KM_MEDIA, ACT_STEP_FIRST, "step slider: the first step"},
    {'}', "}", KM_MEDIA, ACT_STEP_LAST, "step slider: the last step (and follow new ones)"},
    {'L', "L", KM_MEDIA, ACT_LINK, "link the step sliders of every key (scrub them together)"},
    {'d', "d", KM_MEDIA, ACT_HIST_MODE, "histograms: offset (ridgeline) / distribution view"},
    {' ', "Space", KM_MEDIA, ACT_PLAY, "video: play / pause"},
    {'o', "o", KM_MEDIA, ACT_SORT, "table: sort by the next column"},
    {'r', "r", KM_MEDIA, ACT_REVERSE, "table: reverse the sort"},
    {'<', "<", KM_MEDIA, ACT_COL_LEFT, "table: scroll a column left (h / Left too, focused)"},
    {'>', ">", KM_MEDIA, ACT_COL_RIGHT, "table: scroll a column right (l / Right too, focused)"},
    {'f', "f", KM_LOGS, ACT_FOLLOW, "follow new lines on / off"},
    {'N', "N", KM_LOGS, ACT_MATCH_NEWER, "next newer match of the log search"},
    {'w', "w", KM_LOGS, ACT_WRAP, "wrap long log lines on / off"},
    {'t', "t", KM_LOGS, ACT_STAMPS, "log timestamps: off, wall clock, since start"},
    {'h', "h", KM_LOGS, ACT_PAN_LEFT, "scroll long log lines left"},
    {KEY_T_LEFT, "Left", KM_LOGS, ACT_PAN_LEFT, NULL},
    {'l', "l", KM_LOGS, ACT_PAN_RIGHT, "scroll long log lines right"},
    {KEY_T_RIGHT, "Right", KM_LOGS, ACT_PAN_RIGHT, NULL},
};
#undef CH

const keymap_entry *keymap_table(size_t *n)
{
    *n = sizeof table / sizeof *table;
    return table;
}

keymap_action keymap_lookup(int key, unsigned scope)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (table[i].key == key && (table[i].scope & scope))
            return table[i].action;
    return ACT_NONE;
}
