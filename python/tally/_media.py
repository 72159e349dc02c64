"""tally.Image, Histogram, Table, Video, Audio: wandb's media classes.

Each object normalises what it is given (numpy arrays, torch tensors, PIL
images, paths, bytes) into plain buffers at construction, as wandb does, and
hands them to the C extension as a "spec" tuple when a run.log() dict holds
it: the extension stages it with libtally's tally_log_image / _images /
_histogram(_bins) / _table(_images) / _audio / _video in the same call as the
scalars.  Encoding (PNG, WAV, GIF) happens on libtally's flusher thread.
Used by tally/__init__.py (the classes), _convert.py (log values) and
plot.py (chart tables).  numpy is imported only when an array is given.
"""
import array
import json
import math
import os

MAX_GALLERY = 108       # wandb's Image.MAX_ITEMS; libtally's TALLY_GALLERY_MAX
MAX_BINS = 512          # wandb's Histogram.MAX_LENGTH
MAX_ROWS = 10000        # wandb's Table.MAX_ROWS; libtally's TALLY_TABLE_MAX_ROWS
_U8, _F32 = 0, 1        # TALLY_SAMPLE_*


def _typename(v):
    t = type(v)
    return t.__module__ + "." + t.__name__


def _is_torch(v):
    return _typename(v).startswith("torch.") and hasattr(v, "detach")


def _is_pil(v):
    return any(c.__module__.startswith("PIL.") and c.__name__ == "Image"
               for c in type(v).__mro__)


def _numpy():
    try:
        import numpy
    except ImportError:
        raise ValueError("tally: arrays need numpy (apt-get install python3-numpy)") from None
    return numpy


def _to_numpy(data):
    """numpy's view of an array-like (torch tensors detached, on the CPU)."""
    np = _numpy()
    if _is_torch(data):
        data = data.detach().cpu()
        if str(data.dtype) in ("torch.bfloat16", "torch.float16"):
            data = data.float()
        return data.numpy()
    if hasattr(data, "numpy") and not isinstance(data, np.ndarray):  # TF eager tensors
        data = data.numpy()
    return np.asarray(data)


class Media:
    """What every tally media object shares (wandb's WBValue)."""

    _log_type = None

    def _spec(self):  # pragma: no cover - every subclass has one
        raise NotImplementedError

    def __repr__(self):
        return f"<tally.{type(self).__name__}>"


# ---- images ---------------------------------------------------------------

def _make_grid(np, t, nrow=8, padding=2):
    """torchvision.utils.make_grid(t, normalize=True) in numpy, as wandb calls
    it for a tensor: scaled by min/max to 0..1, 1-channel made RGB, a batch
    laid out in rows of nrow with padding; returns CHW float."""
    t = t.astype(np.float64)
    if t.ndim == 2:
        t = t[None]
    if t.ndim == 3:
        if t.shape[0] == 1:
            t = np.concatenate([t, t, t], 0)
        t = t[None]
    if t.ndim == 4 and t.shape[1] == 1:
        t = np.concatenate([t, t, t], 1)
    if t.ndim != 4:
        raise ValueError(f"Image: a tensor of shape {list(t.shape)} is not an image or a batch")
    lo, hi = (float(t.min()), float(t.max())) if t.size else (0.0, 0.0)
    t = (np.clip(t, lo, hi) - lo) / max(hi - lo, 1e-5)
    if t.shape[0] == 1:
        return t[0]
    n, c, h, w = t.shape
    xmaps = min(nrow, n)
    ymaps = int(math.ceil(n / xmaps))
    hh, ww = h + padding, w + padding
    grid = np.zeros((c, hh * ymaps + padding, ww * xmaps + padding))
    for k in range(n):
        y, x = divmod(k, xmaps)
        grid[:, y * hh + padding:y * hh + padding + h, x * ww + padding:x * ww + padding + w] = t[k]
    return grid


def _to_uint8(np, data):
    """wandb's Image.to_uint8: -1..1 data rescaled, 0..1 data times 255,
    then clipped to 0..255."""
    data = np.asarray(data)
    if data.dtype == np.uint8:
        return data
    if data.dtype == np.bool_:
        data = data.astype(np.uint8)
    if data.size and not np.all(np.isfinite(data)):
        raise ValueError("Image: the array holds NaN or infinite values")
    if data.size:
        dmin = data.min()
        if dmin < 0:
            ptp = data.max() - dmin
            data = (data - dmin) / ptp if ptp else data - dmin
        if data.max() <= 1.0:
            data = (data * 255).astype(np.int32)
    return np.clip(data, 0, 255).astype(np.uint8)


