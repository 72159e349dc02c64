#!/bin/sh
# media.sh — every media type logged through the C API (media_logger.c)
# reads back the same through `tally show`, `tally media` and `tally
# export`: the same keys, types, counts and steps; every file `tally media`
# writes opens as what it claims (PNG, WAV, GIF, table JSON) and hashes to
# the sha256 its name and the history rows give; every path the history
# names was written.  A hostile key stays inside the output folder, planted
# symlinks are not followed, a damaged blob is named and the rest written,
# and bad usage exits 2.
set -eu
. "$TOP_SRCDIR/tests/integration/lib.sh"
need_python

# PIL decodes the images when some python3 here has it; the checks of
# headers, sizes and hashes below need only the standard library.
PYTHON=python3
for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import PIL.Image' 2>/dev/null; then
        PYTHON=$p
        break
    fi
done

store=$TMP/store
logger=$(helper media_logger)
"$logger" "$store" >"$TMP/runs" 2>"$TMP/logger.err" || die "media_logger failed: $(cat "$TMP/logger.err")"
id=$(awk '$1 == "run" { print $2; exit }' "$TMP/runs")
run=$(awk '$1 == "run" { print $3; exit }' "$TMP/runs")
[ -f "$run" ] || die "media_logger did not say where its run is"
say "run $id"

"$TALLY" show --dir "$store" --json "$id" >"$TMP/show.json" || die "tally show --json failed"
"$TALLY" show --dir "$store" "$id" >"$TMP/show.txt" || die "tally show failed"
"$TALLY" export --dir "$store" "$id" >"$TMP/export.jsonl" || die "tally export failed"
"$TALLY" export --dir "$store" --format csv "$id" >"$TMP/export.csv" || die "tally export csv failed"
dest=$TMP/out
set +e
"$TALLY" media --dir "$store" -o "$dest" "$id" >"$TMP/media.out" 2>"$TMP/media.err"
rc=$?
set -e
check "tally media exits 0 (got $rc: $(cat "$TMP/media.err"))" [ "$rc" -eq 0 ]

# The keys media_logger.c logs: type, objects, first and last step.
WANT_PY='
import hashlib, json, os, struct, sys, zlib
HOSTILE = "../../evil/./\u202egnp.exe\\x"
want = {
    "samples/img": ("image", 100, 0, 99),
    HOSTILE: ("image", 1, 0, 0),
    "gallery": ("images", 10, 0, 90),
    "grads/w": ("histogram", 10, 0, 90),
    "preds": ("table", 10, 0, 90),
    "clip": ("audio", 10, 0, 90),
    "anim": ("video", 10, 0, 90),
}
for p in ["line", "scatter", "bar", "histogram", "line_series", "confusion_matrix",
          "pr_curve", "roc_curve"]:
    want["plots/%s_table" % p] = ("plot", 1, 50, 50)
def rows(path):
    return [json.loads(l) for l in open(path, encoding="utf-8")]
def media_values(row):
    return {k: v for k, v in row.items() if isinstance(v, dict) and "_type" in v}
'

py "show --json lists every media key with its type, count and steps" "$WANT_PY"'
show = json.load(open(sys.argv[1]))
got = {m["name"]: (m["type"], m["count"], m["first_step"], m["last_step"]) for m in show["media"]}
if got != want:
    sys.exit("got %r" % got)
if set(show["metrics"]) != {"loss"}:
    sys.exit("metrics: %r (media keys must not show as scalar series)" % show["metrics"])
' "$TMP/show.json"

check "show's text lists media keys with type and steps" \
    grep -Eq '^  samples/img +image +100  0\.\.99$' "$TMP/show.txt"
check "show's text lists the plots" grep -Eq '^  plots/pr_curve_table +plot +1  50\.\.50$' "$TMP/show.txt"
check "show's metric list has no media key" sh -c "! sed -n '/^metrics/,/^media/p' '$TMP/show.txt' | grep -q 'gallery'"
check "show's text carries no escape or bidi control" sh -c "! grep -q \"\$(printf '\\033')\" '$TMP/show.txt' && ! grep -q \"\$(printf '\\342\\200\\256')\" '$TMP/show.txt'"

py "export rows hold wandb's _type objects for each key, at the steps show says" "$WANT_PY"'
types = {"image": "image-file", "images": "images/separated", "histogram": "histogram",
         "table": "table-file", "plot": "table-file", "audio": "audio-file", "video": "video-file"}
