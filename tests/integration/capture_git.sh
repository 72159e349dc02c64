#!/bin/sh
# capture_git.sh — git state: inside a throwaway repository whose remote
# holds a password and whose tree is dirty, the run holds the commit, the
# branch, the remote without the secret, dirty: true, and diff.patch; out
# of any repository, the run has no git state and no warning.
set -eu
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python
command -v git >/dev/null 2>&1 || skip "git is not installed"

repo=$TMP/repo
mkdir -p "$repo"
(
    cd "$repo"
    git init -q -b trunk . 2>/dev/null || { git init -q . && git checkout -q -b trunk; }
    git config user.email t@example.com
    git config user.name tester
    git remote add origin https://user:secret@host/x.git
    echo 'lr = 0.1' >train.cfg
    git add train.cfg
    git commit -q -m init
    echo 'lr = 0.2' >train.cfg
)
commit=$(git -C "$repo" rev-parse HEAD)
store=$TMP/store
(cd "$repo" && "$TALLY" run --dir "$store" --project git -- true) >"$TMP/out" 2>"$TMP/err" ||
    die "tally run failed: $(cat "$TMP/err")"
run=$(ls "$store"/git/*.db)
"$TALLY" show --json "$run" >"$TMP/show.json"

py "the run holds commit, branch, remote without the secret, dirty" '
import json, sys
d = json.load(open(sys.argv[1]))
g = d["git"]
assert g["commit"] == sys.argv[2], g
assert g["branch"] == "trunk", g
assert g["remote"] == "https://host/x.git", g
assert g["dirty"] is True, g
assert "secret" not in json.dumps(d), "the password leaked"
assert [f["path"] for f in d["files"]] == ["diff.patch"], d["files"]
' "$TMP/show.json" "$commit"

py "diff.patch holds the change" '
import sqlite3, sys
data = sqlite3.connect(sys.argv[1]).execute(
    "select data from file where path = \"diff.patch\"").fetchone()[0].decode()
assert "-lr = 0.1" in data and "+lr = 0.2" in data, data
' "$run"

# Out of any repository: no git state, nothing on stderr.
mkdir -p "$TMP/plain"
(cd "$TMP/plain" &&
    GIT_CEILING_DIRECTORIES=$TMP "$TALLY" run --dir "$store" --project nogit -- true) \
    >"$TMP/out2" 2>"$TMP/err2"
run2=$(ls "$store"/nogit/*.db)
"$TALLY" show --json "$run2" >"$TMP/show2.json"
py "no repository: no git state" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["git"] is None and d["files"] == [], d
' "$TMP/show2.json"
check "no repository: nothing on stderr" [ ! -s "$TMP/err2" ]
finish
