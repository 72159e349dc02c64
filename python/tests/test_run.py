"""The run's life: config, summary, define_metric, finish and exit codes,
hooks at exit, fork(), disabled mode, resume, reinit and save."""
import argparse
import os
import unittest

import tally
from util import StoreTest


class Config(StoreTest):
    def test_item_attribute_update_namespace(self):
        ns = argparse.Namespace(lr=0.01, layers=[64, 32], opt="adam")
        run = self.init(config=ns)
        run.config["batch"] = 32
        run.config.epochs = 3
        run.config.update({"dropout": 0.1, "nested": {"a": 1}})
        self.assertEqual(run.config.lr, 0.01)
        self.assertEqual(run.config["epochs"], 3)
        self.assertIn("dropout", run.config)
        self.assertIs(tally.config, run.config)
        with self.assertRaises(tally.ConfigError):
            run.config.lr = 0.5
        run.config.update({"lr": 0.5}, allow_val_change=True)
        run.config.lr = 0.5  # same value: fine
        run.finish()
        want = {"lr": 0.5, "layers": [64, 32], "opt": "adam", "batch": 32, "epochs": 3,
                "dropout": 0.1, "nested": {"a": 1}}
        self.assertEqual(self.api_run(run).config, want)
        self.assertIn('"adam"', self.tally("show", "--json", run.id))

    def test_include_exclude_and_bad_source(self):
        run = self.init(config={"a": 1, "b": 2, "c": 3}, config_exclude_keys=["b"])
        self.assertEqual(dict(run.config.items()), {"a": 1, "c": 3})
        with self.assertRaises(TypeError):
            run.config.update(42)
        run.finish()


class Summary(StoreTest):
    def test_last_value_set_update_read_back(self):
        run = self.init()
        for i in range(3):
            run.log({"loss": 1.0 / (i + 1), "acc": 0.5 + i / 10})
        self.assertAlmostEqual(run.summary["loss"], 1 / 3)
        run.summary["best_accuracy"] = 0.99
        run.summary.update({"model": "best.pt", "epochs": 3, "f1": {"macro": 0.7}})
        run.summary["acc"] = 1.0  # overrides the last value
        self.assertEqual(run.summary["best_accuracy"], 0.99)
        self.assertEqual(run.summary["model"], "best.pt")
        run.finish()
        s = self.api_run(run).summary
        self.assertEqual((s["best_accuracy"], s["model"], s["epochs"], s["acc"]),
                         (0.99, "best.pt", 3, 1.0))
        self.assertEqual(s["f1"], {"macro": 0.7})
        self.assertEqual(run.summary["model"], "best.pt")  # still readable after finish

    def test_define_metric_glob_summary_goal_step_metric(self):
        run = self.init()
        run.define_metric("epoch")
        m = run.define_metric("val/*", step_metric="epoch", summary="min,max,mean,last",
                              goal="minimize")
        self.assertEqual(m.step_metric, "epoch")
        run.define_metric("acc", summary="best", goal="maximize")
        for e, v in enumerate([0.5, 0.2, 0.4]):
            run.log({"val/loss": v, "epoch": e, "acc": 1 - v})
        run.finish()
        s = self.api_run(run).summary
        self.assertEqual(s["val/loss"], {"min": 0.2, "max": 0.5, "mean": (0.5 + 0.2 + 0.4) / 3, "last": 0.4})
        self.assertEqual(s["acc"], {"max": 0.8})
        metrics = {m["name"]: m for m in self.api_run(run).metrics}
        self.assertEqual(metrics["val/loss"]["step_metric"], "epoch")
        self.assertEqual(metrics["val/loss"]["goal"], 1)

    def test_define_metric_bad_arguments(self):
        run = self.init()
        with self.assertRaises(tally.Error):
            run.define_metric("x", summary="median")
        with self.assertRaises(tally.Error):
            run.define_metric("x", goal="up")
        with self.assertRaises(ValueError):
            run.define_metric("a*b")
        with self.assertRaises(tally.Error):
            run.define_metric("x", summary="best")
        run.finish()


