"""Rosen (1965) certificates: diagonal strict concavity of the game.

With player weights r = (r_p, r_q) > 0 and the pseudo-gradient's Jacobian J, the game is
diagonally strictly concave on a region when sym(diag(r) J) = (diag(r) J + J^T diag(r))/2 is
negative definite there. Then (Rosen, Theorems 2 and 9) the equilibrium in the region is unique,
and the r-weighted gradient flow converges to it.

* ``point_certificate``: the test at one point, with the weight ratio r_q / r_p chosen to
  minimise the largest eigenvalue (a 1-D search over log(r_q / r_p) in [-12, 12]).
* ``global_certificate``: for finite pairs, a level rho* from explicit bounds. The off-diagonal
  blocks are averages of outer products, e.g. d grad_theta L_p / d phi = (1-alpha) sum_ij pi(x_i)
  q(z_j|x_i) g_p(i,j) g_q(i,j)^T with g_p = (T(x_i) - mu_p) (x) psi(z_j) and weights summing to 1,
  so ||J_pq||, ||J_qp|| <= C = (1-alpha) diam T * diam S * max|psi| * max|chi| (diam = diameter of
  the statistic's support, which bounds |T(x) - mu| for every mean mu in its convex hull). The own
  blocks are H - rho I with H <= 0 when rho penalises *every* coordinate. Then for any (u, v),
  (u, v)^T sym(J) (u, v) <= -rho |u|^2 - rho |v|^2 + 2 C |u||v| < 0 whenever rho > rho* = C:
  J + J^T < 0 everywhere (r = (1, 1)). Strong concavity also bounds each best response (norm <=
  diam T max|psi| / rho), so an equilibrium exists, and it is unique and globally attracting.
  The bound needs every coordinate penalised: lifts with an unpenalised bias column (affine,
  polynomial, Fourier) have no uniform curvature in the bias directions, and the certificate
  reports that it does not apply.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.optimize import minimize_scalar

from ..certify.linalg import lambda_min_lower, symmetric_part
from ..core.jsonable import jsonable
from ..game import Game, Params


@dataclass(frozen=True)
class RosenCertificate:
    holds: bool
    kind: str                 # "point" or "global"
    weights: tuple[float, float]
    max_eigenvalue: float     # largest eigenvalue of sym(diag(r) J) ("point", floating point); nan for "global"
    rho_star: float           # "global": the level above which the certificate holds; nan otherwise
    reason: str
    rigorous: bool = True     # "point": verified over the certified enclosure of J (else floating point)

    def summary(self) -> str:
        verdict = "holds" if self.holds else "does not hold"
        if self.kind == "global":
            level = f"rho* = {self.rho_star:.6g}" if np.isfinite(self.rho_star) else "no rho*"
            return f"global Rosen certificate {verdict} ({level}): {self.reason}"
        how = "certified over the enclosure" if self.rigorous else "floating point"
        return (f"Rosen certificate at the point {verdict} ({how}): largest eigenvalue of sym(diag(r) J) "
                f"{self.max_eigenvalue:.4g} with r = ({self.weights[0]:.4g}, {self.weights[1]:.4g})")

    def to_dict(self) -> dict:
        return jsonable({"holds": self.holds, "kind": self.kind, "weights": self.weights,
                         "max_eigenvalue": self.max_eigenvalue, "rho_star": self.rho_star, "reason": self.reason,
                         "rigorous": self.rigorous})


def _sym_max_eig(jac: np.ndarray, n_theta: int, log_ratio: float, basis: np.ndarray | None) -> float:
    r = np.ones(jac.shape[0])
    r[n_theta:] = np.exp(log_ratio)
    m = r[:, None] * jac
    sym = 0.5 * (m + m.T)
    if basis is not None:
        sym = basis.T @ sym @ basis
    return float(np.linalg.eigvalsh(sym)[-1])


def _certified_negative(certificate, n_theta: int, ratio: float) -> bool:
    """sym(diag(r) J) negative definite for EVERY J in the certificate's enclosure J(X)."""
    J = certificate.jacobian
    r = np.ones(J.shape[0])
    r[n_theta:] = ratio
    m = J * r[:, None]
    return lambda_min_lower(-symmetric_part(m), "arb" if certificate.method == "arb" else "ball") > 0


