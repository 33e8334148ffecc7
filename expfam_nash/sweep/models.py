"""The games a sweep cell can build: ``MODELS``, a registry of model factories with their
argument specifications (canonical names ``rho`` for the L2 weight, alias ``l2``; ``alpha`` for
the labelled weight, aliases ``labelled_weight`` and ``labeled_weight``).

The first three entries wrap today's ``expfam_nash.models`` (same defaults as the CLI);
``bernoulli-anchored`` is the anchored Bernoulli game of the ``uniqueness_map`` figure. When the
package gains one MODELS registry, this module shrinks to a re-export of it.
"""
from __future__ import annotations

import numpy as np

from .. import models
from .._validation import as_rng, check_int
from ..core import Arg, Registry
from ..game import Game
from . import values as v

MODELS: Registry = Registry("model")

RHO = Arg("rho", v.nonnegative, 0.0, "L2 weight rho on the penalised coordinates", aliases=("l2",))
ALPHA = Arg("alpha", v.unit_interval, 0.0, "labelled weight alpha in [0, 1]",
            aliases=("labelled_weight", "labeled_weight"))


@MODELS.register("linear-gaussian", help="Gaussian decoder and encoder with affine lifts, prior N(0, I)", args=(
        Arg("eigenvalues", v.reals, "3.0,1.0", "data covariance eigenvalues"),
        Arg("latent_dim", v.at_least(1), 1, "latent dimension k"),
        Arg("decoder_var", v.variance, 0.5, "decoder variance > 0 or 'learned'"),
        Arg("encoder_var", v.variance, 0.8, "encoder variance > 0 or 'learned'"), RHO))
def linear_gaussian(eigenvalues: str, latent_dim: int, decoder_var, encoder_var, rho: float) -> Game:
    return models.linear_gaussian(eigenvalues=v.real_list(eigenvalues), latent_dim=latent_dim,
                                  decoder_var=decoder_var, encoder_var=encoder_var, l2=rho)


@MODELS.register("bernoulli", help="Bernoulli decoder and encoder with affine lifts, uniform prior on bits", args=(
        Arg("data", v.text, "bars:3", "bars:N[:P] | independent:p1,p2,... | random:D:SEED[:N] | file.npz"),
        Arg("latent_dim", v.at_least(1), 3, "latent bits k"), RHO))
def bernoulli(data: str, latent_dim: int, rho: float) -> Game:
    return models.bernoulli(data=data, latent_dim=latent_dim, l2=rho)


@MODELS.register("tabular", help="categorical pair with one-hot lifts on a joint table", args=(
        Arg("joint", v.text, "random:4:3:0", "random:NX:NZ:SEED | table.npy"), ALPHA, RHO))
def tabular(joint: str, alpha: float, rho: float) -> Game:
    return models.tabular(joint=joint, labeled_weight=alpha, l2=rho)


def _anchored_spec(joint: str) -> tuple[int, int, int]:
    fields = joint.split(":")
    if len(fields) != 4 or fields[0] != "random":
        raise ValueError(f"joint: expected random:D:K:SEED, got {joint!r}")
    try:
        d, k, seed = (int(f) for f in fields[1:])
    except ValueError:
        raise ValueError(f"joint: expected random:D:K:SEED with integers, got {joint!r}") from None
    return check_int(d, "joint D", maximum=12), check_int(k, "joint K", maximum=8), check_int(seed, "joint SEED", 0)


@MODELS.register("bernoulli-anchored", help="Bernoulli pair with affine lifts anchored by a random labelled joint "
                 "pi(x, z) on {0,1}^D x {0,1}^K; pi(x), pi(z) are its marginals", args=(
        Arg("joint", v.text, "random:3:1:1234", "random:D:K:SEED: pi(x, z) ~ Dirichlet(concentration) on the 2^D x 2^K pairs"),
        Arg("concentration", v.positive, 0.5, "Dirichlet concentration of the labelled joint"), ALPHA, RHO))
def bernoulli_anchored(joint: str, concentration: float, alpha: float, rho: float) -> Game:
    """The labelled joint L ~ Dirichlet(concentration) over all (x, z) pairs (from SEED), data and
    prior its marginals; the game of ``expfam_nash.plot.gallery.uniqueness_map`` (default joint)."""
    from ..environment import FiniteJoint
    from ..families import binary_support

    d, k, seed = _anchored_spec(joint)
    xs, zs = binary_support(d), binary_support(k)
    table = as_rng(seed).dirichlet(np.full(xs.shape[0] * zs.shape[0], concentration)).reshape(xs.shape[0], -1)
    labelled = FiniteJoint(xs, zs, table)
    data, prior = labelled.marginals()
    base = models.bernoulli(xs, weights=data.weights, latent_dim=k)
    return Game(base.decoder, base.encoder, data, prior, labeled=labelled, alpha=alpha, rho=rho,
                name=f"bernoulli-anchored(d={d}, k={k})")


def build(name: str, params: dict) -> Game:
    """The game of model ``name`` from a cell's resolved parameters (its own arguments are picked)."""
    entry = MODELS.get(name)
    return entry.obj(**{a.name: params[a.name] for a in entry.args})
