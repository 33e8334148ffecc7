"""Best responses: each player's concave maximisation, solved by damped Newton.

    maximise_x f(x),  f concave:  solve (-H + mu I) d = g,  backtrack until Armijo holds.

A finite maximiser may not exist (e.g. logistic regression on separable data). The iteration
reports ``attained=False`` when the natural parameters leave the range where float64 can
still tell probabilities from 0 and 1 (``max |eta| > natural_bound``) while f keeps
increasing, or when the iteration budget ends without meeting the tolerance.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Maximisation:
    x: np.ndarray
    value: float
    gradient_norm: float
    iterations: int
    attained: bool
    reason: str
    #: a recession direction certifying that the supremum is not attained (None otherwise)
    escape_direction: np.ndarray | None = None

    def summary(self) -> str:
        state = "attained" if self.attained else "NOT attained"
        return (f"maximum {state} ({self.reason}): value {self.value:.12g}, |grad| {self.gradient_norm:.3g}, "
                f"{self.iterations} Newton steps")


def newton_maximise(fgh: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
                    value: Callable[[np.ndarray], float], x0: np.ndarray,
                    natural_size: Callable[[np.ndarray], float],
                    in_domain: Callable[[np.ndarray], bool] = lambda x: True,
                    tol: float = 1e-10, max_iter: int = 200, natural_bound: float = 35.0) -> Maximisation:
    """Damped Newton ascent on a concave f given by ``fgh(x) = (f, grad, Hessian)``."""
    x = np.array(x0, dtype=np.float64)
    f, g, h = fgh(x)
    scale = max(1.0, abs(f))
    for it in range(1, max_iter + 1):
        gnorm = float(np.linalg.norm(g))
        if gnorm <= tol * scale:
            return Maximisation(x, f, gnorm, it - 1, True, "gradient below tolerance")
        if natural_size(x) > natural_bound:
            return Maximisation(x, f, gnorm, it - 1, False,
                                f"natural parameters beyond {natural_bound:g} while the utility still increases: "
                                "the supremum is approached at infinity")
        neg_h = -0.5 * (h + h.T)
        mu = 1e-12 * max(1.0, float(np.abs(np.diag(neg_h)).max(initial=0.0)))
        while True:
            try:
                step = np.linalg.solve(neg_h + mu * np.eye(len(x)), g)
                if np.all(np.isfinite(step)):
                    break
            except np.linalg.LinAlgError:
                pass
            mu *= 100.0
        t, slope = 1.0, float(g @ step)
        while t > 1e-12:
            cand = x + t * step
            if in_domain(cand):
                fc = value(cand)
                if np.isfinite(fc) and fc >= f + 1e-4 * t * slope - 1e-15 * scale:
                    break
            t *= 0.5
        else:
            return Maximisation(x, f, gnorm, it, gnorm <= 1e-7 * scale, "line search stalled at the numerical limit")
        x = cand
        f, g, h = fgh(x)
    gnorm = float(np.linalg.norm(g))
    return Maximisation(x, f, gnorm, max_iter, gnorm <= tol * scale, "iteration budget exhausted")
