"""Categorical(K) on {0..K-1}: T(y) = one-hot of y without the reference class 0.

A(eta) = log(1 + sum_c e^eta_c); mean = softmax((0, eta))[1:]; Cov = diag(mu) - mu mu^T.
The variable is stored as an (N, 1) float array holding the class index.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.special import logsumexp

from ..core.registry import Arg
from ..core.validation import check_int
from ..kernels import codes
from ..kernels.samples import categorical_from_uniform
from .base import ExponentialFamily
from .registry import FAMILIES


def _with_reference(eta: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((eta.shape[0], 1)), eta], axis=1)


@FAMILIES.register("categorical", args=(Arg("K", int, 2, "number of classes"),),
                   help="K classes, T(y) = one-hot without the reference class 0",
                   examples=({"K": 2}, {"K": 4}))
@dataclass(frozen=True, repr=False)
class Categorical(ExponentialFamily):
    K: int

    def __post_init__(self):
        check_int(self.K, "K", minimum=2)

    dim = 1
    stat_dim = property(lambda self: self.K - 1)
    finite = True
    kernel_code = codes.CATEGORICAL
    name = property(lambda self: f"Categorical({self.K})")

    def sufficient_statistics(self, y):
        y = np.asarray(y).reshape(-1).astype(np.int64)
        t = np.zeros((y.shape[0], self.K - 1))
        rows = np.nonzero(y > 0)[0]
        t[rows, y[rows] - 1] = 1.0
        return t

    def log_base_measure(self, y):
        return np.zeros(np.asarray(y).shape[0])

    def log_partition(self, eta):
        return logsumexp(_with_reference(eta), axis=1)

    def probabilities(self, eta: np.ndarray) -> np.ndarray:
        """All K class probabilities, shape (N, K)."""
        full = _with_reference(eta)
        full = np.exp(full - full.max(axis=1, keepdims=True))
        return full / full.sum(axis=1, keepdims=True)

    def mean(self, eta):
        return self.probabilities(eta)[:, 1:]

    def covariance(self, eta):
        mu = self.mean(eta)
        out = -mu[:, :, None] * mu[:, None, :]
        idx = np.arange(mu.shape[1])
        out[:, idx, idx] += mu
        return out

    def natural(self, mu):
        mu = np.atleast_2d(self._check_mean(mu))
        p0 = 1.0 - mu.sum(axis=1, keepdims=True)
        if np.any(mu <= 0) or np.any(p0 <= 0):
            raise ValueError("mu: categorical means must be positive with total < 1")
        return np.log(mu) - np.log(p0)

    def _sample(self, eta, rng):
        p = self.probabilities(eta)
        u = rng.random((eta.shape[0], 1))
        return np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), self.K - 1)[:, None].astype(np.float64)

    def draw(self, eta, rng):
        """Numba kernel: inverse CDF of softmax((0, eta)) at u ~ U(0, 1) from ``rng``."""
        return categorical_from_uniform(np.ascontiguousarray(eta), rng.random(eta.shape[0]))

    def example_natural(self, rng, n):
        return rng.uniform(-4.0, 4.0, (n, self.K - 1))

    def relabellings(self, support):
        """Class transpositions a <-> b."""
        out = []
        for a, b in combinations(range(self.K), 2):
            z = support.copy()
            z[support[:, 0] == a, 0], z[support[:, 0] == b, 0] = b, a
            out.append((f"swap class {a}<->{b}", z))
        return "class permutations", out

    def support(self):
        return np.arange(self.K, dtype=np.float64)[:, None]

    @property
    def support_size(self):
        return self.K

    def check_support(self, y, name="y"):
        y = super().check_support(y, name)
        if np.any((y != np.round(y)) | (y < 0) | (y > self.K - 1)):
            raise ValueError(f"{name}: {self.name} values must be integers in 0..{self.K - 1}")
        return y
