"""Training as the paper does it: Adam on minibatches, one reparametrised sample of every latent per
data point, KL terms in closed form.

Per minibatch X (B rows) the estimator of the loss is (VAE; the CVAE and HVAE are analogous)

    mu = X W^T,  z = mu + eps * sqrt(v),  eps ~ N(0, I)
    l  = sum |x - U z|^2 / (B eta_dec^2) + beta [ sum |mu|^2 / (B eta_enc^2) + sum v / eta_enc^2 - sum log v + ... ]

whose expectation over eps is the population objective of ``objectives`` on the batch's second
moment, so its gradient is unbiased for the exact gradient (tests/test_collapse_training.py).
Gradients are back-propagated by hand (plain NumPy: every step is a handful of matrix products).
Adam runs in the optimiser's whitened, dimensionless coordinates (``coordinates``), so a learning
rate means the same whatever the units of the data; the learning rate decays by a cosine to
``lr * final_lr_ratio``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import as_rng, check_int, check_positive
from .objectives import CVAEObjective, HVAEObjective, VAEObjective

__all__ = ["TrainSpec", "batch_loss_grad", "WhitenedBatches", "adam_train"]


@dataclass(frozen=True)
class TrainSpec:
    """Minibatch training settings. ``n_samples``: size of the Gaussian training set drawn when only
    moments are given (x ~ N(0, C): the uncentred second moment C is then the covariance).
    ``whitening_floor``: relative eigenvalue floor of the whitened coordinates (``coordinates``): on
    minibatches, fully whitened pixel directions carried by a few images give heavy-tailed inputs and
    noisy steps; a floor of 1e-2 caps their amplification at 10 (on 8 x 8 digits it halves the distance
    to the closed form after 200 epochs)."""

    epochs: int = 200
    batch: int = 128
    lr: float = 1e-2
    final_lr_ratio: float = 0.01
    seed: int = 0
    n_samples: int = 10000
    record_every: int = 0
    whitening_floor: float = 1e-2

    def __post_init__(self):
        check_int(self.epochs, "epochs")
        check_int(self.batch, "batch")
        check_int(self.n_samples, "n_samples")
        check_positive(self.lr, "lr")
        check_positive(self.final_lr_ratio, "final_lr_ratio")
        check_int(self.record_every, "record_every", minimum=0)
        if not 0 <= self.whitening_floor < np.inf:
            raise ValueError(f"whitening_floor: expected a number >= 0, got {self.whitening_floor!r}")


def _kl(mu: np.ndarray, var: np.ndarray, beta: float, ee2: float) -> float:
    B = mu.shape[0]
    return beta * (np.sum(mu * mu) / (B * ee2) + var.sum() / ee2 - np.log(var).sum() + var.size * (np.log(ee2) - 1.0))


def _vae(obj: VAEObjective, p: dict, var: np.ndarray, X: np.ndarray, enc: np.ndarray, rng: np.random.Generator):
    """Decoder U, encoder W acting on ``enc`` (the data, or its whitened version)."""
    B, ed2, ee2, beta = X.shape[0], obj.eta_dec ** 2, obj.eta_enc ** 2, obj.beta
    std = np.sqrt(var)
    mu = enc @ p["W"].T
    eps = rng.standard_normal(mu.shape)
    z = mu + eps * std
    R = X - z @ p["U"].T
    loss = np.sum(R * R) / (B * ed2) + _kl(mu, var, beta, ee2)
    dpred = -2.0 * R / (B * ed2)
    dz = dpred @ p["U"]
    g = {"U": dpred.T @ z, "W": (dz + 2.0 * beta * mu / (B * ee2)).T @ enc}
    return loss, g, np.sum(dz * eps, axis=0) * std / 2.0 + beta * (var / ee2 - 1.0)


def _cvae(obj: CVAEObjective, p: dict, var: np.ndarray, Y: np.ndarray, enc: np.ndarray, cond: np.ndarray,
          rng: np.random.Generator):
    """Decoder U1 (latent) and U2 acting on ``cond`` (x or whitened x), encoder W acting on ``enc`` ((x, y) or
    its whitened version)."""
    B, ed2, ee2, beta = Y.shape[0], obj.eta_dec ** 2, obj.eta_enc ** 2, obj.beta
    std = np.sqrt(var)
    mu = enc @ p["W"].T
    eps = rng.standard_normal(mu.shape)
    z = mu + eps * std
    R = Y - z @ p["U1"].T - cond @ p["U2"].T
    loss = np.sum(R * R) / (B * ed2) + _kl(mu, var, beta, ee2)
    dpred = -2.0 * R / (B * ed2)
    dz = dpred @ p["U1"]
    g = {"U1": dpred.T @ z, "U2": dpred.T @ cond, "W": (dz + 2.0 * beta * mu / (B * ee2)).T @ enc}
    return loss, g, np.sum(dz * eps, axis=0) * std / 2.0 + beta * (var / ee2 - 1.0)


def _hvae(obj: HVAEObjective, p: dict, var: np.ndarray, X: np.ndarray, enc: np.ndarray, rng: np.random.Generator):
    """Encoder W1 acting on ``enc`` (x or whitened x); the rest on latents."""
    B, ed2, ee2, b1, b2 = X.shape[0], obj.eta_dec ** 2, obj.eta_enc ** 2, obj.beta1, obj.beta2
    std = np.sqrt(var)
    z1 = enc @ p["W1"].T + obj.sigma1 * rng.standard_normal((B, obj.latent_dims[0]))
    mu2 = z1 @ p["W2"].T
    eps2 = rng.standard_normal(mu2.shape)
    z2 = mu2 + eps2 * std
    R1 = X - z1 @ p["U1"].T
    R2 = z1 - z2 @ p["U2"].T
    loss = (np.sum(R1 * R1) + b1 * np.sum(R2 * R2)) / (B * ed2) + _kl(mu2, var, b2, ee2)
    dpred1 = -2.0 * R1 / (B * ed2)
    dR2 = 2.0 * b1 * R2 / (B * ed2)
    dz2 = -dR2 @ p["U2"]
    dmu2 = dz2 + 2.0 * b2 * mu2 / (B * ee2)
    dz1 = dpred1 @ p["U1"] + dR2 + dmu2 @ p["W2"]
    g = {"U1": dpred1.T @ z1, "W1": dz1.T @ enc, "U2": -dR2.T @ z2, "W2": dmu2.T @ z1}
    return loss, g, np.sum(dz2 * eps2, axis=0) * std / 2.0 + b2 * (var / ee2 - 1.0)


def _step(objective, p: dict, var: np.ndarray, inputs: dict, rng):
    """(loss, gradients by key, gradient in the log-variances) of one minibatch; ``inputs``: target, enc, cond."""
    if isinstance(objective, VAEObjective):
        return _vae(objective, p, var, inputs["target"], inputs["enc"], rng)
    if isinstance(objective, CVAEObjective):
        return _cvae(objective, p, var, inputs["target"], inputs["enc"], inputs["cond"], rng)
    return _hvae(objective, p, var, inputs["target"], inputs["enc"], rng)


def _raw_inputs(objective, rows: np.ndarray) -> dict:
    if isinstance(objective, CVAEObjective):
        return {"target": rows[:, objective.dim_x:], "enc": rows, "cond": rows[:, :objective.dim_x]}
    return {"target": rows, "enc": rows}


def batch_loss_grad(objective, vec: np.ndarray, batch: np.ndarray, rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """One-sample reparametrised estimate of the loss and its gradient on a minibatch (rows; for
    the CVAE the rows are (x, y) concatenated), in the objective's own parameters."""
    lay = objective.layout
    p = dict(lay.unpack(vec))
    if isinstance(objective, CVAEObjective):
        p["W"] = np.concatenate([p["W1"], p["W2"]], axis=1)
    loss, g, gell = _step(objective, p, objective.variances(p), _raw_inputs(objective, batch), rng)
    if isinstance(objective, CVAEObjective):
        g["W1"], g["W2"] = g["W"][:, :objective.dim_x], g["W"][:, objective.dim_x:]
    if "ell" in lay.names:
        g["ell"] = gell
    return float(loss), lay.pack(g)


