"""Data of the collapse models: uncentred second moments, validated, and their spectra.

All three models see the data only through uncentred second moments (no mean subtraction):

    VAE, HVAE:  A = E[x x^T]
    CVAE:       Cxx = E[x x^T], Cxy = E[x y^T], Cyy = E[y y^T]; what the CVAE can still explain
                about y once x is known is the residual second moment (a generalised Schur complement)

                    E = Cyy - Cyx Cxx^+ Cxy,     B = Cyx Cxx^+   (regression of y on x),

    with Cxx^+ the Moore-Penrose pseudo-inverse. For a PSD joint moment, Cyx v = 0 for every v in
    the null space of Cxx (v^T x = 0 almost surely), so E[(y - B x) x^T] = 0 exactly and E is PSD.

Singular moments (always-zero pixels) are valid input: pseudo-inverses are used and every result
says so (``Spectrum.rank`` < dimension). Round-off is judged relative to the largest eigenvalue,
never in absolute units.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._validation import as_float_array

__all__ = ["ROUNDOFF", "Samples", "samples", "Spectrum", "spectrum", "second_moment", "check_moment",
           "check_joint", "residual_moment", "pinv_psd", "rank_cut"]

#: relative round-off tolerance for symmetry, positive semi-definiteness and rank decisions
ROUNDOFF = 1e-10


@dataclass(frozen=True, eq=False)
class Samples:
    """Training samples: ``x`` (N, Dx) and, for the CVAE, ``y`` (N, Dy); their second moments are
    computed once (sweeps build many problems from the same samples)."""

    x: np.ndarray
    y: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @cached_property
    def moments(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(E[x x^T], E[x y^T], E[y y^T]) (the last two None without y)."""
        if self.y is None:
            return second_moment(self.x), None, None
        return second_moment(self.x), second_moment(self.x, self.y), second_moment(self.y)


def samples(x, y=None) -> Samples:
    """Validated samples (rows are data points); ``y`` only for the conditional model."""
    x = as_float_array(x, "x", ndim=2)
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"x: expected at least one sample of dimension >= 1, got shape {x.shape}")
    if y is not None:
        y = as_float_array(y, "y", ndim=2)
        if y.shape[0] != x.shape[0] or y.shape[1] < 1:
            raise ValueError(f"y: expected shape ({x.shape[0]}, Dy >= 1) to match x, got {y.shape}")
    return Samples(x, y)


def second_moment(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """E[a b^T] over the rows (uncentred); ``b`` defaults to ``a`` (then symmetrised exactly)."""
    if b is None:
        m = a.T @ a / a.shape[0]
        return 0.5 * (m + m.T)
    return a.T @ b / a.shape[0]


def _scale(m: np.ndarray) -> float:
    return float(np.abs(m).max(initial=0.0))


def check_moment(value, name: str, dim: int | None = None) -> np.ndarray:
    """A second-moment matrix: square, finite, symmetric and PSD up to round-off (relative to its
    largest entry); returned exactly symmetrised."""
    m = as_float_array(value, name, ndim=2)
    if m.shape[0] != m.shape[1] or m.shape[0] < 1:
        raise ValueError(f"{name}: expected a square matrix, got shape {m.shape}")
    if dim is not None and m.shape[0] != dim:
        raise ValueError(f"{name}: expected shape ({dim}, {dim}), got {m.shape}")
    scale = _scale(m)
    if np.abs(m - m.T).max(initial=0.0) > ROUNDOFF * scale:
        raise ValueError(f"{name}: expected a symmetric matrix (max |M - M^T| = {np.abs(m - m.T).max():.3g})")
    m = 0.5 * (m + m.T)
    low = float(np.linalg.eigvalsh(m)[0])
    if low < -ROUNDOFF * m.shape[0] * scale:
        raise ValueError(f"{name}: expected a positive semi-definite matrix (smallest eigenvalue {low:.3g})")
    return m


def check_joint(cxx: np.ndarray, cxy, cyy: np.ndarray) -> np.ndarray:
    """Validated cross moment E[x y^T] such that the joint second moment of (x, y) is PSD."""
    cxy = as_float_array(cxy, "cxy", ndim=2)
    if cxy.shape != (cxx.shape[0], cyy.shape[0]):
        raise ValueError(f"cxy: expected shape ({cxx.shape[0]}, {cyy.shape[0]}) = (dim x, dim y), got {cxy.shape}")
    joint = np.block([[cxx, cxy], [cxy.T, cyy]])
    low = float(np.linalg.eigvalsh(joint)[0])
    if low < -ROUNDOFF * joint.shape[0] * _scale(joint):
        raise ValueError(f"cxy: the joint second moment [[cxx, cxy], [cxy^T, cyy]] is not positive semi-definite "
                         f"(smallest eigenvalue {low:.3g})")
    return cxy


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Eigen-decomposition of a PSD moment, eigenvalues descending.

    ``reference``: the scale of the matrix the moment was computed from (for the residual E, the
    largest eigenvalue of Cyy: E is a difference, so its round-off is relative to Cyy). Eigenvalues
    at or below ``rank_cut(dim, scale)`` are round-off and set to 0; ``rank`` counts the others;
    ``singular``: rank < dim (a pseudo-inverse is used wherever an inverse would be)."""

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    rank: int
    reference: float = 0.0

    @property
    def dim(self) -> int:
        return int(self.eigenvalues.size)

    @property
    def singular(self) -> bool:
        return self.rank < self.dim

    @property
    def scale(self) -> float:
        """max(largest eigenvalue, reference), 1 for an all-zero moment: the unit of relative tolerances."""
        top = max(float(self.eigenvalues[0]) if self.dim else 0.0, self.reference)
        return top if top > 0 else 1.0

    def summary(self) -> str:
        return (f"{self.dim} eigenvalues, rank {self.rank}" + (" (singular: pseudo-inverses used)" if self.singular
                                                               else "") + f", largest {self.scale:.4g}")

    def to_dict(self) -> dict:
        return {"eigenvalues": self.eigenvalues.tolist(), "rank": self.rank, "dim": self.dim,
                "singular": self.singular}


def spectrum(m: np.ndarray, reference: float = 0.0) -> Spectrum:
    vals, vecs = np.linalg.eigh(m)
    vals, vecs = vals[::-1].copy(), vecs[:, ::-1].copy()
    top = max(float(vals[0]) if vals.size else 0.0, reference, 0.0)
    cut = rank_cut(m.shape[0], top)
    vals[vals <= cut] = 0.0
    return Spectrum(vals, vecs, int(np.sum(vals > 0)), float(reference))


def rank_cut(dim: int, top: float) -> float:
    """Eigenvalues at or below 4 dim eps top are round-off of a symmetric eigensolver (numpy's pinv rule)."""
    return 4.0 * dim * np.finfo(float).eps * top


def pinv_psd(sp_: Spectrum) -> np.ndarray:
    """Moore-Penrose pseudo-inverse of a PSD moment from its spectrum (eigenvalues above the rank cut)."""
    keep = slice(0, sp_.rank)
    v = sp_.eigenvectors[:, keep]
    return (v / sp_.eigenvalues[keep]) @ v.T


def residual_moment(cxx: np.ndarray, cxy: np.ndarray, cyy: np.ndarray) -> tuple[np.ndarray, np.ndarray, Spectrum]:
    """(E, B, spectrum of Cxx): E = Cyy - Cyx Cxx^+ Cxy (symmetrised), B = Cyx Cxx^+."""
    sx = spectrum(cxx)
    B = cxy.T @ pinv_psd(sx)
    E = cyy - B @ cxy
    return 0.5 * (E + E.T), B, sx
