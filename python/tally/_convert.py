"""Values the C walk of Run.log() does not know, turned into what wandb stores.

The C walk handles floats, ints, bools, strings, None, nested dicts and
numpy / torch scalars itself.  Everything else comes here and goes back as
(kind, value): (0, scalar) to log as a number or text, (1, json_text) to
store as a JSON value, (3, spec) for a media object the extension stages
with libtally's media calls (see _media.py), or (2, why) for values tally
cannot store (counted in run.skipped, one warning).  As wandb: arrays and
tensors of more than 32 values become 32-bin histograms, lists of Images a
gallery, pandas DataFrames tables.  numpy and torch are never imported
here: their objects are recognised by their type names.
"""
import json

from . import _media

# wandb keeps arrays of up to 32 values as lists and makes a histogram of
# longer ones (its history JSON encoder).
LIST_MAX = 32


def _typename(v):
    t = type(v)
    return t.__module__ + "." + t.__name__


def _json_default(v):
    """json.dumps' hook for numpy values inside lists and nested arrays."""
    if hasattr(v, "tolist"):
        return v.tolist()
    if hasattr(v, "item"):
        return v.item()
    raise TypeError(f"cannot log a value of type {_typename(v)}")


def dumps(v):
    """JSON text with bare NaN / Infinity (as the run file keeps them)."""
    return json.dumps(v, default=_json_default, allow_nan=True, separators=(",", ":"))


def _array(a):
    if a.size == 1:
        return (0, a.reshape(-1)[0].item())
    if a.size <= LIST_MAX:
        return (1, dumps(a.tolist()))
    if a.dtype.kind not in "uifb":
        return (2, f"an array of {a.size} {a.dtype} values (not numbers: no histogram)")
    return (3, _media.Histogram(a, num_bins=32)._spec())  # wandb's maybe_compress_history


def _media_spec(m):
    spec = m._spec()
    if spec[0] == "skip":
        return (2, spec[1])
    return (3, spec)


def _sequence(v):
    """A list or tuple: of Images a gallery, of other media one warning,
    else the JSON list wandb stores."""
    if v and all(isinstance(x, _media.Media) for x in v):
        if all(isinstance(x, _media.Image) for x in v):
            return (3, _media.gallery_spec(list(v)))
        return (2, f"a list of {type(v[0]).__name__} objects (tally stores lists of "
                   "images only)")
    return (1, dumps(list(v)))


def convert(v):
    if isinstance(v, _media.Media):
        return _media_spec(v)
    name = _typename(v)
    if name.startswith("torch.") and hasattr(v, "detach"):
        t = v.detach()
        if t.numel() == 1:
            return (0, t.item())
        return _array(_media._to_numpy(t))  # half / bfloat16 as float32
    if name == "numpy.ndarray" or (hasattr(v, "__array__") and hasattr(v, "size")
                                   and hasattr(v, "tolist") and hasattr(v, "reshape")):
        return _array(v)
    if isinstance(v, (list, tuple)):
        return _sequence(v)
    if isinstance(v, range):
        return (1, dumps(list(v)))
    if name.startswith("numpy.") and hasattr(v, "item"):
        return (0, v.item())
    if name == "pandas.core.frame.DataFrame":
        return _media_spec(_media.Table(dataframe=v))
    if name.startswith("pandas.") and hasattr(v, "to_numpy"):
        return _array(v.to_numpy())
    if isinstance(v, (set, frozenset)):
        raise TypeError("cannot log a set (its order is not defined): pass a list")
    raise TypeError(f"cannot log a value of type {name}")


def to_json_value(v):
    """A Python value as JSON text for config and summary: numpy and torch
    values by their tolist()/item(), anything else JSON lacks by str()."""
    def default(x):
        try:
            return _json_default(x)
        except TypeError:
            return str(x)
    return json.dumps(v, default=default, allow_nan=True, separators=(",", ":"))


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)

