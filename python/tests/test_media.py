"""Media through run.log(): each class logged and read back through
tally.Api (decoded pixels, histogram counts, table cells, audio samples)
and `tally export` (wandb's history cells); wandb's rules for arrays and
lists; bad input raises TypeError / ValueError, tally-side refusals warn
once and never raise; disabled runs and fork()ed children are no-ops."""
import io
import os
import subprocess
import sys
import unittest

import numpy as np

import tally
from util import StoreTest, warnings

try:
    import torch
except ImportError:
    torch = None
try:
    from PIL import Image as PILImage
except ImportError:
    PILImage = None


def rgba(a):
    """An HW / HWC uint8 array as the RGBA the reader decodes."""
    if a.ndim == 2:
        a = np.stack([a, a, a], -1)
    if a.shape[-1] == 3:
        a = np.concatenate([a, np.full(a.shape[:2] + (1,), 255, np.uint8)], -1)
    return a


class Images(StoreTest):
    def test_pixels_round_trip(self):
        rng = np.random.default_rng(1)
        rgb = rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)
        gray = rng.integers(0, 256, (9, 8), dtype=np.uint8)
        rgba4 = rng.integers(0, 256, (5, 6, 4), dtype=np.uint8)
        chw = np.ascontiguousarray(rgb.transpose(2, 0, 1))
        f01 = rng.random((4, 5, 3))
        run = self.init()
        run.log({"rgb": tally.Image(rgb, caption="a cat"), "gray": tally.Image(gray),
                 "rgba": tally.Image(rgba4), "chw": tally.Image(chw), "f": tally.Image(f01),
                 "loss": 0.5})
        run.finish()
        r = self.api_run(run)
        self.assertTrue(np.array_equal(r.image("rgb"), rgba(rgb)))
        self.assertTrue(np.array_equal(r.image("gray"), rgba(gray)))
        self.assertTrue(np.array_equal(r.image("rgba"), rgba4))
        self.assertTrue(np.array_equal(r.image("chw"), rgba(rgb)))
        want = np.clip((f01 * 255).astype(np.int32), 0, 255).astype(np.uint8)  # wandb's rule
        self.assertTrue(np.array_equal(r.image("f"), rgba(want)))
        (row,) = r.history(samples=None, pandas=False)
        cell = row["rgb"]
        self.assertEqual(cell["_type"], "image-file")
        self.assertEqual((cell["width"], cell["height"], cell["format"]), (23, 17, "png"))
        self.assertEqual(cell["caption"], "a cat")
        self.assertTrue(cell["path"].startswith("media/images/rgb_0_"))
        png = r.file(cell["path"])
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertTrue(np.array_equal(r.image(cell), rgba(rgb)))
        self.assertEqual(row["loss"], 0.5)
        self.assertEqual(r.summary["rgb"]["sha256"], cell["sha256"])  # the last object
        (exported,) = self.export(run)
        self.assertEqual(exported["rgb"]["sha256"], cell["sha256"])
        self.assertEqual(exported["rgb"]["path"], cell["path"])

    @unittest.skipIf(PILImage is None, "needs PIL")
    def test_pil_path_bytes(self):
        rng = np.random.default_rng(2)
        a = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
        path = os.path.join(self.dir, "x.png")
        PILImage.fromarray(a).save(path)
        buf = io.BytesIO()
        PILImage.fromarray(a).save(buf, format="PNG")
        pal = PILImage.fromarray(a).convert("P")
        bmp = os.path.join(self.dir, "x.bmp")
        PILImage.fromarray(a).save(bmp)
        run = self.init()
        run.log({"pil": tally.Image(PILImage.fromarray(a)), "path": tally.Image(path),
                 "bytes": tally.Image(buf.getvalue()), "pal": tally.Image(pal),
                 "bmp": tally.Image(bmp), "copy": tally.Image(tally.Image(a), caption="c")})
        run.finish()
        r = self.api_run(run)
        for key in ("pil", "path", "bytes", "bmp", "copy"):
            self.assertTrue(np.array_equal(r.image(key), rgba(a)), key)
        self.assertTrue(np.array_equal(r.image("pal"), rgba(np.asarray(pal.convert("RGB")))))

    @unittest.skipIf(torch is None, "needs torch")
    def test_tensor_normalised_grid(self):
        t = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
        run = self.init()
        run.log({"one": tally.Image(t[0]), "batch": tally.Image(t)})
        run.finish()
        r = self.api_run(run)
        one = t[0].numpy()
        want = ((one - one.min()) / (one.max() - one.min()) * 255).astype(np.uint8)
        self.assertTrue(np.array_equal(r.image("one")[..., :3], want.transpose(1, 2, 0)))
        grid = r.image("batch")
        self.assertEqual(grid.shape, (4 + 4, 2 * 7 + 2, 4))  # make_grid: padding 2

    def test_snapshot_at_construction(self):
        """As wandb (which encodes when the object is made): changing the
        array afterwards does not change what is logged."""
        a = np.zeros((4, 4, 3), np.uint8)
        snd = np.zeros(100, np.float32)
        img, aud = tally.Image(a), tally.Audio(snd, sample_rate=100)
        a[:] = 200
        snd[:] = 0.5
        run = self.init()
        run.log({"img": img, "aud": aud})
        run.finish()
        r = self.api_run(run)
        self.assertEqual(int(r.image("img")[0, 0, 0]), 0)
        self.assertEqual(float(r.audio("aud")[0][0]), 0.0)

    def test_gallery(self):
        imgs = [np.full((4, 6, 3), i * 20, np.uint8) for i in range(5)]
        run = self.init()
        run.log({"g": [tally.Image(a, caption=f"n{i}") for i, a in enumerate(imgs)]})
        run.log({"g": [tally.Image(imgs[0])] * 3})
        run.finish()
        r = self.api_run(run)
        rows = r.history(samples=None, pandas=False)
        cell = rows[0]["g"]
        self.assertEqual(cell["_type"], "images/separated")
        self.assertEqual(cell["count"], 5)
        self.assertEqual(cell["captions"], [f"n{i}" for i in range(5)])
        for i in range(5):
            self.assertTrue(np.array_equal(r.image("g", step=0, index=i), rgba(imgs[i])))
            self.assertTrue(np.array_equal(r.image(cell, index=i), rgba(imgs[i])))
        self.assertEqual(rows[1]["g"]["count"], 3)
        self.assertEqual([k["name"] for k in r.media_keys()], ["g"])
        self.assertEqual(r.media_keys()[0]["count"], 2)

    def test_bad_images(self):
        with self.assertRaises(TypeError):
            tally.Image({"not": "an image"})
        with self.assertRaises(TypeError):
            tally.Image(np.array([["a", "b"]]))
        with self.assertRaises(ValueError):
            tally.Image(np.zeros((2, 3, 5, 7)))
        with self.assertRaises(ValueError):
            tally.Image(os.path.join(self.dir, "missing.png"))
        with self.assertRaises(ValueError):
            tally.Image(b"not an image at all")
        with self.assertRaises(ValueError):
            tally.Image(np.full((3, 3), np.nan))


