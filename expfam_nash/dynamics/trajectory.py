"""What a run records: per-step residual, utilities and parameter norm; Nash gap at checkpoints."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.jsonable import jsonable


@dataclass(frozen=True, eq=False)
class Trajectory:
    method: str
    steps: np.ndarray          # iteration index of each record
    residual: np.ndarray       # |pseudo-gradient| (exact, or the minibatch estimate for 'stochastic')
    utilities: np.ndarray      # (records, 2): L_p, L_q
    param_norm: np.ndarray
    gap_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    nash_gap: np.ndarray = field(default_factory=lambda: np.zeros(0))
    interrupted: bool = False
    #: why the run stopped before its budget without converging ("" if it did not): e.g. a step that
    #: overflowed float64 or left the natural domain (the run ends at the last finite iterate)
    failure: str = ""

    @property
    def iterations(self) -> int:
        return int(self.steps[-1]) if self.steps.size else 0

    def concat(self, other: "Trajectory") -> "Trajectory":
        """This run followed by ``other`` (whose step indices continue after this one's)."""
        off = self.iterations
        return Trajectory(f"{self.method}+{other.method}" if other.method != self.method else self.method,
                          np.concatenate([self.steps, other.steps[1:] + off]),
                          np.concatenate([self.residual, other.residual[1:]]),
                          np.concatenate([self.utilities, other.utilities[1:]]),
                          np.concatenate([self.param_norm, other.param_norm[1:]]),
                          np.concatenate([self.gap_steps, other.gap_steps + off]),
                          np.concatenate([self.nash_gap, other.nash_gap]), other.interrupted,
                          other.failure or self.failure)

    def to_dict(self) -> dict:
        return jsonable({"method": self.method, "steps": self.steps.tolist(), "residual": self.residual.tolist(),
                "utilities": self.utilities.tolist(), "param_norm": self.param_norm.tolist(),
                "gap_steps": self.gap_steps.tolist(), "nash_gap": self.nash_gap.tolist(),
                "interrupted": self.interrupted, "failure": self.failure})

    def summary(self) -> str:
        if not self.steps.size:
            return f"{self.method}: empty trajectory"
        gap = f", Nash gap {self.nash_gap[-1]:.3g} at step {self.gap_steps[-1]}" if self.nash_gap.size else ""
        stop = " (interrupted)" if self.interrupted else (f" (stopped: {self.failure})" if self.failure else "")
        return (f"{self.method}: {self.iterations} steps{stop}, residual {self.residual[0]:.3g} -> "
                f"{self.residual[-1]:.3g}, |params| {self.param_norm[0]:.4g} -> {self.param_norm[-1]:.4g}{gap}")


def from_records(method: str, records: list[tuple], gaps: list[tuple], interrupted: bool = False,
                 failure: str = "") -> Trajectory:
    """records: (step, residual, L_p, L_q, norm); gaps: (step, gap)."""
    r = np.array(records, dtype=np.float64).reshape(-1, 5)
    g = np.array(gaps, dtype=np.float64).reshape(-1, 2)
    return Trajectory(method, r[:, 0].astype(np.int64), r[:, 1], r[:, 2:4], r[:, 4],
                      g[:, 0].astype(np.int64), g[:, 1], interrupted, failure)
