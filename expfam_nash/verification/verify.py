"""``verify``: is there an equilibrium, is it unique up to symmetry, is it stable, and why.

Starts (``starts`` in all, reproducible from ``seed``):

* the **collapsed point**: every conditional independent of its conditioning variable and equal
  to its target's marginal (weights 0 and bias = natural parameter of the marginal; for one-hot
  lifts every column equal to it);
* ``max(1, starts // 8)`` **Newton starts**: random points polished by damped Newton alone, which
  also lands on saddles and unstable equilibria (the flow avoids them);
* the rest **random starts** ``game.init(seed=s, scale=c)`` (weights ~ N(0, c^2 / n_features),
  bias at the target marginal), c cycling through 0.5, 1, 2, 4, solved by the default method.

Every run is certified by ``solve`` and classified: ``converged`` (an equilibrium certified within
its enclosure radius), ``escaped`` (escape certified by a recession direction) or ``undecided``
(listed with its reason). Certified equilibria are grouped into classes by their invariants
(``Game.invariants``: reconstruction kernel and decoder marginal, or the Gaussian reconstruction
map and moments), which do not see the latent labelling, so a class is an equilibrium up to
symmetry: two runs share a class when their invariants differ by at most 1e-6 of each invariant's
scale in the data's own units (:func:`.symmetry.invariant_scales`) -- a floating-point grouping;
distinctness of classes is certified separately (:mod:`.uniqueness`).

For each class: run count, the representative's verdicts (existence with its enclosure radius,
stability with its Lyapunov margin, local uniqueness, local dimension), the Nash-gap bound,
collapsed or not (floating point), the floating-point spectrum (diagnostic) and the Rosen test at
the point. Game-level verdicts (:mod:`.uniqueness`): ``existence``, ``uniqueness`` (certified
only by a global argument, refuted by certified counterexamples; one class from many starts is
evidence), ``continuum`` and ``escape``. The booleans ``unique`` and ``continuum`` are true only
when certified.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..certify.escape import recession_certificate
from ..certify.invariants import invariant_enclosure
from ..core.jsonable import complex_pairs, jsonable
from ..core.validation import as_rng, check_int, check_positive
from ..core.verdict import Verdict
from ..dynamics import EquilibriumResult, solve
from ..game import PLAYERS, Game, Params, is_network
from . import uniqueness as uq
from .rosen import RosenCertificate, global_certificate, point_certificate
from .symmetry import SymmetryGroup, invariant_distance, invariant_scales, latent_symmetries

SCALES = (0.5, 1.0, 2.0, 4.0)


def collapsed_start(game: Game) -> Params:
    """Both conditionals independent of their conditioning variable and equal to the target
    marginals (the exact marginal's natural parameter when it is interior). For lifts with a bias
    column this is weights 0 and bias = the marginal; for one-hot lifts every column = the marginal.
    Network games give their own (``NetworkStructure.collapsed_point``)."""
    if is_network(game):
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
    """Encoder independent of x and decoder independent of z, to ``tol`` (floating point): on
    probabilities for finite pairs; for Gaussian pairs on the weights in unit-free form,
    |W| sqrt(var z) / sqrt(var x) and |V| sqrt(var x) / sqrt(var z)."""
    if is_network(game):
        return game.is_collapsed(params, tol)
    finite = game.finite_support
    if finite is not None:
        q = finite.encoder_table(params.phi)
        p = finite.decoder_table(params.theta)
        return bool(np.abs(q - q[:1]).max() <= tol and np.abs(p - p[:, :1]).max() <= tol)
    k, d = game.encoder.family.dim, game.decoder.family.dim
    w = game.decoder.family.location_coefficients(params.theta)[:, :k]
    v = game.encoder.family.location_coefficients(params.phi)[:, :d]
    sx = float(np.sqrt(np.max(np.diag(np.atleast_2d(game.data.moments()[1])))))
    sz = float(np.sqrt(np.max(np.diag(np.atleast_2d(game.prior.moments()[1])))))
    return bool(max(np.abs(w).max() * sz / sx, np.abs(v).max() * sx / sz) <= tol)


@dataclass(frozen=True, eq=False)
class EquilibriumClass:
    """Certified equilibria with the same invariants (one equilibrium up to symmetry)."""

    count: int
    representative: EquilibriumResult
    collapsed: bool
    rosen: RosenCertificate
    starts: tuple[str, ...]
    enclosed_invariants: dict | None = field(default=None, repr=False)

    @property
    def stable(self) -> bool:
        return self.representative.stable

    def summary(self) -> str:
        r = self.representative
        return (f"{self.count} runs, stability {r.verdicts['stability'].status.value}"
                f"{', collapsed' if self.collapsed else ''}, enclosure radius {r.enclosure_radius:.2e}, "
                f"residual {r.residual:.2e}, Nash gap {r.nash_gap:.2e}")

    def to_dict(self) -> dict:
        r = self.representative
        return jsonable({"count": self.count, "stable": r.stable, "collapsed": self.collapsed,
                         "verdicts": {k: r.verdicts[k].to_dict() for k in ("existence", "stability", "uniqueness",
                                                                         "continuum", "nash_gap")},
                         "enclosure_radius": r.enclosure_radius, "lyapunov_margin": r.lyapunov_margin,
                         "residual": r.residual, "nash_gap": r.nash_gap, "nash_gap_bound": r.nash_gap_bound,
                         "jacobian_eigenvalues": complex_pairs(r.jacobian_eigenvalues),
                         "neutral_directions": r.neutral_directions, "orbit_dimension": r.orbit_dimension,
                         "max_stable_step": r.max_stable_step, "rosen_at_point": self.rosen.to_dict(),
                         "starts": list(self.starts),
                         "invariants": {k: np.asarray(v).tolist() for k, v in r.invariants.items()},
                         "params": r.params.to_dict()})


@dataclass(frozen=True, eq=False)
class VerifyResult:
    """What ``verify`` found: certified equilibrium classes up to symmetry, the undecided runs, the
    game-level verdicts (``verdicts``: existence, uniqueness, continuum, escape) and the options."""

    game: str
    n_starts: int
    runs: tuple[tuple[str, str], ...]      # (start label, "converged" / "escaped" / "undecided")
    classes: tuple[EquilibriumClass, ...]
    verdicts: dict
    escaped: int
    not_converged: int
    certificate: RosenCertificate
    symmetry: SymmetryGroup
    undecided: tuple[tuple[str, str, float], ...] = ()     # (label, reason, residual)
    tolerances: dict = field(default_factory=dict)
    nonexistence: str = ""
    options: dict = field(default_factory=dict)

    @property
    def unique(self) -> bool:
        return self.verdicts["uniqueness"].holds

    @property
    def continuum(self) -> bool:
        return self.verdicts["continuum"].holds

    @property
    def converged(self) -> int:
        return sum(c.count for c in self.classes)

    def _headline(self) -> str:
        u, c = self.verdicts["uniqueness"], self.verdicts["continuum"]
        if u.holds:
            return "UNIQUE equilibrium (certified)"
        if c.holds:
            return "CONTINUUM of equilibria (certified)"
        if u.status.value == "refuted":
            return f"NOT UNIQUE (certified): {len(self.classes)} equilibrium classes"
        return f"uniqueness UNDECIDED: {len(self.classes)} certified equilibrium classes"

    def summary(self) -> str:
        lines = [f"{self.game}: {self._headline()}",
                 f"  starts {self.n_starts}: converged {self.converged}, escaped {self.escaped}, "
                 f"undecided {self.not_converged}"]
        lines += [f"  {name:<11} {v.summary()}" for name, v in self.verdicts.items()]
        lines.append(f"  symmetry: {self.symmetry.summary()}")
        lines.append(f"  {self.certificate.summary()}")
        for i, c in enumerate(self.classes):
            r = c.representative
            lines.append(f"  class {i}: {c.count} runs, stability {r.verdicts['stability'].status.value}"
                         f"{', collapsed' if c.collapsed else ''}, continuum {r.verdicts['continuum'].status.value}, "
                         f"enclosure radius {r.enclosure_radius:.2e}, Lyapunov margin {r.lyapunov_margin:.3g}, "
                         f"Nash gap {r.nash_gap:.2e}; floating point: max Re eig "
                         f"{r.jacobian_eigenvalues.real.max():.4g}, neutral {r.neutral_directions} vs orbit "
                         f"{r.orbit_dimension}; Rosen at point {'holds' if c.rosen.holds else 'fails'}")
        for lab, why, res in self.undecided[:8]:
            lines.append(f"  undecided {lab}: residual {res:.2e}; {why}")
        if len(self.undecided) > 8:
            lines.append(f"  ... and {len(self.undecided) - 8} more undecided runs")
        lines.append("  tolerances: " + ", ".join(f"{k} {v}" for k, v in self.tolerances.items()))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"game": self.game, "starts": self.n_starts, "unique": self.unique, "continuum": self.continuum,
                         "verdicts": {k: v.to_dict() for k, v in self.verdicts.items()},
                         "escaped": self.escaped, "not_converged": self.not_converged, "converged": self.converged,
                         "nonexistence": self.nonexistence or None, "certificate": self.certificate.to_dict(),
                         "symmetry": self.symmetry.to_dict(), "tolerances": self.tolerances,
                         "runs": [list(r) for r in self.runs],
                         "undecided": [{"start": lab, "reason": why, "residual": res} for lab, why, res in self.undecided],
                         "classes": [c.to_dict() for c in self.classes], "options": self.options})

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)


def _status(res: EquilibriumResult) -> str:
    return "converged" if res.converged else ("escaped" if res.diverged else "undecided")


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


def _make_class(game: Game, group) -> EquilibriumClass:
    rep = group[0][1]
    cert = rep.certificate
    box = None if cert is None or cert.enclosure_radius is None else cert.enclosure_radius
    enclosed = invariant_enclosure(game, game.flatten(rep.params), box) if cert is not None else None
    return EquilibriumClass(len(group), rep, is_collapsed(game, rep.params),
                            point_certificate(game, rep.params, certificate=cert), tuple(lab for lab, _ in group),
                            enclosed)


def _classes(game: Game, converged: list[tuple[str, EquilibriumResult]], tol_inv: float) -> tuple[EquilibriumClass, ...]:
    """Certified runs grouped by their invariants (smallest enclosure first), each group a class."""
    scales = invariant_scales(game)
    groups: list[list[tuple[str, EquilibriumResult]]] = []
    for lab, r in sorted(converged, key=lambda lr: (lr[1].enclosure_radius, lr[1].residual)):
        for grp in groups:
            if invariant_distance(grp[0][1].invariants, r.invariants, scales) <= tol_inv:
                grp.append((lab, r))
                break
        else:
            groups.append([(lab, r)])
    return tuple(_make_class(game, g) for g in groups)


def verify(game: Game, starts: int = 32, seed: int | None = 0, tol: float = 1e-10,
           max_steps: int = 20000, certify: bool = True, stop_escaping: bool = True, lean: bool = True) -> VerifyResult:
    """Solve from many starts, group the certified equilibria up to symmetry, and decide existence,
    uniqueness, continuum and escape (``certify=False``: every verdict undecided).
    ``stop_escaping``: a flow start that shows escape evidence after a tenth of ``max_steps`` is
    not followed to the end of its budget (``solve(stop_escaping=True)``); it is certified where it
    stopped like any other run, so it can only end undecided or certified, never "escaped" on evidence.
    ``lean``: skip per-start work whose output verify never reports -- the independent Nash gap of a
    run that ends with no certified equilibrium (``solve(gap_if_undecided=False)``; such a run is
    not classified, and only its label, status, reason and residual enter the report). The report
    is the same with ``lean=False``."""
    if not isinstance(game, Game):
        raise ValueError(f"game: expected an expfam_nash.Game, got {type(game).__name__}")
    check_int(starts, "starts", minimum=2)
    check_positive(tol, "tol")
    check_int(max_steps, "max_steps")
    if not game.exact:
        raise ValueError(f"game: {game.name} has no exact engine; verify needs exact residuals and Jacobians")
    for flag, name in ((stop_escaping, "stop_escaping"), (lean, "lean")):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"{name}: expected True or False, got {flag!r}")
    results = [(label, solve(game, method=method, init=start, tol=tol, certify=certify,
                             max_steps=max_steps if method == "auto" else 100,
                             stop_escaping=bool(stop_escaping) and method == "auto", gap_if_undecided=not lean))
               for label, start, method in _plan(game, starts, seed)]
    tol_inv = 1e-6
    classes = _classes(game, [(lab, r) for lab, r in results if r.converged], tol_inv)
    runs = tuple((lab, _status(r)) for lab, r in results)
    undecided = tuple((lab, r.verdicts["convergence"].reason, r.residual) for lab, r in results
                      if _status(r) == "undecided")
    rosen = global_certificate(game)
    found = recession_certificate(game) if certify else None
    nonexistence = game.nonexistence() if not certify else "" if found is None else (
        f"the {found[0]} has a recession direction valid for every opponent strategy (checked in exact rational "
        "arithmetic)")
    if certify:
        unique = uq.uniqueness(game, classes, nonexistence, rosen, len(undecided))
        verdicts = {"existence": uq.existence(game, classes, nonexistence, len(undecided)), "uniqueness": unique,
                    "continuum": uq.continuum(game, classes, unique), "escape": uq.escape(runs, nonexistence)}
    else:
        v = Verdict.undecided("uncertified: verify ran with certify=False")
        verdicts = {k: v for k in ("existence", "uniqueness", "continuum", "escape")}
    return VerifyResult(game.name, starts, runs, classes, verdicts, sum(1 for _, s in runs if s == "escaped"),
                        len(undecided), rosen, latent_symmetries(game), undecided,
                        {"residual": tol, "invariant (relative to each invariant's scale)": tol_inv}, nonexistence,
                        {"starts": starts, "seed": seed, "tol": tol, "max_steps": max_steps, "certify": certify,
                         "stop_escaping": bool(stop_escaping), "lean": bool(lean)})
