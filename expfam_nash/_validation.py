"""Moved to :mod:`expfam_nash.core.validation`; this name stays importable."""
from .core.validation import (MAX_ENUMERATION, as_float_array, as_rng, check_int, check_nonnegative,  # noqa: F401
                              check_positive, check_psd, check_unit_interval, check_weights)
