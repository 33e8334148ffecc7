"""Which exact engine computes a game: each engine registers a builder that inspects the pair and
the environment through the family and lift hooks only, and returns an engine or None (no exact
engine: the game is estimated by sampling). The first registered builder that accepts wins."""
from __future__ import annotations

from ..core.registry import Registry
from ..environment import Finite, FiniteJoint, Gaussian, GaussianJoint
from .finite import FiniteEngine

ENGINES: Registry = Registry("engine")


@ENGINES.register("finite", help="finite X and Z of at most 2^30 pairs: enumeration (fused Numba kernel for families "
                                 "with a kernel code)")
def finite_engine(decoder, encoder, data, prior, labelled, alpha, rho):
    if not (decoder.family.finite and encoder.family.finite and isinstance(data, Finite)
            and isinstance(prior, Finite) and (labelled is None or isinstance(labelled, FiniteJoint))):
        return None
    if FiniteEngine.too_large(decoder, encoder):     # minutes per evaluation, or gigabytes: sampled only
        return None
    return FiniteEngine(decoder, encoder, data, prior, labelled, alpha, rho)


@ENGINES.register("linear-gaussian", help="Gaussian families with affine lifts: closed form in second moments")
def linear_gaussian_engine(decoder, encoder, data, prior, labelled, alpha, rho):
    if not (decoder.family.gaussian and encoder.family.gaussian and decoder.lift.affine and encoder.lift.affine
            and isinstance(data, (Gaussian, Finite)) and isinstance(prior, Gaussian)
            and (labelled is None or isinstance(labelled, GaussianJoint))):
        return None
    from .linear_gaussian import LinearGaussianEngine

    mean, cov = data.moments()
    prior_mean, prior_cov = prior.moments()
    return LinearGaussianEngine(
        decoder.family.dim, encoder.family.dim, decoder.family.fixed_variance,
        encoder.family.fixed_variance, mean, cov, prior_mean, prior_cov, alpha=alpha, rho=rho,
        labelled_mean=None if labelled is None else labelled.mean,
        labelled_cov=None if labelled is None else labelled.cov)


def select_engine(decoder, encoder, data, prior, labelled, alpha, rho):
    """The first registered engine that accepts the game, or None (sampled estimates only)."""
    lab = labelled if alpha > 0 else None
    for entry in ENGINES.entries():
        engine = entry.obj(decoder, encoder, data, prior, lab, alpha, rho)
        if engine is not None:
            return engine
    return None