class Histograms(StoreTest):
    def test_counts(self):
        rng = np.random.default_rng(3)
        v = rng.normal(size=1000)
        run = self.init()
        h = tally.Histogram(v)
        counts, edges = np.histogram(v, bins=64)
        self.assertEqual(h.histogram, counts.tolist())
        self.assertEqual(h.bins, edges.tolist())
        run.log({"h": h, "h8": tally.Histogram(v, num_bins=8),
                 "np": tally.Histogram(np_histogram=np.histogram(v, bins=5)),
                 "list": tally.Histogram([1, 2, 2, 3, float("nan")], num_bins=3)})
        run.finish()
        r = self.api_run(run)
        self.assertEqual(r.histogram("h").histogram, counts.tolist())
        self.assertTrue(np.allclose(r.histogram("h").bins, edges))
        self.assertEqual(r.histogram("h8").histogram, np.histogram(v, 8)[0].tolist())
        self.assertEqual(r.histogram("np").histogram, np.histogram(v, 5)[0].tolist())
        self.assertEqual(r.histogram("list").histogram, [1, 2, 1])
        (row,) = self.export(run)
        self.assertEqual(row["h"]["_type"], "histogram")
        self.assertEqual(row["h"]["values"], counts.tolist())

    def test_bad(self):
        with self.assertRaises(ValueError):
            tally.Histogram([1, 2], num_bins=513)
        with self.assertRaises(ValueError):
            tally.Histogram(np_histogram=([1, 2], [0, 1]))
        with self.assertRaises(ValueError):
            tally.Histogram(np_histogram=([1, 2, 3],))
        with self.assertRaises(ValueError):
            tally.Histogram()


