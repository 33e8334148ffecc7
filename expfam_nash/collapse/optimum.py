"""Numerical global minimum over ALL parameters, independent of the closed form: L-BFGS with the
analytic gradient of ``objectives`` from many random starts.

The optimiser works in the whitened, dimensionless coordinates of ``coordinates`` (a
preconditioner: unit-free stopping rules, and pixel moments' condition numbers do not reach the
Hessian); the loss is always evaluated in the original parameters. Small problems are finished by a
few damped Newton steps on a finite-difference Hessian of the analytic gradient.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
from scipy.optimize import minimize

from .._validation import as_rng
from ..core import threads
from .coordinates import Coordinates, coordinates, random_coordinates
from .objectives import CVAEObjective, HVAEObjective
from .solution import Solution

__all__ = ["Optimum", "minimise", "extract", "numerical_optimum", "blas_threads", "COLLAPSE_RTOL"]

#: a decoder singular value at or below COLLAPSE_RTOL * (its unit) counts as 0 at a numerical optimum
COLLAPSE_RTOL = 1e-4

#: up to this data dimension BLAS runs on one thread: on tiny matrices a threaded BLAS only adds
#: synchronisation (15x slower L-BFGS on a loaded 2-core machine), and results do not depend on it
#: (the products are d x d by d x d: 2 d^3 flops, one thread up to core.threads.MIN_FLOPS_PER_THREAD)
SMALL_DIM = 256


def blas_threads(dim: int):
    """Context: the BLAS threads ``core.threads`` gives a d x d matrix product (2 d^3 flops): one
    thread for d <= SMALL_DIM, more for larger problems."""
    return threads.blas(2.0 * float(dim) ** 3)


@dataclass(frozen=True, eq=False)
class Optimum(Solution):
    """The best of ``starts`` L-BFGS runs: its per-mode values, every start's final loss, the
    largest gradient norm (dimensionless coordinates) of the best run, and its parameters."""

    start_losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    gradient_norm: float = 0.0
    iterations: int = 0
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        from .._jsonable import jsonable

        out = super().to_dict()
        out.update(jsonable({"starts": int(self.start_losses.size), "start_losses": self.start_losses,
                             "gradient_norm": self.gradient_norm, "iterations": self.iterations}))
        return out


#: Newton polish (finite-difference Hessian of the analytic gradient) up to this many parameters
POLISH_MAX = 400


def _hessian(fun, y: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of the analytic gradient, symmetrised."""
    H = np.empty((y.size, y.size))
    for i in range(y.size):
        e = np.zeros_like(y)
        e[i] = h
        H[i] = (fun(y + e)[1] - fun(y - e)[1]) / (2 * h)
    return 0.5 * (H + H.T)


def _polish(fun, y: np.ndarray, steps: int = 10, max_step: float = 0.5) -> np.ndarray:
    """Damped Newton steps on the positive-curvature eigen-directions of the Hessian (flat
    directions -- latent symmetries, a mode on its threshold -- are left alone). Steps are capped at
    ``max_step`` per coordinate (whitened units) and kept only if the loss stays finite and does not rise."""
    f, g = fun(y)
    for _ in range(steps):
        H = _hessian(fun, y)
        if not np.all(np.isfinite(H)):
            return y
        vals, vecs = np.linalg.eigh(H)
        keep = vals > 1e-8 * max(float(vals.max(initial=0.0)), 1e-300)
        step = -vecs[:, keep] @ ((vecs[:, keep].T @ g) / vals[keep])
        step *= min(1.0, max_step / max(float(np.abs(step).max(initial=0.0)), 1e-300))
        for damp in (1.0, 0.5, 0.25, 0.125):
            f_new, g_new = fun(y + damp * step)
            if np.isfinite(f_new) and f_new <= f:
                break
        else:
            return y
        y, f, g = y + damp * step, f_new, g_new
        if np.abs(g).max() <= 1e-13 * max(1.0, abs(f)):
            break
    return y


