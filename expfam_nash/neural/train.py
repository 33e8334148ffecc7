"""Training runs: a configuration, a model built from specs, a loop with progress, metrics as
JSON lines, atomic checkpoints and resume.

An output directory holds ``config.json``, ``metrics.jsonl`` (one line per logged step),
``checkpoint.npz`` (the latest), ``summary.json`` (after the final evaluation) and figures.
A stopped run (Ctrl-C, a killed process) loses at most the steps since its last checkpoint;
:func:`resume` continues from it and, because the generator's state is in the
checkpoint, draws exactly the numbers an uninterrupted run would.

Model specs: ``bits:K`` (uniform prior on K bits), ``gaussian:K`` (N(0, I_K)),
``implicit:DATASET`` (a prior known only by samples: the named dataset's sampler, e.g.
``implicit:rings`` or ``implicit:bars:2``), ``hier:K0:K1`` or ``hier:K0:K1:reverse`` (two binary
layers, ladder encoder by default).
"""
from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validation import check_int, check_positive, check_unit_interval
from . import checkpoint as ckpt
from . import datasets as D
from . import priors as P
from .hierarchical import ORDERS, HierarchicalVAE
from .learning import METHODS, Adam, init
from .vae import VAE

MODEL_SPECS = ("bits:K", "gaussian:K", "implicit:DATASET", "hier:K0:K1[:ladder|reverse]")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run (saved as ``config.json``)."""

    dataset: str = "bars:3"
    model: str = "bits:6"
    method: str = "symmetric"
    steps: int = 20000
    seed: int = 0
    batch: int = 128
    lr: float = 1e-3
    schedule: str = "cosine"   # "constant" or "cosine": lr_t = lr (1 + cos(pi t / steps)) / 2, t = 0..steps-1
    hidden: tuple = (64,)
    activation: str = "tanh"
    dtype: str = "float32"
    decay: float = 0.0
    labelled: float = 0.0   # fraction of training examples whose label is observed
    alpha: float = 0.0      # weight of the labelled term (THEORY.md section 2)
    elbo_samples: int = 2
    data_variance: float | str = "learned"   # real data: "learned" or a fixed variance > 0
    log_every: int = 100
    checkpoint_every: int = 1000
    eval_K: int = 1000
    n_train: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.method not in METHODS:
            raise ValueError(f"method: expected one of {sorted(METHODS)}, got {self.method!r}")
        check_int(self.steps, "steps", minimum=0)
        check_int(self.batch, "batch")
        check_positive(self.lr, "lr")
        check_unit_interval(self.labelled, "labelled")
        check_unit_interval(self.alpha, "alpha")
        check_int(self.log_every, "log_every")
        check_int(self.checkpoint_every, "checkpoint_every")
        if self.schedule not in ("constant", "cosine"):
            raise ValueError(f"schedule: expected 'constant' or 'cosine', got {self.schedule!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype: expected 'float32' or 'float64', got {self.dtype!r}")
        if (self.alpha > 0) != (self.labelled > 0):
            raise ValueError("alpha, labelled: give both (> 0) for semi-supervised learning, or neither")
        if self.labelled > 0 and self.method != "symmetric":
            raise ValueError("labelled: labelled pairs enter symmetric learning only (method 'symmetric')")
        check_int(self.eval_K, "eval_K")
        check_int(self.elbo_samples, "elbo_samples", minimum=2)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def _implicit_prior(spec: str, seed: int):
    base = D.load(spec, seed=seed, n_train=2, n_test=1)
    if base.sampler is None:
        raise ValueError(f"model: implicit:{spec} needs a dataset with a sampler (bars, 2-D densities)")
    return P.Implicit(base.dim, base.sampler, support=base.support)


def build_model(config: TrainConfig, data):
    """The model named by ``config.model`` for ``data`` (heads follow the data's support)."""
    spec = config.model
    kind = "bernoulli" if data.support == "binary" else "gaussian-learned"
    var = 1.0
    if data.support == "real" and config.data_variance != "learned":
        kind, var = "gaussian", check_positive(config.data_variance, "data_variance")
    common = dict(hidden=config.hidden, activation=config.activation, data_kind=kind, data_variance=var)
    fields = spec.split(":")
    try:
        if fields[0] == "hier":
            if config.labelled > 0:
                raise ValueError("labelled: the hierarchical model has no label part")
            order = fields[3] if len(fields) > 3 else "ladder"
            if len(fields) not in (3, 4) or order not in ORDERS:
                raise ValueError
            return HierarchicalVAE(data.dim, int(fields[1]), int(fields[2]), encoder=order, **common)
        if fields[0] == "bits" and len(fields) == 2:
            prior = P.UniformBits(int(fields[1]))
        elif fields[0] == "gaussian" and len(fields) == 2:
            prior = P.StandardNormal(int(fields[1]))
        elif fields[0] == "implicit" and len(fields) >= 2:
            prior = _implicit_prior(spec.split(":", 1)[1], config.seed)
        else:
            raise ValueError
    except ValueError as exc:
        if str(exc):
            raise
        raise ValueError(f"model: expected one of {', '.join(MODEL_SPECS)}, got {spec!r}") from None
    if prior.dim < 1:
        raise ValueError(f"model: the latent dimension must be >= 1, got {spec!r}")
    if config.labelled > 0:
        if not data.n_classes:
            raise ValueError(f"labelled: dataset {data.name} has no labels")
        prior = P.Product((P.UniformClasses(data.n_classes), prior))
    return VAE(data.dim, prior, **common)


@dataclass(frozen=True)
class RunResult:
    """A finished (or stopped) run: where it lives, how far it got, the final evaluation."""

    out: Path
    steps: int
    interrupted: bool
    wall_time: float
    evaluation: dict | None

    def summary(self) -> str:
        head = f"run {self.out}: {self.steps} steps in {self.wall_time:.1f} s" + (" (interrupted)" if self.interrupted else "")
        ev = self.evaluation
        if not ev:
            return head
        lines = [head, f"  data {ev.get('dataset')}, model {ev.get('model')}, method {ev.get('method')}"]
        ll = ev.get("log_likelihood")
        if ll:
            extra = f", K={ll['K']}" if ll.get("K") else ""
            lines.append(f"  held-out log-likelihood {ll['mean']:.4f} +- {ll['se']:.4f} nat ({ll['method']}{extra})")
        if ev.get("ll_gap") is not None:
            lines.append(f"  gap to the true model {ev['ll_gap']:.4f} +- {ev['ll_gap_se']:.4f} nat "
                         f"(true {ev['true_log_likelihood']:.4f})")
        for key, name in (("generated", "decoder marginal"), ("chain", "chain limit")):
            d = ev.get(key) or {}
            if d.get("tv") is not None:
                lines.append(f"  {name} vs data: TV {d['tv']:.4f} ({d['method']})")
            elif d.get("mmd") is not None:
                lines.append(f"  {name} vs data: MMD^2 {d['mmd']:.5f} (test halves {d['mmd_floor']:.5f})")
        rec, lat = ev.get("reconstruction") or {}, ev.get("latents") or {}
        if rec.get("nll") is not None:
            lines.append(f"  reconstruction -log p(x|z) {rec['nll']:.4f}" +
                         (f", pixel error {rec['error_rate']:.4f}" if rec.get("error_rate") is not None else ""))
        if "n_active" in lat:
            lines.append(f"  active units {lat['n_active']}/{lat['n_units']}")
        lines += [f"  note: {n}" for n in ev.get("notes") or []]
        return "\n".join(lines)


class _Progress:
    def __init__(self, total: int, start: int, enabled: bool):
        self.total, self.start, self.enabled = total, start, enabled
        self.t0 = time.monotonic()
        self.last = 0.0

    def update(self, step: int, text: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.5 and not force):
            return
        self.last = now
        done = step - self.start
        rate = done / max(now - self.t0, 1e-9)
        eta = (self.total - step) / rate if rate > 0 else float("inf")
        width = 30
        fill = int(width * step / max(self.total, 1))
        print(f"\r[{'#' * fill}{'.' * (width - fill)}] {step}/{self.total} {rate:.0f} steps/s eta {eta:.0f}s {text}",
              end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)


def _labelled_split(data, config: TrainConfig):
    """Indices of training examples whose label is observed (a fixed, seeded subset)."""
    if config.labelled <= 0:
        return None
    n = data.x_train.shape[0]
    k = max(1, int(round(config.labelled * n)))
    return np.sort(np.random.default_rng([config.seed, 1]).choice(n, k, replace=False))


def _truncate_metrics(path: Path, last_step: int) -> None:
    """Drop metric lines logged after the checkpoint we resume from (they will be redone)."""
    if not path.exists():
        return
    keep = [line for line in path.read_text().splitlines() if line.strip() and json.loads(line)["step"] <= last_step]
    path.write_text("".join(line + "\n" for line in keep))


def resume(out, *, steps: int | None = None, progress: bool = True, evaluate: bool = True,
           figures: bool = True) -> RunResult:
    """Continue the run in ``out`` from its checkpoint, up to ``steps`` in total (default: the
    saved total). A stopped run resumed to its own total is bit-for-bit the uninterrupted run;
    raising the total of a cosine-schedule run re-stretches the schedule (the learning rate at
    step t depends on the total), so the extension is not the run a larger total would give."""
    cfg_path = Path(out) / "config.json"
    if not cfg_path.exists():
        raise ValueError(f"resume: {out} holds no run (no config.json)")
    config = TrainConfig.from_dict(json.loads(cfg_path.read_text()))
    if steps is not None:
        config = dataclasses.replace(config, steps=check_int(steps, "steps", minimum=0))
    return train(config, out, progress=progress, evaluate=evaluate, figures=figures, _resume=True)


def train(config: TrainConfig, out, *, progress: bool = True, evaluate: bool = True, figures: bool = True,
          _resume: bool = False) -> RunResult:
    """Start a training run in directory ``out`` (see the module docstring); :func:`resume`
    continues one."""
    out = Path(out)
    cfg_path, ck_path, met_path = out / "config.json", out / "checkpoint.npz", out / "metrics.jsonl"
    resume = _resume
    if not resume and ck_path.exists():
        raise ValueError(f"out: {out} already holds a run; resume it or choose another directory")
    data = D.load(config.dataset, seed=config.seed, n_train=config.n_train)
    model = build_model(config, data)
    dtype = np.dtype(config.dtype).type
    if resume and ck_path.exists():
        state, rng, meta = ckpt.load(ck_path, model)
        wall = float(meta.get("wall_time", 0.0))
        _truncate_metrics(met_path, state.step)
    else:
        state, wall = init(model, np.random.default_rng([config.seed, 0]), dtype), 0.0
        rng = np.random.default_rng([config.seed, 2])
        out.mkdir(parents=True, exist_ok=True)
        met_path.write_text("")
    cfg_path.write_text(json.dumps(config.to_dict(), indent=1))
    opt = Adam(lr=config.lr, decay=config.decay)
    step_fn = METHODS[config.method]
    kwargs = {}
    lab_idx = _labelled_split(data, config)
    if config.method == "elbo":
        kwargs["samples"] = config.elbo_samples
    x_train = np.ascontiguousarray(data.x_train, dtype=dtype)
    eye = np.eye(max(data.n_classes, 1), dtype=dtype)
    bar = _Progress(config.steps, state.step, progress)
    interrupted = False
    t0 = time.monotonic()
    acc, n_acc = np.zeros(3), 0

    def check_finite(what: str) -> None:
        if not all(np.all(np.isfinite(p)) for p in state.params.values()):
            raise FloatingPointError(f"parameters became NaN or infinite by step {state.step}{what}; "
                                     f"lower lr (now {config.lr})")

    def save_checkpoint():
        check_finite(" (not saved: the last checkpoint is kept)")
        ckpt.save(ck_path, state, rng, {"wall_time": wall + time.monotonic() - t0, "config": config.to_dict()})

    metrics = met_path.open("a")
    try:
        while state.step < config.steps:
            xb = x_train[rng.integers(0, x_train.shape[0], config.batch)]
            if lab_idx is not None:
                li = lab_idx[rng.integers(0, len(lab_idx), config.batch)]
                kwargs.update(labelled=(x_train[li], eye[data.y_train[li]]), alpha=config.alpha)
            if config.schedule == "cosine":
                opt = dataclasses.replace(opt, lr=config.lr * 0.5 * (1 + np.cos(np.pi * state.step / config.steps)))
            state, info = step_fn(model, state, xb, rng, opt=opt, **kwargs)
            acc += (info.decoder_ll, info.encoder_ll, info.elbo)
            n_acc += 1
            if state.step % config.log_every == 0 or state.step == config.steps:
                row = {"step": state.step, "time": round(wall + time.monotonic() - t0, 3)}
                for k, v in zip(("decoder_ll", "encoder_ll", "elbo"), acc / n_acc):
                    if np.isfinite(v):
                        row[k] = float(v)
                check_finite("")
                metrics.write(json.dumps(row) + "\n")
                metrics.flush()
                acc[:], n_acc = 0, 0
                bar.update(state.step, " ".join(f"{k}={v:.3f}" for k, v in row.items() if k not in ("step", "time")))
            if state.step % config.checkpoint_every == 0:
                save_checkpoint()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        metrics.close()
        bar.close()
    if not interrupted:   # after Ctrl-C the arrays may be mid-update: keep the last consistent checkpoint
        save_checkpoint()
    wall_time = wall + time.monotonic() - t0
    result = None
    if evaluate and not interrupted:
        from .evaluation import evaluate as run_eval
        ev = run_eval(model, state.params, data, seed=config.seed, K=config.eval_K)
        result = ev.as_dict()
        result["wall_time"] = wall_time
        result["steps"] = state.step
        result["method"] = config.method
        (out / "summary.json").write_text(json.dumps(result, indent=1))
        if figures:
            from ..plot import neural as plot_neural
            plot_neural.run_figures(model, state.params, data, out, seed=config.seed)
    return RunResult(out, state.step, interrupted, wall_time, result)
