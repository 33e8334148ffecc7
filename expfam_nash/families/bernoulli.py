"""Product of d Bernoulli variables on {0,1}^d: T(y) = y, A(eta) = sum_c log(1 + e^eta_c)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log1p

from .._validation import check_int
from .base import ExponentialFamily

#: a Bernoulli support this large (2^d points) is the most we enumerate
MAX_BITS_ENUMERABLE = 20


def softplus(eta: np.ndarray) -> np.ndarray:
    """log(1 + e^eta), stable for large |eta|."""
    return np.maximum(eta, 0.0) + log1p(np.exp(-np.abs(eta)))


def binary_support(d: int) -> np.ndarray:
    """All 2^d points of {0,1}^d, row i = binary digits of i, first coordinate most significant."""
    idx = np.arange(2 ** d, dtype=np.int64)
    shifts = np.arange(d - 1, -1, -1, dtype=np.int64)
    return ((idx[:, None] >> shifts[None, :]) & 1).astype(np.float64)


@dataclass(frozen=True, repr=False)
class Bernoulli(ExponentialFamily):
    """Bernoulli(d): independent bits, natural parameter = logits."""

    d: int

    def __post_init__(self):
        check_int(self.d, "d")

    dim = property(lambda self: self.d)
    stat_dim = property(lambda self: self.d)
    finite = True
    name = property(lambda self: f"Bernoulli({self.d})")

    def sufficient_statistics(self, y):
        return np.asarray(y, dtype=np.float64)

    def log_base_measure(self, y):
        return np.zeros(np.asarray(y).shape[0])

    def log_partition(self, eta):
        return softplus(eta).sum(axis=1)

    def mean(self, eta):
        return expit(eta)

    def covariance(self, eta):
        p = expit(eta)
        out = np.zeros(eta.shape + (eta.shape[1],))
        idx = np.arange(eta.shape[1])
        out[:, idx, idx] = p * (1.0 - p)
        return out

    def natural(self, mu):
        mu = self._check_mean(mu)
        if np.any((mu <= 0) | (mu >= 1)):
            raise ValueError("mu: Bernoulli means must lie strictly inside (0, 1)")
        return np.log(mu) - np.log1p(-mu)

    def _sample(self, eta, rng):
        return (rng.random(eta.shape) < expit(eta)).astype(np.float64)

    def support(self):
        if self.d > MAX_BITS_ENUMERABLE:
            raise ValueError(f"d: {self.d} bits give 2^{self.d} points, too many to enumerate "
                             f"(limit 2^{MAX_BITS_ENUMERABLE}); use the sampled engine")
        return binary_support(self.d)

    @property
    def support_size(self):
        return 2 ** self.d

    def check_support(self, y, name="y"):
        y = super().check_support(y, name)
        if np.any((y != 0) & (y != 1)):
            raise ValueError(f"{name}: {self.name} values must be 0 or 1")
        return y
