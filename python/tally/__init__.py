"""tally: track machine-learning training runs, with wandb's Python API.

    import tally
    run = tally.init(project="mnist", config={"lr": 1e-3})
    for step in range(100):
        run.log({"loss": 1.0 / (step + 1)})
    run.finish()

Runs land in one SQLite file each under ./tally (or dir=, $TALLY_DIR); the
`tally` command shows them, and tally.Api() reads them back.  Every call is
cheap and never raises for a tally-side problem (one warning instead);
wrong arguments raise TypeError / ValueError as wandb does.  numpy and
torch are never imported by tally itself.
"""
import atexit as _atexit
import os as _os
import sys as _sys

from . import _config, _tally, plot
from ._tally import Error
from .api import Api
from ._config import ConfigError
from ._media import Audio, Histogram, Image, Table, Video
from ._run import Metric, Run
from .plot import plot_table

__version__ = _tally.VERSION
__all__ = ["init", "log", "finish", "save", "define_metric", "watch", "unwatch", "Api", "Run",
           "Error", "ConfigError", "Metric", "Image", "Histogram", "Table", "Video", "Audio",
           "plot", "plot_table", "run", "config", "summary"]

run = None       # the current run (tally.run), as wandb.run
config = None    # its config, once init() ran
summary = None   # its summary

_live = []       # runs started and not finished, finished at exit

_WANDB_IGNORED = {"entity", "save_code", "settings", "anonymous", "sync_tensorboard",
                  "monitor_gym", "magic", "force", "allow_val_change", "tensorboard",
                  "fork_from", "resume_from", "config_exclude_keys", "config_include_keys"}


def _preinit(*args, **kwargs):
    raise Error("You must call tally.init() before tally.log()")


log = _preinit


