"""The :class:`Dataset` record, the ``DATASETS`` registry and the helpers every dataset shares."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...core.registry import Arg, Registry
from ...core.validation import as_float_array, as_rng, check_int, check_memory
from ...environment import Finite

DATASETS: Registry = Registry("dataset")

SIZES = (Arg("n_train", int, None, "training rows (default: the dataset's)"),
         Arg("n_test", int, None, "test rows (default: the dataset's)"))


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _labels(y, name: str, n: int) -> np.ndarray:
    try:
        f = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected integer labels, got {type(y).__name__}") from None
    if f.ndim != 1 or f.shape[0] != n:
        raise ValueError(f"{name}: expected a 1-D array of {n} labels, got shape {f.shape}")
    if not np.all(np.isfinite(f)) or np.any(f != np.round(f)):
        raise ValueError(f"{name}: expected integer labels")
    return f.astype(np.int64)


@dataclass(frozen=True)
class Dataset:
    """Train and test rows of one dataset, shape (n, d) float64, read-only.

    ``support`` is ``"binary"`` (every value in {0, 1}) or ``"real"``. ``exact`` is the exact data
    distribution when it is finite and known; ``sampler(n, rng) -> (n, d)`` draws fresh exact
    samples when the generating model is known.
    """

    name: str
    x_train: np.ndarray
    x_test: np.ndarray
    support: str
    image_shape: tuple[int, int] | None
    y_train: np.ndarray | None = None
    y_test: np.ndarray | None = None
    n_classes: int = 0
    exact: Finite | None = None
    sampler: Callable[[int, np.random.Generator], np.ndarray] | None = None

    def __post_init__(self):
        xtr = np.array(as_float_array(self.x_train, "x_train", ndim=2))
        xte = np.array(as_float_array(self.x_test, "x_test", ndim=2))
        if xtr.shape[0] < 1 or xtr.shape[1] < 1:
            raise ValueError(f"x_train: expected a non-empty (n, d) array, got shape {xtr.shape}")
        if xte.shape[1] != xtr.shape[1]:
            raise ValueError(f"x_test: expected {xtr.shape[1]} columns like x_train, got shape {xte.shape}")
        if self.support not in ("binary", "real"):
            raise ValueError(f"support: expected 'binary' or 'real', got {self.support!r}")
        if self.support == "binary":
            for name, x in (("x_train", xtr), ("x_test", xte)):
                if np.any((x != 0) & (x != 1)):
                    raise ValueError(f"{name}: support is 'binary' but some values are not 0 or 1")
        shape = self.image_shape
        if shape is not None:
            shape = tuple(check_int(s, "image_shape") for s in shape)
            if len(shape) != 2 or shape[0] * shape[1] != xtr.shape[1]:
                raise ValueError(f"image_shape: expected (h, w) with h * w = {xtr.shape[1]}, got {self.image_shape}")
        if (self.y_train is None) != (self.y_test is None):
            raise ValueError("y_train, y_test: give both label arrays or neither")
        ytr = yte = None
        n_classes = check_int(self.n_classes, "n_classes", minimum=0)
        if self.y_train is not None:
            ytr = _labels(self.y_train, "y_train", xtr.shape[0])
            yte = _labels(self.y_test, "y_test", xte.shape[0])
            if n_classes < 1:
                raise ValueError("n_classes: expected an integer >= 1 when labels are given")
            for name, y in (("y_train", ytr), ("y_test", yte)):
                if y.size and (y.min() < 0 or y.max() >= n_classes):
                    raise ValueError(f"{name}: expected labels in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
            ytr, yte = _readonly(ytr), _readonly(yte)
        elif n_classes != 0:
            raise ValueError(f"n_classes: expected 0 without labels, got {n_classes}")
        if self.exact is not None:
            if not isinstance(self.exact, Finite) or self.exact.dim != xtr.shape[1]:
                raise ValueError(f"exact: expected a Finite distribution of dimension {xtr.shape[1]}")
        if self.sampler is not None and not callable(self.sampler):
            raise ValueError("sampler: expected a callable sampler(n, rng) -> (n, d) array")
        object.__setattr__(self, "x_train", _readonly(xtr))
        object.__setattr__(self, "x_test", _readonly(xte))
        object.__setattr__(self, "image_shape", shape)
        object.__setattr__(self, "y_train", ytr)
        object.__setattr__(self, "y_test", yte)

    @property
    def dim(self) -> int:
        return self.x_train.shape[1]

    def summary(self) -> str:
        shape = "" if self.image_shape is None else f" ({self.image_shape[0]}x{self.image_shape[1]} images)"
        parts = [f"{self.name}: {self.support}, d={self.dim}{shape}",
                 f"{self.x_train.shape[0]} train / {self.x_test.shape[0]} test"]
        if self.n_classes:
            parts.append(f"{self.n_classes} classes")
        if self.exact is not None:
            parts.append(f"exact distribution on {self.exact.points.shape[0]} points")
        if self.sampler is not None:
            parts.append("exact sampler")
        return ", ".join(parts)


def _sizes(n_train, n_test, dim: int) -> tuple[int, int]:
    """Train and test row counts >= 1 whose (n, dim) float64 arrays fit the memory limit."""
    n_train, n_test = check_int(n_train, "n_train"), check_int(n_test, "n_test")
    check_memory((n_train + n_test) * dim, "n_train", f"{n_train} + {n_test} rows of {dim} values")
    return n_train, n_test


def _sample_split(sampler, n_train: int, n_test: int, seed) -> tuple[np.ndarray, np.ndarray]:
    rng = as_rng(seed)
    return sampler(n_train, rng), sampler(n_test, rng)


