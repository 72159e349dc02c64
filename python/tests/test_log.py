"""run.log(): values, steps and commits, by wandb's rules, read back through
tally.Api and `tally export`."""
import math
import unittest

import numpy as np

import tally
from util import StoreTest, warnings

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None


class Values(StoreTest):
    def test_scalar_kinds(self):
        run = self.init()
        row = {"f": 0.25, "i": 7, "big": 2 ** 70, "neg": -3, "b": True, "s": "héllo",
               "none": None, "np_f32": np.float32(0.5), "np_i64": np.int64(1 << 60),
               "np_bool": np.bool_(False), "arr0": np.array(1.5), "arr1": np.array([4]),
               "np_f64": np.float64(2.5)}
        if torch is not None:
            row["t0"] = torch.tensor(3.5, requires_grad=True) * 1
            row["t_int"] = torch.tensor(9)
        run.log(row)
        run.finish()
        want = {"f": 0.25, "i": 7, "big": 2 ** 70, "neg": -3, "b": True, "s": "héllo",
                "none": None, "np_f32": 0.5, "np_i64": 1 << 60, "np_bool": False,
                "arr0": 1.5, "arr1": 4, "np_f64": 2.5}
        if torch is not None:
            want.update(t0=3.5, t_int=9)
        for got in (self.history(run)[0], self.export(run)[0]):
            for k, v in want.items():
                self.assertEqual(got[k], v, k)
                self.assertEqual(type(got[k]), type(v), k)

    def test_random_dicts_round_trip(self):
        """The C walk against a plain-Python flattening of the same dicts."""
        import random
        rnd = random.Random(10)
        alphabet = "abcxyz_.-:é€𝔘 "

        def key():
            return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 12)))

        def value(depth):
            kind = rnd.randrange(9 if depth < 3 else 8)
            return [lambda: rnd.uniform(-1e6, 1e6), lambda: rnd.randint(-2 ** 40, 2 ** 40),
                    lambda: rnd.randint(2 ** 64, 2 ** 80), lambda: rnd.random() < 0.5,
                    lambda: key() * rnd.randint(0, 3), lambda: None,
                    lambda: [rnd.randint(0, 9) for _ in range(rnd.randint(0, 4))],
                    lambda: np.float32(rnd.random()).item(),
                    lambda: {key(): value(depth + 1) for _ in range(rnd.randint(0, 4))}][kind]()

        def flatten(d, prefix=""):
            out = {}
            for k, v in d.items():
                path = prefix + "/" + k if prefix else k
                if isinstance(v, dict):
                    out.update(flatten(v, path))
                else:
                    out[path] = v
            return out

        run = self.init()
        want = []
        for _ in range(200):
            d = {key(): value(0) for _ in range(rnd.randint(1, 8))}
            flat = flatten(d)
            if not flat:
                continue
            run.log(d)
            want.append(flat)
        run.finish()
        rows = self.history(run)
        self.assertEqual(len(rows), len(want))
        for got, w in zip(rows, want):
            got = {k: v for k, v in got.items() if k not in ("_step", "_runtime", "_timestamp")}
            self.assertEqual(got, w)

    def test_nested_dicts_become_slash_keys(self):
        run = self.init()
        run.log({"train": {"loss": 0.5, "opt": {"lr": 0.01}}, "top": 1})
        run.finish()
        row = self.export(run)[0]
        self.assertEqual(row["train/loss"], 0.5)
        self.assertEqual(row["train/opt/lr"], 0.01)
        self.assertNotIn("train", row)

    def test_nan_and_infinities_are_kept(self):
        run = self.init()
        run.log({"nan": float("nan"), "inf": float("inf"), "ninf": -math.inf,
                 "np_nan": np.float32("nan")})
        run.finish()
        for row in (self.history(run)[0], self.export(run)[0]):
            self.assertTrue(math.isnan(row["nan"]))
            self.assertTrue(math.isnan(row["np_nan"]))
            self.assertEqual(row["inf"], math.inf)
            self.assertEqual(row["ninf"], -math.inf)

    def test_lists_and_small_arrays_are_json_long_arrays_histograms(self):
        run = self.init()
        run.log({"l": [1, 2.5, "x"], "t": (1, 2), "a": np.arange(3), "long": np.zeros(33),
                 "keep": 1.0})
        run.log({"long": np.arange(100), "keep": 2.0})
        self.assertEqual(run.skipped, 0)
        run.finish()
        rows = self.export(run)
        self.assertEqual(rows[0]["l"], [1, 2.5, "x"])
        self.assertEqual(rows[0]["t"], [1, 2])
        self.assertEqual(rows[0]["a"], [0, 1, 2])
        # wandb's history encoder: more than 32 values make a 32-bin histogram
        self.assertEqual(rows[0]["long"]["_type"], "histogram")
        self.assertEqual(len(rows[0]["long"]["values"]), 32)
        self.assertEqual(rows[1]["long"]["values"], np.histogram(np.arange(100), 32)[0].tolist())
        self.assertEqual([r["keep"] for r in rows], [1.0, 2.0])

    def test_wrong_types_raise_and_stage_nothing(self):
        run = self.init()
        with self.assertRaises(ValueError):
            run.log([1, 2])
        with self.assertRaises(ValueError):
            run.log({1: 2.0})
        with self.assertRaises(TypeError):
            run.log({"ok": 1.0, "bad": object()})
        with self.assertRaises(TypeError):
            run.log({"x": 1.0}, step="3")
        run.log({"after": 2.0})
        run.finish()
        rows = self.export(run)
        self.assertEqual(len(rows), 1)
        self.assertNotIn("ok", rows[0])
        self.assertEqual(rows[0]["_step"], 0)

    def test_bad_key_skips_that_key_only(self):
        code = ("import tally\n"
                "r = tally.init(project='t', settings={'console': 'off'})\n"
                "for i in range(3): r.log({'_step': 1.0, 'good': float(i), '': 2.0})\n"
                "r.finish()\n")
        rc, err = self.script(code)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(warnings(err)), 1, err)
        rows = self.tally("export", self.only_run().id).splitlines()
        self.assertEqual(len(rows), 3)


    def test_warning_neutralises_a_hostile_key(self):
        code = ("import tally\n"
                "r = tally.init(project='t', settings={'console': 'off'})\n"
                "r.log({'\\x1b]0;owned\\x07\\u009b2Jkey': 1.0, 'ok': 2.0})\n"
                "r.finish()\n")
        rc, err = self.script(code)
        self.assertEqual(rc, 0, err)
        lines = warnings(err)
        self.assertEqual(len(lines), 1, err)
        self.assertIn("key '?]0;owned??2Jkey' not logged", lines[0])
        for bad in ("\x1b", "\x07", "\u009b"):
            self.assertNotIn(bad, err)


