"""The built-in tasks of the command line: solve, verify, prove, claims, figures, train, docs.
Each is one registration in ``TASKS`` with its options; the CLI's parser is generated from them
(``cli.main``)."""
from __future__ import annotations

import json
import sys
import time

from ..core.jsonable import jsonable
from ..core.registry import Arg
from ..core.tasks import TASKS, Task
from ..dynamics.solvers import SOLVE_ARGS

#: options shared by the tasks that print a result
JSON = Arg("json", bool, False, "print one JSON object instead of a summary")
PROGRESS = Arg("progress", bool, False, "show progress on stderr")
DEFAULT_MODEL = "linear-gaussian"


def model_options(options: dict) -> tuple[str, dict]:
    """(model name, the model's keyword arguments) from a task's options: the registered model's
    arguments that are present (the CLI's model sub-command, a sweep's grid point)."""
    from ..models import MODELS

    name = options.get("model") or DEFAULT_MODEL
    entry = MODELS.get(name)
    kwargs = {}
    for key, value in options.items():
        if key in ("model",) or value is None:
            continue
        try:
            kwargs[entry.arg(key).name] = value
        except ValueError:
            continue
    return name, kwargs


def make_game(options: dict):
    """The game of a task's options (default model: linear-gaussian with its defaults)."""
    from ..models import make

    name, kwargs = model_options(options)
    return make(name, **kwargs)


def _print(result, options: dict) -> int:
    print(json.dumps(jsonable(result.to_dict())) if options.get("json") else result.summary())
    return 0


# -- solve -----------------------------------------------------------------------------------------
def solve_compute(options: dict, game=None):
    """``solve`` on the game of ``options`` (built from them unless given)."""
    from ..dynamics import solve

    game = make_game(options) if game is None else game
    return solve(game, progress=bool(options.get("progress")),
                 **{a.name: options[a.name] for a in SOLVE_ARGS if a.name in options})


def solve_run(options: dict) -> int:
    game = make_game(options)
    result = solve_compute(options, game)
    if not options.get("json"):
        print(game.describe())
    return _print(result, options)


def _solve_args() -> tuple[Arg, ...]:
    from ..dynamics import SOLVERS

    method = SOLVE_ARGS[0]
    return (Arg(method.name, method.parse, method.default, method.help, choices=SOLVERS.names()),
            *SOLVE_ARGS[1:], JSON, PROGRESS)


TASKS.register("solve", Task(run=solve_run, compute=solve_compute, models=True), args=_solve_args(),
               help="find an equilibrium and certify it (default model: linear-gaussian)")


# -- verify ----------------------------------------------------------------------------------------
VERIFY_ARGS = (Arg("starts", int, 32, "number of starts"), Arg("seed", int, 0, "seed of the starts"),
               Arg("tol", float, 1e-10, "residual tolerance"), Arg("max_steps", int, 20000, "step budget per start"),
               JSON, PROGRESS)


def verify_compute(options: dict):
    from ..verification import verify

    return verify(make_game(options), **{a.name: options[a.name] for a in VERIFY_ARGS[:4] if a.name in options})


TASKS.register("verify", Task(run=lambda o: _print(verify_compute(o), o), compute=verify_compute, models=True),
               args=VERIFY_ARGS,
               help="solve from many starts; classes up to symmetry, uniqueness, stability, certificates")


# -- prove, claims ---------------------------------------------------------------------------------
def _import_proofs():
    """The top-level ``proofs`` package: the checkout's, next to this package, or the installed one."""
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    if (root / "proofs" / "__init__.py").exists() and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        return importlib.import_module("proofs")
    except ImportError:
        raise ValueError("prove: the proofs package is missing; reinstall expfam-nash") from None


