#!/bin/sh
# values.sh — awkward values through the public API come back exactly:
# NaN and the infinities as the strings "NaN" / "Infinity" / "-Infinity" in
# strict JSON, or with --json-nonfinite=bare as the bare tokens (as wandb
# writes them), the extremes of double bit-exact, integers past 2^53
# digit for digit, strings and nested JSON as logged; and the summary and
# config in `tally show --json` hold the right values.
set -eu
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python

store=$TMP/store
logger=$(helper values_logger)
"$logger" "$store" >"$TMP/runs" 2>"$TMP/logger.err" || die "values_logger failed: $(cat "$TMP/logger.err")"
run=$(awk '$1 == "run" { print $3; exit }' "$TMP/runs")
failed_id=$(awk '$1 == "run" { id = $2 } END { print id }' "$TMP/runs")
[ -f "$run" ] || die "values_logger did not say where its run is"
say "run $run"

# What values_logger.c logged, step by step (the same table).
WANT_PY='
import math, sys
F = sys.float_info
doubles = {
    "f/nan": [math.nan, 1.5, math.nan],
    "f/inf": [math.inf, -math.inf, math.inf],
    "f/ninf": [-math.inf, -math.inf, -math.inf],
    "f/max": [F.max, -F.max, F.max],
    "f/min_normal": [F.min, -F.min, F.min],
    "f/denormal": [5e-324, -5e-324, 5e-324],
    "f/third": [1.0 / 3.0, 2.0 / 3.0, -1.0 / 3.0],
    "f/pi": [math.pi, -math.pi, math.pi * 1e100],
    "f/tiny": [1e-300, -1e-300, 1.0000000000000002],
    "f/big": [1e300, 123456789012345678.0, 0.1],
}
ints = {
    "i/past53": [2**53 + 1, 2**53 + 3, 2**53 + 1],
    "i/max": [2**63 - 1, 2**63 - 2, 2**63 - 1],
    "i/min": [-2**63, -2**63 + 1, -2**63],
    "i/small": [0, -1, 42],
}
strings = {"s/text": ["plain", "quote \" backslash \\ slash / newline \n tab \t",
                      "h\u00e9llo w\u00f6rld \u2713 \U0001f389"]}
nested = {"j/a": [0.5, 1e-10, math.nan], "j/b/c": ["deep", "deeper", "deepest"],
          "j/b/d": [-2, 2**53 + 1, 7]}
scores = {"r/score": [2.5, 0.5, 1.5]}
table = {**doubles, **ints, **strings, **nested, **scores}

def same(got, want):
    if isinstance(want, float):
        if math.isnan(want):
            return isinstance(got, float) and math.isnan(got)
        return isinstance(got, (int, float)) and not isinstance(got, bool) and got == want
    return type(got) is type(want) and got == want

def expect(what, got, want):
    if not same(got, want):
        sys.exit("%s: got %r, want %r" % (what, got, want))
'

"$TALLY" export "$run" >"$TMP/export-strict.jsonl" 2>"$TMP/export.err" || fail "export failed: $(cat "$TMP/export.err")"
py "export writes strict JSON: non-finite numbers as the strings \"NaN\", \"Infinity\", \"-Infinity\"" "$WANT_PY"'
import json
def refuse(tok):
    raise ValueError("bare " + tok)
rows = [json.loads(l, parse_constant=refuse) for l in open(sys.argv[1])]
spell = lambda v: ("NaN" if math.isnan(v) else "Infinity" if v > 0 else "-Infinity") if isinstance(v, float) and not math.isfinite(v) else v
for step in range(3):
    for k in ("f/nan", "f/inf", "f/ninf", "j/a", "f/max", "f/pi"):
        expect("step %d %s" % (step, k), rows[step][k], spell(table[k][step]))
' "$TMP/export-strict.jsonl"

"$TALLY" export --json-nonfinite=bare "$run" >"$TMP/export.jsonl" 2>"$TMP/export.err" || fail "export --json-nonfinite=bare failed: $(cat "$TMP/export.err")"
py "export --json-nonfinite=bare writes bare NaN, Infinity and -Infinity tokens" '
import sys
rows = open(sys.argv[1]).read().splitlines()
for tok in ("\"f/nan\":NaN,", "\"f/inf\":Infinity,", "\"f/ninf\":-Infinity,", "\"j/a\":NaN,"):
    assert tok in rows[0] or tok in rows[2], "no " + tok
import re
bad = re.compile(r":(null|\"-?(NaN|Infinity)\"|-?nan|-?inf)[,}]")
for r in rows:
    assert not bad.search(r), "found " + bad.search(r).group(0)
' "$TMP/export.jsonl"
check "--json-nonfinite takes only string or bare (exit 2)" sh -c '"$1" export --json-nonfinite=null "$2" >/dev/null 2>&1; [ $? -eq 2 ]' - "$TALLY" "$run"

