#!/usr/bin/env python3
"""fake_wandb.py — a fake W&B server for tally's sync tests (stdlib only).

Serves, on 127.0.0.1 only, the requests docs/protocol.md describes: GraphQL
(UpsertBucket, CreateRunFiles, Viewer, ServerFeatures), file_stream, and the
upload URLs it hands out.  It checks every request against the protocol
(Basic auth user "api", body shapes, offsets without gaps, JSON lines,
config wrapped as {"key": {"value": ...}}) and records each run as a server
would see it.  A request that breaks the protocol is answered 400 and noted
in "violations".  It can fail a fraction of requests on purpose (500, 429
with Retry-After, dropped connections, answers slower than the client's
timeout), with a fixed seed, and can refuse the key (401).

  fake_wandb.py serve --port-file F [--state S] [--fail-rate 0.3] [--seed 1]
                      [--fail-modes 500,429,drop-before,drop-after,slow]
                      [--gzip] [--key K] [--reject-key] [--slow-s 2] [--delay-s 0]
                      [--bench]
  fake_wandb.py state --port P                 print the recorded state (JSON)
  fake_wandb.py check --port P --run ID --export FILE [--db RUNFILE] [--complete]
"""
import argparse
import base64
import gzip
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
            for line in content:
                self.check_line(fname, line)
        uploaded = req.get("uploaded", [])
        if not isinstance(uploaded, list) or not all(isinstance(u, str) for u in uploaded):
            self.violation("file_stream: uploaded must be a list of strings")
        for u in uploaded:
            token = "%s/%s/%s/%s" % (entity, project, name, u)
            if token not in self.state["uploads"]:
                self.violation("file_stream: %r listed as uploaded but never PUT" % u)
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
        self.state["uploads"][token] = {"size": len(data),
                                        "text": data.decode("utf-8", "replace")[:4096]}
        self.count("upload")
        self.save()


def make_handler(fake):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

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
                fake.upload(token, data)
            self.reply(200, {})

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
            if mode == "500":
                return self.reply(500, {"error": "injected"})
            if mode == "429":
                return self.reply(429, {"error": "slow down"},
                                  [("Retry-After", str(fake.args.retry_after))])
            if mode == "drop-before":
                return self.drop()
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


def check(args):
    """Compares what the server recorded with `tally export` and the run file."""
    state = get_state(args.port)
    problems = list(state["violations"])
    runs = [r for k, r in state["runs"].items() if k.endswith("/" + args.run)]
    if len(runs) != 1:
        problems.append("expected one run %s on the server, found %d" % (args.run, len(runs)))
        print("\n".join(problems))
        return 1
    run = runs[0]
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
        if canon(got_config) != canon({k: {"value": v} for k, v in config.items()}):
            problems.append("config differs: %s" % run["upsert"].get("config"))
        files = [p for (p,) in db.execute("SELECT path FROM file")]
        if sorted(run["uploaded"]) != sorted(files):
            problems.append("files: server %s, run file %s" % (run["uploaded"], files))
        # Every sample time once, in order (the tests' metrics share their times).
        nsamples = db.execute("SELECT max(n) FROM metric WHERE axis = 'time'").fetchone()[0] or 0
        times = [json.loads(line)["_runtime"] for line in run["events"]]
        if len(times) != nsamples:
            problems.append("events: server has %d lines, run file %d sample times"
                            % (len(times), nsamples))
        if times != sorted(set(times)):
            problems.append("events: sample times repeat or go backwards")
    if args.complete and not run["complete"]:
        problems.append("the run was not marked complete")
    if args.exitcode is not None and run["exitcode"] != args.exitcode:
        problems.append("exitcode %r, want %d" % (run["exitcode"], args.exitcode))
    if problems:
        print("\n".join(problems))
        return 1
    print("ok: %d history rows, %d events, %d output lines, %d files%s"
          % (len(got), len(run["events"]), len(run["output"]), len(run["uploaded"]),
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
    st = sub.add_parser("state")
    st.add_argument("--port", type=int, required=True)
    c = sub.add_parser("check")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--run", required=True)
    c.add_argument("--export", required=True)
    c.add_argument("--db")
    c.add_argument("--complete", action="store_true")
    c.add_argument("--exitcode", type=int)
    args = p.parse_args()
    if args.cmd == "serve":
        serve(args)
    elif args.cmd == "state":
        print(json.dumps(get_state(args.port), indent=1))
    else:
        sys.exit(check(args))


if __name__ == "__main__":
    main()
