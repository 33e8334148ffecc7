"""The environment: the data distribution pi(x), the latent distribution pi(z), and an
optional labelled joint pi(x, z). Each is given exactly (weighted finite support, Gaussian
moments) or only through a sampler (implicit)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..core.validation import as_float_array, as_rng, check_int, check_psd, check_weights
from ..families.bernoulli import MAX_BITS_ENUMERABLE, binary_support


class Distribution(ABC):
    dim: int
    exact: bool = True

    @abstractmethod
    def sample(self, n: int, seed: int | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
        """n independent draws, shape (n, dim)."""

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, covariance) of the variable."""
        raise ValueError(f"{type(self).__name__}: moments are only known by sampling")


@dataclass(frozen=True, eq=False)
class Finite(Distribution):
    """sum_i w_i delta(x - points_i): a weighted finite support."""

    points: np.ndarray
    weights: np.ndarray

    def __post_init__(self):
        pts = as_float_array(self.points, "points")
        pts = pts[:, None] if pts.ndim == 1 else pts
        if pts.ndim != 2 or pts.shape[0] == 0:
            raise ValueError(f"points: expected a non-empty (N, dim) array, got shape {pts.shape}")
        w = check_weights(self.weights, "weights", pts.shape[0])
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "weights", w)

    dim = property(lambda self: self.points.shape[1])

    @classmethod
    def from_samples(cls, samples) -> "Finite":
        """The empirical distribution, duplicates merged into weights."""
        pts = as_float_array(samples, "samples")
        pts = pts[:, None] if pts.ndim == 1 else pts
        uniq, counts = np.unique(pts, axis=0, return_counts=True)
        return cls(uniq, counts / counts.sum())

    def sample(self, n, seed=None, rng=None):
        idx = as_rng(seed, rng).choice(self.points.shape[0], size=n, p=self.weights)
        return self.points[idx]

    def moments(self):
        m = self.weights @ self.points
        c = (self.points - m).T @ ((self.points - m) * self.weights[:, None])
        return m, c


@dataclass(frozen=True, eq=False)
class Gaussian(Distribution):
    """N(mean, cov), known exactly by its moments."""

    mean: np.ndarray
    cov: np.ndarray

    def __post_init__(self):
        m = as_float_array(self.mean, "mean", ndim=1)
        c = as_float_array(self.cov, "cov", ndim=2)
        if c.shape != (m.size, m.size):
            raise ValueError(f"cov: expected shape {(m.size, m.size)} to match mean, got {c.shape}")
        object.__setattr__(self, "mean", m)
        object.__setattr__(self, "cov", check_psd(c, "cov"))

    dim = property(lambda self: self.mean.size)

    def sample(self, n, seed=None, rng=None):
        rng = as_rng(seed, rng)
        vals, vecs = np.linalg.eigh(self.cov)
        root = vecs * np.sqrt(np.clip(vals, 0, None))
        return self.mean + rng.standard_normal((n, self.dim)) @ root.T

    def moments(self):
        return self.mean.copy(), self.cov.copy()


@dataclass(frozen=True, eq=False)
class Implicit(Distribution):
    """A distribution known only through ``sampler(n, rng) -> (n, dim)`` (e.g. a generative model)."""

    sampler: Callable[[int, np.random.Generator], np.ndarray]
    dim: int
    exact = False

    def __post_init__(self):
        if not callable(self.sampler):
            raise ValueError("sampler: expected a callable sampler(n, rng) -> (n, dim) array")
        object.__setattr__(self, "dim", check_int(self.dim, "dim"))

    def sample(self, n, seed=None, rng=None):
        out = as_float_array(self.sampler(int(n), as_rng(seed, rng)), "sampler output")
        out = out[:, None] if out.ndim == 1 else out
        if out.shape != (n, self.dim):
            raise ValueError(f"sampler output: expected shape {(n, self.dim)}, got {out.shape}")
        return out


# -- priors ------------------------------------------------------------------------------
def uniform_bits(k: int) -> Finite:
    """Uniform distribution on {0,1}^k (support in the order of ``binary_support``)."""

    k = check_int(k, "k", maximum=MAX_BITS_ENUMERABLE)
    return Finite(binary_support(k), np.full(2 ** k, 2.0 ** -k))


def categorical(weights) -> Finite:
    w = check_weights(weights, "weights")
    return Finite(np.arange(w.size, dtype=np.float64)[:, None], w)


def standard_normal(k: int) -> Gaussian:
    k = check_int(k, "k")
    return Gaussian(np.zeros(k), np.eye(k))


# -- labelled joints ---------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FiniteJoint:
    """pi(x, z) on a grid: ``table[i, j]`` is the probability of (x_points[i], z_points[j])."""

    x_points: np.ndarray
    z_points: np.ndarray
    table: np.ndarray

    def __post_init__(self):
        xp = as_float_array(self.x_points, "x_points")
        zp = as_float_array(self.z_points, "z_points")
        xp = xp[:, None] if xp.ndim == 1 else xp
        zp = zp[:, None] if zp.ndim == 1 else zp
        t = as_float_array(self.table, "table", ndim=2)
        if t.shape != (xp.shape[0], zp.shape[0]):
            raise ValueError(f"table: expected shape {(xp.shape[0], zp.shape[0])}, got {t.shape}")
        check_weights(t.ravel(), "table")
        object.__setattr__(self, "x_points", xp)
        object.__setattr__(self, "z_points", zp)
        object.__setattr__(self, "table", t)

    def marginals(self) -> tuple[Finite, Finite]:
        return Finite(self.x_points, self.table.sum(1)), Finite(self.z_points, self.table.sum(0))

    def sample(self, n, seed=None, rng=None):
        flat = as_rng(seed, rng).choice(self.table.size, size=n, p=self.table.ravel())
        i, j = np.divmod(flat, self.table.shape[1])
        return self.x_points[i], self.z_points[j]


@dataclass(frozen=True, eq=False)
class GaussianJoint:
    """(x, z) jointly Gaussian; ``mean`` and ``cov`` list x's coordinates first."""

    mean: np.ndarray
    cov: np.ndarray
    x_dim: int

    def __post_init__(self):
        g = Gaussian(self.mean, self.cov)
        check_int(self.x_dim, "x_dim")
        if not 0 < self.x_dim < g.dim:
            raise ValueError(f"x_dim: expected 0 < x_dim < {g.dim}, got {self.x_dim}")
        object.__setattr__(self, "mean", g.mean)
        object.__setattr__(self, "cov", g.cov)

    def sample(self, n, seed=None, rng=None):
        xz = Gaussian(self.mean, self.cov).sample(n, seed, rng)
        return xz[:, : self.x_dim], xz[:, self.x_dim:]


@dataclass(frozen=True, eq=False)
class ImplicitJoint:
    """Labelled pairs known only through ``sampler(n, rng) -> (x, z)``."""

    sampler: Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]

    def sample(self, n, seed=None, rng=None):
        x, z = self.sampler(int(n), as_rng(seed, rng))
        x, z = as_float_array(x, "labelled x", ndim=2), as_float_array(z, "labelled z", ndim=2)
        if x.shape[0] != n or z.shape[0] != n:
            raise ValueError(f"labelled sampler: expected {n} rows of x and of z, got {x.shape[0]} and {z.shape[0]}")
        return x, z
