#!/bin/sh
# cli.sh — the `tally` command end to end: demo, ls, show, export, the three
# ways to name a run, and the errors (one line on stderr, non-zero exit;
# exit 2 for bad usage).
set -eu
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python

store=$TMP/store
STEPS=300

# ---- demo ----------------------------------------------------------------
say "tally demo --steps $STEPS, and a second, newer run in another project"
"$TALLY" demo --dir "$store" --steps "$STEPS" >"$TMP/demo1.out" 2>"$TMP/demo.err" ||
    die "tally demo failed: $(cat "$TMP/demo.err")"
# ls sorts by start time (sub-second): the second run is the newest.
"$TALLY" demo --dir "$store" --project second --steps 50 >"$TMP/demo2.out" 2>"$TMP/demo.err" ||
    die "second tally demo failed: $(cat "$TMP/demo.err")"
# run_field PROJECT KEY: KEY of the run in PROJECT, from ls --json.
run_field() {
    "$TALLY" ls --dir "$store" --json | python3 -c '
import json, sys
print(next(r[sys.argv[2]] for r in json.load(sys.stdin) if r["project"] == sys.argv[1]))
' "$1" "$2"
}
id1=$(run_field demo id) && path1=$(run_field demo path) && id2=$(run_field second id) ||
    die "ls --json does not list the two demo runs"
check "demo says where the run went ($path1)" grep -qF "$path1" "$TMP/demo1.out"
check "demo names its run id" grep -qw "$id1" "$TMP/demo1.out"
case $path1 in
"$store"/demo/[0-9]*-[0-9]*-"$id1".db) pass "run file is <dir>/<project>/<stamp>-<id>.db" ;;
*) fail "run file $path1 is not <dir>/demo/<stamp>-$id1.db" ;;
esac

# ---- ls ------------------------------------------------------------------
"$TALLY" ls --dir "$store" >"$TMP/ls.txt" 2>"$TMP/ls.err" || fail "tally ls failed"
check "ls prints a header" grep -q '^ID  *PROJECT  *NAME  *STATE' "$TMP/ls.txt"
check "ls lists both runs as finished" \
    sh -c 'grep -q "^$1 .* finished " "$3" && grep -q "^$2 .* finished " "$3"' - "$id1" "$id2" "$TMP/ls.txt"
check "ls table: newest first" sh -c 'sed -n 2p "$1" | grep -q "^$2 "' - "$TMP/ls.txt" "$id2"
check "ls prints nothing on stderr" [ ! -s "$TMP/ls.err" ]

"$TALLY" ls --dir "$store" --json >"$TMP/ls.json" 2>/dev/null || fail "tally ls --json failed"
py "ls --json: an array of {id, project, name, state, path}, newest first" '
import json, os, sys
runs = json.load(open(sys.argv[1]))
assert isinstance(runs, list) and len(runs) == 2, runs
assert [r["id"] for r in runs] == [sys.argv[3], sys.argv[2]], [r["id"] for r in runs]
for r in runs:
    for k in ("id", "project", "name", "state", "path"):
        assert isinstance(r.get(k), str) and r[k], (k, r)
    assert r["state"] == "finished", r
    assert os.path.isfile(r["path"]), r["path"]
assert [r["project"] for r in runs] == ["second", "demo"]
assert runs[1]["rows"] == int(sys.argv[4])
' "$TMP/ls.json" "$id1" "$id2" "$STEPS"

TALLY_DIR=$store "$TALLY" ls --json >"$TMP/ls-env.json" 2>/dev/null || fail "ls with TALLY_DIR failed"
check "ls uses \$TALLY_DIR when --dir is not given" cmp -s "$TMP/ls.json" "$TMP/ls-env.json"
mkdir -p "$TMP/empty"
"$TALLY" ls --dir "$TMP/empty" >"$TMP/ls-empty.txt" 2>&1 || fail "ls of an empty root failed"
check "ls of a root with no runs says so" grep -q 'no runs' "$TMP/ls-empty.txt"
"$TALLY" ls --dir "$TMP/empty" --json >"$TMP/ls-empty.json" 2>/dev/null || fail "ls --json of an empty root failed"
py "ls --json of a root with no runs is []" '
import json, sys
assert json.load(open(sys.argv[1])) == []
' "$TMP/ls-empty.json"

