"""Local stability of an equilibrium, transversal to the orbit of the continuous latent symmetries.

The verdict is certified, never read off floating-point eigenvalues: ``stability`` certifies the
equilibrium near the point (``expfam_nash.certify``: a Krawczyk enclosure, then a Lyapunov
matrix verified over it, or an eigenvalue with positive real part proved) and reports the
floating-point spectrum beside it as a diagnostic: the eigenvalues, the number of them with
|Re| <= 1e-7 max |lambda| (``neutral_directions``), and the estimate
min -2 Re(lambda) / |lambda|^2 of the largest stable step of v <- v + lr g(v) (certified per step
size by ``certify.max_stable_step``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..certify import certify_equilibrium
from ..core.jsonable import complex_pairs
from ..core.verdict import Verdict
from ..game import Game, Params


@dataclass(frozen=True, eq=False)
class Stability:
    eigenvalues: np.ndarray          # floating-point spectrum (diagnostic)
    orbit_dimension: int             # certified on the orbit route, else the floating-point rank of the tangents
    neutral_directions: int          # floating point: |Re| <= 1e-7 max |lambda| (diagnostic)
    verdict: Verdict                 # certified / refuted / undecided
    max_stable_step: float           # floating-point estimate when stability is certified, else 0

    @property
    def stable(self) -> bool:
        return self.verdict.holds

    def summary(self) -> str:
        top = self.eigenvalues.real.max() if self.eigenvalues.size else float("nan")
        return (f"stability {self.verdict.summary()}\n  floating point (diagnostic): largest Re eigenvalue {top:.4g}, "
                f"orbit dimension {self.orbit_dimension}, neutral directions {self.neutral_directions}")

    def to_dict(self) -> dict:
        return {"stable": self.stable, "verdict": self.verdict.to_dict(),
                "eigenvalues": complex_pairs(self.eigenvalues), "orbit_dimension": self.orbit_dimension,
                "neutral_directions": self.neutral_directions, "max_stable_step": self.max_stable_step}


def orbit_rank(tangents: np.ndarray) -> int:
    """Dimension of the symmetry orbit: the numerical rank of its tangent vectors (floating point)."""
    if not tangents.size:
        return 0
    top = float(np.abs(tangents).max(initial=0.0))
    return int(np.linalg.matrix_rank(tangents, tol=1e-8 * top)) if top > 0 else 0


def spectrum_diagnostics(eig: np.ndarray, orbit: int) -> tuple[np.ndarray, int, float]:
    """(eigenvalues sorted by descending real part, neutral count, step estimate) -- floating point."""
    eig = eig[np.lexsort((eig.imag, -eig.real))]
    tol = 1e-7 * float(np.abs(eig).max(initial=0.0))
    neutral = int(np.sum(np.abs(eig.real) <= tol))
    rest = eig[np.argsort(np.abs(eig))[orbit:]]
    step = float(np.min(-2 * rest.real / np.abs(rest) ** 2)) if rest.size and np.all(rest.real < 0) else 0.0
    return eig, neutral, step


def stability(game: Game, params: Params, jac: np.ndarray | None = None, certificate=None) -> Stability:
    """Certified stability of the equilibrium at (or within a few Newton steps of) ``params``,
    with the floating-point spectrum as a diagnostic. ``certificate``: an
    :class:`~expfam_nash.certify.EquilibriumCertificate` of that point, if already computed."""
    cert = certify_equilibrium(game, params) if certificate is None else certificate
    eig = game.spectrum(params) if jac is None else np.linalg.eigvals(jac)
    orbit = cert.orbit_dimension if cert.route == "fixed-subspace" else orbit_rank(game.symmetry_tangents(params))
    eig, neutral, step = spectrum_diagnostics(eig, orbit)
    return Stability(eig, orbit, neutral, cert.stability, step if cert.stability.holds else 0.0)
