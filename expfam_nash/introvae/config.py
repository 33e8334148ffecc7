"""The run configuration of the Soft-IntroVAE benchmark (one frozen dataclass, saved as
``config.json``), the recommended weights and the learning-rate schedule.

Names: ``beta_rec``, ``beta_kl``, ``beta_neg`` are the reference's weights; ``exp_scale`` is its
exponent scale a (= 2; the reference calls it alpha, a name this package keeps for the labelled
weight); ``warmup`` is its ``num_vae``, ``vamp_lead`` its ``mog_warmup``; ``lr`` the step size of
every player (the prior's is ``prior_lr``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .._validation import check_int, check_nonnegative, check_positive
from ..core.validation import check_memory
from .data import check_dataset

METHODS = ("vae", "sintro", "symmetric")

#: (beta_rec, beta_kl) for the VAE and (beta_rec, beta_kl, beta_neg) for S-IntroVAE, per dataset
#: (the reference's ``get_config``)
RECOMMENDED = {
    "8Gaussian": {"vae": (0.8, 0.05, None), "sintro": (0.2, 0.3, 0.9)},
    "spiral": {"vae": (1.0, 0.05, None), "sintro": (0.2, 0.5, 1.0)},
    "checkerboard": {"vae": (0.8, 0.1, None), "sintro": (0.2, 0.1, 0.2)},
    "rings": {"vae": (0.8, 0.05, None), "sintro": (0.2, 0.2, 1.0)},
}


def parse_prior(spec: str) -> tuple[str, int]:
    """'normal' -> ('normal', 1); 'mog:K' -> ('mog', K)."""
    if spec == "normal":
        return "normal", 1
    kind, _, k = str(spec).partition(":")
    if kind == "mog" and k.isdigit() and int(k) >= 1:
        return "mog", int(k)
    raise ValueError(f"prior: expected 'normal' or 'mog:K' with K >= 1, got {spec!r}")


@dataclass(frozen=True)
class IntroConfig:
    """Everything that defines a run. ``None`` for a weight means the recommended one of
    :data:`RECOMMENDED`; ``clip=None`` means the reference's choice (on exactly for S-IntroVAE with
    a learnable prior player)."""

    dataset: str = "8Gaussian"
    method: str = "sintro"
    prior: str = "normal"
    learnable_weights: bool = False
    train_prior: bool = True
    clip: bool | None = None
    lambda_resp: float = 0.0
    beta_rec: float | None = None
    beta_kl: float | None = None
    beta_neg: float | None = None
    exp_scale: float = 2.0
    gamma_r: float = 1e-8
    mc_samples: int = 100
    steps: int = 30000
    warmup: int = 2000
    vamp_lead: int = 100
    milestones: tuple = (10000, 15000)
    lr: float = 2e-4
    prior_lr: float | None = None
    batch: int = 512
    hidden: tuple = (256, 256, 256, 256)
    latent_dim: int = 2
    decoder_variance: float | str = "learned"
    seed: int = 0
    dtype: str = "float32"
    log_every: int = 100
    checkpoint_every: int = 1000
    eval_points: int = 5000
    eval_grid: int = 1024
    eval_data: int = 12800

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)   # noqa: E731
        check_dataset(self.dataset)
        if self.method not in METHODS:
            raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {self.method!r}")
        kind, _ = parse_prior(self.prior)
        set_("hidden", tuple(check_int(h, "hidden") for h in self.hidden))
        set_("milestones", tuple(check_int(m, "milestones", minimum=0) for m in self.milestones))
        for name in ("steps", "warmup", "vamp_lead"):
            check_int(getattr(self, name), name, minimum=0)
        for name in ("mc_samples", "batch", "latent_dim", "log_every", "checkpoint_every", "eval_points",
                     "eval_grid", "eval_data"):
            check_int(getattr(self, name), name)
        for name in ("lr", "exp_scale"):
            check_positive(getattr(self, name), name)
        if self.prior_lr is not None:
            check_positive(self.prior_lr, "prior_lr")
        for name in ("lambda_resp", "gamma_r"):
            check_nonnegative(getattr(self, name), name)
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype: expected 'float32' or 'float64', got {self.dtype!r}")
        self._check_prior_options(kind)
        self._check_sizes()
        self._fill_weights()
        if self.decoder_variance != "learned":
            set_("decoder_variance", check_positive(self.decoder_variance, "decoder_variance"))

    def _check_sizes(self) -> None:
        """Refuse sizes whose arrays would not fit (``core.validation.check_memory``) before any work:
        the networks with gradients and Adam moments, one iteration's activations (about 12 forward
        and backward passes of 2 x batch rows), its Monte Carlo draws (batch x mc_samples x
        latent_dim), the prior's responsibilities, and the evaluation's points and grid."""
        width = sum(self.hidden)
        widths = lambda a, b: [a, *self.hidden, b]                       # noqa: E731
        n_params = sum((i + 1) * o for net in (widths(2, 2 * self.latent_dim), widths(self.latent_dim, 2))
                       for i, o in zip(net[:-1], net[1:]))
        check_memory(4 * n_params, "hidden", f"networks of {n_params} parameters with their gradients and "
                     "Adam moments")
        check_memory((4, self.n_components, 2 * self.latent_dim + 1), "prior",
                     "the mixture's parameters with their gradients and Adam moments")
        check_memory((24, self.batch, width + 2 * self.latent_dim + 4), "batch", "one iteration's activations")
        check_memory((2, self.batch, self.mc_samples, self.latent_dim + 1), "mc_samples",
                     "one iteration's Monte Carlo draws")
        check_memory((2, self.batch, self.mc_samples, self.n_components), "prior",
                     "the mixture's responsibilities for one iteration's draws")
        check_memory((self.eval_points, width + 8), "eval_points", "the evaluation's generated points")
        check_memory((self.eval_grid, self.eval_grid, 4), "eval_grid", "the gnELBO grid")
        check_memory((self.eval_data, 4), "eval_data", "the gnELBO data points")

    def _check_prior_options(self, kind: str) -> None:
        learnable_player = kind == "mog" and self.train_prior and self.method == "sintro"
        if self.clip is None:
            object.__setattr__(self, "clip", learnable_player)
        elif self.clip and not learnable_player:
            raise ValueError("clip: adaptive variance clipping applies to S-IntroVAE with a learnable prior "
                             "(method 'sintro', prior 'mog:K', train_prior) only")
        if kind == "normal" and (self.learnable_weights or self.lambda_resp > 0):
            raise ValueError("learnable_weights, lambda_resp: need a mixture prior 'mog:K'")
        if not self.train_prior and (kind != "mog" or self.method != "sintro"):
            raise ValueError("train_prior: a fixed pretrained mixture (train_prior=False) exists for "
                             "method 'sintro' with prior 'mog:K' only")
        if self.lambda_resp > 0 and self.method != "sintro":
            raise ValueError("lambda_resp: the responsibility term enters the S-IntroVAE encoder loss only")
        if kind == "mog" and self.method == "sintro" and self.warmup <= self.vamp_lead:
            raise ValueError(f"warmup: must exceed vamp_lead ({self.vamp_lead}) so that the VampPrior "
                             f"becomes a mixture during warm-up, got {self.warmup}")
        if self.method == "sintro" and self.warmup >= self.steps and self.steps > 0:
            raise ValueError(f"warmup: must be below steps ({self.steps}) for S-IntroVAE; use method 'vae' "
                             "for a warm-up-only run")

    def _fill_weights(self) -> None:
        rec = RECOMMENDED[self.dataset].get(self.method, (None, None, None))
        for name, value in zip(("beta_rec", "beta_kl", "beta_neg"), rec, strict=True):
            if getattr(self, name) is None and value is not None:
                object.__setattr__(self, name, value)
        if self.method in ("vae", "sintro"):
            check_positive(self.beta_rec, "beta_rec")
            check_nonnegative(self.beta_kl, "beta_kl")
        if self.method == "sintro":
            check_nonnegative(self.beta_neg, "beta_neg")

    # -- derived ------------------------------------------------------------------------------
    @property
    def prior_kind(self) -> str:
        return parse_prior(self.prior)[0]

    @property
    def n_components(self) -> int:
        return parse_prior(self.prior)[1]

    @property
    def learning_rate_prior(self) -> float:
        return self.lr if self.prior_lr is None else self.prior_lr

    def lr_at(self, step: int, base: float | None = None) -> float:
        """The reference's MultiStepLR: base * 0.1^(number of milestones <= step)."""
        base = self.lr if base is None else base
        return base * 0.1 ** sum(step >= m for m in self.milestones)

    def summary(self) -> str:
        """One line: method, prior and its options, dataset, schedule, seed."""
        opts = [o for o, on in (("learnable weights", self.learnable_weights), ("fixed", not self.train_prior),
                                ("clipping", self.clip), (f"lambda_resp {self.lambda_resp:g}", self.lambda_resp > 0))
                if on]
        prior = self.prior + (f" ({', '.join(opts)})" if opts else "")
        return (f"{self.method} on {self.dataset}, prior {prior}, {self.steps} steps (warm-up {self.warmup}, "
                f"milestones {','.join(map(str, self.milestones))}), M = {self.mc_samples}, seed {self.seed}")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"], d["milestones"] = list(self.hidden), list(self.milestones)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "IntroConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def scaled(self, factor: float) -> "IntroConfig":
        """The same run with its schedule shortened by ``factor``: steps, warm-up, VampPrior lead
        and milestones all divided by it (rounded), everything else unchanged."""
        check_positive(factor, "factor")
        r = lambda v: max(1, int(round(v / factor)))   # noqa: E731
        return dataclasses.replace(self, steps=r(self.steps), warmup=r(self.warmup), vamp_lead=r(self.vamp_lead),
                                   milestones=tuple(r(m) for m in self.milestones))