def _hwc(np, data):
    """An image array as HWC (or HW): HW, HWC, and CHW when the first axis
    is 1, 3 or 4 and the last is not; trivial axes squeezed as wandb does."""
    if data.ndim > 2:
        data = data.squeeze()
    if data.ndim == 3 and data.shape[-1] not in (1, 3, 4) and data.shape[0] in (1, 3, 4):
        data = np.transpose(data, (1, 2, 0))
    if data.ndim == 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim == 2 or (data.ndim == 3 and data.shape[-1] in (3, 4)):
        return data
    raise ValueError(f"Un-supported shape for image conversion {list(data.shape)}")


_PIL_KEEP = {"L": 1, "RGB": 3, "RGBA": 4}


class Image(Media):
    """An image, as wandb.Image(data_or_path, mode=None, caption=None).

    data_or_path: a numpy array (HW, HWC, CHW; uint8 0..255, float 0..1 or
    -1..1 rescaled as wandb does), a torch tensor (CHW, HW or a BCHW batch
    laid out as a grid, min/max normalised, as wandb with torchvision), a PIL
    image, a path to a PNG / JPEG file (others through PIL when installed),
    bytes of a PNG / JPEG, or another tally.Image.  Stored as PNG."""

    _log_type = "image-file"
    MAX_ITEMS = MAX_GALLERY
    MAX_DIMENSION = 16384

    def __init__(self, data_or_path, mode=None, caption=None, grouping=None, classes=None,
                 boxes=None, masks=None, file_type=None, normalize=True):
        if caption is not None and not isinstance(caption, str):
            caption = str(caption)
        self._caption = caption
        self._pixels = None  # a C-contiguous uint8 HW / HWC array
        self._data = None    # encoded bytes
        self._path = None
        self._width = self._height = None
        self._channels = 0
        self.format = "png"
        if isinstance(data_or_path, Image):
            other = data_or_path
            self._pixels, self._data, self._path = other._pixels, other._data, other._path
            self._width, self._height, self._channels = other._width, other._height, \
                other._channels
            if caption is None:
                self._caption = other._caption
        elif isinstance(data_or_path, (str, os.PathLike)):
            self._init_path(os.fspath(data_or_path))
        elif isinstance(data_or_path, (bytes, bytearray, memoryview)):
            self._init_bytes(bytes(data_or_path))
        elif _is_pil(data_or_path):
            self._init_pil(data_or_path, mode)
        elif _typename(data_or_path).startswith("matplotlib."):
            self._init_figure(data_or_path)
        elif _is_torch(data_or_path):
            np = _numpy()
            t = _to_numpy(data_or_path)
            if t.dtype == np.uint8:
                t = t.astype(np.float64)
            grid = _make_grid(np, t)
            # data.mul(255).clamp(0, 255).byte(): truncation, as torch does
            self._set_pixels(np, (np.clip(grid * 255, 0, 255)).astype(np.uint8)
                             .transpose(1, 2, 0))
        elif hasattr(data_or_path, "shape") or isinstance(data_or_path, (list, tuple)):
            np = _numpy()
            data = _to_numpy(data_or_path)
            if data.dtype.kind not in "uifb":
                raise TypeError(f"Image: an array of {data.dtype} is not an image")
            data = _hwc(np, data)
            px = _to_uint8(np, data) if normalize else np.clip(data, 0, 255).astype(np.uint8)
            if np.may_share_memory(px, data):
                px = px.copy()  # what is logged is the array as it is now, as wandb
            self._set_pixels(np, px)
        else:
            raise TypeError(f"Image: cannot make an image of a {_typename(data_or_path)} "
                            "(give a numpy array, a tensor, a PIL image, a path or bytes)")

    def _set_pixels(self, np, px):
        if px.ndim == 3 and px.shape[-1] == 1:
            px = px[..., 0]
        self._pixels = np.ascontiguousarray(px)
        self._height, self._width = px.shape[0], px.shape[1]
        self._channels = 1 if px.ndim == 2 else px.shape[2]
        if not (0 < self._width <= self.MAX_DIMENSION and 0 < self._height <= self.MAX_DIMENSION):
            raise ValueError(f"Image: {self._width}x{self._height} is not a size tally stores "
                             f"(1..{self.MAX_DIMENSION} a side)")

    def _init_pil(self, img, mode=None):
        np = _numpy()
        if mode and img.mode != mode:
            img = img.convert(mode)
        if img.mode not in _PIL_KEEP:
            img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info
                              else "RGB")
        self._set_pixels(np, np.asarray(img, dtype=np.uint8))

    def _init_figure(self, fig):
        import io
        fig = getattr(fig, "figure", fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        self._init_bytes(buf.getvalue())

    def _init_bytes(self, data):
        size = _image_size(data)
        if size is None:
            try:
                import io
                from PIL import Image as PILImage
            except ImportError:
                raise ValueError("Image: the bytes are not a PNG or JPEG image") from None
            try:
                img = PILImage.open(io.BytesIO(data))
                img.load()
            except Exception as e:
                raise ValueError(f"Image: the bytes are not an image ({e})") from None
            self._init_pil(img)
            return
        self._data = data
        self._width, self._height = size
        self.format = "png"

    def _init_path(self, path):
        try:
            with open(path, "rb") as f:
                head = f.read(1 << 16)
        except OSError as e:
            raise ValueError(f"Image: cannot read {path}: {e.strerror}") from None
        size = _image_size(head)
        if size is not None:  # PNG / JPEG: libtally reads it whole on this thread
            self._path = path
            self._width, self._height = size
            return
        with open(path, "rb") as f:
            self._init_bytes(f.read())

    @property
    def image(self):
        """The pixels as a PIL image (None without PIL)."""
        try:
            from PIL import Image as PILImage
        except ImportError:
            return None
        if self._pixels is not None:
            return PILImage.fromarray(self._pixels)
        import io
        if self._data is not None:
            return PILImage.open(io.BytesIO(self._data))
        return PILImage.open(self._path)

    def _img(self):
        """The tuple the extension reads as a tally_image."""
        return (self._pixels, self._width or 0, self._height or 0, self._channels, _U8,
                self._data, self._path, self._caption)

    def _spec(self):
        return ("image", self._img())

    def __repr__(self):
        return f"<tally.Image {self._width}x{self._height}>"


def _image_size(b):
    """(width, height) of PNG or JPEG bytes from their header, else None."""
    if b[:8] == b"\x89PNG\r\n\x1a\n" and len(b) >= 24 and b[12:16] == b"IHDR":
        return int.from_bytes(b[16:20], "big"), int.from_bytes(b[20:24], "big")
    if b[:3] != b"\xff\xd8\xff":
        return None
    i = 2
    while i + 9 < len(b):
        if b[i] != 0xFF:
            return None
        marker = b[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        seg = int.from_bytes(b[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(b[i + 7:i + 9], "big"), int.from_bytes(b[i + 5:i + 7], "big")
        i += 2 + seg
    return None


def gallery_spec(images):
    """A list of Images as one gallery (wandb's "images/separated"); more
    than MAX_GALLERY are cut to the first ones, as wandb does (the
    extension warns once, with the count it is given)."""
    cut = max(0, len(images) - MAX_GALLERY)
    return ("images", [im._img() for im in images[:MAX_GALLERY]], cut)


# ---- histograms -----------------------------------------------------------

class Histogram(Media):
    """A histogram, as wandb.Histogram(sequence=None, np_histogram=None,
    num_bins=64): sequence binned as numpy.histogram does (NaN and infinite
    values left out, with one warning when logged), or np_histogram a
    (counts, edges) pair.  .histogram and .bins hold the result."""

    _log_type = "histogram"
    MAX_LENGTH = MAX_BINS

    def __init__(self, sequence=None, np_histogram=None, num_bins=64):
        self.skipped = 0
        if np_histogram is not None and not (isinstance(np_histogram, tuple) and
                                              len(np_histogram) == 0):
            if len(np_histogram) != 2:
                raise ValueError("Expected np_histogram to be a tuple of (values, bin_edges) "
                                 "or sequence to be specified")
            counts, edges = np_histogram
            self.histogram = counts.tolist() if hasattr(counts, "tolist") else list(counts)
            self.bins = edges.tolist() if hasattr(edges, "tolist") else list(edges)
        else:
            if sequence is None:
                raise ValueError("Histogram: give a sequence or np_histogram=")
            if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 1:
                raise ValueError(f"Histogram: num_bins must be a positive integer, not "
                                 f"{num_bins!r}")
            if num_bins > MAX_BINS:
                raise ValueError(f"The maximum length of a histogram is {MAX_BINS}")
            self.histogram, self.bins, self.skipped = _bin(sequence, num_bins)
        if len(self.histogram) > MAX_BINS:
            raise ValueError(f"The maximum length of a histogram is {MAX_BINS}")
        if len(self.histogram) + 1 != len(self.bins):
            raise ValueError("len(bins) must be len(histogram) + 1")
        try:
            self._counts = array.array("d", self.histogram)
            self._edges = array.array("d", self.bins)
        except TypeError:
            raise TypeError("Histogram: counts and edges must be numbers") from None

    def _spec(self):
        return ("histogram_bins", self._counts, self._edges, self.skipped)

    def to_json(self, run=None):
        return {"_type": "histogram", "values": self.histogram, "bins": self.bins}

    def __repr__(self):
        return f"<tally.Histogram {len(self.histogram)} bins>"


def _bin(sequence, num_bins):
    """numpy.histogram(sequence, bins=num_bins) over the finite values, and
    how many were left out; without numpy the same by hand."""
    try:
        import numpy as np
    except ImportError:
        np = None
    if np is not None:
        a = _to_numpy(sequence).astype(np.float64, copy=False).reshape(-1)
        finite = np.isfinite(a)
        skipped = int(a.size - np.count_nonzero(finite))
        if skipped:
            a = a[finite]
        counts, edges = np.histogram(a, bins=num_bins)
        return counts.tolist(), edges.tolist(), skipped
    values = [float(v) for v in sequence]
    good = [v for v in values if math.isfinite(v)]
    skipped = len(values) - len(good)
    lo, hi = (min(good), max(good)) if good else (0.0, 1.0)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    edges = [lo + (hi - lo) * i / num_bins for i in range(num_bins + 1)]
    counts = [0] * num_bins
    for v in good:
        k = min(int((v - lo) / (hi - lo) * num_bins), num_bins - 1)
        counts[k] += 1
    return counts, edges, skipped


# ---- tables ---------------------------------------------------------------

def _cell(v, images):
    """A table cell as JSON-ready data; Images become index cells."""
    if isinstance(v, Image):
        images.append(v)
        return {"_type": "image", "index": len(images) - 1}
    if isinstance(v, Media):
        raise TypeError(f"Table: a {type(v).__name__} cannot be a table cell (images can)")
    if v is None or isinstance(v, (str, bool, int, float)):
        return v
    if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:
        return v.item()
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_cell(x, images) for x in v]
    if isinstance(v, dict):
        return {str(k): _cell(x, images) for k, x in v.items()}
    raise TypeError(f"Table: cannot store a {_typename(v)} in a cell")


class Table(Media):
    """A table, as wandb.Table(columns=None, data=None, rows=None,
    dataframe=None): rows of cells (numbers, text, lists, dicts, Images).
    add_data(*row) appends a row, add_column(name, data) a column."""

    _log_type = "table"
    MAX_ROWS = MAX_ROWS
    MAX_ARTIFACT_ROWS = 200000

    def __init__(self, columns=None, data=None, rows=None, dataframe=None, dtype=None,
                 optional=True, allow_mixed_types=False):
        if dataframe is None and data is not None and _typename(data).startswith("pandas."):
            dataframe, data = data, None
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns] if columns is None else columns
            data = dataframe.values.tolist() if hasattr(dataframe, "values") else list(dataframe)
        elif data is None:
            data = rows
        if data is not None and hasattr(data, "tolist") and not isinstance(data, list):
            data = data.tolist()
        if data is not None and not isinstance(data, (list, tuple)):
            raise TypeError("Table: data must be a list of rows (or a numpy array)")
        data = [list(r) if isinstance(r, (list, tuple)) else r for r in (data or [])]
        for r in data:
            if not isinstance(r, list):
                raise TypeError("Table: every row must be a list")
        if columns is None:  # wandb's legacy default, also for data
            columns = ["Input", "Output", "Expected"]
        if isinstance(columns, str) or not all(isinstance(c, (str, int)) for c in columns):
            raise TypeError("Table: columns must be a list of strings")
        self.columns = [str(c) for c in columns]
        self.data = []
        for r in data:
            self.add_data(*r)

    def add_data(self, *data):
        """Appends one row (as many values as there are columns)."""
        if len(data) != len(self.columns):
            raise ValueError(f"This table expects {len(self.columns)} columns: "
                             f"{self.columns}, found {len(data)}")
        self.data.append(list(data))

    def add_column(self, name, data, optional=False):
        """Appends a column (as many values as there are rows)."""
        if not isinstance(name, str):
            raise TypeError("Table: a column name must be a string")
        if name in self.columns:
            raise ValueError(f"Column {name} already exists in table")
        data = list(data.tolist() if hasattr(data, "tolist") else data)
        if self.data and len(data) != len(self.data):
            raise ValueError(f"Expected length {len(self.data)}, found {len(data)}")
        if not self.data:
            self.data = [[] for _ in data]
        self.columns.append(name)
        for row, v in zip(self.data, data):
            row.append(v)

    def get_column(self, name, convert_to=None):
        """One column's values (convert_to="numpy": a numpy array)."""
        i = self.columns.index(name)
        col = [r[i] for r in self.data]
        if convert_to == "numpy":
            return _numpy().array(col)
        return col

    def get_index(self):
        return list(range(len(self.data)))

    def iterrows(self):
        for i, r in enumerate(self.data):
            yield i, r

    def _json(self):
        """The canonical table JSON and its image cells."""
        images = []
        data = self.data
        if len(data) > MAX_ROWS:
            data = data[:MAX_ROWS]
        body = {"columns": self.columns, "data": [[_cell(v, images) for v in r] for r in data]}
        return json.dumps(body, allow_nan=True, separators=(",", ":")), images

    def _spec(self):
        text, images = self._json()
        return ("table", text, [im._img() for im in images], len(self.data))

    def __repr__(self):
        return f"<tally.Table {len(self.columns)} columns x {len(self.data)} rows>"


# ---- audio ----------------------------------------------------------------

class Audio(Media):
    """Audio, as wandb.Audio(data_or_path, sample_rate=None, caption=None):
    a numpy array (frames, or frames x channels; float -1..1 or int16) with
    sample_rate=, or the path to (or bytes of) a WAV file.  Stored as WAV."""

    _log_type = "audio-file"

    def __init__(self, data_or_path, sample_rate=None, caption=None):
        self._caption = None if caption is None else str(caption)
        self._samples = self._data = self._path = None
        self._frames = self._channels = 0
        self._rate = 0
        if isinstance(data_or_path, (str, os.PathLike)):
            path = os.fspath(data_or_path)
            if not os.path.isfile(path):
                raise ValueError(f"Audio: no such file: {path}")
            self._path = path
            self._rate = int(sample_rate or 0)
        elif isinstance(data_or_path, (bytes, bytearray)):
            self._data = bytes(data_or_path)
        else:
            if sample_rate is None:
                raise ValueError("Argument \"sample_rate\" is required when instantiating "
                                 "wandb.Audio with raw data.")
            if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) and \
                    not (hasattr(sample_rate, "__index__")):
                raise TypeError("Audio: sample_rate must be an integer (Hz)")
            np = _numpy()
            a = _to_numpy(data_or_path)
            if a.dtype.kind not in "uif":
                raise TypeError(f"Audio: an array of {a.dtype} is not audio")
            if a.ndim == 2 and a.shape[0] <= 8 < a.shape[1]:
                a = a.T  # channels x frames
            if a.ndim not in (1, 2):
                raise ValueError(f"Audio: an array of shape {list(a.shape)} is not "
                                 "frames or frames x channels")
            if a.dtype.kind in "iu":
                info = np.iinfo(a.dtype)
                a = a.astype(np.float64) / max(abs(info.min), info.max)
            src = a
            a = np.ascontiguousarray(a, dtype=np.float32)
            if np.may_share_memory(a, src):
                a = a.copy()
            self._samples = a
            self._frames = a.shape[0]
            self._channels = 1 if a.ndim == 1 else a.shape[1]
            self._rate = int(sample_rate)
        self.sample_rate = self._rate or None

    @property
    def duration(self):
        return self._frames / self._rate if self._samples is not None and self._rate else None

    def _spec(self):
        return ("audio", self._samples, self._frames, self._channels, self._rate, self._data,
                self._path, self._caption)

    def __repr__(self):
        return f"<tally.Audio {self._frames} frames @ {self._rate} Hz>"


# ---- video ----------------------------------------------------------------

class Video(Media):
    """Video, as wandb.Video(data_or_path, caption=None, fps=None,
    format=None): a numpy array or tensor TCHW (or BTCHW, tiled into a grid
    as wandb does) encoded as a GIF at fps (default 4), or the path to (or
    bytes of) a GIF, MP4, WebM or Ogg file stored as it is."""

    _log_type = "video-file"
    EXTS = ("gif", "mp4", "webm", "ogg")

    def __init__(self, data_or_path, caption=None, fps=None, format=None):
        if format is not None and format not in self.EXTS:
            raise ValueError("wandb.Video accepts %s formats" % ", ".join(self.EXTS))
        self._caption = None if caption is None else str(caption)
        self._fps = 4 if fps is None else fps
        if not isinstance(self._fps, (int, float)) or isinstance(self._fps, bool) or \
                not 0 < self._fps <= 1000:
            raise ValueError(f"Video: fps must be a number in (0, 1000], not {fps!r}")
        self._frames = self._data = self._path = None
        self._shape = (0, 0, 0, 0)
        self.format = format or "gif"
        self._format_asked = format
        if isinstance(data_or_path, (str, os.PathLike)):
            path = os.fspath(data_or_path)
            if not os.path.isfile(path):
                raise ValueError(f"Video: no such file: {path}")
            self._path = path
            self.format = os.path.splitext(path)[1][1:].lower() or self.format
        elif isinstance(data_or_path, (bytes, bytearray)):
            self._data = bytes(data_or_path)
        else:
            np = _numpy()
            v = _to_numpy(data_or_path)
            if v.ndim < 4:
                raise ValueError("Video must be atleast 4 dimensions: time, channels, "
                                 "height, width")
            if v.ndim > 5:
                raise ValueError(f"Video: an array of shape {list(v.shape)} is not TCHW or "
                                 "BTCHW")
            if v.dtype.kind not in "uifb":
                raise TypeError(f"Video: an array of {v.dtype} is not video")
            v = _tile(np, v)  # T, H, W, C uint8
            if v.shape[-1] not in (1, 3, 4):
                raise ValueError(f"Video: {v.shape[-1]} channels (1, 3 or 4 are video)")
            frames = np.ascontiguousarray(v)
            if isinstance(data_or_path, np.ndarray) and np.may_share_memory(frames, data_or_path):
                frames = frames.copy()
            self._frames = frames
            self._shape = v.shape
            self.format = "gif"

    def _spec(self):
        t, h, w, c = self._shape
        return ("video", self._frames, t, w, h, c, _U8, float(self._fps), self._data,
                self._path, self._caption)

    def __repr__(self):
        return f"<tally.Video {self.format}>"


def _tile(np, video):
    """wandb's Video._prepare_video: BTCHW (or TCHW) as T x H x W x C uint8,
    a batch padded to a power of two and laid out in a grid."""
    if video.ndim == 4:
        video = video.reshape(1, *video.shape)
    b, t, c, h, w = video.shape
    if video.dtype != np.uint8:
        video = video.astype(np.uint8)  # as wandb: no rescaling
    if b & (b - 1):
        extra = (1 << b.bit_length()) - b
        video = np.concatenate((video, np.zeros((extra, t, c, h, w), np.uint8)), axis=0)
    n_rows = 2 ** ((b.bit_length() - 1) // 2)
    n_cols = video.shape[0] // n_rows
    video = video.reshape(n_rows, n_cols, t, c, h, w).transpose(2, 0, 4, 1, 5, 3)
    return video.reshape(t, n_rows * h, n_cols * w, c)
