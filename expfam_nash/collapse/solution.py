"""Per-mode solutions: the closed form (``Theory``), the numerical optimum and the trained model
share one shape (``Solution``), so they can be compared field by field.

Conventions. Decoder singular values are listed per mode in descending order; for the HVAE every
field is a pair (level 1: the p(x|z1) map U1 and q(z1|x) map W1; level 2: the p(z1|z2) map U2,
the q(z2|z1) map W2 and Sigma2). Encoder singular values are those of the encoder's mean map
restricted to the range of its input's second moment (the map is not identified on the null
space). A mode is *collapsed* when its decoder singular value is 0; at the global minimum this
forces the encoder's mean map on that mode to 0 and, when the encoder variance is learned, the
encoder variance to equal the prior's, so q equals the prior on the mode. On the threshold itself
(equality) the minimiser is the collapsed one: equality counts as collapsed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._jsonable import jsonable

__all__ = ["Solution", "Theory", "as_pair"]


def as_pair(value) -> tuple[np.ndarray, ...]:
    """Fields are arrays (one level) or pairs of arrays (HVAE): always a tuple of arrays."""
    return tuple(value) if isinstance(value, tuple) else (value,)


@dataclass(frozen=True, eq=False)
class Solution:
    """Per-mode values of one model (see the module docstring for the conventions)."""

    source: str
    decoder_singular_values: np.ndarray | tuple[np.ndarray, np.ndarray]
    encoder_singular_values: np.ndarray | tuple[np.ndarray, np.ndarray]
    encoder_std: np.ndarray
    collapsed: np.ndarray | tuple[np.ndarray, np.ndarray]
    loss: float

    @property
    def active_modes(self) -> int | tuple[int, int]:
        """Number of modes that are not collapsed (a pair for the HVAE)."""
        counts = tuple(int(np.sum(~c)) for c in as_pair(self.collapsed))
        return counts if isinstance(self.collapsed, tuple) else counts[0]

    def summary(self) -> str:
        svs = "; ".join(np.array2string(np.asarray(v), precision=4) for v in as_pair(self.decoder_singular_values))
        return f"{self.source}: loss {self.loss:.10g}, active modes {self.active_modes}, decoder singular values {svs}"

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("source", "decoder_singular_values", "encoder_singular_values",
                                              "encoder_std", "collapsed", "loss", "active_modes")}
        return jsonable(out)


@dataclass(frozen=True, eq=False)
class Theory(Solution):
    """The closed-form global minimiser, with the data eigenvalue of every mode (``eigenvalues``:
    of A for VAE/HVAE, of the residual E for the CVAE) and the collapse threshold of every mode:
    a mode is active iff its eigenvalue is > its threshold (-inf: active for every eigenvalue,
    +inf: never). ``tolerance``: eigenvalues within this distance of a threshold are undecided
    (round-off of the eigen-decomposition, relative to the largest eigenvalue). ``undecided``: per
    level, modes whose status the closed form cannot decide in floating point for another reason
    (``undecided_reason``), e.g. HVAE level 2 when its regime switch a = b holds within round-off."""

    eigenvalues: np.ndarray = field(default_factory=lambda: np.zeros(0))
    thresholds: np.ndarray | tuple[np.ndarray, np.ndarray] = field(default_factory=lambda: np.zeros(0))
    tolerance: float = 0.0
    undecided: tuple[np.ndarray, ...] | None = None
    undecided_reason: str = ""

    def margins(self) -> tuple[np.ndarray, ...]:
        """eigenvalue - threshold per mode and level (+-inf where the threshold is infinite)."""
        lam = self.eigenvalues
        return tuple(_pad(lam, thr.size) - thr for thr in as_pair(self.thresholds))

    def to_dict(self) -> dict:
        out = super().to_dict()
        out.update(jsonable({"eigenvalues": self.eigenvalues, "thresholds": self.thresholds,
                             "tolerance": self.tolerance}))
        return out


def _pad(values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    m = min(n, values.size)
    out[:m] = values[:m]
    return out
