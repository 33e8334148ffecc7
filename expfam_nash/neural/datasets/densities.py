"""The 2-D densities of the FFJORD / Soft-IntroVAE benchmarks, each with an exact i.i.d. sampler."""
from __future__ import annotations

from functools import partial

import numpy as np

from ...core.validation import check_int, check_nonnegative, check_positive
from .base import DATASETS, SIZES, Dataset, _check_rng, _sample_split, _sizes


def _density(name: str, sampler, n_train, n_test, seed) -> Dataset:
    n_train, n_test = _sizes(n_train, n_test, 2)
    xtr, xte = _sample_split(sampler, n_train, n_test, seed)
    return Dataset(name, xtr, xte, "real", None, sampler=sampler)


def _eight_gaussians_sample(count, rng, *, radius: float, std: float) -> np.ndarray:
    count = check_int(count, "n", minimum=0)
    rng = _check_rng(rng)
    angle = rng.integers(0, 8, size=count) * (np.pi / 4)
    centers = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centers + std * rng.standard_normal((count, 2))


@DATASETS.register("eight-gaussians", spec="eight-gaussians", help="2-D density with an exact sampler", args=SIZES)
def eight_gaussians(*, radius: float = 2.0, std: float = 0.02, n_train: int = 10000, n_test: int = 2000,
                    seed=0) -> Dataset:
    """Equal mixture of 8 Gaussians N(c_k, std^2 I), c_k = radius (cos(k pi/4), sin(k pi/4)), k = 0..7.

    The Soft-IntroVAE / WGAN-GP construction (radius 2, std 0.02) without their final division by
    ~sqrt(2); FFJORD's ``8gaussians`` is radius = 4/sqrt(2), std = 0.5/sqrt(2).
    """
    radius, std = check_positive(radius, "radius"), check_positive(std, "std")
    return _density("eight-gaussians", partial(_eight_gaussians_sample, radius=radius, std=std),
                    n_train, n_test, seed)


def _two_spirals_sample(count, rng, *, noise: float) -> np.ndarray:
    count = check_int(count, "n", minimum=0)
    rng = _check_rng(rng)
    t = np.sqrt(rng.random(count)) * 3 * np.pi
    arm = np.stack([-np.cos(t) * t, np.sin(t) * t], axis=1) + 0.5 * rng.random((count, 2))
    sign = np.where(rng.random(count) < 0.5, 1.0, -1.0)[:, None]
    return sign * arm / 3 + noise * rng.standard_normal((count, 2))


@DATASETS.register("two-spirals", spec="two-spirals", help="2-D density with an exact sampler", args=SIZES)
def two_spirals(*, noise: float = 0.1, n_train: int = 10000, n_test: int = 2000, seed=0) -> Dataset:
    """Two interleaved spirals (FFJORD ``2spirals``), i.i.d. points:

    t = 3 pi sqrt(U), U ~ U(0, 1); a = (-t cos t, t sin t) + V, V ~ U([0, 1/2]^2);
    x = s a / 3 + noise * N(0, I), with s = +1 or -1 with probability 1/2 each
    (FFJORD takes exactly half of each batch per arm).
    """
    noise = check_nonnegative(noise, "noise")
    return _density("two-spirals", partial(_two_spirals_sample, noise=noise), n_train, n_test, seed)


def _checkerboard_sample(count, rng) -> np.ndarray:
    count = check_int(count, "n", minimum=0)
    rng = _check_rng(rng)
    u = rng.random((count, 2)) * 8 - 4
    # reflect the second coordinate into the black square of the same column: a shift by 2
    # flips the parity of floor(x2 / 2) and is a bijection of [-4, 4) onto itself
    i, j = np.floor(u[:, 0] / 2), np.floor(u[:, 1] / 2)
    flip = (i + j) % 2 == 1
    u[flip, 1] = (u[flip, 1] + 6) % 8 - 4
    return u


@DATASETS.register("checkerboard", spec="checkerboard", help="2-D density with an exact sampler", args=SIZES)
def checkerboard(*, n_train: int = 10000, n_test: int = 2000, seed=0) -> Dataset:
    """Uniform on the 8 "black" squares of a 4 x 4 checkerboard of side-2 squares on [-4, 4)^2:
    {x : floor(x1 / 2) + floor(x2 / 2) even} (the support of FFJORD's ``checkerboard``)."""
    return _density("checkerboard", _checkerboard_sample, n_train, n_test, seed)


#: radii of the four rings (FFJORD: 3 * (1.2, 0.8, 0.55, 0.25))
RING_RADII = (3.6, 2.4, 1.65, 0.75)


def _rings_sample(count, rng, *, noise: float) -> np.ndarray:
    count = check_int(count, "n", minimum=0)
    rng = _check_rng(rng)
    r = np.asarray(RING_RADII)[rng.integers(0, len(RING_RADII), size=count)]
    angle = rng.random(count) * 2 * np.pi
    return r[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1) + noise * rng.standard_normal((count, 2))


@DATASETS.register("rings", spec="rings", help="2-D density with an exact sampler", args=SIZES)
def rings(*, noise: float = 0.08, n_train: int = 10000, n_test: int = 2000, seed=0) -> Dataset:
    """Four concentric rings (FFJORD ``rings``): x = r (cos a, sin a) + noise * N(0, I), with
    r uniform on ``RING_RADII`` = (3.6, 2.4, 1.65, 0.75) and a ~ U[0, 2 pi)
    (FFJORD spaces the angles evenly within a batch; here they are i.i.d.)."""
    noise = check_nonnegative(noise, "noise")
    return _density("rings", partial(_rings_sample, noise=noise), n_train, n_test, seed)


