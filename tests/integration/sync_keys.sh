#!/bin/sh
# sync_keys.sh — key hygiene: a key in WANDB_BASE_URL (http://api:KEY@host)
# is used but never stored in the run file nor printed; `tally sync` and
# online mode hold the key in a non-dumpable process; `tally login --host`
# takes only a host[:port]; a symlinked netrc stays a symlink; what sync
# prints from a crafted run file is sanitised; and the retry budget is one
# per run, not one per request.
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
set -e

# no_key DESCRIPTION FILE...: none of the files holds the key.
no_key() {
    desc=$1
    shift
    for f in "$@"; do
        if [ -e "$f" ] && grep -a -q "$FAKE_KEY" "$f"; then
            fail "$desc: the key is in $f"
            return
        fi
    done
    pass "$desc"
}

start_fake
port=$FAKE_PORT
new_run 40

# ---- a key in WANDB_BASE_URL ----
unset WANDB_API_KEY
WANDB_BASE_URL=http://api:$FAKE_KEY@127.0.0.1:$port
export WANDB_BASE_URL
check "sync with the key in WANDB_BASE_URL" sh -c \
    '"$1" sync --dir "$2" "$3" >"$4/url.out" 2>"$4/url.err"' - "$TALLY" "$TMP/runs" "$RUN_ID" "$TMP"
check_run "the server got the run (the URL's key was used)" "$RUN_ID" "$RUN_FILE" --complete
no_key "the key is not in what sync printed" "$TMP/url.out" "$TMP/url.err"
no_key "the key is not in the run file's bytes" "$RUN_FILE" "$RUN_FILE-wal" "$RUN_FILE-shm"
py "the run file's sync target is the bare URL" '
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
rows = db.execute("SELECT DISTINCT target FROM sync").fetchall()
dump = "\n".join(db.iterdump())
assert rows == [("http://127.0.0.1:%s/fake-entity/synctest" % sys.argv[2],)], rows
assert sys.argv[3] not in dump and "api:" not in dump, "the key is in a row"
print(rows[0][0])
' "$RUN_FILE" "$port" "$FAKE_KEY"

# A run file an older tally synced holds its cursors under the target with
# the key in it: the next sync moves them (nothing is sent again) and the
# key leaves the file.
python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE sync SET target = ?", ("http://api:%s@127.0.0.1:%s/fake-entity/synctest" % (sys.argv[2], sys.argv[3]),))
db.commit()
db.close()
' "$RUN_FILE" "$FAKE_KEY" "$port"
check "(an old run file: the key is in its sync table)" grep -a -q "$FAKE_KEY" "$RUN_FILE"
"$TALLY" sync --dir "$TMP/runs" "$RUN_ID" >"$TMP/legacy.out" 2>&1 || fail "sync of the old file failed"
check "it resumes from the old cursors: up to date" grep -q "up to date" "$TMP/legacy.out"
no_key "the key is gone from the old file's bytes" "$RUN_FILE" "$RUN_FILE-wal" "$RUN_FILE-shm"
py "its cursors now stand under the bare target" '
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
rows = db.execute("SELECT DISTINCT target FROM sync").fetchall()
assert rows == [("http://127.0.0.1:%s/fake-entity/synctest" % sys.argv[2],)], rows
assert db.execute("SELECT count(*) FROM sync").fetchone()[0] >= 9
' "$RUN_FILE" "$port"

# A failing sync names the server without the credentials.
stop_fake
expect_error "sync to a dead server with the key in the URL fails" 1 \
    env TALLY_SYNC_RETRY_MS=300 "$TALLY" sync --dir "$TMP/runs" --entity e "$RUN_ID"
no_key "the error does not show the key" "$TMP/err.err"
check "the error names the server" grep -q "127.0.0.1:$port" "$TMP/err.err"
check "and no credentials" sh -c "! grep -q 'api:' '$TMP/err.err'"
start_fake
unset WANDB_API_KEY
WANDB_BASE_URL=http://api:$FAKE_KEY@127.0.0.1:$port

# Online mode takes the key from the URL too, and stores none of it; while
# it holds the key the process is not dumpable, and is again after.
rm -f "$TMP/logger.out"
TALLY_MODE=online TALLY_SYNC_INTERVAL_MS=200 SYNC_LOGGER_DUMPABLE=$TMP/dumpable \
    "$(helper sync_logger)" "$TMP/runs" 60 2 >"$TMP/logger.out" 2>"$TMP/logger.err" ||
    fail "the online logger failed: $(cat "$TMP/logger.err")"
read -r online_id online_file <"$TMP/logger.out"
check_run "online mode synced with the URL's key" "$online_id" "$online_file" --complete
no_key "online mode stored no key" "$online_file" "$online_file-wal" "$TMP/logger.err"
check "online mode: not dumpable while running, dumpable after tally_finish" \
    test "$(cat "$TMP/dumpable")" = "0 1"
