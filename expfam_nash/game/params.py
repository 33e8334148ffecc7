"""Game parameters (theta, phi) and their flat layout.

Flat order (used by ``Game.flatten``, the Jacobian's rows and columns and every solver):
the free entries of theta in row-major order (``theta[decoder.mask]``), then the free
entries of phi in row-major order (``phi[encoder.mask]``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Params:
    """Decoder parameter ``theta`` (m x k) and encoder parameter ``phi`` (n x l)."""

    theta: np.ndarray
    phi: np.ndarray

    def __post_init__(self):
        for name in ("theta", "phi"):
            arr = np.array(getattr(self, name), dtype=np.float64)  # own copy: frozen means frozen
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    def norm(self) -> float:
        return float(np.sqrt(np.sum(self.theta ** 2) + np.sum(self.phi ** 2)))

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