def point_certificate(game: Game, params: Params, jac: np.ndarray | None = None, certificate=None) -> RosenCertificate:
    """Is sym(diag(r) J) negative definite at ``params`` for some weights r (best r found by search)?
    Along the orbit of a continuous symmetry J vanishes, so the test is made on the orthogonal
    complement of the orbit's tangent space (transversally to the orbit). With ``certificate``
    (a certified equilibrium on the full route) the weights found are verified over the enclosure
    J(X) in ball arithmetic; otherwise the answer is floating point (``rigorous`` False), with the
    relative threshold -1e-9 max |J|."""
    jac = game.jacobian(params) if jac is None else jac
    nt = game.layout.n_theta
    tangents = game.symmetry_tangents(params)
    basis = None
    if tangents.size:
        u, sv, _ = np.linalg.svd(tangents, full_matrices=True)
        rank = int(np.sum(sv > 1e-10 * sv.max())) if sv.size else 0
        basis = u[:, rank:] if rank else None
    res = minimize_scalar(lambda t: _sym_max_eig(jac, nt, t, basis), bounds=(-12.0, 12.0), method="bounded",
                          options={"xatol": 1e-6})
    at_one = _sym_max_eig(jac, nt, 0.0, basis)
    best_t, best = (res.x, res.fun) if res.fun < at_one else (0.0, at_one)
    where = "transversally to the symmetry orbit" if basis is not None else "on all directions"
    weights = (1.0, float(np.exp(best_t)))
    full = (certificate is not None and basis is None and certificate.existence.holds and certificate.route == "full"
            and certificate.jacobian is not None)
    if full:
        holds = _certified_negative(certificate, nt, weights[1])
        return RosenCertificate(bool(holds), "point", weights, float(best), float("nan"),
                                f"weights chosen to minimise the largest eigenvalue (floating point), then verified "
                                f"over the enclosure of J {where}", rigorous=True)
    holds = best < -1e-9 * float(np.abs(jac).max())
    return RosenCertificate(bool(holds), "point", weights, float(best), float("nan"),
                            f"weights chosen to minimise the largest eigenvalue; tested {where} in floating point",
                            rigorous=False)


def _diameter(points: np.ndarray) -> float:
    if points.shape[0] > 4096:      # product supports: the diameter of {0,1}^m is sqrt(m)
        return float(np.sqrt(np.sum(np.ptp(points, axis=0) ** 2)))
    return float(max((np.linalg.norm(a - b) for a, b in combinations(points, 2)), default=0.0))


def global_certificate(game: Game) -> RosenCertificate:
    """The explicit level rho* for finite pairs (see the module docstring)."""
    finite = game.finite_support
    if finite is None:
        return RosenCertificate(False, "global", (1.0, 1.0), float("nan"), float("nan"),
                                "explicit bounds are implemented for finite pairs only")
    c = (1 - game.alpha) * _diameter(finite.support_statistics("decoder")) \
        * _diameter(finite.support_statistics("encoder")) \
        * float(np.linalg.norm(finite.support_features("decoder"), axis=1).max()) \
        * float(np.linalg.norm(finite.support_features("encoder"), axis=1).max())
    unpenalised = [name for name, pl in (("decoder", game.decoder), ("encoder", game.encoder))
                   if np.any(pl.mask & ~pl.penalty_mask)]
    if unpenalised:
        return RosenCertificate(False, "global", (1.0, 1.0), float("nan"), c,
                                f"not applicable: the {' and '.join(unpenalised)}'s bias column is not penalised, "
                                "so curvature in the bias directions has no uniform lower bound (rho* = "
                                f"{c:.6g} would apply if every coordinate were penalised)")
    holds = game.rho > c * (1.0 + 64.0 * np.finfo(float).eps)      # c carries a few roundings (norms, products)
    return RosenCertificate(holds, "global", (1.0, 1.0), float("nan"), c,
                            f"rho = {game.rho:g} {'>' if holds else '<='} rho* = {c:.6g}: "
                            + ("J + J^T is negative definite everywhere, so the equilibrium exists, is unique and "
                               "attracts the gradient flow globally" if holds else "the bound does not certify"))
