"""Input validation shared by every public entry point.

Each check raises ``ValueError`` whose message names the argument and says what was
expected, before any work starts.
"""
from __future__ import annotations

import numpy as np

#: largest number of (x, z) pairs the exact finite engine agrees to enumerate
MAX_ENUMERATION = 2 ** 34


def as_float_array(value, name: str, ndim: int | None = None, shape: tuple | None = None) -> np.ndarray:
    """Convert to a C-contiguous float64 array and check dimensions and finiteness."""
    try:
        arr = np.ascontiguousarray(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a numeric array, got {type(value).__name__}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    if shape is not None:
        for want, got in zip(shape, arr.shape):
            if want is not None and want != got:
                raise ValueError(f"{name}: expected shape {shape} (None = any), got {arr.shape}")
        if len(shape) != arr.ndim:
            raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def check_weights(weights, name: str, n: int | None = None) -> np.ndarray:
    """Probability weights: 1-D, non-negative, summing to one (to 1e-9)."""
    w = as_float_array(weights, name, ndim=1)
    if n is not None and w.shape[0] != n:
        raise ValueError(f"{name}: expected {n} weights, got {w.shape[0]}")
    if w.size == 0:
        raise ValueError(f"{name}: expected at least one weight")
    if np.any(w < 0):
        raise ValueError(f"{name}: weights must be non-negative (min is {w.min():.3g})")
    total = w.sum()
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"{name}: weights must sum to 1, they sum to {total:.12g}")
    return w


def _bounded_below(value, name: str, strict: bool) -> float:
    """A finite float > 0 (``strict``) or >= 0, else a ValueError naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected {'a positive number' if strict else 'a number >= 0'}, "
                         f"got {value!r}") from exc
    if not np.isfinite(v) or v < 0 or (strict and v == 0):
        raise ValueError(f"{name}: expected a finite number {'> 0' if strict else '>= 0'}, got {value!r}")
    return v


def check_positive(value, name: str) -> float:
    return _bounded_below(value, name, strict=True)


def check_nonnegative(value, name: str) -> float:
    return _bounded_below(value, name, strict=False)


def check_unit_interval(value, name: str) -> float:
    v = check_nonnegative(value, name)
    if v > 1:
        raise ValueError(f"{name}: expected a number in [0, 1], got {value!r}")
    return v


def check_int(value, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        hi = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name}: expected an integer >= {minimum}{hi}, got {v}")
    return v


def check_psd(cov: np.ndarray, name: str, strict: bool = False) -> np.ndarray:
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"{name}: expected a square matrix, got shape {cov.shape}")
    if not np.allclose(cov, cov.T, atol=1e-10 * max(1.0, np.abs(cov).max())):
        raise ValueError(f"{name}: expected a symmetric matrix")
    eig = np.linalg.eigvalsh(cov) if cov.size else np.zeros(0)
    scale = max(1.0, float(np.abs(eig).max(initial=0.0)))
    if strict and np.any(eig <= 1e-12 * scale):
        raise ValueError(f"{name}: expected a positive definite matrix (smallest eigenvalue {eig.min():.3g})")
    if np.any(eig < -1e-10 * scale):
        raise ValueError(f"{name}: expected a positive semi-definite matrix (smallest eigenvalue {eig.min():.3g})")
    return 0.5 * (cov + cov.T)


def as_rng(seed=None, rng: np.random.Generator | None = None) -> np.random.Generator:
    """One generator from either ``seed`` (int or None) or an existing ``rng``."""
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
        if seed is not None:
            raise ValueError("seed, rng: give one of them, not both")
        return rng
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    return np.random.default_rng(seed)