# ---- show ----------------------------------------------------------------
# The demo's exact curves are its own business; these checks hold for any
# demo: what show and export say must agree with each other.
"$TALLY" show --dir "$store" "$id1" >"$TMP/show.txt" 2>"$TMP/show.err" || fail "tally show failed"
check "show: title line with name and id" grep -q "^run .* ($id1)\$" "$TMP/show.txt"
check "show: finished, exit code 0" grep -Eq '^ *state +finished \(exit code 0\)' "$TMP/show.txt"
check "show: config, summary, metrics and files sections" \
    sh -c 'for s in config summary metrics files; do grep -qx "$s" "$1" || exit 1; done' - "$TMP/show.txt"
check "show: history line says $STEPS rows" grep -Eq "^ *history +$STEPS rows, last step $((STEPS - 1))\$" "$TMP/show.txt"

"$TALLY" show --dir "$store" --json "$id1" >"$TMP/show.json" 2>/dev/null || fail "tally show --json failed"
"$TALLY" export --dir "$store" "$id1" >"$TMP/export.jsonl" 2>"$TMP/export.err" ||
    fail "tally export failed: $(cat "$TMP/export.err")"
py "show --json: id, name, project, state, exit_code, summary, config, metrics, git, files" '
import json, sys
o = json.load(open(sys.argv[1]))
for k in ("id", "name", "project", "state", "exit_code", "summary", "config", "metrics", "git", "files"):
    assert k in o, "no " + k
assert o["id"] == sys.argv[2] and o["project"] == "demo" and o["state"] == "finished"
assert o["exit_code"] == 0
assert isinstance(o["config"], dict) and o["config"], o["config"]
m = o["metrics"]
assert m and all(isinstance(x, str) and not x.startswith("_") for x in m), m
assert any(x.startswith("val/") for x in m), m
assert o["git"] is None or isinstance(o["git"], dict), o["git"]
assert isinstance(o["files"], list)
assert o["rows"] == int(sys.argv[3]) and o["last_step"] == int(sys.argv[3]) - 1
assert isinstance(o["tags"], list)
' "$TMP/show.json" "$id1" "$STEPS"

check "show: the metric table lists every metric" sh -c '
for m in $(python3 -c "import json,sys; print(\" \".join(json.load(open(sys.argv[1]))[\"metrics\"]))" "$2"); do
    grep -q "^  $m " "$1" || { echo "no $m"; exit 1; }
done' - "$TMP/show.txt" "$TMP/show.json"

py "show --json: the summary agrees with the exported history (last, or the rules)" '
import json, math, sys
o = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])]
s = o["summary"]
# system.* series are sampled on the time axis: not history columns.
for k in [x for x in o["metrics"] if not x.startswith("system.")]:
    vals = [r[k] for r in rows if k in r]
    assert vals, "no value of " + k
    if k not in s:
        continue
    if isinstance(s[k], dict):
        rule = {"min": min(vals), "max": max(vals), "first": vals[0], "last": vals[-1]}
        for r, v in s[k].items():
            if r == "mean":
                assert math.isclose(v, sum(vals) / len(vals), rel_tol=1e-12), (k, r, v)
            else:
                assert v == rule[r], (k, r, v, rule[r])
    else:
        assert s[k] == vals[-1], (k, s[k], vals[-1])
' "$TMP/show.json" "$TMP/export.jsonl"

