"""tally.Api: runs, history (sampled, by keys), scan_history, summary,
config and state, also while a run is live."""
import unittest

import tally
from util import StoreTest


class Api(StoreTest):
    def test_runs_by_project_newest_first(self):
        a = self.init(project="p1", name="first")
        a.finish()
        b = self.init(project="p2")
        b.finish()
        c = self.init(project="p1")
        c.finish()
        api = tally.Api(self.dir)
        self.assertEqual({r.id for r in api.runs()}, {a.id, b.id, c.id})
        self.assertEqual({r.id for r in api.runs("p1")}, {a.id, c.id})
        self.assertEqual(api.run(a.id).name, "first")
        self.assertEqual(api.run(f"p1/{a.id}").id, a.id)
        with self.assertRaises(ValueError):
            api.run("nosuchrun")
        self.assertEqual(tally.Api(self.dir + "/missing").runs(), [])

    def test_history_keys_samples_scan(self):
        run = self.init()
        for i in range(100):
            row = {"loss": 1.0 / (i + 1)}
            if i % 10 == 9:
                row["val"] = float(i)
            run.log(row)
        run.finish()
        r = self.api_run(run)
        self.assertEqual(len(r.history(pandas=False, samples=None)), 100)
        sampled = r.history(pandas=False, samples=11)
        self.assertEqual(len(sampled), 11)
        self.assertEqual((sampled[0]["_step"], sampled[-1]["_step"]), (0, 99))
        val = r.history(keys=["val"], pandas=False)
        self.assertEqual([row["_step"] for row in val], list(range(9, 100, 10)))
        self.assertEqual(set(val[0]), {"_step", "val"})
        scanned = list(r.scan_history(keys=["loss"], min_step=10, max_step=20))
        self.assertEqual([row["_step"] for row in scanned], list(range(10, 20)))
        self.assertEqual(list(r.scan_history(keys=["nosuchkey"])), [])
        try:
            import pandas  # noqa: F401
        except ImportError:
            self.assertIsInstance(r.history(), list)
        else:
            self.assertEqual(list(r.history(keys=["val"])["val"]), [float(i) for i in range(9, 100, 10)])

    def test_live_run_reads(self):
        run = self.init(tags=["x", "y"], group="g", job_type="train", notes="n")
        run.log({"a": 1.0})
        run._flush()
        r = self.api_run(run)
        self.assertEqual(r.state, "running")
        self.assertEqual((r.tags, r.group, r.job_type, r.notes), (["x", "y"], "g", "train", "n"))
        self.assertEqual(r.history(pandas=False)[0]["a"], 1.0)
        run.finish()
        self.assertEqual(r.state, "finished")


if __name__ == "__main__":
    unittest.main()