def init(project=None, name=None, config=None, dir=None, id=None, resume=None, mode=None,
         tags=None, group=None, job_type=None, notes=None, reinit=None, **kwargs):
    """Starts a run and makes it tally.run.  Arguments as wandb.init's.

    dir is the store root (default $TALLY_DIR, else ./tally); resume
    "allow" (or True, "auto") continues the run with that id if it exists,
    "must" requires it, "never" refuses it; mode "offline" (default),
    "online" (also syncs to a W&B server) or "disabled" (every call a cheap
    no-op); reinit: what to do when a run is already live: None / False /
    "return_previous" return it, True / "finish_previous" finish it first,
    "create_new" starts another beside it."""
    unknown = set(kwargs) - _WANDB_IGNORED
    if unknown:
        raise TypeError(f"init() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    if mode is not None and mode not in ("offline", "online", "disabled", "dryrun", "run"):
        raise ValueError(f'init: mode must be "offline", "online" or "disabled", not {mode!r}')
    mode = {"dryrun": "offline", "run": "online"}.get(mode, mode)
    if reinit not in (None, False, True, "default", "return_previous", "finish_previous",
                      "create_new"):
        raise ValueError(f"init: unknown reinit {reinit!r}")
    if run is not None and not run._finished and run in _live:
        if reinit in (None, False, "default", "return_previous"):
            return run
        if reinit in (True, "finish_previous"):
            run.finish()
    if isinstance(tags, str):
        raise TypeError("init: tags must be a list of strings, not a string")
    root = _os.fspath(dir) if dir is not None else None
    if resume in (True, "auto"):
        resume = "allow"
    if resume not in (None, False, "allow", "must", "never"):
        raise ValueError(f'init: resume must be "allow", "must" or "never", not {resume!r}')
    if resume == "must" and not id:
        raise Error('init: resume="must" needs id=')
    if id and resume in ("must", "never") and mode != "disabled":
        where = root or _os.environ.get("TALLY_DIR") or "tally"
        exists = _os.path.isdir(where) and _tally.resolve(where, id) is not None
        if resume == "must" and not exists:
            raise Error(f'init: resume="must" but run {id} does not exist under {where}')
        if resume == "never" and exists:
            raise Error(f'init: resume="never" but run {id} already exists under {where}')
    cfg = _config.parse(config, kwargs.get("config_include_keys"),
                        kwargs.get("config_exclude_keys"))
    r = Run(project=project, name=name, dir=root, id=id, mode=mode,
            capture=_capture_bits(kwargs.get("settings")),
            tags=list(tags) if tags is not None else None, group=group, job_type=job_type,
            notes=notes, config=cfg)
    _set_current(r)
    if not r.disabled:
        _live.append(r)
        _hooks.install()
    return r


def _capture_bits(settings):
    """wandb's settings console="off" and x_disable_stats as libtally's
    TALLY_CAPTURE_* bits (0: record everything)."""
    if settings is None:
        return 0
    get = settings.get if isinstance(settings, dict) else \
        (lambda k, d=None: getattr(settings, k, d))
    bits = 0x1 | 0x2 | 0x4 | 0x8
    if get("console", "auto") in ("off", False):
        bits &= ~0x2
    if get("x_disable_stats", False) or get("_disable_stats", False):
        bits &= ~0x1
    return 0x80000000 if bits == 0 else (0 if bits == 0xF else bits)


def _set_current(r):
    global run, config, summary, log
    run = r
    config = r.config if r is not None else None
    summary = r.summary if r is not None else None
    log = r.log if r is not None else _preinit


def _runs_finished(r):
    """Called by Run.finish(): forgets the run; tally.run goes back to None."""
    if r in _live:
        _live.remove(r)
    if run is r:
        _set_current(None)


def finish(exit_code=None, quiet=None):
    """Finishes tally.run (see Run.finish)."""
    if run is not None:
        run.finish(exit_code=exit_code)


def save(glob_str, base_path=None, policy="live"):
    """Copies files into tally.run (see Run.save)."""
    if run is None:
        raise Error("You must call tally.init() before tally.save()")
    return run.save(glob_str, base_path=base_path, policy=policy)


def define_metric(name, step_metric=None, step_sync=None, hidden=None, summary=None,
                  goal=None, overwrite=None):
    """Metric rules on tally.run (see Run.define_metric)."""
    if run is None:
        raise Error("You must call tally.init() before tally.define_metric()")
    return run.define_metric(name, step_metric=step_metric, step_sync=step_sync,
                             hidden=hidden, summary=summary, goal=goal, overwrite=overwrite)


def watch(models, criterion=None, log="gradients", log_freq=1000, idx=None, log_graph=False):
    """Histograms of a torch model's gradients and / or parameters on
    tally.run (see Run.watch)."""
    if run is None:
        raise Error("You must call tally.init() before tally.watch()")
    return run.watch(models, criterion=criterion, log=log, log_freq=log_freq, idx=idx,
                     log_graph=log_graph)


def unwatch(models=None):
    """Removes tally.watch's hooks (see Run.unwatch)."""
    if run is not None:
        run.unwatch(models)


class _Hooks:
    """How the process ends decides how its runs end, as in wandb: an
    uncaught exception fails them (exit code 1; Ctrl-C: 255), sys.exit(n)
    gives them n, a normal exit 0.  atexit finishes what is still live."""

    def __init__(self):
        self.installed = False
        self.exit_code = 0

    def install(self):
        if self.installed:
            return
        self.installed = True
        self._orig_excepthook = _sys.excepthook
        self._orig_exit = _sys.exit
        _sys.excepthook = self.excepthook
        _sys.exit = self.exit
        _atexit.register(self.atexit)
        if hasattr(_os, "register_at_fork"):
            _os.register_at_fork(after_in_child=self.after_fork)

    def excepthook(self, exc_type, exc, tb):
        self.exit_code = 255 if issubclass(exc_type, KeyboardInterrupt) else 1
        self._orig_excepthook(exc_type, exc, tb)

    def exit(self, code=None):
        if code is None:
            self.exit_code = 0
        elif isinstance(code, int):
            self.exit_code = code
        else:
            self.exit_code = 1  # sys.exit("message")
        self._orig_exit(code)

    def atexit(self):
        for r in list(_live):
            try:
                r.finish(exit_code=self.exit_code)
            except Exception as e:  # never let exit hide the program's own error
                _tally.warn(f"finishing run {r.id} at exit: {e}")

    def after_fork(self):
        for r in _live:
            r._mark_forked()
        _live.clear()


_hooks = _Hooks()

# Parts of wandb's API that tally does not have: a clear message instead of
# a bare AttributeError.
_NOT_YET = {"Object3D", "Molecule", "Html", "Artifact", "use_artifact", "log_artifact",
            "Plotly", "Graph"}


def __getattr__(name):
    if name in _NOT_YET:
        raise AttributeError(f"tally.{name} is not in tally (it logs scalars, text, config, "
                             "summary, images, histograms, tables, audio, video and charts; "
                             "see docs/python.md)")
    raise AttributeError(f"module 'tally' has no attribute {name!r}")
