"""Benchmark the verdicts of ``solve``: the cost of certification (``certify=True``, the default,
against ``certify=False``) and the shares of certified / refuted / undecided verdicts over the
benchmark game families.

Cost: ``models.bernoulli(data="random:6:0", latent_dim=3, rho=0.1)`` (45 parameters, 64 x 8
pairs; issue 10's target: certification adds at most 50% to solve), ``solve(game, seed=s)`` with
and without certification, interleaved per seed so that machine load hits both alike; medians,
minima and their ratios. One thread (NUMBA/BLAS pinned), fresh subprocess, warm Numba cache.

Shares: for each family and seeds 0..n-1, the status of every verdict of ``solve`` (existence,
convergence, stability, escape, nash_gap) and the median time per solve with and without
certification.

    python -m benchmarks.verdicts [--quick]      # writes benchmarks/results/verdicts[_quick].json

(To run it from ``python -m benchmarks.run``, add ``"verdicts": verdicts`` to BENCHMARKS and the
two task_* functions below to TASKS there.)
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time

from ._common import emit, machine_info, run_worker, table, worker_thread_info, write_result

SPEC = {"data": "random:6:0", "latent_dim": 3, "rho": 0.1}
FAMILIES = {
    "bernoulli d=6 k=3 rho=0.1": ("bernoulli", SPEC),
    "bernoulli d=6 k=3 rho=0 (escapes)": ("bernoulli", {"data": "random:6:0", "latent_dim": 3}),
    "tabular 4x3 alpha=0.3": ("tabular", {"joint": "random:4:3:0", "alpha": 0.3}),
    "tabular 3x3 alpha=0.01": ("tabular", {"joint": "random:3:3:0", "alpha": 0.01}),
    "tabular 3x3 alpha=0 (continuum)": ("tabular", {"joint": "random:3:3:0"}),
    "linear-gaussian d=2 k=1": ("linear_gaussian", {"eigenvalues": [3.0, 1.0], "latent_dim": 1,
                                                    "decoder_var": 0.5, "encoder_var": 0.8}),
    "linear-gaussian d=3 k=2": ("linear_gaussian", {"eigenvalues": [4.0, 2.5, 0.3], "latent_dim": 2,
                                                    "decoder_var": 0.7, "encoder_var": 0.8}),
    "linear-gaussian both learned": ("linear_gaussian", {"eigenvalues": [3.0], "latent_dim": 1,
                                                         "decoder_var": "learned", "encoder_var": "learned"}),
}
SHOWN = ("existence", "convergence", "stability", "escape", "nash_gap")


def _summary(xs) -> dict:
    return {"median_ms": 1e3 * statistics.median(xs), "min_ms": 1e3 * min(xs), "n": len(xs)}


def task_cost(args: dict) -> dict:
    from expfam_nash import models, solve

    game = models.bernoulli(**SPEC)
    for s in range(3):                                   # warm-up: Numba cache, BLAS
        solve(game, seed=1000 + s)
        solve(game, seed=1000 + s, certify=False)
    t_cert, t_plain = [], []
    for s in range(args["n"]):
        t0 = time.perf_counter()
        solve(game, seed=s, certify=False)
        t1 = time.perf_counter()
        solve(game, seed=s)
        t2 = time.perf_counter()
        t_plain.append(t1 - t0)
        t_cert.append(t2 - t1)
    return {"uncertified": _summary(t_plain), "certified": _summary(t_cert),
            "added_median": statistics.median(t_cert) / statistics.median(t_plain) - 1.0,
            "added_min": min(t_cert) / min(t_plain) - 1.0,
            "threads": worker_thread_info(), "loadavg": os.getloadavg()[0]}


def task_shares(args: dict) -> dict:
    from expfam_nash import models, solve

    out = {}
    for label, (factory, kw) in FAMILIES.items():
        game = getattr(models, factory)(**kw)
        solve(game, seed=999)                            # warm-up
        tally = {name: {} for name in SHOWN}
        t_cert, t_plain = [], []
        for s in range(args["n"]):
            t0 = time.perf_counter()
            res = solve(game, seed=s, max_steps=args["max_steps"])
            t1 = time.perf_counter()
            solve(game, seed=s, max_steps=args["max_steps"], certify=False)
            t2 = time.perf_counter()
            t_cert.append(t1 - t0)
            t_plain.append(t2 - t1)
            for name in SHOWN:
                status = res.verdicts[name].status.value
                tally[name][status] = tally[name].get(status, 0) + 1
        out[label] = {"statuses": tally, "certified_ms": 1e3 * statistics.median(t_cert),
                      "uncertified_ms": 1e3 * statistics.median(t_plain)}
    return {"n": args["n"], "max_steps": args["max_steps"], "families": out, "loadavg": os.getloadavg()[0]}


TASKS = {"verdicts_cost": task_cost, "verdicts_shares": task_shares}


def run(quick: bool, worker) -> dict:
    mod = "benchmarks.verdicts"
    return {"game": "models.bernoulli(data='random:6:0', latent_dim=3, rho=0.1)",
            "cost": worker("verdicts_cost", {"n": 30 if quick else 200}, 1, module=mod),
            "shares": worker("verdicts_shares", {"n": 3 if quick else 20, "max_steps": 20000}, 1, module=mod)}


def report(res: dict) -> str:
    c = res["cost"]
    lines = [f"verdicts: {res['game']} (1 thread, load {c['loadavg']:.1f})",
             table([[f"{c['uncertified']['median_ms']:.2f}", f"{c['certified']['median_ms']:.2f}",
                     f"{100 * c['added_median']:+.0f}%", f"{100 * c['added_min']:+.0f}%", c["certified"]["n"]]],
                   ["solve ms (certify=False)", "solve ms (certified)", "added (medians)", "added (minima)", "n"])]
    rows = []
    for fam, r in res["shares"]["families"].items():
        cells = ["/".join(str(r["statuses"][name].get(k, 0)) for k in ("certified", "refuted", "undecided"))
                 for name in SHOWN]
        rows.append([fam, *cells, f"{r['uncertified_ms']:.1f}", f"{r['certified_ms']:.1f}"])
    lines.append(f"  statuses over {res['shares']['n']} seeds, certified/refuted/undecided:")
    lines.append(table(rows, ["family", *SHOWN, "ms uncertified", "ms certified"]))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.verdicts", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.worker:
        emit(TASKS[ns.worker](json.loads(ns.args)))
        return 0
    machine = machine_info()
    t0 = time.perf_counter()
    res = run(ns.quick, run_worker)
    payload = {"benchmark": "verdicts", "quick": ns.quick,
               "timestamp": datetime.datetime.now().isoformat(timespec="seconds"),
               "command": "python -m benchmarks.verdicts" + (" --quick" if ns.quick else ""),
               "wall_seconds": time.perf_counter() - t0, "machine": machine, "results": res}
    path = write_result("verdicts" + ("_quick" if ns.quick else ""), payload)
    print(report(res))
    print(f"  [written to {path}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
