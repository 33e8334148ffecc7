"""The ``train`` task: one training run of the learner the dataset selects (``LEARNERS``: the neural
VAE learner, or Soft-IntroVAE / symmetric learning with a learned prior on ``ref2d:NAME``), its
options the union of the learners' configuration fields; the figures of
:mod:`expfam_nash.experiments.neural` as a callback of neural runs.

    expfam-nash train --dataset bars:3 --model bits:6 --method symmetric --steps 20000 --out runs/bars
    expfam-nash train --dataset ref2d:8Gaussian --model gaussian:2 --method sintro --prior mog:64 \\
        --learnable-weights true --steps 30000 --seed 0 --out runs/8g
    expfam-nash train --resume runs/8g          # either learner: the run directory says which

No option has a default here: an option not given keeps the learner's default (or, on resume, the
run's saved value); an option the selected learner does not take is refused. As a sweep task, a
cell's options are completed with the learner's defaults (``complete``) and each cell trains in its
own directory, continuing a partial run there (``compute_in``)."""
from __future__ import annotations

import sys
from pathlib import Path

from ..core.registry import Arg
from ..core.tasks import TASKS, Task
from .learners import LEARNERS, learner_for, learner_of_run

#: the run's own switches and paths (presentation and place: not sweep parameters)
RUN_ARGS = (Arg("out", str, None, "run directory (default runs/DATASET-MODEL-METHOD-sSEED)", sweep=False),
            Arg("resume", str, None, "continue the run in DIR from its checkpoint", sweep=False),
            Arg("no_progress", bool, False, "no progress bar", sweep=False),
            Arg("no_figures", bool, False, "no samples.png / curves.png (neural runs)", sweep=False))


#: what a shared option means for the ref2d datasets (the introvae learner)
_REF2D_HELP = {"dataset": ", or ref2d:8Gaussian|spiral|checkerboard|rings (Soft-IntroVAE benchmark)",
               "model": "; ref2d: gaussian:K", "method": "; ref2d: INTRO_METHODS",
               "data_variance": "; ref2d: the decoder's variance (symmetric)"}