def prove_run(options: dict) -> int:
    proofs = _import_proofs()
    names = proofs.PROOFS if options.get("name") is None else [options["name"]]
    unknown = [n for n in names if n not in proofs.PROOFS]
    if unknown:
        raise ValueError(f"name: unknown proof {unknown[0]!r}; expected one of {', '.join(proofs.PROOFS)}")
    failed = [n for n in names if not proofs.run(n)]
    if len(names) > 1:
        print(f"{len(names) - len(failed)} of {len(names)} proofs PASS" + (f"; FAIL: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


TASKS.register("prove", Task(run=prove_run), args=(Arg("name", str, None, "the proof to run (default: all)",
                                                       positional=True, nargs="?"),),
               help="run the symbolic proofs (all, or the one named)")


def claims_run(options: dict) -> int:
    from ..verification.claims import REGISTER, register_text

    print(json.dumps([c.to_dict() for c in REGISTER], indent=1) if options.get("json") else register_text())
    return 0


TASKS.register("claims", Task(run=claims_run), args=(JSON,),
               help="the claims register of THEORY.md section 4 with verdicts and evidence")


# -- figures ---------------------------------------------------------------------------------------
def figures_run(options: dict) -> int:
    from ..experiments import FIGURES, write

    names = options.get("only") or list(FIGURES)
    for name in names:
        FIGURES.get(name)                  # unknown names fail before any work
    total = time.perf_counter()
    for i, name in enumerate(names, 1):
        start = time.perf_counter()
        png, js = write(name, options["out"], seed=options["seed"])
        print(f"[{i}/{len(names)}] {name}: {png} + {js.name} in {time.perf_counter() - start:.1f} s",
              file=sys.stderr, flush=True)
    print(f"{len(names)} figures in {time.perf_counter() - total:.1f} s", file=sys.stderr)
    return 0


TASKS.register("figures", Task(run=figures_run),
               args=(Arg("out", str, "figures", "output directory"),
                     Arg("only", str, None, "only these figures", nargs="+"), Arg("seed", int, 0, "seed")),
               help="regenerate the figure gallery (NAME.png + NAME.json per figure)")


# -- train -----------------------------------------------------------------------------------------
def train_run(options: dict) -> int:
    from ..neural.config import TrainConfig
    from ..neural.train import resume, train

    callbacks = () if options.get("no_figures") else (_figures_callback(),)
    progress = not options.get("no_progress")
    if options.get("resume"):
        given = [k for k, v in options.items() if v is not None and k in TrainConfig.__dataclass_fields__
                 and k != "steps"]
        if given:
            raise ValueError(f"resume: the run's options are in its config.json; only --steps may change "
                             f"(got --{given[0].replace('_', '-')})")
        result = resume(options["resume"], steps=options.get("steps"), progress=progress, callbacks=callbacks)
    else:
        fields = {k: v for k, v in options.items() if v is not None and k in TrainConfig.__dataclass_fields__}
        config = TrainConfig(**fields)
        out = options.get("out") or f"runs/{config.dataset}-{config.model}-{config.method}-s{config.seed}".replace(":", "_")
        result = train(config, out, progress=progress, callbacks=callbacks)
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


TASKS.register("train", Task(run=train_run), args=_train_args(),
               help="train a neural VAE (NumPy + Numba, no torch) by symmetric learning or the ELBO")


# -- docs ------------------------------------------------------------------------------------------
def docs_run(options: dict) -> int:
    from pathlib import Path

    from .docs import render

    path, text = Path(options["out"]), render()
    if options.get("check"):
        if not path.exists() or path.read_text() != text:
            raise ValueError(f"docs: {path} is out of date; regenerate it with: expfam-nash docs --out {path}")
        return 0
    path.write_text(text)
    print(f"wrote {path}", file=sys.stderr)
    return 0


TASKS.register("docs", Task(run=docs_run),
               args=(Arg("out", str, "docs/REGISTRIES.md", "the generated tables"),
                     Arg("check", bool, False, "fail if the file differs from what the registries give")),
               help="write the registry tables of the docs (families, lifts, models, solvers, ...)")

__all__ = ["make_game", "model_options"]
