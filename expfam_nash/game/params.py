"""Game parameters (theta, phi) and their flat layout.

Flat order (used by ``Game.flatten``, the Jacobian's rows and columns and every solver):
the free entries of theta in row-major order (``theta[decoder.mask]``), then the free
entries of phi in row-major order (``phi[encoder.mask]``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.validation import as_float_array


def stable_norm(*arrays: np.ndarray) -> float:
    """The Euclidean norm of the arrays' entries together, without overflow: max |v| times the norm
    of v / max |v| (finite whenever the entries are, even near 1e300)."""
    top = max((float(np.max(np.abs(a))) for a in arrays if np.size(a)), default=0.0)
    if top == 0.0 or not np.isfinite(top):
        return top
    return top * float(np.sqrt(sum(np.sum((np.asarray(a) / top) ** 2) for a in arrays)))


@dataclass(frozen=True, eq=False)
class Params:
    """Decoder parameter ``theta`` (m x k) and encoder parameter ``phi`` (n x l)."""

    theta: np.ndarray
    phi: np.ndarray

    def __post_init__(self):
        for name in ("theta", "phi"):      # own copy: frozen means frozen (finiteness: Game.check)
            arr = np.array(as_float_array(getattr(self, name), name, ndim=2, finite=False))
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def norm(self) -> float:
        return stable_norm(self.theta, self.phi)

    def to_dict(self) -> dict:
        return {"theta": self.theta.tolist(), "phi": self.phi.tolist()}

    def summary(self) -> str:
        return f"theta {self.theta.shape}, phi {self.phi.shape}, |params| {self.norm():.4g}"

    def __repr__(self) -> str:
        return f"Params(theta={self.theta.shape}, phi={self.phi.shape}, norm={self.norm():.4g})"


@dataclass(frozen=True)
class Layout:
    theta_mask: np.ndarray
    phi_mask: np.ndarray

    @property
    def n_theta(self) -> int:
        return int(self.theta_mask.sum())

    @property
    def size(self) -> int:
        return self.n_theta + int(self.phi_mask.sum())

    def flatten(self, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
        return np.concatenate([theta[self.theta_mask], phi[self.phi_mask]])

    def unflatten(self, vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vec = np.asarray(vec, dtype=np.float64)
        if vec.shape != (self.size,):
            raise ValueError(f"vec: expected a flat vector of length {self.size}, got shape {vec.shape}")
        theta = np.zeros(self.theta_mask.shape)
        phi = np.zeros(self.phi_mask.shape)
        theta[self.theta_mask] = vec[: self.n_theta]
        phi[self.phi_mask] = vec[self.n_theta:]
        return theta, phi
