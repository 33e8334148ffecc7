"""The ``train`` task: a neural VAE from a :class:`~expfam_nash.neural.config.TrainConfig` whose fields
are the task's options; the figures of :mod:`expfam_nash.experiments.neural` as a callback."""
from __future__ import annotations

import sys

from ..core.registry import Arg
from ..core.tasks import TASKS, Task


def train_compute(options: dict):
    """A run (or the resumed run ``options["resume"]``) from the options; its :class:`RunResult`.
    Figures (``samples.png``, ``curves.png``) unless ``no_figures``."""
    from ..neural.config import TrainConfig
    from ..neural.train import resume, train

    callbacks = () if options.get("no_figures") else (_figures_callback(),)
    progress = not options.get("no_progress")
    given = {k: v for k, v in options.items() if v is not None and k in TrainConfig.__dataclass_fields__}
    if options.get("resume"):
        extra = sorted(set(given) - {"steps"})
        if extra:
            raise ValueError(f"resume: the run's options are in its config.json; only --steps may change "
                             f"(got --{extra[0].replace('_', '-')})")
        return resume(options["resume"], steps=given.get("steps"), progress=progress, callbacks=callbacks)
    config = TrainConfig(**given)
    out = options.get("out")
    if out is None:
        out = f"runs/{config.dataset}-{config.model}-{config.method}-s{config.seed}".replace(":", "_")
    elif not str(out).strip():
        raise ValueError("out: expected a directory path, got an empty string")
    return train(config, out, progress=progress, callbacks=callbacks)


def train_run(options: dict) -> int:
    result = train_compute(options)
    print(result.summary())
    if result.interrupted:
        print(f"expfam-nash: interrupted at step {result.steps}; continue with: expfam-nash train --resume {result.out}",
              file=sys.stderr)
        return 130
    return 0


def _figures_callback():
    from ..experiments.neural import run_figures

    return run_figures


def _train_args() -> tuple[Arg, ...]:
    """TrainConfig's fields (no defaults here: a missing option keeps the config's default, and a
    resumed run its saved value), then the run's own switches."""
    from ..neural.config import train_args

    fields = tuple(Arg(a.name, a.parse, None, f"{a.help} (default {_shown(a.default)})", a.aliases, a.choices)
                   for a in train_args())
    return fields + (Arg("out", str, None, "run directory (default runs/DATASET-MODEL-METHOD-sSEED)"),
                     Arg("resume", str, None, "continue the run in DIR from its checkpoint"),
                     Arg("no_progress", bool, False, "no progress bar"),
                     Arg("no_figures", bool, False, "no samples.png / curves.png"))


def _shown(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


TASKS.register("train", Task(run=train_run, compute=train_compute), args=_train_args(),
               help="train a neural VAE (NumPy + Numba, no torch) by symmetric learning or the ELBO")