class Steps(StoreTest):
    def test_each_call_is_a_step_unless_commit_false(self):
        run = self.init()
        run.log({"a": 1})
        run.log({"b": 2}, commit=False)
        run.log({"c": 3}, commit=False)
        self.assertEqual(run.step, 1)
        run.log({"d": 4})
        self.assertEqual(run.step, 2)
        run.finish()
        rows = self.export(run)
        self.assertEqual([r["_step"] for r in rows], [0, 1])
        self.assertEqual({k: rows[1][k] for k in "bcd"}, {"b": 2, "c": 3, "d": 4})

    def test_explicit_step(self):
        run = self.init()
        run.log({"a": 1}, step=5)          # moves to 5, not committed yet
        run.log({"b": 2}, step=5)          # same row
        run.log({"c": 3}, step=8)          # closes row 5, moves to 8
        run.log({"d": 4}, step=8, commit=True)
        run.log({"e": 5})                  # step 9
        run.finish()
        rows = self.export(run)
        self.assertEqual([r["_step"] for r in rows], [5, 8, 9])
        self.assertEqual((rows[0]["a"], rows[0]["b"]), (1, 2))
        self.assertEqual((rows[1]["c"], rows[1]["d"]), (3, 4))

    def test_earlier_step_refused_with_one_warning(self):
        code = ("import tally\n"
                "r = tally.init(project='t', settings={'console': 'off'})\n"
                "r.log({'a': 1.0}, step=10)\n"
                "for s in (3, 4, 5): r.log({'old': 1.0}, step=s)\n"
                "r.log({'b': 2.0})\n"
                "r.finish()\n")
        rc, err = self.script(code)
        self.assertEqual(rc, 0, err)
        lines = warnings(err)
        self.assertEqual(len(lines), 1, err)
        self.assertIn("step 3", lines[0])
        run = self.only_run()
        rows = run.history(samples=None, pandas=False)
        self.assertEqual([r["_step"] for r in rows], [10])
        self.assertNotIn("old", rows[0])
        self.assertEqual(rows[0]["b"], 2.0)

    def test_module_log_is_the_current_run(self):
        with self.assertRaises(tally.Error):
            tally._preinit({"a": 1})
        run = self.init()
        tally.log({"x": 1.0})
        self.assertIs(tally.run, run)
        run.finish()
        self.assertIsNone(tally.run)
        self.assertEqual(self.export(run)[0]["x"], 1.0)


if __name__ == "__main__":
    unittest.main()