py "export: every value exact (doubles bit-exact, ints past 2^53 to the digit)" "$WANT_PY"'
import json
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["_step"] for r in rows] == [0, 1, 2, 10], [r["_step"] for r in rows]
for step in range(3):
    r = rows[step]
    assert set(r) == set(table) | {"_step", "_timestamp", "_runtime"}, sorted(set(r) ^ set(table))
    for k, vals in table.items():
        expect("step %d %s" % (step, k), r[k], vals[step])
last = rows[3]
assert set(last) == {"_step", "_timestamp", "_runtime", "late"} and last["late"] == 0.25, last
' "$TMP/export.jsonl"

"$TALLY" export --format csv "$run" >"$TMP/export.csv" 2>/dev/null || fail "export --format csv failed"
py "CSV export holds the same values" "$WANT_PY"'
import csv
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
assert len(body) == 4, len(body)
for step in range(3):
    cells = dict(zip(head, body[step]))
    for k, vals in table.items():
        want, cell = vals[step], cells[k]
        got = cell if isinstance(want, str) else int(cell) if isinstance(want, int) else float(cell)
        expect("step %d %s (%r)" % (step, k, cell), got, want)
' "$TMP/export.csv"

"$TALLY" show --json "$run" >"$TMP/show-strict.json" 2>/dev/null || fail "show --json failed"
py "show --json is strict JSON: the summary NaN is \"NaN\"" '
import json, sys
def refuse(tok):
    raise ValueError("bare " + tok)
s = json.load(open(sys.argv[1]), parse_constant=refuse)["summary"]
assert (s["f/nan"], s["f/inf"], s["f/ninf"]) == ("NaN", "Infinity", "-Infinity"), s
' "$TMP/show-strict.json"
"$TALLY" show --json --json-nonfinite=bare "$run" >"$TMP/show.json" 2>/dev/null || fail "show --json failed"
py "show --json: the summary keeps the last values, the rules, NaN/Inf and big ints" "$WANT_PY"'
import json
o = json.load(open(sys.argv[1]))
s = o["summary"]
mine = {k: v for k, v in s.items() if not k.startswith("_")}
assert set(mine) == set(table) | {"late", "best"}, sorted(set(mine) ^ (set(table) | {"late", "best"}))
for k, vals in table.items():
    if k != "r/score":
        expect("summary " + k, s[k], vals[-1])
assert s["r/score"] == {"min": 0.5, "max": 2.5, "mean": 1.5, "first": 2.5, "last": 1.5}, s["r/score"]
assert s["late"] == 0.25 and s["best"] == 0.875, (s["late"], s["best"])
' "$TMP/show.json"

py "show --json: state, rows, config exact, metrics" "$WANT_PY"'
import json
o = json.load(open(sys.argv[1]))
assert o["state"] == "finished" and o["exit_code"] == 0, (o["state"], o["exit_code"])
assert o["rows"] == 4 and o["last_step"] == 10, (o["rows"], o["last_step"])
c = o["config"]
want = {"lr": 0.001, "layers": [64, 32], "opt": {"name": "adam", "beta": 0.9},
        "big": 2**53 + 1, "flag": True, "none": None, "seed": 1234, "ratio": 0.30000000000000004}
assert c == want, c
assert type(c["big"]) is int
assert sorted(o["metrics"]) == sorted(list(table) + ["late"]), o["metrics"]
' "$TMP/show.json"

"$TALLY" show "$run" >"$TMP/show.txt" 2>/dev/null || fail "show failed"
check "show (text) prints the summary NaN as NaN" grep -Eq '^ *f/nan +NaN$' "$TMP/show.txt"
check "show (text) prints the big int exactly" grep -Eq '^ *i/past53 +9007199254740993$' "$TMP/show.txt"

"$TALLY" show --json --dir "$store" "$failed_id" >"$TMP/failed.json" 2>/dev/null || fail "show of the failed run failed"
py "a run finished with exit code 3 reads as failed" '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["state"] == "failed" and o["exit_code"] == 3, (o["state"], o["exit_code"])
' "$TMP/failed.json"
"$TALLY" show --dir "$store" "$failed_id" >"$TMP/failed.txt" 2>/dev/null || fail "show of the failed run failed"
check "show says failed (exit code 3)" grep -Eq '^ *state +failed \(exit code 3\)' "$TMP/failed.txt"
"$TALLY" ls --json --dir "$store" >"$TMP/ls.json" 2>/dev/null || fail "ls --json failed"
py "ls --json: one finished and one failed run" '
import json, sys
runs = json.load(open(sys.argv[1]))
assert sorted((r["state"], r["exit_code"]) for r in runs) == [("failed", 3), ("finished", 0)], runs
' "$TMP/ls.json"

finish
