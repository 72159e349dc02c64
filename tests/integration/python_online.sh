#!/bin/sh
# python_online.sh — tally.init(mode="online") from Python streams the run
# to a W&B-compatible server (tests/fake_wandb.py) while it trains: at the
# end the server holds exactly what the run file holds, config included.
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
set -e

[ -n "${PYTHON:-}" ] && [ -f "$TOP_BUILDDIR/python/build/tally/__init__.py" ] ||
    skip "no Python package built"
if [ "${TALLY_SANITIZERS:-no}" = yes ]; then
    LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
    ASAN_OPTIONS=detect_leaks=0
    export LD_PRELOAD ASAN_OPTIONS
fi

start_fake
PYTHONPATH=$TOP_BUILDDIR/python/build TALLY_SYNC_INTERVAL_MS=200 "$PYTHON" -c '
import math, sys, tally
run = tally.init(dir=sys.argv[1], project="online", mode="online",
                 config={"lr": 0.01, "layers": [64, 32]},
                 settings={"console": "off", "x_disable_stats": True})
run.define_metric("val/*", step_metric="epoch")
for step in range(300):
    run.log({"train": {"loss": math.exp(-step / 100)}, "lr": 0.01})
    if step % 100 == 99:
        run.log({"val/loss": 0.5, "epoch": step // 100}, commit=False)
run.summary["best"] = 0.25
print(run.id, run.path)
run.finish()
' "$TMP/runs" >"$TMP/py.out" 2>"$TMP/py.err" || die "the script failed: $(cat "$TMP/py.err")"
unset LD_PRELOAD
read -r RUN_ID RUN_FILE <"$TMP/py.out"
check "the run finished" test -s "$RUN_FILE"
check_run "the server has every row, once, and the config" "$RUN_ID" "$RUN_FILE" --complete --exitcode 0
py "the server has the config" '
import json, subprocess, sys
state = json.loads(subprocess.check_output([sys.executable, sys.argv[1], "state", "--port", sys.argv[2]]))
run = list(state["runs"].values())[0]
cfg = run["upsert"].get("config") or "{}"
sys.exit(0 if "layers" in cfg and "0.01" in cfg else "config: " + cfg[:300])
' "$FAKE" "$FAKE_PORT"
finish
