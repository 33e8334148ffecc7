"""Plain JSON values for results: the one JSON-cleaning layer of the package.

numpy scalars and arrays become Python numbers and lists, NaN and infinities become None (JSON has
neither), complex numbers become ``[re, im]`` pairs, enums their values, and objects that follow
the result contract (``to_dict()``) their dicts."""
from __future__ import annotations

import math
from enum import Enum

import numpy as np


def complex_pairs(values) -> list[list[float]]:
    """Complex numbers (e.g. Jacobian eigenvalues) as ``[[re, im], ...]``."""
    return [[float(v.real), float(v.imag)] for v in np.asarray(values).ravel()]


def jsonable(obj):
    """``obj`` as plain JSON values (dict keys become strings)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, (complex, np.complexfloating)):
        return [jsonable(obj.real), jsonable(obj.imag)]
    if isinstance(obj, Enum):
        return jsonable(obj.value)
    if hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict())
    return obj
