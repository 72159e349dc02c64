"""run.summary: one value per key for the whole run, as wandb.summary.

By default a key's summary is its last logged value; define_metric() rules
make it {"min": ..., "max": ...}; setting a key overrides it until the key
is logged again.  Reading waits for the flusher and reads the run file, so
it returns what the file holds (for a disabled run: what was set).
"""
import json

from . import _convert


class Summary:
    def __init__(self, run):
        self._run = run
        self._local = {}
        self._store = None

    def _read(self):
        run = self._run
        if run.disabled or run.path is None:
            return dict(self._local)
        if not run._finished:
            run._flush()
        return self._read_file()

    def _read_file(self):
        from ._tally import Store
        try:
            if self._store is None:
                self._store = Store(self._run.path)
            return json.loads(self._store.summary())
        except OSError as e:
            self._run._warn(1 << 5, f"the summary could not be read: {e}")
            return dict(self._local)

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError("summary keys must be strings")
        self._local[key] = value
        run = self._run
        if _convert.is_number(value):
            rc = run._summary_set(key, float(value)) if isinstance(value, float) else \
                run._summary_set_json(key, str(int(value)))
        else:
            rc = run._summary_set_json(key, _convert.to_json_value(value))
        run._check(rc, f"summary[{key!r}]")

    def __getitem__(self, key):
        return self._read()[key]

    def __contains__(self, key):
        return key in self._read()

    def __iter__(self):
        return iter(self._read())

    def __len__(self):
        return len(self._read())

    def get(self, key, default=None):
        return self._read().get(key, default)

    def keys(self):
        return self._read().keys()

    def items(self):
        return self._read().items()

    def update(self, d=None, **kwargs):
        for k, v in {**(d or {}), **kwargs}.items():
            self[k] = v

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"summary has no key {key!r}") from None

    def __setattr__(self, key, value):
        if key.startswith("_"):
            object.__setattr__(self, key, value)
        else:
            self[key] = value

    def _close(self):
        if self._store is not None:
            self._store.close()
            self._store = None

    def __repr__(self):
        return f"Summary({self._read()!r})"
