"""Environment distributions: data, latent prior, labelled joint."""
from .distributions import (Distribution, Finite, FiniteJoint, Gaussian, GaussianJoint, Implicit,
                            ImplicitJoint, categorical, standard_normal, uniform_bits)

__all__ = ["Distribution", "Finite", "Gaussian", "Implicit", "FiniteJoint", "GaussianJoint",
           "ImplicitJoint", "uniform_bits", "categorical", "standard_normal"]
