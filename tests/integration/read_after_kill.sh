#!/bin/sh
# read_after_kill.sh — every reading command works on a run file right
# after the process writing it got kill -9, at any moment.
#
# A finished run is in rollback-journal mode, and `tally sync` writes its
# cursors into it.  Killed in the middle of such a commit, it leaves a hot
# journal: the file is consistent only once the journal is played back,
# which a read-only connection may not do.  Readers used to fail with
# "permission denied" then, `tally sync` itself included, until something
# opened the file read-write.  Here:
#   1. a hot journal over pages already written to the file (a transaction
#      whose cache spilled, then SIGKILL): reads must play it back and see
#      the run exactly as before; the file is clean afterwards;
#   2. `tally sync` killed at random moments, half of them inside a cursor
#      commit, each time read at once (every other time while it dies);
#   3. the run's own writer killed at random moments from its start to
#      past tally_finish(), read at once: crashed or finished, never
#      unreadable, and reading adds no file beside it.
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
set -eu

SYNC_KILLS=12
WRITER_KILLS=10

# rand_s LO HI: a random moment LO to HI milliseconds away, in seconds.
rand_s() {
    r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    awk -v r="$r" -v lo="$1" -v hi="$2" 'BEGIN { printf "%.3f", (lo + r % (hi - lo)) / 1000 }'
}

# side_files RUN_FILE: the names beside the run file that SQLite makes.
side_files() {
    for s in -journal -wal -shm; do
        [ ! -e "$1$s" ] || printf '%s ' "$s"
    done
}

# read_all DIR RUN TAG: every reading command on the run (RUN: its file, or
# its id, which each command resolves under DIR by reading the files'
# stored ids); the output of each is kept as $TMP/TAG.<command>.  Returns
# nonzero, saying which, when any failed.
read_all() {
    read_rc=0
    "$TALLY" export --dir "$1" "$2" >"$TMP/$3.export" 2>"$TMP/$3.err" || { read_rc=1; echo "export: $(cat "$TMP/$3.err")"; }
    "$TALLY" show --json --dir "$1" "$2" >"$TMP/$3.show" 2>"$TMP/$3.err" || { read_rc=1; echo "show: $(cat "$TMP/$3.err")"; }
    "$TALLY" logs --dir "$1" "$2" >"$TMP/$3.logs" 2>"$TMP/$3.err" || { read_rc=1; echo "logs: $(cat "$TMP/$3.err")"; }
    "$TALLY" ls --json --dir "$1" >"$TMP/$3.ls" 2>"$TMP/$3.err" || { read_rc=1; echo "ls: $(cat "$TMP/$3.err")"; }
    [ ! -s "$TMP/$3.err" ] || { read_rc=1; echo "ls warned: $(cat "$TMP/$3.err")"; }
    return $read_rc
}

# --- 1. a hot journal over pages already in the file --------------------
new_run 300
"$TALLY" export "$RUN_FILE" >"$TMP/reference.export" || die "export of the fresh run failed"
"$TALLY" logs "$RUN_FILE" >"$TMP/reference.logs" || die "logs of the fresh run failed"
[ -z "$(side_files "$RUN_FILE")" ] || die "the finished run has side files: $(side_files "$RUN_FILE")"
before=$(cksum <"$RUN_FILE")
# One page of cache: the update spills, so SQLite writes the journal's
# header and then the changed pages into the file itself, as a commit
# does.  SIGKILL before the commit ends.
spill_and_die() {
    (python3 - "$@" || true) 2>/dev/null
}
spill_and_die "$RUN_FILE" <<'EOF'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA cache_size = 1")
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE chunk SET data = zeroblob(length(data))")
db.execute("UPDATE log SET line = 'overwritten'")
os.kill(os.getpid(), 9)
EOF
check "the killed transaction left a hot journal over a changed file" \
    test -s "$RUN_FILE-journal" -a "$(cksum <"$RUN_FILE")" != "$before"
