"""A script in wandb's documented style runs unchanged with
`import tally as wandb` (scalars, config, define_metric, images, a gallery,
histograms, a table with images, charts, audio, video); `tally show`,
`tally export` and tally.Api see what it logged."""
import json
import os
import subprocess
import sys
import unittest

from util import StoreTest, TALLY_BIN

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wandb_style_script.py")


class WandbScript(StoreTest):
    def test_runs_unchanged(self):
        env = dict(os.environ, TALLY_DIR=self.dir)
        p = subprocess.run([sys.executable, SCRIPT, "--epochs", "4"], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("logged 85 steps", p.stdout)
        self.assertNotIn("tally:", p.stderr)  # nothing refused
        r = self.only_run()
        self.assertEqual(r.state, "finished")
        self.assertEqual(r.config["epochs"], 4)
        self.assertEqual(r.summary["val/acc"], {"max": r.history(keys=["val/acc"], pandas=False)[-1]["val/acc"]})
        show = json.loads(self.tally("show", "--json", r.id))
        for key in ("train/loss", "train/lr", "batch", "val/acc", "val/loss", "epoch"):
            self.assertIn(key, show["metrics"])
        self.assertIn("wandb_style_script.py", [f["path"] for f in show["files"]])
        text = subprocess.run([TALLY_BIN, "show", "--dir", self.dir, r.id], check=True,
                              capture_output=True, text=True).stdout
        self.assertIn("val/acc", text)
        rows = [json.loads(l) for l in self.tally("export", r.id).splitlines()]
        self.assertEqual(len(rows), 85)  # 4 epochs x (20 batches + 1 validation row) + media
        self.assertEqual(rows[21]["examples"]["_type"], "images/separated")
        self.assertEqual(rows[21]["weights"]["_type"], "histogram")
        self.assertEqual(rows[-1]["predictions"]["_type"], "table-file")
        self.assertEqual(rows[-1]["tone"]["_type"], "audio-file")
        self.assertEqual(rows[-1]["clip"]["_type"], "video-file")
        media = {k["name"]: k for k in r.media_keys()}
        self.assertEqual(media["examples"]["count"], 4)
        self.assertEqual(media["decay_table"]["type"], "plot")
        self.assertEqual(media["cm_table"]["type"], "plot")
        self.assertEqual(r.table("predictions").columns, ["id", "prediction", "image"])
        # the program's console was captured too
        self.assertIn("logged 85 steps", self.tally("logs", r.id))


if __name__ == "__main__":
    unittest.main()
