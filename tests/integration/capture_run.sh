#!/bin/sh
# capture_run.sh — `tally run -- CMD` on a script that prints JSON lines,
# key=value lines, stderr, a progress bar and escape sequences, then exits
# 3: tally exits 3 and passes stdout through byte for byte, the run is
# failed with exit code 3, every parsed metric is stored at its step, the
# logs hold both streams and the bar's final state (neutralised unless
# --raw), system.cpu has samples; a child killed by a signal gives 128+sig
# and a signal sent to tally reaches the child.
set -eu
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python

store=$TMP/store
cat >"$TMP/child.sh" <<'SCRIPT'
echo '{"step": 1, "loss": 0.5, "val": {"acc": 0.25}}'
echo '{"_step": 2, "loss": 0.375, "name": "skip me"}'
echo 'step=3 loss=0.25 lr=3e-4'
echo 'epoch 1 done: train_acc=0.75,'
echo 'warning: something on stderr' >&2
printf '\r 10%%|#    |\r 50%%|###  |\r100%%|#####|\n'
printf '\033[31mred alert\033[0m \033]0;title\007\n'
i=0; while [ $i -lt 500000 ]; do i=$((i + 1)); done   # some CPU for the sampler
echo 'last line, no newline' >&2
printf 'tail'
exit 3
SCRIPT

set +e
"$TALLY" run --dir "$store" --project cap --name runner --sample-ms 50 -- sh "$TMP/child.sh" \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
check "tally exits with the child's code (3, got $rc)" [ "$rc" -eq 3 ]
sh "$TMP/child.sh" >"$TMP/want" 2>/dev/null || true
check "stdout passes through unchanged" cmp -s "$TMP/out" "$TMP/want"
check "stderr passes through" grep -q 'warning: something on stderr' "$TMP/err"

