"""Exact population objectives (value and analytic gradient) of the three linear models.

Convention (SEED-003): the loss is twice the negative beta-ELBO of the population, additive
constants of the Gaussian log-densities dropped, KL terms exact. Encoder variances are diagonal;
when learned they are parametrised by their logarithms ``ell = log var`` (unconstrained).

* VAE, q(z|x) = N(W x, diag v), p(x|z) = N(U z, eta_dec^2 I), p(z) = N(0, eta_enc^2 I), A = E[x x^T]:

      L = [tr A - 2 tr(U W A) + tr(U^T U (W A W^T + diag v))] / eta_dec^2
          + beta [ (tr(W A W^T) + sum v) / eta_enc^2 - sum log v + d log eta_enc^2 - d ]

* CVAE, v = (x, y) with joint moment C, encoder mean W v = W1 x + W2 y, decoder mean
  U1 z + U2 x = H v with H = U1 W + [U2, 0], residual map G = [0, I] - H:

      L = [tr(G C G^T) + tr(U1 diag(v) U1^T)] / eta_dec^2 + beta [ (tr(W C W^T) + sum v) / eta_enc^2 - ... ]

* HVAE (z2 -> z1 -> x), z1 = W1 x + sigma1 e1, z2 = W2 z1 + diag(v2)^(1/2) e2, C1 = W1 A W1^T + sigma1^2 I:

      L = [tr A - 2 tr(U1 W1 A) + tr(U1^T U1 C1)] / eta_dec^2
          + beta1 [tr((I - U2 W2) C1 (I - U2 W2)^T) + tr(U2 diag(v2) U2^T)] / eta_dec^2
          + beta2 [ (tr(W2 C1 W2^T) + sum v2) / eta_enc^2 - sum log v2 + d2 log eta_enc^2 - d2 ]

  (the level-1 term drops the constants d1 (log eta_dec^2 - log sigma1^2 - 1) of
  2 E[log q(z1|x) - log p(z1|z2)]; the level-2 KL is exact).

Gradients are derived by hand below and checked against central finite differences in the tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Layout", "VAEObjective", "CVAEObjective", "HVAEObjective"]


@dataclass(frozen=True)
class Layout:
    """Named parameter blocks packed into one flat vector (row-major, in this order)."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]

    @property
    def size(self) -> int:
        return int(sum(np.prod(s, dtype=int) for s in self.shapes))

    def unpack(self, vec: np.ndarray) -> dict[str, np.ndarray]:
        out, i = {}, 0
        for name, shape in zip(self.names, self.shapes):
            n = int(np.prod(shape, dtype=int))
            out[name] = vec[i:i + n].reshape(shape)
            i += n
        return out

    def pack(self, blocks: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([np.asarray(blocks[n], float).ravel() for n in self.names])


def _kl_terms(W_moment_trace: float, var: np.ndarray, eta_enc: float) -> float:
    """2 KL summed over the data: (E|mu|^2 + sum v) / eta_enc^2 - sum log v + d log eta_enc^2 - d."""
    ee2 = eta_enc ** 2
    return (W_moment_trace + var.sum()) / ee2 - np.log(var).sum() + var.size * (np.log(ee2) - 1.0)


@dataclass(frozen=True)
class VAEObjective:
    """Linear VAE; ``encoder_var`` None = learned diagonal, else the fixed variance of every latent."""

    dim: int
    latent_dim: int
    beta: float
    eta_enc: float
    eta_dec: float
    encoder_var: float | None = None

    @property
    def layout(self) -> Layout:
        D, d = self.dim, self.latent_dim
        names, shapes = ["U", "W"], [(D, d), (d, D)]
        if self.encoder_var is None:
            names.append("ell"); shapes.append((d,))
        return Layout(tuple(names), tuple(shapes))

    def variances(self, p: dict) -> np.ndarray:
        return np.exp(p["ell"]) if self.encoder_var is None else np.full(self.latent_dim, self.encoder_var)

    def loss_grad(self, vec: np.ndarray, A: np.ndarray) -> tuple[float, np.ndarray]:
        p = self.layout.unpack(vec)
        U, W, var = p["U"], p["W"], self.variances(p)
        ed2, ee2, beta = self.eta_dec ** 2, self.eta_enc ** 2, self.beta
        WA = W @ A
        WAW = WA @ W.T
        UtU = U.T @ U
        recon = np.trace(A) - 2.0 * np.sum(U * WA.T) + np.sum(UtU * WAW) + np.sum(np.diag(UtU) * var)
        loss = recon / ed2 + beta * _kl_terms(np.trace(WAW), var, self.eta_enc)
        g = {"U": (-2.0 * WA.T + 2.0 * U @ WAW + 2.0 * U * var) / ed2,
             "W": (-2.0 * U.T @ A + 2.0 * UtU @ WA) / ed2 + 2.0 * beta * WA / ee2}
        if self.encoder_var is None:
            g["ell"] = var * (np.diag(UtU) / ed2 + beta / ee2) - beta
        return float(loss), self.layout.pack(g)


@dataclass(frozen=True)
class CVAEObjective:
    """Linear CVAE on the joint moment C of v = (x, y) (x first)."""

    dim_x: int
    dim_y: int
    latent_dim: int
    beta: float
    eta_enc: float
    eta_dec: float
    encoder_var: float | None = None

    @property
    def layout(self) -> Layout:
        dx, dy, d = self.dim_x, self.dim_y, self.latent_dim
        names, shapes = ["U1", "U2", "W1", "W2"], [(dy, d), (dy, dx), (d, dx), (d, dy)]
        if self.encoder_var is None:
            names.append("ell"); shapes.append((d,))
        return Layout(tuple(names), tuple(shapes))

    def variances(self, p: dict) -> np.ndarray:
        return np.exp(p["ell"]) if self.encoder_var is None else np.full(self.latent_dim, self.encoder_var)

    def loss_grad(self, vec: np.ndarray, C: np.ndarray) -> tuple[float, np.ndarray]:
        p = self.layout.unpack(vec)
        U1, U2, var = p["U1"], p["U2"], self.variances(p)
        dx = self.dim_x
        ed2, ee2, beta = self.eta_dec ** 2, self.eta_enc ** 2, self.beta
        W = np.concatenate([p["W1"], p["W2"]], axis=1)
        G = -(U1 @ W)
        G[:, :dx] -= U2
        G[:, dx:] += np.eye(self.dim_y)
        GC = G @ C
        WC = W @ C
        colsq = np.sum(U1 * U1, axis=0)
        loss = (np.sum(GC * G) + np.sum(colsq * var)) / ed2 + beta * _kl_terms(np.sum(WC * W), var, self.eta_enc)
        dH = -2.0 * GC / ed2
        dW = U1.T @ dH + 2.0 * beta * WC / ee2
        g = {"U1": dH @ W.T + 2.0 * U1 * var / ed2, "U2": dH[:, :dx], "W1": dW[:, :dx], "W2": dW[:, dx:]}
        if self.encoder_var is None:
            g["ell"] = var * (colsq / ed2 + beta / ee2) - beta
        return float(loss), self.layout.pack(g)


@dataclass(frozen=True)
class HVAEObjective:
    """Two-level linear HVAE; ``sigma2`` None = Sigma2 learned diagonal, else Sigma2 = sigma2^2 I."""

    dim: int
    latent_dims: tuple[int, int]
    beta1: float
    beta2: float
    eta_enc: float
    eta_dec: float
    sigma1: float
    sigma2: float | None = None

    @property
    def layout(self) -> Layout:
        D, (d1, d2) = self.dim, self.latent_dims
        names, shapes = ["U1", "W1", "U2", "W2"], [(D, d1), (d1, D), (d1, d2), (d2, d1)]
        if self.sigma2 is None:
            names.append("ell"); shapes.append((d2,))
        return Layout(tuple(names), tuple(shapes))

    def variances(self, p: dict) -> np.ndarray:
        return np.exp(p["ell"]) if self.sigma2 is None else np.full(self.latent_dims[1], self.sigma2 ** 2)

    def loss_grad(self, vec: np.ndarray, A: np.ndarray) -> tuple[float, np.ndarray]:
        p = self.layout.unpack(vec)
        U1, W1, U2, W2, var = p["U1"], p["W1"], p["U2"], p["W2"], self.variances(p)
        d1 = self.latent_dims[0]
        ed2, ee2, b1, b2 = self.eta_dec ** 2, self.eta_enc ** 2, self.beta1, self.beta2
        W1A = W1 @ A
        C1 = W1A @ W1.T + self.sigma1 ** 2 * np.eye(d1)
        U1tU1 = U1.T @ U1
        G2 = np.eye(d1) - U2 @ W2
        G2C1 = G2 @ C1
        W2C1 = W2 @ C1
        colsq = np.sum(U2 * U2, axis=0)
        term1 = np.trace(A) - 2.0 * np.sum(U1 * W1A.T) + np.sum(U1tU1 * C1)
        term2 = np.sum(G2C1 * G2) + np.sum(colsq * var)
        loss = term1 / ed2 + b1 * term2 / ed2 + b2 * _kl_terms(np.sum(W2C1 * W2), var, self.eta_enc)
        dC1 = U1tU1 / ed2 + b1 * G2.T @ G2 / ed2 + b2 * W2.T @ W2 / ee2
        g = {"U1": (-2.0 * W1A.T + 2.0 * U1 @ C1) / ed2,
             "W1": -2.0 * U1.T @ A / ed2 + 2.0 * dC1 @ W1A,
             "U2": b1 * (-2.0 * G2C1 @ W2.T + 2.0 * U2 * var) / ed2,
             "W2": -2.0 * b1 * U2.T @ G2C1 / ed2 + 2.0 * b2 * W2C1 / ee2}
        if self.sigma2 is None:
            g["ell"] = var * (b1 * colsq / ed2 + b2 / ee2) - b2
        return float(loss), self.layout.pack(g)
