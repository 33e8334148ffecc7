"""Escape to infinity: a player's supremum is approached only as parameters grow without bound.

Along such a run the pseudo-gradient shrinks but never vanishes at a finite point, and the
parameter norm grows like a + b log(t) (as in logistic regression on separable data). A run
is declared escaping when, over the last half of its steps:

* the norm never decreases by more than a rounding-sized amount and grows by at least
  ``min_growth`` per e-fold of steps (slope b of the least-squares fit of norm on log t);
* the residual has not grown (it is decaying or flat);
* and the run has not converged (the caller decides that from the residual).

A run converging geometrically to a finite point has b -> 0 over [t/2, t] (the norm settles
exponentially fast), so the slope separates the two regimes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EscapeTest:
    escaping: bool
    slope: float          # d |params| / d log(step) over the last half of the run
    growth: float         # |params| at the end minus at the window start
    window: tuple[int, int]

    def summary(self) -> str:
        verdict = "escaping to infinity" if self.escaping else "no escape detected"
        return (f"{verdict}: |params| grew by {self.growth:.3g} over steps {self.window[0]}..{self.window[1]} "
                f"(slope {self.slope:.3g} per e-fold of steps)")

    def to_dict(self) -> dict:
        return {"escaping": self.escaping, "slope": self.slope, "growth": self.growth, "window": list(self.window)}


def escape_test(steps: np.ndarray, norm: np.ndarray, residual: np.ndarray, min_growth: float = 0.1,
                min_steps: int = 200) -> EscapeTest:
    steps = np.asarray(steps, dtype=np.float64)
    t_end = steps[-1] if steps.size else 0.0
    if steps.size < 8 or t_end < min_steps:
        return EscapeTest(False, 0.0, 0.0, (0, int(t_end)))
    sel = steps >= 0.5 * t_end
    t, n, r = np.maximum(steps[sel], 1.0), np.asarray(norm)[sel], np.asarray(residual)[sel]
    if not (np.all(np.isfinite(n)) and np.all(np.isfinite(r))):   # overflowed records: no evidence either way
        return EscapeTest(False, 0.0, 0.0, (int(t[0]), int(t_end)))
    x = np.log(t)
    with np.errstate(all="ignore"):
        slope = float(np.polyfit(x, n, 1)[0]) if np.ptp(x) > 0 else 0.0
    growth = float(n[-1] - n[0])
    monotone = bool(np.all(np.diff(n) >= -1e-9 * max(1.0, float(n.max()))))
    shrinking = bool(r[-1] <= 1.01 * r[0])
    escaping = bool(monotone and shrinking and np.isfinite(slope) and slope >= min_growth and growth > 0)
    return EscapeTest(escaping, slope, growth, (int(t[0]), int(t_end)))
