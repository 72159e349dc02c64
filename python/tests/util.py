"""What the package's tests share: a scratch store per test, and the run
read back both ways — through tally.Api and through `tally export`."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import tally

TALLY_BIN = os.environ.get("TALLY_BIN", "tally")
QUIET = {"console": "off", "x_disable_stats": True}  # no capture inside the test runner


def warnings(stderr):
    """The lines tally printed (its one voice: "tally: ...")."""
    return [line for line in stderr.splitlines() if line.startswith("tally:")]


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tally-py-")

    def tearDown(self):
        for r in list(tally._live):
            r.finish()
        shutil.rmtree(self.dir, ignore_errors=True)

    def init(self, **kw):
        kw.setdefault("project", "t")
        kw.setdefault("reinit", "create_new")
        kw.setdefault("settings", QUIET)
        return tally.init(dir=self.dir, **kw)

    def api_run(self, run):
        return tally.Api(self.dir).run(run.id)

    def history(self, run, **kw):
        return self.api_run(run).history(samples=None, pandas=False, **kw)

    def export(self, run):
        """`tally export` rows, with NaN and infinities as floats again."""
        out = subprocess.run([TALLY_BIN, "export", "--json-nonfinite=bare", "--dir", self.dir,
                              run.id], check=True, capture_output=True, text=True).stdout
        return [json.loads(line) for line in out.splitlines()]

    def tally(self, *args):
        return subprocess.run([TALLY_BIN, *args, "--dir", self.dir], check=True,
                              capture_output=True, text=True).stdout

    def script(self, code, env=None):
        """Runs code in a fresh interpreter (store root = self.dir); returns
        (exit status, stderr)."""
        e = dict(os.environ, TALLY_DIR=self.dir, TALLY_QUIET="0", **(env or {}))
        p = subprocess.run([sys.executable, "-c", code], env=e, capture_output=True,
                           text=True, timeout=120)
        return p.returncode, p.stderr

    def only_run(self):
        runs = tally.Api(self.dir).runs()
        self.assertEqual(len(runs), 1, runs)
        return runs[0]