# Offline, nothing changes.
TALLY_MODE=offline SYNC_LOGGER_DUMPABLE=$TMP/dumpable \
    "$(helper sync_logger)" "$TMP/runs" 5 0 >/dev/null 2>&1 || fail "the offline logger failed"
check "offline mode leaves the process dumpable" test "$(cat "$TMP/dumpable")" = "1 1"

WANDB_BASE_URL=http://127.0.0.1:$port
WANDB_API_KEY=$FAKE_KEY
export WANDB_BASE_URL WANDB_API_KEY

# A base URL that is not one is refused, without echoing it.
expect_error "a WANDB_BASE_URL with a newline is refused" 1 \
    env "WANDB_BASE_URL=http://127.0.0.1:$port
x" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
check "it says which variable" grep -q "WANDB_BASE_URL is not a usable" "$TMP/err.err"

# ---- tally sync is not dumpable while it holds the key ----
# Asked to dump core (SIGQUIT) while it waits on a slow server, it leaves
# none; a dumpable process in the same place does (else: cannot tell here).
mkdir -p "$TMP/core"
stop_fake
start_fake --delay-s 3
new_run 10
if (ulimit -c unlimited) 2>/dev/null && [ "$(cat /proc/sys/kernel/core_pattern)" = core ]; then
    (
        cd "$TMP/core"
        ulimit -c unlimited
        sleep 30 &
        control=$!
        "$TALLY" sync --dir "$TMP/runs" "$RUN_ID" >/dev/null 2>&1 &
        syncer=$!
        sleep 1
        kill -QUIT $control $syncer
        wait $control || true
        wait $syncer || true
    )
    cores=$(find "$TMP/core" -name 'core*' | wc -l)
    if [ "$cores" -ge 1 ]; then
        check "tally sync dumps no core while it holds the key ($cores core(s): the control's)" \
            test "$cores" -eq 1
    else
        say "no core dump for the control process here: the core check is skipped"
    fi
else
    say "cores cannot be raised or go elsewhere here: the core check is skipped"
fi
stop_fake
start_fake

# ---- tally login --host ----
unset WANDB_API_KEY
HOME=$TMP/home
mkdir -p "$HOME"
printf 'machine other.example\n  login user\n  password %s\n' "$FAKE_KEY" >"$HOME/.netrc"
cp "$HOME/.netrc" "$TMP/netrc.before"
for bad in "127.0.0.1:$port
machine evil.example login x password y" "127.0.0.1:$port/path" "api:$FAKE_KEY@127.0.0.1:$port" \
    "ftp://127.0.0.1:$port" "host name" "127.0.0.1:99999"; do
    expect_error "login --host refuses $(printf '%s' "$bad" | head -1 | cut -c1-30)..." 1 \
        "$TALLY" login --host "$bad" "$FAKE_KEY"
    check "  and leaves the netrc unchanged" cmp -s "$HOME/.netrc" "$TMP/netrc.before"
done
check "the refusal says what --host takes" grep -q "host\[:port\]" "$TMP/err.err"
check "login --host http://HOST:PORT/ is fine" "$TALLY" login --host "http://127.0.0.1:$port/" \
    "$FAKE_KEY"
check "the entry is for host:port" grep -q "^machine 127.0.0.1:$port\$" "$HOME/.netrc"
# With the key in WANDB_BASE_URL, login stores the host only.
WANDB_BASE_URL=http://api:$FAKE_KEY@127.0.0.1:$port "$TALLY" login "$FAKE_KEY" 2>"$TMP/login.err" ||
    fail "login with credentials in WANDB_BASE_URL failed"
no_key "login did not print the URL's key" "$TMP/login.err"
check "and the netrc names only the host" sh -c "! grep -q '@' '$HOME/.netrc'"

# A symlinked netrc (a dotfiles repository): the link stays, the target
# gets the entry, and sync finds the key through it.
mkdir -p "$TMP/dotfiles"
mv "$HOME/.netrc" "$TMP/dotfiles/netrc"
ln -s ../dotfiles/netrc "$HOME/.netrc"
printf 'machine 127.0.0.1:%s\n  login user\n  password stale-%s\n' "$port" "$FAKE_KEY" \
    >"$TMP/dotfiles/netrc"
check "login through a symlinked netrc" "$TALLY" login --host "127.0.0.1:$port" "$FAKE_KEY"
check "~/.netrc is still a symlink" test -L "$HOME/.netrc"
check "to the same target" test "$(readlink "$HOME/.netrc")" = ../dotfiles/netrc
check "the target got the new key" grep -q "password $FAKE_KEY\$" "$TMP/dotfiles/netrc"
check "and lost the stale one" sh -c "! grep -q stale- '$TMP/dotfiles/netrc'"
check "the target is private (0600)" test "$(stat -c %a "$TMP/dotfiles/netrc")" = 600
new_run 5
check "sync finds the key through the link" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
rm "$TMP/dotfiles/netrc"
expect_error "a dangling netrc link is refused" 1 "$TALLY" login --host "127.0.0.1:$port" \
    "$FAKE_KEY"
