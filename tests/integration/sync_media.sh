#!/bin/sh
# sync_media.sh — media to the fake W&B server: a run logging every type
# over 100 steps lands as wandb's SDK would log it (the fake checks each
# history object, path, sha256 and the upload order); every file `tally
# media` writes is PUT exactly once with its sha256; a second sync PUTs
# nothing; a sync killed with kill -9 and run again PUTs no file twice;
# PUT faults are retried, a refused PUT is a clear error; --dry-run counts
# the files; online mode uploads them while the run lives.
. "$TOP_SRCDIR/tests/integration/sync_lib.sh"
set -e

# media_run STEPS [DELAY_MS]: a run of sync_media_logger; sets RUN_ID and RUN_FILE.
media_run() {
    out=$("$(helper sync_media_logger)" "$TMP/runs" "$1" "${2:-0}") ||
        die "sync_media_logger failed"
    RUN_ID=${out%% *}
    RUN_FILE=${out#* }
}
# media_dir ID: what `tally media` writes for the run, in $TMP/media-ID;
# MEDIA="--media DIR" for check_run, nfiles the count.
media_dir() {
    rm -rf "$TMP/media-$1"
    "$TALLY" media --dir "$TMP/runs" "$1" -o "$TMP/media-$1" >/dev/null || die "tally media failed"
    nfiles=$(find "$TMP/media-$1/media" -type f | wc -l | tr -d ' ')
    MEDIA="--media $TMP/media-$1"
}

start_fake
media_run 100
media_dir "$RUN_ID"
"$TALLY" sync --dir "$TMP/runs" --dry-run --json "$RUN_ID" >"$TMP/dry.json"
py "--dry-run counts every media file once ($nfiles)" '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
assert r["files"] == int(sys.argv[2]), (r["files"], sys.argv[2])
' "$TMP/dry.json" "$nfiles"
check "--dry-run uploads nothing" test "$(fake_count media_upload)" = 0

check "tally sync of a run with media exits 0" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
check_run "every file once with its sha256, every row's files there first" "$RUN_ID" \
    "$RUN_FILE" --complete --exitcode 0 $MEDIA
py "the server has every type, the charts in the config" '
import json, sys, urllib.request
state = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/state" % sys.argv[1]))
r = [v for k, v in state["runs"].items() if k.endswith("/" + sys.argv[2])][0]
types = set()
for line in r["history"]:
    for v in json.loads(line).values():
        if isinstance(v, dict) and "_type" in v:
            types.add(v["_type"])
want = {"image-file", "images/separated", "histogram", "table-file", "audio-file", "video-file"}
assert types == want, types
config = json.loads(r["upsert"]["config"])
vis = config["_wandb"]["value"]["visualize"]
assert sorted(vis) == ["bars", "loss_chart"], vis
pc = vis["loss_chart"]["panel_config"]
assert pc["panelDefId"] == "wandb/line/v0" and pc["fieldSettings"] == {"x": "step", "y": "loss"}, pc
assert pc["stringSettings"] == {"title": "Loss"}, pc
assert vis["bars"]["panel_config"]["panelDefId"] == "wandb/bar/v0", vis
last = json.loads(r["history"][-1])
assert last["loss_chart_table"]["_type"] == "table-file", last
summary = json.loads(r["summary"])
assert summary["samples/img"]["_type"] == "image-file", summary
' "$FAKE_PORT" "$RUN_ID"

# The reader's logger (media.sh): every wandb.plot preset, and an image under
# a hostile key (its path stays under media/, the fake checks each one).
out=$("$(helper media_logger)" "$TMP/runs") || die "media_logger failed"
set -- $out
media_dir "$2"
check "tally sync of every preset and a hostile key" "$TALLY" sync --dir "$TMP/runs" "$2"
check_run "every preset's chart in the config, every file once" "$2" "$3" --complete $MEDIA
py "one _wandb.visualize panel a preset, with wandb's ids" '
import json, sys, urllib.request
state = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/state" % sys.argv[1]))
r = [v for k, v in state["runs"].items() if k.endswith("/" + sys.argv[2])][0]
vis = json.loads(r["upsert"]["config"])["_wandb"]["value"]["visualize"]
ids = sorted(v["panel_config"]["panelDefId"] for v in vis.values())
assert len(vis) == 8 and set(ids) == {"wandb/line/v0", "wandb/scatter/v0", "wandb/bar/v0",
    "wandb/histogram/v0", "wandb/lineseries/v0", "wandb/confusion_matrix/v1",
    "wandb/area-under-curve/v0"}, ids
' "$FAKE_PORT" "$2"

puts=$(fake_count media_upload)
out=$("$TALLY" sync --dir "$TMP/runs" "$RUN_ID")
case $out in *"up to date"*) pass "a second sync says up to date" ;;
*) fail "a second sync: $out" ;; esac
check "a second sync uploads nothing" test "$(fake_count media_upload)" = "$puts"

