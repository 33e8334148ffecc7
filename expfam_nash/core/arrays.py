"""Canonical keys for rows of float arrays: the one place that turns points into hashable or
sortable keys. "+ 0.0" maps -0.0 to +0.0 first (the two compare equal but have different bytes),
so a point found by arithmetic matches the same point of a support."""
from __future__ import annotations

import numpy as np


def row_keys(points: np.ndarray) -> np.ndarray:
    """One opaque key per row (its bytes, as a numpy void scalar), sortable and comparable."""
    pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64) + 0.0)
    return pts.view(np.dtype((np.void, pts.dtype.itemsize * pts.shape[1]))).ravel()


def row_key(row: np.ndarray) -> bytes:
    """The bytes of one row, usable as a dict key."""
    return np.ascontiguousarray(np.asarray(row, dtype=np.float64) + 0.0).tobytes()


def row_index(support: np.ndarray) -> dict[bytes, int]:
    """{row key: row number} over the rows of a support."""
    return {row_key(r): i for i, r in enumerate(support)}


def lookup_rows(index: dict[bytes, int], points: np.ndarray, name: str) -> np.ndarray:
    """Row number of each point in the support behind ``index``; ValueError naming ``name`` for a
    point outside it."""
    idx = np.empty(points.shape[0], dtype=np.int64)
    for r, row in enumerate(points):
        j = index.get(row_key(row))
        if j is None:
            raise ValueError(f"{name}: point {np.asarray(row).tolist()} is outside the family's support")
        idx[r] = j
    return idx
