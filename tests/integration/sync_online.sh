#!/bin/sh
# sync_online.sh — online mode: a run logging live streams to the server
# while it runs; the server goes away for a while and comes back; at the
# end nothing is missing (after a final `tally sync` if the run's own last
# pass could not finish it).
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
set -e

start_fake
TALLY_MODE=online TALLY_SYNC_INTERVAL_MS=300 TALLY_SYNC_FINISH_MS=10000 \
    "$(helper sync_logger)" "$TMP/runs" 500 12 >"$TMP/logger.out" 2>"$TMP/logger.err" &
logger=$!
i=0
while [ ! -s "$TMP/logger.out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
read -r RUN_ID RUN_FILE <"$TMP/logger.out"

rows() {
    python3 "$FAKE" state --port "$FAKE_PORT" 2>/dev/null | python3 -c '
import json, sys
runs = list(json.load(sys.stdin)["runs"].values())
print(len(runs[0]["history"]) if runs else 0)'
}
i=0
while [ "$(rows)" -lt 20 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
live=$(rows)
check "rows reach the server while the run logs ($live so far)" test "$live" -ge 20

stop_fake
sleep 1.5
check "the run keeps logging while the server is away" kill -0 $logger
start_fake
wait $logger || fail "the logger failed: $(cat "$TMP/logger.err")"
check "the run went on" test -s "$RUN_FILE"
state=$(python3 "$FAKE" state --port "$FAKE_PORT" | python3 -c '
import json, sys
r = list(json.load(sys.stdin)["runs"].values())[0]
print("complete" if r["complete"] else "incomplete", len(r["history"]))')
say "after the run: $state"
case $state in complete*) pass "the run's last pass finished the upload" ;;
*) "$TALLY" sync --dir "$TMP/runs" "$RUN_ID" >/dev/null || fail "the final tally sync failed" ;;
esac
check_run "nothing is missing, nothing twice" "$RUN_ID" "$RUN_FILE" --complete --exitcode 0

# The server is gone when the run ends: the run still ends, promptly, and
# `tally sync` finishes the upload later.
rm -f "$TMP/logger.out"
TALLY_MODE=online TALLY_SYNC_INTERVAL_MS=200 TALLY_SYNC_FINISH_MS=1500 \
    TALLY_SYNC_PASS_RETRY_MS=1000 \
    "$(helper sync_logger)" "$TMP/runs" 300 5 >"$TMP/logger.out" 2>"$TMP/logger.err" &
logger=$!
i=0
while [ ! -s "$TMP/logger.out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
read -r RUN_ID RUN_FILE <"$TMP/logger.out"
sleep 0.5
stop_fake
start=$(date +%s)
wait $logger && pass "the run ends normally without its server" ||
    fail "the logger failed: $(cat "$TMP/logger.err")"
elapsed=$(($(date +%s) - start))
check "tally_finish waited at most its budget (${elapsed}s)" test "$elapsed" -le 6
start_fake
check "tally sync completes it later" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
check_run "nothing is missing after the later sync" "$RUN_ID" "$RUN_FILE" --complete --exitcode 0

# A last pass still retrying when tally_finish's budget runs out is stopped,
# and the one warning line says the upload is unfinished (not silence).
stop_fake
TALLY_QUIET= TALLY_MODE=online TALLY_SYNC_FINISH_MS=1000 TALLY_SYNC_PASS_RETRY_MS=60000 \
    "$(helper sync_logger)" "$TMP/runs" 3 0 >"$TMP/logger.out" 2>"$TMP/logger.err" ||
    fail "the logger failed: $(cat "$TMP/logger.err")"
read -r RUN_ID RUN_FILE <"$TMP/logger.out"
if [ "$(grep -c "last pass did not finish within 1.0 s.*tally sync $RUN_ID" "$TMP/logger.err")" = 1 ]; then
    pass "a last pass cut short by the budget says so, once"
else
    fail "a last pass cut short by the budget says so, once: $(cat "$TMP/logger.err")"
fi
finish
