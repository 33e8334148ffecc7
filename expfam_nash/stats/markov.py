"""Markov chains on a finite state space: the stationary distribution of a row-stochastic
matrix, its spectral gap, and Dobrushin's contraction coefficient. Shared by the verification
layer (the reconstruction chain of a finite game, claim 7) and the neural evaluation (the
reconstruction chain of a trained VAE)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..core.jsonable import jsonable
from ..core.validation import as_float_array


@dataclass(frozen=True, eq=False)
class Stationary:
    """Stationary distribution ``probs`` of a transition matrix (rows = current state).

    ``residual`` = ||pi K - pi||_1; ``second_eigenvalue`` = |lambda_2|, ``spectral_gap`` =
    1 - |lambda_2| (NaN if the eigenvalue solver failed); after t steps from any start the TV to pi
    decays asymptotically like |lambda_2|^t, so ``relaxation_time`` = 1 / gap steps.
    ``converged``: the residual is below sqrt(tol) of :func:`stationary`."""

    probs: np.ndarray = field(repr=False)
    spectral_gap: float
    second_eigenvalue: float
    residual: float
    converged: bool

    @property
    def relaxation_time(self) -> float:
        gap = self.spectral_gap
        return float("nan") if not math.isfinite(gap) else 1.0 / gap if gap > 0 else float("inf")

    def to_dict(self) -> dict:
        return jsonable({"spectral_gap": self.spectral_gap, "second_eigenvalue": self.second_eigenvalue,
                "residual": self.residual, "converged": self.converged, "relaxation_time": self.relaxation_time})

    def summary(self) -> str:
        return (f"stationary distribution on {self.probs.size} states: residual {self.residual:.3g}, "
                f"spectral gap {self.spectral_gap:.4g}")


def _second_eigenvalue(T: np.ndarray) -> float:
    n = T.shape[0]
    if n <= 64:   # dense; above, ARPACK (a dense nonsymmetric eigensolve costs seconds at n = 512)
        return float(np.sort(np.abs(np.linalg.eigvals(T)))[::-1][1]) if n > 1 else 0.0
    from scipy.sparse.linalg import ArpackNoConvergence, eigs
    try:
        # a fixed start vector: ARPACK's default is random, which made |lambda_2| vary in its 12th digit
        # from run to run (not the constant vector: it is the right eigenvector of eigenvalue 1)
        v0 = np.random.default_rng(0).random(n)
        ev = np.sort(np.abs(eigs(T, k=3, which="LM", tol=1e-10, maxiter=20 * n, v0=v0,
                                 return_eigenvectors=False)))[::-1]
        return float(ev[1])
    except (ArpackNoConvergence, ValueError, RuntimeError):
        return float("nan")


def stationary(T, *, tol: float = 1e-12, max_iter: int = 10000) -> Stationary:
    """The stationary distribution pi = pi T of a row-stochastic matrix.

    Solved directly (LU on (I - T)^T with one equation replaced by sum pi = 1), then polished by
    power iteration pi <- pi T until ||pi T - pi||_1 < ``tol`` (at most ``max_iter`` steps; from
    the uniform start if the solve fails, as for a nearly reducible chain). Unique when T > 0, as
    for any chain with Bernoulli heads of finite logits. ``converged`` is False if the residual
    stayed above sqrt(tol)."""
    T = as_float_array(T, "T", ndim=2)
    n = T.shape[0]
    if T.shape != (n, n) or n < 1 or np.any(T < 0) or np.max(np.abs(T.sum(1) - 1)) > 1e-8:
        raise ValueError(f"T: expected a square row-stochastic matrix, got shape {T.shape}")
    A = (np.eye(n) - T).T
    A[-1, :] = 1.0
    b = np.zeros(n)
    b[-1] = 1.0
    try:
        pi = np.linalg.solve(A, b)
        if not np.all(np.isfinite(pi)):
            raise np.linalg.LinAlgError
        pi = np.clip(pi, 0.0, None)
    except np.linalg.LinAlgError:
        pi = np.full(n, 1.0 / n)
    pi /= pi.sum()
    residual = float(np.abs(pi @ T - pi).sum())
    it = 0
    while residual >= tol and it < max_iter:
        new = pi @ T
        new /= new.sum()
        residual = float(np.abs(new - pi).sum())
        pi, it = new, it + 1
    residual = float(np.abs(pi @ T - pi).sum())
    lam2 = _second_eigenvalue(T)
    pi.setflags(write=False)
    return Stationary(pi, 1.0 - lam2, lam2, residual, residual < math.sqrt(tol))


def dobrushin(T) -> float:
    """Dobrushin's contraction coefficient tau(T) = max_{a, b} TV(T[a], T[b]) in [0, 1] of a
    row-stochastic matrix: TV(mu T, nu T) <= tau TV(mu, nu)."""
    T = as_float_array(T, "T", ndim=2)
    tau = 0.0
    for i in range(T.shape[0]):
        tau = max(tau, 0.5 * float(np.abs(T[i] - T).sum(axis=1).max()))
    return tau
