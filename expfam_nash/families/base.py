"""Exponential families p(y) = h(y) exp(<T(y), eta> - A(eta)).

Every family works on batches: a variable ``y`` is an ``(N, dim)`` array, a natural
parameter ``eta`` an ``(N, stat_dim)`` array, and the methods act row-wise.
Natural and mean parameters are separate coordinates:

* ``log_partition(eta) = A(eta)``,
* ``mean(eta) = grad A(eta) = E[T(y)]`` (the mean map),
* ``covariance(eta) = Hessian A(eta) = Cov[T(y)]``,
* ``natural(mu)`` inverts the mean map on the interior of the mean domain.

Tests check grad A = mean and Hessian A = covariance by finite differences.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .._validation import as_float_array, as_rng


class ExponentialFamily(ABC):
    """Abstract exponential family over a space of ``dim``-dimensional variables."""

    #: dimension of the variable y
    dim: int
    #: dimension m of the sufficient statistic T(y)
    stat_dim: int
    #: True when the support is finite (enumerable)
    finite: bool
    name: str

    # -- the family ------------------------------------------------------------
    @abstractmethod
    def sufficient_statistics(self, y: np.ndarray) -> np.ndarray:
        """T(y), shape (N, stat_dim)."""

    @abstractmethod
    def log_base_measure(self, y: np.ndarray) -> np.ndarray:
        """log h(y), shape (N,)."""

    @abstractmethod
    def log_partition(self, eta: np.ndarray) -> np.ndarray:
        """A(eta), shape (N,)."""

    @abstractmethod
    def mean(self, eta: np.ndarray) -> np.ndarray:
        """Mean map mu(eta) = grad A(eta) = E[T(y)], shape (N, stat_dim)."""

    @abstractmethod
    def covariance(self, eta: np.ndarray) -> np.ndarray:
        """Cov[T(y)] = Hessian of A, shape (N, stat_dim, stat_dim)."""

    @abstractmethod
    def natural(self, mu: np.ndarray) -> np.ndarray:
        """Inverse of the mean map: eta with mean(eta) = mu."""

    @abstractmethod
    def _sample(self, eta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One draw per row of eta."""

    def natural_mask(self, n_features: int, bias_index: int | None) -> np.ndarray:
        """Free entries of a lifted parameter theta (stat_dim x n_features), eta = theta psi."""
        return np.ones((self.stat_dim, n_features), dtype=bool)

    # -- derived ---------------------------------------------------------------
    def log_density(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """log p(y; eta) = log h(y) + <T(y), eta> - A(eta), row-wise."""
        y = self.check_support(y, "y")
        eta = self.check_natural(eta, "eta")
        if eta.shape[0] not in (1, y.shape[0]):
            raise ValueError(f"eta: expected 1 or {y.shape[0]} rows to match y, got {eta.shape[0]}")
        t = self.sufficient_statistics(y)
        return self.log_base_measure(y) + np.sum(t * eta, axis=1) - self.log_partition(eta)

    def sample(self, eta: np.ndarray, seed: int | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
        """One draw y ~ p(.; eta_i) for each row i of ``eta``."""
        eta = self.check_natural(eta, "eta")
        return self._sample(eta, as_rng(seed, rng))

    def support(self) -> np.ndarray:
        """All points of a finite support, shape (support_size, dim)."""
        raise ValueError(f"{self.name}: the support is continuous and cannot be enumerated; use the sampled engine")

    @property
    def support_size(self) -> float:
        return float("inf")

    # -- validation ------------------------------------------------------------
    def check_natural(self, eta, name: str = "eta") -> np.ndarray:
        eta = as_float_array(eta, name)
        if eta.ndim == 1:
            eta = eta[None, :]
        if eta.ndim != 2 or eta.shape[1] != self.stat_dim:
            raise ValueError(f"{name}: expected shape (N, {self.stat_dim}) for {self.name}, got {eta.shape}")
        return eta

    def _check_mean(self, mu, name: str = "mu") -> np.ndarray:
        """A finite mean parameter of shape (stat_dim,) or (N, stat_dim); the shape is kept."""
        mu = as_float_array(mu, name)
        if mu.ndim == 0 and self.stat_dim == 1:
            return mu
        if mu.ndim not in (1, 2) or mu.shape[-1] != self.stat_dim:
            raise ValueError(f"{name}: expected shape (N, {self.stat_dim}) for {self.name}, got {mu.shape}")
        return mu

    def check_support(self, y, name: str = "y") -> np.ndarray:
        y = as_float_array(y, name)
        if y.ndim == 1:
            y = y[None, :] if self.dim > 1 or y.size == 1 else y[:, None]
        if y.ndim != 2 or y.shape[1] != self.dim:
            raise ValueError(f"{name}: expected shape (N, {self.dim}) for {self.name}, got {y.shape}")
        return y

    def __repr__(self) -> str:
        return self.name