# ---- export --------------------------------------------------------------
py "export: one JSON line per step, _step/_timestamp/_runtime on each" '
import json, sys
o = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])]
assert len(rows) == int(sys.argv[3]), len(rows)
history = set(x for x in o["metrics"] if not x.startswith("system."))
prev, seen = 0, set()
for i, r in enumerate(rows):
    assert r.get("_step") == i, (i, r)
    assert isinstance(r.get("_timestamp"), float) and r["_timestamp"] >= prev, r
    assert isinstance(r.get("_runtime"), (int, float)) and r["_runtime"] >= 0, r
    prev = r["_timestamp"]
    keys = set(r) - {"_step", "_timestamp", "_runtime"}
    assert keys <= history, keys - history
    seen |= keys
assert seen == history, history - seen
' "$TMP/show.json" "$TMP/export.jsonl" "$STEPS"

"$TALLY" export --dir "$store" --format csv "$id1" >"$TMP/export.csv" 2>/dev/null || fail "export --format csv failed"
CSV_SAME_PY='
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
assert head[:3] == ["_step", "_timestamp", "_runtime"], head
js = [json.loads(l) for l in open(sys.argv[2])]
names = set(k for j in js for k in j)
assert set(head) == names, set(head) ^ names
assert len(body) == len(js), (len(body), len(js))
for r, j in zip(body, js):
    assert len(r) == len(head), r
    for k, cell in zip(head, r):
        if k not in j:
            assert cell == "", (k, cell)
        elif isinstance(j[k], int):
            assert int(cell) == j[k], (k, cell, j[k])
        else:
            assert float(cell) == j[k], (k, cell, j[k])
'
py "export --format csv: header, one row per step, the same values as JSONL" "$CSV_SAME_PY" \
    "$TMP/export.csv" "$TMP/export.jsonl"

"$TALLY" export --dir "$store" --metrics 'val/*' "$id1" >"$TMP/val.jsonl" 2>/dev/null || fail "export --metrics failed"
py "export --metrics 'val/*': only the steps and columns of val/*" '
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
full = [json.loads(l) for l in open(sys.argv[2])]
want = [{k: v for k, v in r.items() if k.startswith("val/") or k in ("_step", "_timestamp", "_runtime")}
        for r in full if any(k.startswith("val/") for k in r)]
assert 0 < len(want) < len(full) and got == want, (len(got), got[:2], want[:2])
' "$TMP/val.jsonl" "$TMP/export.jsonl"
"$TALLY" export --dir "$store" --metrics 'nothing*' "$id1" >"$TMP/none.jsonl" 2>/dev/null ||
    fail "export --metrics matching nothing failed"
check "export --metrics matching nothing writes no rows" [ ! -s "$TMP/none.jsonl" ]

# ---- doubles round-trip: values a test program logged ----------------------
steady=$TMP/steady
"$(helper crash_logger)" --dir "$steady" --steps 1000 --flush-ms 50 >"$TMP/steady.out" 2>"$TMP/steady.err" ||
    fail "crash_logger --steps 1000 failed: $(cat "$TMP/steady.err")"
steady_run=$(awk '$1 == "run" { print $3 }' "$TMP/steady.out")
"$TALLY" export "$steady_run" >"$TMP/steady.jsonl" 2>/dev/null || fail "export of the steady run failed"
py "export: 1000 steps of crash_logger values, every double bit-exact" "$STEADY_PY"'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1000, len(rows)
for i, r in enumerate(rows):
    want = steady(i)
    assert set(r) == set(want) | {"_timestamp", "_runtime"}, sorted(r)
    for k, v in want.items():
        # JSON has one number type: 1.0 may come back as 1; ints must stay ints.
        assert r[k] == v and (isinstance(r[k], int) or not isinstance(v, int)), (i, k, r[k], v)