check "  with a message about the link" grep -q "symbolic link" "$TMP/err.err"
check "  and stays a link" test -L "$HOME/.netrc"
# A netrc that cannot be written says why, in the system's words.
mkdir "$TMP/dotfiles/netrc"
expect_error "a netrc link to a directory is refused" 1 "$TALLY" login --host "127.0.0.1:$port" \
    "$FAKE_KEY"
check "  as a directory" grep -q "dotfiles/netrc: Is a directory\$" "$TMP/err.err"
check "  which is left alone" sh -c '[ -d "$1" ] && [ -z "$(ls -A "$1")" ]' - "$TMP/dotfiles/netrc"
expect_error "a NETRC in a directory that does not exist is refused" 1 \
    env NETRC="$TMP/nowhere/netrc" "$TALLY" login --host "127.0.0.1:$port" "$FAKE_KEY"
check "  with the reason" grep -q "nowhere/netrc: No such file or directory\$" "$TMP/err.err"
HOME=$TMP
WANDB_API_KEY=$FAKE_KEY
export WANDB_API_KEY

# ---- what sync prints from a crafted run file ----
new_run 5
crafted=$TMP/crafted.db
cp "$RUN_FILE" "$crafted"
python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE run SET id = ?", ("ev\x1b]0;owned\x07il\x1b[2J\u009b31m\u202e",))
db.commit()
' "$crafted"
# has_controls FILE: ESC, BEL, C1 CSI or a bidi override in it.
has_controls() {
    python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
sys.exit(0 if any(x in b for x in (b"\x1b", b"\x07", "\u009b".encode(), "\u202e".encode())) else 1)
' "$1"
}
"$TALLY" sync --dir "$TMP/runs" --dry-run --entity e "$crafted" >"$TMP/crafted.out" \
    2>"$TMP/crafted.err" || fail "dry run of the crafted run failed: $(cat "$TMP/crafted.err")"
check "the crafted run id is printed" grep -q "ev.*il" "$TMP/crafted.out"
if has_controls "$TMP/crafted.out"; then fail "the result line has escape sequences"; else
    pass "without its escape sequences (result line)"; fi
stop_fake
set +e
TALLY_SYNC_RETRY_MS=200 "$TALLY" sync --dir "$TMP/runs" --entity e "$crafted" \
    >"$TMP/crafted.out" 2>"$TMP/crafted.err"
set -e
check "a failing sync names the crafted run" grep -q "ev.*il" "$TMP/crafted.err"
if has_controls "$TMP/crafted.err"; then fail "the error line has escape sequences"; else
    pass "without its escape sequences (error line)"; fi

# ---- the retry budget is the run's ----
# Every request fails (500).  With --entity the sync makes two requests
# before it gives up (ServerFeatures, which may fail, then UpsertBucket): a
# budget per request spends it twice; the run's budget is spent once.
rm -f "$TMP/fake.json"
FAKE_PORT=
start_fake --fail-rate 1 --fail-modes 500
new_run 5
start=$(python3 -c 'import time; print(time.time())')
expect_error "a server that always fails: the sync gives up" 1 \
    env TALLY_SYNC_RETRY_MS=2500 "$TALLY" sync --dir "$TMP/runs" --entity e "$RUN_ID"
py "it gave up after one budget (2.5 s) for the run, not one a request" '
import sys, time
took = time.time() - float(sys.argv[1])
assert 2.4 <= took < 4.5, "%.2f s" % took
print("%.2f s" % took)
' "$start"
check "the message says it gave up" grep -q "gave up after" "$TMP/err.err"
# Each run gets a whole budget of its own, in one `tally sync`.
first_id=$RUN_ID
new_run 5
start=$(python3 -c 'import time; print(time.time())')
set +e
TALLY_SYNC_RETRY_MS=1500 "$TALLY" sync --dir "$TMP/runs" --entity e "$first_id" "$RUN_ID" \
    >/dev/null 2>"$TMP/two.err"
rc=$?
set -e
check "two runs against a dead server: exit 1" test "$rc" -eq 1
py "each run retried for its own budget (1.5 s each)" '
import re, sys, time
took = time.time() - float(sys.argv[1])
lines = open(sys.argv[2]).read().splitlines()
tries = [int(m.group(1)) for l in lines for m in [re.search(r"gave up after (\d+) attempt", l)] if m]
# The second run starts with a fresh budget: it retries (without the reset
# it would give up after its first attempt, the first run having spent all).
assert len(tries) == 2 and tries[1] >= 2, lines
# More than one budget was spent (one alone is at most 1.5 s); each run may
# give up a little before its budget ends, when its next backoff (with
# jitter) would not fit, so two budgets take a little under 3 s.
assert 2.5 <= took < 6, "%.2f s" % took
print("%.2f s, %s attempts" % (took, tries))
' "$start" "$TMP/two.err"
finish
