# lib.sh — what the integration scripts share.  Sourced, never run.
#
# Sets up $TALLY (the binary under test), $BUILD (the build tree, for helper
# programs) and $TMP (a scratch directory removed on exit), and gives
# check/fail/pass/skip helpers and py (a python3 snippet runner).
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.

: "${TOP_SRCDIR:?run through make check, or set TOP_SRCDIR}"
TOP_BUILDDIR=${TOP_BUILDDIR:-$(pwd)}
TALLY=${TALLY_BIN:-$TOP_BUILDDIR/src/tally}
BUILD=$TOP_BUILDDIR
TEST_NAME=$(basename "$0" .sh)
TALLY_QUIET=1
export TALLY_QUIET
# The store root must come from --dir in every test, never from the caller.
unset TALLY_DIR TALLY_PROJECT TALLY_MODE
LC_ALL=C.UTF-8
export LC_ALL

FAILED=0

say() { printf '%s: %s\n' "$TEST_NAME" "$*"; }
pass() { printf 'ok   %s\n' "$*"; }
# Records a failure and carries on, so one run reports every broken check.
fail() {
    printf 'FAIL %s\n' "$*"
    FAILED=1
}
# Stops at once: later checks make no sense without this one.
die() {
    printf 'FAIL %s\n' "$*"
    exit 1
}
skip() {
    printf 'SKIP %s\n' "$*"
    exit 77
}
# Ends the script with the verdict of every check.
finish() {
    if [ "$FAILED" -ne 0 ]; then
        say "FAILED"
        exit 1
    fi
    say "all checks passed"
    exit 0
}

# check DESCRIPTION COMMAND...: runs the command, passes when it succeeds.
check() {
    desc=$1
    shift
    if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# py DESCRIPTION SCRIPT [ARGS...]: runs a python3 program ($PYTHON if set) that exits 0 when
# the check holds; what it prints (figures, or why it failed) follows.
py() {
    desc=$1
    prog=$2
    shift 2
    if out=$("${PYTHON:-python3}" -c "$prog" "$@" 2>&1); then
        pass "$desc"
    else
        fail "$desc"
    fi
    [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/     /'
}

# The values crash_logger logs at step i, recomputed in python (IEEE
# arithmetic only, so bit-exact): prepend to a py program, call steady(i).
# shellcheck disable=SC2034 # used by the scripts that source this
STEADY_PY='
import math
def steady(i):
    x = float(i)
    scale = math.ldexp(x * 0.1 + 1.0 / 7.0, i % 200 - 100)
    return {"_step": i, "loss": 1.0 / (1.0 + x), "acc": x / (x + 10.0),
            "lr": 1e-3 * float(i % 100), "scale": -scale if i % 2 else scale,
            "epoch": i // 100}
'

# need_python: python3 with its sqlite3 module, or the test is skipped.
need_python() {
    command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
    python3 -c 'import sqlite3, json' 2>/dev/null || skip "python3 lacks sqlite3/json"
}

# expect_error DESCRIPTION WANT_RC COMMAND...: the command must exit with
# WANT_RC ("nonzero" for any failure), print nothing on stdout and exactly
# one line on stderr.
expect_error() {
    desc=$1
    want=$2
    shift 2
    set +e
    "$@" >"$TMP/err.out" 2>"$TMP/err.err"
    rc=$?
    set -e
    lines=$(wc -l <"$TMP/err.err" | tr -d ' ')
    if [ "$want" = nonzero ]; then
        ok_rc=$([ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && echo 1 || echo 0)
    else
        ok_rc=$([ "$rc" -eq "$want" ] && echo 1 || echo 0)
    fi
    if [ "$ok_rc" = 1 ] && [ "$lines" = 1 ] && [ ! -s "$TMP/err.out" ]; then
        pass "$desc (exit $rc: $(cat "$TMP/err.err"))"
    else
        fail "$desc: exit $rc (want $want), $lines stderr line(s), $(wc -c <"$TMP/err.out" | tr -d ' ') stdout byte(s)"
        sed 's/^/     stderr: /' "$TMP/err.err" | head -5
    fi
}

# on_tty OUT CMD...: runs CMD with stdin, stdout and stderr on a raw pty,
# saves every byte it wrote to OUT, and exits with CMD's status.
on_tty() {
    python3 -c '
import os, pty, subprocess, sys, tty
m, s = pty.openpty()
tty.setraw(s)
p = subprocess.Popen(sys.argv[2:], stdin=s, stdout=s, stderr=s)
os.close(s)
data = b""
while True:
    try:
        chunk = os.read(m, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
open(sys.argv[1], "wb").write(data)
sys.exit(p.wait())
' "$@"
}

# usage_error DESCRIPTION COMMAND...: bad usage: the command must exit 2,
# print nothing on stdout and a usage line ("usage: tally ...") on stderr.
usage_error() {
    desc=$1
    shift
    set +e
    "$@" >"$TMP/usage.out" 2>"$TMP/usage.err"
    rc=$?
    set -e
    if [ "$rc" -eq 2 ] && [ ! -s "$TMP/usage.out" ] && grep -q '^usage: tally' "$TMP/usage.err"; then
        pass "$desc: exit 2 with a usage line"
    else
        fail "$desc: exit $rc, stdout $(wc -c <"$TMP/usage.out" | tr -d ' ') bytes"
        sed 's/^/     stderr: /' "$TMP/usage.err" | head -5
    fi
}

# helper NAME: the path of a helper program built beside the tests.
helper() {
    p=$BUILD/tests/integration/$1
    [ -x "$p" ] || die "helper program $p is not built (make check builds it)"
    printf '%s\n' "$p"
}

[ -x "$TALLY" ] || die "no tally binary at $TALLY"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-$TEST_NAME.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM
