"""tally.Api: read local runs back, shaped like wandb.Api for the cloud.

    api = tally.Api()                  # the store root: dir=, $TALLY_DIR, ./tally
    for r in api.runs("mnist"):
        print(r.id, r.state, r.summary.get("val/acc"))
    df = api.run("ab12cd34").history(keys=["loss"])
    img = api.run("ab12cd34").image("samples")   # the last one, H x W x 4

History rows hold media as wandb's history does (a dict with "_type" and a
"path" under media/); run.file(path) gives that file's bytes, and image(),
histogram(), table(), audio() the decoded objects.  Everything is read
through libtally's read API (tally_store.h), also while a run is still
being written.
"""
import json
import os

from . import _tally


def _loads(text, default):
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


class ApiRun:
    """One run as read from its file."""

    def __init__(self, info):
        self._path = info["path"]
        self._info = info
        self._store = None

    def _st(self):
        if self._store is None:
            self._store = _tally.Store(self._path)
        return self._store

    def load(self):
        """Reads the run row again (a live run moves on)."""
        self._info = self._st().info()
        return self

    def __getattr__(self, key):
        info = self.__dict__.get("_info")
        if info is not None and key in ("id", "project", "name", "group", "job_type", "notes",
                                        "mode", "host", "user", "os", "cwd", "start_time",
                                        "end_time", "heartbeat", "pid", "rows", "last_step"):
            return info[key]
        raise AttributeError(key)

    @property
    def path(self):
        """The run file."""
        return self._path

    @property
    def state(self):
        """"running", "finished", "failed" or "crashed"."""
        return self.load()._info["state"]

    @property
    def exit_code(self):
        info = self.load()._info
        return info["exit_code"] if info["has_exit_code"] else None

    @property
    def tags(self):
        return _loads(self._info["tags_json"], [])

    @property
    def command(self):
        return _loads(self._info["command_json"], [])

    @property
    def git(self):
        return _loads(self._info["git_json"], None)

    @property
    def summary(self):
        return _loads(self._st().summary(), {})

    @property
    def config(self):
        return _loads(self._st().config(), {})

    @property
    def metrics(self):
        """The keys logged, with their rules (step_metric, summary bits, goal)."""
        return self._st().metrics()

    def files(self):
        """The files saved into the run: [{"path", "size", "mtime"}]."""
        return self._st().files()

    def file(self, path):
        """The bytes of one saved file, or of a media file by the path its
        history cell names (media/images/..., media/table/...)."""
        if path.startswith("media/"):
            sha = self._media_paths().get(path)
            if sha is None:
                raise FileNotFoundError(f"{path}: no such media file in run {self.id}")
            return self._st().blob(sha)
        return self._st().file_read(path)

    # -- media ---------------------------------------------------------------
    def media_keys(self):
        """The keys holding objects: [{"name", "type", "count", "first_step",
        "last_step", "metric_id"}]."""
        return self._st().media_keys()

    def _media_key(self, key):
        for k in self.media_keys():
            if k["name"] == key:
                return k
        raise KeyError(f"run {self.id} has no media key {key!r}")

    def media(self, key=None, min_step=None, max_step=None):
        """The objects of key (None: every key) with step in [min_step,
        max_step], in step order: dicts with "key", "step", "type", "wandb"
        (the history cell), "files" ([{"sha256", "path", "format", "width",
        "height", "caption", "size"}]) and the fields of their type."""
        mid = -1 if key is None else self._media_key(key)["metric_id"]
        lo = -(1 << 63) if min_step is None else int(min_step)
        hi = (1 << 63) - 1 if max_step is None else int(max_step)
        return self._st().media(mid, lo, hi)

    def _media_paths(self):
        paths = {}
        for m in self.media():
            for f in m["files"]:
                if f["path"]:
                    paths[f["path"]] = f["sha256"]
        return paths

    def _object(self, key, step, what="dict"):
        k = self._media_key(key)
        if k["count"] == 0:
            raise KeyError(f"{key!r} holds no objects")
        step = k["last_step"] if step is None else int(step)
        got = self._st().media(k["metric_id"], step, step, what)
        if what == "dict":
            if not got:
                raise KeyError(f"{key!r} has no object at step {step}")
            return got[0]
        return got

    def image(self, key, step=None, index=0):
        """An image decoded to RGBA: a numpy array H x W x 4 (uint8), or
        (width, height, bytes) without numpy.  key: a media key (step: its
        last object when None; index: which image of a gallery or table),
        or a history cell / table cell dict as history() returns it."""
        if isinstance(key, dict):
            sha = key.get("sha256")
            if sha is None:
                paths = key.get("filenames") or ([key["path"]] if "path" in key else [])
                if not paths:
                    raise ValueError("image: the cell names no image file")
                sha = self._media_paths().get(paths[index])
                if sha is None:
                    raise FileNotFoundError(f"{paths[index]}: no such media file")
        else:
            obj = self._object(key, step)
            files = [f for f in obj["files"] if f["format"] != "json"]
            if not files:
                raise ValueError(f"{key!r} at step {obj['step']} holds no image")
            sha = files[index]["sha256"]
        w, h, px = self._st().image_rgba(sha)
        try:
            import numpy as np
        except ImportError:
            return (w, h, px)
        return np.frombuffer(px, dtype=np.uint8).reshape(h, w, 4)

    def histogram(self, key, step=None):
        """A histogram object as a tally.Histogram (.histogram, .bins)."""
        from ._media import Histogram
        w = self._object(key, step)["wandb"]
        return Histogram(np_histogram=(w["values"], w["bins"]))

    def table(self, key, step=None):
        """A table (or a chart's table, key "<chart>_table") as a
        tally.Table; image cells stay wandb's dicts (give one to image())."""
        from ._media import Table
        cols, rows = self._object(key, step, "table")
        return Table(columns=cols, data=rows)

    def audio(self, key, step=None):
        """An audio object's samples and rate: (numpy float32 array of
        frames, or frames x channels, sample_rate)."""
        rate, channels, frames, data = self._object(key, step, "audio")
        import numpy as np
        a = np.frombuffer(data, dtype=np.float32)
        return (a.reshape(frames, channels) if channels > 1 else a), rate

    def scan_history(self, keys=None, page_size=None, min_step=None, max_step=None):
        """Every history row in step order, as dicts with _step, _runtime,
        _timestamp and the values logged.  With keys, only those columns,
        and only rows that hold every one of them."""
        lo = -(1 << 63) if min_step is None else int(min_step)
        hi = (1 << 63) - 1 if max_step is None else int(max_step) - 1
        return self._rows("step", keys, lo, hi)

    def _rows(self, axis, keys, lo=-(1 << 63), hi=(1 << 63) - 1):
        """History rows; keys asked for by name that are hidden
        (define_metric(hidden=True)) are read from their points, which
        libtally's rows leave out, and joined in by step."""
        st = self._st()
        if keys is None or axis != "step":
            return st.rows(axis, list(keys) if keys is not None else None, lo, hi)
        keys = list(keys)
        hidden = {m["name"] for m in st.metrics() if m["hidden"]} - {"_runtime", "_timestamp"}
        asked = [k for k in keys if k in hidden]
        if not asked:
            return st.rows(axis, keys, lo, hi)
        points = [dict(p for p in st.points(k) if lo <= p[0] <= hi) for k in asked]
        steps = set.intersection(*(set(p) for p in points))
        rest = [k for k in keys if k not in hidden]
        if rest:
            rows = (r for r in st.rows(axis, rest, lo, hi) if r["_step"] in steps)
        else:
            rows = ({"_step": x} for x in sorted(steps))
        return self._join(rows, asked, points)

    @staticmethod
    def _join(rows, names, points):
        for r in rows:
            for k, p in zip(names, points):
                r[k] = p[r["_step"]]
            yield r

    def history(self, samples=500, keys=None, x_axis="_step", pandas=True, stream="default"):
        """At most `samples` rows spread evenly over the run (None: all),
        as a pandas DataFrame when pandas is installed (and pandas=True),
        else a list of dicts.  stream="system" reads the system samples."""
        if keys is not None and not isinstance(keys, (list, tuple)):
            raise TypeError("history: keys must be a list of strings")
        axis = "time" if stream in ("system", "events") else "step"
        if keys is not None and x_axis != "_step":
            keys = list(keys) + [x_axis]
        rows = list(self._rows(axis, keys))
        if samples is not None and len(rows) > samples > 0:
            n = len(rows)
            pick = sorted({round(i * (n - 1) / (samples - 1)) for i in range(samples)}) \
                if samples > 1 else [n - 1]
            rows = [rows[i] for i in pick]
        if pandas:
            try:
                import pandas as pd
            except ImportError:
                return rows
            return pd.DataFrame.from_records(rows)
        return rows

    def __repr__(self):
        return f"<tally.ApiRun {self._info['project']}/{self._info['id']} ({self.state})>"


class Api:
    """Reads the runs under a store root (dir, else $TALLY_DIR, else ./tally)."""

    def __init__(self, dir=None, overrides=None):
        self.dir = os.fspath(dir) if dir is not None else (os.environ.get("TALLY_DIR")
                                                           or "tally")

    def runs(self, project=None, filters=None, order=None):
        """The runs, newest first; project= keeps one project's."""
        if not os.path.isdir(self.dir):
            return []
        out = []
        for info in _tally.list_runs(self.dir):
            if project is not None and info["project"] != project.split("/")[-1]:
                continue
            out.append(ApiRun(info))
        return out

    def run(self, path):
        """One run by id (or a unique prefix), "project/id", or its file path."""
        key = path.split("/")[-1] if not os.path.exists(path) else path
        found = _tally.resolve(self.dir, key) if os.path.isdir(self.dir) or \
            os.path.exists(path) else None
        if found is None:
            raise ValueError(f"no run {path} under {self.dir}")
        st = _tally.Store(found)
        try:
            info = st.info()
        finally:
            st.close()
        return ApiRun(info)
