#!/bin/sh
# capture_parse.sh — `tally run` reads metrics the way a training script
# prints them, from both streams: nanoGPT-style lines on stdout, a tqdm
# bar redrawn with \r and Python logging on stderr, a dict line, a
# --pattern for a custom line, a bar redrawn over epochs (Lightning); --config and --ignore route keys, the
# child's --flag arguments become config, --no-parse-stderr turns stderr
# off; the open step is stored when the output goes quiet (a live chart is
# not a line behind); steps named on both streams do not shift each
# other (the stream that names more leads); the child's stdout is a terminal of 80x24 when tally's is not, and
# what it writes reaches tally's stdout and stderr unchanged; --help goes
# to stdout; a bad --regex is a usage error.
set -eu
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python

store=$TMP/store
# Runs python3 SCRIPT under `tally run` in a fresh store; exports it to OUT.
run_and_export() {
    rm -rf "$store"
    "$TALLY" run --dir "$store" --project parse -- python3 "$1" >/dev/null 2>&1
    "$TALLY" export "$(ls "$store"/parse/*.db)" >"$2"
}
cat >"$TMP/child.py" <<'SCRIPT'
import os, sys, time
# what the child writes, stream by stream, kept for comparison
copy = {1: open(sys.argv[1], "wb"), 2: open(sys.argv[2], "wb")}
def write(fd, b):
    copy[fd].write(b)
    os.write(fd, b)
size = os.get_terminal_size(1)
write(1, b"stdout: %s of %dx%d\n" % (b"tty" if os.isatty(1) else b"file", size.columns, size.lines))
write(1, b"step 0: train loss 4.5000, val loss 4.6000\n")
write(1, b"iter 0: loss 4.4000, time 120.50ms, mfu 30.00%\n")
time.sleep(0.3)  # the order between two streams is tally's reading order
write(2, b"2024-01-05 12:30:45,123 - INFO - Epoch 1: svc__gamma=0.001 score=0.9\n")
for i in range(1, 5):
    write(2, b"\r%3d%%|####| %d/4 [00:01<00:00, 3.00it/s, v_num=3, acc=0.%d]" % (25 * i, i, i))
write(2, b"\n")
time.sleep(0.3)
write(1, b"{'loss': 3.25, 'grad_norm': 1.5}\n")
write(1, b"custom 10 val 2.75\n")
write(1, b"iter 20: loss 3.0000, time 118.00ms, mfu 31.00%\n")
SCRIPT

set +e
"$TALLY" run --dir "$store" --project parse --config 'svc__*' --ignore mfu \
    --pattern 'custom {step} val {val_loss}' \
    -- python3 "$TMP/child.py" "$TMP/wrote1" "$TMP/wrote2" --lr 0.001 --batch-size 32 --amp lr_sched=cos \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
check "tally exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "the child's stdout is a terminal of 80x24" grep -q '^stdout: tty of 80x24$' "$TMP/out"
check "the child's stdout reaches tally's stdout unchanged" cmp -s "$TMP/wrote1" "$TMP/out"
check "the child's stderr reaches tally's stderr unchanged" cmp -s "$TMP/wrote2" "$TMP/err"

