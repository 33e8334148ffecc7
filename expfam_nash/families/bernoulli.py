"""Product of d Bernoulli variables on {0,1}^d: T(y) = y, A(eta) = sum_c log(1 + e^eta_c)."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.special import expit, log1p

from ..core.registry import Arg
from ..core.validation import as_float_array, check_int
from ..kernels import codes
from ..kernels.samples import bernoulli_from_uniform
from .base import MAX_LP_ROWS, ExponentialFamily, NotDecided
from .registry import FAMILIES

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


def binary_index(points) -> np.ndarray:
    """Row index of each binary point in ``binary_support(d)`` (first coordinate most significant)."""
    pts = as_float_array(points, "points", ndim=2)
    if np.any((pts != 0) & (pts != 1)):
        raise ValueError("points: expected values in {0, 1}")
    if pts.shape[1] > 62:
        raise ValueError(f"points: at most 62 binary coordinates can be indexed, got {pts.shape[1]}")
    return pts.astype(np.int64) @ (np.int64(1) << np.arange(pts.shape[1] - 1, -1, -1, dtype=np.int64))


@FAMILIES.register("bernoulli", args=(Arg("d", int, 1, "number of bits"),),
                   help="independent bits on {0,1}^d, T(y) = y, eta = logits", examples=({"d": 1}, {"d": 3}))
@dataclass(frozen=True, repr=False)
class Bernoulli(ExponentialFamily):
    """Bernoulli(d): independent bits, natural parameter = logits."""

    d: int

    def __post_init__(self):
        check_int(self.d, "d")

    dim = property(lambda self: self.d)
    stat_dim = property(lambda self: self.d)
    finite = True
    kernel_code = codes.BERNOULLI
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

    def draw(self, eta, rng):
        """Numba kernel: y = 1[u < sigmoid(eta)] with u ~ U(0, 1) from ``rng``."""
        return bernoulli_from_uniform(np.ascontiguousarray(eta), rng.random(eta.shape))

    def example_natural(self, rng, n):
        return rng.uniform(-4.0, 4.0, (n, self.d))

    def relabellings(self, support):
        """Bit flips z_j -> 1 - z_j and unit swaps z_a <-> z_b."""
        out = []
        for j in range(self.d):
            z = support.copy()
            z[:, j] = 1 - z[:, j]
            out.append((f"flip z{j}", z))
        for a, b in combinations(range(self.d), 2):
            z = support.copy()
            z[:, [a, b]] = z[:, [b, a]]
            out.append((f"swap z{a}<->z{b}", z))
        return "bit flips and unit permutations", out

    def recession_blocks(self, y_stats, feats):
        """Bits are independent, so the LP splits by coordinate c: rows (2 y_rc - 1) psi_r."""
        if y_stats.shape[0] > MAX_LP_ROWS:
            raise NotDecided(f"{y_stats.shape[0]} weighted pairs: LP not attempted")
        return [(np.array([c]), (2 * y_stats[:, c:c + 1] - 1) * feats) for c in range(self.d)]

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
