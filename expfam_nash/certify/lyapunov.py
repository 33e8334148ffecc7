"""Stability of the flow v' = g(v) at a zero, from an enclosure J(X) of the Jacobian, by
Lyapunov inertia: no eigenvalue is ever computed rigorously.

Continuous time (Ostrowski-Schneider 1962): if P is symmetric and J^T P + P J is negative
definite, then J has no eigenvalue on the imaginary axis, as many eigenvalues with Re > 0 as P
has negative eigenvalues, and as many with Re < 0 as P has positive ones. So

* P > 0 and -(J^T P + P J) > 0 for EVERY J in J(X)  =>  J(v*) is Hurwitz: certified stable,
  with the decay bound Re(lambda) <= -lambda_min(Q) / (2 lambda_max(P)), Q = -(J^T P + P J);
* -((J - s I)^T P + P (J - s I)) > 0 for every J in J(X), s >= 0, and x^T P x < 0 for some x
  =>  J(v*) has an eigenvalue with Re(lambda) > s >= 0: refuted (a saddle or a source).

Discrete time (Stein; Taussky 1964): with A = I + lr J, if P - A^T P A > 0 then A has as many
eigenvalues outside the unit disk as P has negative eigenvalues; dividing by lr > 0 the
condition reads -(J^T P + P J) - lr J^T P J > 0.

P is found in floating point (any P will do: only the verification is rigorous), in balanced
coordinates diag(d)^-1 J diag(d) (a similarity, so the spectrum is the same and units do not
matter): first P = I (a diagonally strictly concave game in Rosen's sense), then the solution of
the Lyapunov (or Stein) equation with right-hand side -I from an eigendecomposition.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import box_kernels
from .ball import Ball, down, grow
from .linalg import (powers_of_two, balance, determinant_sign, lambda_max_upper, lambda_min_lower, product,
                     quadratic_form, similar, symmetrizer)


@dataclass(frozen=True, eq=False)
class InertiaOutcome:
    """``status``: "stable" (all Re < 0 certified), "unstable" (an eigenvalue with Re > shift
    certified), or "undecided"; ``decay``: lower bound of -max Re(lambda) when stable;
    ``shift``: the certified lower bound s of the unstable real part; ``unstable_estimate``: the
    floating-point count of eigenvalues with Re > 0 (not certified beyond >= 1)."""

    status: str
    reason: str
    decay: float = float("nan")
    shift: float = float("nan")
    unstable_estimate: int = 0
    lyapunov: str = ""
    eigenvalues: np.ndarray | None = None
    P: np.ndarray | None = None          # the verified P in balanced coordinates (None: identity)
    scaling: np.ndarray | None = None    # d: balanced coordinates are diag(d)^-1 v
    p_min: float = float("nan")          # certified lower bound of lambda_min(P)


def _eigen(Jm: np.ndarray):
    try:
        lam, V = np.linalg.eig(Jm)
        W = np.linalg.inv(V)
    except np.linalg.LinAlgError:
        return None
    if not (np.all(np.isfinite(lam)) and np.all(np.isfinite(W))):
        return None
    return lam, V, W


def stein_candidate(eig, shift: float = 0.0, lr: float = 0.0) -> np.ndarray | None:
    """P solving (J - sI)^T P + P (J - sI) + lr (J - sI)^T P (J - sI) = -I, from J = V diag(lam) W:
    P = Re(W^H Z W), Z_ij = -(V^H V)_ij / (mu_i* + mu_j + lr mu_i* mu_j), mu = lam - s."""
    lam, V, W = eig
    mu = lam - shift
    den = np.conj(mu)[:, None] + mu[None, :] + lr * np.conj(mu)[:, None] * mu[None, :]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        Z = -(np.conj(V).T @ V) / den
        P = np.real(np.conj(W).T @ Z @ W)
    P = 0.5 * (P + P.T)
    return P if np.all(np.isfinite(P)) else None


def _lyapunov_margin(Jh: Ball, P: np.ndarray | None, shift: float, lr: float, method: str) -> float:
    """Rigorous lower bound of lambda_min of -(A^T P + P A) - lr A^T P A over A in Jh - shift I
    (P = None stands for the identity)."""
    A = Jh if shift == 0.0 else Jh - shift * np.eye(Jh.shape[0])
    K = A if P is None else product(P, A, method)    # P A; its transpose is A^T P (P symmetric)
    Q = -(K + K.T)
    if lr > 0:
        Q = Q - lr * product(A.T, K, method)
    return lambda_min_lower(Q, method)


def _diagonal_margin(J: Ball, scale: np.ndarray, method: str) -> float:
    """Lower bound of lambda_min(-(Jh + Jh^T)) over J, Jh = diag(scale)^-1 J diag(scale): compiled
    (:func:`.box_kernels.diagonal_margin`) for the ball method and power-of-two scales."""
    if method == "ball" and powers_of_two(scale):
        try:
            return float(box_kernels.diagonal_margin(np.ascontiguousarray(J.mid), np.ascontiguousarray(J.rad),
                                                   np.ascontiguousarray(scale, dtype=np.float64)))
        except (np.linalg.LinAlgError, ValueError):      # non-finite after scaling, or LAPACK failed
            return -np.inf
    return _lyapunov_margin(similar(J, scale), None, 0.0, 0.0, method)


def inertia(J: Ball, method: str = "ball", lr: float = 0.0, scaling: np.ndarray | None = None) -> InertiaOutcome:
    """Stability (lr = 0: the flow; lr > 0: the iteration v <- v + lr g(v)) of every matrix in J.
    ``scaling``: ``balance(J.mid)`` when the caller has it already."""
    n = J.shape[0]
    if n == 0:
        return InertiaOutcome("stable", "no transversal directions", decay=np.inf)
    if not J.is_finite():
        return InertiaOutcome("undecided", "the Jacobian enclosure is not finite")
    d = balance(J.mid) if scaling is None else scaling
    if lr == 0.0:
        for make in (lambda: d, lambda: symmetrizer(J.mid)):    # P = I: diagonal strict concavity
            scale = make()
            q = _diagonal_margin(J, scale, method)
            if q > 0:
                return InertiaOutcome("stable", "J + J^T negative definite in rescaled coordinates (a diagonal "
                                                "Lyapunov function)", decay=float(down(q * 0.5)), lyapunov="diagonal",
                                      scaling=scale, p_min=1.0)
    Jh = similar(J, d)
    eig = _eigen(Jh.mid)
    if eig is None:
        return InertiaOutcome("undecided", "floating-point eigendecomposition failed")
    lam = eig[0]
    growth = np.abs(1.0 + lr * lam) if lr > 0 else None
    unstable = int(np.sum(growth > 1.0)) if lr > 0 else int(np.sum(lam.real > 0))
    if unstable == 0:
        P = stein_candidate(eig, 0.0, lr)
        if P is not None:
            q = _lyapunov_margin(Jh, P, 0.0, lr, method)
            p_min = lambda_min_lower(Ball(P), method)
            if q > 0 and p_min > 0:
                decay = float(down(q / (2.0 * lambda_max_upper(P))))
                return InertiaOutcome("stable", "Lyapunov inequality verified over the enclosure", decay=decay,
                                      lyapunov="eigen", eigenvalues=lam, P=P, scaling=d, p_min=p_min)
        found = _determinant_refutation(Jh, eig, unstable, d) if lr == 0.0 else None
        if found is not None:                                            # floating point misjudged a stiff J
            return found
        return InertiaOutcome("undecided", "no Lyapunov certificate over the enclosure (an eigenvalue too "
                                           "close to the stability boundary for the interval width)",
                              eigenvalues=lam)
    return _refute(Jh, eig, lr, method, unstable, d)


def _determinant_refutation(Jh: Ball, eig, unstable: int, d: np.ndarray) -> InertiaOutcome | None:
    """det(J - sI) = prod (lambda_i - s); complex pairs contribute |lambda - s|^2 > 0, so a sign
    change of det(J - sI) between shifts 0 <= s1 < s2 (certified for every J in the enclosure)
    proves an odd number of real eigenvalues in (s1, s2); and sign det J = (-1)^(n+1) proves one
    in (0, inf) (a Hurwitz J has sign (-1)^n). Shifts: 0 and midpoints between the floating-point
    positive real eigenvalues."""
    n = Jh.shape[0]
    lam = eig[0]
    real = np.sort(lam.real[(np.abs(lam.imag) <= 1e-9 * np.abs(lam)) & (lam.real > 0)])
    shifts = [0.0] + [float(0.5 * (a + b)) for a, b in zip(real[:-1], real[1:])] + \
             ([float(2.0 * real[-1])] if real.size else [])
    signs = [determinant_sign(Jh - s * np.eye(n)) if s else determinant_sign(Jh) for s in shifts]
    why = None
    if signs[0] == (-1) ** (n + 1):
        why, lo = "sign of det J certified (-1)^(n+1): an odd number of real eigenvalues > 0", 0.0
    else:
        for k in range(len(shifts) - 1):
            if signs[k] and signs[k + 1] and signs[k] != signs[k + 1]:
                why, lo = (f"det(J - sI) changes sign between s = {shifts[k]:.4g} and {shifts[k + 1]:.4g}: a real "
                           f"eigenvalue > {shifts[k]:.4g}"), shifts[k]
                break
    if why is None:
        return None
    return InertiaOutcome("unstable", why, shift=lo, unstable_estimate=unstable, lyapunov="determinant",
                          eigenvalues=lam, scaling=d)


def _refute(Jh: Ball, eig, lr: float, method: str, unstable: int, d: np.ndarray) -> InertiaOutcome:
    out = _refute_lyapunov(Jh, eig, lr, method, unstable, d)
    if out.status == "unstable" or lr > 0:
        return out
    return _determinant_refutation(Jh, eig, unstable, d) or out


def _refute_lyapunov(Jh: Ball, eig, lr: float, method: str, unstable: int, d: np.ndarray) -> InertiaOutcome:
    lam = eig[0]
    if lr > 0:
        shift, reason = 0.0, "Stein inequality verified with an indefinite P: an eigenvalue of I + lr J outside the unit disk"
    else:
        shift = float(0.5 * lam.real.max())
        reason = "Lyapunov inequality for J - sI verified with an indefinite P: an eigenvalue with Re > s"
    P = stein_candidate(eig, shift, lr)
    if P is None:
        return InertiaOutcome("undecided", "Lyapunov equation for the unstable case not solvable", eigenvalues=lam)
    q = _lyapunov_margin(Jh, P, shift, lr, method)
    if not q > 0:
        return InertiaOutcome("undecided", "no inertia certificate over the enclosure", eigenvalues=lam,
                              unstable_estimate=unstable)
    w, vecs = np.linalg.eigh(P)
    form = quadratic_form(vecs[:, 0], P, method)
    if not float(grow(form.mid + form.rad, 1)) < 0:
        return InertiaOutcome("undecided", "P not certified indefinite", eigenvalues=lam, unstable_estimate=unstable)
    return InertiaOutcome("unstable", reason, shift=shift, unstable_estimate=unstable, lyapunov="eigen",
                          eigenvalues=lam, P=P, scaling=d)