seen = {}
for row in rows(sys.argv[1]):
    for k, v in media_values(row).items():
        if k not in want:
            sys.exit("unknown key %r" % k)
        if v["_type"] != types[want[k][0]]:
            sys.exit("%s at %d: _type %r" % (k, row["_step"], v["_type"]))
        seen.setdefault(k, []).append(row["_step"])
for k, (t, n, lo, hi) in want.items():
    steps = seen.get(k, [])
    if len(steps) != n or min(steps) != lo or max(steps) != hi:
        sys.exit("%s: steps %r, want %d in %d..%d" % (k, steps, n, lo, hi))
' "$TMP/export.jsonl"

py "export objects have wandb's field sets" "$WANT_PY"'
fields = {
    "image-file": {"_type", "path", "sha256", "size", "format", "width", "height"},
    "images/separated": {"_type", "width", "height", "format", "count", "filenames"},
    "histogram": {"_type", "values", "bins"},
    "table-file": {"_type", "path", "sha256", "size", "ncols", "nrows"},
    "audio-file": {"_type", "path", "sha256", "size", "sample_rate"},
    "video-file": {"_type", "path", "sha256", "size", "width", "height"},
}
optional = {"caption", "captions"}
for row in rows(sys.argv[1]):
    for k, v in media_values(row).items():
        need = fields[v["_type"]]
        extra = set(v) - need - optional
        if not need <= set(v) or extra:
            sys.exit("%s at %d: %r" % (k, row["_step"], sorted(v)))
        if v["_type"] == "histogram" and len(v["bins"]) != len(v["values"]) + 1:
            sys.exit("histogram bins/values lengths")
        if v["_type"] == "images/separated" and (v["count"] != 3 or len(v["filenames"]) != 3
                                                 or v["captions"] != ["", "second", ""]):
            sys.exit("gallery %r" % v)
        if k == "samples/img" and ("caption" in v) != (row["_step"] % 10 == 0):
            sys.exit("caption at %d" % row["_step"])
' "$TMP/export.jsonl"

py "every file tally media wrote opens as what it claims, hashes to its name" "$WANT_PY"'
out, listing = sys.argv[1], sys.argv[2]
try:
    import PIL.Image as Image
except ImportError:
    Image = None
import wave
written = [l.rstrip("\n") for l in open(listing, encoding="utf-8")]
if len(written) != len(set(written)):
    sys.exit("a file listed twice")
counts = {}
for shown in written:
    if not shown.startswith(out + "/media/"):
        sys.exit("listed outside the folder: %r" % shown)
    path = os.path.realpath(shown)
    if not path.startswith(os.path.realpath(out) + "/media/"):
        sys.exit("written outside the folder: %r" % path)
    data = open(path, "rb").read()
    sha = hashlib.sha256(data).hexdigest()
    base = os.path.basename(path)
    stem = base[:-len(".table.json")] if base.endswith(".table.json") else base.rsplit(".", 1)[0]
    if not stem.endswith(sha[:20]):
        sys.exit("%s: sha256 %s does not match its name" % (shown, sha))
    kind = shown.split("/media/")[1].split("/")[0]
    counts[kind] = counts.get(kind, 0) + 1
    if kind == "images":
        if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
            sys.exit("%s is not a PNG" % shown)
        w, h = struct.unpack(">II", data[16:24])
        if Image:
            im = Image.open(path)
            im.load()
            if im.size != (w, h):
                sys.exit("%s: PIL reads %r" % (shown, im.size))
    elif kind == "audio":
        with wave.open(path) as wf:
            if (wf.getnchannels(), wf.getframerate(), wf.getnframes(), wf.getsampwidth()) != (2, 8000, 800, 2):
                sys.exit("%s: WAV %r" % (shown, wf.getparams()))
    elif kind == "videos":
        if data[:6] not in (b"GIF89a", b"GIF87a") or not base.endswith(".gif"):
            sys.exit("%s is not a GIF" % shown)
        if struct.unpack("<HH", data[6:10]) != (10, 8):
            sys.exit("%s: GIF size %r" % (shown, struct.unpack("<HH", data[6:10])))
        if Image:
            im = Image.open(path)
            if im.n_frames != 5:
                sys.exit("%s: %d frames" % (shown, im.n_frames))
    elif kind == "table":
        t = json.loads(data)
        if not all(len(r) == len(t["columns"]) for r in t["data"]):
            sys.exit("%s: ragged table" % shown)
    else:
        sys.exit("unexpected folder %r" % kind)
