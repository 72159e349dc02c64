"""tally.plot: wandb.plot's charts — line, scatter, bar, histogram,
line_series, confusion_matrix, pr_curve, roc_curve — and plot_table.

Each computes the table wandb's function computes (confusion counts; PR
and ROC points per class, with the curves worked out here in numpy the way
scikit-learn does, so sklearn is never needed) and returns a CustomChart;
run.log({"key": chart}) hands its table, preset and fields to
tally_log_plot, which stores it under "<key>_table" as wandb does.
"""
from ._media import Media, Table, _numpy

__all__ = ["line", "scatter", "bar", "histogram", "line_series", "confusion_matrix",
           "pr_curve", "roc_curve", "plot_table", "CustomChart"]

# wandb's Vega spec names, as libtally's presets.
_PRESETS = {
    "wandb/line/v0": "line",
    "wandb/scatter/v0": "scatter",
    "wandb/bar/v0": "bar",
    "wandb/histogram/v0": "histogram",
    "wandb/lineseries/v0": "line_series",
    "wandb/confusion_matrix/v1": "confusion_matrix",
    "wandb/confusion_matrix/v0": "confusion_matrix",
}


_warned = set()


def _warn_once(kind, message):
    """One 'tally: ' line per kind per process: charts are built before any
    run sees them."""
    if kind not in _warned:
        _warned.add(kind)
        from . import _tally
        _tally.warn(message)


class CustomChart(Media):
    """A chart: a Table, the spec (preset) that draws it, and its fields."""

    _log_type = "plot"

    def __init__(self, spec_name, table, fields, string_fields=None, split_table=False):
        if not isinstance(table, Table):
            raise TypeError("plot_table: data_table must be a tally.Table")
        if not isinstance(fields, dict):
            raise TypeError("plot_table: fields must be a dict")
        self.spec_name = spec_name
        self.table = table
        self.fields = {str(k): str(v) for k, v in fields.items()}
        self.string_fields = dict(string_fields or {})
        self.split_table = split_table
        preset = _PRESETS.get(spec_name)
        if spec_name == "wandb/area-under-curve/v0":
            preset = "roc_curve" if self.fields.get("x") == "fpr" else "pr_curve"
        self.preset = preset

    def _spec(self):
        if self.preset is None:
            return ("skip", f"a chart with the Vega spec {self.spec_name!r} (tally draws "
                            "wandb's built-in charts only)")
        import json
        text, images = self.table._json()
        title = self.string_fields.get("title") or None
        return ("plot", self.preset, text, json.dumps(self.fields), title,
                len(self.table.data))

    def __repr__(self):
        return f"<tally.plot.CustomChart {self.preset or self.spec_name}>"


def plot_table(vega_spec_name, data_table, fields, string_fields=None, split_table=False):
    """wandb.plot_table: a chart of data_table drawn by a Vega spec (wandb's
    built-in specs only: "wandb/line/v0", ...)."""
    return CustomChart(vega_spec_name, data_table, fields, string_fields, split_table)


def _columns(table, *names):
    for n in names:
        if n is not None and n not in table.columns:
            raise ValueError(f"the table has no column {n!r} (columns: {table.columns})")


def line(table, x, y, stroke=None, title="", split_table=False):
    """A line chart of table's columns x and y (stroke: a column that splits
    the lines)."""
    _columns(table, x, y, stroke)
    fields = {"x": x, "y": y}
    if stroke is not None:
        fields["stroke"] = stroke
    return plot_table("wandb/line/v0", table, fields, {"title": title}, split_table)


def scatter(table, x, y, title="", split_table=False):
    """A scatter plot of table's columns x and y."""
    _columns(table, x, y)
    return plot_table("wandb/scatter/v0", table, {"x": x, "y": y}, {"title": title},
                      split_table)


def bar(table, label, value, title="", split_table=False):
    """A bar chart: one bar per row, named by column label, as long as value."""
    _columns(table, label, value)
    return plot_table("wandb/bar/v0", table, {"label": label, "value": value},
                      {"title": title}, split_table)


def histogram(table, value, title="", split_table=False):
    """A histogram of table's column value."""
    _columns(table, value)
    return plot_table("wandb/histogram/v0", table, {"value": value}, {"title": title},
                      split_table)


def _iterable(v):
    return hasattr(v, "__iter__") and not isinstance(v, (str, bytes))


