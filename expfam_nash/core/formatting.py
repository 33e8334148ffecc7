"""Number formatting for ``summary()`` texts (one convention package-wide)."""
from __future__ import annotations

import math

import numpy as np


def number(value, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits, or "n/a" for None and non-finite floats."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}g}"


def array_line(value, max_size: int = 12) -> str:
    """A small array printed in full (4 digits), a large one as its shape."""
    arr = np.asarray(value)
    return np.array2string(arr, precision=4, suppress_small=True) if arr.size <= max_size else f"array {arr.shape}"