def _shown(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _train_args() -> tuple[Arg, ...]:
    """The learners' configuration fields as options without defaults (module docstring): the neural
    learner's (TrainConfig), then those only the introvae learner takes (IntroConfig)."""
    from ..introvae.registry import INTRO_METHODS, intro_args
    from ..neural.config import train_args

    intro = {a.name: a for a in intro_args()}
    out = []
    for a in train_args():
        help_ = f"{a.help}{_REF2D_HELP.get(a.name, '')} (default {_shown(a.default)}"
        if a.name in intro and intro[a.name].default != a.default:
            help_ += f"; ref2d: {_shown(intro[a.name].default)}"
        choices = tuple(dict.fromkeys((*a.choices, *INTRO_METHODS.names()))) if a.name == "method" else a.choices
        out.append(Arg(a.name, a.parse, None, help_ + ")", a.aliases, choices))
    own = LEARNERS["introvae"].obj.options
    for a in intro_args():
        if a.name in own and a.name not in {b.name for b in out}:
            out.append(Arg(a.name, a.parse, None, f"ref2d: {a.help} (default {_shown(a.default)})", a.aliases,
                           a.choices))
    return tuple(out) + RUN_ARGS


ARGS = _train_args()
OPTIONS = tuple(a.name for a in ARGS if a.sweep)


def _given(options: dict) -> dict:
    return {k: v for k, v in options.items() if k in OPTIONS and v is not None}


def configure(options: dict) -> tuple[str, object]:
    """(learner name, its configuration) from the options given; options it does not take are refused."""
    given = _given(options)
    name = learner_for(given.get("dataset"))
    learner = LEARNERS[name].obj
    foreign = [k for k in given if k not in learner.options]
    if foreign:
        other = next((e.name for e in LEARNERS.entries() if foreign[0] in e.obj.options), None)
        where = f"the {other} learner's option" if other else "not an option of any learner"
        raise ValueError(f"{foreign[0]}: {where}, not taken by the {name} learner "
                         f"(dataset {given.get('dataset', 'default')})")
    method = given.get("method")
    if method is not None:
        owners = [e.name for e in LEARNERS.entries() if e.name != name and _takes_method(e.name, method)]
        if owners and not _takes_method(name, method):
            raise ValueError(f"method: {method!r} is a method of the {owners[0]} learner; the {name} learner "
                             f"(dataset {given.get('dataset', 'default')}) takes {', '.join(_methods(name))}")
    return name, learner.config(given)


def _methods(learner: str) -> tuple[str, ...]:
    from ..introvae.registry import INTRO_METHODS
    from ..neural.learning import LEARNING_METHODS

    return (INTRO_METHODS if learner == "introvae" else LEARNING_METHODS).names()


def _takes_method(learner: str, method: str) -> bool:
    return method in _methods(learner)


def train_compute(options: dict):
    """A run (or the resumed run ``options["resume"]``) from the options; the learner's result.
    Figures (``samples.png``, ``curves.png``) for neural runs unless ``no_figures``."""
    progress = not options.get("no_progress")
    callbacks = () if options.get("no_figures") else (_figures_callback(),)
    if options.get("resume"):
        extra = sorted(set(_given(options)) - {"steps"})
        if extra:
            raise ValueError(f"resume: the run's options are in its config.json; only --steps may change "
                             f"(got --{extra[0].replace('_', '-')})")
        learner = LEARNERS[learner_of_run(options["resume"])].obj
        return learner.resume(Path(options["resume"]), options.get("steps"), progress, callbacks)
    name, config = configure(options)
    out = options.get("out")
    if out is None:
        o = LEARNERS[name].obj.options_of(config)
        out = f"runs/{o['dataset']}-{o['model']}-{options.get('method') or o['method']}-s{o['seed']}".replace(":", "_")
    elif not str(out).strip():
        raise ValueError("out: expected a directory path, got an empty string")
    return LEARNERS[name].obj.train(config, Path(out), progress, callbacks)


def train_run(options: dict) -> int:
    result = train_compute(options)
    print(result.summary())
    status = getattr(result, "status", "interrupted" if getattr(result, "interrupted", False) else "finished")
    if status == "interrupted":
        print(f"expfam-nash: interrupted at step {result.steps}; continue with: expfam-nash train --resume {result.out}",
              file=sys.stderr)
        return 130
    if status == "nan":
        values = result.summary_values
        raise FloatingPointError(f"training stopped: {values.get('message')}; the last good checkpoint (step "
                                 f"{values.get('checkpoint_step')}) is kept in {result.out}")
    return 0


def _figures_callback():
    from ..experiments.neural import run_figures

    return run_figures


# -- as a sweep task --------------------------------------------------------------------------------
def train_complete(values: dict) -> dict:
    """Every option of the cell's configuration (the learner's defaults filled in, a method preset
    resolved), so that a cell is keyed by what it trains; options the learner does not take are refused."""
    name, config = configure(values)
    return LEARNERS[name].obj.options_of(config)


def train_in(values: dict, directory):
    """A sweep cell's run in ``directory``: a finished run there is read back, a partial one continued
    from its last checkpoint, otherwise a new run starts there (no progress bar, no figures)."""
    directory = Path(directory)
    name, config = configure(values)
    learner = LEARNERS[name].obj
    if (directory / "summary.json").exists():
        return learner.load(directory)
    if (directory / "config.json").exists():
        return learner.resume(directory, None, False, ())
    return learner.train(config, directory, False, ())


def train_row(result) -> dict:
    """The learner's row of a run: ``status`` (finished, interrupted, nan) and its evaluation."""
    for entry in LEARNERS.entries():
        if isinstance(result, entry.obj.result):
            return entry.obj.row(result)
    raise TypeError(f"train: no learner makes results of type {type(result).__name__}")


TASKS.register("train", Task(run=train_run, compute=train_compute, row=train_row, complete=train_complete,
                             compute_in=train_in), args=ARGS,
               help="train a VAE (NumPy + Numba, no torch): the neural learner by symmetric learning or the ELBO, "
                    "or Soft-IntroVAE / symmetric learning with a learned prior on ref2d:NAME")
