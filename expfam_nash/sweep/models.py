"""The games a sweep cell can build: ``MODELS``, a registry of model factories with their
argument specifications (canonical names ``rho`` for the L2 weight, alias ``l2``; ``alpha`` for
the labelled weight, aliases ``labelled_weight`` and ``labeled_weight``).

The first three entries wrap today's ``expfam_nash.models`` (same defaults as the CLI);
``bernoulli-anchored`` is the anchored Bernoulli game of the ``uniqueness_map`` figure. When the
package gains one MODELS registry, this module shrinks to a re-export of it.
"""
from __future__ import annotations


from .. import models
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


@MODELS.register("bernoulli-anchored", help=models.MODELS["bernoulli-anchored"].help, args=(
        Arg("joint", v.text, "random:3:1:1234", "random:D:K:SEED: pi(x, z) ~ Dirichlet(concentration) on the 2^D x 2^K pairs"),
        Arg("concentration", v.positive, 0.5, "Dirichlet concentration of the labelled joint"), ALPHA, RHO))
def bernoulli_anchored(joint: str, concentration: float, alpha: float, rho: float) -> Game:
    return models.bernoulli_anchored(joint, concentration, alpha=alpha, rho=rho)


def build(name: str, params: dict) -> Game:
    """The game of model ``name`` from a cell's resolved parameters (its own arguments are picked)."""
    entry = MODELS.get(name)
    return entry.obj(**{a.name: params[a.name] for a in entry.args})
