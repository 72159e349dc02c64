"""run.config: the run's hyperparameters, as wandb.config.

Item and attribute access, update() from a dict, an argparse.Namespace or
any object with a __dict__; each change is written to the run file at once
(tally_config_set).  As in wandb, changing a value already set raises
ConfigError unless update(..., allow_val_change=True) says so, and keys
lose leading and trailing '-'.
"""
from . import _convert
from ._tally import Error


class ConfigError(Error):
    """A config key changed value without allow_val_change=True."""


def _as_dict(d):
    if d is None:
        return {}
    if isinstance(d, dict):
        return dict(d)
    if hasattr(d, "keys") and hasattr(d, "__getitem__"):
        return {k: d[k] for k in d.keys()}
    if hasattr(d, "__dict__"):  # argparse.Namespace and friends
        return {k: v for k, v in vars(d).items() if not k.startswith("_")}
    raise TypeError(f"config: expected a dict or an argparse.Namespace, not {type(d).__name__}")


def parse(d, include=None, exclude=None):
    """A config source as a plain dict, with wandb's include/exclude keys."""
    items = _as_dict(d)
    if include:
        items = {k: v for k, v in items.items() if k in include}
    if exclude:
        items = {k: v for k, v in items.items() if k not in exclude}
    return items


class Config:
    def __init__(self, run=None):
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_items", {})

    def _set(self, key, value, allow_val_change):
        if not isinstance(key, str):
            raise TypeError("config keys must be strings")
        key = key.strip("-")
        items = self._items
        if key in items and not allow_val_change and items[key] != value:
            raise ConfigError(
                f'Attempted to change value of key "{key}" from {items[key]!r} to {value!r}\n'
                "If you really want to do this, pass allow_val_change=True to config.update()")
        items[key] = value
        if self._run is not None:
            self._run._check(self._run._config_set(key, _convert.to_json_value(value)),
                             f"config[{key!r}]")

    def update(self, d=None, allow_val_change=False, **kwargs):
        for k, v in {**parse(d), **kwargs}.items():
            self._set(k, v, allow_val_change)

    def setdefaults(self, d):
        for k, v in parse(d).items():
            if k not in self._items:
                self._set(k, v, False)

    def __setitem__(self, key, value):
        self._set(key, value, False)

    def __getitem__(self, key):
        return self._items[key]

    def __setattr__(self, key, value):
        self._set(key, value, False)

    def __getattr__(self, key):
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None

    def __contains__(self, key):
        return key in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def get(self, key, default=None):
        return self._items.get(key, default)

    def keys(self):
        return self._items.keys()

    def items(self):
        return self._items.items()

    def values(self):
        return self._items.values()

    def as_dict(self):
        return dict(self._items)

    def __repr__(self):
        return f"Config({self._items!r})"