class WandbRules(StoreTest):
    def test_arrays_and_lists(self):
        """As wandb's history encoder: arrays of up to 32 values stay lists,
        longer ones become 32-bin histograms; lists stay lists; tensors as
        arrays."""
        run = self.init()
        big = np.arange(100.0)
        data = {"short": np.arange(4), "big": big, "list": list(range(40)),
                "nested": {"arr": np.ones(50)}}
        if torch is not None:
            data["tensor"] = torch.arange(64, dtype=torch.float32)
        run.log(data)
        run.finish()
        (row,) = self.history(run)
        self.assertEqual(row["short"], [0, 1, 2, 3])
        self.assertEqual(row["list"], list(range(40)))
        self.assertEqual(row["big"]["_type"], "histogram")
        self.assertEqual(row["big"]["values"], np.histogram(big, 32)[0].tolist())
        self.assertEqual(row["nested/arr"]["_type"], "histogram")
        if torch is not None:
            self.assertEqual(sum(row["tensor"]["values"]), 64)
        self.assertEqual(self.api_run(run).media_keys()[0]["type"], "histogram")


class Tables(StoreTest):
    def test_cells(self):
        img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
        t = tally.Table(columns=["id", "name", "score", "img"])
        t.add_data(1, "a", 0.5, tally.Image(img))
        t.add_data(2, "b", None, None)
        t.add_column("flag", [True, False])
        run = self.init()
        run.log({"preds": t})
        run.finish()
        r = self.api_run(run)
        back = r.table("preds")
        self.assertEqual(back.columns, ["id", "name", "score", "img", "flag"])
        self.assertEqual([row[:3] for row in back.data], [[1, "a", 0.5], [2, "b", None]])
        self.assertEqual([row[4] for row in back.data], [True, False])
        cell = back.data[0][3]
        self.assertEqual(cell["_type"], "image-file")
        self.assertTrue(np.array_equal(r.image(cell), rgba(img)))
        self.assertEqual(r.file(cell["path"])[:4], b"\x89PNG")
        (row,) = self.history(run)
        self.assertEqual(row["preds"]["_type"], "table-file")
        self.assertEqual((row["preds"]["ncols"], row["preds"]["nrows"]), (5, 2))

    def test_many_image_cells(self):
        """A predictions table holds more images than a gallery may."""
        t = tally.Table(columns=["i", "img"])
        for i in range(150):
            t.add_data(i, tally.Image(np.full((3, 3), i, np.uint8)))
        run = self.init()
        run.log({"t": t})
        run.finish()
        r = self.api_run(run)
        back = r.table("t")
        self.assertEqual(len(back.data), 150)
        self.assertEqual(int(r.image(back.data[149][1])[0, 0, 0]), 149)

    def test_bad(self):
        t = tally.Table(columns=["a", "b"])
        with self.assertRaises(ValueError):
            t.add_data(1)
        with self.assertRaises(ValueError):
            t.add_column("c", [1, 2, 3]) if t.add_data(1, 2) is None else None
        with self.assertRaises(TypeError):
            tally.Table(columns="ab")
        with self.assertRaises(TypeError):
            tally.Table(data=5)
        with self.assertRaises(TypeError):
            run = self.init()
            run.log({"t": tally.Table(columns=["x"], data=[[object()]])})

    def test_dataframe_duck(self):
        class Frame:  # what Table reads of a pandas DataFrame
            columns = ["x", "y"]
            values = np.array([[1, 2], [3, 4]])
        t = tally.Table(dataframe=Frame())
        self.assertEqual(t.data, [[1, 2], [3, 4]])


