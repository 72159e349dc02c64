#!/bin/sh
# tui_sync.sh — the runs browser's S key syncs runs to the fake W&B server:
# two runs selected with Space go up whole (checked as `tally sync` is),
# the footer says so, and a wrong key shows the refusal without breaking
# the dashboard.
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
set -e
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
LANG=C.UTF-8 LC_ALL=C.UTF-8
export LANG LC_ALL

SOCK="tally-tuisync-$$"
tmux_() { tmux -L "$SOCK" "$@"; }
screen_() { tmux_ capture-pane -p 2>/dev/null; }
# wait_for PATTERN: until the screen matches, 10 s at most.
wait_for() {
    n=200
    while [ $n -gt 0 ]; do
        screen_ | grep -Eq "$1" && return 0
        sleep 0.05
        n=$((n - 1))
    done
    return 1
}
trap 'tmux_ kill-server >/dev/null 2>&1 || true; stop_fake; rm -rf "$TMP"' EXIT

start_fake
new_run 300
ID1=$RUN_ID FILE1=$RUN_FILE
new_run 200
ID2=$RUN_ID FILE2=$RUN_FILE

tmux_ -f /dev/null new-session -d -x 140 -y 30 \
    "WANDB_BASE_URL=$WANDB_BASE_URL WANDB_API_KEY=$WANDB_API_KEY '$TALLY' --dir '$TMP/runs'"
tmux_ set-option -g status off >/dev/null
wait_for "$ID1" || fail "the runs browser did not list the runs"
check "the footer offers S sync" sh -c "tmux -L $SOCK capture-pane -p | grep -q 'S sync'"
tmux_ send-keys Space Space S
if wait_for "sync: 2 runs up to date"; then
    pass "S synced the two selected runs and said so"
else
    fail "no end-of-sync line: $(screen_ | tail -2)"
fi
check_run "the first run is on the server whole" "$ID1" "$FILE1" --complete
check_run "the second run is on the server whole" "$ID2" "$FILE2" --complete

# A refused key: one clear line, and the dashboard goes on.  The second
# dashboard gets a server of its own (a killed one can linger on its socket).
tmux_ kill-server >/dev/null 2>&1 || true
SOCK="tally-tuisync-$$-2"
new_run 50
tmux_ -f /dev/null new-session -d -x 140 -y 30 \
    "WANDB_BASE_URL=$WANDB_BASE_URL WANDB_API_KEY=wrong-0123456789abcdef0123456789abcdef0123456 '$TALLY' --dir '$TMP/runs'"
tmux_ set-option -g status off >/dev/null
wait_for "$RUN_ID" || fail "the runs browser did not list the run"
tmux_ send-keys S
if wait_for "refused"; then
    pass "a wrong key: the footer says the key was refused"
else
    fail "no refusal line: $(screen_ | tail -2)"
fi
tmux_ send-keys q
sleep 0.5
check "q still quits after a failed sync" sh -c "! tmux -L $SOCK has-session 2>/dev/null || ! tmux -L $SOCK capture-pane -p | grep -q '$RUN_ID'"
finish
