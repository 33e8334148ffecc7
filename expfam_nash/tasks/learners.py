"""The learners of the ``train`` task: ``LEARNERS``, the sub-registry ``expfam-nash train`` dispatches
on, chosen by the dataset.

* ``neural``: the torch-free VAE learner (``expfam_nash.neural``): the datasets of
  ``neural.DATASETS``, the methods of ``neural.LEARNING_METHODS``, the options of ``TrainConfig``.
* ``introvae``: Soft-IntroVAE and symmetric learning with a learned prior on the reference 2-D
  densities (``expfam_nash.introvae``): datasets ``ref2d:NAME`` (``INTRO_DATASETS``), methods
  ``INTRO_METHODS`` (vae, sintro, symmetric and the protocol's presets such as sintro-fixed), priors
  ``INTRO_PRIORS`` (normal, mog:K), the options of ``IntroConfig``. The shared options mean the same:
  ``--model gaussian:K`` is the latent dimension K, ``--data-variance`` the decoder's variance.

A :class:`Learner` turns the options given (canonical names of the train task) into its
configuration (refusing options it does not take), lists every option of a configuration (a sweep
cell's complete parameters), trains, resumes, loads a finished run, recognises its own run
directories and flattens its result into a table row. Runs, checkpoints, resume and the stop on NaN
are the learners' own (``neural.train``, ``introvae.run``); this module only routes to them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..core.files import read_json
from ..core.registry import Registry
from ..core.rows import flatten

REF2D = "ref2d:"
#: row columns that would repeat a train option (the option's column already holds it)
_OPTION_COLUMNS = ("dataset", "model", "method", "steps", "seed")


@dataclass(frozen=True)
class Learner:
    accepts: Callable[[str], bool]             # dataset spec -> does this learner train on it
    options: tuple[str, ...]                   # the train task's options it takes
    config: Callable[[dict], Any]              # options given -> its configuration
    options_of: Callable[[Any], dict]          # configuration -> every option (a sweep cell's parameters)
    train: Callable[..., Any]                  # (config, out, progress, callbacks) -> result
    resume: Callable[..., Any]                 # (out, steps, progress, callbacks) -> result
    load: Callable[[Path], Any]                # a finished run's result from its directory
    owns: Callable[[dict], bool]               # does a saved config.json come from this learner
    row: Callable[[Any], dict]                 # result -> one flat table row
    result: type                               # the class of its results


LEARNERS: Registry = Registry("learner")


# -- neural ----------------------------------------------------------------------------------------
def _neural_load(out: Path):
    from ..neural.config import TrainConfig
    from ..neural.train import RunResult

    config = TrainConfig.from_dict(read_json(out / "config.json", "config"))
    summary = read_json(out / "summary.json", "summary")
    timing = read_json(out / "timing.json", "timing") if (out / "timing.json").exists() else {}
    return RunResult(out, int(summary.get("steps", config.steps)), False, float(timing.get("wall_time", 0.0)),
                     summary, config.to_dict())


def _neural_row(result) -> dict:
    values = {k: v for k, v in flatten(result.evaluation or {}).items() if k not in _OPTION_COLUMNS}
    return {"status": "interrupted" if result.interrupted else "finished", **values}


def _register_neural() -> None:
    from ..neural.config import TrainConfig
    from ..neural.train import RunResult, resume, train

    LEARNERS.register("neural", Learner(
        accepts=lambda dataset: not dataset.startswith(REF2D),
        options=tuple(TrainConfig.__dataclass_fields__),
        config=lambda given: TrainConfig(**given),
        options_of=lambda config: config.to_dict(),
        train=lambda config, out, progress, callbacks: train(config, out, progress=progress, callbacks=callbacks),
        resume=lambda out, steps, progress, callbacks: resume(out, steps=steps, progress=progress, callbacks=callbacks),
        load=_neural_load, owns=lambda saved: "exp_scale" not in saved, row=_neural_row, result=RunResult),
        help="the torch-free VAE learner (neural.DATASETS; methods of neural.LEARNING_METHODS)")


# -- introvae --------------------------------------------------------------------------------------
#: train options whose IntroConfig field has another name (the shared meaning)
_INTRO_RENAMED = {"model": "latent_dim", "data_variance": "decoder_variance"}
#: the metrics of an introvae run's row (reference units; textbook KL / JS in nats)
INTRO_METRICS = ("grid_kl", "grid_jsd", "gnelbo", "gnelbo_raw", "kl_nats", "js_nats")


def _latent_dim(model: str) -> int:
    from ..core.parsing import at_least

    kind, _, k = str(model).partition(":")
    if kind != "gaussian":
        raise ValueError(f"model: the ref2d datasets take gaussian:K (K latent dimensions), got {model!r}")
    try:
        return at_least(1)(k)
    except ValueError:
        raise ValueError(f"model: expected gaussian:K with an integer K >= 1, got {model!r}") from None


def _intro_config(given: dict):
    """An IntroConfig from the train task's options (a method preset first, the options given over it)."""
    from ..introvae.config import IntroConfig
    from ..introvae.registry import INTRO_DATASETS, INTRO_METHODS

    kw = dict(given)
    name = str(kw.pop("dataset", REF2D + "8Gaussian"))[len(REF2D):]
    if name not in INTRO_DATASETS:
        raise ValueError(f"dataset: expected one of {', '.join(REF2D + n for n in INTRO_DATASETS)}, "
                         f"got {REF2D + name!r}")
    method = kw.pop("method", "sintro")
    if method not in INTRO_METHODS:
        raise ValueError(f"method: the ref2d datasets take one of {', '.join(INTRO_METHODS)}, got {method!r}")
    preset = INTRO_METHODS[method].meta.get("preset", {"method": method})
    if "model" in kw:
        kw["model"] = _latent_dim(kw["model"])
    kw = {_INTRO_RENAMED.get(k, k): v for k, v in kw.items()}
    return IntroConfig(dataset=name, **{**preset, **kw})