# kill -9 midway (many small requests), then again: no file twice.
media_run 100
media_dir "$RUN_ID"
stop_fake
start_fake --delay-s 0.03
TALLY_SYNC_MAX_BODY=6000
export TALLY_SYNC_MAX_BODY
kill_sync_after 6 "$RUN_ID"
partial=$(python3 "$FAKE" state --port "$FAKE_PORT" | python3 -c '
import json, sys
s = json.load(sys.stdin)
r = [v for k, v in s["runs"].items() if k.endswith("/" + sys.argv[1])][0]
print(len(r["history"]), sum(1 for u in r["uploaded"] if u.startswith("media/")))' "$RUN_ID")
set -- $partial
check "the killed sync stopped midway ($1 of 100 rows, $2 files)" \
    test "$1" -gt 0 -a "$1" -lt 100 -a "$2" -gt 0
# A PUT the server kept but whose answer the killed sync never saw has no
# cursor: the one file that may go again (PUTs go one at a time).
py "every file the killed sync had an answer for has its cursor" '
import json, sqlite3, sys, urllib.request
state = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/state" % sys.argv[1]))
run = [k for k in state["runs"] if k.endswith("/" + sys.argv[2])][0] + "/"
put = {t[len(run):] for t in state["uploads"] if t.startswith(run + "media/")}
db = sqlite3.connect(sys.argv[3])  # read-write: a commit the kill cut short is rolled back
cur = {s[6:] for (s,) in db.execute("SELECT stream FROM sync WHERE substr(stream, 1, 6) = ?",
                                       ("media:",))}
assert cur <= put, sorted(cur - put)
unanswered = sorted(put - cur)
assert len(unanswered) <= 1, unanswered
open(sys.argv[4], "w").write("".join(p + "\n" for p in unanswered))
print(len(cur), "with cursors,", len(unanswered), "without")
' "$FAKE_PORT" "$RUN_ID" "$RUN_FILE" "$TMP/unanswered"
stop_fake
start_fake
check "sync again after kill -9" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
unset TALLY_SYNC_MAX_BODY
check_run "after the kill: whole, no answered file PUT twice" "$RUN_ID" "$RUN_FILE" \
    --complete $MEDIA --reput-ok "$TMP/unanswered"

# PUT faults (500, 429, dropped before the server kept the bytes) are retried.
media_run 30
media_dir "$RUN_ID"
stop_fake
start_fake --put-fail-rate 0.3 --seed 7
check "sync through failing uploads" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
check "uploads did fail on the way" test "$(fake_count injected-put-500)" -gt 0 -o \
    "$(fake_count injected-put-429)" -gt 0 -o "$(fake_count injected-put-drop-before)" -gt 0
check_run "every file once despite the faults" "$RUN_ID" "$RUN_FILE" --complete \
    $MEDIA

# A stored image whose bytes are damaged: its value leaves the row (which
# would name a file the server never gets), counted; the rest goes.
media_run 10
py "one stored image damaged" '
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
meta, = db.execute("SELECT m.meta FROM media m JOIN metric k ON k.id = m.metric_id "
                   "WHERE k.name = ? AND m.x = 3", ("samples/img",)).fetchone()
sha = json.loads(meta)["files"][0]["sha256"]
db.execute("UPDATE blob SET data = zeroblob(length(data)) WHERE sha256 = ?", (sha,))
db.commit()
' "$RUN_FILE"
"$TALLY" sync --dir "$TMP/runs" --json "$RUN_ID" >"$TMP/damaged.json" ||
    fail "sync of a damaged run: $(cat "$TMP/damaged.json")"
py "the damaged image is left out of its row and counted, the rest lands" '
import json, sys, urllib.request
r = json.load(open(sys.argv[1]))["runs"][0]
assert r["ok"] and r["media_damaged"] == 1 and r["history"] == 10, r
state = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/state" % sys.argv[2]))
assert not state["violations"], state["violations"]
run = [v for k, v in state["runs"].items() if k.endswith("/" + sys.argv[3])][0]
rows = [json.loads(line) for line in run["history"]]
assert [s for s, row in enumerate(rows) if "samples/img" not in row] == [3], rows
assert all("gradients/w" in row for row in rows)
assert not [u for u in run["uploaded"] if u.startswith("media/images/samples/img_3_")]
' "$TMP/damaged.json" "$FAKE_PORT" "$RUN_ID"

# A refused upload (403) is a clear error; nothing is marked sent; later it goes.
media_run 10
media_dir "$RUN_ID"
stop_fake
start_fake --put-status 403
set +e
"$TALLY" sync --dir "$TMP/runs" "$RUN_ID" >"$TMP/refused.out" 2>"$TMP/refused.err"
rc=$?
set -e
check "a refused upload fails the sync (exit $rc)" test "$rc" = 1
if grep -q "uploading media/.*the upload URL was refused (HTTP 403" "$TMP/refused.out" \
    "$TMP/refused.err"; then
    pass "the error names the file and the status"
else
    fail "the error: $(cat "$TMP/refused.out" "$TMP/refused.err")"
fi
check "no refused upload's secret in the message" \
    sh -c '! grep -q "sig=secret" "$1" "$2"' sh "$TMP/refused.out" "$TMP/refused.err"
stop_fake
start_fake
check "sync once uploads are accepted again" "$TALLY" sync --dir "$TMP/runs" "$RUN_ID"
check_run "the refused run lands whole" "$RUN_ID" "$RUN_FILE" --complete \
    $MEDIA

# Online mode: the run's own thread uploads files with their rows as it goes
# (a fresh server: the fake's state file is rewritten at every request).
stop_fake
rm -f "$TMP/fake.json"
start_fake
TALLY_MODE=online TALLY_SYNC_INTERVAL_MS=200 TALLY_SYNC_FINISH_MS=20000 \
    "$(helper sync_media_logger)" "$TMP/runs" 60 25 >"$TMP/online.out" 2>"$TMP/online.err" ||
    die "the online run failed: $(cat "$TMP/online.err")"
read -r RUN_ID RUN_FILE <"$TMP/online.out"
check "online mode warned of nothing" test ! -s "$TMP/online.err"
media_dir "$RUN_ID"
check_run "online: every file once, before its rows" "$RUN_ID" "$RUN_FILE" --complete \
    $MEDIA
py "online: rows were sent in several passes" '
import json, sys, urllib.request
state = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/state" % sys.argv[1]))
r = [v for k, v in state["runs"].items() if k.endswith("/" + sys.argv[2])][0]
assert r["file_stream_requests"] >= 3, r["file_stream_requests"]
' "$FAKE_PORT" "$RUN_ID"
finish
