"""Exponential families and lifts (feature maps of the conditioning variable).

``FAMILIES`` and ``LIFTS`` list every registered one; :class:`Family` is the contract the engines
rely on (see ``families.protocol``)."""
from .base import MAX_LP_ROWS, ExponentialFamily, NotDecided
from .bernoulli import Bernoulli, binary_index, binary_support
from .categorical import Categorical
from .gaussian import GaussianFixed, GaussianLearned
from .lifts import Affine, Features, Fourier, Lift, OneHot, Polynomial
from .protocol import Family, check_family
from .registry import FAMILIES, LIFTS

__all__ = ["ExponentialFamily", "Family", "check_family", "NotDecided", "MAX_LP_ROWS", "FAMILIES", "LIFTS",
           "Bernoulli", "Categorical", "GaussianFixed", "GaussianLearned", "binary_support", "binary_index", "Lift", "Affine",
           "OneHot", "Polynomial", "Fourier", "Features"]
