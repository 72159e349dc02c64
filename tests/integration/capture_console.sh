#!/bin/sh
# capture_console.sh — console capture in a linked program (capture_printer):
# its stdout and stderr still carry exactly what it wrote, in order, and
# the run holds every line (the progress bar as its final state, the huge
# line split, nothing written after tally_finish).
set -eu
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python

printer=$(helper capture_printer)
store=$TMP/store
"$printer" "$store" 2000 >"$TMP/out" 2>"$TMP/err" 3>"$TMP/where" ||
    die "capture_printer failed: $(cat "$TMP/err")"
run=$(awk '$1 == "run" { print $2 }' "$TMP/where")
[ -f "$run" ] || die "capture_printer did not say where its run is"

py "the program output is unchanged and in order" '
import sys
out = open(sys.argv[1], "rb").read()
err = open(sys.argv[2], "rb").read()
want = b""
for i in range(2000):
    want += b"out %d\n" % i
    if i % 100 == 0:
        want += b"raw %d\n" % i
want += b"\rprogress   0%\rprogress  25%\rprogress  50%\rprogress  75%\rprogress 100%\n"
want += b"y" * 200000 + b"\n" + b"bin\0\xff\xfe\n" + b"last before finish\nafter finish\n"
assert out == want, "stdout differs at byte %d" % next(
    (i for i in range(min(len(out), len(want))) if out[i] != want[i]), min(len(out), len(want)))
want_err = b"".join(b"err %d\n" % i for i in range(0, 2000, 10)) + b"err after finish\n"
assert err == want_err, err[-200:]
' "$TMP/out" "$TMP/err"

py "the run holds every line, and none after tally_finish" '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.text_factory = bytes
rows = db.execute("select stream, line from log order by seq").fetchall()
out = [l for s, l in rows if s == 1]
err = [l for s, l in rows if s == 2]
want = []
for i in range(2000):
    want.append(b"out %d" % i)
    if i % 100 == 0:
        want.append(b"raw %d" % i)
want.append(b"progress 100%")
assert out[:len(want)] == want, [x for x in out[:len(want)] if x not in want][:3]
big = out[len(want):-2]
assert b"".join(big) == b"y" * 200000 and len(big) == 4, [len(x) for x in big]
assert out[-2:] == [b"bin??\xff\xfe"[:3] + b"?\xff\xfe", b"last before finish"], out[-2:]
assert err == [b"err %d" % i for i in range(0, 2000, 10)], err[-3:]
' "$run"
# exit() without tally_finish: the last output still comes out, unbuffered
# by stdio at exit and drained by the capture's atexit handler.
"$printer" "$store" 500 exit >"$TMP/out3" 2>"$TMP/err3" 3>/dev/null ||
    die "capture_printer exit failed: $(cat "$TMP/err3")"
py "exit() without tally_finish loses no output" '
import sys
out = open(sys.argv[1], "rb").read()
want = b""
for i in range(500):
    want += b"out %d\n" % i
    if i % 100 == 0:
        want += b"raw %d\n" % i
want += b"exiting without tally_finish"
assert out == want, out[-100:]
' "$TMP/out3"

# fds 1 and 2 closed: capture must not take their numbers for its pipes.
"$printer" "$store" 20 >&- 2>&- 3>/dev/null
rc=$?
check "a program with stdout and stderr closed still runs (rc $rc)" [ "$rc" -eq 0 ]
finish
