"""A collapse problem: validated hyper-parameters, data moments, the objective and the closed form.

``vae_problem``, ``cvae_problem`` and ``hvae_problem`` validate every argument before any work
(one-line ``ValueError`` naming the argument) and return a ``Problem``; the public functions of
``expfam_nash.collapse`` solve it (closed form, numerical optimum, optional training).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import check_int, check_positive
from ..core.validation import shown
from .moments import (
    Samples,
    Spectrum,
    check_joint,
    check_moment,
    residual_moment,
    spectrum,
)
from .objectives import CVAEObjective, HVAEObjective, VAEObjective
from .solution import Theory
from .theory import hvae_theory, vae_theory

__all__ = ["Problem", "vae_problem", "cvae_problem", "hvae_problem", "parse_variance"]


@dataclass(frozen=True, eq=False)
class Problem:
    """Everything a solver needs. ``moment``: what the objective takes (A, or the joint moment of
    (x, y) for the CVAE); ``spectrum``: of A, or of the residual E for the CVAE; ``units``: the
    natural unit of the decoder singular values per level (for relative tolerances)."""

    model: str
    objective: VAEObjective | CVAEObjective | HVAEObjective
    moment: np.ndarray
    spectrum: Spectrum
    theory: Theory
    units: tuple[float, ...]
    settings: dict
    samples: Samples | None = None
    residual: np.ndarray | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def parse_variance(value, name: str, squared: bool = False) -> float | None:
    """'learned' -> None; a number > 0 -> itself (``squared``: returned squared)."""
    if isinstance(value, str):
        if value == "learned":
            return None
        raise ValueError(f"{name}: expected 'learned' or a number > 0, got {shown(value)}")
    v = check_positive(value, name)
    return v * v if squared else v


def _moment_or_samples(cxx, name: str = "cxx"):
    if isinstance(cxx, Samples):
        return cxx.moments[0], cxx
    return check_moment(cxx, name), None


def _singular_note(sp_: Spectrum, what: str) -> tuple[str, ...]:
    if not sp_.singular:
        return ()
    return (f"{what} is singular (rank {sp_.rank} of {sp_.dim}): pseudo-inverses are used and the encoder map "
            f"is reported on its range only",)


def vae_problem(cxx, latent_dim: int, beta=1.0, eta_enc=1.0, eta_dec=1.0, encoder_var="learned") -> Problem:
    d = check_int(latent_dim, "latent_dim")
    beta, ee, ed = (check_positive(v, n) for v, n in ((beta, "beta"), (eta_enc, "eta_enc"), (eta_dec, "eta_dec")))
    var = parse_variance(encoder_var, "encoder_var")
    A, smp = _moment_or_samples(cxx)
    sp_ = spectrum(A)
    theory = vae_theory(sp_.eigenvalues, d, beta, ee, ed, var)
    settings = dict(dim=A.shape[0], latent_dim=d, beta=beta, eta_enc=ee, eta_dec=ed,
                    encoder_var="learned" if var is None else var)
    return Problem("vae", VAEObjective(A.shape[0], d, beta, ee, ed, var), A, sp_, theory,
                   (np.sqrt(sp_.scale) / ee,), settings, smp, notes=_singular_note(sp_, "E[x x^T]"))


def cvae_problem(cxx, cxy=None, cyy=None, latent_dim: int = 1, beta=1.0, eta_enc=1.0, eta_dec=1.0,
                 encoder_var="learned") -> Problem:
    d = check_int(latent_dim, "latent_dim")
    beta, ee, ed = (check_positive(v, n) for v, n in ((beta, "beta"), (eta_enc, "eta_enc"), (eta_dec, "eta_dec")))
    var = parse_variance(encoder_var, "encoder_var")
    if isinstance(cxx, Samples):
        if cxx.y is None:
            raise ValueError("cxx: the CVAE needs samples of both x and y (collapse.samples(x, y))")
        smp = cxx
        Cxx, Cxy, Cyy = cxx.moments
    else:
        if cxy is None or cyy is None:
            raise ValueError("cxy: the CVAE needs cxx, cxy = E[x y^T] and cyy (or collapse.samples(x, y))")
        smp = None
        Cxx, Cyy = check_moment(cxx, "cxx"), check_moment(cyy, "cyy")
        Cxy = check_joint(Cxx, cxy, Cyy)
    E, B, sx = residual_moment(Cxx, Cxy, Cyy)
    sp_ = spectrum(E, reference=float(np.linalg.eigvalsh(Cyy)[-1]))
    theory = vae_theory(sp_.eigenvalues, d, beta, ee, ed, var)
    joint = np.block([[Cxx, Cxy], [Cxy.T, Cyy]])
    dx, dy = Cxx.shape[0], Cyy.shape[0]
    settings = dict(dim_x=dx, dim_y=dy, latent_dim=d, beta=beta, eta_enc=ee, eta_dec=ed,
                    encoder_var="learned" if var is None else var)
    notes = _singular_note(sx, "E[x x^T]") + _singular_note(sp_, "the residual E")
    return Problem("cvae", CVAEObjective(dx, dy, d, beta, ee, ed, var), joint, sp_, theory,
                   (np.sqrt(sp_.scale) / ee,), settings, smp, residual=E, notes=notes)


def hvae_problem(cxx, latent_dims, sigma1=1.0, sigma2="learned", beta1=1.0, beta2=1.0, eta_enc=1.0,
                 eta_dec=1.0) -> Problem:
    if not isinstance(latent_dims, (tuple, list)) or len(latent_dims) != 2:
        raise ValueError(f"latent_dims: expected a pair (d1, d2), got {shown(latent_dims)}")
    d1, d2 = check_int(latent_dims[0], "latent_dims[0]"), check_int(latent_dims[1], "latent_dims[1]")
    b1, b2, ee, ed, s1 = (check_positive(v, n) for v, n in ((beta1, "beta1"), (beta2, "beta2"), (eta_enc, "eta_enc"),
                                                             (eta_dec, "eta_dec"), (sigma1, "sigma1")))
    s2 = parse_variance(sigma2, "sigma2")
    A, smp = _moment_or_samples(cxx)
    sp_ = spectrum(A)
    theory = hvae_theory(sp_.eigenvalues, (d1, d2), b1, b2, ee, ed, s1, s2)
    t1 = theory.encoder_singular_values[0] ** 2 * theory.eigenvalues      # s^2 of W1 A^(1/2) per mode
    mu_max = s1 ** 2 + float(t1.max(initial=0.0))                         # largest eigenvalue of C1
    settings = dict(dim=A.shape[0], latent_dims=[d1, d2], beta1=b1, beta2=b2, eta_enc=ee, eta_dec=ed, sigma1=s1,
                    sigma2="learned" if s2 is None else s2)
    return Problem("hvae", HVAEObjective(A.shape[0], (d1, d2), b1, b2, ee, ed, s1, s2), A, sp_, theory,
                   (np.sqrt(sp_.scale) / s1, np.sqrt(mu_max) / ee), settings, smp,
                   notes=_singular_note(sp_, "E[x x^T]"))
