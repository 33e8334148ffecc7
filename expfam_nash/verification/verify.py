"""``verify``: is there an equilibrium, is it unique up to symmetry, is it stable, and why.

Starts (``starts`` in all, reproducible from ``seed``):

* the **collapsed point**: every conditional independent of its conditioning variable and equal
  to its target's marginal (weights 0 and bias = natural parameter of the marginal; for one-hot
  lifts every column equal to it);
* ``max(1, starts // 8)`` **Newton starts**: random points polished by damped Newton alone, which
  also lands on saddles and unstable equilibria (the flow avoids them);
* the rest **random starts** ``game.init(seed=s, scale=c)`` (weights ~ N(0, c^2 / n_features),
  bias at the target marginal), c cycling through 0.5, 1, 2, 4, solved by the default method.

Every run is classified converged / escaped (``diverged``) / not converged. Converged runs are
grouped into classes by their invariants (``Game.invariants``: reconstruction kernel and decoder
marginal, or the Gaussian reconstruction map and covariances), which do not see the latent
labelling, so a class is an equilibrium up to symmetry. Two runs share a class when their
invariants differ by at most ``tol_invariant = 1e-6 * max(1, max |invariant|)``.

For each class: run count, residual, Nash gap, collapsed or not, Jacobian spectrum, neutral
directions (|Re lambda| <= tol_eig) against the dimension of the symmetry orbit, stability
transversal to the orbit, and the Rosen certificate at the point. Verdicts:

* ``continuum``: some class has more neutral directions than its orbit explains (a zero
  eigenvalue no symmetry accounts for: along a curve of equilibria J has the tangent in its kernel);
* ``unique``: exactly one class, no escaping run, no continuum;
* ``escaped``: how many starts escaped to infinity (or the game has no finite equilibrium at all,
  certified by a recession direction).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..core.jsonable import complex_pairs, jsonable
from ..core.validation import as_rng, check_int
from ..dynamics import EquilibriumResult, solve
from ..game import PLAYERS, Game, NetworkStructure, Params
from .rosen import RosenCertificate, global_certificate, point_certificate
from .symmetry import SymmetryGroup, invariant_distance, latent_symmetries

SCALES = (0.5, 1.0, 2.0, 4.0)


def collapsed_start(game: Game) -> Params:
    """Both conditionals independent of their conditioning variable and equal to the target
    marginals (the exact marginal's natural parameter when it is interior). For lifts with a bias
    column this is weights 0 and bias = the marginal; for one-hot lifts every column = the marginal.
    Network games give their own (``NetworkStructure.collapsed_point``)."""
    if isinstance(game, NetworkStructure):
        return game.collapsed_point()
    out = []
    for name in PLAYERS:
        player = game.player(name)
        bias = game.natural_start(name, rng=as_rng(0), exact=True)
        par = np.zeros(player.shape)
        if player.lift.bias_index is None:
            par[:] = bias[:, None]
        else:
            par[:, player.lift.bias_index] = bias
        out.append(par * player.mask)
    return Params(*out)


def is_collapsed(game: Game, params: Params, tol: float = 1e-7) -> bool:
    """Encoder independent of x and decoder independent of z (to ``tol``)."""
    if isinstance(game, NetworkStructure):
        return game.is_collapsed(params, tol)
    finite = game.finite_support
    if finite is not None:
        q = finite.encoder_table(params.phi)
        p = finite.decoder_table(params.theta)
        return bool(np.abs(q - q[:1]).max() <= tol and np.abs(p - p[:, :1]).max() <= tol)
    k, d = game.encoder.family.dim, game.decoder.family.dim
    w = game.decoder.family.location_coefficients(params.theta)[:, :k]
    v = game.encoder.family.location_coefficients(params.phi)[:, :d]
    return bool(max(np.abs(w).max(), np.abs(v).max()) <= tol)


@dataclass(frozen=True, eq=False)
class EquilibriumClass:
    count: int
    representative: EquilibriumResult
    collapsed: bool
    rosen: RosenCertificate
    starts: tuple[str, ...]

    @property
    def unexplained_neutral(self) -> int:
        return max(0, self.representative.neutral_directions - self.representative.orbit_dimension)

    def summary(self) -> str:
        r = self.representative
        return (f"{self.count} runs, {'stable' if r.stable else 'NOT stable'}{', collapsed' if self.collapsed else ''}, "
                f"residual {r.residual:.2e}, Nash gap {r.nash_gap:.2e}")

    def to_dict(self) -> dict:
        r = self.representative
        return jsonable({"count": self.count, "stable": r.stable, "collapsed": self.collapsed, "residual": r.residual,
                "nash_gap": r.nash_gap,
                "jacobian_eigenvalues": complex_pairs(r.jacobian_eigenvalues),
                "neutral_directions": r.neutral_directions, "orbit_dimension": r.orbit_dimension,
                "max_stable_step": r.max_stable_step, "rosen_at_point": self.rosen.to_dict(),
                "starts": list(self.starts), "invariants": {k: np.asarray(v).tolist() for k, v in r.invariants.items()},
                "params": r.params.to_dict()})


@dataclass(frozen=True, eq=False)
class VerifyResult:
    """What ``verify`` found: equilibrium classes up to symmetry, with the options it ran with."""

    game: str
    n_starts: int
    runs: tuple[tuple[str, str], ...]      # (start label, "converged" / "escaped" / "not converged")
    classes: tuple[EquilibriumClass, ...]
    unique: bool
    continuum: bool
    escaped: int
    not_converged: int
    certificate: RosenCertificate
    symmetry: SymmetryGroup
    tolerances: dict = field(default_factory=dict)
    nonexistence: str = ""
    options: dict = field(default_factory=dict)

    @property
    def converged(self) -> int:
        return sum(c.count for c in self.classes)

    def summary(self) -> str:
        head = ("UNIQUE equilibrium up to symmetry" if self.unique else
                "CONTINUUM of equilibria" if self.continuum else
                f"{len(self.classes)} equilibrium classes" if self.classes else "no equilibrium found")
        lines = [f"{self.game}: {head}",
                 f"  starts {self.n_starts}: converged {self.converged}, escaped {self.escaped}, "
                 f"not converged {self.not_converged}"]
        if self.nonexistence:
            lines.append(f"  no finite equilibrium: {self.nonexistence}")
        lines.append(f"  symmetry: {self.symmetry.summary()}")
        lines.append(f"  {self.certificate.summary()}")
        for i, c in enumerate(self.classes):
            r = c.representative
            extra = f", {c.unexplained_neutral} unexplained neutral" if c.unexplained_neutral else ""
            lines.append(f"  class {i}: {c.count} runs, {'stable' if r.stable else 'NOT stable'}"
                         f"{', collapsed' if c.collapsed else ''}, residual {r.residual:.2e}, Nash gap "
                         f"{r.nash_gap:.2e}, max Re eig {r.jacobian_eigenvalues.real.max():.4g}, neutral "
                         f"{r.neutral_directions} vs orbit {r.orbit_dimension}{extra}; "
                         f"Rosen at point {'holds' if c.rosen.holds else 'fails'}")
        lines.append("  tolerances: " + ", ".join(f"{k} {v:.3g}" for k, v in self.tolerances.items()))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"game": self.game, "starts": self.n_starts, "unique": self.unique, "continuum": self.continuum,
                "escaped": self.escaped, "not_converged": self.not_converged, "converged": self.converged,
                "nonexistence": self.nonexistence or None, "certificate": self.certificate.to_dict(),
                "symmetry": self.symmetry.to_dict(),
                "tolerances": self.tolerances, "runs": [list(r) for r in self.runs],
                "classes": [c.to_dict() for c in self.classes], "options": self.options})

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)


def _status(res: EquilibriumResult) -> str:
    return "converged" if res.converged else ("escaped" if res.diverged else "not converged")


def _plan(game: Game, starts: int, seed) -> list[tuple[str, Params, str]]:
    """(label, start, method): the collapsed point, the Newton starts, the random starts."""
    seeds = as_rng(seed).integers(2 ** 31, size=starts)
    n_newton = max(1, starts // 8)
    plan: list[tuple[str, Params, str]] = [("collapsed", collapsed_start(game), "auto")]
    for i in range(n_newton):
        plan.append((f"newton:{i}", game.init(seed=int(seeds[i]), scale=SCALES[i % 4]), "newton"))
    for i in range(n_newton, starts - 1):
        plan.append((f"random:{i}", game.init(seed=int(seeds[i]), scale=SCALES[i % 4]), "auto"))
    return plan


def _classes(game: Game, converged: list[tuple[str, EquilibriumResult]], tol_inv: float) -> tuple[EquilibriumClass, ...]:
    """Converged runs grouped by their invariants (most accurate first), each group certified."""
    groups: list[list[tuple[str, EquilibriumResult]]] = []
    for lab, r in sorted(converged, key=lambda lr: lr[1].residual):
        for grp in groups:
            if invariant_distance(grp[0][1].invariants, r.invariants) <= tol_inv:
                grp.append((lab, r))
                break
        else:
            groups.append([(lab, r)])
    return tuple(EquilibriumClass(len(g), g[0][1], is_collapsed(game, g[0][1].params),
                                  point_certificate(game, g[0][1].params), tuple(lab for lab, _ in g))
                 for g in groups)


def verify(game: Game, starts: int = 32, seed: int | None = 0, tol: float = 1e-10,
           max_steps: int = 20000) -> VerifyResult:
    """Solve from many starts, group the equilibria up to symmetry, and certify each class."""
    check_int(starts, "starts", minimum=2)
    if not game.exact:
        raise ValueError(f"game: {game.name} has no exact engine; verify needs exact residuals and Jacobians")
    results = [(label, solve(game, method=method, init=start, tol=tol,
                             max_steps=max_steps if method == "auto" else 100))
               for label, start, method in _plan(game, starts, seed)]
    converged = [(lab, r) for lab, r in results if r.converged]
    scale = max([1.0] + [float(np.abs(np.asarray(v)).max()) for _, r in converged for v in r.invariants.values()])
    tol_inv = 1e-6 * scale
    classes = _classes(game, converged, tol_inv)
    escaped = sum(1 for _, r in results if r.diverged)
    not_conv = sum(1 for _, r in results if not r.converged and not r.diverged)
    continuum = any(c.unexplained_neutral > 0 for c in classes)
    nonexistence = game.nonexistence()
    unique = len(classes) == 1 and escaped == 0 and not continuum and not nonexistence
    eig_tol = max([1e-7] + [1e-7 * float(np.abs(c.representative.jacobian_eigenvalues).max(initial=1.0))
                           for c in classes])
    return VerifyResult(game.name, starts, tuple((lab, _status(r)) for lab, r in results), classes, unique,
                        continuum, escaped, not_conv, global_certificate(game), latent_symmetries(game),
                        {"residual": tol, "invariant": tol_inv, "eigenvalue (largest over classes)": eig_tol,
                         "collapsed": 1e-7}, nonexistence,
                        {"starts": starts, "seed": seed, "tol": tol, "max_steps": max_steps})
