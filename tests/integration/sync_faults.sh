#!/bin/sh
# sync_faults.sh — the server fails 30% of requests (500, 429 with
# Retry-After, connections dropped before or after it applied the request,
# answers slower than the client's timeout): the sync still ends with every
# row exactly once, and gzip bodies work.
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
set -e

TALLY_SYNC_MAX_BODY=6000 TALLY_SYNC_TIMEOUT_MS=500 # many small requests, so many faults
export TALLY_SYNC_MAX_BODY TALLY_SYNC_TIMEOUT_MS
start_fake --fail-rate 0.3 --seed 7 --slow-s 0.8 --retry-after 0 --gzip
new_run 1200
"$TALLY" sync --dir "$TMP/runs" --json "$RUN_ID" >"$TMP/sync.json" ||
    die "tally sync failed: $(cat "$TMP/sync.json")"
py "the sync retried its way through the faults" '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
assert r["ok"] and r["retries"] > 3 and r["history"] == 1200, r
print(r["retries"], "retries")
' "$TMP/sync.json"
check_run "every row exactly once despite 30% failures" "$RUN_ID" "$RUN_FILE" --complete
py "faults of every kind were injected" '
import json, sys, urllib.request
s = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/state" % sys.argv[1]))
kinds = [k for k in s["counts"] if k.startswith("injected-")]
assert len(kinds) >= 4, s["counts"]
' "$FAKE_PORT"

# 429 with Retry-After: 1 — the client waits the server's second, not its
# own 20 ms backoff.
stop_fake
rm -f "$TMP/fake.json"
FAKE_PORT=
start_fake --fail-rate 0.3 --fail-modes 429 --seed 3 --retry-after 1
new_run 30
start=$(python3 -c 'import time; print(time.time())')
check "sync through 429s" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
n429=$(fake_count injected-429)
py "each 429 cost its Retry-After second ($n429 of them)" '
import sys, time
start, n = float(sys.argv[1]), int(sys.argv[2])
took = time.time() - start
assert n >= 1, "no 429 was injected"
assert took >= n * 0.95, "%.2f s for %d answers of Retry-After: 1" % (took, n)
print("%.2f s for %d" % (took, n))
' "$start" "$n429"
check_run "and the run is whole" "$RUN_ID" "$RUN_FILE" --complete
finish