' "$TMP/steady.jsonl"
"$TALLY" export --format csv "$steady_run" >"$TMP/steady.csv" 2>/dev/null || fail "csv export of the steady run failed"
py "export --format csv of the same run: the same values" "$CSV_SAME_PY" "$TMP/steady.csv" "$TMP/steady.jsonl"
"$TALLY" show --json "$steady_run" >"$TMP/steady.json" 2>/dev/null || fail "show of the steady run failed"
py "show --json: summary and config values bit-exact" "$STEADY_PY"'
import json, sys
o = json.load(open(sys.argv[1]))
want = steady(999)
del want["_step"]
assert o["summary"] == want, (o["summary"], want)
assert o["config"] == {"purpose": "integration test", "third": 1.0 / 3.0}, o["config"]
' "$TMP/steady.json"

# ---- RUN as a path, an id, a unique prefix ---------------------------------
prefix=$(python3 -c '
import sys
ids = sys.argv[2:]
me = sys.argv[1]
for n in range(1, len(me)):
    if not any(o.startswith(me[:n]) for o in ids if o != me):
        print(me[:n]); break
' "$id1" "$id1" "$id2")
"$TALLY" export "$path1" >"$TMP/by-path.jsonl" 2>/dev/null || fail "export by path failed"
"$TALLY" export --dir "$store" "$prefix" >"$TMP/by-prefix.jsonl" 2>/dev/null || fail "export by prefix '$prefix' failed"
check "export by path = by id" cmp -s "$TMP/by-path.jsonl" "$TMP/export.jsonl"
check "export by id prefix '$prefix' = by id" cmp -s "$TMP/by-prefix.jsonl" "$TMP/export.jsonl"
"$TALLY" show --json "$path1" >"$TMP/show-path.json" 2>/dev/null || fail "show by path failed"
"$TALLY" show --json --dir "$store" "$prefix" >"$TMP/show-prefix.json" 2>/dev/null || fail "show by prefix failed"
check "show by path = by id" cmp -s "$TMP/show-path.json" "$TMP/show.json"
check "show by id prefix = by id" cmp -s "$TMP/show-prefix.json" "$TMP/show.json"
(cd "$store/demo" && "$TALLY" show --json "./$(basename "$path1")") >"$TMP/show-rel.json" 2>/dev/null ||
    fail "show by relative path failed"
py "show by a relative path = by id" '
import json, os, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert os.path.samefile(os.path.join(sys.argv[3], a.pop("path")), b.pop("path"))
assert a == b
' "$TMP/show-rel.json" "$TMP/show.json" "$store/demo"

# ---- errors: one line on stderr, nothing on stdout, non-zero exit ----------
expect_error "unknown run id" nonzero "$TALLY" show --dir "$store" zzzzzzzz
expect_error "unknown run id (export)" nonzero "$TALLY" export --dir "$store" zzzzzzzz
expect_error "missing run file" nonzero "$TALLY" show "$TMP/no/such/run.db"
# A --dir that does not exist is a usage error (exit 2), for every command
# that reads a store; the message names it.
for cmd in "ls" "ls --json" "show $id1" "export $id1" "logs $id1" "sync --dry-run $id1" "open $id1" "browse"; do
    # shellcheck disable=SC2086
    expect_error "$cmd --dir of a store root that does not exist" 2 "$TALLY" $cmd --dir "$TMP/nowhere"
    grep -q "nowhere: No such file or directory" "$TMP/err.err" || fail "$cmd: the message does not name the missing --dir"
done
: >"$TMP/a-file"
expect_error "ls --dir of a file, not a directory" 2 "$TALLY" ls --dir "$TMP/a-file"
check "the message says so" grep -q "a-file: not a directory" "$TMP/err.err"

corrupt=$store/demo/20200101-000000-c0rrupt0.db
head -c 16384 /dev/urandom >"$corrupt"
expect_error "corrupt file, by id" nonzero "$TALLY" show --dir "$store" c0rrupt0
expect_error "corrupt file, by path (export)" nonzero "$TALLY" export "$corrupt"
expect_error "corrupt file, show --json" nonzero "$TALLY" show --json "$corrupt"
printf 'SQLite format 3\000' >"$TMP/hdr.db"
head -c 4080 /dev/urandom >>"$TMP/hdr.db"
expect_error "SQLite header then garbage" nonzero "$TALLY" export "$TMP/hdr.db"
: >"$TMP/empty.db"
expect_error "empty file" nonzero "$TALLY" show "$TMP/empty.db"
python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); d.execute("create table t(x)"); d.commit()' "$TMP/other.db"
expect_error "an SQLite file that is not a run" nonzero "$TALLY" show "$TMP/other.db"
"$TALLY" ls --dir "$store" --json >"$TMP/ls-corrupt.json" 2>"$TMP/ls-corrupt.err" && rc=0 || rc=$?
py "ls skips the corrupt file, lists the rest, names it and why in one line, exits 0" '
import json, sys
assert int(sys.argv[3]) == 0, "exit %s" % sys.argv[3]
runs = json.load(open(sys.argv[1]))
assert len(runs) == 2, runs
err = open(sys.argv[2]).read()
want = "tally: skipped: %s: not a tally run file, or a damaged one\n" % sys.argv[4]
assert err == want, (err, want)
' "$TMP/ls-corrupt.json" "$TMP/ls-corrupt.err" "$rc" "$corrupt"
# Root reads a chmod 000 file, so as root the check runs as nobody, where
# nobody can reach the binary and the store (else it is skipped); TMP is
# opened to others for that.
unprivileged=
if [ "$(id -u)" -ne 0 ]; then
    unprivileged=env