if out=$(read_all "$TMP/runs" "$RUN_ID" hot); then
    pass "export, show, logs and ls read the run"
else
    fail "reading the run after the kill: $out"
fi
check "export: the run exactly as before the killed transaction" \
    cmp -s "$TMP/reference.export" "$TMP/hot.export"
check "logs: the console exactly as before" cmp -s "$TMP/reference.logs" "$TMP/hot.logs"
check "the journal was played back: the file is as before, nothing beside it" \
    test "$(cksum <"$RUN_FILE")" = "$before" -a -z "$(side_files "$RUN_FILE")"

# Without write access nobody may play the journal back: a clear error,
# nothing else.  (root writes anyway, so only as another user.)
if [ "$(id -u)" -ne 0 ]; then
    spill_and_die "$RUN_FILE" <<'EOF'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA cache_size = 1")
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE chunk SET data = zeroblob(length(data))")
os.kill(os.getpid(), 9)
EOF
    chmod a-w "$RUN_FILE" "$(dirname "$RUN_FILE")"
    expect_error "a hot journal in a write-protected run: one line, permission denied" \
        1 "$TALLY" export "$RUN_FILE"
    chmod u+w "$RUN_FILE" "$(dirname "$RUN_FILE")"
    check "readable again once writable" read_all "$TMP/runs" "$RUN_FILE" writable
fi

# --- 2. tally sync killed at random moments ------------------------------
# A run of its own: what part 1 did (or failed to undo) stays out of it.
rm -rf "$TMP/runs"
new_run 300
"$TALLY" export "$RUN_FILE" >"$TMP/reference.export" || die "export of the fresh run failed"
TALLY_SYNC_MAX_BODY=2000 # many small requests: a cursor commit after each
export TALLY_SYNC_MAX_BODY
start_fake
bad=0
i=0
while [ $i -lt $SYNC_KILLS ]; do
    i=$((i + 1))
    # A project of its own each time: a new target, so a sync from the start.
    "$TALLY" sync --dir "$TMP/runs" --project "kill$i" "$RUN_ID" >/dev/null 2>&1 &
    pid=$!
    sleep "$(rand_s 50 400)"
    # Half the time at the next sight of a journal: inside a cursor
    # commit, where a kill leaves it hot (a random moment rarely is).
    if [ $((i % 4)) -lt 2 ]; then
        n=0
        while [ ! -e "$RUN_FILE-journal" ] && [ $n -lt 100000 ]; do
            n=$((n + 1))
        done
    fi
    kill -9 $pid 2>/dev/null || true
    # Every other time the reads race the dying process (its locks go
    # when the kernel is done with it, not when kill returns).
    [ $((i % 2)) -eq 1 ] || wait $pid 2>/dev/null || true
    read_all "$TMP/runs" "$RUN_ID" sync >"$TMP/sync.out" && failed=0 || failed=1
    wait $pid 2>/dev/null || true
    out=$(cat "$TMP/sync.out")
    if [ "$failed" -ne 0 ]; then
        bad=$((bad + 1))
        [ $bad -gt 3 ] || say "after sync kill $i: $out"
    elif ! cmp -s "$TMP/reference.export" "$TMP/sync.export"; then
        bad=$((bad + 1))
        say "after sync kill $i: the export differs from the run's"
    fi
done
check "$SYNC_KILLS syncs killed (random moments, half of them inside a commit): read at once each time ($bad failed)" \
    test $bad -eq 0
if "$TALLY" sync --dir "$TMP/runs" --project "kill$i" "$RUN_ID" >/dev/null; then
    pass "a sync after them all completes"
else
    fail "a sync after them all failed"
fi
check "reads left nothing beside the finished run" test -z "$(side_files "$RUN_FILE")"
stop_fake

# --- 3. the writer killed at random moments ------------------------------
logger=$(helper crash_logger)