class AudioVideo(StoreTest):
    def test_audio_samples(self):
        sr = 8000
        mono = np.sin(np.arange(800) / 7.0) * 0.8
        stereo = np.stack([mono, -mono], 1)
        pcm16 = (mono * 32767).astype(np.int16)
        run = self.init()
        run.log({"mono": tally.Audio(mono, sample_rate=sr, caption="tone"),
                 "stereo": tally.Audio(stereo, sample_rate=sr),
                 "pcm": tally.Audio(pcm16, sample_rate=sr)})
        run.finish()
        r = self.api_run(run)
        a, rate = r.audio("mono")
        self.assertEqual(rate, sr)
        self.assertTrue(np.allclose(a, mono, atol=1 / 32767 + 1e-6))
        s, _ = r.audio("stereo")
        self.assertEqual(s.shape, (800, 2))
        self.assertTrue(np.allclose(s[:, 1], -mono, atol=1 / 32767 + 1e-6))
        p, _ = r.audio("pcm")
        self.assertTrue(np.allclose(p, pcm16 / 32768.0, atol=2 / 32767))
        (row,) = self.history(run)
        self.assertEqual(row["mono"]["_type"], "audio-file")
        self.assertEqual(row["mono"]["sample_rate"], sr)
        self.assertAlmostEqual(r.media("mono")[0]["duration"], 0.1)
        self.assertEqual(r.file(row["mono"]["path"])[:4], b"RIFF")
        with self.assertRaises(ValueError):
            tally.Audio(mono)  # raw data needs sample_rate, as wandb

    def test_video_gif(self):
        frames = np.zeros((6, 3, 8, 10), np.uint8)
        for t in range(6):
            frames[t, 0, :, t] = 255
        run = self.init()
        run.log({"v": tally.Video(frames, fps=3, caption="sweep"),
                 "grid": tally.Video(np.zeros((3, 2, 3, 4, 4), np.uint8))})
        run.finish()
        r = self.api_run(run)
        obj = r.media("v")[0]
        self.assertEqual(obj["type"], "video")
        self.assertEqual((obj["nframes"], obj["width"], obj["height"]), (6, 10, 8))
        (row,) = self.history(run)
        self.assertEqual(row["v"]["_type"], "video-file")
        self.assertEqual(r.file(row["v"]["path"])[:4], b"GIF8")
        # wandb's tiling: 3 clips padded to 4, in 2 ** ((3).bit_length() - 1) // 2) = 1 row
        self.assertEqual((row["grid"]["width"], row["grid"]["height"]), (16, 4))
        first = r.image("v")
        self.assertTrue(np.all(first[:, 0, 0] == 255))
        with self.assertRaises(ValueError):
            tally.Video(np.zeros((3, 4, 4)))
        with self.assertRaises(ValueError):
            tally.Video(frames, format="avi")