run=$(ls "$store"/cap/*.db)
"$TALLY" show --json "$run" >"$TMP/show.json"
"$TALLY" export "$run" >"$TMP/export.jsonl"
"$TALLY" logs "$run" >"$TMP/logs"
"$TALLY" logs --raw "$run" >"$TMP/logs.raw"
"$TALLY" logs --stderr "$run" >"$TMP/logs.err"

py "the run is failed with exit code 3" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "failed" and d["exit_code"] == 3, (d["state"], d["exit_code"])
' "$TMP/show.json"

# A line without a step joins the open step (its keys are new there); "epoch 1"
# names the epoch, logged with the metrics of its line.
py "every parsed metric is stored at its step" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
got = [{k: v for k, v in r.items() if k not in ("_timestamp", "_runtime")} for r in rows]
want = [{"_step": 1, "loss": 0.5, "val/acc": 0.25}, {"_step": 2, "loss": 0.375},
        {"_step": 3, "loss": 0.25, "lr": 3e-4, "train_acc": 0.75, "epoch": 1}]
assert got == want, got
' "$TMP/export.jsonl"

py "logs hold both streams, the bar final state, escapes neutralised" '
import sys
logs = open(sys.argv[1], "rb").read().decode()
raw = open(sys.argv[2], "rb").read().decode()
err = open(sys.argv[3], "rb").read().decode()
lines = logs.splitlines()
assert "  step=3 loss=0.25 lr=3e-4" in lines, lines
assert "! warning: something on stderr" in lines, lines
assert "! last line, no newline" in lines, lines
assert "  tail" in lines, lines
bars = [l for l in lines if "%|" in l]
assert bars == ["  100%|#####|"], bars
assert "\x1b" not in logs and "\x07" not in logs, "an escape reached the terminal"
assert any("red alert" in l for l in lines)
assert "\x1b[31mred alert\x1b[0m" in raw, "--raw keeps the bytes"
assert err.splitlines() == ["warning: something on stderr", "last line, no newline"], err
' "$TMP/logs" "$TMP/logs.raw" "$TMP/logs.err"

py "system metrics are sampled (system.cpu has samples)" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = dict(db.execute("select m.name, sum(c.n) from metric m join chunk c on c.metric_id = m.id "
                    "where m.axis = \"time\" group by m.name").fetchall())
for k in ("system.cpu", "system.memory_percent", "system.proc.memory.rssMB",
          "system.proc.memory.availableMB", "system.proc.cpu.threads", "system.network.sent",
          "system.network.recv", "system.disk./.usagePercent", "system.disk./.usageGB"):
    assert n.get(k, 0) >= 1, (k, n)
assert not [k for k in n if k.startswith("system.gpu")], "GPU series on a machine without GPU"
print("     system.cpu: %d samples, %d time-axis series" % (n["system.cpu"], len(n)))
' "$run"
check "no warning on a machine without GPU" sh -c "! grep -qi 'nvml\|gpu\|nvidia' '$TMP/err'"

# Killed by a signal: 128 + sig.
set +e
"$TALLY" run --dir "$store" --project sig -- sh -c 'kill -9 $$' >/dev/null 2>&1
rc=$?
set -e
check "a child killed by SIGKILL gives 137 (got $rc)" [ "$rc" -eq 137 ]

# SIGTERM sent to tally reaches the child, whose exit becomes the run's.
"$TALLY" run --dir "$store" --project term -- sh -c \
    'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.05; done' \
    >"$TMP/term.out" 2>&1 &
tpid=$!
for _ in $(seq 100); do grep -q ready "$TMP/term.out" 2>/dev/null && break; sleep 0.05; done
kill -TERM "$tpid"
set +e
wait "$tpid"
rc=$?
set -e
check "SIGTERM is forwarded: the child's trap ran and its code 7 came back (got $rc)" \
    sh -c "[ $rc -eq 7 ] && grep -q got-term '$TMP/term.out'"

# tally logs --follow tails a live run and exits when it ends.
"$TALLY" run --dir "$store" --project live -- sh -c \
    'for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 0.2; done' >/dev/null 2>&1 &
lpid=$!
live=
for _ in $(seq 100); do
    f=$(ls "$store"/live/*.db 2>/dev/null || true)
    if [ -n "$f" ] && "$TALLY" show "$f" >/dev/null 2>&1; then live=$f; break; fi
    sleep 0.05
done
[ -n "$live" ] || die "the live run did not appear"
set +e
timeout 20 "$TALLY" logs --follow "$live" >"$TMP/follow" 2>&1
frc=$?
wait "$lpid"
set -e
check "logs --follow ends with the run and holds every line (rc $frc)" \
    sh -c "[ $frc -eq 0 ] && [ \"\$(grep -c '^  tick' '$TMP/follow')\" -eq 6 ]"

# The child's stdout is a terminal, its stderr is not.
"$TALLY" run --dir "$store" --project tty -- sh -c \
    'if [ -t 1 ]; then echo tty; else echo notty; fi
     if [ -t 2 ]; then echo tty2 >&2; else echo pipe2 >&2; fi' >"$TMP/tty.out" 2>"$TMP/tty.err"
check "the child's stdout is a terminal, its stderr a pipe" \
    sh -c "[ \"\$(cat '$TMP/tty.out')\" = tty ] && [ \"\$(cat '$TMP/tty.err')\" = pipe2 ]"

# tally cannot record (the store is unusable): the program still runs.
set +e
"$TALLY" run --dir /proc/no-such-store -- sh -c 'echo still here; exit 5' >"$TMP/nostore.out" \
    2>"$TMP/nostore.err"
rc=$?
set -e
check "with no usable store the program still runs and its code comes back (rc $rc)" \
    sh -c "[ $rc -eq 5 ] && [ \"\$(cat '$TMP/nostore.out')\" = 'still here' ]"

# A program that cannot be run.
set +e
"$TALLY" run --dir "$store" --project missing -- /nonexistent/prog >/dev/null 2>"$TMP/miss.err"
rc=$?
set -e
check "a missing program gives 127 (got $rc)" [ "$rc" -eq 127 ]
finish
