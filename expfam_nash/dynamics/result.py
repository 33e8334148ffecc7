"""What ``solve`` found: the result contract (frozen, ``summary()``, ``to_dict()``) with the
options it ran with, its three-valued verdicts and the certificate numbers behind them."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..core.formatting import array_line
from ..core.jsonable import complex_pairs, jsonable
from ..core.verdict import Verdict
from ..game import Params
from .certified import NAMES
from .escape import EscapeTest
from .trajectory import Trajectory


def _sci(value: float) -> str:
    """3-digit scientific notation, or "n/a" for a value that could not be computed (NaN)."""
    return f"{value:.3e}" if np.isfinite(value) else "n/a"


@dataclass(frozen=True, eq=False)
class EquilibriumResult:
    """What ``solve`` found.

    ``verdicts``: existence, convergence, stability, uniqueness (local), continuum (local),
    escape, step (fixed-step methods only) and nash_gap, each a three-valued Verdict (see
    :mod:`expfam_nash.dynamics.certified`). The booleans are true only when certified:
    ``converged`` (convergence), ``stable`` (stability, at a converged point), ``diverged``
    (escape). Certificate numbers: ``enclosure_radius`` (an equilibrium lies within it of
    ``params``; nan without one), ``lyapunov_margin`` (every eigenvalue transversal to the orbit
    has Re <= -margin), ``nash_gap_bound`` (certified; inf without one), ``recession`` (player and
    direction of a certified escape). Floating-point diagnostics, not verdicts:
    ``jacobian_eigenvalues``, ``neutral_directions``, ``max_stable_step`` (estimate), ``escape``
    (the trajectory's growth test), ``nash_gap`` (the certified bound when there is one, else
    best responses started away from the point). ``options``: the options solve ran with."""

    params: Params
    verdicts: dict
    residual: float
    nash_gap: float
    jacobian_eigenvalues: np.ndarray
    iterations: int
    method: str
    reason: str
    orbit_dimension: int
    neutral_directions: int
    max_stable_step: float
    invariants: dict
    trajectory: Trajectory
    escape: EscapeTest | None = None
    best_response_attained: bool = True
    game_name: str = field(default="game")
    options: dict = field(default_factory=dict)
    enclosure_radius: float = float("nan")
    lyapunov_margin: float = float("nan")
    nash_gap_bound: float = float("inf")
    recession: dict | None = None
    polish: dict | None = None
    certified: bool = True
    certificate: object = field(default=None, repr=False)

    def verdict(self, name: str) -> Verdict:
        return self.verdicts[name]

    @property
    def converged(self) -> bool:
        """True only when an equilibrium is certified within ``enclosure_radius`` of ``params``."""
        return self.verdicts["convergence"].holds

    @property
    def diverged(self) -> bool:
        """True only when escape to infinity is certified (a recession direction)."""
        return self.verdicts["escape"].holds

    @property
    def stable(self) -> bool:
        return self.converged and self.verdicts["stability"].holds

    @property
    def status(self) -> str:
        if self.converged:
            return "CONVERGED (certified equilibrium)"
        if self.diverged:
            return "DIVERGED (certified escape to infinity)"
        if self.verdicts["convergence"].status.value == "refuted":
            return "NOT CONVERGED (refuted)"
        return "UNDECIDED"

    def _certificate_lines(self) -> list[str]:
        lines = []
        if np.isfinite(self.enclosure_radius):
            lines.append(f"  enclosure radius     {self.enclosure_radius:.3g}  (an equilibrium lies within it of params)")
        if np.isfinite(self.lyapunov_margin):
            lines.append(f"  Lyapunov margin      every eigenvalue (off the orbit) has Re <= -{self.lyapunov_margin:.4g}")
        gap = (f"<= {self.nash_gap_bound:.3g} (certified)" if np.isfinite(self.nash_gap_bound) else
               "not computed (gap_if_undecided=False: no equilibrium certified)"
               if self.verdicts.get("nash_gap") is not None and self.verdicts["nash_gap"].evidence.get("skipped") else
               f"{_sci(self.nash_gap)} (floating point, best responses from independent starts"
               + ("" if self.best_response_attained else "; a supremum is not attained: a lower bound") + ")")
        lines.append(f"  Nash gap             {gap}")
        if self.recession is not None:
            lines.append(f"  recession direction  of the {self.recession['player']}: "
                         + np.array2string(np.asarray(self.recession["direction"]), precision=3).replace("\n", ""))
        return lines

    def summary(self) -> str:
        eig = self.jacobian_eigenvalues
        top = eig.real.max() if eig.size else float("nan")
        lines = [f"{self.game_name}: {self.status} by {self.method} after {self.iterations} iterations ({self.reason})"]
        lines += [f"  {name:<12} {self.verdicts[name].summary()}" for name in NAMES if name in self.verdicts]
        lines.append(f"  residual |grad|      {_sci(self.residual)}")
        lines += self._certificate_lines()
        lines.append(f"  |params|             {self.params.norm():.6g}")
        lines.append(f"  floating point       largest Re eigenvalue {top:.4g}, orbit dimension {self.orbit_dimension}, "
                     f"neutral directions {self.neutral_directions}" + (
                         f", largest stable step ~{self.max_stable_step:.4g}" if self.max_stable_step > 0 else "")
                     + " (diagnostics, not verdicts)")
        if self.escape is not None and self.escape.escaping:
            lines.append(f"  trajectory           {self.escape.summary()} (evidence, not a certificate)")
        for key, val in self.invariants.items():
            lines.append(f"  {key:<20} " + array_line(val))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({
            "game": self.game_name,
            "converged": self.converged, "diverged": self.diverged, "stable": self.stable,
            "certified": self.certified,
            "verdicts": {name: v.to_dict() for name, v in self.verdicts.items()},
            "enclosure_radius": self.enclosure_radius, "lyapunov_margin": self.lyapunov_margin,
            "nash_gap_bound": self.nash_gap_bound,
            "recession": None if self.recession is None else {
                "player": self.recession["player"], "direction": np.asarray(self.recession["direction"]).tolist()},
            "residual": self.residual, "nash_gap": self.nash_gap,
            "jacobian_eigenvalues": complex_pairs(self.jacobian_eigenvalues),
            "iterations": self.iterations, "method": self.method, "reason": self.reason,
            "orbit_dimension": self.orbit_dimension, "neutral_directions": self.neutral_directions,
            "max_stable_step": self.max_stable_step, "best_response_attained": self.best_response_attained,
            "polish": self.polish,
            "params": self.params.to_dict(),
            "invariants": {k: np.asarray(v).tolist() for k, v in self.invariants.items()},
            "options": self.options,
        })

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)
