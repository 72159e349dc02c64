#!/bin/sh
# strict_output.sh — what scripts read from tally is strict and safe.
#
# hostile_logger writes a run whose names, config, summary, values and
# string cells hold NaN / ±Infinity, C1 CSI (U+009B), the bidi override
# (U+202E), OSC 0 / OSC 52 escape sequences and spreadsheet formulas; this
# script then writes into the file what the API refuses (malformed UTF-8 in
# the project, name, keys, metric names, values and console lines), as a
# foreign or damaged writer could.  A second run, through `tally run`, has
# system samples and a long name.  Then:
# - every JSON output (ls, show, logs, export, sync --dry-run) parses with
#   jq, node's JSON.parse (per line for JSON lines) and python's json with
#   parse_constant raising, is valid UTF-8 and holds no raw control, C1 or
#   bidi character; non-finite numbers are "NaN" / "Infinity" /
#   "-Infinity", bare with --json-nonfinite=bare;
# - CSV is RFC 4180, formula cells are prefixed with "'", no ESC byte
#   reaches stdout through a pipe, and --raw gives the exact bytes;
# - logs --json, export --metrics 'system.*', and ls and show cutting
#   names only on a terminal, with a "…".
set -eu
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
command -v jq >/dev/null 2>&1 || skip "jq is not installed"
NODE=$(command -v node || command -v nodejs || true)
[ -n "$NODE" ] || skip "node is not installed"

store=$TMP/store
mkdir -p "$TMP/cwd"
echo "saved" >"$TMP/saved.txt"
(cd "$TMP/cwd" && "$(helper hostile_logger)" "$store" "$TMP/saved.txt") >"$TMP/run" 2>"$TMP/logger.err" ||
    die "hostile_logger failed: $(cat "$TMP/logger.err")"
run=$(awk '$1 == "run" { print $3 }' "$TMP/run")
id=$(awk '$1 == "run" { print $2 }' "$TMP/run")
[ -f "$run" ] || die "hostile_logger did not say where its run is"

python3 - "$run" "$TOP_SRCDIR" <<'EOF' || die "could not doctor the run file"
import sqlite3, sys
# Malformed UTF-8: a stray continuation byte, an overlong '/', a surrogate,
# a truncated sequence; and OSC 52 (clipboard write) with C1 and bidi.
BAD = b"\xff\xc0\xaf\xed\xa0\x80\xe2\x82"
OSC = b"\x1b]52;c;cHduZWQ=\x07\xc2\x9b\xe2\x80\xae"
db = sqlite3.connect(sys.argv[1])
# bytes bind as BLOBs, which SQLite hands back as the text column's bytes
db.execute("UPDATE run SET project = CAST(? AS TEXT), name = CAST(? AS TEXT)",
           (b"proj" + BAD, b"name" + BAD + OSC))
db.execute("INSERT INTO config VALUES (CAST(? AS TEXT), CAST(? AS TEXT))",
           (b"key" + BAD + OSC, b'"value' + BAD + OSC + b'"'))
db.execute("INSERT INTO summary VALUES (CAST(? AS TEXT), 'NaN')", (b"sum" + BAD,))
db.execute("UPDATE metric SET name = CAST(? AS TEXT) WHERE name = 'acc'", (b"acc" + BAD,))
# the last value of "text", rewritten inside its batch (checksum kept)
sys.path.insert(0, sys.argv[2] + "/tests/integration")
import runfile
runfile.rewrite_value(db, "text", b'"obj' + BAD + OSC + b'"', last=True)
for seq, stream, line in ((1, 1, b"plain line"), (2, 2, b"err " + OSC), (3, 1, b"bad " + BAD),
                          (4, 1, b"tab\tand \\ quote \"")):
    db.execute("INSERT INTO log VALUES (?, 1700000000.5 + ?, ?, CAST(? AS TEXT))",
               (seq, seq, stream, line))
db.commit()
EOF
pass "malformed UTF-8, OSC 52, C1 and bidi written into names, keys, values and console lines"