def line_series(xs, ys, keys=None, title="", xname="x", split_table=False):
    """Several lines on one chart: ys a list of series, xs one x series
    shared by all or one per series; keys names them (line_0, ...)."""
    xs = list(xs.tolist() if hasattr(xs, "tolist") else xs)
    ys = [list(y.tolist() if hasattr(y, "tolist") else y) for y in ys]
    if not xs or not _iterable(xs[0]):
        xs = [xs] * len(ys)
    if len(xs) != len(ys):
        raise ValueError(f"Number of x-series ({len(xs)}) must match y-series ({len(ys)}).")
    keys = [f"line_{i}" for i in range(len(ys))] if keys is None else list(keys)
    if len(keys) != len(ys):
        raise ValueError(f"Number of keys ({len(keys)}) must match y-series ({len(ys)}).")
    data = [[x, keys[i], y] for i, (xx, yy) in enumerate(zip(xs, ys)) for x, y in zip(xx, yy)]
    table = Table(data=data, columns=["step", "lineKey", "lineVal"])
    return plot_table("wandb/lineseries/v0", table,
                      {"step": "step", "lineKey": "lineKey", "lineVal": "lineVal"},
                      {"title": title, "xname": xname}, split_table)


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def confusion_matrix(probs=None, y_true=None, preds=None, class_names=None,
                     title="Confusion Matrix Curve", split_table=False):
    """Counts of (actual, predicted) class pairs, from preds or from the
    argmax of probs; classes named by class_names (else Class_1, ...)."""
    np = _numpy()
    if probs is not None and preds is not None:
        raise ValueError("Only one of `probs` or `preds` should be provided, not both.")
    if y_true is None or (probs is None and preds is None):
        raise ValueError("confusion_matrix: give y_true and preds (or probs)")
    if probs is not None:
        preds = np.argmax(np.asarray(probs), axis=1).tolist()
    preds = [_plain(p) for p in (preds.tolist() if hasattr(preds, "tolist") else preds)]
    y_true = [_plain(p) for p in (y_true.tolist() if hasattr(y_true, "tolist") else y_true)]
    if len(preds) != len(y_true):
        raise ValueError("The number of predictions and true labels must be equal.")
    if class_names is not None:
        class_names = list(class_names)
        n = len(class_names)
        class_idx = list(range(n))
        if len(set(preds)) > n:
            raise ValueError("The number of unique predicted classes exceeds the number of "
                             "class names.")
        if len(set(y_true)) > n:
            raise ValueError("The number of unique true labels exceeds the number of class "
                             "names.")
    else:
        class_idx = set(preds).union(set(y_true))
        n = len(class_idx)
        class_names = [f"Class_{i + 1}" for i in range(n)]
    mapping = {v: i for i, v in enumerate(sorted(class_idx))}
    counts = np.zeros((n, n))
    for t, p in zip(y_true, preds):
        if t not in mapping or p not in mapping:
            raise ValueError(f"confusion_matrix: label {t if t not in mapping else p!r} is "
                             f"not a class index 0..{n - 1}")
        counts[mapping[t], mapping[p]] += 1
    data = [[class_names[i], class_names[j], float(counts[i, j])]
            for i in range(n) for j in range(n)]
    return plot_table("wandb/confusion_matrix/v1",
                      Table(columns=["Actual", "Predicted", "nPredictions"], data=data),
                      {"Actual": "Actual", "Predicted": "Predicted",
                       "nPredictions": "nPredictions"}, {"title": title}, split_table)


def _binary_clf_curve(np, y_true, y_score, pos_label):
    """False and true positives at each distinct score, highest first (what
    scikit-learn's precision_recall_curve and roc_curve start from)."""
    y_true = y_true == pos_label
    order = np.argsort(y_score, kind="mergesort")[::-1]
    y_score, y_true = y_score[order], y_true[order]
    distinct = np.where(np.diff(y_score))[0]
    idx = np.r_[distinct, y_true.size - 1]
    tps = np.cumsum(y_true, dtype=np.float64)[idx]
    fps = 1 + idx - tps
    return fps, tps


def _precision_recall(np, y_true, score, pos_label):
    fps, tps = _binary_clf_curve(np, y_true, score, pos_label)
    ps = tps + fps
    precision = np.zeros_like(tps)
    np.divide(tps, ps, out=precision, where=ps != 0)
    recall = np.ones_like(tps) if tps[-1] == 0 else tps / tps[-1]
    return np.hstack((precision[::-1], 1)), np.hstack((recall[::-1], 0))


