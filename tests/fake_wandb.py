#!/usr/bin/env python3
"""fake_wandb.py — a fake W&B server for tally's sync tests (stdlib only).

Serves, on 127.0.0.1 only, the requests docs/protocol.md describes: GraphQL
(UpsertBucket, CreateRunFiles, Viewer, ServerFeatures), file_stream, and the
upload URLs it hands out.  It checks every request against the protocol
(Basic auth user "api", body shapes, offsets without gaps, JSON lines,
config wrapped as {"key": {"value": ...}}, media: each history object's
fields and path, the sha256 and size of the bytes PUT for it, no row naming
a file not yet uploaded, custom charts' _wandb.visualize shape) and records
each run as a server would see it, with every PUT (count, sha256).  A request that breaks the protocol is answered 400 and noted
in "violations".  It can fail a fraction of requests on purpose (500, 429
with Retry-After, dropped connections, answers slower than the client's
timeout), with a fixed seed, and can refuse the key (401).

  fake_wandb.py serve --port-file F [--state S] [--fail-rate 0.3] [--seed 1]
                      [--fail-modes 500,429,drop-before,drop-after,slow]
                      [--gzip] [--key K] [--reject-key] [--slow-s 2] [--delay-s 0]
                      [--bench] [--put-fail-rate 0.3] [--put-status 403]
  fake_wandb.py state --port P                 print the recorded state (JSON)
  fake_wandb.py check --port P --run ID --export FILE [--db RUNFILE] [--complete]
                     [--media DIR]   (DIR: what `tally media RUN -o DIR` wrote)
                     [--reput-ok FILE]  (paths a killed sync PUT without an answer)
"""
import argparse
import base64
import gzip
import hashlib
import json
import os
import random
import re
import socket
import sqlite3
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_KEY = "fake-0123456789abcdef0123456789abcdef01234567"
FILES = ("wandb-history.jsonl", "wandb-events.jsonl", "wandb-summary.json", "output.log")
OUTPUT_RE = re.compile(r"^(ERROR )?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6} ")
UPSERT_VARS = {"id", "name", "project", "entity", "groupName", "description", "displayName",
               "notes", "commit", "config", "host", "debug", "program", "repo", "jobType",
               "state", "sweep", "tags", "summaryMetrics"}

# History objects (docs/protocol.md, "Media"): required fields, optional ones,
# the folder under media/ and the file suffixes of their path.
MEDIA_TYPES = {
    "image-file": ({"_type", "path", "sha256", "size", "format", "width", "height"},
                   {"caption"}, "images", (".png",)),
    "images/separated": ({"_type", "width", "height", "format", "count", "filenames"},
                         {"captions"}, "images", (".png",)),
    "histogram": ({"_type", "values", "bins"}, set(), None, ()),
    "table-file": ({"_type", "path", "sha256", "size", "ncols", "nrows"}, set(), "table",
                   (".table.json",)),
    "audio-file": ({"_type", "path", "sha256", "size"}, {"caption", "sample_rate", "duration"},
                   "audio", (".wav",)),
    "video-file": ({"_type", "path", "sha256", "size"}, {"width", "height", "caption", "format"},
                   "videos", (".gif", ".mp4", ".webm", ".ogg")),
}
# wandb/plot/custom_chart.py: the presets tally's charts map to.
PANEL_IDS = {"wandb/line/v0", "wandb/scatter/v0", "wandb/bar/v0", "wandb/histogram/v0",
             "wandb/lineseries/v0", "wandb/confusion_matrix/v1", "wandb/area-under-curve/v0"}


def user_query(table_key):
    """The userQuery wandb's CustomChartSpec.config_value holds."""
    return {"queryFields": [{
        "name": "runSets", "args": [{"name": "runSets", "value": "${runSets}"}],
        "fields": [{"name": "id", "fields": []}, {"name": "name", "fields": []},
                   {"name": "_defaultColorIndex", "fields": []},
                   {"name": "summaryTable", "args": [{"name": "tableKey", "value": table_key}],
                    "fields": []}]}]}


def bad_media_path(path):
    """Why a file name under media/ is not one a run may have, or None."""
    if not isinstance(path, str) or not path.startswith("media/"):
        return "not under media/"
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return "an empty, . or .. component"
        if any(ord(c) < 0x20 or ord(c) == 0x7f or c == "\\" for c in part):
            return "a control character or backslash"
    return None