#: training keys of the whitened blocks (the CVAE's encoder group (W1, W2) is one block acting on (x, y))
_KEY = {("W1", "W2"): "W"}


class WhitenedBatches:
    """Minibatch loss and gradient directly in whitened coordinates: every map that acts on data is fed
    the data already multiplied by its whitener (once, for the whole training set), so a step costs
    what a step in the original parameters costs. Equal to ``batch_loss_grad`` at ``coords.params(y)``
    with the chain rule of ``coords.gradient`` (tested)."""

    def __init__(self, objective, coords, data: np.ndarray):
        self.objective, self.coords = objective, coords
        raw = _raw_inputs(objective, data)
        self.inputs = {"target": raw["target"]}
        for b in coords.blocks:
            if b.right is not None:
                slot = "cond" if b.names == ("U2",) else "enc"
                self.inputs[slot] = raw[slot] @ b.right.T
        self.inputs.setdefault("enc", raw["enc"])

    def __call__(self, y: np.ndarray, index: np.ndarray, rng) -> tuple[float, np.ndarray]:
        p, var = {}, None
        for b, yb in self.coords._split(y):
            key = _KEY.get(b.names, b.names[0])
            if key == "ell":
                var = np.exp(yb + b.shift)
            else:
                p[key] = b.scale * yb
        if var is None:
            var = self.objective.variances({})
        loss, g, gell = _step(self.objective, p, var, {k: v[index] for k, v in self.inputs.items()}, rng)
        parts = []
        for b in self.coords.blocks:
            key = _KEY.get(b.names, b.names[0])
            parts.append(gell if key == "ell" else (b.scale * g[key]).ravel())
        return float(loss), np.concatenate(parts)


