"""The configuration of a training run: one frozen dataclass whose fields are the single source of
the run's options. Each field carries its ``Arg`` spec (help, parser, older spellings) in its
metadata; :func:`train_args` lists them for the CLI (``expfam-nash train`` flags) and the sweep
layer, so options never drift from the configuration."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..core.parsing import at_least, ints, nonnegative, optional, positive, text, unit_interval, variance
from ..core.registry import Arg, with_aliases
from ..core.validation import check_int, check_nonnegative, check_positive, check_sizes, check_unit_interval
from .learning import LEARNING_METHODS


def _opt(default, help: str, parse=text, aliases: tuple = (), choices=None):
    """A dataclass field with its Arg spec in the metadata (parse: a parser of ``core.parsing``)."""
    return field(default=default, metadata={"help": help, "parse": parse, "aliases": aliases, "choices": choices})


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run (saved as ``config.json``)."""

    dataset: str = _opt("bars:3", "dataset spec (see neural.datasets.specs())")
    model: str = _opt("bits:6", "model spec: bits:K | gaussian:K | implicit:DATASET | hier:K0:K1[:ladder|reverse]")
    method: str = _opt("symmetric", "learning method (LEARNING_METHODS)")
    steps: int = _opt(20000, "total training steps", at_least(0))
    seed: int = _opt(0, "seed of the data, the initialisation and the training stream", at_least(0))
    batch: int = _opt(128, "minibatch size", at_least(1))
    lr: float = _opt(1e-3, "Adam step size", positive)
    schedule: str = _opt("cosine", "lr schedule: constant, or cosine lr_t = lr (1 + cos(pi t / steps)) / 2",
                         choices=("cosine", "constant"))
    hidden: tuple = _opt((64,), "hidden widths, comma-separated ('' for none)", parse=ints)
    activation: str = _opt("tanh", "hidden activation", choices=("tanh", "relu"))
    dtype: str = _opt("float32", "training dtype", choices=("float32", "float64"))
    rho: float = _opt(0.0, "L2 weight on all parameters", nonnegative, aliases=("decay",))
    labelled_fraction: float = _opt(0.0, "fraction of training examples whose label is observed (needs alpha)",
                                    unit_interval, aliases=("labelled",))
    alpha: float = _opt(0.0, "weight of the labelled term (THEORY.md section 2)", unit_interval)
    elbo_samples: int = _opt(2, "latent samples per image of the score-function ELBO", at_least(2))
    data_variance: float | str = _opt("learned", "real data: 'learned' or a fixed variance > 0", parse=variance)
    log_every: int = _opt(100, "steps between metric lines", at_least(1))
    checkpoint_every: int = _opt(1000, "steps between checkpoints", at_least(1))
    eval_K: int = _opt(1000, "importance samples per test image", at_least(1), aliases=("eval_k",))
    n_train: int | None = _opt(None, "training rows (default: the dataset's)", optional(at_least(1)))

    def __post_init__(self):
        object.__setattr__(self, "hidden", check_sizes(self.hidden, "hidden"))
        for name in ("dataset", "model", "method"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name}: expected a string, got {getattr(self, name)!r}")
        if self.method not in LEARNING_METHODS:
            raise ValueError(f"method: expected one of {sorted(LEARNING_METHODS.names())}, got {self.method!r}")
        check_int(self.steps, "steps", minimum=0)
        check_int(self.batch, "batch")
        check_positive(self.lr, "lr")
        check_nonnegative(self.rho, "rho")
        check_unit_interval(self.labelled_fraction, "labelled_fraction")
        check_unit_interval(self.alpha, "alpha")
        check_int(self.log_every, "log_every")
        check_int(self.checkpoint_every, "checkpoint_every")
        for name in ("schedule", "activation", "dtype"):
            choices = type(self).__dataclass_fields__[name].metadata["choices"]
            if getattr(self, name) not in choices:
                raise ValueError(f"{name}: expected one of {choices}, got {getattr(self, name)!r}")
        if (self.alpha > 0) != (self.labelled_fraction > 0):
            raise ValueError("alpha, labelled_fraction: give both (> 0) for semi-supervised learning, or neither")
        if self.labelled_fraction > 0 and self.method != "symmetric":
            raise ValueError("labelled_fraction: labelled pairs enter symmetric learning only (method 'symmetric')")
        check_int(self.eval_K, "eval_K")
        check_int(self.elbo_samples, "elbo_samples", minimum=2)
        if self.n_train is not None:
            check_int(self.n_train, "n_train")
        if self.data_variance != "learned":
            check_positive(self.data_variance, "data_variance")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    def summary(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.to_dict().items())

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """A config from a dict (e.g. an older ``config.json``, older spellings included); unknown
        keys are ignored."""
        if not isinstance(d, dict):
            raise ValueError(f"config: expected a JSON object of options, got {type(d).__name__}")
        known = {f.name for f in dataclasses.fields(cls)} | set(_ALIASES)
        return cls(**{k: v for k, v in d.items() if k in known})


def train_args() -> tuple[Arg, ...]:
    """The ``Arg`` spec of every field of :class:`TrainConfig` (CLI flags, sweep keys, docs)."""
    return tuple(Arg(f.name, f.metadata["parse"], f.default, f.metadata["help"], tuple(f.metadata["aliases"]),
                     LEARNING_METHODS.names() if f.name == "method" else f.metadata["choices"])
                 for f in dataclasses.fields(TrainConfig))


_ALIASES = {alias: a.name for a in train_args() for alias in a.aliases}
#: the constructor also accepts the older spellings (``decay``, ``labelled``, ``eval_k``)
TrainConfig.__init__ = with_aliases(TrainConfig.__init__, _ALIASES)
