"""Exponential families and lifts (feature maps of the conditioning variable)."""
from .base import ExponentialFamily
from .bernoulli import Bernoulli, binary_support
from .categorical import Categorical
from .gaussian import GaussianFixed, GaussianLearned
from .lifts import Affine, Features, Fourier, Lift, OneHot, Polynomial

__all__ = ["ExponentialFamily", "Bernoulli", "Categorical", "GaussianFixed", "GaussianLearned",
           "binary_support", "Lift", "Affine", "OneHot", "Polynomial", "Fourier", "Features"]
