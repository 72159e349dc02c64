#!/bin/sh
# terminal.sh — a run's text must never drive the terminal that reads it.
#
# hostile_logger writes a run whose name, notes, tags, config, string values,
# saved file name, command line and working directory carry escape sequences
# (OSC title, clear screen, colours, BEL, BS, CR, DEL, C1 CSI, bidi
# override).  Then this script writes control characters straight into the
# file where the API refuses them (metric names, config and summary keys, the
# run row), as a foreign or damaged file could hold.  On a terminal (a pty),
# `tally ls`, `tally show` and `tally export --format csv` must not emit one
# ESC byte nor any other control character; JSON output escapes them.
set -eu
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python

EVIL=$(printf '\033]0;pwned\007\033[2J')
store=$TMP/store
logger=$(helper hostile_logger)

evil_dir=$TMP/cwd$EVIL
mkdir "$evil_dir"
evil_file=$TMP/saved$EVIL.txt
echo "saved file" >"$evil_file"
(cd "$evil_dir" && "$logger" "$store" "$evil_file" "arg$EVIL") >"$TMP/run" 2>"$TMP/logger.err" ||
    die "hostile_logger failed: $(cat "$TMP/logger.err")"
pass "the API refuses metric, config and nested keys with control characters"
run=$(awk '$1 == "run" { print $3 }' "$TMP/run")
id=$(awk '$1 == "run" { print $2 }' "$TMP/run")
[ -f "$run" ] || die "hostile_logger did not say where its run is"

# What the API refuses, a file can still hold.
python3 - "$run" "$TOP_SRCDIR" <<'EOF' || die "could not doctor the run file"
import sqlite3, sys
E = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\r\b\x7f\x9b1m\u202e"
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE metric SET name = ? || name || ? WHERE name IN ('loss', 'acc')", ("m" + E, E))
db.execute("UPDATE config SET key = ? || key WHERE key = 'opt'", (E,))
db.execute("UPDATE summary SET key = ? || key WHERE key = 'loss'", (E,))
db.execute("UPDATE summary SET value = ? WHERE key = 'acc'", ('"raw' + E + '"',))
# The first stored value, rewritten inside its batch with a checksum that
# matches: the file is hostile, not damaged.
sys.path.insert(0, sys.argv[2] + "/tests/integration")
import runfile
runfile.rewrite_value(db, None, ('"raw' + E + '"').encode())
for col in ("project", "host", "user", "os", "version", "mode"):
    db.execute("UPDATE run SET %s = ? || coalesce(%s, '')" % (col, col), (E,))
# After the id, so the original id still resolves the run (as a prefix).
db.execute("UPDATE run SET id = id || ?", (E,))
db.execute("UPDATE run SET git = ?, tags = ?",
           ('{"commit":"' + E + '","remote":"\\u001b[2J"}', '["' + E + '"]'))
db.commit()
db.close()
EOF
pass "control characters written into metric names, keys and the run row"

# clean FILE KIND: KIND text (sanitized for a terminal: no control
# characters, no C1, no bidi overrides) or json (no raw control bytes).
CLEAN_PY='
import sys
data = open(sys.argv[1], "rb").read()
kind = sys.argv[2]
assert data, "no output at all"
assert b"\x1b" not in data, "ESC at byte %d: %r" % (data.index(b"\x1b"), data[max(0, data.index(b"\x1b") - 20):][:60])
bad = [b for b in data if b < 0x20 and b not in b"\n\t" or b == 0x7f]
assert not bad, "control bytes %r" % sorted(set(bad))
if kind == "text":
    text = data.decode("utf-8")
    c1 = [hex(ord(c)) for c in text if 0x80 <= ord(c) <= 0x9f or 0x202a <= ord(c) <= 0x202e
          or 0x2066 <= ord(c) <= 0x2069]
    assert not c1, "C1 or bidi controls %r" % c1
assert b"pwned" in data or kind == "quiet", "the hostile text is not in the output at all"
'

tty_check() {
    desc=$1
    kind=$2
    shift 2
    if on_tty "$TMP/tty.out" "$@"; then
        py "$desc" "$CLEAN_PY" "$TMP/tty.out" "$kind"
    else
        fail "$desc: exit $?"
        head -c 300 "$TMP/tty.out" | od -c | head -5
    fi
}

