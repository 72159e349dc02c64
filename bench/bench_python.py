"""bench_python.py — the cost of run.log() from Python (make bench).

For a dict of 10 and of 100 floats, in one run: the interpreter building
the dict (the floor every logging call pays), json.dumps of that dict, and
tally's run.log() of it.  The figure that matters is what each adds to the
floor: log / json (target <= 0.5x).  Per call, best of several rounds, as
ratios against the same run's baseline (the machine is shared and noisy).

Then the media calls' cost on the training thread (informational, no
target): run.log() of a tally.Image of a 256x256 RGB array against copying
its pixels and against encoding it as PNG with PIL (what wandb does on the
caller's thread), and of a tally.Histogram of 10^5 values against
numpy.histogram of them.
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


def media(run):
    try:
        import numpy as np
    except ImportError:
        print("media: skipped (no numpy)")
        return
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    vals = rng.normal(size=100000)
    fns = [lambda x: img.copy(), lambda x: run.log({"img": tally.Image(img)})]
    try:
        import io
        from PIL import Image as PILImage
        fns.append(lambda x: PILImage.fromarray(img).save(io.BytesIO(), format="png"))
    except ImportError:
        pass
    n = 20  # few enough that the writer's queue never makes the commit wait
    t = best_per_call(fns, n)
    line = (f"media: log(Image 256x256x3) {t[1] * 1e6:.0f} µs = {t[1] / t[0]:.1f}x copying "
            "its pixels")
    if len(t) > 2:
        line += f", {t[1] / t[2]:.3f}x PIL's PNG encode of it (wandb's caller cost)"
    print(line)
    h = best_per_call([lambda x: np.histogram(vals, bins=64),
                       lambda x: run.log({"h": tally.Histogram(vals)})], 20)
    print(f"media: log(Histogram of 1e5 values) {h[1] * 1e6:.0f} µs = {h[1] / h[0]:.2f}x "
          "numpy.histogram of them")


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
    media(run)
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
