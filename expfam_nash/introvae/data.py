"""The four 2-D reference generators of the Soft-IntroVAE density benchmark, with the constants
of the reference code (``athaioan/intro_prior``, folder ``2D``), a fresh batch per call.

Each generator is ``sample_NAME(n, rng) -> (n, 2) float64``; :func:`sample` dispatches by name
and :func:`grid_scale` gives the half-width factor g of the evaluation grid [-2 g, 2 g]^2.

* ``8Gaussian``: c uniform among 2 (cos k pi/4, sin k pi/4), k = 0..7; x = (c + 0.02 N(0, I)) / 1.414.
* ``spiral``: t = 3 pi sqrt(U); arm a = (-t cos t + U'/2, t sin t + U''/2); the first half of
  the batch is a, the second -a; x = [a; -a] / 3 + 0.1 N(0, I).
* ``checkerboard``: x1 ~ U[-2, 2); x2 = U[0, 1) - 2 B + (floor(x1) mod 2), B ~ Bernoulli(1/2);
  x = 2 (x1, x2).
* ``rings``: a pool of n points, a quarter on each circle of radius 3 (1, 0.75, 0.5, 0.25),
  equally spaced in angle, resampled with replacement, plus 0.08 N(0, I).
"""
from __future__ import annotations

import numpy as np

from .._validation import check_int

DATASETS = ("8Gaussian", "spiral", "checkerboard", "rings")

_S2 = 1.0 / np.sqrt(2.0)
#: the reference's centre order (its sampler picks an index uniformly, so the order only fixes
#: which random index maps to which centre)
EIGHT_CENTRES = 2.0 * np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (_S2, _S2), (_S2, -_S2), (-_S2, _S2),
                                (-_S2, -_S2)], dtype=float)
RING_RADII = (1.0, 0.75, 0.5, 0.25)


def _check(n, rng) -> int:
    n = check_int(n, "n", minimum=0)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    return n


def sample_8gaussian(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _check(n, rng)
    centre = EIGHT_CENTRES[rng.integers(0, 8, size=n)]
    return (centre + 0.02 * rng.standard_normal((n, 2))) / 1.414


def sample_spiral(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _check(n, rng)
    half = (n + 1) // 2
    noise = rng.standard_normal((n, 2))
    t = np.sqrt(rng.random(half)) * 3 * np.pi
    arm = np.stack([-np.cos(t) * t + 0.5 * rng.random(half), np.sin(t) * t + 0.5 * rng.random(half)], axis=1)
    return np.concatenate([arm, -arm])[:n] / 3 + 0.1 * noise


def sample_checkerboard(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _check(n, rng)
    x1 = rng.random(n) * 4 - 2
    x2 = rng.random(n) - 2.0 * rng.integers(0, 2, size=n) + np.mod(np.floor(x1), 2)
    return 2 * np.stack([x1, x2], axis=1)


def sample_rings(n: int, rng: np.random.Generator) -> np.ndarray:
    n = _check(n, rng)
    if n == 0:
        return np.zeros((0, 2))
    q = n // 4
    counts = (q, q, q, n - 3 * q)
    pool = []
    for radius, m in zip(RING_RADII, counts, strict=True):
        angle = np.linspace(0, 2 * np.pi, m + 1)[:-1]
        pool.append(radius * np.stack([np.cos(angle), np.sin(angle)], axis=1))
    pool = 3.0 * np.concatenate(pool)
    return pool[rng.integers(0, n, size=n)] + 0.08 * rng.standard_normal((n, 2))


SAMPLERS = {"8Gaussian": sample_8gaussian, "spiral": sample_spiral, "checkerboard": sample_checkerboard,
            "rings": sample_rings}


def check_dataset(name: str) -> str:
    if name not in SAMPLERS:
        raise ValueError(f"dataset: expected one of {', '.join(DATASETS)}, got {name!r}")
    return name


def sample(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of the named reference density (float64)."""
    return SAMPLERS[check_dataset(name)](n, rng)


def grid_scale(name: str) -> float:
    """g of the evaluation grid [-2 g, 2 g]^2: 1 for 8Gaussian, 2 for the others (the reference's
    ``scale * range``)."""
    return 1.0 if check_dataset(name) == "8Gaussian" else 2.0