class Lifecycle(StoreTest):
    def state(self, code):
        rc, err = self.script(code)
        r = self.only_run()
        return rc, r.state, r.exit_code, err

    def test_finish_exit_codes(self):
        run = self.init()
        run.log({"a": 1})
        run.finish(exit_code=3)
        run.finish()  # second call: nothing
        r = self.api_run(run)
        self.assertEqual((r.state, r.exit_code), ("failed", 3))
        self.assertTrue(os.path.isfile(run.path))

    def test_run_dir_files_are_saved_at_finish(self):
        run = self.init()
        self.assertTrue(os.path.isdir(run.dir))
        self.assertEqual(os.path.dirname(run.dir), os.path.dirname(run.path))
        with open(os.path.join(run.dir, "model.pt"), "wb") as f:
            f.write(b"weights")
        os.makedirs(os.path.join(run.dir, "sub"))
        with open(os.path.join(run.dir, "sub", "notes.txt"), "w") as f:
            f.write("deep")
        run.finish()
        r = self.api_run(run)
        self.assertEqual(r.file("model.pt"), b"weights")
        self.assertEqual(r.file("notes.txt"), b"deep")
        self.assertEqual(len(tally.Api(self.dir).runs()), 1)  # the folder is no run

    def test_context_manager(self):
        with self.init() as run:
            run.log({"a": 1})
        self.assertEqual(self.api_run(run).state, "finished")
        with self.assertRaises(RuntimeError):
            with self.init() as run2:
                raise RuntimeError("boom")
        self.assertEqual((self.api_run(run2).state, self.api_run(run2).exit_code), ("failed", 1))

    def test_normal_exit_finishes(self):
        rc, state, code, err = self.state(
            "import tally\nr = tally.init()\nr.log({'a': 1})\n")
        self.assertEqual((rc, state, code), (0, "finished", 0), err)

    def test_uncaught_exception_fails_with_1(self):
        rc, state, code, err = self.state(
            "import tally\nr = tally.init()\nr.log({'a': 1})\nraise ValueError('x')\n")
        self.assertEqual((rc, state, code), (1, "failed", 1), err)
        self.assertIn("ValueError", err)

    def test_ctrl_c_fails_with_255(self):
        rc, state, code, err = self.state(
            "import tally\nr = tally.init()\nr.log({'a': 1})\nraise KeyboardInterrupt\n")
        self.assertEqual((state, code), ("failed", 255), err)

    def test_real_sigint_fails_with_255(self):
        import signal
        import subprocess
        import sys
        import time
        code = ("import time, tally\n"
                "r = tally.init(settings={'console': 'off'})\n"
                "print(r.id, flush=True)\n"
                "i = 0\n"
                "while True:\n"
                "    r.log({'a': float(i)}); i += 1; time.sleep(0.001)\n")
        p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, TALLY_DIR=self.dir))
        p.stdout.readline()
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        self.assertIn("KeyboardInterrupt", err)
        r = self.only_run()
        self.assertEqual((r.state, r.exit_code), ("failed", 255))
        self.assertGreater(r.rows, 10)

    def test_sys_exit_code(self):
        rc, state, code, err = self.state(
            "import sys, tally\nr = tally.init()\nr.log({'a': 1})\nsys.exit(3)\n")
        self.assertEqual((rc, state, code), (3, "failed", 3), err)

    def test_fork_child_does_not_touch_the_run(self):
        code = ("import os, tally\n"
                "r = tally.init(settings={'console': 'off'})\n"
                "r.log({'a': 1.0})\n"
                "pid = os.fork()\n"
                "if pid == 0:\n"
                "    r.log({'child': 1.0}); r.finish(); tally.finish(); os._exit(0)\n"
                "os.waitpid(pid, 0)\n"
                "r.log({'a': 2.0})\n")
        rc, err = self.script(code)
        self.assertEqual(rc, 0, err)
        r = self.only_run()
        rows = r.history(samples=None, pandas=False)
        self.assertEqual([row["a"] for row in rows], [1.0, 2.0])
        self.assertFalse(any("child" in row for row in rows))
        self.assertEqual(r.state, "finished")
        self.assertIn("fork()ed child", err)  # the child's log said why, once

    def test_threads_log_and_read_while_finishing(self):
        import threading
        run = self.init()
        stop = threading.Event()

        class Slow:  # a value whose conversion lets other threads run
            def __float__(self):
                threading.Event().wait(0.0005)
                return 1.0

        def logger(n):
            i = 0
            while not stop.is_set() and i < 20000:
                run.log({f"t{n}": float(i), "slow": Slow()})
                i += 1

        def reader():
            while not stop.is_set():
                run.summary.get("t0")

        threads = [threading.Thread(target=logger, args=(n,)) for n in range(3)]
        threads.append(threading.Thread(target=reader))
        for t in threads:
            t.start()
        threading.Event().wait(0.2)
        run.finish()
        threading.Event().wait(0.05)  # they keep logging into a finished run
        stop.set()
        for t in threads:
            t.join()
        r = self.api_run(run)
        self.assertEqual(r.state, "finished")
        self.assertGreater(len(r.history(samples=None, pandas=False)), 0)

    def test_disabled_is_a_no_op(self):
        run = self.init(mode="disabled", config={"lr": 1})
        run.log({"a": 1})
        run.log({"b": [1, 2]}, step=4)
        run.summary["x"] = 2
        run.define_metric("a", summary="min")
        self.assertEqual(run.config.lr, 1)
        self.assertEqual(run.summary["x"], 2)
        run.finish()
        self.assertEqual(tally.Api(self.dir).runs(), [])

    def test_disabled_from_the_environment(self):
        rc, err = self.script("import tally\nr = tally.init()\nr.log({'a': 1})\n"
                              "assert r.disabled and r.mode == 'disabled'\n",
                              env={"TALLY_MODE": "disabled"})
        self.assertEqual(rc, 0, err)
        self.assertEqual(tally.Api(self.dir).runs(), [])

    def test_resume(self):
        run = self.init(id="resume1")
        run.log({"a": 1})
        run.finish()
        with self.assertRaises(tally.Error):
            self.init(id="resume1", resume="never")
        with self.assertRaises(tally.Error):
            self.init(id="other", resume="must")
        again = self.init(id="resume1", resume="must")
        again.log({"a": 2})
        again.finish()
        rows = self.history(again)
        self.assertEqual([(r["_step"], r["a"]) for r in rows], [(0, 1), (1, 2)])

    def test_reinit(self):
        a = self.init(reinit=None)
        self.assertIs(self.init(reinit=None), a)
        b = self.init(reinit=True)
        self.assertIsNot(a, b)
        self.assertEqual(self.api_run(a).state, "finished")
        b.finish()
        with self.assertRaises(TypeError):
            self.init(no_such_argument=1)

    def test_save(self):
        path = os.path.join(self.dir, "notes.txt")
        with open(path, "w") as f:
            f.write("first")
        run = self.init()
        self.assertEqual(run.save(path), [path])
        end = os.path.join(self.dir, "late.txt")
        run.save(end, policy="end")
        with open(end, "w") as f:
            f.write("written after save()")
        run.finish()
        r = self.api_run(run)
        self.assertEqual(r.file("notes.txt"), b"first")
        self.assertEqual(r.file("late.txt"), b"written after save()")

    def test_missing_names_say_why(self):
        with self.assertRaises(AttributeError) as cm:
            tally.Object3D
        self.assertIn("not in tally", str(cm.exception))
        with self.assertRaises(AttributeError):
            tally.no_such_name

    def test_define_metric_hidden(self):
        run = self.init()
        run.define_metric("dbg/*", hidden=True)
        run.log({"dbg/x": 1.0, "loss": 2.0})
        run.finish()
        metrics = {m["name"]: m for m in self.api_run(run).metrics}
        self.assertTrue(metrics["dbg/x"]["hidden"])
        self.assertFalse(metrics["loss"]["hidden"])
        self.assertEqual(self.api_run(run).summary["dbg/x"], 1.0)
        r = self.api_run(run)
        self.assertNotIn("dbg/x", self.history(run)[0])  # out of plain rows, as _runtime
        self.assertEqual([(row["_step"], row["dbg/x"]) for row in
                          r.history(keys=["dbg/x"], pandas=False)], [(0, 1.0)])
        self.assertEqual([(row["loss"], row["dbg/x"]) for row in
                          r.scan_history(keys=["loss", "dbg/x"])], [(2.0, 1.0)])


if __name__ == "__main__":
    unittest.main()
