#!/bin/sh
# tui_runs.sh — the runs browser on a learning-rate sweep, driven in tmux:
# summary columns (nested min/last summaries included), sorting by a
# summary column picked with C, a filter expression applied as it is
# typed with its "N of M runs" count, and an invalid regex that says so.
. "$TOP_SRCDIR/tests/integration/tui_lib.sh"

"$TOP_BUILDDIR/tests/integration/tui_logger" "$TUI_TMP/runs" sweep 8 || fail "no sweep"

tui_start 150 20 "'$TALLY_BIN' browse --dir '$TUI_TMP/runs'"
tui_wait "8 runs"
tui_wait "val/loss"                # the min/last summary has a column
tui_wait "sweep-7 .* 0\.37 *$"     # ... showing its last value

# Pick val/loss.min in the column picker and sort by it (o), smallest first.
tui_changes C
tui_wait "summary +val/loss.min"
n=$(tui_screen | grep -n "summary" | grep -v "columns:" | grep -n "val/loss.min" | cut -d: -f1)
[ -n "$n" ] || fail "val/loss.min is not in the picker"
i=1
while [ "$i" -lt "$n" ]; do tui_keys j; i=$((i + 1)); done
tui_wait "> *\[ \] summary +val/loss.min|\[ \] summary +val/loss.min"
tui_changes o
tui_changes Escape
tui_wait "val/loss.min"
first=$(tui_screen | sed -n 3p)
echo "$first" | grep -q "sweep-0 " || fail "sorted by val/loss.min, sweep-0 (0.1) is not first: $first"
echo "$first" | grep -q "0\.1 *$" || fail "the sorted column does not show 0.1: $first"
tui_changes r
first=$(tui_screen | sed -n 3p)
echo "$first" | grep -q "sweep-5 " || fail "reversed, sweep-5 (0.45) is not first: $first"

# A filter expression, applied as it is typed.
tui_keys / l r '>' 1 e - 3
tui_wait "4 of 8 runs"
tui_keys ' ' v a l / l o s s '<' 0 . 3
tui_wait "1 of 8 runs"
tui_wait "sweep-6"
tui_keys ' ' s t a t e = f i n i s h e d Enter
tui_wait "1 of 8 runs"
tui_screen | grep -q "sweep-7" && fail "sweep-7 (val/loss 0.37) passed the filter"

# An invalid regex says so, and the last good filter stays.
tui_keys / C-u
tui_keys BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace \
    BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace \
    BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace
tui_wait "8 runs"
tui_keys n a m e '~' '('
tui_wait "invalid regex"
tui_keys Enter
tui_wait "invalid regex"
tui_changes Escape
tui_wait "8 runs"

tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0 (status $(tui_exit_status))"
echo "ok"
