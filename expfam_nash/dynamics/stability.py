"""Local stability of an equilibrium, judged transversally to the orbit of the continuous latent
symmetries: the Jacobian has exactly ``orbit_dimension`` zero eigenvalues along the orbit; the
equilibrium is ``stable`` when every other eigenvalue has real part < -tol_eig, with
tol_eig = 1e-7 * max(1, max |eigenvalue|). The largest stable step of the discrete iteration
v <- v + lr g(v) is min over those eigenvalues of -2 Re(lambda) / |lambda|^2."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.jsonable import complex_pairs
from ..game import Game, Params


@dataclass(frozen=True, eq=False)
class Stability:
    eigenvalues: np.ndarray
    orbit_dimension: int
    neutral_directions: int
    stable: bool
    max_stable_step: float
    tol: float

    def summary(self) -> str:
        top = self.eigenvalues.real.max() if self.eigenvalues.size else float("nan")
        return (f"{'stable' if self.stable else 'NOT stable'}: largest Re eigenvalue {top:.4g}, orbit dimension "
                f"{self.orbit_dimension}, neutral directions {self.neutral_directions}")

    def to_dict(self) -> dict:
        return {"eigenvalues": complex_pairs(self.eigenvalues), "orbit_dimension": self.orbit_dimension,
                "neutral_directions": self.neutral_directions, "stable": self.stable,
                "max_stable_step": self.max_stable_step, "tol": self.tol}


def orbit_rank(tangents: np.ndarray) -> int:
    """Dimension of the symmetry orbit: the numerical rank of its tangent vectors."""
    if not tangents.size:
        return 0
    return int(np.linalg.matrix_rank(tangents, tol=1e-8 * max(1.0, np.abs(tangents).max(initial=0.0))))


def stability(game: Game, params: Params, jac: np.ndarray | None = None) -> Stability:
    """Spectrum of the game Jacobian and the stability verdict transversal to the symmetry orbit."""
    eig = game.spectrum(params) if jac is None else np.linalg.eigvals(jac)
    eig = eig[np.lexsort((eig.imag, -eig.real))]
    tol = 1e-7 * max(1.0, float(np.abs(eig).max(initial=0.0)))
    orbit = orbit_rank(game.symmetry_tangents(params))
    neutral = int(np.sum(np.abs(eig.real) <= tol))
    order = np.argsort(np.abs(eig))
    rest = eig[order[orbit:]]
    zero_modes_ok = bool(np.all(np.abs(eig[order[:orbit]]) <= tol))
    stable = zero_modes_ok and bool(np.all(rest.real < -tol))
    step = float(np.min(-2 * rest.real / np.abs(rest) ** 2)) if stable and rest.size else 0.0
    return Stability(eig, orbit, neutral, stable, step, tol)