class Charts(StoreTest):
    def test_presets(self):
        t = tally.Table(columns=["epoch", "loss"], data=[[0, 1.0], [1, 0.5], [2, 0.25]])
        run = self.init()
        run.log({"line": tally.plot.line(t, "epoch", "loss", title="Loss"),
                 "scatter": tally.plot.scatter(t, "epoch", "loss"),
                 "bar": tally.plot.bar(t, "epoch", "loss"),
                 "hist": tally.plot.histogram(t, "loss"),
                 "series": tally.plot.line_series([0, 1, 2], [[1, 2, 3], [3, 2, 1]],
                                                  keys=["up", "down"], xname="step"),
                 "cm": tally.plot.confusion_matrix(y_true=[0, 1, 1, 2], preds=[0, 1, 2, 2],
                                                   class_names=["a", "b", "c"])})
        run.finish()
        r = self.api_run(run)
        keys = {k["name"]: k["type"] for k in r.media_keys()}
        for k in ("line", "scatter", "bar", "hist", "series", "cm"):
            self.assertEqual(keys[k + "_table"], "plot", k)
        line = r.media("line_table")[0]
        self.assertEqual(line["preset"], "line")
        self.assertEqual(line["title"], "Loss")
        self.assertEqual(r.table("line_table").data, t.data)
        cm = r.table("cm_table")
        self.assertEqual(cm.columns, ["Actual", "Predicted", "nPredictions"])
        counts = {(a, p): n for a, p, n in cm.data}
        self.assertEqual(counts[("b", "c")], 1)
        self.assertEqual(counts[("c", "c")], 1)
        self.assertEqual(sum(counts.values()), 4)
        series = r.table("series_table")
        self.assertEqual(series.data[:2], [[0, "up", 1], [1, "up", 2]])
        (row,) = self.history(run)
        self.assertEqual(row["line_table"]["_type"], "table-file")

    def test_curves_match_sklearn(self):
        try:
            from sklearn import metrics
        except ImportError:
            self.skipTest("needs sklearn")
        rng = np.random.default_rng(4)
        y = rng.integers(0, 3, 300)
        p = rng.dirichlet(np.ones(3), 300)
        p[:, 0] = np.round(p[:, 0], 1)  # ties
        roc = tally.plot.roc_curve(y, p, labels=["x", "y", "z"])
        self.assertEqual(roc.table.columns, ["class", "fpr", "tpr"])
        for i, name in enumerate("xyz"):
            fpr, tpr, _ = metrics.roc_curve(y, p[:, i], pos_label=i)
            got = [r for r in roc.table.data if r[0] == name]
            self.assertEqual([r[1] for r in got], np.round(fpr, 3).tolist())
            self.assertEqual([r[2] for r in got], np.round(tpr, 3).tolist())
        pr = tally.plot.pr_curve(y, p, interp_size=11)
        self.assertEqual(len(pr.table.data), 3 * 11)
        prec, rec, _ = metrics.precision_recall_curve(y, p[:, 1], pos_label=1)
        prec = np.maximum.accumulate(prec)[::-1]
        want = prec[np.searchsorted(rec[::-1], np.linspace(0, 1, 11)[::-1], side="left")]
        got = [r[1] for r in pr.table.data if r[0] == 1]
        self.assertEqual(got, np.round(want, 3).tolist())
        run = self.init()
        run.log({"roc": roc, "pr": pr})
        run.finish()
        r = self.api_run(run)
        self.assertEqual(r.media("roc_table")[0]["preset"], "roc_curve")
        self.assertEqual(r.media("pr_table")[0]["preset"], "pr_curve")

    def test_bad(self):
        t = tally.Table(columns=["a"], data=[[1]])
        with self.assertRaises(ValueError):
            tally.plot.line(t, "a", "nope")
        with self.assertRaises(ValueError):
            tally.plot.confusion_matrix(y_true=[0, 1], preds=[0])
        with self.assertRaises(ValueError):
            tally.plot.confusion_matrix(y_true=[0], preds=[0], probs=[[1.0]])
        with self.assertRaises(ValueError):
            tally.plot.line_series([0, 1], [[1, 2]], keys=["a", "b"])


