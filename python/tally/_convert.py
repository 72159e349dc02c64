"""Values the C walk of Run.log() does not know, turned into what wandb stores.

The C walk handles floats, ints, bools, strings, None, nested dicts and
numpy / torch scalars itself.  Everything else comes here and goes back as
(kind, value): (0, scalar) to log as a number or text, (1, json_text) to
store as a JSON value, or (2, why) for values wandb turns into media (a long
array becomes a histogram): those are skipped, counted in run.skipped, with
one warning.  numpy and torch are never imported here: their objects are
recognised by their type names.
"""
import json

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
    return (2, f"an array of {a.size} values (wandb makes it a histogram; "
               "histograms need media support, not in this version)")


def convert(v):
    name = _typename(v)
    if name.startswith("torch.") and hasattr(v, "detach"):
        t = v.detach()
        if t.numel() == 1:
            return (0, t.item())
        return _array(t.cpu().numpy())
    if name == "numpy.ndarray" or (hasattr(v, "__array__") and hasattr(v, "size")
                                   and hasattr(v, "tolist") and hasattr(v, "reshape")):
        return _array(v)
    if isinstance(v, (list, tuple, range)):
        return (1, dumps(list(v)))
    if name.startswith("numpy.") and hasattr(v, "item"):
        return (0, v.item())
    if name.startswith("pandas."):
        return (2, "a pandas object (wandb makes it a Table; tables need media support, "
                   "not in this version)")
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

