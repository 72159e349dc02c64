"""bench_python.py — the cost of run.log() from Python (make bench).

For a dict of 10 and of 100 floats, in one run: the interpreter building
the dict (the floor every logging call pays), json.dumps of that dict, and
tally's run.log() of it.  The figure that matters is what each adds to the
floor: log / json (target <= 0.5x).  Per call, best of several rounds, as
ratios against the same run's baseline (the machine is shared and noisy).
"""
import json
import os
import sys
import tempfile
import time

import tally

ROUNDS = 9


def best_per_call(fns, n):
    """Best time per call of each function, the rounds interleaved so that a
    change of load on the machine falls on all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(ROUNDS):
        for j, fn in enumerate(fns):
            t0 = time.perf_counter()
            for i in range(n):
                fn(i * 0.001)
            best[j] = min(best[j], time.perf_counter() - t0)
    return [b / n for b in best]


def main():
    root = tempfile.mkdtemp(prefix="tally-bench-py-")
    run = tally.init(dir=root, project="bench",
                     settings={"console": "off", "x_disable_stats": True})
    print(f"{'keys':>5} {'dict µs':>9} {'json µs':>9} {'log µs':>9} "
          f"{'log/json':>9} {'(log-dict)/(json-dict)':>23}")
    worst = 0.0
    for nkeys in (10, 100):
        # a dict literal, as a training loop writes it
        src = "lambda x: {" + ", ".join(f"'train/metric_{k}': x + {k}.5" for k in range(nkeys)) + "}"
        make = eval(src)
        n = 200000 // nkeys
        floor, dumps, log = best_per_call(
            [make, lambda x: json.dumps(make(x)), lambda x: run.log(make(x))], n)
        net = (log - floor) / (dumps - floor)
        worst = max(worst, net)
        print(f"{nkeys:>5} {floor * 1e6:>9.2f} {dumps * 1e6:>9.2f} {log * 1e6:>9.2f} "
              f"{log / dumps:>8.2f}x {net:>22.2f}x")
    run.finish()
    for dirpath, _, files in os.walk(root, topdown=False):
        for f in files:
            os.unlink(os.path.join(dirpath, f))
        os.rmdir(dirpath)
    print(f"run.log() adds {worst:.2f}x what json.dumps adds to building the dict "
          f"(target <= 0.5x): {'ok' if worst <= 0.5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