# strict DESCRIPTION FILE doc|lines: the file is one JSON document (doc) or
# one a line (lines) that jq, node and python's strict mode all read; valid
# UTF-8 with no raw control (but newline), DEL, C1, bidi or line separator.
STRICT_PY='
import json, re, sys
data = open(sys.argv[1], "rb").read()
assert data.strip(), "no output"
text = data.decode("utf-8")  # strict: raises on malformed UTF-8
bad = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
m = bad.search(text)
assert not m, "raw U+%04X at %d: %r" % (ord(m.group()), m.start(), text[max(0, m.start() - 30):][:60])
def refuse(tok):
    raise ValueError("non-standard token " + tok)
docs = [text] if sys.argv[2] == "doc" else text.splitlines()
for d in docs:
    json.loads(d, parse_constant=refuse)
'
NODE_JS='
const fs = require("fs");
const text = fs.readFileSync(process.argv[1], "utf8");
const docs = process.argv[2] === "doc" ? [text] : text.split("\n").filter((l) => l.length);
for (const d of docs) JSON.parse(d);
'
strict() {
    what=$1 file=$2 mode=$3
    py "$what: python strict" "$STRICT_PY" "$file" "$mode"
    if [ "$mode" = doc ]; then
        check "$what: jq" sh -c 'jq -e "type" "$1" >/dev/null' - "$file"
    else
        check "$what: jq" sh -c 'jq -c . "$1" >/dev/null' - "$file"
    fi
    check "$what: node JSON.parse" "$NODE" -e "$NODE_JS" "$file" "$mode"
}

"$TALLY" ls --json --dir "$store" >"$TMP/ls.json" || fail "ls --json failed"
strict "ls --json" "$TMP/ls.json" doc
"$TALLY" show --json "$run" >"$TMP/show.json" || fail "show --json failed"
strict "show --json" "$TMP/show.json" doc
"$TALLY" logs --json "$run" >"$TMP/logs.jsonl" || fail "logs --json failed"
strict "logs --json" "$TMP/logs.jsonl" lines
"$TALLY" export "$run" >"$TMP/out.jsonl" || fail "export failed"
strict "export --format jsonl" "$TMP/out.jsonl" lines
"$TALLY" export --metrics 'cell/*' "$run" >"$TMP/export-cells.jsonl" || fail "export --metrics failed"
strict "export --metrics 'cell/*'" "$TMP/export-cells.jsonl" lines
# sync sends the same through the same writer: the fake server refuses a
# body that is not UTF-8 JSON (bare NaN tokens are what it expects).
start_fake
"$TALLY" sync --json --dir "$store" "$id" >"$TMP/sync.json" 2>"$TMP/sync.err" ||
    fail "sync --json failed: $(cat "$TMP/sync.err")"
strict "sync --json" "$TMP/sync.json" doc
"$TALLY" export --json-nonfinite=bare "$run" >"$TMP/sent.jsonl" || fail "export failed"
# (not check_run: its comparison with the raw file cannot read malformed UTF-8)
if out=$(python3 "$FAKE" check --port "$FAKE_PORT" --run "$id" --export "$TMP/sent.jsonl" 2>&1); then
    pass "the server took every body as UTF-8 JSON and has the history as export has it ($out)"
else
    fail "the server has the hostile run as export has it: $out"
fi
stop_fake

py "show --json: the values read back, non-finite as strings, malformed bytes as U+FFFD" '
import json, sys
o = json.load(open(sys.argv[1]))
F = "\ufffd"
assert o["project"] == "proj" + F * 8, ascii(o["project"])
assert o["name"] == "name" + F * 8 + "\x1b]52;c;cHduZWQ=\x07\x9b\u202e", ascii(o["name"])
c = o["config"]
assert c["nan"] == "NaN" and c["inf"] == ["Infinity", "-Infinity"], c
assert c["key" + F * 8 + "\x1b]52;c;cHduZWQ=\x07\x9b\u202e"] == "value" + F * 8 + "\x1b]52;c;cHduZWQ=\x07\x9b\u202e", ascii(c)
s = o["summary"]
assert s["edge/all_nan"] == "NaN" and s["edge/inf"] == "Infinity" and s["edge/best"] == "NaN", s
assert s["sum" + F * 8] == "NaN", ascii(s)
assert "acc" + F * 8 in o["metrics"], ascii(o["metrics"])
' "$TMP/show.json"

