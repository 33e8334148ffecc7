"""The game tasks: ``solve`` and ``verify`` on a registered model (``MODELS``), with ``compute``
returning the result object, ``run`` printing it and ``row`` flattening it into a sweep table's
row (verdicts as booleans that are true only when certified, a ``*_status`` column per verdict,
counts and metrics)."""
from __future__ import annotations

import json

from ..core.jsonable import jsonable
from ..core.parsing import at_least, flag, positive
from ..core.registry import Arg
from ..core.tasks import TASKS, Task
from ..dynamics import SOLVE_ARGS, SOLVERS, solve
from ..models import MODELS, make
from ..verification import verify

#: options shared by the tasks that print a result (presentation only: not sweep parameters)
JSON = Arg("json", bool, False, "print one JSON object instead of a summary", sweep=False)
PROGRESS = Arg("progress", bool, False, "show progress on stderr", sweep=False)
#: on by default; the switch --uncertified turns it off (sweep key ``certify``)
CERTIFY = Arg("certify", bool, True, "certify the verdicts in interval arithmetic; the switch skips it (faster; "
              "every verdict undecided)", switch="uncertified")
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


def _certify(options: dict) -> bool:
    return flag(options.get("certify", True))


def statuses(verdicts: dict, prefix: str = "") -> dict:
    """One column per verdict: its status (certified / refuted / undecided)."""
    return {f"{prefix}{name}_status": verdict.status.value for name, verdict in verdicts.items()}


# -- solve -----------------------------------------------------------------------------------------
def solve_compute(options: dict, game=None):
    """``solve`` on the game of ``options`` (built from them unless given)."""
    game = make_game(options) if game is None else game
    return solve(game, progress=bool(options.get("progress")), certify=_certify(options),
                 **{a.name: options[a.name] for a in SOLVE_ARGS if a.name in options})


def solve_run(options: dict) -> int:
    game = make_game(options)
    result = solve_compute(options, game)
    if not options.get("json"):
        print(game.describe())
    return _print(result, options)


def solve_row(res) -> dict:
    """One ``solve`` run, flattened: converged / diverged / stable (true only when certified), a
    ``*_status`` column per verdict, the certificate numbers and the floating-point diagnostics."""
    eig = res.jacobian_eigenvalues
    return {"converged": res.converged, "diverged": res.diverged, "stable": res.stable, **statuses(res.verdicts),
            "enclosure_radius": res.enclosure_radius, "lyapunov_margin": res.lyapunov_margin,
            "nash_gap_bound": res.nash_gap_bound, "residual": res.residual, "nash_gap": res.nash_gap,
            "max_re_eigenvalue": float(eig.real.max()) if eig.size else float("nan"),
            "neutral_directions": res.neutral_directions, "orbit_dimension": res.orbit_dimension,
            "max_stable_step": res.max_stable_step, "best_response_attained": res.best_response_attained,
            "param_norm": float(res.params.norm()), "iterations": res.iterations, "reason": res.reason}


def _solve_args() -> tuple[Arg, ...]:
    method = SOLVE_ARGS[0]
    return (Arg(method.name, method.parse, method.default, method.help, choices=SOLVERS.names()),
            *SOLVE_ARGS[1:], CERTIFY, JSON, PROGRESS)


TASKS.register("solve", Task(run=solve_run, compute=solve_compute, models=True, row=solve_row,
                             default_model=DEFAULT_MODEL), args=_solve_args(),
               help="find an equilibrium and certify it (default model: linear-gaussian)")


# -- verify ----------------------------------------------------------------------------------------
VERIFY_ARGS = (Arg("starts", at_least(2), 32, "number of starts"), Arg("seed", at_least(0), 0, "seed of the starts"),
               Arg("tol", positive, 1e-10, "residual tolerance"),
               Arg("max_steps", at_least(1), 20000, "step budget per start"), CERTIFY, JSON, PROGRESS)


def verify_compute(options: dict):
    return verify(make_game(options), certify=_certify(options),
                  **{a.name: options[a.name] for a in VERIFY_ARGS[:4] if a.name in options})


def verify_row(res) -> dict:
    """One ``verify`` run, flattened: verdicts (``unique``, ``continuum`` -- true only when certified
    -- a ``*_status`` column per game-level verdict, ``category``, counts of runs and classes) and
    metrics (worst enclosure radius, residual and Nash gap over the classes, the global Rosen
    certificate)."""
    from ..plot.uniqueness import verdict_category

    reps = [c.representative for c in res.classes]
    return {"category": verdict_category(res), "unique": res.unique, "continuum": res.continuum,
            **statuses(res.verdicts), "nonexistence": bool(res.nonexistence), "classes": len(res.classes),
            "stable_classes": sum(1 for r in reps if r.stable),
            "unstable_classes": sum(1 for r in reps if r.verdicts["stability"].status.value == "refuted"),
            "collapsed_classes": sum(1 for c in res.classes if c.collapsed),
            "converged": res.converged, "escaped": res.escaped, "not_converged": res.not_converged,
            "max_enclosure_radius": max((r.enclosure_radius for r in reps), default=float("nan")),
            "max_residual": max((r.residual for r in reps), default=float("nan")),
            "max_nash_gap": max((r.nash_gap for r in reps), default=float("nan")),
            "rosen_global": bool(res.certificate.holds), "rosen_rho_star": float(res.certificate.rho_star)}


TASKS.register("verify", Task(run=lambda o: _print(verify_compute(o), o), compute=verify_compute, models=True,
                              row=verify_row, default_model=DEFAULT_MODEL),
               args=VERIFY_ARGS,
               help="solve from many starts; classes up to symmetry, uniqueness, stability, certificates")
