# tui_lib.sh — small helpers for the dashboard's tmux tests (sourced).
# Each test gets its own tmux server (-L socket) and a scratch directory.
: "${TALLY_BIN:=$(cd "$(dirname "$0")/../.." && pwd)/src/tally}"
: "${TOP_BUILDDIR:=$(dirname "$TALLY_BIN")/..}"
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TALLY_QUIET=1

command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }

TUI_SOCK="tally-tui-$$-$(date +%s%N)"
TUI_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-tui.XXXXXX")
TUI_FAILED=0
tui_cleanup() {
    tmux -L "$TUI_SOCK" kill-server >/dev/null 2>&1
    [ -n "$TUI_BG" ] && kill -9 $TUI_BG >/dev/null 2>&1
    rm -rf "$TUI_TMP"
}
trap tui_cleanup EXIT

fail() { echo "FAIL: $*"; echo "--- screen:"; tui_screen; exit 1; }

# tui_stop: ends this test's tmux server before the next tui_start.  The
# next one gets a socket of its own: a server told to die can still be
# answering on its old socket for a moment, and a new-session that reaches it
# fails with "server exited unexpectedly".
tui_stop() {
    tmux -L "$TUI_SOCK" kill-server >/dev/null 2>&1
    TUI_SOCK="tally-tui-$$-$(date +%s%N)"
}

# tui_start W H COMMAND: runs COMMAND in a fresh W x H tmux window; its exit
# status lands in $TUI_TMP/rc.
tui_start() {
    w=$1 h=$2
    shift 2
    rm -f "$TUI_TMP/rc"
    tmux -L "$TUI_SOCK" -f /dev/null new-session -d -x "$w" -y "$h" \
        "$*; echo \$? > '$TUI_TMP/rc'; sleep 30" || fail "tmux did not start"
    tmux -L "$TUI_SOCK" set-option -g status off >/dev/null
}

tui_screen() { tmux -L "$TUI_SOCK" capture-pane -p 2>/dev/null; }
tui_keys() { tmux -L "$TUI_SOCK" send-keys "$@"; }
tui_title() { tmux -L "$TUI_SOCK" display-message -p '#{pane_title}'; }
tui_resize() { tmux -L "$TUI_SOCK" resize-window -x "$1" -y "$2"; }

# tui_wait PATTERN [SECONDS]: waits until the screen matches (grep -E).
tui_wait() {
    n=$(( ${2:-5} * 20 ))
    while [ $n -gt 0 ]; do
        tui_screen | grep -qE -- "$1" && return 0
        sleep 0.05
        n=$((n - 1))
    done
    fail "the screen never showed /$1/"
}

# tui_changes KEY: sends KEY and waits until the screen differs.
tui_changes() {
    before=$(tui_screen)
    tui_keys "$1"
    n=60
    while [ $n -gt 0 ]; do
        [ "$(tui_screen)" != "$before" ] && return 0
        sleep 0.05
        n=$((n - 1))
    done
    fail "key '$1' did not change the screen"
}

# Braille cells (U+2801..U+28FF) on the screen.
tui_braille_count() {
    tui_screen | LC_ALL=C grep -o "$(printf '\342')[$(printf '\240\241\242\243')]" | wc -l
}

# tui_exit_status: waits for the program to end and prints its status.
tui_exit_status() {
    n=100
    while [ ! -s "$TUI_TMP/rc" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
    cat "$TUI_TMP/rc" 2>/dev/null || echo none
}