def _run(objective, moment, coords: Coordinates, y0: np.ndarray, maxiter: int):
    def fun(y):
        f, g = objective.loss_grad(coords.params(y), moment)
        return f, coords.gradient(g)

    res = minimize(fun, y0, jac=True, method="L-BFGS-B", bounds=coords.bounds(),
                   options={"maxiter": maxiter, "maxcor": 30, "ftol": 1e-14, "gtol": 1e-9, "maxls": 50})
    y = _polish(fun, res.x) if res.x.size <= POLISH_MAX else res.x
    f, g = fun(y)
    return coords.params(y), f, float(np.abs(g).max()), int(res.nit)


def minimise(objective, moment: np.ndarray, starts: int = 8, seed=0,
             maxiter: int = 20000) -> tuple[np.ndarray, np.ndarray, float, int]:
    """(best parameters, final loss of every start, gradient norm (whitened coordinates) and iterations of
    the best)."""
    rng = as_rng(seed)
    coords = coordinates(objective, moment)
    with blas_threads(moment.shape[0]):
        runs = [_run(objective, moment, coords, random_coordinates(coords, rng), maxiter) for _ in range(starts)]
    losses = np.array([r[1] if np.isfinite(r[1]) else np.inf for r in runs])
    best = runs[int(np.argmin(losses))]
    return best[0], losses, best[2], best[3]


def _range_projector(sp_) -> np.ndarray:
    """Orthogonal projector onto the range of a moment (its eigenvalues above round-off)."""
    v = sp_.eigenvectors[:, :sp_.rank]
    return v @ v.T


def _by_columns(U: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Encoder standard deviations ordered like the decoder's column norms (descending)."""
    return std[np.argsort(-np.sum(U * U, axis=0), kind="stable")]


def _sv(M: np.ndarray, n: int) -> np.ndarray:
    s = np.linalg.svd(M, compute_uv=False) if M.size else np.zeros(0)
    out = np.zeros(n)
    out[:min(n, s.size)] = s[:n]
    return out


def extract(objective, vec: np.ndarray, spectrum, unit: tuple[float, ...], loss: float, source: str) -> Solution:
    """Per-mode values of a parameter vector. ``spectrum``: of A (VAE, HVAE) or of the residual E
    (CVAE), whose range the encoder map is restricted to; ``unit``: the decoder singular values'
    unit per level, for the collapsed decision."""
    p = objective.layout.unpack(vec)
    var = objective.variances(p)
    if isinstance(objective, HVAEObjective):
        d1, d2 = objective.latent_dims
        dec = (_sv(p["U1"], d1), _sv(p["U2"], d2))
        enc = (_sv(p["W1"] @ _range_projector(spectrum), d1), _sv(p["W2"], d2))
        std = _by_columns(p["U2"], np.sqrt(var))
    elif isinstance(objective, CVAEObjective):
        d = objective.latent_dim
        dec = _sv(p["U1"], d)
        enc = _sv(p["W2"] @ _range_projector(spectrum), d)
        std = _by_columns(p["U1"], np.sqrt(var))
    else:
        d = objective.latent_dim
        dec = _sv(p["U"], d)
        enc = _sv(p["W"] @ _range_projector(spectrum), d)
        std = _by_columns(p["U"], np.sqrt(var))
    pairs = dec if isinstance(dec, tuple) else (dec,)
    coll = tuple(s <= COLLAPSE_RTOL * u for s, u in zip(pairs, unit))
    return Solution(source, dec, enc, std, coll if isinstance(dec, tuple) else coll[0], float(loss))


def numerical_optimum(problem, starts: int = 8, seed=0, maxiter: int = 20000) -> Optimum:
    """The best of ``starts`` random L-BFGS (+ Newton polish) runs on ``problem``'s exact objective."""
    obj = problem.objective
    vec, losses, gnorm, nit = minimise(obj, problem.moment, starts=starts, seed=seed, maxiter=maxiter)
    sol = extract(obj, vec, problem.spectrum, problem.units, float(losses.min()), "optimum")
    base = {f.name: getattr(sol, f.name) for f in fields(Solution)}
    return Optimum(**base, start_losses=losses, gradient_norm=gnorm, iterations=nit, params=obj.layout.unpack(vec))