@dataclass
class _Adam:
    m: np.ndarray
    v: np.ndarray
    t: int = 0
    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8

    def step(self, y: np.ndarray, g: np.ndarray, lr: float) -> np.ndarray:
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        mhat = self.m / (1 - self.b1 ** self.t)
        vhat = self.v / (1 - self.b2 ** self.t)
        return y - lr * mhat / (np.sqrt(vhat) + self.eps)


@dataclass
class TrainLog:
    steps: list = field(default_factory=list)
    batch_loss: list = field(default_factory=list)


def adam_train(objective, data: np.ndarray, y0: np.ndarray, coords, spec: TrainSpec,
               progress=None) -> tuple[np.ndarray, TrainLog]:
    """Adam over ``spec.epochs`` shuffled passes of ``data`` (rows) in the whitened coordinates
    ``coords`` (``coordinates.coordinates``) from ``y0``; returns the final parameters (original
    layout) and the running batch losses."""
    rng = as_rng(spec.seed)
    batches = WhitenedBatches(objective, coords, data)
    n = data.shape[0]
    per_epoch = max(1, -(-n // spec.batch))
    total = spec.epochs * per_epoch
    adam = _Adam(np.zeros_like(y0), np.zeros_like(y0))
    y, log, step, running = y0.copy(), TrainLog(), 0, []
    for _ in range(spec.epochs):
        order = rng.permutation(n)
        for start in range(0, n, spec.batch):
            loss, g = batches(y, order[start:start + spec.batch], rng)
            if not np.isfinite(loss):
                raise FloatingPointError(f"training diverged at step {step} (non-finite loss); lower lr")
            frac = step / max(1, total - 1)
            lr = spec.lr * (spec.final_lr_ratio + (1 - spec.final_lr_ratio) * 0.5 * (1 + np.cos(np.pi * frac)))
            y = adam.step(y, g, lr)
            running.append(loss)
            step += 1
            if spec.record_every and step % spec.record_every == 0:
                log.steps.append(step)
                log.batch_loss.append(float(np.mean(running)))
                running = []
            if progress is not None:
                progress(step, total)
    return coords.params(y), log
