"""What ``solve`` found: the result contract (frozen, ``summary()``, ``to_dict()``) with the
options it ran with."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..core.formatting import array_line
from ..core.jsonable import complex_pairs, jsonable
from ..game import Params
from .escape import EscapeTest
from .trajectory import Trajectory


@dataclass(frozen=True, eq=False)
class EquilibriumResult:
    """What ``solve`` found. ``converged`` means residual <= tol at a finite point that is not
    escaping; ``diverged`` means the parameters escape to infinity (no finite equilibrium reached).
    ``options`` are the options ``solve`` ran with (method, seed, tol, max_steps, lr, batch_size)."""

    params: Params
    converged: bool
    diverged: bool
    residual: float
    nash_gap: float
    jacobian_eigenvalues: np.ndarray
    stable: bool
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

    @property
    def status(self) -> str:
        return "CONVERGED" if self.converged else ("DIVERGED (escape to infinity)" if self.diverged
                                                   else "NOT CONVERGED")

    def summary(self) -> str:
        eig = self.jacobian_eigenvalues
        top = eig.real.max() if eig.size else float("nan")
        lines = [
            f"{self.game_name}: {self.status} by {self.method} after {self.iterations} iterations ({self.reason})",
            f"  residual |grad|      {self.residual:.3e}",
            f"  Nash gap             {self.nash_gap:.3e}" + ("" if self.best_response_attained
                                                             else "  (lower bound: a best response is not attained)"),
            f"  |params|             {self.params.norm():.6g}",
            f"  stable               {self.stable}  (largest Re eigenvalue {top:.4g}, orbit dimension "
            f"{self.orbit_dimension}, neutral directions {self.neutral_directions})",
        ]
        if self.stable:
            lines.append(f"  largest stable step  {self.max_stable_step:.4g}")
        if self.escape is not None and self.diverged:
            lines.append(f"  escape               {self.escape.summary()}")
        for key, val in self.invariants.items():
            lines.append(f"  {key:<20} " + array_line(val))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({
            "game": self.game_name,
            "converged": self.converged, "diverged": self.diverged, "stable": self.stable,
            "residual": self.residual, "nash_gap": self.nash_gap,
            "jacobian_eigenvalues": complex_pairs(self.jacobian_eigenvalues),
            "iterations": self.iterations, "method": self.method, "reason": self.reason,
            "orbit_dimension": self.orbit_dimension, "neutral_directions": self.neutral_directions,
            "max_stable_step": self.max_stable_step, "best_response_attained": self.best_response_attained,
            "params": self.params.to_dict(),
            "invariants": {k: np.asarray(v).tolist() for k, v in self.invariants.items()},
            "options": self.options,
        })

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)
