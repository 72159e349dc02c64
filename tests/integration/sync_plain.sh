#!/bin/sh
# sync_plain.sh — `tally sync` against the fake W&B server: the server ends
# up with exactly the run (history row for row as `tally export` prints it,
# system events, console lines, summary, config, files, complete/exitcode);
# a second sync sends nothing; --json, --dry-run and `tally login` work.
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
set -e

start_fake
new_run 600
check "tally sync exits 0" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
check_run "the server has the run as tally export has it" "$RUN_ID" "$RUN_FILE" \
    --complete --exitcode 0

before=$(fake_count file_stream)
ups=$(fake_count upsert)
out=$("$TALLY" sync --dir "$TMP/runs" "$RUN_ID")
case $out in *"up to date"*) pass "a second sync says up to date" ;;
*) fail "a second sync: $out" ;; esac
check "a second sync sends nothing new" \
    test "$(fake_count file_stream)" = "$before" -a "$(fake_count upsert)" = "$ups"

# A running run syncs up to what it has written, and again later.
"$(helper sync_logger)" "$TMP/runs" 300 5 >"$TMP/live.out" &
logger=$!
i=0
while [ ! -s "$TMP/live.out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
read -r LIVE_ID LIVE_FILE <"$TMP/live.out"
sleep 0.6
"$TALLY" sync --dir "$TMP/runs" --json "$LIVE_ID" >"$TMP/sync.json"
py "a running run syncs what it has so far, not complete" '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
assert r["ok"] and r["running"] and not r["complete"] and 0 < r["history"] < 300, r
print(r["history"], "rows so far")
' "$TMP/sync.json"
wait $logger
check "synced again once it finished" "$TALLY" sync --dir "$TMP/runs" "$LIVE_ID"
check_run "the run synced in two goes is whole" "$LIVE_ID" "$LIVE_FILE" --complete

# A failed run keeps its exit code; --json is one JSON document.
new_run 50 0 3
"$TALLY" sync --dir "$TMP/runs" --json "$RUN_ID" >"$TMP/sync.json"
py "--json is a summary scripts can read" '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][0]
assert d["ok"] and r["ok"] and r["run"] == sys.argv[2], d
assert r["history"] == 50 and r["complete"] and r["rows_synced"] == 50, r
' "$TMP/sync.json" "$RUN_ID"
check_run "a failed run lands with its exit code" "$RUN_ID" "$RUN_FILE" --complete --exitcode 3

# --dry-run sends no run data and stores no cursor.
new_run 40
before=$(fake_count requests)
out=$("$TALLY" sync --dir "$TMP/runs" --dry-run --entity someone "$RUN_ID")
case $out in *"would send 40 rows"*) pass "--dry-run says what it would send" ;;
*) fail "--dry-run: $out" ;; esac
check "--dry-run sends nothing" test "$(fake_count requests)" = "$before"
"$TALLY" sync --dir "$TMP/runs" --json "$RUN_ID" >"$TMP/sync.json"
py "after a dry run, the real sync sends everything" '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
assert r["history"] == 40 and r["complete"], r
' "$TMP/sync.json"

# tally login stores the key in the netrc file, mode 0600; sync finds it there.
NETRC=$TMP/netrc
export NETRC
printf 'machine other.example\n  login x\n  password keepme\n' >"$NETRC"
echo "$FAKE_KEY" | "$TALLY" login --host "$WANDB_BASE_URL" 2>/dev/null
check "tally login writes the netrc file with mode 0600" \
    test "$(stat -c %a "$NETRC")" = 600
check "tally login keeps the other entries" grep -q keepme "$NETRC"
check "tally login stores the key for host:port" \
    grep -q "machine 127.0.0.1:$FAKE_PORT" "$NETRC"
unset WANDB_API_KEY
new_run 20
check "tally sync reads the key from the netrc file" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
expect_error "tally login refuses what is not a key" 1 "$TALLY" login --host "$WANDB_BASE_URL" short

# --all syncs every run; all are up to date now except none.
out=$("$TALLY" sync --dir "$TMP/runs" --all)
check "--all goes through every run" test "$(printf '%s\n' "$out" | grep -c 'up to date')" = 5
finish
