#!/bin/sh
# tui_reading.sh — reading the charts in tmux: the cursor legend shows the
# exact value under the cursor and moves with [ ] { }, train/loss and
# val/loss overlay in one chart with a legend line each, and a live run's
# chart holds still while panned, then follows again on F.
. "$TOP_SRCDIR/tests/integration/tui_lib.sh"
LOGGER="$TOP_BUILDDIR/tests/integration/tui_logger"

"$TALLY_BIN" demo --no-tui --dir "$TUI_TMP/runs" --steps 3000 > "$TUI_TMP/demo.out" ||
    fail "tally demo --no-tui failed"
id=$(sed -n 's/^logged .* to run \([a-z0-9]*\)$/\1/p' "$TUI_TMP/demo.out")
[ -n "$id" ] || fail "no run id in: $(cat "$TUI_TMP/demo.out")"
tui_start 120 36 "'$TALLY_BIN' open --dir '$TUI_TMP/runs' $id"
tui_wait "train/loss"

# The cursor: ] focuses train/loss and shows the legend at the newest step.
legend_step() { tui_screen | sed -n '2,$p' | sed -n 's/.* step \([0-9][0-9]*\) .*/\1/p' | head -n 1; }
tui_keys "]"
tui_wait "━ train/loss  [0-9]"
tui_wait "\\[ \\] cursor"
s1=$(legend_step)
[ "$s1" = 2999 ] || fail "the cursor did not start at the newest step ($s1)"
tui_keys "{"
sleep 0.3
s2=$(legend_step)
[ -n "$s2" ] && [ "$s2" -lt "$s1" ] || fail "{ did not move the cursor left ($s1 -> $s2)"
tui_keys "]"
sleep 0.3
s3=$(legend_step)
[ -n "$s3" ] && [ "$s3" -gt "$s2" ] || fail "] did not move the cursor right ($s2 -> $s3)"
# The value shown is the one logged there (tally export reads it back).
shown=$(tui_screen | sed -n 's/.*━ train\/loss  \([-0-9.e]*\).*/\1/p' | head -n 1)
"$TALLY_BIN" export --dir "$TUI_TMP/runs" "$id" --format csv --metrics train/loss \
    > "$TUI_TMP/export.csv" 2>/dev/null || fail "tally export failed"
logged=$(awk -F, -v s="$s3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "train/loss") c = i; if (!c) c = NF }
    NR > 1 && $1 == s { print $c }' "$TUI_TMP/export.csv")
[ -n "$logged" ] || fail "no train/loss at step $s3 in the export: $(head -n 3 "$TUI_TMP/export.csv")"
awk -v a="$shown" -v b="$logged" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 5e-6 * (b < 0 ? -b : b) + 1e-12) }' ||
    fail "the legend shows $shown at step $s3, the run logged $logged"

# The overlay: Esc twice back to the grid, M puts val/loss with train/loss.
tui_keys Escape Escape
tui_wait "Enter focus"
tui_wait "M \\+val/loss"
tui_keys M
tui_wait "train/loss \\+ val/loss"
tui_keys Enter "]"
tui_wait "━ train/loss  [0-9]"
tui_wait "━ val/loss  [0-9]"
tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0"
tui_stop

# A live run: zoomed in and panned left, the chart holds still while
# the step counter runs on; F follows the live end again.
"$LOGGER" "$TUI_TMP/live" live 5 > "$TUI_TMP/path" &
TUI_BG=$!
n=100
while [ ! -s "$TUI_TMP/path" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
path=$(head -n 1 "$TUI_TMP/path")
[ -f "$path" ] || fail "the logger did not start"
sleep 1
tui_start 100 30 "'$TALLY_BIN' open '$path'"
tui_wait "running"
tui_wait "loss"
tui_keys Enter + h
tui_wait "held"
step_of() { tui_screen | head -n 1 | sed -n 's/.* step \([0-9]*\) .*/\1/p'; }
plot_of() { tui_screen | sed -n '3,$p' | grep -v "held"; } # below the header and title
sleep 0.5
p1=$(plot_of)
h1=$(step_of)
sleep 1.5
p2=$(plot_of)
h2=$(step_of)
[ -n "$h1" ] && [ -n "$h2" ] && [ "$h2" -gt "$h1" ] || fail "the run did not advance ($h1 -> $h2)"
[ "$p1" = "$p2" ] || fail "the held chart moved while steps $h1..$h2 arrived"
tui_keys F
sleep 1.5
p3=$(plot_of)
[ "$p3" != "$p2" ] || fail "F did not follow the live end again"
tui_screen | grep -q "held" && fail "still held after F"
tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0 (live)"
echo "ok"
