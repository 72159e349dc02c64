"""The real training run of train_digits.py, checked: loss falls, the
validation dict lands on its epoch axis, and every object it logged (the
sample grid, watch()'s gradient histograms, the confusion matrix, the ROC
chart, the predictions table with its images) reads back through tally.Api,
`tally show` and `tally export`.  python_tui.sh opens the same run in the
dashboard."""
import json
import unittest

import numpy as np

from util import StoreTest

try:
    import torch
    import train_digits
except ImportError:
    torch = None


@unittest.skipIf(torch is None, "needs python3-torch and python3-sklearn")
class Training(StoreTest):
    def test_digits_mlp(self):
        cfg = train_digits.CONFIG
        run = self.init(project="digits", config=cfg)
        steps, xv, yv, out = train_digits.train(run)
        run.finish()

        r = self.api_run(run)
        self.assertEqual(r.state, "finished")
        rows = r.history(samples=None, pandas=False)
        self.assertEqual(len(rows), steps + cfg["epochs"] + 1)
        train = [row["train/loss"] for row in rows if "train/loss" in row]
        self.assertLess(sum(train[-10:]) / 10, sum(train[:10]) / 10)
        val = r.history(keys=["val/acc", "epoch"], pandas=False)
        self.assertEqual([row["epoch"] for row in val], list(range(cfg["epochs"])))
        self.assertGreater(val[-1]["val/acc"], 0.85)
        self.assertEqual(r.summary["val/acc"]["max"], max(row["val/acc"] for row in val))
        # the media, read back
        grid = r.image("samples")
        self.assertEqual(grid.shape, (2 * 10 + 2, 8 * 10 + 2, 4))  # make_grid: 8 a row
        self.assertEqual(rows[0]["samples"]["caption"], "the first 16 digits")
        keys = {k["name"]: k for k in r.media_keys()}
        grads = [k for k in keys if k.startswith("gradients/")]
        self.assertEqual(sorted(grads), ["gradients/0.bias", "gradients/0.weight",
                                         "gradients/2.bias", "gradients/2.weight"])
        self.assertEqual(keys["gradients/0.weight"]["count"], steps // train_digits.LOG_FREQ)
        self.assertEqual(sum(r.histogram("gradients/0.weight").histogram), 64 * 64)
        cm = r.table("val/confusion_table")
        self.assertEqual(sum(n for _, _, n in cm.data), len(yv))
        right = sum(n for a, p, n in cm.data if a == p)
        self.assertAlmostEqual(right / len(yv), val[-1]["val/acc"], places=5)
        self.assertEqual(keys["val/roc_table"]["type"], "plot")
        preds = r.table("predictions")
        self.assertEqual([row[1] for row in preds.data], yv[:train_digits.SAMPLES].tolist())
        first = r.image(preds.data[0][0])
        want = np.clip((xv[0].reshape(8, 8).numpy() * 255).astype(np.int32), 0, 255)
        self.assertTrue(np.array_equal(first[..., 0], want.astype(np.uint8)))
        # `tally show` lists all of it; `tally export` has wandb's cells
        show = json.loads(self.tally("show", "--json", run.id))
        for key in ("train/loss", "train/acc", "val/loss", "val/acc", "epoch"):
            self.assertIn(key, show["metrics"])
        self.assertEqual(show["config"]["hidden"], 64)
        listed = json.dumps(show)
        for key in ("samples", "gradients/0.weight", "val/confusion_table", "val/roc_table",
                    "predictions"):
            self.assertIn(f'"{key}"', listed)
        text = self.tally("show", run.id)
        for key in ("samples", "gradients/2.bias", "predictions"):
            self.assertIn(key, text)
        exported = self.export(run)
        self.assertEqual(exported[-1]["predictions"]["_type"], "table-file")
        self.assertEqual(exported[0]["samples"]["_type"], "image-file")


if __name__ == "__main__":
    unittest.main()
