"""Result types of the certifier: frozen dataclasses with ``summary()`` and ``to_dict()``."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._jsonable import jsonable
from ..core.verdict import Verdict


def _f(x) -> float:
    return float(x) if x is not None else float("nan")


@dataclass(frozen=True, eq=False)
class EquilibriumCertificate:
    """What :func:`certify_equilibrium` proved about a point.

    ``existence``: a zero of the pseudo-gradient within ``enclosure_radius`` (per coordinate) of
    ``center``; ``uniqueness``: the only one in the box ``center +- box_radius`` (up to the
    symmetry orbit when ``orbit_dimension > 0``); ``stability``: of the gradient flow at that
    zero, transversally to the orbit or the continuum; ``continuum``: certified when a manifold
    of equilibria passes through it, refuted when it is isolated (up to symmetry). ``route``:
    "full" (Krawczyk on all coordinates), "fixed-subspace" (a symmetry's fixed-point subspace),
    "coupling" (the tabular coupling manifold) or "none". ``offset``: max |center - given point|
    (floating point). ``decay``: certified lower bound of -max Re(lambda) transversal to the
    orbit (the Lyapunov margin, in the units of J)."""

    game: str
    method: str
    rigour: str
    route: str
    existence: Verdict
    uniqueness: Verdict
    stability: Verdict
    continuum: Verdict
    center: np.ndarray
    enclosure_radius: np.ndarray | None
    box_radius: np.ndarray | None
    offset: float
    decay: float
    orbit_dimension: int
    timings: dict
    jacobian: object = field(default=None, repr=False)        # Ball J over the box (internal reuse)
    transversal: object = field(default=None, repr=False)     # Ball of the quotient Jacobian, if any
    gradient: object = field(default=None, repr=False)        # Ball of g at the center (full route)
    lyapunov: object = field(default=None, repr=False)        # the verified InertiaOutcome (full route, one block)

    @property
    def converged(self) -> bool:
        """True only when an equilibrium is certified to exist."""
        return self.existence.holds

    @property
    def stable(self) -> bool:
        return self.stability.holds

    @property
    def radius(self) -> float:
        """max_i of the enclosure radius (nan when existence is not certified)."""
        return float(np.max(self.enclosure_radius)) if self.enclosure_radius is not None and \
            self.enclosure_radius.size else float("nan")

    def summary(self) -> str:
        lines = [f"{self.game}: equilibrium certificate ({self.method}, route {self.route})",
                 f"  existence   {self.existence.summary()}",
                 f"  uniqueness  {self.uniqueness.summary()}",
                 f"  stability   {self.stability.summary()}",
                 f"  continuum   {self.continuum.summary()}"]
        if self.existence.holds:
            lines.append(f"  enclosure radius {self.radius:.3g} (box {float(np.max(self.box_radius)):.3g}), "
                         f"offset from the given point {self.offset:.3g}")
        if np.isfinite(self.decay):
            lines.append(f"  Lyapunov margin  max Re(lambda) <= -{self.decay:.4g}")
        lines.append(f"  rigour: {self.rigour}")
        lines.append("  time   " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in self.timings.items()))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({
            "game": self.game, "method": self.method, "rigour": self.rigour, "route": self.route,
            "converged": self.converged, "stable": self.stable,
            "existence": self.existence.to_dict(), "uniqueness": self.uniqueness.to_dict(),
            "stability": self.stability.to_dict(), "continuum": self.continuum.to_dict(),
            "center": np.asarray(self.center).tolist(), "enclosure_radius_max": self.radius,
            "enclosure_radius": None if self.enclosure_radius is None else np.asarray(self.enclosure_radius).tolist(),
            "offset": _f(self.offset), "lyapunov_decay": _f(self.decay), "orbit_dimension": self.orbit_dimension,
            "timings": dict(self.timings)})


@dataclass(frozen=True, eq=False)
class EscapeCertificate:
    """``escape``: certified (a recession direction: no finite equilibrium exists and every flow
    trajectory is unbounded), refuted (the run's end point lies in the certified basin of a
    stable equilibrium) or undecided with ``diagnostics``."""

    game: str
    escape: Verdict
    player: str | None
    direction: np.ndarray | None
    diagnostics: dict

    @property
    def diverged(self) -> bool:
        return self.escape.holds

    def summary(self) -> str:
        lines = [f"{self.game}: escape {self.escape.summary()}"]
        if self.direction is not None:
            lines.append(f"  recession direction of the {self.player}: {np.array2string(self.direction, precision=3)}")
        for k, v in self.diagnostics.items():
            lines.append(f"  {k}: {v}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"game": self.game, "diverged": self.diverged, "escape": self.escape.to_dict(),
                         "player": self.player,
                         "direction": None if self.direction is None else np.asarray(self.direction).tolist(),
                         "diagnostics": self.diagnostics})


@dataclass(frozen=True, eq=False)
class NashGapCertificate:
    """``bound``: a certified upper bound of the Nash gap (sum over players of
    sup U - U(current)), from the local strong concavity of each player's utility;
    ``per_player``: (bound, mu, certified radius) per player; ``independent``: the gap measured
    with best responses started away from the current point (floating point)."""

    game: str
    gap: Verdict
    bound: float
    per_player: dict
    independent: float
    independent_detail: dict

    def summary(self) -> str:
        extra = (f"; independent best responses (floating point) {self.independent:.3g}"
                 if np.isfinite(self.independent) else "")
        return f"{self.game}: Nash gap {self.gap.summary()}\n  certified bound {self.bound:.3g}{extra}"

    def to_dict(self) -> dict:
        return jsonable({"game": self.game, "gap": self.gap.to_dict(), "bound": self.bound,
                         "per_player": self.per_player, "independent": self.independent,
                         "independent_detail": self.independent_detail})


@dataclass(frozen=True, eq=False)
class StepCertificate:
    """The largest step size lr of v <- v + lr g(v) that keeps the equilibrium stable lies in
    (``lower``, ``upper``) (both certified when ``bracket`` is certified); ``estimate`` is the
    floating-point value min over lambda of -2 Re(lambda) / |lambda|^2."""

    game: str
    bracket: Verdict
    lower: float
    upper: float
    estimate: float

    def verdict(self, lr: float) -> Verdict:
        """Is the discrete iteration with this step locally stable?"""
        lr = float(lr)
        if not lr > 0:
            raise ValueError(f"lr: expected a step size > 0, got {lr!r}")
        if self.lower > 0 and lr <= self.lower:
            return Verdict.certified(f"lr = {lr:.4g} <= {self.lower:.4g}: the iteration is locally stable",
                                     lr=lr, lower=self.lower)
        if np.isfinite(self.upper) and lr >= self.upper:
            return Verdict.refuted(f"lr = {lr:.4g} >= {self.upper:.4g}: the iteration is unstable although "
                                   "the flow may be stable", lr=lr, upper=self.upper)
        return Verdict.undecided(f"lr = {lr:.4g} inside the uncertified bracket ({self.lower:.4g}, {self.upper:.4g})",
                                 lr=lr)

    def summary(self) -> str:
        return (f"{self.game}: largest stable step in ({self.lower:.6g}, {self.upper:.6g}) "
                f"[{self.bracket.status.value}], estimate {self.estimate:.6g}")

    def to_dict(self) -> dict:
        return jsonable({"game": self.game, "bracket": self.bracket.to_dict(), "lower": self.lower,
                         "upper": self.upper, "estimate": self.estimate})