py "ls --json: names with U+FFFD, NaN summary as a string" '
import json, sys
runs = json.load(open(sys.argv[1]))
r = [r for r in runs if r["project"].startswith("proj")][0]
assert r["name"].startswith("name\ufffd"), ascii(r["name"])
assert r["summary"]["edge/all_nan"] == "NaN", r["summary"]
' "$TMP/ls.json"

py "export: NaN / ±Infinity as strings, string cells as logged" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["edge/all_nan"] for r in rows] == ["NaN"] * 5, rows
assert [r["edge/inf"] for r in rows] == ["Infinity", "-Infinity"] * 2 + ["Infinity"], rows
assert rows[0]["cell/osc52"] == "\x1b]52;c;cHduZWQ=\x07"
assert rows[-1]["text"] == "obj\ufffd" * 1 + "\ufffd" * 7 + "\x1b]52;c;cHduZWQ=\x07\x9b\u202e", ascii(rows[-1]["text"])
assert "acc" + "\ufffd" * 8 in rows[0], ascii(sorted(rows[0]))
' "$TMP/out.jsonl"

"$TALLY" show --json --json-nonfinite=bare "$run" >"$TMP/show-bare.json" || fail "show --json-nonfinite=bare failed"
py "--json-nonfinite=bare: wandb bare tokens, which only a lenient reader takes" '
import json, math, sys
text = open(sys.argv[1]).read()
assert "\"edge/all_nan\": NaN" in text and "\"edge/inf\": Infinity" in text, text[:300]
s = json.loads(text)["summary"]
assert math.isnan(s["edge/all_nan"]) and s["edge/inf"] == math.inf
' "$TMP/show-bare.json"
"$TALLY" export --json-nonfinite=bare "$run" >"$TMP/export-bare.jsonl" || fail "export --json-nonfinite=bare failed"
check "export --json-nonfinite=bare: bare tokens" grep -q '"edge/all_nan":NaN,"edge/inf":-Infinity' "$TMP/export-bare.jsonl"
if "$NODE" -e "$NODE_JS" "$TMP/export-bare.jsonl" lines 2>/dev/null; then
    fail "node reads bare NaN: the check above proves nothing"
else
    pass "(node refuses the bare tokens, so the strict checks can fail)"
fi

py "logs --json: one object a line: line number, time, stream, text" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["line"] for r in rows] == [1, 2, 3, 4], rows
assert [r["stream"] for r in rows] == ["stdout", "stderr", "stdout", "stdout"], rows
assert rows[0]["time"] == 1700000001.5, rows[0]
assert rows[1]["text"] == "err \x1b]52;c;cHduZWQ=\x07\x9b\u202e", ascii(rows[1]["text"])
assert rows[2]["text"] == "bad " + "\ufffd" * 8, ascii(rows[2]["text"])
assert rows[3]["text"] == "tab\tand \\ quote \"", rows[3]["text"]
assert set(rows[0]) == {"line", "time", "stream", "text"}, rows[0]
' "$TMP/logs.jsonl"
"$TALLY" logs --json --stderr "$run" >"$TMP/logs-err.jsonl" || fail "logs --json --stderr failed"
check "logs --json --stderr: only the stderr line" [ "$(wc -l <"$TMP/logs-err.jsonl")" -eq 1 ]
expect_error "logs --json --raw is a usage error" 2 "$TALLY" logs --json --raw "$run"

