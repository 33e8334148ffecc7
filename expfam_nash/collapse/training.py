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

__all__ = ["TrainSpec", "batch_loss_grad", "adam_train"]


@dataclass(frozen=True)
class TrainSpec:
    """Minibatch training settings. ``n_samples``: size of the Gaussian training set drawn when only
    moments are given (x ~ N(0, C): the uncentred second moment C is then the covariance)."""

    epochs: int = 200
    batch: int = 64
    lr: float = 1e-2
    final_lr_ratio: float = 0.01
    seed: int = 0
    n_samples: int = 10000
    record_every: int = 0

    def __post_init__(self):
        check_int(self.epochs, "epochs")
        check_int(self.batch, "batch")
        check_int(self.n_samples, "n_samples")
        check_positive(self.lr, "lr")
        check_positive(self.final_lr_ratio, "final_lr_ratio")
        check_int(self.record_every, "record_every", minimum=0)


def _vae(obj: VAEObjective, p: dict, X: np.ndarray, rng: np.random.Generator):
    B, ed2, ee2, beta = X.shape[0], obj.eta_dec ** 2, obj.eta_enc ** 2, obj.beta
    var = obj.variances(p)
    std = np.sqrt(var)
    mu = X @ p["W"].T
    eps = rng.standard_normal(mu.shape)
    z = mu + eps * std
    R = X - z @ p["U"].T
    loss = np.sum(R * R) / (B * ed2) + beta * (np.sum(mu * mu) / (B * ee2) + var.sum() / ee2 - np.log(var).sum()
                                               + var.size * (np.log(ee2) - 1.0))
    dpred = -2.0 * R / (B * ed2)
    dz = dpred @ p["U"]
    g = {"U": dpred.T @ z, "W": (dz + 2.0 * beta * mu / (B * ee2)).T @ X}
    if obj.encoder_var is None:
        g["ell"] = np.sum(dz * eps, axis=0) * std / 2.0 + beta * (var / ee2 - 1.0)
    return loss, g


def _cvae(obj: CVAEObjective, p: dict, V: np.ndarray, rng: np.random.Generator):
    B, dx, ed2, ee2, beta = V.shape[0], obj.dim_x, obj.eta_dec ** 2, obj.eta_enc ** 2, obj.beta
    X, Y = V[:, :dx], V[:, dx:]
    var = obj.variances(p)
    std = np.sqrt(var)
    mu = X @ p["W1"].T + Y @ p["W2"].T
    eps = rng.standard_normal(mu.shape)
    z = mu + eps * std
    R = Y - z @ p["U1"].T - X @ p["U2"].T
    loss = np.sum(R * R) / (B * ed2) + beta * (np.sum(mu * mu) / (B * ee2) + var.sum() / ee2 - np.log(var).sum()
                                               + var.size * (np.log(ee2) - 1.0))
    dpred = -2.0 * R / (B * ed2)
    dz = dpred @ p["U1"]
    dmu = dz + 2.0 * beta * mu / (B * ee2)
    g = {"U1": dpred.T @ z, "U2": dpred.T @ X, "W1": dmu.T @ X, "W2": dmu.T @ Y}
    if obj.encoder_var is None:
        g["ell"] = np.sum(dz * eps, axis=0) * std / 2.0 + beta * (var / ee2 - 1.0)
    return loss, g


def _hvae(obj: HVAEObjective, p: dict, X: np.ndarray, rng: np.random.Generator):
    B, ed2, ee2, b1, b2 = X.shape[0], obj.eta_dec ** 2, obj.eta_enc ** 2, obj.beta1, obj.beta2
    var = obj.variances(p)
    std = np.sqrt(var)
    z1 = X @ p["W1"].T + obj.sigma1 * rng.standard_normal((B, obj.latent_dims[0]))
    mu2 = z1 @ p["W2"].T
    eps2 = rng.standard_normal(mu2.shape)
    z2 = mu2 + eps2 * std
    R1 = X - z1 @ p["U1"].T
    R2 = z1 - z2 @ p["U2"].T
    loss = (np.sum(R1 * R1) + b1 * np.sum(R2 * R2)) / (B * ed2) + b2 * (
        np.sum(mu2 * mu2) / (B * ee2) + var.sum() / ee2 - np.log(var).sum() + var.size * (np.log(ee2) - 1.0))
    dpred1 = -2.0 * R1 / (B * ed2)
    dR2 = 2.0 * b1 * R2 / (B * ed2)
    dz2 = -dR2 @ p["U2"]
    dmu2 = dz2 + 2.0 * b2 * mu2 / (B * ee2)
    dz1 = dpred1 @ p["U1"] + dR2 + dmu2 @ p["W2"]
    g = {"U1": dpred1.T @ z1, "W1": dz1.T @ X, "U2": -dR2.T @ z2, "W2": dmu2.T @ z1}
    if obj.sigma2 is None:
        g["ell"] = np.sum(dz2 * eps2, axis=0) * std / 2.0 + b2 * (var / ee2 - 1.0)
    return loss, g


def batch_loss_grad(objective, vec: np.ndarray, batch: np.ndarray, rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """One-sample reparametrised estimate of the loss and its gradient on a minibatch (rows; for
    the CVAE the rows are (x, y) concatenated)."""
    lay = objective.layout
    p = lay.unpack(vec)
    fn = {VAEObjective: _vae, CVAEObjective: _cvae, HVAEObjective: _hvae}[type(objective)]
    loss, g = fn(objective, p, batch, rng)
    return float(loss), lay.pack(g)


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
    n = data.shape[0]
    per_epoch = max(1, -(-n // spec.batch))
    total = spec.epochs * per_epoch
    adam = _Adam(np.zeros_like(y0), np.zeros_like(y0))
    y, log, step, running = y0.copy(), TrainLog(), 0, []
    for _ in range(spec.epochs):
        order = rng.permutation(n)
        for start in range(0, n, spec.batch):
            batch = data[order[start:start + spec.batch]]
            loss, g = batch_loss_grad(objective, coords.params(y), batch, rng)
            if not np.isfinite(loss):
                raise FloatingPointError(f"training diverged at step {step} (non-finite loss); lower lr")
            frac = step / max(1, total - 1)
            lr = spec.lr * (spec.final_lr_ratio + (1 - spec.final_lr_ratio) * 0.5 * (1 + np.cos(np.pi * frac)))
            y = adam.step(y, coords.gradient(g), lr)
            running.append(loss)
            step += 1
            if spec.record_every and step % spec.record_every == 0:
                log.steps.append(step)
                log.batch_loss.append(float(np.mean(running)))
                running = []
            if progress is not None:
                progress(step, total)
    return coords.params(y), log