def sniff(data):
    """What the bytes are, with an image's size: ("png", w, h), ("gif", w, h), ..."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        return ("png", int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return ("gif", int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little"))
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return ("wav", 0, 0)
    return ("other", 0, 0)


def table_info(data):
    """A table file's shape: (ncols, nrows, [image cells]) or an error string."""
    try:
        t = json.loads(data)
    except ValueError:
        return "not JSON"
    if not isinstance(t, dict) or set(t) - {"columns", "data"} or \
            not isinstance(t.get("columns"), list) or not isinstance(t.get("data"), list):
        return "not {\"columns\": [...], \"data\": [[...]...]}"
    cols = t["columns"]
    cells = []
    for row in t["data"]:
        if not isinstance(row, list) or len(row) != len(cols):
            return "a row whose length is not the columns'"
        for c in row:
            if isinstance(c, dict) and c.get("_type") == "image-file":
                cells.append(c)
    return (len(cols), len(t["data"]), cells)


class Violation(Exception):
    pass


class Fake:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)
        self.state = {"runs": {}, "violations": [], "counts": {}, "uploads": {}}
        self.port = 0
        if args.state and os.path.exists(args.state):
            with open(args.state) as f:
                self.state = json.load(f)

    def count(self, what, n=1):
        c = self.state["counts"]
        c[what] = c.get(what, 0) + n

    def save(self):
        if not self.args.state:
            return
        tmp = self.args.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f)
        os.replace(tmp, self.args.state)

    def violation(self, msg):
        self.state["violations"].append(msg)
        self.save()
        raise Violation(msg)

    def run(self, entity, project, name, create=False):
        key = "%s/%s/%s" % (entity, project, name)
        runs = self.state["runs"]
        if key not in runs:
            if not create:
                return None
            runs[key] = {"upsert": None, "upserts": 0, "history": [], "events": [],
                         "output": [], "summary": None, "uploaded": [], "complete": False,
                         "exitcode": None, "file_stream_requests": 0, "lines_received": 0}
        return runs[key]

    # ---- GraphQL ----

    def graphql(self, body):
        try:
            req = json.loads(body)
        except ValueError:
            self.violation("graphql: body is not JSON")
        if not isinstance(req, dict) or not isinstance(req.get("query"), str):
            self.violation("graphql: no query")
        variables = req.get("variables") or {}
        if not isinstance(variables, dict):
            self.violation("graphql: variables is not an object")
        q = req["query"]
        op = req.get("operationName")
        if "upsertBucket(" in q:
            if op != "UpsertBucket":
                self.violation("graphql: operationName %r for upsertBucket" % op)
            return self.upsert(variables)
        if "createRunFiles(" in q:
            return self.create_files(variables)
        if "viewer" in q:
            return {"viewer": {"id": "VXNlcjox", "entity": self.args.entity}}
        if "serverInfo" in q:
            feats = [{"name": "FILESTREAM_GZIP", "isEnabled": bool(self.args.gzip)}]
            return {"serverInfo": {"features": feats}}
        self.violation("graphql: unknown query %r" % q[:80])

    def upsert(self, v):
        extra = set(v) - UPSERT_VARS
        if extra:
            self.violation("UpsertBucket: unknown variables %s" % sorted(extra))
        for k in ("name", "project", "entity"):
            if not isinstance(v.get(k), str) or not v[k]:
                self.violation("UpsertBucket: %s missing" % k)
        if not re.fullmatch(r"[A-Za-z0-9_-]+", v["name"]):
            self.violation("UpsertBucket: bad run name %r" % v["name"])
        if "config" in v:
            if not isinstance(v["config"], str):
                self.violation("UpsertBucket: config must be a JSON string")
            try:
                config = json.loads(v["config"])
            except ValueError:
                self.violation("UpsertBucket: config is not JSON")
            if not isinstance(config, dict):
                self.violation("UpsertBucket: config is not an object")
            for key, box in config.items():
                if not isinstance(box, dict) or set(box) != {"value"}:
                    self.violation("UpsertBucket: config %r not wrapped as {\"value\": ...}"
                                   % key)
            if "_wandb" in config:
                self.check_wandb_config(config["_wandb"]["value"])
        if "tags" in v and (not isinstance(v["tags"], list) or
                            not all(isinstance(t, str) for t in v["tags"])):
            self.violation("UpsertBucket: tags must be a list of strings")
        r = self.run(v["entity"], v["project"], v["name"], create=True)
        inserted = r["upsert"] is None
        r["upsert"] = v
        r["upserts"] += 1
        self.count("upsert")
        self.save()
        return {"upsertBucket": {"bucket": {
            "id": "run-" + v["name"], "name": v["name"], "displayName": v.get("displayName"),
            "description": None, "config": v.get("config"), "sweepName": None,
            "project": {"id": "p", "name": v["project"],
                        "entity": {"id": "e", "name": v["entity"]}},
            "historyLineCount": len(r["history"])}, "inserted": inserted}}

    def check_wandb_config(self, value):
        if not isinstance(value, dict):
            self.violation("UpsertBucket: config _wandb is not an object")
        vis = value.get("visualize", {})
        if not isinstance(vis, dict):
            self.violation("UpsertBucket: _wandb.visualize is not an object")
        for key, panel in vis.items():
            where = "UpsertBucket: _wandb.visualize.%s" % key
            if not isinstance(panel, dict) or set(panel) != {"panel_type", "panel_config"}:
                self.violation(where + " must be {panel_type, panel_config}")
            if panel["panel_type"] != "Vega2":
                self.violation(where + " panel_type %r, not Vega2" % panel["panel_type"])
            pc = panel["panel_config"]
            want = {"panelDefId", "fieldSettings", "stringSettings", "transform", "userQuery"}
            if not isinstance(pc, dict) or set(pc) != want:
                self.violation(where + " panel_config fields %s"
                               % (sorted(pc) if isinstance(pc, dict) else "?"))
            if pc["panelDefId"] not in PANEL_IDS:
                self.violation(where + " unknown panelDefId %r" % pc["panelDefId"])
            for name in ("fieldSettings", "stringSettings"):
                d = pc[name]
                if not isinstance(d, dict) or \
                        not all(isinstance(x, str) for x in d.values()):
                    self.violation(where + " %s must map names to strings" % name)
            if pc["transform"] != {"name": "tableWithLeafColNames"}:
                self.violation(where + " transform %r" % pc["transform"])
            if pc["userQuery"] != user_query(key + "_table"):
                self.violation(where + " userQuery is not wandb's for %s_table" % key)

    def create_files(self, v):
        for k in ("entity", "project", "run"):
            if not isinstance(v.get(k), str):
                self.violation("CreateRunFiles: %s missing" % k)
        files = v.get("files")
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            self.violation("CreateRunFiles: files must be a list of strings")
        if self.run(v["entity"], v["project"], v["run"]) is None:
            self.violation("CreateRunFiles: no such run (UpsertBucket first)")
        out = []
        for name in files:
            if name.startswith("media/") and bad_media_path(name):
                self.violation("CreateRunFiles: %r: %s" % (name, bad_media_path(name)))
            token = "%s/%s/%s/%s" % (v["entity"], v["project"], v["run"], name)
            out.append({"name": name, "uploadUrl": "http://127.0.0.1:%d/_upload/%s?sig=secret"
                        % (self.port, urllib.request.quote(token, safe=""))})
        self.count("create_run_files")
        return {"createRunFiles": {"runID": v["run"], "uploadHeaders": ["X-Fake-Upload: yes"],
                                   "files": out}}

    # ---- file_stream ----

    def file_stream(self, entity, project, name, body):
        r = self.run(entity, project, name)
        if r is None:
            self.violation("file_stream: no such run %s/%s/%s" % (entity, project, name))
        try:
            req = json.loads(body)
        except ValueError:
            self.violation("file_stream: body is not JSON")
        if not isinstance(req, dict):
            self.violation("file_stream: body is not an object")
        extra = set(req) - {"files", "uploaded", "complete", "exitcode", "preempting", "dropped"}
        if extra:
            self.violation("file_stream: unknown fields %s" % sorted(extra))
        files = req.get("files", {})
        if not isinstance(files, dict):
            self.violation("file_stream: files is not an object")
        for fname, part in files.items():
            if fname not in FILES:
                self.violation("file_stream: unknown file %r" % fname)
            if not isinstance(part, dict) or set(part) != {"offset", "content"}:
                self.violation("file_stream: %s must be {offset, content}" % fname)
            offset, content = part["offset"], part["content"]
            if not isinstance(offset, int) or offset < 0:
                self.violation("file_stream: %s offset %r" % (fname, offset))
            if not isinstance(content, list) or not content or \
                    not all(isinstance(x, str) for x in content):
                self.violation("file_stream: %s content must be a non-empty list of strings"
                               % fname)
        uploaded = req.get("uploaded", [])
        if not isinstance(uploaded, list) or not all(isinstance(u, str) for u in uploaded):
            self.violation("file_stream: uploaded must be a list of strings")
        for u in uploaded:
            token = "%s/%s/%s/%s" % (entity, project, name, u)
            if token not in self.state["uploads"]:
                self.violation("file_stream: %r listed as uploaded but never PUT" % u)
        # A row may name a file uploaded before or listed in this very request.
        avail = set(r["uploaded"]) | set(uploaded)
        prefix = "%s/%s/%s/" % (entity, project, name)
        for fname, part in files.items():
            for line in part["content"]:
                obj = self.check_line(fname, line)
                if fname in ("wandb-history.jsonl", "wandb-summary.json") and obj:
                    for k, val in obj.items():
                        if isinstance(val, dict) and "_type" in val:
                            self.check_object("%s %s" % (fname, k), val, avail, prefix)
        if "complete" in req:
            if req["complete"] is not True or not isinstance(req.get("exitcode"), int):
                self.violation("file_stream: complete needs true and an integer exitcode")
        # All checks passed: apply.
        if self.args.bench:
            r["lines_received"] += sum(len(p["content"]) for p in files.values())
        for fname, part in files.items():
            self.apply(r, fname, part["offset"], part["content"])
        for u in uploaded:
            if u not in r["uploaded"]:
                r["uploaded"].append(u)
        if req.get("complete"):
            r["complete"] = True
            r["exitcode"] = req["exitcode"]
        r["file_stream_requests"] += 1
        self.count("file_stream")
        self.save()
        return {"exitcode": None, "limits": {}}

    def check_line(self, fname, line):
        if self.args.bench and fname != "wandb-summary.json":
            return
        if fname == "output.log":
            if not OUTPUT_RE.match(line):
                self.violation("output.log: bad line %r" % line[:80])
            return
        try:
            obj = json.loads(line)  # Python reads bare NaN / Infinity, as wandb writes
        except ValueError:
            self.violation("%s: line is not JSON: %r" % (fname, line[:80]))
        if not isinstance(obj, dict):
            self.violation("%s: line is not an object" % fname)
        result = obj
        if fname == "wandb-history.jsonl":
            if not isinstance(obj.get("_step"), int):
                self.violation("history: no integer _step")
            for k in ("_runtime", "_timestamp"):
                if not isinstance(obj.get(k), (int, float)):
                    self.violation("history: no %s" % k)
        elif fname == "wandb-events.jsonl":
            if obj.get("_wandb") is not True or "_timestamp" not in obj or "_runtime" not in obj:
                self.violation("events: needs _wandb, _timestamp, _runtime")
            for k in obj:
                if not k.startswith("_") and not k.startswith("system."):
                    self.violation("events: %r is not a system.* metric" % k)
        return result

    def check_file(self, where, path, avail, prefix, folder, suffixes, sha=None, size=None):
        """A file an object names: its path's form, uploaded by now, its bytes."""
        why = bad_media_path(path)
        if why:
            self.violation("%s: path %r: %s" % (where, path, why))
        if folder and not path.startswith("media/%s/" % folder):
            self.violation("%s: path %r not under media/%s/" % (where, path, folder))
        if suffixes and not path.endswith(suffixes):
            self.violation("%s: path %r does not end in %s" % (where, path, "/".join(suffixes)))
        if path not in avail:
            self.violation("%s: names %r, which is not uploaded yet" % (where, path))
        up = self.state["uploads"].get(prefix + path)
        if up is None:
            self.violation("%s: %r was never PUT" % (where, path))
        if sha is not None:
            if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
                self.violation("%s: sha256 %r is not 64 lowercase hex digits" % (where, sha))
            if up["sha256"] != sha:
                self.violation("%s: the bytes PUT for %r have sha256 %s, the row says %s"
                               % (where, path, up["sha256"], sha))
            if sha[:20] not in path.rsplit("/", 1)[-1]:
                self.violation("%s: path %r does not hold sha256[:20]" % (where, path))
        if size is not None and up["size"] != size:
            self.violation("%s: %r is %d bytes, the row says %r" % (where, path, up["size"], size))
        return up

    def check_object(self, where, v, avail, prefix):
        t = v["_type"]
        if t not in MEDIA_TYPES:
            self.violation("%s: unknown _type %r" % (where, t))
        need, optional, folder, suffixes = MEDIA_TYPES[t]
        if need - set(v) or set(v) - need - optional:
            self.violation("%s: %s fields %s, want %s (+ optional %s)"
                           % (where, t, sorted(v), sorted(need), sorted(optional)))
        for k in ("size", "width", "height", "count", "ncols", "nrows"):
            if k in v and (not isinstance(v[k], int) or isinstance(v[k], bool) or v[k] < 0):
                self.violation("%s: %s %r is not a non-negative integer" % (where, k, v[k]))
        if t == "histogram":
            vals, bins = v["values"], v["bins"]
            if not isinstance(vals, list) or not isinstance(bins, list) or \
                    len(bins) != len(vals) + 1 or not 1 <= len(vals) <= 512:
                self.violation("%s: histogram needs 1..512 values and one more bin edge" % where)
            if not all(isinstance(x, (int, float)) for x in vals + bins) or \
                    any(b >= c for b, c in zip(bins, bins[1:])):
                self.violation("%s: histogram edges must be increasing numbers" % where)
            return
        if t == "images/separated":
            names = v["filenames"]
            if not isinstance(names, list) or len(names) != v["count"] or not names:
                self.violation("%s: %d filenames for count %r" % (where, len(names), v["count"]))
            if "captions" in v and (not isinstance(v["captions"], list) or
                                    len(v["captions"]) != len(names)):
                self.violation("%s: captions must be one per image" % where)
            for i, n in enumerate(names):
                up = self.check_file(where, n, avail, prefix, folder, suffixes)
                if up["kind"] != "png":
                    self.violation("%s: %r is not a PNG" % (where, n))
                if i == 0 and (up["width"], up["height"]) != (v["width"], v["height"]):
                    self.violation("%s: the first image is %dx%d, the row says %dx%d" % (
                        where, up["width"], up["height"], v["width"], v["height"]))
            return
        up = self.check_file(where, v["path"], avail, prefix, folder, suffixes, v["sha256"],
                             v["size"])
        if t == "image-file":
            if v["format"] != "png" or up["kind"] != "png":
                self.violation("%s: image %r is not a PNG" % (where, v["path"]))
            if (up["width"], up["height"]) != (v["width"], v["height"]):
                self.violation("%s: the PNG is %dx%d, the row says %dx%d" % (
                    where, up["width"], up["height"], v["width"], v["height"]))
        elif t == "audio-file" and up["kind"] != "wav":
            self.violation("%s: audio %r is not a WAV" % (where, v["path"]))
        elif t == "video-file" and v["path"].endswith(".gif") and up["kind"] != "gif":
            self.violation("%s: video %r is not a GIF" % (where, v["path"]))
        elif t == "table-file":
            info = up.get("table")
            if not isinstance(info, dict):
                self.violation("%s: table %r: %s" % (where, v["path"], info))
            if (info["ncols"], info["nrows"]) != (v["ncols"], v["nrows"]):
                self.violation("%s: the table file is %dx%d, the row says %dx%d" % (
                    where, info["ncols"], info["nrows"], v["ncols"], v["nrows"]))
            for cell in info["cells"]:
                self.check_file(where + " (image cell)", cell.get("path"), avail, prefix,
                                "images", (".png",), cell.get("sha256"), cell.get("size"))

    def apply(self, r, fname, offset, content):
        if fname == "wandb-summary.json":
            if offset != 0 or len(content) != 1:
                self.violation("summary: must be one line at offset 0")
            r["summary"] = content[0]
            return
        key = {"wandb-history.jsonl": "history", "wandb-events.jsonl": "events",
               "output.log": "output"}[fname]
        if self.args.bench:
            lines = r.setdefault(key + "_count", 0)
            if offset > lines:
                self.violation("%s: offset %d leaves a gap (have %d lines)"
                               % (fname, offset, lines))
            r[key + "_count"] = max(lines, offset + len(content))
            return
        lines = r[key]
        if offset > len(lines):
            self.violation("%s: offset %d leaves a gap (have %d lines)"
                           % (fname, offset, len(lines)))
        for i, line in enumerate(content):
            at = offset + i
            if at < len(lines):
                if lines[at] != line:
                    self.violation("%s: line %d resent with different content" % (fname, at))
            else:
                lines.append(line)

    def upload(self, token, data):
        kind, width, height = sniff(data)
        prev = self.state["uploads"].get(token)
        rec = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "kind": kind,
               "width": width, "height": height, "puts": (prev["puts"] if prev else 0) + 1}
        if token.endswith(".table.json"):
            info = table_info(data)
            rec["table"] = info if isinstance(info, str) else \
                {"ncols": info[0], "nrows": info[1], "cells": info[2]}
        if "/media/" not in token:
            rec["text"] = data.decode("utf-8", "replace")[:4096]
        self.state["uploads"][token] = rec
        self.count("upload")
        if "/media/" in token:
            self.count("media_upload")
            if prev:
                self.count("media_upload_again")
        self.save()