run=$(ls "$store"/parse/*.db)
"$TALLY" export "$run" >"$TMP/export.jsonl"
"$TALLY" show --json "$run" >"$TMP/show.json"

# Step 0: the stdout lines and the stderr log line join (their keys are new
# there); the bar's final state, batch 4 of 4 in epoch 1 (named by the log
# line), names step 1 * 4 + 4 on stderr, but stdout has named more steps
# and leads, so the bar joins step 0 too; the dict's loss is there
# already: step 1; the pattern names step 10.
py "metrics from both streams, at their steps" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
got = [{k: v for k, v in r.items() if k not in ("_timestamp", "_runtime")} for r in rows]
want = [{"_step": 0, "train_loss": 4.5, "val_loss": 4.6, "loss": 4.4, "time_ms": 120.5,
         "score": 0.9, "epoch": 1, "acc": 0.4},
        {"_step": 1, "loss": 3.25, "grad_norm": 1.5},
        {"_step": 10, "val_loss": 2.75},
        {"_step": 20, "loss": 3.0, "time_ms": 118.0}]
assert got == want, got
' "$TMP/export.jsonl"

py "config: the child arguments, --config keys and v_num; --ignore keys nowhere" '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["config"]
want = {"lr": 0.001, "batch_size": 32, "amp": True, "lr_sched": "cos", "svc__gamma": 0.001,
        "v_num": 3}
assert c == want, c
assert "mfu" not in json.dumps(d["summary"]), d["summary"]
' "$TMP/show.json"

rm -rf "$store"
"$TALLY" run --dir "$store" --project parse --no-parse-stderr --no-args-config \
    -- python3 "$TMP/child.py" "$TMP/wrote1" "$TMP/wrote2" --lr 0.5 >/dev/null 2>&1
run=$(ls "$store"/parse/*.db)
"$TALLY" export "$run" >"$TMP/export2.jsonl"
"$TALLY" show --json "$run" >"$TMP/show2.json"
py "--no-parse-stderr reads stdout only; --no-args-config records no arguments" '
import json, sys
keys = set()
for l in open(sys.argv[1]):
    keys |= set(json.loads(l))
assert "acc" not in keys and "score" not in keys, keys
assert "train_loss" in keys and "mfu" in keys, keys
assert json.load(open(sys.argv[2]))["config"] in ({}, None), "config recorded"
' "$TMP/export2.jsonl" "$TMP/show2.json"

# Lightning draws one bar over all epochs: each epoch's end is redrawn,
# never ended by a newline, and is drawn again with the validation loss.
cat >"$TMP/bar.py" <<'SCRIPT'
import os
for e in range(3):
    for b in range(1, 5):
        os.write(1, b"\rEpoch %d: %3d%%|####| %d/4 [00:01<00:00, 3.00it/s, v_num=0, train_loss=0.%d%d]"
                 % (e, 25 * b, b, e, b))
    os.write(1, b"\rEpoch %d: 100%%|####| 4/4 [00:01<00:00, 3.00it/s, v_num=0, train_loss=0.%d4, "
             b"val_loss=0.%d9]" % (e, e, e))
os.write(1, b"\n")
SCRIPT
run_and_export "$TMP/bar.py" "$TMP/export3.jsonl"
py "a bar redrawn over epochs: each epoch end counts once, the validation loss joins it" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
got = [{k: v for k, v in r.items() if k not in ("_timestamp", "_runtime")} for r in rows]
want = [{"_step": 4 * (e + 1), "epoch": e, "train_loss": e / 10 + 0.04, "val_loss": e / 10 + 0.09}
        for e in range(3)]
assert len(got) == 3 and all(g.keys() == w.keys() for g, w in zip(got, want)), got
assert all(abs(g[k] - w[k]) < 1e-9 for g, w in zip(got, want) for k in w), got
' "$TMP/export3.jsonl"

# A live chart is not a line behind: the open step is stored once the
# output has been quiet for a second, while the child still runs.
cat >"$TMP/live.py" <<'SCRIPT'
import os, sys, time
os.write(1, b"iter 0: loss 4.0000, time 120.50ms\n")
open(sys.argv[1], "w").close()
for _ in range(200):  # until the test has looked (at most 20 s)
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.1)
os.write(1, b"iter 1: loss 3.0000, time 118.00ms\n")
SCRIPT
rm -rf "$store"
"$TALLY" run --dir "$store" --project parse -- python3 "$TMP/live.py" "$TMP/printed" "$TMP/looked" \
    >/dev/null 2>&1 &
live=$!
for _ in $(seq 100); do [ -e "$TMP/printed" ] && break; sleep 0.1; done
sleep 2
run=$(ls "$store"/parse/*.db)
"$TALLY" export "$run" >"$TMP/live.jsonl"
touch "$TMP/looked"
wait "$live"
"$TALLY" export "$run" >"$TMP/live_end.jsonl"
py "the open step is stored while the child is quiet, the next one after it" '
import json, sys
def steps(path):
    return [(r["_step"], r["loss"]) for r in map(json.loads, open(path))]
assert steps(sys.argv[1]) == [(0, 4.0)], steps(sys.argv[1])
assert steps(sys.argv[2]) == [(0, 4.0), (1, 3.0)], steps(sys.argv[2])
' "$TMP/live.jsonl" "$TMP/live_end.jsonl"

# Steps named on both streams: the stderr lines are read before or after
# stdout lines printed around them (two pipes); they must neither start a
# new segment that shifts every later stdout step nor hold stdout back.
cat >"$TMP/streams.py" <<'SCRIPT'
import json, sys
for i in range(2000):
    print("iter %d: loss %.4f" % (i, i / 1000))
    if i % 500 == 0:
        print(json.dumps({"step": i, "val": {"loss": i / 100}}), file=sys.stderr)
SCRIPT
run_and_export "$TMP/streams.py" "$TMP/streams.jsonl"
py "steps named on both streams: stdout (which names more) keeps its steps, stderr joins them" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
train = [(r["_step"], r["loss"]) for r in rows if "loss" in r]
assert [s for s, _ in train] == list(range(2000)), train[:5]
assert all(abs(s / 1000 - v) < 1e-9 for s, v in train), train[:5]
val = sorted(r["val/loss"] for r in rows if "val/loss" in r)
assert val == [0, 5, 10, 15] and max(r["_step"] for r in rows) == 1999, val
' "$TMP/streams.jsonl"

# Tables are read per stream: a fastai header and its rows on stderr, a
# header of another table and Stable-Baselines3 boxes on stdout, printed in
# turn (read with one state, stdout's header would hide stderr's).
cat >"$TMP/tables.py" <<'SCRIPT'
import sys, time
err = sys.stderr
print("epoch     train_loss  valid_loss  time", file=err, flush=True)
time.sleep(0.2)
print("   Epoch   GPU_mem   box_loss", flush=True)
time.sleep(0.2)
# Each box is one write, and the streams take turns a moment apart: lines
# of two pipes are read in their order only roughly (see stepper.c).
for k in range(3):
    sys.stdout.write("\n".join(["-" * 36,
                                 "| rollout/           |             |",
                                 "|    ep_rew_mean     | %-11g |" % (-100 + k),
                                 "| time/              |             |",
                                 "|    fps             | %-11d |" % (1000 + k),
                                 "-" * 36]) + "\n")
    sys.stdout.flush()
    time.sleep(0.1)
    print("%-10d%-12.6f%-12.6f00:12" % (k, 1 / (k + 1), 2 / (k + 1)), file=err, flush=True)
    time.sleep(0.1)
SCRIPT
run_and_export "$TMP/tables.py" "$TMP/tables.jsonl"
py "a box on stdout and a table's rows on stderr, each read with its own lines" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
box = [(r["rollout/ep_rew_mean"], r["time/fps"]) for r in rows if "time/fps" in r]
assert box == [(-100, 1000), (-99, 1001), (-98, 1002)], rows
cols = [(r["epoch"], r["train_loss"], r["valid_loss"]) for r in rows if "train_loss" in r]
assert [c[0] for c in cols] == [0, 1, 2], rows
assert all(abs(t - 1 / (k + 1)) < 1e-6 and abs(v - 2 / (k + 1)) < 1e-6 for k, t, v in cols), cols
' "$TMP/tables.jsonl"

# Numbers are read as C writes them whatever the user's locale: in German,
# where strtod stops at the '.', a 17-digit repr and a --flag 0.001 once
# read as 0 and as the string "0.001".
# glibc keeps the LOCPATH list it splits for the process's life; the
# sanitizers' leak check is told so (and only so).
mkdir -p "$TMP/loc"
printf 'leak:__argz_add_sep\n' >"$TMP/lsan.supp"
if localedef -i de_DE -f UTF-8 "$TMP/loc/de_DE.UTF-8" >/dev/null 2>&1; then
    printf "{'loss': 0.34123456789012345, 'lr': 0.5}\n" >"$TMP/repr.txt"
    rm -rf "$store"
    LOCPATH=$TMP/loc LC_ALL=de_DE.UTF-8 LSAN_OPTIONS=suppressions=$TMP/lsan.supp \
        "$TALLY" run --dir "$store" --project parse \
        -- sh -c 'cat "$1"' sh "$TMP/repr.txt" --lr 0.001 >/dev/null 2>&1
    run_file=$(ls "$store"/parse/*.db)
    "$TALLY" export "$run_file" >"$TMP/locale.jsonl"
    "$TALLY" show --json "$run_file" >"$TMP/locale.json"
    py "in a German locale, a long repr value and a --flag number read as numbers" '
import json, sys
row = json.loads(open(sys.argv[1]).readline())
assert row["loss"] == 0.34123456789012345 and row["lr"] == 0.5, row
config = json.load(open(sys.argv[2]))["config"]
assert config["lr"] == 0.001, config
' "$TMP/locale.jsonl" "$TMP/locale.json"
else
    fail "localedef cannot make de_DE.UTF-8 (./bootstrap installs locales)"
fi

"$TALLY" run --help >"$TMP/help" 2>"$TMP/help.err"
check "--help goes to stdout and lists every option" sh -c '
for o in --pattern --regex --config --ignore --no-parse-stdout --no-parse-stderr \
         --no-args-config --parse --sample-ms; do
    grep -q -- "$o" "$1" || exit 1
done
[ ! -s "$2" ]' sh "$TMP/help" "$TMP/help.err"

set +e
"$TALLY" run --dir "$store" --regex '(?<a>[0-9' -- true >/dev/null 2>"$TMP/bad"
rc=$?
set -e
check "a bad --regex is a usage error (2, got $rc) that says why" \
    sh -c '[ "$1" -eq 2 ] && grep -q "bad --regex" "$2"' sh "$rc" "$TMP/bad"
finish
