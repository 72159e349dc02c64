#!/bin/sh
# sync_kill.sh — `kill -9` of `tally sync` midway, then sync again: the run
# is complete on the server with no row twice (cursors move only after the
# server acknowledged, and offsets make a resent request idempotent).
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
set -e

TALLY_SYNC_MAX_BODY=8000
export TALLY_SYNC_MAX_BODY
start_fake --delay-s 0.02
new_run 2000
kill_sync_after 5 "$RUN_ID"
partial=$(python3 "$FAKE" state --port "$FAKE_PORT" | python3 -c '
import json, sys
r = list(json.load(sys.stdin)["runs"].values())[0]
print(len(r["history"]))')
check "the killed sync stopped midway ($partial of 2000 rows)" \
    test "$partial" -gt 0 -a "$partial" -lt 2000
check "sync again after kill -9" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
check_run "complete, no row twice" "$RUN_ID" "$RUN_FILE" --complete
finish