# ---- CSV ----
"$TALLY" export --format csv "$run" | cat >"$TMP/export.csv" || fail "export --format csv failed"
py "CSV through a pipe: no escape sequence, no control character reaches the terminal" '
import re, sys
data = open(sys.argv[1], "rb").read()
assert b"\x1b" not in data and b"\x07" not in data, "raw ESC / BEL"
text = data.decode("utf-8")
m = re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", text)
assert not m, "raw U+%04X" % ord(m.group())
' "$TMP/export.csv"
py "CSV: RFC 4180 quoting, formula cells prefixed with a quote, numbers left alone" '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
head, body = rows[0], rows[1:]
assert len(body) == 5 and all(len(r) == len(head) for r in body), [len(r) for r in rows]
col = {name: [r[i] for r in body] for i, name in enumerate(head)}
assert col["cell/formula"] == ["\x27=cmd|\x27 /C calc\x27!A0", "\x27+SUM(1,2)", "\x27-2+3",
                               "\x27@SUM(A1)", "\x27\tindented"], col["cell/formula"]
assert col["cell/negative"] == ["-1.5"] * 5, col["cell/negative"]
assert col["cell/quoted"] == ["a,\"b\"\nc"] * 5, col["cell/quoted"]
assert col["cell/osc52"] == ["?]52;c;cHduZWQ=?"] * 5, col["cell/osc52"]
assert col["edge/all_nan"] == ["NaN"] * 5 and col["edge/inf"][:2] == ["Infinity", "-Infinity"]
assert "acc" + "\ufffd" * 8 in head, ascii(head)
' "$TMP/export.csv"
check "CSV: every formula cell is quoted as well" grep -q "\"'=cmd|' /C calc'!A0\"" "$TMP/export.csv"

"$TALLY" export --format csv --raw "$run" | cat >"$TMP/raw.csv" || fail "export --format csv --raw failed"
py "CSV --raw: the exact bytes, quoted per RFC 4180, no prefix" '
import csv, io, sys
data = open(sys.argv[1], "rb").read()
assert b"\x1b]52;c;cHduZWQ=\x07" in data, "OSC 52 bytes not kept"
assert b"\xff\xc0\xaf\xed\xa0\x80\xe2\x82" in data, "malformed bytes not kept"
rows = list(csv.reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline="")))
col = {name: [r[i] for r in rows[1:]] for i, name in enumerate(rows[0])}
assert col["cell/formula"][0] == "=cmd|\x27 /C calc\x27!A0", col["cell/formula"]
assert col["cell/quoted"][0] == "a,\"b\"\nc"
' "$TMP/raw.csv"
expect_error "export --raw without --format csv is a usage error" 2 "$TALLY" export --raw "$run"

# ---- a run through `tally run`: system samples, a long name ----
long="a-run-name-far-too-long-for-its-column"
"$TALLY" run --dir "$store" --project sys --name "$long" --sample-ms 50 --parse kv -- \
    sh -c 'echo "loss=0.5"; sleep 1; echo "loss=0.25"' \
    >/dev/null 2>"$TMP/run.err" || die "tally run failed: $(cat "$TMP/run.err")"
