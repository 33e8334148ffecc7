"""Latent distributions pi(z): uniform bits, N(0, I), uniform classes, products, and implicit
priors known only through a sampler (the case the ELBO cannot handle and the symmetric game can).

Every prior has ``dim``, ``support`` ("binary", "real", "categorical" or a product of them),
``has_density``, ``configurations`` (the number of values of z, inf when not finite), ``sample``,
``log_prob`` and, when finite, ``enumerate``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..core.constants import LOG_2PI
from ..families.bernoulli import MAX_BITS_ENUMERABLE, binary_support


@dataclass(frozen=True)
class UniformBits:
    """z uniform on {0,1}^dim: log pi(z) = -dim log 2."""

    dim: int
    support = "binary"
    has_density = True
    configurations = property(lambda self: 2 ** self.dim)

    def sample(self, n: int, rng, dtype=np.float32) -> np.ndarray:
        return (rng.random((n, self.dim)) < 0.5).astype(dtype)

    def log_prob(self, z: np.ndarray) -> np.ndarray:
        return np.full(z.shape[0], -self.dim * np.log(2.0))

    def enumerate(self) -> np.ndarray:
        if self.dim > MAX_BITS_ENUMERABLE:
            raise ValueError(f"prior: {self.dim} bits are too many to enumerate (max {MAX_BITS_ENUMERABLE})")
        return binary_support(self.dim)


@dataclass(frozen=True)
class StandardNormal:
    """z ~ N(0, I_dim)."""

    dim: int
    support = "real"
    has_density = True
    configurations = math.inf

    def sample(self, n: int, rng, dtype=np.float32) -> np.ndarray:
        return rng.standard_normal((n, self.dim), dtype=dtype)

    def log_prob(self, z: np.ndarray) -> np.ndarray:
        z = z.astype(np.float64)
        return -0.5 * (z * z).sum(1) - 0.5 * self.dim * LOG_2PI


@dataclass(frozen=True)
class UniformClasses:
    """A one-hot class label, uniform on dim classes."""

    dim: int
    support = "categorical"
    has_density = True
    configurations = property(lambda self: self.dim)

    def sample(self, n: int, rng, dtype=np.float32) -> np.ndarray:
        return np.eye(self.dim, dtype=dtype)[rng.integers(0, self.dim, n)]

    def log_prob(self, z: np.ndarray) -> np.ndarray:
        return np.full(z.shape[0], -np.log(self.dim))

    def enumerate(self) -> np.ndarray:
        return np.eye(self.dim)


@dataclass(frozen=True)
class Implicit:
    """A prior given only by ``sampler(n, rng) -> (n, dim)`` (e.g. another generative model).

    ``support`` ("binary" or "real") decides the encoder's head; there is no density, so the ELBO
    and importance-sampled likelihoods are unavailable and say so."""

    dim: int
    sampler: Callable[[int, np.random.Generator], np.ndarray]
    support: str = "real"
    has_density = False
    configurations = math.inf

    def __post_init__(self):
        if self.support not in ("binary", "real"):
            raise ValueError(f"support: expected 'binary' or 'real', got {self.support!r}")

    def sample(self, n: int, rng, dtype=np.float32) -> np.ndarray:
        z = np.asarray(self.sampler(n, rng))
        if z.shape != (n, self.dim):
            raise ValueError(f"sampler: expected an array of shape {(n, self.dim)}, got {z.shape}")
        if not np.all(np.isfinite(z)):
            raise ValueError("sampler: returned NaN or infinite values")
        return z.astype(dtype)

    def log_prob(self, z: np.ndarray) -> np.ndarray:
        raise ValueError("prior: an implicit prior has no density (needed for the ELBO and for likelihoods)")


@dataclass(frozen=True)
class Product:
    """Independent latent parts side by side, e.g. (class label, bits)."""

    parts: tuple

    @property
    def dim(self) -> int:
        return sum(p.dim for p in self.parts)

    @property
    def has_density(self) -> bool:
        return all(p.has_density for p in self.parts)

    @property
    def support(self) -> str:
        return "+".join(p.support for p in self.parts)

    @property
    def configurations(self) -> float:
        return math.prod(p.configurations for p in self.parts)

    def sample(self, n: int, rng, dtype=np.float32) -> np.ndarray:
        return np.concatenate([p.sample(n, rng, dtype) for p in self.parts], axis=1)

    def log_prob(self, z: np.ndarray) -> np.ndarray:
        out, pos = np.zeros(z.shape[0]), 0
        for p in self.parts:
            out += p.log_prob(z[:, pos:pos + p.dim])
            pos += p.dim
        return out

    def enumerate(self) -> np.ndarray:
        grids = [p.enumerate() for p in self.parts]
        out = grids[0]
        for g in grids[1:]:
            out = np.concatenate([np.repeat(out, len(g), axis=0), np.tile(g, (len(out), 1))], axis=1)
        return out