class NeverHurt(StoreTest):
    def test_refusals_warn_once(self):
        """What only libtally can judge (a key that holds scalars, an image
        over the size cap) is a warning, never an exception."""
        code = """
import numpy as np, tally
run = tally.init(project="t", settings={"console": "off", "x_disable_stats": True})
run.log({"k": 1.0})
for i in range(3):
    run.log({"k": tally.Image(np.zeros((2, 2), np.uint8)), "ok": i})
run.log({"h": tally.Histogram([1, 2, 3])})
run.log({"h": tally.Image(np.zeros((2, 2), np.uint8))})
print("refused", run.media_refused)
run.finish()
"""
        rc, err = self.script(code)
        self.assertEqual(rc, 0, err)
        lines = warnings(err)
        self.assertGreaterEqual(len(lines), 1, err)
        self.assertLessEqual(len(lines), 2, err)
        r = self.only_run()
        rows = r.history(samples=None, pandas=False)
        self.assertEqual([row.get("ok") for row in rows if "ok" in row], [0, 1, 2])
        self.assertEqual(r.histogram("h").histogram[0], 1)

    def test_caps_warn_once(self):
        """A gallery past 108 images (wandb's cap) keeps the first 108 and
        says so once, however often it is logged."""
        code = """
import numpy as np, tally
run = tally.init(project="t", settings={"console": "off", "x_disable_stats": True})
for step in range(3):
    run.log({"g": [tally.Image(np.full((2, 2), i, np.uint8)) for i in range(110)],
             "h": tally.Histogram([1.0, float("nan")])})
run.finish()
"""
        rc, err = self.script(code)
        self.assertEqual(rc, 0, err)
        lines = warnings(err)
        self.assertEqual(len([l for l in lines if "gallery 'g'" in l]), 1, err)
        self.assertEqual(len([l for l in lines if "histogram 'h'" in l]), 1, err)
        r = self.only_run()
        self.assertEqual(r.history(samples=None, pandas=False)[0]["g"]["count"], 108)

    def test_disabled(self):
        run = self.init(mode="disabled")
        run.log({"img": tally.Image(np.zeros((3, 3), np.uint8)),
                 "h": tally.Histogram([1, 2])})
        run.finish()
        self.assertEqual(tally.Api(self.dir).runs(), [])

    def test_fork_child_logs_nothing(self):
        code = """
import os, numpy as np, tally
run = tally.init(project="t", settings={"console": "off", "x_disable_stats": True})
run.log({"img": tally.Image(np.zeros((3, 3), np.uint8))})
pid = os.fork()
if pid == 0:
    run.log({"img": tally.Image(np.ones((3, 3), np.uint8)), "child": 1})
    os._exit(0)
os.waitpid(pid, 0)
run.log({"img": tally.Image(np.full((3, 3), 7, np.uint8))})
run.finish()
"""
        rc, err = self.script(code)
        self.assertEqual(rc, 0, err)
        r = self.only_run()
        rows = r.history(samples=None, pandas=False)
        self.assertEqual(len(rows), 2)
        self.assertNotIn("child", rows[-1])
        self.assertEqual(int(r.image("img", step=1)[0, 0, 0]), 7)


@unittest.skipIf(torch is None, "needs torch")
class Watch(StoreTest):
    def test_gradients_every_log_freq(self):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(),
                                    torch.nn.Linear(3, 2))
        run = self.init()
        run.watch(model, log="all", log_freq=3)
        x = torch.randn(8, 4)
        for step in range(7):
            loss = model(x).pow(2).mean()
            loss.backward()
            run.log({"loss": loss})
        run.unwatch()
        loss = model(x).sum()
        loss.backward()
        run.log({"loss": loss})
        run.finish()
        r = self.api_run(run)
        keys = {k["name"]: k for k in r.media_keys()}
        for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
            g = keys["gradients/" + name]
            self.assertEqual(g["type"], "histogram")
            self.assertEqual(g["count"], 2)  # calls 3 and 6
            self.assertEqual((g["first_step"], g["last_step"]), (2, 5))
            self.assertEqual(keys["parameters/" + name]["count"], 2)
        h = r.histogram("gradients/0.weight", step=5)
        self.assertEqual(len(h.histogram), 64)
        self.assertEqual(sum(h.histogram), 12)  # a 3 x 4 weight
        self.assertEqual(sum(r.histogram("gradients/0.bias").histogram), 3)

    def test_bad(self):
        run = self.init()
        with self.assertRaises(ValueError):
            run.watch(object())
        with self.assertRaises(ValueError):
            run.watch(torch.nn.Linear(2, 2), log="weights")


if __name__ == "__main__":
    unittest.main()
