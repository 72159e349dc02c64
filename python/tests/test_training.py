"""A real training run: a small PyTorch MLP on sklearn's digits, logging
loss / accuracy per step (0-d tensors, as wandb scripts do) and a
validation dict per epoch on an `epoch` axis; then `tally show` lists it."""
import json
import unittest

from util import StoreTest

try:
    import torch
    from sklearn.datasets import load_digits
except ImportError:
    torch = None


@unittest.skipIf(torch is None, "needs python3-torch and python3-sklearn")
class Training(StoreTest):
    def test_digits_mlp(self):
        torch.set_num_threads(1)
        torch.manual_seed(0)
        x, y = load_digits(return_X_y=True)
        x = torch.tensor(x / 16.0, dtype=torch.float32)
        y = torch.tensor(y)
        xt, yt, xv, yv = x[:1400], y[:1400], x[1400:], y[1400:]
        cfg = {"lr": 0.01, "epochs": 5, "batch": 64, "hidden": 64}
        run = self.init(project="digits", config=cfg)
        model = torch.nn.Sequential(torch.nn.Linear(64, cfg["hidden"]), torch.nn.ReLU(),
                                    torch.nn.Linear(cfg["hidden"], 10))
        opt = torch.optim.Adam(model.parameters(), lr=run.config.lr)
        run.define_metric("epoch")
        run.define_metric("val/*", step_metric="epoch")
        run.define_metric("val/acc", step_metric="epoch", summary="max,last", goal="maximize")
        steps = 0
        for epoch in range(cfg["epochs"]):
            perm = torch.randperm(len(xt))
            for i in range(0, len(xt), cfg["batch"]):
                idx = perm[i:i + cfg["batch"]]
                out = model(xt[idx])
                loss = torch.nn.functional.cross_entropy(out, yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                acc = (out.argmax(1) == yt[idx]).float().mean()
                run.log({"train/loss": loss, "train/acc": acc})
                steps += 1
            with torch.no_grad():
                out = model(xv)
                val = {"loss": torch.nn.functional.cross_entropy(out, yv).item(),
                       "acc": (out.argmax(1) == yv).float().mean().item()}
            run.log({"val": val, "epoch": epoch})
        run.finish()

        r = self.api_run(run)
        self.assertEqual(r.state, "finished")
        rows = r.history(samples=None, pandas=False)
        self.assertEqual(len(rows), steps + cfg["epochs"])
        train = [row["train/loss"] for row in rows if "train/loss" in row]
        self.assertLess(sum(train[-10:]) / 10, sum(train[:10]) / 10)
        val = r.history(keys=["val/acc", "epoch"], pandas=False)
        self.assertEqual([row["epoch"] for row in val], list(range(cfg["epochs"])))
        self.assertGreater(val[-1]["val/acc"], 0.85)
        self.assertEqual(r.summary["val/acc"]["max"], max(row["val/acc"] for row in val))
        show = json.loads(self.tally("show", "--json", run.id))
        for key in ("train/loss", "train/acc", "val/loss", "val/acc", "epoch"):
            self.assertIn(key, show["metrics"])
        self.assertEqual(show["config"]["hidden"], 64)


if __name__ == "__main__":
    unittest.main()
