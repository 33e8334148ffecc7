"""Plain JSON values for results: numpy scalars and arrays become Python numbers and lists,
NaN and infinities become None, enums their values, objects with ``to_dict()`` (the result
contract) or ``as_dict()`` become their dicts."""
from __future__ import annotations

import math
from enum import Enum

import numpy as np


def jsonable(obj):
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
    if isinstance(obj, Enum):
        return jsonable(obj.value)
    if hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict())
    if hasattr(obj, "as_dict"):
        return jsonable(obj.as_dict())
    return obj
