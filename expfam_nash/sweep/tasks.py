"""The jobs a sweep can run: ``TASKS``, a registry of cell functions.

A task is a function ``cell(params: dict) -> dict``: it receives one cell's fully resolved
parameters (canonical names, every default filled in, canonical scalar values) and returns one
flat row of verdicts and metrics (``None``, ``bool``, ``int``, ``float`` or ``str`` values; keys
must not repeat a parameter's name). It must be a pure function of ``params`` (randomness only
from a ``seed`` parameter), so the same cell gives the same row on any worker. It is registered
with its argument specification (``Arg``: name, parser, default, help, aliases):

    from expfam_nash.core import Arg
    from expfam_nash.sweep import TASKS, values as v

    @TASKS.register("collapse", args=(Arg("beta", v.positive, 1.0, "KL weight"),
                                      Arg("seed", v.at_least(0), 0, "random seed")),
                    help="posterior collapse of the linear CVAE at one beta")
    def collapse_cell(params: dict) -> dict:
        res = ...                      # run the job on params["beta"], params["seed"]
        return {"collapsed": res.collapsed, "active_dims": res.active}

A task whose specification holds an argument listed in ``meta`` ``nested={"model": MODELS}``
also takes the arguments of the entry that argument names (here the game's model arguments),
resolved per cell, so one grid can vary the model and its own parameters.

Tasks defined in other packages register themselves when their module is imported; list that
module in ``PROVIDERS`` (imported on the first lookup, by :func:`get`) or name it in a sweep
file's ``imports``. The function is shipped to the workers by reference (its module must be
importable there) or, for functions defined in ``__main__``, by value.
"""
from __future__ import annotations

import importlib
import os
import time

import numpy as np

from ..core import Arg, Entry, Registry
from . import values as v
from .models import MODELS, build

TASKS: Registry = Registry("task")

#: modules imported on the first task lookup so that their tasks register themselves
PROVIDERS: tuple[str, ...] = ()

_loaded = False


def get(name: str) -> Entry:
    """The task ``name`` (providers imported first)."""
    global _loaded
    if not _loaded:
        for module in PROVIDERS:
            importlib.import_module(module)
        _loaded = True
    return TASKS.get(name)


def nested_registries(entry: Entry) -> dict:
    """{argument name: registry} of the arguments whose value names an entry with its own arguments."""
    return dict(entry.meta.get("nested", {}))


_MODEL = Arg("model", v.text, "linear-gaussian", f"the game (sweep.MODELS: {', '.join(MODELS)})")
_SEED = Arg("seed", v.at_least(0), 0, "random seed")
_TOL = Arg("tol", v.positive, 1e-10, "residual tolerance")
_MAX_STEPS = Arg("max_steps", v.at_least(1), 20000, "flow step budget per start")


_CERTIFY = Arg("certify", v.boolean, True, "certify the verdicts (False: every verdict undecided, faster)")


def _statuses(verdicts: dict, prefix: str = "") -> dict:
    """One column per verdict: its status (certified / refuted / undecided)."""
    return {f"{prefix}{name}_status": verdict.status.value for name, verdict in verdicts.items()}


@TASKS.register("verify", args=(_MODEL, Arg("starts", v.at_least(2), 32, "number of starts"), _SEED, _TOL,
                                _MAX_STEPS, _CERTIFY),
                help="verify: equilibrium classes up to symmetry, uniqueness, stability", nested={"model": MODELS})
def verify_cell(params: dict) -> dict:
    """One ``verify`` run, flattened: verdicts (``unique``, ``continuum`` -- true only when
    certified -- a ``*_status`` column per game-level verdict, ``category``, counts of runs and
    classes) and metrics (worst enclosure radius, residual and Nash gap over the classes, the global
    Rosen certificate)."""
    from ..plot.uniqueness import verdict_category
    from ..verification import verify

    game = build(params["model"], params)
    res = verify(game, starts=params["starts"], seed=params["seed"], tol=params["tol"],
                 max_steps=params["max_steps"], certify=params["certify"])
    reps = [c.representative for c in res.classes]
    return {"category": verdict_category(res), "unique": res.unique, "continuum": res.continuum,
            **_statuses(res.verdicts),
            "nonexistence": bool(res.nonexistence), "classes": len(res.classes),
            "stable_classes": sum(1 for r in reps if r.stable),
            "unstable_classes": sum(1 for r in reps if r.verdicts["stability"].status.value == "refuted"),
            "collapsed_classes": sum(1 for c in res.classes if c.collapsed),
            "converged": res.converged, "escaped": res.escaped, "not_converged": res.not_converged,
            "max_enclosure_radius": max((r.enclosure_radius for r in reps), default=float("nan")),
            "max_residual": max((r.residual for r in reps), default=float("nan")),
            "max_nash_gap": max((r.nash_gap for r in reps), default=float("nan")),
            "rosen_global": res.certificate.holds, "rosen_rho_star": float(res.certificate.rho_star)}


@TASKS.register("solve", args=(_MODEL, Arg("method", v.text, "auto", "solve method",
                                           choices=("auto", "simultaneous", "alternating", "best-response",
                                                    "newton", "stochastic")), _SEED, _TOL, _MAX_STEPS, _CERTIFY),
                help="solve: one equilibrium from one start, certified", nested={"model": MODELS})
def solve_cell(params: dict) -> dict:
    """One ``solve`` run, flattened: converged / diverged / stable (true only when certified), a
    ``*_status`` column per verdict, the certificate numbers and the floating-point diagnostics."""
    from ..dynamics.solve import solve

    game = build(params["model"], params)
    res = solve(game, method=params["method"], seed=params["seed"], tol=params["tol"],
                max_steps=params["max_steps"], certify=params["certify"])
    eig = res.jacobian_eigenvalues
    return {"converged": res.converged, "diverged": res.diverged, "stable": res.stable, **_statuses(res.verdicts),
            "enclosure_radius": res.enclosure_radius, "lyapunov_margin": res.lyapunov_margin,
            "nash_gap_bound": res.nash_gap_bound,
            "residual": res.residual, "nash_gap": res.nash_gap,
            "max_re_eigenvalue": float(eig.real.max()) if eig.size else float("nan"),
            "neutral_directions": res.neutral_directions, "orbit_dimension": res.orbit_dimension,
            "max_stable_step": res.max_stable_step, "best_response_attained": res.best_response_attained,
            "param_norm": float(res.params.norm()), "iterations": res.iterations, "reason": res.reason}


@TASKS.register("probe", args=(_SEED, Arg("sleep", v.nonnegative, 0.0, "seconds to sleep"),
                               Arg("fail", v.boolean, False, "raise a ValueError (an error row)"),
                               Arg("crash", v.boolean, False, "end the worker process (a lost worker)")),
                help="diagnostic cell: sleeps, then returns numbers derived from the seed; for measuring "
                     "overhead and checking a cluster's fault handling")
def probe_cell(params: dict) -> dict:
    """After ``sleep`` seconds: ``crash`` ends the Dask worker process running the cell (refused
    outside a worker), ``fail`` raises; else ``value`` = a uniform draw from ``seed``, ``square`` =
    seed^2."""
    if params["sleep"]:
        time.sleep(params["sleep"])
    if params["crash"]:
        try:
            from distributed import get_worker
            get_worker()
        except (ImportError, ValueError):
            raise ValueError("crash: only inside a Dask worker") from None
        os._exit(70)
    if params["fail"]:
        raise ValueError(f"fail: probe cell with seed {params['seed']} failed on purpose")
    return {"value": float(np.random.default_rng(params["seed"]).random()), "square": params["seed"] ** 2}
