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

from . import bars as _bars, densities as _densities, files as _files  # noqa: F401  (register in this order)
from .bars import MAX_BARS, bars, bars_log_likelihood
from .base import DATASETS, SIZES, Dataset
from .densities import RING_RADII, checkerboard, eight_gaussians, rings, two_spirals
from .files import _from_npz, digits

__all__ = ["DATASETS", "Dataset", "load", "specs", "bars", "bars_log_likelihood", "eight_gaussians", "two_spirals",
           "checkerboard", "rings", "digits", "RING_RADII", "MAX_BARS", "SIZES"]


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