sysrun=$(ls "$store"/sys/*.db)

"$TALLY" export --format csv --metrics 'system.*' "$sysrun" >"$TMP/sys.csv" 2>"$TMP/sys.err" ||
    fail "export --metrics 'system.*' failed: $(cat "$TMP/sys.err")"
py "export --metrics system.* (CSV): the time-axis series with their own x columns" '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
assert head[:2] == ["_timestamp", "_runtime"], head
assert len(head) > 2 and all(h.startswith("system.") for h in head[2:]), head
assert len(body) >= 3, "only %d rows" % len(body)
ts = [float(r[0]) for r in body]
rt = [float(r[1]) for r in body]
assert ts == sorted(ts) and rt == sorted(rt) and 0 <= rt[0] < 5, (ts[:3], rt[:3])
assert ts[0] > 1.5e9, ts[0]
assert any(c != "" for r in body for c in r[2:]), "no values"
' "$TMP/sys.csv"
check "it says nothing on stderr" [ ! -s "$TMP/sys.err" ]
"$TALLY" export --metrics 'system.*' "$sysrun" >"$TMP/sys.jsonl" || fail "export --metrics 'system.*' (JSON lines) failed"
strict "export --metrics 'system.*'" "$TMP/sys.jsonl" lines
py "export --metrics system.* (JSON lines): _timestamp, _runtime, system values" '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) >= 3 and all("_timestamp" in r and "_runtime" in r for r in rows), rows[:2]
assert all(k.startswith("system.") for r in rows for k in r if not k.startswith("_")), rows[0]
' "$TMP/sys.jsonl"
# A run with system samples only: a plain export is its time axis, not an
# empty step axis.
"$TALLY" run --dir "$store" --project sysonly --sample-ms 50 -- sleep 1 >/dev/null 2>"$TMP/run.err" ||
    die "tally run failed: $(cat "$TMP/run.err")"
sysonly=$(ls "$store"/sysonly/*.db)
"$TALLY" export --format csv "$sysonly" >"$TMP/sysonly.csv" 2>"$TMP/sysonly.err" || fail "export of a system-only run failed"
py "export of a run with only system metrics writes them, on their time axis" '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0][:2] == ["_timestamp", "_runtime"] and len(rows[0]) > 2, rows[0]
assert len(rows) >= 3, rows
' "$TMP/sysonly.csv"
check "and says nothing on stderr" [ ! -s "$TMP/sysonly.err" ]
"$TALLY" export "$sysrun" >/dev/null 2>"$TMP/plain.err" || fail "export failed"
check "a plain export of a run with step series is quiet about its system metrics" [ ! -s "$TMP/plain.err" ]
"$TALLY" export --metrics '*' "$sysrun" >/dev/null 2>"$TMP/mixed.err" || fail "export --metrics '*' failed"
check "a glob that matches step and time series says what it left out" grep -q "time-axis series" "$TMP/mixed.err"
"$TALLY" export --metrics 'nothing*' "$sysrun" >/dev/null 2>"$TMP/none.err" || fail "export --metrics 'nothing*' failed"
check "a glob that matches nothing says so" grep -q "no metric matches 'nothing\*'" "$TMP/none.err"

# ls: into a pipe nothing is cut; on a terminal a cut name ends in "…".
"$TALLY" ls --dir "$store" | cat >"$TMP/ls.txt" || fail "ls failed"
check "ls into a pipe prints the whole name" grep -q " $long " "$TMP/ls.txt"
py "ls into a pipe: the columns still line up" '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
head = lines[0]
col = head.index("STATE")
assert all(l[col - 2:col] == "  " for l in lines[1:]), lines
' "$TMP/ls.txt"
on_tty "$TMP/ls.tty" "$TALLY" ls --dir "$store" || fail "ls on a terminal failed"
check "ls on a terminal cuts the long name with …" grep -q "a-run-name-far-too-long…" "$TMP/ls.tty"
check "and does not print it whole" sh -c '! grep -q "$1" "$2"' - "$long" "$TMP/ls.tty"
on_tty "$TMP/ls-c.tty" env LC_ALL=C "$TALLY" ls --dir "$store" || fail "ls on a terminal (LC_ALL=C) failed"
check "in the C locale the mark is ~" grep -q "a-run-name-far-too-long~" "$TMP/ls-c.tty"

# show: the same rule for its key column (28 wide).
"$TALLY" show "$run" | cat >"$TMP/show.txt" || fail "show failed"
key=$(printf 'key\357\277\275\357\277\275\357\277\275\357\277\275\357\277\275\357\277\275\357\277\275\357\277\275?]52;c;cHduZWQ=???')
check "show into a pipe prints a 29-column key whole" grep -qF "  $key " "$TMP/show.txt"
on_tty "$TMP/show.tty" "$TALLY" show "$run" || fail "show on a terminal failed"
check "show on a terminal cuts it to 28 columns, the last a …" grep -qF "  ${key%??}… " "$TMP/show.tty"
# A series of strings has no numeric point: "-", not the NaN of its empty
# statistics, which would read as a logged NaN; a NaN series shows nan.
check "show: a string series' last, min and max are -" \
    grep -Eq '^  cell/formula +0 +- +- +-$' "$TMP/show.txt"
check "show: an all-NaN series' are nan" grep -Eq '^  edge/all_nan +5 +nan +nan +nan$' "$TMP/show.txt"

finish