# First the moment with nothing flushed yet: a run row and no metric at all.
"$logger" --dir "$TMP/early" --flush-ms 60000 >"$TMP/steps" 2>/dev/null &
pid=$!
i=0
while ! grep -q '^run ' "$TMP/steps" && [ $i -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
path=$(awk '$1 == "run" { print $3; exit }' "$TMP/steps")
[ -n "$path" ] || die "crash_logger did not say where its run is"
if out=$(read_all "$TMP/early" "$path" early); then
    pass "killed before its first flush: export, show, logs and ls read it"
else
    fail "killed before its first flush: $out"
fi
check "... an empty export" test ! -s "$TMP/early.export"
py "... crashed in show and ls" '
import json, sys
show, ls = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert show["state"] == "crashed" and show["rows"] == 0, show
assert [r["state"] for r in ls] == ["crashed"], ls
' "$TMP/early.show" "$TMP/early.ls"
bad=0
seen=0
i=0
while [ $i -lt $WRITER_KILLS ]; do
    i=$((i + 1))
    store=$TMP/writer$i
    # 20,000 steps at full speed, 5 ms flushes: about 0.1 s from
    # tally_init() returning to tally_finish() here, so the moments picked
    # fall between flushes, inside one, in tally_finish and after it.  Every
    # other time the moment counts from the start instead, which may fall
    # inside tally_init (a slow build reaches less of the run, not more).
    "$logger" --dir "$store" --flush-ms 5 --steps 20000 >"$TMP/steps" 2>/dev/null &
    pid=$!
    if [ $((i % 2)) -eq 0 ]; then
        sleep "$(rand_s 5 160)"
    else
        n=0
        while ! grep -q '^run ' "$TMP/steps" && [ $n -lt 1000 ]; do
            sleep 0.01
            n=$((n + 1))
        done
        sleep "$(rand_s 0 130)"
    fi
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    path=$(awk '$1 == "run" { print $3; exit }' "$TMP/steps")
    if [ -z "$path" ]; then
        # Killed inside tally_init: a half-made file at most, which ls
        # names as skipped; it must not fail.
        if [ -d "$store" ] && ! "$TALLY" ls --dir "$store" >/dev/null 2>&1; then
            bad=$((bad + 1))
            say "ls failed after writer kill $i (inside tally_init)"
        fi
        continue
    fi
    seen=$((seen + 1))
    files=$(side_files "$path")
    steps=$(grep -c '^[0-9]' "$TMP/steps" || true)
    if ! out=$(read_all "$store" "$path" writer); then
        bad=$((bad + 1))
        [ $bad -gt 3 ] || say "after writer kill $i: $out"
        continue
    fi
    state=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["state"])' \
        "$TMP/writer.show")
    listed=$(python3 -c 'import json, sys; print(" ".join(r["state"] for r in json.load(open(sys.argv[1]))))' \
        "$TMP/writer.ls")
    rows=$(wc -l <"$TMP/writer.export" | tr -d ' ')
    case $state in
    finished) [ "$rows" -eq 20000 ] || { bad=$((bad + 1)); say "after writer kill $i: finished with $rows rows"; } ;;
    # A step may be flushed between its commit and its print: one more row.
    crashed) [ "$rows" -le $((steps + 1)) ] || { bad=$((bad + 1)); say "after writer kill $i: $rows rows, $steps committed"; } ;;
    *)
        bad=$((bad + 1))
        say "after writer kill $i: show says $state"
        ;;
    esac
    [ "$listed" = "$state" ] || { bad=$((bad + 1)); say "after writer kill $i: ls says '$listed', show '$state'"; }
    # Reading may play a journal back (and remove it), never add a file.
    for s in $(side_files "$path"); do
        case " $files" in
        *" $s "*) ;;
        *)
            bad=$((bad + 1))
            say "after writer kill $i: reading left $s beside the run (before: '$files')"
            ;;
        esac
    done
    say "writer kill $i: $state, $steps steps committed, $rows rows read${files:+, beside it: $files}"
done
check "$WRITER_KILLS writers killed at random moments ($seen with a run): every read works, state crashed or finished ($bad failed)" \
    test $bad -eq 0
finish
