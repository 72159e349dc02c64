"""A script in wandb's documented style runs unchanged with
`import tally as wandb`; `tally show` and `tally export` see what it logged."""
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
        self.assertIn("logged 84 steps", p.stdout)
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
        self.assertEqual(len(rows), 84)  # 4 epochs x (20 batches + 1 validation row)
        # the program's console was captured too
        self.assertIn("logged 84 steps", self.tally("logs", r.id))


if __name__ == "__main__":
    unittest.main()
