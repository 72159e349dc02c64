"""tally.watch / unwatch: histograms of a torch model's gradients and
parameters, as wandb's torch integration logs them.

Gradients: a hook on each parameter that requires a gradient, called by
autograd during backward(); every log_freq-th call of a parameter's hook
logs `gradients/<name>`.  Parameters: a forward hook on the module; every
log_freq-th forward logs `parameters/<name>` of all its parameters.  Each
histogram is 64 bins over the tensor's finite [min, max] (torch.histc, as
wandb), staged into the run's current step (commit=False), so they land in
the row the training loop's next run.log() commits.  torch is never
imported here: the model brings it.
"""
from ._media import Histogram

NUM_BINS = 64


def _track(freq):
    return [0, freq]


def _due(track):
    """Counts a call; True on every freq-th (wandb's log_track_update)."""
    track[0] += 1
    if track[0] < track[1]:
        return False
    track[0] = 0
    return True


def tensor_histogram(tensor):
    """A Histogram of a tensor's finite values, as wandb's
    log_tensor_stats: None when it has none."""
    t = tensor.detach()
    if getattr(t, "is_sparse", False):
        t = t.to_dense()
    flat = t.reshape(-1)
    if flat.is_cuda:
        flat = flat.cpu()
    if not flat.is_floating_point() or flat.element_size() < 4:
        flat = flat.float()
    import torch
    finite = torch.isfinite(flat)
    if not bool(finite.all()):
        flat = flat[finite]
    if flat.numel() == 0:
        return None
    tmin, tmax = flat.min().item(), flat.max().item()
    if tmin > tmax:
        tmin, tmax = tmax, tmin
    if tmin == tmax:
        return Histogram(np_histogram=([float(flat.numel())], [tmin, tmax]))
    counts = flat.histc(bins=NUM_BINS, min=tmin, max=tmax).tolist()
    edges = torch.linspace(tmin, tmax, steps=NUM_BINS + 1).tolist()
    return Histogram(np_histogram=(counts, edges))


class Watcher:
    """The hooks of one watched model."""

    def __init__(self, run, model, log, log_freq, prefix):
        self.run = run
        self.model = model
        self.handles = []
        if log in ("parameters", "all"):
            track = _track(log_freq)
            self.handles.append(model.register_forward_hook(
                lambda module, inp, out: self._parameters(module, track, prefix)))
        if log in ("gradients", "all"):
            for name, p in model.named_parameters():
                if p.requires_grad:
                    self.handles.append(p.register_hook(
                        self._gradient_hook("gradients/" + prefix + name, _track(log_freq))))

    def _log(self, name, tensor):
        try:
            h = tensor_histogram(tensor)
        except Exception as e:  # never raise into backward() or forward()
            self.run._warn(1 << 9, f"watch: no histogram of {name}: {e}")  # WARN_WATCH
            return
        if h is not None:
            self.run.log({name: h}, commit=False)

    def _parameters(self, module, track, prefix):
        if not _due(track) or self.run._finished:
            return
        for name, p in module.named_parameters():
            self._log("parameters/" + prefix + name, p.data)

    def _gradient_hook(self, name, track):
        def hook(grad):
            if _due(track) and not self.run._finished:
                self._log(name, grad.data)
            return None
        return hook

    def remove(self):
        for h in self.handles:
            h.remove()
        self.handles = []


def watch(run, models, criterion=None, log="gradients", log_freq=1000, idx=None,
          log_graph=False):
    """Hooks models (one torch.nn.Module or a list) into run; returns the
    watchers.  log: "gradients", "parameters", "all" or None."""
    if log not in ("gradients", "parameters", "all", None):
        raise ValueError('watch: log must be "gradients", "parameters", "all" or None')
    if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1:
        raise ValueError("watch: log_freq must be a positive integer")
    if not isinstance(models, (list, tuple)):
        models = [models]
    for m in models:
        if not (hasattr(m, "named_parameters") and hasattr(m, "register_forward_hook")):
            raise ValueError(f"Expected a pytorch model (torch.nn.Module). Received "
                             f"{type(m).__name__}")
    out = []
    if log is None:
        return out
    for i, m in enumerate(models):
        # wandb's names: the first model watched plain, later ones
        # "gradients/graph_1<name>", ...
        n = (idx + i) if idx is not None else run._watch_count
        run._watch_count += 1
        w = Watcher(run, m, log, log_freq, f"graph_{n}" if n > 0 else "")
        run._watchers.append(w)
        out.append(w)
    return out


def unwatch(run, models=None):
    """Removes the hooks of models (default: every watched model)."""
    if models is not None and not isinstance(models, (list, tuple)):
        models = [models]
    keep = []
    for w in run._watchers:
        if models is None or any(w.model is m for m in models):
            w.remove()
        else:
            keep.append(w)
    run._watchers = keep

