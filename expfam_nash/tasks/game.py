"""The game tasks: ``solve`` and ``verify`` on a registered model (``MODELS``), with ``compute``
returning the result object (for sweeps) and ``run`` printing it."""
from __future__ import annotations

import json

from ..core.jsonable import jsonable
from ..core.registry import Arg
from ..core.tasks import TASKS, Task
from ..dynamics import SOLVE_ARGS, SOLVERS, solve
from ..models import MODELS, make
from ..verification import verify

#: options shared by the tasks that print a result
JSON = Arg("json", bool, False, "print one JSON object instead of a summary")
PROGRESS = Arg("progress", bool, False, "show progress on stderr")
UNCERTIFIED = Arg("uncertified", bool, False, "skip the interval certificates (faster; every verdict undecided)")
DEFAULT_MODEL = "linear-gaussian"


def model_options(options: dict) -> tuple[str, dict]:
    """(model name, the model's keyword arguments) from a task's options: the registered model's
    arguments that are present (the CLI's model sub-command, a sweep's grid point)."""
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
    name, kwargs = model_options(options)
    return make(name, **kwargs)


def _print(result, options: dict) -> int:
    print(json.dumps(jsonable(result.to_dict())) if options.get("json") else result.summary())
    return 0


# -- solve -----------------------------------------------------------------------------------------
def solve_compute(options: dict, game=None):
    """``solve`` on the game of ``options`` (built from them unless given)."""
    game = make_game(options) if game is None else game
    return solve(game, progress=bool(options.get("progress")), certify=not options.get("uncertified"),
                 **{a.name: options[a.name] for a in SOLVE_ARGS if a.name in options})


def solve_run(options: dict) -> int:
    game = make_game(options)
    result = solve_compute(options, game)
    if not options.get("json"):
        print(game.describe())
    return _print(result, options)


def _solve_args() -> tuple[Arg, ...]:
    method = SOLVE_ARGS[0]
    return (Arg(method.name, method.parse, method.default, method.help, choices=SOLVERS.names()),
            *SOLVE_ARGS[1:], UNCERTIFIED, JSON, PROGRESS)


TASKS.register("solve", Task(run=solve_run, compute=solve_compute, models=True), args=_solve_args(),
               help="find an equilibrium and certify it (default model: linear-gaussian)")


# -- verify ----------------------------------------------------------------------------------------
VERIFY_ARGS = (Arg("starts", int, 32, "number of starts"), Arg("seed", int, 0, "seed of the starts"),
               Arg("tol", float, 1e-10, "residual tolerance"), Arg("max_steps", int, 20000, "step budget per start"),
               UNCERTIFIED, JSON, PROGRESS)


def verify_compute(options: dict):
    return verify(make_game(options), certify=not options.get("uncertified"),
                  **{a.name: options[a.name] for a in VERIFY_ARGS[:4] if a.name in options})


TASKS.register("verify", Task(run=lambda o: _print(verify_compute(o), o), compute=verify_compute, models=True),
               args=VERIFY_ARGS,
               help="solve from many starts; classes up to symmetry, uniqueness, stability, certificates")


