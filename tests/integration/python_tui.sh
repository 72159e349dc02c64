#!/bin/sh
# python_tui.sh — a run logged from Python opens in the dashboard: the
# wandb-style script (python/tests/wandb_style_script.py, `import tally as
# wandb`) writes a run, `tally show` lists its metrics, and `tally open`
# draws them in tmux; q exits 0.  Then the real training run
# (python/tests/train_digits.py, when torch and sklearn are installed):
# `tally show` lists its media keys and the dashboard opens it.
. "$TOP_SRCDIR/tests/integration/tui_lib.sh"

[ -n "${PYTHON:-}" ] && [ -f "$TOP_BUILDDIR/python/build/tally/__init__.py" ] ||
    { echo "no Python package built: skipped"; exit 77; }
if [ "${TALLY_SANITIZERS:-no}" = yes ]; then
    LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
    ASAN_OPTIONS=detect_leaks=0
    export LD_PRELOAD ASAN_OPTIONS
fi
PYTHONPATH=$TOP_BUILDDIR/python/build TALLY_DIR=$TUI_TMP/runs \
    "$PYTHON" "$TOP_SRCDIR/python/tests/wandb_style_script.py" --epochs 3 > "$TUI_TMP/py.out" 2>&1 ||
    fail "the script failed: $(cat "$TUI_TMP/py.out")"
unset LD_PRELOAD
id=$(sed -n 's/^run \([a-z0-9]*\) .*/\1/p' "$TUI_TMP/py.out")
[ -n "$id" ] || fail "no run id in: $(cat "$TUI_TMP/py.out")"
"$TALLY_BIN" show --dir "$TUI_TMP/runs" "$id" > "$TUI_TMP/show.out" || fail "tally show failed"
for key in train/loss train/lr val/acc val/loss epoch; do
    grep -q "^  $key " "$TUI_TMP/show.out" || fail "tally show does not list $key"
done

tui_start 120 36 "'$TALLY_BIN' open --dir '$TUI_TMP/runs' $id"
tui_wait "train/loss"
tui_wait "val/acc"
tui_wait "finished"
[ "$(tui_braille_count)" -gt 20 ] || fail "too few braille cells: $(tui_braille_count)"
tui_keys q
[ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0 (status $(tui_exit_status))"

if "$PYTHON" -c 'import torch, sklearn' 2>/dev/null; then
    if [ "${TALLY_SANITIZERS:-no}" = yes ]; then
        LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
        export LD_PRELOAD
    fi
    PYTHONPATH=$TOP_BUILDDIR/python/build TALLY_DIR=$TUI_TMP/runs \
        "$PYTHON" "$TOP_SRCDIR/python/tests/train_digits.py" > "$TUI_TMP/train.out" 2>&1 ||
        fail "the training failed: $(cat "$TUI_TMP/train.out")"
    unset LD_PRELOAD
    tid=$(sed -n 's/^run \([a-z0-9]*\) .*/\1/p' "$TUI_TMP/train.out")
    [ -n "$tid" ] || fail "no run id in: $(cat "$TUI_TMP/train.out")"
    "$TALLY_BIN" show --dir "$TUI_TMP/runs" "$tid" > "$TUI_TMP/show2.out" ||
        fail "tally show failed"
    for key in train/loss val/acc samples gradients/0.weight val/confusion_table predictions; do
        grep -q "^  $key " "$TUI_TMP/show2.out" || fail "tally show does not list $key"
    done
    tui_stop
    tui_start 120 36 "'$TALLY_BIN' open --dir '$TUI_TMP/runs' $tid"
    tui_wait "train/loss"
    tui_wait "finished"
    tui_keys q
    [ "$(tui_exit_status)" = 0 ] || fail "q did not exit 0 on the training run"
else
    echo "no torch / sklearn: the training run is not opened"
fi
echo "ok"