elif command -v setpriv >/dev/null 2>&1 && chmod a+rx "$TMP" &&
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
        sh -c 'test -r "$1" && "$2" --version' - "$path1" "$TALLY" >/dev/null 2>&1; then
    unprivileged="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
if [ -n "$unprivileged" ]; then
    unread=$store/demo/20200101-000000-unread00.db
    cp "$path1" "$unread"
    chmod 000 "$unread"
    $unprivileged "$TALLY" ls --dir "$store" >/dev/null 2>"$TMP/ls-unread.err" || fail "ls with an unreadable file failed"
    check "ls names the unreadable file with the reason" \
        grep -q "^tally: skipped: .*unread00.db: Permission denied$" "$TMP/ls-unread.err"
    check "and the corrupt one, each once" [ "$(wc -l <"$TMP/ls-unread.err")" -eq 2 ]
    for cmd in show logs export; do
        expect_error "$cmd of an unreadable file" 1 $unprivileged "$TALLY" $cmd "$unread"
        check "$cmd names the unreadable file with the reason" \
            grep -q "^tally: cannot read .*unread00.db: Permission denied$" "$TMP/err.err"
    done
    rm -f "$unread"
else
    say "skipped the unreadable-file checks: root, and no way to run as nobody"
fi
rm -f "$corrupt"

# set_id FILE ID: a copied run file stores its own id (what resolves it).
set_id() {
    python3 -c '
import sqlite3, sys
d = sqlite3.connect(sys.argv[1]); d.execute("UPDATE run SET id=?", (sys.argv[2],)); d.commit(); d.close()
' "$1" "$2"
}

newer=$TMP/newer/demo/20200101-000000-newer000.db
mkdir -p "$(dirname "$newer")"
cp "$path1" "$newer"
set_id "$newer" newer000
python3 -c '
import sqlite3, sys
d = sqlite3.connect(sys.argv[1]); d.execute("PRAGMA user_version=99"); d.commit(); d.close()
' "$newer"
expect_error "newer schema (show)" nonzero "$TALLY" show "$newer"
expect_error "newer schema (export)" nonzero "$TALLY" export --dir "$TMP/newer" newer000
check "the newer-schema message says so" grep -q 'newer' "$TMP/err.err"