# 100 + 1 images, 10 galleries of 2 distinct images, 2 shared cell images.
want_counts = {"images": 123, "audio": 10, "videos": 10, "table": 18}
if counts != want_counts:
    sys.exit("files by folder %r, want %r" % (counts, want_counts))
print("checked %d files%s" % (len(written), "" if Image else " (no PIL: headers only)"))
' "$dest" "$TMP/media.out"

py "every path the history names was written, with the sha256 and size it gives" "$WANT_PY"'
out = sys.argv[2]
named = {}
def need(path, sha, size):
    named[path] = (sha, size)
for row in rows(sys.argv[1]):
    for k, v in media_values(row).items():
        if "path" in v:
            need(v["path"], v["sha256"], v["size"])
        for f in v.get("filenames", []):
            need(f, None, None)
        if v["_type"] == "table-file":
            table = json.load(open(os.path.join(out, v["path"]), encoding="utf-8"))
            for r in table["data"]:
                for cell in r:
                    if isinstance(cell, dict) and cell.get("_type") == "image-file":
                        need("media/images/%s.png" % cell["sha256"][:20], cell["sha256"], None)
for path, (sha, size) in named.items():
    if not path.startswith("media/") or "/../" in path:
        sys.exit("unsafe path %r" % path)
    full = os.path.join(out, path)
    if not os.path.isfile(full):
        sys.exit("history names %r, not written" % path)
    data = open(full, "rb").read()
    if sha and hashlib.sha256(data).hexdigest() != sha:
        sys.exit("%s: sha256 differs from the history" % path)
    if size is not None and len(data) != size:
        sys.exit("%s: size differs" % path)
written = {l.rstrip("\n")[len(out) + 1:] for l in open(sys.argv[3], encoding="utf-8")}
if written != set(named):
    sys.exit("written but not named: %r; named but not written: %r"
             % (sorted(written - set(named))[:3], sorted(set(named) - written)[:3]))
print("%d paths" % len(named))
' "$TMP/export.jsonl" "$dest" "$TMP/media.out"

py "the hostile key is escaped inside media/images" "$WANT_PY"'
lines = [l for l in open(sys.argv[1], encoding="utf-8") if "evil" in l]
want = "/media/images/%2e%2e/%2e%2e/evil/%2e/%e2%80%aegnp.exe%5cx_0_"
if len(lines) != 1 or want not in lines[0]:
    sys.exit("got %r" % lines)
' "$TMP/media.out"
check "tally media prints no escape or bidi control" sh -c "! grep -q \"\$(printf '\\342\\200\\256')\" '$TMP/media.out'"

py "the summary of a media key is its newest object" "$WANT_PY"'
show, last = json.load(open(sys.argv[1])), None
for row in rows(sys.argv[2]):
    if "samples/img" in row:
        last = row["samples/img"]
got = show["summary"].get("samples/img")
if got != last or show["summary"]["grads/w"]["_type"] != "histogram":
    sys.exit("summary %r, newest %r" % (got, last))
' "$TMP/show.json" "$TMP/export.jsonl"

"$TALLY" export --dir "$store" --metrics 'grads/*' "$id" >"$TMP/grads.jsonl"
py "export --metrics GLOB of a media key: its rows only" "$WANT_PY"'
r = rows(sys.argv[1])
if [x["_step"] for x in r] != list(range(0, 100, 10)) or any(set(media_values(x)) != {"grads/w"} for x in r):
    sys.exit("got %r" % [sorted(x) for x in r][:3])
' "$TMP/grads.jsonl"

py "CSV export holds each object as its JSON" "$WANT_PY"'
import csv
r = csv.reader(open(sys.argv[1], encoding="utf-8", newline=""))
head = next(r)
col = head.index("grads/w")
cells = [row[col] for row in r if row[col]]
if len(cells) != 10 or json.loads(cells[0])["_type"] != "histogram":
    sys.exit("got %r" % cells[:1])
' "$TMP/export.csv"

