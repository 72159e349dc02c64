#!/bin/sh
# tui_escape.sh — a run whose name, notes, config and metric names carry
# escape sequences (title changes, clear screen, CSI as C1) is shown
# neutralised: the terminal title does not change and the screen is intact.
. "$TOP_SRCDIR/tests/integration/tui_lib.sh"
LOGGER="$TOP_BUILDDIR/tests/integration/tui_logger"

path=$("$LOGGER" "$TUI_TMP/runs" hostile) || fail "the logger failed"
tui_start 120 30 "'$TALLY_BIN' open '$path'"
tmux -L "$TUI_SOCK" select-pane -T "clean-title"
tui_wait "acc"
tui_wait "run\?\]0;PWNED\?"
for tab in 2 3 4 1; do
    tui_keys $tab
    sleep 0.3
    tui_screen | head -n 1 | grep -q "run?]0;PWNED?" || fail "the header was cleared (tab $tab)"
done
tui_keys 2
tui_wait "PWNED3"
tui_keys Escape
tui_wait "runs"
[ "$(tui_title)" = "clean-title" ] || fail "the title changed to '$(tui_title)'"
tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0"
tui_stop

# Console lines with title changes, clear-screen and C1 CSI in them: the
# logs tab shows them neutralised (stderr marked); the system tab charts
# the time-axis series.
path=$("$LOGGER" "$TUI_TMP/runs" synthetic) || fail "the synthetic run failed"
tui_start 100 24 "'$TALLY_BIN' open --view logs '$path'"
tmux -L "$TUI_SOCK" select-pane -T "clean-title"
tui_wait "PWNED-TAIL"
tui_wait "^✓ synthetic"
tui_keys g
tui_wait "warning: \?\]0;PWNED-LOG\? \?\[2J\?\[H\?2J"
tui_screen | grep -q "▌ warning" || fail "stderr lines are not marked"
tui_keys / P W N E D - L O G Enter
tui_wait "scrolled"
[ "$(tui_title)" = "clean-title" ] || fail "the logs changed the title to '$(tui_title)'"
tui_keys 3
tui_wait "system.cpu"
tui_wait "system.gpu.0.temp"
[ "$(tui_braille_count)" -gt 50 ] || fail "no system charts"
tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0"
echo "ok"