# Ids are the ones the files store, whatever the files are called; wandb's
# id alphabet (letters, digits, - _ .) all resolves.
mkdir -p "$TMP/twins/p"
for id in abcd0001 abcd0002 my-run run v1.2_b; do
    cp "$path1" "$TMP/twins/p/20200101-000000-$id.db"
    set_id "$TMP/twins/p/20200101-000000-$id.db" "$id"
done
expect_error "ambiguous id prefix" nonzero "$TALLY" show --dir "$TMP/twins" abcd
check "an ambiguous prefix lists the candidates" \
    sh -c 'grep -q "several runs" "$1" && grep -q "abcd0001" "$1" && grep -q "abcd0002" "$1"' - "$TMP/err.err"
"$TALLY" show --dir "$TMP/twins" --json abcd0002 >/dev/null 2>&1 || fail "a full id beside a twin did not resolve"
# show_id ID: the id show --json reports for RUN argument ID.
show_id() {
    "$TALLY" show --dir "$TMP/twins" --json "$1" 2>/dev/null |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}
check "an id with a dash resolves (my-run)" test "$(show_id my-run)" = my-run
check "id 'run' is its own run, not my-run's" test "$(show_id run)" = run
check "an id with a dot resolves (v1.2_b)" test "$(show_id v1.2_b)" = v1.2_b
check "a unique prefix of a dotted id resolves" test "$(show_id v1.)" = v1.2_b
python3 -c '
import sqlite3, sys
d = sqlite3.connect(sys.argv[1]); d.execute("UPDATE run SET dropped=4321"); d.commit(); d.close()
' "$TMP/twins/p/20200101-000000-run.db"
"$TALLY" show --dir "$TMP/twins" run >"$TMP/dropped.txt" 2>/dev/null || fail "show of a run with drops failed"
check "show says how many values were dropped" grep -Eq '^ *dropped +4321 values not stored' "$TMP/dropped.txt"
check "show --json has the dropped count" sh -c '"$@" | grep -q "\"dropped\":[[:space:]]*4321"' - \
    "$TALLY" show --dir "$TMP/twins" --json run
"$TALLY" show --dir "$TMP/twins" my-run >"$TMP/nodrop.txt" 2>/dev/null || fail "show of my-run failed"
check "show of a run that dropped nothing has no dropped line" sh -c '! grep -q "^ *dropped" "$1"' - "$TMP/nodrop.txt"
mv "$TMP/twins/p/20200101-000000-my-run.db" "$TMP/twins/p/renamed.db"
check "a renamed file still resolves by its stored id" test "$(show_id my-run)" = my-run

# Bad usage: exit 2, nothing on stdout, a usage line on stderr.
usage_error "no command" "$TALLY"
usage_error "unknown command" "$TALLY" frobnicate
usage_error "show without RUN" "$TALLY" show --dir "$store"
usage_error "show with two RUNs" "$TALLY" show --dir "$store" "$id1" "$id2"
usage_error "export --format xml" "$TALLY" export --dir "$store" --format xml "$id1"
usage_error "unknown option" "$TALLY" ls --bogus
usage_error "ls with an argument" "$TALLY" ls --dir "$store" extra
usage_error "demo --steps 0" "$TALLY" demo --dir "$TMP/demo0" --steps 0
check "bad usage wrote no run" [ ! -e "$TMP/demo0" ]

"$TALLY" --version >"$TMP/version" 2>&1 || fail "tally --version failed"
check "tally --version" grep -q '^tally [0-9]' "$TMP/version"
"$TALLY" help >"$TMP/help" 2>&1 || fail "tally help failed"
check "tally help lists the commands" \
    sh -c 'for c in demo ls show export; do grep -q "^  $c " "$1" || exit 1; done' - "$TMP/help"
for c in ls show export demo; do
    "$TALLY" "$c" --help >/dev/null 2>&1 || fail "tally $c --help does not exit 0"
done
pass "every command takes --help"

finish
