"""A training script written against wandb's documented logging API, with
only its import changed: test_wandb_script.py runs it unchanged."""
import argparse
import math
import os

import numpy as np

import tally as wandb

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.05)
parser.add_argument("--epochs", type=int, default=3)
args = parser.parse_args()

wandb.init(project="wandb-style", config=args, tags=["baseline"], notes="unchanged script",
           job_type="train")
config = wandb.config
config.update({"batches": 20})

wandb.define_metric("epoch")
wandb.define_metric("val/*", step_metric="epoch")
wandb.define_metric("val/acc", summary="max")

loss = 1.0
for epoch in range(config.epochs):
    for batch in range(config.batches):
        loss = math.exp(-config.lr * (epoch * config.batches + batch))
        wandb.log({"train/loss": loss, "train/lr": config.lr}, commit=False)
        wandb.log({"batch": batch})
    wandb.log({"val/acc": 1.0 - loss, "val/loss": loss, "epoch": epoch})

    # media, as wandb's docs log them
    pixels = np.random.randint(low=0, high=256, size=(32, 32, 3), dtype=np.uint8)
    wandb.log({"examples": [wandb.Image(pixels, caption=f"random field {i}") for i in range(3)],
               "weights": wandb.Histogram(np.random.randn(1000)),
               "epoch": epoch}, commit=False)

table = wandb.Table(columns=["id", "prediction", "image"])
for i in range(4):
    table.add_data(i, i % 2, wandb.Image(np.full((8, 8), i * 60, dtype=np.uint8)))
data = [[x, math.exp(-x)] for x in range(10)]
curve = wandb.Table(data=data, columns=["x", "y"])
wandb.log({"predictions": table,
           "decay": wandb.plot.line(curve, "x", "y", title="exp(-x)"),
           "cm": wandb.plot.confusion_matrix(y_true=[0, 1, 1, 0], preds=[0, 1, 0, 0],
                                             class_names=["cat", "dog"]),
           "tone": wandb.Audio(np.sin(np.arange(8000) / 8.0), sample_rate=8000),
           "clip": wandb.Video(np.random.randint(0, 256, (4, 3, 16, 16), dtype=np.uint8), fps=4)})

wandb.run.summary["final_loss"] = loss
wandb.save(os.path.abspath(__file__), policy="now")
print(f"run {wandb.run.id} {wandb.run.name} logged {wandb.run.step} steps")
wandb.finish()