def make_handler(fake):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # Headers and body go in two writes: without this, each answer on a
            # kept-alive connection waits out the client's delayed ACK (40 ms).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, fmt, *a):
            if os.environ.get("FAKE_WANDB_VERBOSE"):
                sys.stderr.write("fake_wandb: " + (fmt % a) + "\n")

        def reply(self, status, obj=None, headers=()):
            data = json.dumps(obj if obj is not None else {}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(n) if n else b""
            if self.headers.get("Content-Encoding") == "gzip":
                if not fake.args.gzip:
                    raise Violation("gzip body, but the server does not list FILESTREAM_GZIP")
                data = gzip.decompress(data)
            return data

        def authorized(self):
            h = self.headers.get("Authorization", "")
            if not h.startswith("Basic "):
                return False
            try:
                user, _, key = base64.b64decode(h[6:]).decode().partition(":")
            except Exception:
                return False
            return user == "api" and key == fake.args.key and not fake.args.reject_key

        def drop(self):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def do_GET(self):
            if self.path == "/_fake/state":
                with fake.lock:
                    self.reply(200, fake.state)
                return
            self.reply(404, {"error": "not found"})

        def do_PUT(self):
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self.path.startswith("/_upload/"):
                return self.reply(404, {"error": "not found"})
            with fake.lock:
                if self.headers.get("Authorization"):
                    fake.state["violations"].append("upload: a PUT carried an Authorization")
                    fake.save()
                    return self.reply(400, {"error": "no auth on uploads"})
                if self.headers.get("X-Fake-Upload") != "yes":
                    fake.state["violations"].append("upload: uploadHeaders not sent")
                    fake.save()
                    return self.reply(400, {"error": "missing upload header"})
                token = urllib.request.unquote(self.path[len("/_upload/"):].split("?")[0])
                if fake.args.put_status:
                    fake.count("put_refused")
                    return self.reply(fake.args.put_status, {"error": "refused"})
                mode = None
                if fake.args.put_fail_rate and fake.rng.random() < fake.args.put_fail_rate:
                    # Faults before the bytes are kept: a retried PUT is not a second upload.
                    mode = fake.rng.choice(["500", "429", "drop-before"])
                    fake.count("injected-put-" + mode)
                if mode is None:
                    fake.upload(token, data)
            if not self.fault(mode):
                self.reply(200, {})

        def fault(self, mode):
            """Answers an injected 500, 429 or dropped connection: True if it did."""
            if mode == "500":
                self.reply(500, {"error": "injected"})
            elif mode == "429":
                self.reply(429, {"error": "slow down"},
                           [("Retry-After", str(fake.args.retry_after))])
            elif mode == "drop-before":
                self.drop()
            else:
                return False
            return True

        def do_POST(self):
            try:
                data = self.body()
            except Violation as v:
                with fake.lock:
                    fake.state["violations"].append(str(v))
                    fake.save()
                return self.reply(400, {"error": str(v)})
            except OSError:
                return self.drop()
            with fake.lock:
                fake.count("requests")
                mode = None
                if fake.args.fail_rate and fake.rng.random() < fake.args.fail_rate:
                    mode = fake.rng.choice(fake.args.fail_modes.split(","))
                    fake.count("injected-" + mode)
            if fake.args.delay_s:
                time.sleep(fake.args.delay_s)
            if self.fault(mode):
                return
            if mode == "slow":
                time.sleep(fake.args.slow_s)  # past the client's timeout, then applied late
            if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                with fake.lock:
                    fake.state["violations"].append("request without Content-Type JSON")
                return self.reply(400, {"error": "content type"})
            if not self.authorized():
                with fake.lock:
                    fake.count("unauthorized")
                return self.reply(401, {"errors": [{"message": "invalid API key"}]})
            try:
                with fake.lock:
                    if self.path == "/graphql":
                        answer = {"data": fake.graphql(data)}
                    else:
                        m = re.fullmatch(r"/files/([^/]+)/([^/]+)/([^/]+)/file_stream", self.path)
                        if not m:
                            return self.reply(404, {"error": "not found"})
                        parts = [urllib.request.unquote(x) for x in m.groups()]
                        answer = fake.file_stream(*parts, data)
            except Violation as v:
                return self.reply(400, {"error": str(v)})
            if mode == "drop-after":
                return self.drop()
            self.reply(200, answer)

    return Handler


def serve(args):
    fake = Fake(args)
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(fake))
    fake.port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % fake.port)
        os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def get_state(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/_fake/state" % port, timeout=30) as r:
        return json.loads(r.read())


def canon(obj):
    return json.dumps(obj, sort_keys=True)


# tally's plot presets and wandb's panelDefId for each (docs/protocol.md).
PRESET_IDS = {"line": "wandb/line/v0", "scatter": "wandb/scatter/v0", "bar": "wandb/bar/v0",
              "histogram": "wandb/histogram/v0", "line_series": "wandb/lineseries/v0",
              "confusion_matrix": "wandb/confusion_matrix/v1",
              "pr_curve": "wandb/area-under-curve/v0", "roc_curve": "wandb/area-under-curve/v0"}


def media_charts(db):
    """{chart: preset} of the run file's custom charts (media type 7)."""
    try:
        rows = db.execute("SELECT m.meta FROM metric k JOIN media m ON m.metric_id = k.id "
                          "WHERE k.media = 7 ORDER BY m.x").fetchall()
    except sqlite3.Error:
        return {}  # a run file without media tables
    charts = {}
    for (meta,) in rows:
        meta = json.loads(meta)
        charts[meta["chart"]] = meta.get("preset")
    return charts


def check_media_files(state, args, run, run_key):
    """Every media file uploaded once, listed, and named by the history; with
    --media DIR, exactly the files `tally media` wrote, with their sha256."""
    problems = []
    prefix = run_key + "/"
    ups = {t[len(prefix):]: u for t, u in state["uploads"].items()
           if t.startswith(prefix) and t[len(prefix):].startswith("media/")}
    again = set()
    if args.reput_ok:
        with open(args.reput_ok) as f:
            again = set(line.strip() for line in f if line.strip())
    for path, u in sorted(ups.items()):
        if u["puts"] != 1 and not (u["puts"] == 2 and path in again):
            problems.append("%s was PUT %d times" % (path, u["puts"]))
        if path not in run["uploaded"]:
            problems.append("%s was PUT but never listed in \"uploaded\"" % path)
    named = set()
    for line in run["history"]:
        for v in json.loads(line).values():
            if isinstance(v, dict) and v.get("_type") in MEDIA_TYPES:
                named.update(v.get("filenames") or ([v["path"]] if "path" in v else []))
                up = ups.get(v.get("path"), {})
                named.update(c.get("path") for c in (up.get("table") or {}).get("cells", []))
    for path in sorted(named - set(run["uploaded"])):
        problems.append("the history names %s, which the server does not have" % path)
    for path in sorted(set(ups) - named):
        problems.append("%s was uploaded but no history row names it" % path)
    if args.media:
        want = {}
        top = os.path.join(args.media, "media")
        for d, _, names in os.walk(top):
            for n in names:
                full = os.path.join(d, n)
                with open(full, "rb") as f:
                    want[os.path.relpath(full, args.media)] = hashlib.sha256(f.read()).hexdigest()
        if not want:
            problems.append("--media %s holds no files" % args.media)
        for path in sorted(set(want) - set(ups)):
            problems.append("%s (tally media wrote it) was never uploaded" % path)
        for path in sorted(set(ups) - set(want)):
            problems.append("%s was uploaded but tally media did not write it" % path)
        for path in sorted(set(want) & set(ups)):
            if want[path] != ups[path]["sha256"]:
                problems.append("%s: uploaded sha256 %s, tally media's file %s"
                                % (path, ups[path]["sha256"], want[path]))
    return problems


def check(args):
    """Compares what the server recorded with `tally export` and the run file."""
    state = get_state(args.port)
    problems = list(state["violations"])
    runs = [(k, r) for k, r in state["runs"].items() if k.endswith("/" + args.run)]
    if len(runs) != 1:
        problems.append("expected one run %s on the server, found %d" % (args.run, len(runs)))
        print("\n".join(problems))
        return 1
    run_key, run = runs[0]
    with open(args.export) as f:
        want = [canon(json.loads(line)) for line in f if line.strip()]
    got = [canon(json.loads(line)) for line in run["history"]]
    if len(got) != len(want):
        problems.append("history: server has %d rows, export %d" % (len(got), len(want)))
    steps = [json.loads(line)["_step"] for line in run["history"]]
    if steps != sorted(set(steps)):
        problems.append("history: steps repeat or go backwards")
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            problems.append("history row %d differs:\n  server %s\n  export %s" % (i, g, w))
            break
    if args.db:
        db = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True)
        logs = [(s, line) for s, line in db.execute("SELECT stream, line FROM log ORDER BY seq")]
        if len(logs) != len(run["output"]):
            problems.append("output.log: server has %d lines, run file %d"
                            % (len(run["output"]), len(logs)))
        for i, ((stream, text), line) in enumerate(zip(logs, run["output"])):
            body = OUTPUT_RE.sub("", line)
            if body != text or (stream == 2) != line.startswith("ERROR "):
                problems.append("output.log line %d differs: %r vs %r" % (i, line, text))
                break
        summary = dict((k, json.loads(v)) for k, v in db.execute("SELECT key, value FROM summary"))
        got_summary = json.loads(run["summary"]) if run["summary"] else {}
        for k, v in summary.items():
            if canon(got_summary.get(k)) != canon(v):
                problems.append("summary %s: server %r, run file %r" % (k, got_summary.get(k), v))
        config = dict((k, json.loads(v)) for k, v in db.execute("SELECT key, value FROM config"))
        got_config = json.loads(run["upsert"].get("config", "{}"))
        charts = media_charts(db)
        if charts or "_wandb" in got_config:
            # Custom charts add _wandb.visualize (checked below), as wandb's SDK does.
            box = got_config.get("_wandb", {}).get("value", {})
            visualize = box.pop("visualize", {}) if isinstance(box, dict) else {}
            if box == {} and "_wandb" not in config:
                got_config.pop("_wandb", None)
            if sorted(visualize) != sorted(charts):
                problems.append("config _wandb.visualize has %s, the run's charts are %s"
                                % (sorted(visualize), sorted(charts)))
            for chart, preset in charts.items():
                v = visualize.get(chart, {}).get("panel_config", {})
                if v.get("panelDefId") != PRESET_IDS.get(preset, preset):
                    problems.append("chart %s: panelDefId %r for preset %r"
                                    % (chart, v.get("panelDefId"), preset))
        if canon(got_config) != canon({k: {"value": v} for k, v in config.items()}):
            problems.append("config differs: %s" % run["upsert"].get("config"))
        files = [p for (p,) in db.execute("SELECT path FROM file")]
        saved = [u for u in run["uploaded"] if not u.startswith("media/")]
        if sorted(saved) != sorted(files):
            problems.append("files: server %s, run file %s" % (saved, files))
        # Every sample time once, in order (the tests' metrics share their times).
        nsamples = db.execute("SELECT max(n) FROM metric WHERE axis = 'time'").fetchone()[0] or 0
        times = [json.loads(line)["_runtime"] for line in run["events"]]
        if len(times) != nsamples:
            problems.append("events: server has %d lines, run file %d sample times"
                            % (len(times), nsamples))
        if times != sorted(set(times)):
            problems.append("events: sample times repeat or go backwards")
    problems += check_media_files(state, args, run, run_key)
    if args.complete and not run["complete"]:
        problems.append("the run was not marked complete")
    if args.exitcode is not None and run["exitcode"] != args.exitcode:
        problems.append("exitcode %r, want %d" % (run["exitcode"], args.exitcode))
    if problems:
        print("\n".join(problems))
        return 1
    nmedia = sum(1 for u in run["uploaded"] if u.startswith("media/"))
    print("ok: %d history rows, %d events, %d output lines, %d files%s%s"
          % (len(got), len(run["events"]), len(run["output"]), len(run["uploaded"]) - nmedia,
             ", %d media files" % nmedia if nmedia else "",
             ", complete" if run["complete"] else ""))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--port-file")
    s.add_argument("--state", help="keep the recorded state in this file (survives restarts)")
    s.add_argument("--key", default=os.environ.get("FAKE_WANDB_KEY", DEFAULT_KEY))
    s.add_argument("--reject-key", action="store_true", help="answer 401 to every request")
    s.add_argument("--entity", default="fake-entity")
    s.add_argument("--fail-rate", type=float, default=0.0)
    s.add_argument("--fail-modes", default="500,429,drop-before,drop-after,slow",
                   help="which faults to inject, comma-separated")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--retry-after", default="1")
    s.add_argument("--slow-s", type=float, default=2.0)
    s.add_argument("--delay-s", type=float, default=0.0, help="think this long per request")
    s.add_argument("--gzip", action="store_true", help="list FILESTREAM_GZIP")
    s.add_argument("--bench", action="store_true", help="count lines, keep none")
    s.add_argument("--put-fail-rate", type=float, default=0.0,
                   help="fail this fraction of uploads (500, 429, dropped) before keeping them")
    s.add_argument("--put-status", type=int, default=0, help="answer every upload with this")
    st = sub.add_parser("state")
    st.add_argument("--port", type=int, required=True)
    c = sub.add_parser("check")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--run", required=True)
    c.add_argument("--export", required=True)
    c.add_argument("--db")
    c.add_argument("--complete", action="store_true")
    c.add_argument("--exitcode", type=int)
    c.add_argument("--media", help="the folder `tally media RUN -o` wrote")
    c.add_argument("--reput-ok", help="a file of paths that may be PUT twice (a killed "
                   "sync's last PUT, never acknowledged to it)")
    args = p.parse_args()
    if args.cmd == "serve":
        serve(args)
    elif args.cmd == "state":
        print(json.dumps(get_state(args.port), indent=1))
    else:
        sys.exit(check(args))


if __name__ == "__main__":
    main()
