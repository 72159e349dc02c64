#!/bin/sh
# crash.sh — kill -9 a program in the middle of logging, then read its run.
#
# crash_logger commits a step about every millisecond with flush_ms 200 and
# prints each step once tally_commit() returns.  After ~1.5-2 s (a random
# moment) it gets SIGKILL.  The run file must then pass integrity_check,
# export as consecutive steps from 0 with the exact values logged, lose at
# most one flush interval of steps, and read as crashed in show and ls.
set -eu
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python

FLUSH_MS=200
# What may be lost beyond the flush interval itself: the flusher's own
# transaction (a few ms for ~180 rows) plus scheduling jitter on a loaded
# machine (sanitizers, parallel make check).  Generous against the 200 ms
# interval, yet far below the two intervals a missed flush would lose.
SLACK_MS=100

logger=$(helper crash_logger)
store=$TMP/store

# A random moment between 1.5 and 2.0 s.
ms=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
delay=$(awk -v r="$ms" 'BEGIN { printf "%.3f", 1.5 + (r % 500) / 1000 }')

say "starting crash_logger (flush_ms $FLUSH_MS), killing it after ${delay}s"
"$logger" --dir "$store" --flush-ms "$FLUSH_MS" >"$TMP/steps" 2>"$TMP/logger.err" &
pid=$!
sleep "$delay"
if ! kill -0 "$pid" 2>/dev/null; then
    cat "$TMP/logger.err"
    die "crash_logger exited before it was killed"
fi
# While it runs, readers see a live run with flushed rows.
live_path=$(awk '$1 == "run" { print $3; exit }' "$TMP/steps")
"$TALLY" show --json "$live_path" >"$TMP/live.json" 2>"$TMP/live.err" || fail "show of the live run failed"
kill -9 "$pid"
status=0
wait "$pid" 2>/dev/null || status=$?
check "crash_logger died of SIGKILL (status $status)" [ "$status" -eq 137 ]

