"""Moved to :mod:`expfam_nash.core.jsonable`; this name stays importable."""
from .core.jsonable import complex_pairs, jsonable  # noqa: F401
