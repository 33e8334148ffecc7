"""Input validation shared by every public entry point.

Each check raises ``ValueError`` whose message names the argument and says what was
expected, before any work starts.
"""
from __future__ import annotations

import math

import numpy as np

#: largest number of (x, z) pairs the exact finite engine agrees to enumerate: one evaluation
#: streams them all (about 10 ns a pair on one core), so this bounds an evaluation to ~10 s
MAX_ENUMERATION = 2 ** 30
#: the most memory (bytes) one array an entry point is about to allocate may take; sizes above it
#: are refused up front with a ValueError instead of ending in MemoryError minutes later
MAX_ARRAY_BYTES = 2 ** 31


class NonFiniteError(ValueError):
    """Values holding NaN or infinity: bad input, or a computation that overflowed float64 (e.g. an
    iteration that blew up, or parameters too extreme for the engine to evaluate)."""


class DomainError(ValueError):
    """Parameters outside the natural domain (a learned variance's precision block must be < 0)."""


def shown(value, limit: int = 60) -> str:
    """``value`` for a one-line message: its repr on one line, an array as its shape, at most
    ``limit`` characters."""
    text = f"array of shape {value.shape}" if isinstance(value, np.ndarray) and value.ndim else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_memory(n_values, name: str, what: str, itemsize: int = 8) -> int:
    """``n_values`` (a count, or a shape whose product is counted) of ``itemsize`` bytes fit in
    ``MAX_ARRAY_BYTES``; else a ValueError naming ``name`` and saying what the size is for."""
    count = math.prod(int(v) for v in n_values) if isinstance(n_values, (tuple, list)) else int(n_values)
    need = count * itemsize
    if need > MAX_ARRAY_BYTES:
        raise ValueError(f"{name}: {what} would need {_bytes(need)} (limit {_bytes(MAX_ARRAY_BYTES)}); "
                         "choose a smaller size")
    return count


def _bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PB"


def as_float_array(value, name: str, ndim: int | None = None, shape: tuple | None = None,
                   finite: bool = True) -> np.ndarray:
    """Convert to a C-contiguous float64 array and check dimensions and (``finite``) finiteness.
    Complex numbers, strings and other non-numeric values are refused (NumPy would drop an
    imaginary part or parse a string silently); NaN and infinities raise :class:`NonFiniteError`."""
    try:
        raw = value if isinstance(value, np.ndarray) else np.asarray(value)
        if raw.dtype.kind not in "biuf":
            if raw.dtype.kind == "c":
                raise ValueError(f"{name}: expected real numbers, got complex values")
            if raw.dtype.kind != "O":
                raise ValueError(f"{name}: expected a numeric array, got values of type {raw.dtype}")
            if any(isinstance(v, (complex, np.complexfloating, str, bytes)) for v in raw.ravel()):
                raise ValueError(f"{name}: expected real numbers, got complex or text values")
        arr = np.ascontiguousarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        if str(exc).startswith(f"{name}: "):
            raise
        raise ValueError(f"{name}: expected a numeric array, got {type(value).__name__}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    if shape is not None:
        for want, got in zip(shape, arr.shape):
            if want is not None and want != got:
                raise ValueError(f"{name}: expected shape {shape} (None = any), got {arr.shape}")
        if len(shape) != arr.ndim:
            raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise NonFiniteError(f"{name}: contains NaN or infinite values")
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
    """A finite float > 0 (``strict``) or >= 0, else a ValueError naming ``name`` (text and
    booleans are not numbers here)."""
    try:
        if isinstance(value, (str, bytes, bool, np.bool_)):
            raise TypeError
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name}: expected {'a positive number' if strict else 'a number >= 0'}, "
                         f"got {shown(value)}") from None
    if not np.isfinite(v) or v < 0 or (strict and v == 0):
        raise ValueError(f"{name}: expected a finite number {'> 0' if strict else '>= 0'}, got {shown(value)}")
    return v


def check_positive(value, name: str) -> float:
    return _bounded_below(value, name, strict=True)


def check_nonnegative(value, name: str) -> float:
    return _bounded_below(value, name, strict=False)


def check_unit_interval(value, name: str) -> float:
    v = check_nonnegative(value, name)
    if v > 1:
        raise ValueError(f"{name}: expected a number in [0, 1], got {shown(value)}")
    return v


def check_int(value, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """An int (not a bool, not a float such as 1.5 or 2.0) within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {shown(value)}")
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        hi = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name}: expected an integer >= {minimum}{hi}, got {v}")
    return v


def check_sizes(values, name: str, maximum: int | None = None) -> tuple[int, ...]:
    """A sequence of integers >= 1 (layer widths): 1.5, True or text are refused, never rounded."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name}: expected a sequence of integers >= 1, got {shown(values)}")
    return tuple(check_int(v, name, maximum=maximum) for v in values)


def check_finite(value, name: str) -> float:
    """A finite real number (any sign)."""
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name}: expected a finite number, got {shown(value)}") from None
    if isinstance(value, (bool, np.bool_)) or not math.isfinite(v):
        raise ValueError(f"{name}: expected a finite number, got {shown(value)}")
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