run_line=$(head -n 1 "$TMP/steps")
run_id=$(printf '%s\n' "$run_line" | awk '$1 == "run" { print $2 }')
run_path=$(printf '%s\n' "$run_line" | awk '$1 == "run" { print $3 }')
[ -n "$run_id" ] && [ -f "$run_path" ] || die "crash_logger did not say where its run is: '$run_line'"
# The last complete "STEP SECONDS" line: what had been committed at the kill.
last=$(grep -E '^[0-9]+ [0-9.]+$' "$TMP/steps" | tail -n 1)
[ -n "$last" ] || die "crash_logger printed no step"
last_step=${last% *}
elapsed=${last#* }
say "run $run_id: last committed step $last_step after ${elapsed}s"

# Read the file exactly as the crash left it (WAL not yet checkpointed).
if "$TALLY" export "$run_path" >"$TMP/export.jsonl" 2>"$TMP/export.err"; then
    pass "tally export of the crashed run exits 0"
else
    fail "tally export of the crashed run failed: $(cat "$TMP/export.err")"
fi
rows=$(wc -l <"$TMP/export.jsonl" | tr -d ' ')

py "export: $rows valid JSON lines, consecutive steps from 0, values exactly as logged" "$STEADY_PY"'
import json, sys
n = 0
for i, line in enumerate(open(sys.argv[1])):
    r = json.loads(line)
    want = steady(i)
    for k, v in want.items():
        if r.get(k) != v or isinstance(v, int) and not isinstance(r.get(k), int):
            sys.exit("line %d: %s is %r, want %r" % (i + 1, k, r.get(k), v))
    for k in ("_timestamp", "_runtime"):
        if not isinstance(r.get(k), float):
            sys.exit("line %d: no %s" % (i + 1, k))
    if set(r) != set(want) | {"_timestamp", "_runtime"}:
        sys.exit("line %d: keys %r" % (i + 1, sorted(r)))
    n += 1
if n == 0:
    sys.exit("no rows at all: nothing was flushed in 1.5 s")
' "$TMP/export.jsonl"

# The bound, measured rather than assumed: the steps the logger committed in
# the last FLUSH_MS + SLACK_MS before the kill (its own timestamps), so a
# slow machine or a sanitizer build allows fewer steps, not more time.
py "at most one flush interval of steps lost" '
import sys
steps, rows, flush_ms, slack_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pts = [l.split() for l in open(steps) if l[:1].isdigit() and len(l.split()) == 2]
pts = [(int(a), float(b)) for a, b in pts]
last, t_last = pts[-1]
allowed = sum(1 for _, t in pts if t > t_last - (flush_ms + slack_ms) / 1000.0)
one = sum(1 for _, t in pts if t > t_last - flush_ms / 1000.0)
lost = last + 1 - rows
print("rate %.0f steps/s overall, %d steps in the last %d ms; %d committed, %d exported, "
      "%d lost, %d allowed (%d+%d ms)" % ((last + 1) / t_last, one, flush_ms, last + 1, rows,
                                         lost, allowed, flush_ms, slack_ms))
# A step may be flushed between its commit and its print: one extra row.
if lost < -1:
    sys.exit("more rows exported than were committed")
if lost > allowed:
    sys.exit("lost more than one flush interval")
' "$TMP/steps" "$rows" "$FLUSH_MS" "$SLACK_MS"

py "while it ran: state running, rows already flushed" '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["state"] == "running" and o["rows"] > 0, (o["state"], o["rows"])
' "$TMP/live.json"

if "$TALLY" show "$run_path" >"$TMP/show.txt" 2>"$TMP/show.err"; then
    check "tally show says crashed" grep -Eq '^ *state +crashed' "$TMP/show.txt"
else
    fail "tally show failed: $(cat "$TMP/show.err")"
fi

"$TALLY" show --json --dir "$store" "$run_id" >"$TMP/show.json" 2>"$TMP/show.err" ||
    fail "tally show --json failed: $(cat "$TMP/show.err")"
py "show --json: state crashed, no exit code, rows and last_step match the export" '
import json, sys
o = json.load(open(sys.argv[1]))
rows = int(sys.argv[2])
assert o["state"] == "crashed", o["state"]
assert o["exit_code"] is None, o["exit_code"]
assert o["rows"] == rows, (o["rows"], rows)
assert o["last_step"] == rows - 1, (o["last_step"], rows)
' "$TMP/show.json" "$rows"

"$TALLY" ls --json --dir "$store" >"$TMP/ls.json" 2>"$TMP/ls.err" ||
    fail "tally ls --json failed: $(cat "$TMP/ls.err")"
py "ls --json lists the run as crashed" '
import json, sys
runs = json.load(open(sys.argv[1]))
mine = [r for r in runs if r["id"] == sys.argv[2]]
assert len(mine) == 1, runs
assert mine[0]["state"] == "crashed", mine[0]["state"]
' "$TMP/ls.json" "$run_id"

"$TALLY" ls --dir "$store" >"$TMP/ls.txt" 2>&1 || fail "tally ls failed"
check "ls table says crashed" grep -q " crashed " "$TMP/ls.txt"

# Now let SQLite itself recover the WAL, as any client opening it would.
py "the run file passes PRAGMA integrity_check" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
r = db.execute("PRAGMA integrity_check").fetchall()
assert r == [("ok",)], r
assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]
db.close()
' "$run_path"

"$TALLY" export "$run_path" >"$TMP/export2.jsonl" 2>/dev/null || fail "export after recovery failed"
check "export after the WAL was checkpointed gives the same rows" cmp -s "$TMP/export.jsonl" "$TMP/export2.jsonl"

# ---- killed before its first flush ----------------------------------------
# The run file holds the run row and no metric yet (not even _timestamp).
say "a run killed before its first flush"
early=$TMP/early
"$logger" --dir "$early" --flush-ms 600000 >"$TMP/early.steps" 2>"$TMP/early.err" &
pid=$!
for _ in $(seq 100); do
    grep -qE '^[0-9]+ ' "$TMP/early.steps" 2>/dev/null && break
    sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || :
early_path=$(awk '$1 == "run" { print $3; exit }' "$TMP/early.steps")
[ -f "$early_path" ] || die "crash_logger did not say where its early run is"
if "$TALLY" export "$early_path" >"$TMP/early.jsonl" 2>"$TMP/early-export.err"; then
    pass "export of a run killed before its first flush exits 0"
else
    fail "export of a run killed before its first flush failed: $(cat "$TMP/early-export.err")"
fi
check "... and prints no row" [ ! -s "$TMP/early.jsonl" ]
"$TALLY" export --format csv "$early_path" >"$TMP/early.csv" 2>/dev/null || fail "csv export of the early run failed"
check "... its CSV is a header alone" [ "$(cat "$TMP/early.csv")" = "_step" ]
"$TALLY" show --json "$early_path" >"$TMP/early.json" 2>/dev/null || fail "show of the early run failed"
py "... and it reads as crashed, with no rows" '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["state"] == "crashed" and r["rows"] == 0, (r["state"], r["rows"])
' "$TMP/early.json"

finish