def _intro_options(config) -> dict:
    out = {k: v for k, v in config.to_dict().items() if k not in ("dataset", "latent_dim", "decoder_variance")}
    return {"dataset": REF2D + config.dataset, "model": f"gaussian:{config.latent_dim}",
            "data_variance": config.decoder_variance, **out}


def _intro_row(result) -> dict:
    values = result.summary_values
    return {"status": result.status, **{k: values.get(k) for k in INTRO_METRICS},
            "message": values.get("message")}


def _register_introvae() -> None:
    from ..introvae import run as R       # the module (the package exports its train function)
    from ..introvae.config import IntroConfig

    fields = tuple(k for k in IntroConfig.__dataclass_fields__ if k not in _INTRO_RENAMED.values())
    LEARNERS.register("introvae", Learner(
        accepts=lambda dataset: dataset.startswith(REF2D),
        options=fields + tuple(_INTRO_RENAMED),
        config=_intro_config, options_of=_intro_options,
        train=lambda config, out, progress, callbacks: R.train(config, out, progress=progress),
        resume=lambda out, steps, progress, callbacks: R.resume(out, steps=steps, progress=progress),
        load=R.load, owns=lambda saved: "exp_scale" in saved, row=_intro_row, result=R.RunResult),
        help="Soft-IntroVAE / symmetric learning with a learned prior on ref2d:8Gaussian|spiral|checkerboard|rings "
             "(introvae.INTRO_METHODS, INTRO_PRIORS)")


_register_neural()
_register_introvae()


def learner_for(dataset: str | None) -> str:
    """The name of the learner that trains on ``dataset`` (None: the neural learner's default)."""
    if dataset is None:
        return "neural"
    for entry in LEARNERS.entries():
        if entry.obj.accepts(dataset):
            return entry.name
    raise ValueError(f"dataset: no learner trains on {dataset!r}")


def learner_of_run(out) -> str:
    """The name of the learner that wrote the run directory ``out`` (from its config.json)."""
    out = Path(out)
    if not out.is_dir():
        raise ValueError(f"resume: {str(out)!r} holds no run (not a directory)")
    if not (out / "config.json").exists():
        raise ValueError(f"resume: {out} holds no run (no config.json)")
    saved = read_json(out / "config.json", "resume")
    for entry in LEARNERS.entries():
        if entry.obj.owns(saved):
            return entry.name
    raise ValueError(f"resume: {out / 'config.json'} was written by no known learner")
