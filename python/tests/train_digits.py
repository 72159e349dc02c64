"""A real training run, shared by test_training.py (which checks what it
logged) and tests/integration/python_tui.sh (which opens it in the
dashboard): a small PyTorch MLP on sklearn's digits logging loss / accuracy
per step (0-d tensors, as wandb scripts do), a validation dict per epoch on
an `epoch` axis, an image grid of samples, watch()'s gradient histograms, a
confusion matrix, a ROC chart and a table of predictions with their images.

    python3 train_digits.py        # a run under $TALLY_DIR; prints "run <id>"
"""
import torch
from sklearn.datasets import load_digits

import tally

CONFIG = {"lr": 0.01, "epochs": 5, "batch": 64, "hidden": 64}
LOG_FREQ = 10  # watch(): a gradient histogram every 10th backward
SAMPLES = 12   # rows of the predictions table


def data():
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    return x[:1400], y[:1400], x[1400:], y[1400:]


def train(run):
    """Trains with run; returns (steps, xv, yv, last validation logits)."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    xt, yt, xv, yv = data()
    cfg = run.config
    model = torch.nn.Sequential(torch.nn.Linear(64, cfg.hidden), torch.nn.ReLU(),
                                torch.nn.Linear(cfg.hidden, 10))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    run.define_metric("epoch")
    run.define_metric("val/*", step_metric="epoch")
    run.define_metric("val/acc", step_metric="epoch", summary="max,last", goal="maximize")
    run.watch(model, log="gradients", log_freq=LOG_FREQ)
    grid = xt[:16].reshape(16, 1, 8, 8)
    run.log({"samples": tally.Image(grid, caption="the first 16 digits")}, commit=False)
    steps = 0
    for epoch in range(cfg.epochs):
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), cfg.batch):
            idx = perm[i:i + cfg.batch]
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
    probs = torch.softmax(out, 1)
    pred = out.argmax(1)
    table = tally.Table(columns=["image", "truth", "pred", "p"])
    for i in range(SAMPLES):
        table.add_data(tally.Image(xv[i].reshape(8, 8).numpy()), int(yv[i]), int(pred[i]),
                       float(probs[i, pred[i]]))
    run.log({"val/confusion": tally.plot.confusion_matrix(
                 y_true=yv.tolist(), preds=pred.tolist(), class_names=[str(d) for d in range(10)]),
             "val/roc": tally.plot.roc_curve(yv.numpy(), probs.numpy()),
             "predictions": table})
    return steps, xv, yv, out


if __name__ == "__main__":
    with tally.init(project="digits", config=CONFIG,
                    settings={"console": "off", "x_disable_stats": True}) as run:
        steps, *_ = train(run)
        print(f"run {run.id} trained {steps} steps")