for loc in C.UTF-8 C; do
    say "on a terminal, LC_ALL=$loc"
    export LC_ALL=$loc
    tty_check "ls: no escape sequences ($loc)" text "$TALLY" ls --dir "$store"
    tty_check "show: no escape sequences ($loc)" text "$TALLY" show "$run"
    tty_check "show by id: no escape sequences ($loc)" text "$TALLY" show --dir "$store" "$id"
    tty_check "export --format csv: no escape sequences ($loc)" text "$TALLY" export --format csv "$run"
    tty_check "export --format csv --metrics 'm*': no escape sequences ($loc)" text \
        "$TALLY" export --format csv --metrics 'm*' "$run"
    tty_check "export (JSONL): control characters escaped ($loc)" json "$TALLY" export "$run"
    tty_check "show --json: control characters escaped ($loc)" json "$TALLY" show --json "$run"
    tty_check "ls --json: control characters escaped ($loc)" json "$TALLY" ls --json --dir "$store"
done
export LC_ALL=C.UTF-8

# Off a terminal too, CSV is neutralised (`| cat` reaches a terminal just the
# same); --raw keeps the bytes as logged.  JSON keeps them as \u escapes
# that read back to the same text.
"$TALLY" export --format csv "$run" >"$TMP/safe.csv" 2>/dev/null || fail "export --format csv to a file failed"
py "export --format csv to a file: no escape sequences" "$CLEAN_PY" "$TMP/safe.csv" text
"$TALLY" export --format csv --raw "$run" >"$TMP/raw.csv" 2>/dev/null || fail "export --format csv --raw failed"
check "export --format csv --raw keeps the logged bytes" grep -qF "text$EVIL" "$TMP/raw.csv"
"$TALLY" export "$run" >"$TMP/raw.jsonl" 2>/dev/null || fail "export to a file failed"
py "export JSONL to a file: escaped, and reads back to the logged text" '
import json, sys
data = open(sys.argv[1], "rb").read()
assert b"\x1b" not in data, "raw ESC in JSONL"
rows = [json.loads(l) for l in data.splitlines()]
E = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\r\b\x7f\x9b1m\u202e"
assert rows[-1]["text"] == "text" + E, rows[-1]["text"]
assert any(k.startswith("m\x1b]0;pwned") for k in rows[-1]), sorted(rows[-1])
' "$TMP/raw.jsonl"
"$TALLY" show --json "$run" >"$TMP/raw.json" 2>/dev/null || fail "show --json to a file failed"
py "show --json to a file: escaped, and reads back to the logged text" '
import json, sys
data = open(sys.argv[1], "rb").read()
assert b"\x1b" not in data, "raw ESC in show --json"
o = json.loads(data)
assert o["name"].startswith("name\x1b]0;pwned\x07"), o["name"]
assert o["config"]["evil"] == "\x1b[2J\x1b]0;pwned\x07", o["config"]
assert any("pwned" in f["path"] for f in o["files"]), o["files"]
' "$TMP/raw.json"

# Error messages quote what they could not open: a hostile file name.
mkdir -p "$TMP/bad"
head -c 4096 /dev/urandom >"$TMP/bad/run$EVIL.db"
on_tty "$TMP/tty.out" "$TALLY" show "$TMP/bad/run$EVIL.db" && rc=0 || rc=$?
check "show of a corrupt, hostile-named file fails ($rc)" [ "$rc" -ne 0 ]
py "its error message has no escape sequences" "$CLEAN_PY" "$TMP/tty.out" text
cp "$run" "$TMP/bad/copy$EVIL.db"
tty_check "show of a hostile-named run file: no escape sequences" text "$TALLY" show "$TMP/bad/copy$EVIL.db"
on_tty "$TMP/tty.out" "$TALLY" show --dir "$store" "x$EVIL" && rc=0 || rc=$?
check "show of an unknown hostile id fails ($rc)" [ "$rc" -ne 0 ]
py "its error message has no escape sequences" "$CLEAN_PY" "$TMP/tty.out" text

finish
