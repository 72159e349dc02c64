#!/bin/sh
# tui_logs.sh — the logs tab on a 100,000-line log, driven in tmux: it opens
# on the newest lines, g reaches line 1, search finds a line in the first
# percent of the log, SGR colour is drawn (no escape leaks), w wraps.
. "$TOP_SRCDIR/tests/integration/tui_lib.sh"

"$TALLY_BIN" run --dir "$TUI_TMP/runs" --project logs --name biglog --parse none -- \
    sh -c 'seq 1 100000 | sed "s/^/row /; s/$/./"; printf "\033[31mred\033[0m tail %0300d\n" 7' \
    > /dev/null || fail "tally run failed"
id=$(ls "$TUI_TMP/runs/logs" | sed -n 's/^.*-\([a-z0-9]*\)\.db$/\1/p')
[ -n "$id" ] || fail "no run file"

tui_start 100 30 "'$TALLY_BIN' open --dir '$TUI_TMP/runs' $id"
tui_wait "biglog"
tui_changes 4
tui_wait "red tail 0000"
tui_wait "row 100000\\."
tui_wait "of 100001"
tui_screen | grep -q "$(printf '\033')" && fail "an escape reached the screen"
tui_screen | grep -q "\[31m" && fail "the SGR code was printed, not drawn"

tui_changes g
tui_wait "^  row 1\\. *$"
tui_wait "line 1 of 100001"
tui_changes j
tui_wait "line 2 of 100001"

# Search from the end back to the first percent of the log.
tui_changes G
tui_keys / r o w ' ' 7 7 7 . Enter
tui_wait "^  row 777\\. *$"
tui_wait "scrolled"
tui_changes Enter
tui_wait "no older line matches"

# Long lines: cut with ~, then wrapped onto a second row.
tui_changes G
tui_wait "red tail 0+~"
tui_changes w
tui_wait "^  0+7 *$"

tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0 (status $(tui_exit_status))"
echo "ok"
