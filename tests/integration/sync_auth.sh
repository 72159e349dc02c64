#!/bin/sh
# sync_auth.sh — a refused key fails at once (no retries) with a clear
# message and a non-zero exit; no key at all says how to get one; the key
# never shows in what tally prints.
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
set -e

# Default backoff: a retried 401 would take seconds.
unset TALLY_SYNC_BACKOFF_MS TALLY_SYNC_BACKOFF_MAX_MS TALLY_SYNC_RETRY_MS
start_fake --reject-key
new_run 30
start=$(date +%s)
expect_error "a refused key fails with one line" 1 "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
elapsed=$(($(date +%s) - start))
check "it fails at once (${elapsed}s)" test "$elapsed" -le 2
check "the message says the key was refused" grep -q "API key was refused" "$TMP/err.err"
check "the message does not show the key" sh -c "! grep -q '$FAKE_KEY' '$TMP/err.err'"
check "the key is not in the run file" sh -c "! grep -q '$FAKE_KEY' '$RUN_FILE'"
check "only one request was made" test "$(fake_count unauthorized)" -le 2

unset WANDB_API_KEY
expect_error "no key at all says how to get one" 1 "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
check "the message names tally login" grep -q "tally login" "$TMP/err.err"

WANDB_API_KEY=$FAKE_KEY
export WANDB_API_KEY
expect_error "an unknown run is an error" 1 "$TALLY" sync --dir "$TMP/runs" nosuchrun
finish
