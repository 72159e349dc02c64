# sync_lib.sh — what the sync tests share, on top of lib.sh.  Sourced.
#
# start_fake [ARGS...] starts tests/fake_wandb.py on a free 127.0.0.1 port
# (state kept in $TMP/fake.json, so a restart keeps what it received) and
# points WANDB_BASE_URL / WANDB_API_KEY at it; stop_fake stops it;
# kill_sync_after N RUN_ID kills a `tally sync` midway.  Sync's
# timing knobs are set short so faults cost milliseconds, not minutes.
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python

FAKE=$TOP_SRCDIR/tests/fake_wandb.py
FAKE_KEY=fake-0123456789abcdef0123456789abcdef01234567
FAKE_PID=
FAKE_PORT=
# Nothing from the caller's environment: no real key, no real netrc, only 127.0.0.1.
unset WANDB_API_KEY WANDB_ENTITY WANDB_PROJECT WANDB_BASE_URL NETRC
HOME=$TMP
export HOME
TALLY_SYNC_TIMEOUT_MS=1000 TALLY_SYNC_BACKOFF_MS=20 TALLY_SYNC_BACKOFF_MAX_MS=200
TALLY_SYNC_RETRY_MS=30000
export TALLY_SYNC_TIMEOUT_MS TALLY_SYNC_BACKOFF_MS TALLY_SYNC_BACKOFF_MAX_MS TALLY_SYNC_RETRY_MS

stop_fake() {
    if [ -n "$FAKE_PID" ]; then
        kill "$FAKE_PID" 2>/dev/null || true
        wait "$FAKE_PID" 2>/dev/null || true
        FAKE_PID=
    fi
}
trap 'stop_fake; rm -rf "$TMP"' EXIT

start_fake() {
    rm -f "$TMP/fake.port"
    port_arg=
    [ -n "$FAKE_PORT" ] && port_arg="--port $FAKE_PORT"
    # shellcheck disable=SC2086
    python3 "$FAKE" serve --port-file "$TMP/fake.port" --state "$TMP/fake.json" $port_arg "$@" \
        2>>"$TMP/fake.log" &
    FAKE_PID=$!
    i=0
    while [ ! -s "$TMP/fake.port" ]; do
        i=$((i + 1))
        [ $i -gt 100 ] && die "the fake server did not start: $(cat "$TMP/fake.log")"
        sleep 0.05
    done
    FAKE_PORT=$(cat "$TMP/fake.port")
    WANDB_BASE_URL=http://127.0.0.1:$FAKE_PORT
    WANDB_API_KEY=$FAKE_KEY
    export WANDB_BASE_URL WANDB_API_KEY
}

# fake_count NAME: a counter of the fake server (requests, file_stream, upsert...).
fake_count() {
    python3 "$FAKE" state --port "$FAKE_PORT" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"].get(sys.argv[1], 0))' "$1"
}

# check_run DESCRIPTION RUN_ID RUN_FILE [check options]: the server has exactly
# what `tally export` (with the bare non-finite tokens the server keeps) and
# the run file hold.
check_run() {
    desc=$1 id=$2 file=$3
    shift 3
    "$TALLY" export --json-nonfinite=bare "$file" >"$TMP/export.jsonl" || die "tally export failed"
    if out=$(python3 "$FAKE" check --port "$FAKE_PORT" --run "$id" --export "$TMP/export.jsonl" \
        --db "$file" "$@" 2>&1); then
        pass "$desc ($out)"
    else
        fail "$desc"
        printf '%s\n' "$out" | sed 's/^/     /' | head -20
    fi
}

# new_run STEPS [DELAY_MS [EXIT_CODE]]: logs a run, sets RUN_ID and RUN_FILE.
new_run() {
    out=$("$(helper sync_logger)" "$TMP/runs" "$1" "${2:-0}" "${3:-0}") || die "sync_logger failed"
    RUN_ID=${out%% *}
    RUN_FILE=${out#* }
}

# kill_sync_after N RUN_ID: `tally sync RUN_ID` in the background, killed
# with -9 once the fake server has N more file_stream requests (or after
# 15 s).
kill_sync_after() {
    "$TALLY" sync --dir "$TMP/runs" "$2" >/dev/null 2>&1 &
    pid=$!
    until=$(($(fake_count file_stream) + $1))
    i=0
    while [ "$(fake_count file_stream)" -lt $until ] && [ $i -lt 300 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
}
