#!/bin/sh
# tui_basic.sh — the dashboard on a finished run, driven in tmux: metric
# names and braille on screen, zoom / pan / smoothing / log-y / x axis
# change it, focus and help open, 30x8 and back, the runs browser, q exits 0.
. "$TOP_SRCDIR/tests/integration/tui_lib.sh"

"$TALLY_BIN" demo --no-tui --dir "$TUI_TMP/runs" --steps 3000 > "$TUI_TMP/demo.out" ||
    fail "tally demo --no-tui failed"
id=$(sed -n 's/^logged .* to run \([a-z0-9]*\)$/\1/p' "$TUI_TMP/demo.out")
[ -n "$id" ] || fail "no run id in: $(cat "$TUI_TMP/demo.out")"

tui_start 120 36 "'$TALLY_BIN' open --dir '$TUI_TMP/runs' $id"
tui_wait "train/loss"
tui_wait "train/acc"
tui_wait "finished"
[ "$(tui_braille_count)" -gt 100 ] || fail "too few braille cells: $(tui_braille_count)"

for key in + + h l - s y x 0; do
    tui_changes "$key"
done
tui_keys s s s s s y x x x  # smoothing back off, linear y, x back to step
tui_changes Enter           # focus: one chart with axes
tui_wait "└"
tui_changes Escape
tui_changes "?"
tui_wait "zoom in on x"
tui_wait "smoothing: off, EMA"
tui_changes Escape
tui_wait "train/loss"

# The other tabs.
tui_changes 2
tui_wait "optimizer"
tui_changes 4
tui_wait "no console output"
tui_changes 1

# Tiny and back.
tui_resize 30 8
tui_wait "train/"
[ "$(tui_screen | grep -c .)" -ge 4 ] || fail "the 30x8 screen is empty"
[ "$(tui_braille_count)" -gt 5 ] || fail "no chart at 30x8"
tui_resize 120 36
tui_wait "train/acc"

# Esc goes to the runs browser; Enter opens the run again.
tui_changes Escape
tui_wait "1 run"
tui_wait "$id"
tui_changes Enter
tui_wait "train/loss"

tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0 (status $(tui_exit_status))"
echo "ok"
