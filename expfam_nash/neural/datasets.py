"""Datasets for training VAEs, all generated or bundled locally (no downloads).

* ``bars:N[:P]``: N x N binary images, the OR of 2N random bars; the exact image distribution
  (``Dataset.exact``), an exact sampler and an exact log-likelihood (:func:`bars_log_likelihood`).
* ``eight-gaussians``, ``two-spirals``, ``checkerboard``, ``rings``: the 2-D densities of the
  FFJORD / Soft-IntroVAE benchmarks, each with an exact i.i.d. sampler.
* ``digits``: scikit-learn's 8 x 8 handwritten digits, binarised (needs the ``digits`` extra).
* ``PATH.npz``: user arrays ``x_train``, ``x_test`` and optionally ``y_train``, ``y_test``.

Every random dataset is a deterministic function of ``seed``: train and test rows are drawn, in
that order, from ``numpy.random.default_rng(seed)``. Each builder is registered in ``DATASETS``
(``meta["spec"]``: the spec grammar; ``meta["parse"]``: spec fields -> keyword arguments).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from ..core.registry import Arg, Registry
from ..core.validation import as_float_array, as_rng, check_int, check_nonnegative, check_positive
from ..environment import Finite
from ..environment.specs import bars_distribution

DATASETS: Registry = Registry("dataset")

#: largest bars grid whose 2^(2N) bar configurations are enumerated
MAX_BARS = 5

_DIGITS_TOTAL = 1797


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


def _sizes(n_train, n_test) -> tuple[int, int]:
    return check_int(n_train, "n_train"), check_int(n_test, "n_test")


def _sample_split(sampler, n_train: int, n_test: int, seed) -> tuple[np.ndarray, np.ndarray]:
    rng = as_rng(seed)
    return sampler(n_train, rng), sampler(n_test, rng)


# -- bars --------------------------------------------------------------------------------
def _check_bars(n, p) -> tuple[int, float]:
    n = check_int(n, "n", maximum=MAX_BARS)
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise ValueError(f"p: expected a probability in (0, 1), got {p!r}") from None
    if not 0 < p < 1:
        raise ValueError(f"p: expected a probability in (0, 1), got {p!r}")
    return n, p


def _bar_images(bars: np.ndarray, n: int) -> np.ndarray:
    """Rows of 2N bar indicators (N rows, then N columns) -> rows of N*N pixels, image[i, j] = r_i OR c_j."""
    rows, cols = bars[:, :n], bars[:, n:]
    return np.maximum(rows[:, :, None], cols[:, None, :]).reshape(bars.shape[0], n * n).astype(np.float64)


def _bars_sample(count: int, rng: np.random.Generator, *, n: int, p: float) -> np.ndarray:
    count = check_int(count, "n", minimum=0)
    return _bar_images(_check_rng(rng).random((count, 2 * n)) < p, n)


def bars_log_likelihood(x, n: int, p: float = 0.5) -> np.ndarray:
    """Exact log p(x) of each row of ``x`` under the bars model, -inf for impossible images.

    p(x) = sum over the 2^(2N) bar configurations b with image(b) = x of p^|b| (1-p)^(2N-|b|);
    the configurations are enumerated, so N <= 5.
    """
    n, p = _check_bars(n, p)
    x = as_float_array(x, "x", ndim=2)
    if x.shape[1] != n * n:
        raise ValueError(f"x: expected shape (m, {n * n}) for {n}x{n} bars, got {x.shape}")
    if np.any((x != 0) & (x != 1)):
        raise ValueError("x: expected values in {0, 1}")
    weights = 2 ** np.arange(n * n - 1, -1, -1, dtype=np.int64)
    configs = (np.arange(2 ** (2 * n), dtype=np.int64)[:, None] >> np.arange(2 * n - 1, -1, -1)) & 1
    on = configs.sum(1)
    logw = on * np.log(p) + (2 * n - on) * np.log1p(-p)
    codes = _bar_images(configs, n).astype(np.int64) @ weights
    uniq, inv = np.unique(codes, return_inverse=True)
    peak = np.full(uniq.size, -np.inf)
    np.maximum.at(peak, inv, logw)
    logp = peak + np.log(np.bincount(inv, weights=np.exp(logw - peak[inv]), minlength=uniq.size))
    query = x.astype(np.int64) @ weights
    pos = np.minimum(np.searchsorted(uniq, query), uniq.size - 1)
    return np.where(uniq[pos] == query, logp[pos], -np.inf)


def _bars_fields(fields: list[str]) -> dict:
    if len(fields) not in (1, 2):
        raise ValueError
    return {"n": int(fields[0]), "p": float(fields[1]) if len(fields) == 2 else 0.5}


SIZES = (Arg("n_train", int, None, "training rows (default: the dataset's)"),
         Arg("n_test", int, None, "test rows (default: the dataset's)"))


@DATASETS.register("bars", spec="bars:N[:P]", parse=_bars_fields, help="N x N binary images, OR of 2N random bars "
                   "(each on with probability P, default 1/2); exact distribution and sampler",
                   args=(Arg("n", int, 3, "grid side N (<= 5)"), Arg("p", float, 0.5, "bar probability")) + SIZES)
def bars(n: int = 3, *, p: float = 0.5, n_train: int = 10000, n_test: int = 2000, seed=0) -> Dataset:
    """N x N binary images: 2N bars (N rows, then N columns), each on independently w.p. ``p``;
    pixel (i, j) = row_i OR column_j.

    With the default p = 1/2 the bar indicators are uniform on {0,1}^(2N), so a uniform prior on
    2N binary latents is exactly the generating prior. (Note: ``expfam_nash.models`` defaults to
    p = 1/N for ``"bars:N"``.) ``exact`` is the exact distribution over the (2^N - 1)^2 + 1
    distinct images; ``sampler`` draws fresh images.
    """
    n, p = _check_bars(n, p)
    n_train, n_test = _sizes(n_train, n_test)
    exact = bars_distribution(n, p)
    exact.points.setflags(write=False)
    exact.weights.setflags(write=False)
    sampler = partial(_bars_sample, n=n, p=p)
    xtr, xte = _sample_split(sampler, n_train, n_test, seed)
    name = f"bars:{n}" if p == 0.5 else f"bars:{n}:{p:g}"
    return Dataset(name, xtr, xte, "binary", (n, n), exact=exact, sampler=sampler)


# -- 2-D densities -----------------------------------------------------------------------
def _density(name: str, sampler, n_train, n_test, seed) -> Dataset:
    n_train, n_test = _sizes(n_train, n_test)
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


# -- digits ------------------------------------------------------------------------------
@DATASETS.register("digits", spec="digits", extras=("digits",), args=SIZES,
                   help="scikit-learn's 8 x 8 digits, binarised, with labels (needs the digits extra)")
def digits(*, threshold: float = 8.0, n_train: int | None = None, n_test: int = 297, seed=0) -> Dataset:
    """scikit-learn's ``load_digits`` (1797 images, 8 x 8, values 0..16), binarised as
    x = 1[value > threshold]; labels 0..9 kept.

    The rows are permuted by ``default_rng(seed)``; the first ``n_test`` form the test set, the
    next ``n_train`` (default: all the rest, 1500 for the default n_test) the training set.
    """
    threshold = check_nonnegative(threshold, "threshold")
    if threshold >= 16:
        raise ValueError(f"threshold: expected a number in [0, 16), got {threshold!r}")
    n_test = check_int(n_test, "n_test", maximum=_DIGITS_TOTAL - 1)
    rest = _DIGITS_TOTAL - n_test
    n_train = rest if n_train is None else check_int(n_train, "n_train", maximum=rest)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("digits needs scikit-learn: pip install 'expfam-nash[digits]'") from None
    data = load_digits()
    x = (np.asarray(data.data, dtype=np.float64) > threshold).astype(np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    perm = as_rng(seed).permutation(x.shape[0])
    test, train = perm[:n_test], perm[n_test:n_test + n_train]
    return Dataset("digits", x[train], x[test], "binary", (8, 8), y_train=y[train], y_test=y[test], n_classes=10)


# -- files and specs ---------------------------------------------------------------------
def _from_npz(path: str, n_train, n_test) -> Dataset:
    if not os.path.exists(path):
        raise ValueError(f"spec: file {path!r} does not exist")
    with np.load(path) as f:
        for key in ("x_train", "x_test"):
            if key not in f:
                raise ValueError(f"spec: {path!r} has no array named {key!r}")
        arrays = {k: f[k] for k in ("x_train", "x_test", "y_train", "y_test", "image_shape") if k in f}
    xtr = as_float_array(arrays["x_train"], "x_train", ndim=2)
    xte = as_float_array(arrays["x_test"], "x_test", ndim=2)
    ytr, yte = arrays.get("y_train"), arrays.get("y_test")
    if n_train is not None:
        xtr = xtr[:check_int(n_train, "n_train", maximum=xtr.shape[0])]
        ytr = None if ytr is None else ytr[:n_train]
    if n_test is not None:
        xte = xte[:check_int(n_test, "n_test", maximum=xte.shape[0])]
        yte = None if yte is None else yte[:n_test]
    binary = all(np.all((x == 0) | (x == 1)) for x in (xtr, xte))
    shape = arrays.get("image_shape")
    n_classes = 0
    if (ytr is None) != (yte is None):
        raise ValueError(f"spec: {path!r} must hold both y_train and y_test or neither")
    if ytr is not None:
        ytr, yte = _labels(ytr, "y_train", xtr.shape[0]), _labels(yte, "y_test", xte.shape[0])
        n_classes = int(max(ytr.max(initial=0), yte.max(initial=0))) + 1
    return Dataset(path, xtr, xte, "binary" if binary else "real",
                   None if shape is None else tuple(int(s) for s in np.ravel(shape)),
                   y_train=ytr, y_test=yte, n_classes=n_classes)


DATASETS.register("npz", _from_npz, spec="PATH.npz", args=SIZES,
                  help="user arrays x_train, x_test (optional y_train, y_test, image_shape)")


def specs() -> tuple[str, ...]:
    """The accepted dataset specifications (for help texts and error messages)."""
    return tuple(e.meta["spec"] for e in DATASETS.entries())


def load(spec: str, *, seed=0, n_train: int | None = None, n_test: int | None = None) -> Dataset:
    """The dataset named by ``spec`` (one of :func:`specs`); ``None`` sizes keep each dataset's default.

    For a ``.npz`` file (arrays ``x_train``, ``x_test``, optional ``y_train``, ``y_test``,
    ``image_shape``) ``seed`` is unused, ``n_train`` / ``n_test`` keep the first rows, the support
    is ``"binary"`` if every value is 0 or 1, and ``n_classes`` = largest label + 1.
    """
    if not isinstance(spec, str):
        raise ValueError(f"spec: expected a string, one of {', '.join(specs())}; got {type(spec).__name__}")
    if spec.endswith(".npz"):
        return _from_npz(spec, n_train, n_test)
    sizes = {k: v for k, v in (("n_train", n_train), ("n_test", n_test)) if v is not None}
    name, *fields = spec.split(":")
    if name not in DATASETS or name == "npz" or (DATASETS[name].meta.get("parse") and not fields):
        raise ValueError(f"spec: unknown dataset {spec!r}; expected one of {', '.join(specs())}")
    entry = DATASETS[name]
    parse = entry.meta.get("parse")
    if parse is None and fields:
        raise ValueError(f"spec: malformed {spec!r} (expected {entry.meta['spec']})")
    try:
        kwargs = parse(fields) if parse is not None else {}
    except ValueError:
        raise ValueError(f"spec: malformed {spec!r} (expected {entry.meta['spec']})") from None
    return entry.obj(seed=seed, **kwargs, **sizes)
