#!/bin/sh
# tui_media.sh — the media tab in mosaic mode (tmux reports no graphics):
# an image whose colours are known shows as cells of those colours and the
# step slider changes them; the histogram and table views open and work;
# a caption and a table cell full of escape sequences change nothing in
# the terminal; a live run's new steps appear; Kitty and sixel output
# (forced) is well formed, Kitty in chunks of at most 4096 bytes.
. "$TOP_SRCDIR/tests/integration/tui_lib.sh"
LOGGER="$TOP_BUILDDIR/tests/integration/tui_media_logger"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

path=$("$LOGGER" "$TUI_TMP/runs" all) || fail "the logger failed"

# Cells whose background is the 256-colour index $1 (capture-pane -e).
bg_cells() {
    tmux -L "$TUI_SOCK" capture-pane -p -e | "$PY" -c '
import re, sys
n = 0
for line in sys.stdin:
    for m in re.finditer(r"\x1b\[([0-9;]*)m([^\x1b]*)", line):
        if re.search(r"(^|;)48;5;" + sys.argv[1] + r"($|;)", m.group(1)):
            n += len(m.group(2))
print(n)' "$1"
}
wait_bg() {
    n=60
    while [ $n -gt 0 ]; do
        [ "$(bg_cells "$1")" -gt "${2:-50}" ] && return 0
        sleep 0.1
        n=$((n - 1))
    done
    fail "no cells with background colour $1 (have $(bg_cells "$1"))"
}

tui_start 120 40 "'$TALLY_BIN' open --view media '$path'"
tmux -L "$TUI_SOCK" select-pane -T "clean-title"
tui_wait "5 media"
tui_wait "samples image"
tui_wait "step 2  3/3"
# Step 2 is solid blue (xterm 21): a 64x64 image takes hundreds of cells.
wait_bg 21 100
[ "$(bg_cells 196)" -lt 10 ] || fail "red before the slider moved"
# The caption's escapes are shown as '?', and did nothing.
tui_wait "blue \?\]0;PWNED-CAP\?\?\[2J\?31m"
tui_keys "["
tui_wait "step 1  2/3"
wait_bg 46 100 # green
[ "$(bg_cells 21)" -lt 10 ] || fail "still blue after [ ($(bg_cells 21))"
tui_keys "{"
tui_wait "step 0  1/3"
wait_bg 196 100 # red
tui_keys "}"
tui_wait "step 2  3/3"
wait_bg 21 100

# Enter: the image alone, as large as the tab allows (40 rows: more cells).
before=$(bg_cells 21)
tui_keys Enter
tui_wait "Esc back"
n=40
while [ "$(bg_cells 21)" -le "$before" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
[ "$(bg_cells 21)" -gt "$before" ] || fail "the focused image is not larger ($(bg_cells 21) <= $before)"
tui_keys Escape
tui_wait "8 keys"

# The histogram: offset view with the value under the cursor, then the
# distribution view.
tui_keys / w e i g h t s Enter
tui_wait "weights histogram"
tui_keys Enter
tui_wait "step 19  \[.*\)  count"
[ "$(tui_braille_count)" -gt 200 ] || fail "no ridgeline"
tui_keys d
tui_wait "median"
tui_keys "{"
tui_wait "step 0  median"
tui_keys Escape Escape
tui_wait "8 keys"

# The table: sort, filter, and its hostile cell neutralised.
tui_keys / p r e d s Enter Enter
tui_wait "row 1/30"
tui_wait "\?\]0;PWNED-CELL\?\?\[2J"
tui_keys o o
tui_wait "label▲"
tui_keys r
tui_wait "label▼"
tui_keys / c a t Enter
tui_wait "row 1/14"
tui_screen | grep -q " dog " && fail "the filter kept a dog row"
tui_keys j j
tui_wait "row 3/14"
tui_keys Escape
tui_wait "row 1/30"
tui_keys Escape Escape
tui_wait "8 keys"

# Plots, audio and video panels draw (the last two rows of panels).
tui_keys G
tui_wait "squares"
tui_wait "rows actual, columns predicted"
tui_wait "1.00 s  8000 Hz  1 channel  chirp"
tui_wait "gif  16x16  4 frames"
[ "$(tui_title)" = "clean-title" ] || fail "the title changed to '$(tui_title)'"
tui_screen | head -n 1 | grep -q "media-run" || fail "the header was cleared"
tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0"
tui_stop

# Live: a new step's image appears within a flush and a poll.
"$LOGGER" "$TUI_TMP/live" live 400 >"$TUI_TMP/live.path" &
TUI_BG=$!
n=50
while [ ! -s "$TUI_TMP/live.path" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
tui_start 100 30 "'$TALLY_BIN' open --view media '$(cat "$TUI_TMP/live.path")'"
tui_wait "live image"
tui_wait "step [0-9]+  [0-9]+/[0-9]+"
first=$(tui_screen | grep -oE "step [0-9]+  [0-9]+/" | head -n 1)
tui_wait "step [0-9]+  [0-9]+/" 2
n=50
while [ "$(tui_screen | grep -oE "step [0-9]+  [0-9]+/" | head -n 1)" = "$first" ] && [ $n -gt 0 ]; do
    sleep 0.1
    n=$((n - 1))
done
[ $n -gt 0 ] || fail "the slider did not follow the live run (still $first)"
tui_keys q
kill -9 $TUI_BG >/dev/null 2>&1
TUI_BG=
tui_stop

# Forced graphics protocols: the raw bytes the pane received (pipe-pane)
# hold well-formed Kitty escapes (chunks <= 4096 base64 bytes, the last
# m=0) or a sixel DCS.
for g in kitty sixel; do
    sleep 0.5 # the killed server's socket goes away
    rm -f "$TUI_TMP/raw"
    tui_start 100 30 "TMUX= TALLY_GRAPHICS=$g '$TALLY_BIN' open --view media '$path'"
    tmux -L "$TUI_SOCK" pipe-pane -o "cat >> '$TUI_TMP/raw'"
    tui_wait "samples image"
    tui_keys "["
    tui_wait "step 1  2/3"
    tui_keys Enter
    tui_wait "Esc back"
    sleep 0.5
    tui_keys q
    sleep 0.5
    "$PY" - "$g" "$TUI_TMP/raw" <<'EOF' || fail "malformed $g output"
import re, sys
mode, data = sys.argv[1], open(sys.argv[2], "rb").read()
if mode == "kitty":
    chunks = re.findall(rb"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\", data)
    images = [c for c in chunks if b"a=T" in c[0]]
    assert images, "no Kitty image"
    more = False
    for keys, payload in chunks:
        assert len(payload) <= 4096, len(payload)
        assert re.fullmatch(rb"[A-Za-z0-9+/=]*", payload)
        if b"a=T" in keys:
            assert not more, "an image began inside another"
            assert b"q=2" in keys and b"f=32" in keys
        if b"a=d" not in keys:
            more = b"m=1" in keys
    assert not more, "the last chunk had m=1"
else:
    six = re.findall(rb"\x1bP([0-9;]*)q(.*?)\x1b\\", data, re.S)
    assert six, "no sixel image"
    for params, body in six:
        assert re.fullmatch(rb"[\x3f-\x7e0-9;#!\"$\-]*", body), body[:40]
print("ok")
EOF
    tui_stop
done
echo "ok"
