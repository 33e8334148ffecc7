"""Parsers from command-line strings to values, used in the ``Arg`` specs of the registries (the
CLI turns their ValueError into a one-line usage error)."""
from __future__ import annotations


def floats(text: str) -> list[float]:
    """Comma-separated numbers: "3,1" -> [3.0, 1.0]."""
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"expected comma-separated numbers, got {text!r}") from None


def ints(text: str) -> tuple[int, ...]:
    """Comma-separated integers ("" for none): "64,32" -> (64, 32)."""
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ValueError(f"expected comma-separated integers, got {text!r}") from None


def variance(text: str):
    """A variance > 0 or the word 'learned'."""
    if text == "learned":
        return text
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a variance > 0 or 'learned', got {text!r}") from None


def optional_float(text: str) -> float | None:
    """A number, or 'none' for the default."""
    return None if text.lower() == "none" else float(text)


def flag(text: str) -> bool:
    """A boolean written as true/false, yes/no, 1/0."""
    low = text.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")
