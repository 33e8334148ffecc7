"""The package's value parsers: the ``parse`` of every registry's ``Arg`` specs (models, tasks,
solvers, training configurations), shared by the command line and the sweep layer, so that a value
means the same wherever it is written.

Each parser accepts a command-line string *or* an already typed value (a TOML/JSON number, bool or
list, a Python value) and returns the argument's **canonical value**: ``float`` for reals (finite;
``-0.0`` becomes ``0.0``, so ``0``, ``0.0`` and ``-0.0`` are one real), ``int`` (an integral float
such as ``3.0`` or the text ``"3.0"`` is accepted, ``3.5`` and ``True`` are not), ``bool``, ``str``,
a list of floats (``floats``) or a tuple of ints (``ints``). A bad value raises a one-line
``ValueError`` saying what was expected (the caller prefixes where the value came from).

:func:`stored` turns a canonical value into the scalar that a sweep hashes and its table stores:
a list-valued argument is stored as its comma-separated text (``[3, 1]``, ``"3,1"`` and
``(3.0, 1.0)`` are all ``"3.0,1.0"``; integers ``"64,32"``), which its parser reads back to the same
value. :func:`canonical` maps the builtins an older registration may still use (``int``, ``float``,
``str``, ``bool``) to the strict parsers here (``int(3.7)`` would truncate, ``bool("false")`` is true).
"""
from __future__ import annotations

import math
from typing import Any, Callable


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def real(value: Any) -> float:
    """A finite real number (text, int or float; not a bool)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        v = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"expected a number, got {_shown(value)}") from None
    if not math.isfinite(v):
        raise ValueError(f"expected a finite number, got {_shown(value)}")
    return v + 0.0           # -0.0 + 0.0 == +0.0


def nonnegative(value: Any) -> float:
    v = real(value)
    if v < 0:
        raise ValueError(f"expected a number >= 0, got {_shown(value)}")
    return v


def positive(value: Any) -> float:
    v = real(value)
    if v <= 0:
        raise ValueError(f"expected a number > 0, got {_shown(value)}")
    return v


def unit_interval(value: Any) -> float:
    v = real(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"expected a number in [0, 1], got {_shown(value)}")
    return v


def integer(value: Any) -> int:
    """An integer: an int, an integral float (3.0) or their text ("3", "3.0", "1e3"); never a
    bool, and never rounded (3.5 is refused)."""
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"expected an integer, got {_shown(value)}") from None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if hasattr(value, "item") and getattr(value, "shape", None) == ():     # a numpy scalar
        return integer(value.item())
    raise ValueError(f"expected an integer, got {_shown(value)}")


def at_least(minimum: int) -> Callable[[Any], int]:
    """Parser of integers >= ``minimum``."""
    def parse(value: Any) -> int:
        v = integer(value)
        if v < minimum:
            raise ValueError(f"expected an integer >= {minimum}, got {_shown(value)}")
        return v

    parse.__name__ = f"integer_at_least_{minimum}"
    return parse


def text(value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {_shown(value)}")
    return value


def flag(value: Any) -> bool:
    """A boolean: True / False, or the text true/false, yes/no, on/off, 1/0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
    raise ValueError(f"expected true or false, got {_shown(value)}")


def _items(value: Any, what: str) -> list:
    if isinstance(value, str):
        return [v for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ValueError(f"expected a list of {what} or comma-separated {what}, got {_shown(value)}")


def floats(value: Any) -> list[float]:
    """A non-empty list of finite reals, from a list or comma-separated text: "3,1" -> [3.0, 1.0]."""
    items = _items(value, "numbers")
    if not items:
        raise ValueError(f"expected at least one number, got {_shown(value)}")
    try:
        return [real(v) for v in items]
    except ValueError:
        raise ValueError(f"expected comma-separated numbers, got {_shown(value)}") from None


def ints(value: Any) -> tuple[int, ...]:
    """A tuple of integers from a list or comma-separated text ("" for none): "64,32" -> (64, 32)."""
    try:
        return tuple(integer(v) for v in _items(value, "integers"))
    except ValueError:
        raise ValueError(f"expected comma-separated integers, got {_shown(value)}") from None


def variance(value: Any) -> float | str:
    """A variance > 0 or the word 'learned'."""
    if value == "learned":
        return "learned"
    try:
        return positive(value)
    except ValueError:
        raise ValueError(f"expected a variance > 0 or 'learned', got {_shown(value)}") from None


def optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``parse``, or None for None and the text 'none' (the default)."""
    def convert(value: Any):
        if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
            return None
        return parse(value)

    convert.__name__ = f"optional_{getattr(parse, '__name__', 'value')}"
    convert.inner = parse
    return convert


#: a number, or 'none' for the default
optional_float = optional(real)
optional_int = optional(integer)

#: the builtins an ``Arg`` may still name, and the strict parser that stands for each
STRICT = {int: integer, float: real, str: text, bool: flag}


def canonical(parse: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """The strict parser standing for ``parse`` (itself unless it is a builtin of :data:`STRICT`)."""
    return STRICT.get(parse, parse)


def stored(value: Any):
    """The scalar a sweep hashes and stores for a canonical value: None, bool, int, float (-0.0 as
    0.0) and str as they are; a list or tuple as the comma-separated reprs of its numbers."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value + 0.0
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                for v in value):
        return ",".join(repr(v + 0.0 if isinstance(v, float) else v) for v in value)
    raise ValueError(f"expected a number, a word or a list of numbers, got {_shown(value)}")
