"""A result as one flat table row (a sweep's row of a task without its own ``row`` hook).

The generic rule, on the result's ``to_dict()``: scalars (None, bool, int, float, str) are kept
under their key; a nested dict is flattened with its key and ``_`` as the prefix of its own keys; a
verdict (a dict with a ``status`` of certified / refuted / undecided) becomes one column
``NAME_status``; lists and arrays are left out (a row holds scalars only)."""
from __future__ import annotations

from typing import Any

from .verdict import Status

_STATUSES = {s.value for s in Status}


def is_verdict(value: Any) -> bool:
    return isinstance(value, dict) and value.get("status") in _STATUSES and "reason" in value


def flatten(values: dict, prefix: str = "") -> dict:
    """The scalars of ``values`` (a result's ``to_dict()``) as one flat dict (module docstring)."""
    row: dict = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if value is None or isinstance(value, (bool, int, float, str)):
            row[name] = value
        elif is_verdict(value):
            row[f"{name}_status"] = value["status"]
        elif isinstance(value, dict):
            row.update(flatten(value, f"{name}_"))
    return row


def row_of(result: Any, hook=None) -> dict:
    """The row of ``result``: ``hook(result)`` if given, else :func:`flatten` of ``result.to_dict()``
    (or of ``result`` itself when it is a dict)."""
    if hook is not None:
        return hook(result)
    values = result if isinstance(result, dict) else result.to_dict()
    if not isinstance(values, dict):
        raise TypeError(f"the result's to_dict() gave {type(values).__name__}, not a dict")
    return flatten(values)
