"""A training script written against wandb's documented logging API, with
only its import changed: test_wandb_script.py runs it unchanged."""
import argparse
import math
import os

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

wandb.run.summary["final_loss"] = loss
wandb.save(os.path.abspath(__file__), policy="now")
print(f"run {wandb.run.id} {wandb.run.name} logged {wandb.run.step} steps")
wandb.finish()
