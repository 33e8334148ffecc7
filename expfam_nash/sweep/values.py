"""Value parsers for task and model arguments (``Arg.parse``).

Each parser accepts a command-line string *or* an already typed value (a TOML/JSON number, bool,
list) and returns the argument's **canonical scalar**: ``float`` for reals (``-0.0`` becomes
``0.0``, so ``0``, ``0.0`` and ``-0.0`` hash alike), ``int``, ``bool`` or ``str`` (lists of reals
become the text ``"3.0,1.0"``). Canonical scalars are what a sweep hashes and what its table
stores. A bad value raises a ``ValueError`` saying what was expected (the caller prefixes where
the value came from).
"""
from __future__ import annotations

import math
from typing import Any, Callable


def real(value: Any) -> float:
    """A finite real number."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"expected a finite number, got {value!r}")
    return v + 0.0           # -0.0 + 0.0 == +0.0


def nonnegative(value: Any) -> float:
    v = real(value)
    if v < 0:
        raise ValueError(f"expected a number >= 0, got {value!r}")
    return v


def positive(value: Any) -> float:
    v = real(value)
    if v <= 0:
        raise ValueError(f"expected a number > 0, got {value!r}")
    return v


def unit_interval(value: Any) -> float:
    v = real(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"expected a number in [0, 1], got {value!r}")
    return v


def integer(value: Any) -> int:
    """An integer (an integral float such as 3.0 is accepted; 3.5 and True are not)."""
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected an integer, got {value!r}")


def at_least(minimum: int) -> Callable[[Any], int]:
    """Parser of integers >= ``minimum``."""
    def parse(value: Any) -> int:
        v = integer(value)
        if v < minimum:
            raise ValueError(f"expected an integer >= {minimum}, got {value!r}")
        return v

    parse.__name__ = f"integer_at_least_{minimum}"
    return parse


def text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"expected true or false, got {value!r}")


def reals(value: Any) -> str:
    """A non-empty list of reals, given as a list or as comma-separated text; canonical text
    ``"3.0,1.0"`` (read back with :func:`real_list`)."""
    if isinstance(value, str):
        items = [v for v in value.split(",") if v.strip()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ValueError(f"expected a list of numbers or comma-separated numbers, got {value!r}")
    if not items:
        raise ValueError(f"expected at least one number, got {value!r}")
    return ",".join(repr(real(v)) for v in items)


def real_list(canonical: str) -> list[float]:
    """The numbers of a canonical :func:`reals` text."""
    return [float(v) for v in canonical.split(",")]


def variance(value: Any) -> float | str:
    """A variance > 0 or the word ``learned``."""
    if value == "learned":
        return "learned"
    try:
        return positive(value)
    except ValueError:
        raise ValueError(f"expected a variance > 0 or 'learned', got {value!r}") from None
