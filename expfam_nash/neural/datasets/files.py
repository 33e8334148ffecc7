"""Datasets from files: scikit-learn's digits (binarised) and user ``.npz`` arrays."""
from __future__ import annotations

import numpy as np

from ...core.files import read_npz
from ...core.validation import as_float_array, as_rng, check_int, check_nonnegative
from .base import DATASETS, SIZES, Dataset, _labels

_DIGITS_TOTAL = 1797


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


def _from_npz(path: str, n_train, n_test) -> Dataset:
    arrays = read_npz(path, "spec", required=("x_train", "x_test"))
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
                   None if shape is None else tuple(np.ravel(shape).tolist()),
                   y_train=ytr, y_test=yte, n_classes=n_classes)


DATASETS.register("npz", _from_npz, spec="PATH.npz", args=SIZES,
                  help="user arrays x_train, x_test (optional y_train, y_test, image_shape)")


