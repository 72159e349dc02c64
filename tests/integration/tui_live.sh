#!/bin/sh
# tui_live.sh — the dashboard follows a live run: the step counter
# advances without a key press, a killed writer shows as crashed without a
# restart, new runs appear in the browser, and `tally demo` opens on its
# run while writing it.
. "$TOP_SRCDIR/tests/integration/tui_lib.sh"
LOGGER="$TOP_BUILDDIR/tests/integration/tui_logger"

"$LOGGER" "$TUI_TMP/runs" live 10 > "$TUI_TMP/path" &
TUI_BG=$!
n=100
while [ ! -s "$TUI_TMP/path" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
path=$(head -n 1 "$TUI_TMP/path")
[ -f "$path" ] || fail "the logger did not start"

tui_start 100 30 "'$TALLY_BIN' open '$path'"
tui_wait "running"
step_of() { tui_screen | head -n 1 | sed -n 's/.* step \([0-9]*\) .*/\1/p'; }
s1=$(step_of)
sleep 1.5
s2=$(step_of)
[ -n "$s1" ] && [ -n "$s2" ] && [ "$s2" -gt "$s1" ] || fail "step did not advance ($s1 -> $s2)"

kill -9 $TUI_BG
wait $TUI_BG 2>/dev/null
TUI_BG=
tui_wait "crashed" 8

# The browser shows the crashed run, and a new run appears while it is open.
tui_keys Escape
tui_wait "1 run"
"$LOGGER" "$TUI_TMP/runs" hostile > /dev/null || fail "second run failed"
tui_wait "2 runs" 6
tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0"
tui_stop

# tally demo: the dashboard on the run it is writing.
tui_start 100 30 "'$TALLY_BIN' demo --dir '$TUI_TMP/demo' --steps 100000"
tui_wait "running"
tui_wait "train/loss"
s1=$(step_of)
sleep 1.5
s2=$(step_of)
[ -n "$s1" ] && [ -n "$s2" ] && [ "$s2" -gt "$s1" ] || fail "demo step did not advance ($s1 -> $s2)"
tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "demo: q did not exit 0"
echo "ok"
