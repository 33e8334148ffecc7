"""Models named by specs: ``bits:K`` (uniform prior on K bits), ``gaussian:K`` (N(0, I_K)),
``implicit:DATASET`` (a prior known only by samples: the named dataset's sampler, e.g.
``implicit:rings`` or ``implicit:bars:2``), ``hier:K0:K1`` or ``hier:K0:K1:reverse`` (two binary
layers, ladder encoder by default). The data heads follow the data's support."""
from __future__ import annotations

from ..core.validation import check_positive
from . import datasets as D
from . import priors as P
from .config import TrainConfig
from .hierarchical import ORDERS, HierarchicalVAE
from .vae import VAE

MODEL_SPECS = ("bits:K", "gaussian:K", "implicit:DATASET", "hier:K0:K1[:ladder|reverse]")


def _implicit_prior(spec: str, seed: int):
    base = D.load(spec, seed=seed, n_train=2, n_test=1)
    if base.sampler is None:
        raise ValueError(f"model: implicit:{spec} needs a dataset with a sampler (bars, 2-D densities)")
    return P.Implicit(base.dim, base.sampler, support=base.support)


def build_model(config: TrainConfig, data):
    """The model named by ``config.model`` for ``data`` (heads follow the data's support)."""
    spec = config.model
    kind = "bernoulli" if data.support == "binary" else "gaussian-learned"
    var = 1.0
    if data.support == "real" and config.data_variance != "learned":
        kind, var = "gaussian", check_positive(config.data_variance, "data_variance")
    common = dict(hidden=config.hidden, activation=config.activation, data_kind=kind, data_variance=var)
    fields = spec.split(":")
    try:
        if fields[0] == "hier":
            if config.labelled_fraction > 0:
                raise ValueError("labelled_fraction: the hierarchical model has no label part")
            order = fields[3] if len(fields) > 3 else "ladder"
            if len(fields) not in (3, 4) or order not in ORDERS:
                raise ValueError
            return HierarchicalVAE(data.dim, int(fields[1]), int(fields[2]), encoder=order, **common)
        if fields[0] == "bits" and len(fields) == 2:
            prior = P.UniformBits(int(fields[1]))
        elif fields[0] == "gaussian" and len(fields) == 2:
            prior = P.StandardNormal(int(fields[1]))
        elif fields[0] == "implicit" and len(fields) >= 2:
            prior = _implicit_prior(spec.split(":", 1)[1], config.seed)
        else:
            raise ValueError
    except ValueError as exc:
        if str(exc):
            raise
        raise ValueError(f"model: expected one of {', '.join(MODEL_SPECS)}, got {spec!r}") from None
    if prior.dim < 1:
        raise ValueError(f"model: the latent dimension must be >= 1, got {spec!r}")
    if config.labelled_fraction > 0:
        if not data.n_classes:
            raise ValueError(f"labelled_fraction: dataset {data.name} has no labels")
        prior = P.Product((P.UniformClasses(data.n_classes), prior))
    return VAE(data.dim, prior, **common)
