"""tally.Run: a run as wandb's Run — log, summary, config, define_metric,
finish, save — over the C type _tally.Run, whose log() is the hot path
(a subclass inherits it, so run.log costs one C call).
"""
import glob
import os

from . import _convert, _tally, _watch
from ._config import Config
from ._summary import Summary

# define_metric's summary words, as libtally's TALLY_SUMMARY_* bits.
_SUMMARY_BITS = {"min": 0x01, "max": 0x02, "mean": 0x04, "last": 0x08, "first": 0x10,
                 "none": 0x20, "copy": 0x08}
_HIDDEN = 0x40  # TALLY_METRIC_HIDDEN
_GOALS = {None: 0, "minimize": 1, "min": 1, "maximize": 2, "max": 2}
_WARN_OTHER = 1 << 5


class Metric:
    """What define_metric() returns: the rule, as given."""

    def __init__(self, name, step_metric, summary, goal, hidden):
        self.name, self.step_metric, self.summary = name, step_metric, summary
        self.goal, self.hidden = goal, hidden

    def __repr__(self):
        return (f"Metric(name={self.name!r}, step_metric={self.step_metric!r}, "
                f"summary={self.summary!r}, goal={self.goal!r})")


class Run(_tally.Run):
    """A run being recorded.  Make one with tally.init()."""

    def __init__(self, project=None, config=None, mode=None, **options):
        super().__init__(project=project, mode=mode, converter=_convert.convert, **options)
        self.project = project or os.environ.get("TALLY_PROJECT") or "default"
        self.mode = "disabled" if self.disabled else \
            (mode or os.environ.get("TALLY_MODE") or "offline")
        self.config = Config(self)
        self.summary = Summary(self)
        self._saves = []  # glob patterns saved (again) at finish
        self._files_dir = None  # run.dir, once asked for
        self._init_pid = os.getpid()
        self._watchers = []  # tally.watch hooks
        self._watch_count = 0
        self.exit_code = None
        if config:
            self.config.update(config, allow_val_change=True)

    # -- what wandb's Run exposes ------------------------------------------
    @property
    def dir(self):
        """A folder for the run's own files, made on first use beside the run
        file (<run file>.files/; a temporary one for a disabled run).  At
        finish every file in it is saved into the run file, as wandb uploads
        its run.dir; the folder stays."""
        if self._files_dir is None:
            if self.path:
                base = self.path[:-3] if self.path.endswith(".db") else self.path
                self._files_dir = base + ".files"
                os.makedirs(self._files_dir, exist_ok=True)
            else:
                import tempfile
                self._files_dir = tempfile.mkdtemp(prefix="tally-run-")
        return self._files_dir

    @property
    def offline(self):
        return self.mode != "online"

    def _check(self, rc, what):
        """Turns a libtally status into one warning (never an exception)."""
        if rc and rc != _tally.EFINISHED:
            self._warn(_WARN_OTHER, f"{what}: {_tally.strerror(rc)}")
        elif rc == _tally.EFINISHED and not self.disabled:
            self._warn(1 << 2, "the run is finished: the call is ignored")
        return rc

    def define_metric(self, name, step_metric=None, step_sync=None, hidden=None,
                      summary=None, goal=None, overwrite=None):
        """Rules for keys matching name (a key, or a prefix ending in '*'):
        step_metric is their x axis, summary a comma-separated list of
        min, max, mean, first, last, best, none; goal minimize / maximize;
        hidden=True stores them hidden (as _runtime: out of charts and of
        history rows, still in the summary and the metric list)."""
        if not isinstance(name, str) or not name:
            raise ValueError("define_metric: name must be a non-empty string")
        if "*" in name[:-1]:
            raise ValueError("define_metric: a glob may only end in '*' (e.g. 'val/*')")
        if step_metric is not None and not isinstance(step_metric, str):
            step_metric = getattr(step_metric, "name", None)
            if not isinstance(step_metric, str):
                raise TypeError("define_metric: step_metric must be a string or a Metric")
        if isinstance(goal, str):
            goal = goal.lower()
        if goal not in _GOALS:
            raise _tally.Error(f"Unhandled define_metric() arg: goal: {goal}")
        bits = 0
        for word in (summary or "").split(","):
            word = word.strip().lower()
            if not word:
                continue
            if word == "best":  # the best value by the goal
                if not goal:
                    raise _tally.Error("define_metric: summary 'best' needs goal=")
                word = "min" if _GOALS[goal] == 1 else "max"
            if word not in _SUMMARY_BITS:
                raise _tally.Error(f"Unhandled define_metric() arg: summary op: {word}")
            bits |= _SUMMARY_BITS[word]
        if hidden:
            bits |= _HIDDEN
        self._check(self._define_metric(name, step_metric, bits, _GOALS[goal]),
                    f"define_metric({name!r})")
        return Metric(name, step_metric, summary, goal, hidden)

    def save(self, glob_str, base_path=None, policy="live"):
        """Copies the files matching glob_str into the run file, now
        ("now", "live": again at finish, for files still being written) or
        at finish ("end").  Returns the paths matched."""
        if policy not in ("live", "now", "end"):
            raise ValueError('save: policy must be "live", "now" or "end"')
        if not isinstance(glob_str, (str, os.PathLike)):
            raise TypeError("save: expected a path or a glob pattern")
        glob_str = os.fspath(glob_str)
        paths = sorted(p for p in glob.glob(glob_str) if os.path.isfile(p))
        if not paths and not glob.has_magic(glob_str) and policy != "end":
            self._warn(_WARN_OTHER, f"save: no such file: {glob_str}")
        if policy != "end":
            for p in paths:
                self._check(self._save_file(p), f"save({p!r})")
        if policy != "now":
            self._saves.append(glob_str)
        return paths

    def log_code(self, *args, **kwargs):
        """Accepted for wandb scripts; tally records the git state and diff
        of the program itself (see capture)."""
        return None

    def watch(self, models, criterion=None, log="gradients", log_freq=1000, idx=None,
              log_graph=False):
        """Logs 64-bin histograms of a torch model's gradients
        (`gradients/<name>`, log="gradients"), parameters
        (`parameters/<name>`, "parameters") or both ("all"), every
        log_freq-th backward / forward, into the current step.  log_graph
        is accepted and ignored."""
        if self.disabled:
            return []
        return _watch.watch(self, models, criterion, log, log_freq, idx, log_graph)

    def unwatch(self, models=None):
        """Removes watch()'s hooks from models (default: all)."""
        _watch.unwatch(self, models)

    def finish(self, exit_code=None, quiet=None):
        """Writes everything and marks the run finished (exit code 0) or
        failed.  A second call does nothing."""
        if self._finished or self.disabled:
            return
        if os.getpid() != self._init_pid:
            return  # a fork()ed child: the run is the parent's
        for pattern in self._saves:
            for p in sorted(glob.glob(pattern)):
                if os.path.isfile(p):
                    self._save_file(p)
        self._saves = []
        if self._files_dir is not None and self.path:
            for top, _, files in os.walk(self._files_dir):
                for f in sorted(files):  # saved under their base names
                    self._check(self._save_file(os.path.join(top, f)), f"run.dir file {f!r}")
        self.unwatch()
        self.exit_code = int(exit_code or 0)
        self._check(self._finish(self.exit_code), "finish")
        self.summary._close()
        from . import _runs_finished
        _runs_finished(self)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            code = 0
        elif issubclass(exc_type, KeyboardInterrupt):
            code = 255
        else:
            code = 1
        self.finish(exit_code=code)
        return False

    def __repr__(self):
        return f"<tally.Run {self.id} {self.name!r} ({self.path})>"
