"""Existence and local uniqueness of a zero of g: the Krawczyk test with epsilon-inflation.

For a box X = x~ +- r, an enclosure J(X) of the Jacobian over X and any nonsingular R,

    K(X) = x~ - R g(x~) + (I - R J(X)) (X - x~).

If K(X) lies in the interior of X, then g has exactly one zero in X and it lies in K(X)
(Krawczyk 1969; Rump 1983: the inclusion also proves R and every matrix of J(X) nonsingular).
J(X) contains every mean-value slope on X because X is convex. R is a floating-point inverse of
J(x~) computed after balancing (a similarity by powers of two, so that units do not matter).

``restrict`` runs the test on a coordinate subspace F (all other coordinates fixed at x~, which
must be 0 there): used for the fixed-point subspace of a symmetry group, which g maps into itself.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import box_kernels
from .ball import Ball, grow
from .linalg import balance, product

#: inflation attempts of the Krawczyk loop
MAX_INFLATIONS = 8


@dataclass(frozen=True, eq=False)
class KrawczykOutcome:
    success: bool
    reason: str
    center: np.ndarray
    box_radius: np.ndarray | None = None        # X = center +- box_radius (full coordinates)
    enclosure_radius: np.ndarray | None = None  # the zero lies in center +- enclosure_radius
    jacobian: Ball | None = None                # J(X) over the final box (full coordinates)
    contraction: float = float("nan")           # max_i |K(X) - x~|_i / r_i (< 1 on success)
    iterations: int = 0
    excluded: bool = False                      # 0 certainly outside g(x~) + J(X)(X - x~): no zero in X
    gradient: Ball | None = None                # g(x~) enclosed (full coordinates; the one the test used)
    balance: np.ndarray | None = None           # balance(J(X).mid) of the first box (full coordinates only)


def approximate_inverse(J: np.ndarray, d: np.ndarray | None = None) -> np.ndarray | None:
    """diag(d) inv(diag(d)^-1 J diag(d)) diag(d)^-1 with d from balancing, ``balance(J)`` unless
    given (None if singular)."""
    d = balance(J) if d is None else d
    Jh = J * (d[None, :] / d[:, None])
    try:
        inv = np.linalg.inv(Jh)
    except np.linalg.LinAlgError:
        return None
    R = inv * (d[:, None] / d[None, :])
    return R if np.all(np.isfinite(R)) else None


def _guess(center: np.ndarray, n_theta: int) -> np.ndarray:
    """A first box relative to the point: 2^-26 (|x_i| + max |x| over the coordinate's player
    + 2^-10 max |x| overall). Only a guess: a wrong one costs another evaluation, never rigour."""
    a = np.abs(center)
    out = a + 2.0 ** -10 * float(np.max(a, initial=0.0))
    for sl in (slice(0, n_theta), slice(n_theta, center.size)):
        out[sl] += float(np.max(a[sl], initial=0.0))
    return out * 2.0 ** -26


def _residual_step(R, g: Ball, linalg: str) -> np.ndarray:
    """A float vector >= |R g(x~)| entrywise."""
    if linalg == "ball":
        return box_kernels.residual_step(R, np.ascontiguousarray(g.mid), np.ascontiguousarray(g.rad))
    return product(R, g.reshape(-1, 1), linalg).reshape(-1).upper_abs()


def _contracts(R, JX: Ball, a_abs: np.ndarray, r: np.ndarray, linalg: str):
    """(K(X) inside int X?, |K(X) - x~| bound, max ratio) for the box x~ +- r."""
    if linalg == "ball":
        k_rad = box_kernels.contraction_radius(R, np.ascontiguousarray(JX.mid), np.ascontiguousarray(JX.rad), a_abs,
                                             np.ascontiguousarray(r, dtype=np.float64))
    else:
        C = np.eye(r.size) - product(R, JX, linalg)
        k_rad = grow(a_abs + grow(C.upper_abs() @ r, r.size + 2), 1)      # |K(X) - x~| <= k_rad
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(np.max(k_rad / r)) if r.size else 0.0
    return bool(np.all(k_rad < r)), k_rad, ratio


def krawczyk(enc, center: np.ndarray, *, restrict: np.ndarray | None = None, min_radius=None,
             linalg: str = "ball") -> KrawczykOutcome:
    """Run the Krawczyk test around ``center`` (flat). ``restrict``: indices of the coordinates of
    the invariant subspace (others are held at ``center``); ``min_radius``: a box at least this
    large (per coordinate) is tried. R comes from the midpoint of J over a first box relative to
    the point; if that box is too small for the residual or does not contract, boxes grow from
    4 |R g(x~)| (epsilon-inflation)."""
    n = center.size
    idx = np.arange(n) if restrict is None else np.asarray(restrict)
    g_full = enc.gradient(center)
    if not g_full.is_finite():
        return KrawczykOutcome(False, "the gradient enclosure is not finite (overflow)", center)
    g = g_full[idx]
    floor = np.zeros(idx.size) if min_radius is None else np.asarray(min_radius, dtype=np.float64)[idx]
    r = np.maximum(_guess(center, enc.n_theta)[idx], floor)
    full_r = np.zeros(n)
    full_r[idx] = r
    with np.errstate(over="ignore", invalid="ignore"):       # a huge box: checked just below
        JX = enc.jacobian(center, full_r)
    if not JX.is_finite():
        return KrawczykOutcome(False, "the Jacobian enclosure is not finite (overflow)", center)
    JF = JX if restrict is None else JX[np.ix_(idx, idx)]     # J(X) on the tested coordinates
    d = balance(JF.mid)
    R = approximate_inverse(JF.mid, d)
    if R is None:
        return KrawczykOutcome(False, "singular Jacobian at the point (no approximate inverse)", center)
    d = d if restrict is None else None
    a_abs = _residual_step(R, g, linalg)
    if np.all(4.0 * a_abs <= r):
        ok, k_rad, ratio = _contracts(R, JF, a_abs, r, linalg)
        if ok:
            return _success(idx, n, center, full_r, k_rad, JX, ratio, 1, g_full, d)
    if np.any(4.0 * a_abs > r) and np.any(4.0 * product(np.abs(R), g.rad.reshape(-1, 1), "ball").mid.reshape(-1) > r):
        # the rounding bound of g (not the residual) sets the box: evaluate g(x~) in arb instead
        g_full = enc.gradient(center, precise=True)
        g = g_full[idx]
        a_abs = _residual_step(R, g, linalg)
        if np.all(4.0 * a_abs <= r):
            ok, k_rad, ratio = _contracts(R, JF, a_abs, r, linalg)
            if ok:
                return _success(idx, n, center, full_r, k_rad, JX, ratio, 1, g_full, d)
    out = _inflate(enc, center, idx, R, g, a_abs, np.maximum(4.0 * a_abs, floor), linalg)
    return replace(out, gradient=g_full) if out.success else out


def _inflate(enc, center, idx, R, g, a_abs, r, linalg: str) -> KrawczykOutcome:
    """Epsilon-inflation: grow the box from ``r`` until K(X) lies inside it, 0 is excluded from
    it, or the budget ends."""
    n = center.size
    ratio = np.inf
    for it in range(2, MAX_INFLATIONS + 2):
        full_r = np.zeros(n)
        full_r[idx] = r
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                JX = enc.jacobian(center, full_r)
        except ValueError as exc:                      # the box left the natural domain
            return KrawczykOutcome(False, f"the box needed for the residual (radius up to {float(np.max(r)):.3g}) "
                                          f"leaves the domain: {exc}", center, iterations=it)
        if not JX.is_finite():
            return KrawczykOutcome(False, f"the box needed for the residual (radius up to {float(np.max(r)):.3g}) is "
                                          "too large: the Jacobian enclosure overflows", center, iterations=it)
        ok, k_rad, ratio = _contracts(R, JX[np.ix_(idx, idx)], a_abs, r, linalg)
        if ok:
            return _success(idx, n, center, full_r, k_rad, JX, ratio, it)
        if _excluded(g, JX[np.ix_(idx, idx)], r):
            return KrawczykOutcome(False, "0 is outside g(x~) + J(X)(X - x~): no zero in the box", center,
                                   full_r, None, JX, ratio, it, excluded=True)
        r = np.maximum(4.0 * k_rad, 2.0 * r) if it < 4 else 4.0 * np.maximum(k_rad, r)
        if not np.all(np.isfinite(r)):
            break
    return KrawczykOutcome(False, f"K(X) not inside X after {MAX_INFLATIONS} inflations "
                                  f"(contraction ratio {ratio:.3g})", center, iterations=MAX_INFLATIONS,
                           contraction=ratio)


def _success(idx, n, center, full_r, k_rad, JX, ratio, it, g_full=None, d=None) -> KrawczykOutcome:
    enc_r = np.zeros(n)
    enc_r[idx] = k_rad
    return KrawczykOutcome(True, "K(X) lies in the interior of X", center, full_r, enc_r, JX, ratio, it,
                           gradient=g_full, balance=d)


def _excluded(g: Ball, JX: Ball, r: np.ndarray) -> bool:
    """True when some coordinate of the mean-value form g(x~) + J(X)(X - x~) certainly excludes 0."""
    with np.errstate(over="ignore"):                  # an infinite spread excludes nothing
        spread = grow(JX.upper_abs() @ r, r.size + 2)
    return bool(np.any(g.lower_abs() > spread))