def _roc(np, y_true, score, pos_label):
    fps, tps = _binary_clf_curve(np, y_true, score, pos_label)
    if len(fps) > 2:  # drop collinear points, as drop_intermediate=True
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps = fps[keep], tps[keep]
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    fpr = np.repeat(np.nan, fps.shape) if fps[-1] <= 0 else fps / fps[-1]
    tpr = np.repeat(np.nan, tps.shape) if tps[-1] <= 0 else tps / tps[-1]
    return fpr, tpr


def _curve_inputs(np, y_true, y_probas, labels, classes_to_plot):
    if y_true is None or y_probas is None:
        raise ValueError("give y_true and y_probas")
    y_true = np.asarray(y_true)
    y_probas = np.asarray(y_probas, dtype=np.float64)
    if y_probas.ndim == 1:
        y_probas = y_probas[:, None]
    if y_probas.ndim != 2 or len(y_probas) != len(y_true):
        raise ValueError("y_probas must be (num_samples, num_classes) and y_true (num_samples,)")
    classes = np.unique(y_true)
    if classes_to_plot is None:
        classes_to_plot = classes
    out = []
    for i in np.where(np.isin(classes, classes_to_plot))[0]:
        if i >= y_probas.shape[1]:
            raise ValueError(f"y_probas has {y_probas.shape[1]} columns; class {classes[i]} "
                             "has none")
        if labels is not None and (isinstance(classes[i], int) or
                                   isinstance(classes[0], np.integer)):
            label = labels[classes[i]]
        else:
            label = classes[i]
        out.append((i, _plain(label), classes[i]))
    return y_true, y_probas, out


def _curve_table(np, rows, names):
    """Rows (class, a, b) rounded to 3 places as wandb's DataFrame.round(3);
    at most Table.MAX_ROWS, thinned evenly per class when over."""
    data = [[c, round(float(a), 3), round(float(b), 3)] for c, a, b in rows]
    if len(data) > Table.MAX_ROWS:
        _warn_once("cut", f"a chart had {len(data)} points; {Table.MAX_ROWS} are kept "
                   "(wandb's limit too; said once)")
        step = len(data) / Table.MAX_ROWS
        data = [data[int(i * step)] for i in range(Table.MAX_ROWS)]
    return Table(columns=names, data=data)


def pr_curve(y_true=None, y_probas=None, labels=None, classes_to_plot=None, interp_size=21,
             title="Precision-Recall Curve", split_table=False):
    """Precision against recall per class, precision made monotone and read
    at interp_size recall points from 1 to 0, as wandb computes it."""
    np = _numpy()
    y_true, y_probas, todo = _curve_inputs(np, y_true, y_probas, labels, classes_to_plot)
    interp_recall = np.linspace(0, 1, interp_size)[::-1]
    rows = []
    for i, label, cls in todo:
        precision, recall = _precision_recall(np, y_true, y_probas[:, i], cls)
        precision = np.maximum.accumulate(precision)
        precision, recall = precision[::-1], recall[::-1]
        at = np.searchsorted(recall, interp_recall, side="left")
        rows += [(label, p, r) for p, r in zip(precision[at], interp_recall)]
    table = _curve_table(np, rows, ["class", "precision", "recall"])
    return plot_table("wandb/area-under-curve/v0", table,
                      {"x": "recall", "y": "precision", "class": "class"},
                      {"title": title, "x-axis-title": "Recall",
                       "y-axis-title": "Precision"}, split_table)


def roc_curve(y_true=None, y_probas=None, labels=None, classes_to_plot=None,
              title="ROC Curve", split_table=False):
    """True against false positive rate per class (one class against the
    rest), the points scikit-learn's roc_curve gives."""
    np = _numpy()
    y_true, y_probas, todo = _curve_inputs(np, y_true, y_probas, labels, classes_to_plot)
    rows = []
    for i, label, cls in todo:
        fpr, tpr = _roc(np, y_true, y_probas[..., i], cls)
        rows += [(label, f, t) for f, t in zip(fpr, tpr)]
    table = _curve_table(np, rows, ["class", "fpr", "tpr"])
    return plot_table("wandb/area-under-curve/v0", table,
                      {"x": "fpr", "y": "tpr", "class": "class"},
                      {"title": title, "x-axis-title": "False positive rate",
                       "y-axis-title": "True positive rate"}, split_table)