# Choosing what to write.
count_lines() { wc -l <"$1" | tr -d ' '; }
"$TALLY" media --dir "$store" -o "$TMP/k" --key 'plots/*' "$id" >"$TMP/k.out" 2>/dev/null
check "--key writes only the matching keys (8 plot tables)" [ "$(count_lines "$TMP/k.out")" = 8 ]
"$TALLY" media --dir "$store" -o "$TMP/s" --step 50 "$id" >"$TMP/s.out" 2>/dev/null
# step 50: the image, gallery (2), table + its 2 cells, audio, video, 8 plots
check "--step writes that step's files (16)" [ "$(count_lines "$TMP/s.out")" = 16 ]
"$TALLY" media --dir "$store" -o "$TMP/l" --last --key 'samples/*' "$id" >"$TMP/l.out" 2>/dev/null
check "--last writes each key's newest object" grep -q '/media/images/samples/img_99_' "$TMP/l.out"
check "--last writes nothing older" [ "$(count_lines "$TMP/l.out")" = 1 ]
(cd "$TMP" && "$TALLY" media --dir "$store" --key clip "$id" >/dev/null 2>&1)
check "without -o the files go to ./<run id>-media" [ -d "$TMP/$id-media/media/audio" ]

usage_error "--step takes a number" "$TALLY" media --dir "$store" --step x "$id"
usage_error "--step and --last together" "$TALLY" media --dir "$store" --step 1 --last "$id"
usage_error "no RUN" "$TALLY" media --dir "$store"
set +e
"$TALLY" media --dir "$store" -o "$TMP/n" --key 'nothing*' "$id" >/dev/null 2>"$TMP/n.err"
rc=$?
set -e
check "a --key matching nothing exits 1 and says so" sh -c "[ $rc -eq 1 ] && grep -q 'no media key matches' '$TMP/n.err'"
set +e
"$TALLY" media --dir "$store" -o "$TMP/n2" --step 1000 "$id" >/dev/null 2>"$TMP/n2.err"
rc=$?
set -e
check "a --step with no object exits 1" sh -c "[ $rc -eq 1 ] && grep -q 'no object at step 1000' '$TMP/n2.err'"
"$TALLY" media --help >"$TMP/help.out"
check "--help lists --key, --step, --last, --output" sh -c "grep -q -- '--key' '$TMP/help.out' && grep -q -- '--step' '$TMP/help.out' && grep -q -- '--last' '$TMP/help.out' && grep -q -- '--output' '$TMP/help.out'"

# Planted links: a folder that is a symlink is refused, a file that is one
# is replaced, never written through.
outside=$TMP/outside
mkdir -p "$outside" "$TMP/p1" "$TMP/p2/media/images/samples"
ln -s "$outside" "$TMP/p1/media"
set +e
"$TALLY" media --dir "$store" -o "$TMP/p1" "$id" >/dev/null 2>"$TMP/p1.err"
rc=$?
set -e
check "a symlinked media/ folder is not followed (exit 1)" sh -c "[ $rc -eq 1 ] && [ -z \"\$(ls -A '$outside')\" ]"
check "... and the first refused write stops, in one line" sh -c "[ \$(grep -c 'cannot write' '$TMP/p1.err') -eq 1 ] && grep -q 'symlink' '$TMP/p1.err'"
name=$(sed -n 's|.*/media/images/samples/||p' "$TMP/l.out")
echo precious >"$outside/victim"
ln -s "$outside/victim" "$TMP/p2/media/images/samples/$name"
"$TALLY" media --dir "$store" -o "$TMP/p2" --key 'samples/*' --last "$id" >/dev/null 2>&1 || fail "writing over a planted file link failed"
check "a planted file link is replaced, its target untouched" sh -c "[ \"\$(cat '$outside/victim')\" = precious ] && [ ! -L '$TMP/p2/media/images/samples/$name' ] && [ -f '$TMP/p2/media/images/samples/$name' ]"

# A damaged blob: named on stderr, exit 1, every other file written.
cp "$run" "$TMP/damaged.db"
python3 - "$TMP/damaged.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE blob SET data = zeroblob(length(data)) WHERE id = (SELECT min(id) FROM blob WHERE format = 'wav')")
db.commit()
EOF
set +e
"$TALLY" media -o "$TMP/d" --key clip "$TMP/damaged.db" >"$TMP/d.out" 2>"$TMP/d.err"
rc=$?
set -e
check "a damaged blob: exit 1, named on stderr, 9 of 10 written" sh -c "[ $rc -eq 1 ] && grep -q 'damaged data left out: metric \"clip\"' '$TMP/d.err' && [ \$(wc -l <'$TMP/d.out') -eq 9 ]"

finish
