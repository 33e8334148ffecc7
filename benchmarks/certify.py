"""Benchmark ``certify``: the cost of a certificate against the cost of a solve, and how often
each verdict comes out.

Game: ``models.bernoulli(data="random:6:0", latent_dim=3, l2=0.1)`` (45 parameters, 64 x 8
pairs). For seeds s: ``solve(game, seed=s)`` (the whole call, as today, with its own floating-point
checks), and ``certify_equilibrium(game, point)`` on its end point (existence + uniqueness in the
box + stability) with method "ball" (and "arb", fewer repeats). Timings interleave solve and
certify so that machine load hits both alike; reported: median and minimum per call and their
ratios (the target is certify <= 50% of solve). Also: the shares of certified / refuted /
undecided existence and stability verdicts over the seeds, for this game and three more families
(tabular alpha = 0.3, linear-Gaussian k = 1 and k = 2 with fixed variances). One thread
(NUMBA/BLAS pinned), fresh subprocess, warm Numba cache.

    python -m benchmarks.certify [--quick]      # writes benchmarks/results/certify[_quick].json

(To run it from ``python -m benchmarks.run``, add ``"certify": certify`` to BENCHMARKS and the
three task_* functions below to TASKS there.)
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

SPEC = {"data": "random:6:0", "latent_dim": 3, "l2": 0.1}
FAMILIES = {
    "bernoulli d=6 k=3 rho=0.1": ("bernoulli", SPEC),
    "tabular 4x3 alpha=0.3": ("tabular", {"joint": "random:4:3:0", "labeled_weight": 0.3}),
    "linear-gaussian d=2 k=1": ("linear_gaussian", {"eigenvalues": [3.0, 1.0], "latent_dim": 1,
                                                    "decoder_var": 0.5, "encoder_var": 0.8}),
    "linear-gaussian d=3 k=2": ("linear_gaussian", {"eigenvalues": [4.0, 2.5, 0.3], "latent_dim": 2,
                                                    "decoder_var": 0.7, "encoder_var": 0.8}),
}


def _summary(xs) -> dict:
    return {"median_ms": 1e3 * statistics.median(xs), "min_ms": 1e3 * min(xs), "n": len(xs)}


def task_timing(args: dict) -> dict:
    from expfam_nash import models, solve
    from expfam_nash.certify import certify_equilibrium

    game = models.bernoulli(**SPEC)
    for s in range(3):                                   # warm-up: Numba cache, BLAS
        certify_equilibrium(game, solve(game, seed=1000 + s).params, method=args.get("method", "ball"))
    t_solve, t_cert, parts = [], [], []
    for s in range(args["n"]):
        t0 = time.perf_counter()
        res = solve(game, seed=s)
        t1 = time.perf_counter()
        cert = certify_equilibrium(game, res.params, method=args.get("method", "ball"))
        t2 = time.perf_counter()
        t_solve.append(t1 - t0)
        t_cert.append(t2 - t1)
        parts.append(cert.timings)
    keys = sorted({k for p in parts for k in p})
    return {"solve": _summary(t_solve), "certify": _summary(t_cert),
            "ratio_median": statistics.median(t_cert) / statistics.median(t_solve),
            "ratio_min": min(t_cert) / min(t_solve),
            "parts_median_ms": {k: 1e3 * statistics.median([p.get(k, 0.0) for p in parts]) for k in keys},
            "method": args.get("method", "ball"), "threads": worker_thread_info(), "loadavg": os.getloadavg()[0]}


def task_verdicts(args: dict) -> dict:
    from expfam_nash import models, solve
    from expfam_nash.certify import certify_equilibrium

    out = {}
    for label, (factory, kw) in FAMILIES.items():
        game = getattr(models, factory)(**kw)
        tally: dict = {}
        for s in range(args["n"]):
            cert = certify_equilibrium(game, solve(game, seed=s).params)
            key = f"existence {cert.existence.status.value}, stability {cert.stability.status.value}"
            tally[key] = tally.get(key, 0) + 1
        out[label] = tally
    return {"n": args["n"], "families": out}


TASKS = {"certify_timing": task_timing, "certify_verdicts": task_verdicts}


def run(quick: bool, worker) -> dict:
    n = 30 if quick else 200
    mod = "benchmarks.certify"
    return {"game": "models.bernoulli(data='random:6:0', latent_dim=3, l2=0.1)",
            "ball": worker("certify_timing", {"n": n}, 1, module=mod),
            "arb": worker("certify_timing", {"n": 5 if quick else 20, "method": "arb"}, 1, module=mod),
            "verdicts": worker("certify_verdicts", {"n": 8 if quick else 40}, 1, module=mod)}


def report(res: dict) -> str:
    lines = [f"certify: {res['game']} (1 thread)"]
    rows = []
    for m in ("ball", "arb"):
        r = res[m]
        rows.append([m, f"{r['solve']['median_ms']:.2f}", f"{r['certify']['median_ms']:.2f}",
                     f"{100 * r['ratio_median']:.0f}%", f"{100 * r['ratio_min']:.0f}%", r["certify"]["n"]])
    lines.append(table(rows, ["method", "solve ms", "certify ms", "ratio (medians)", "ratio (minima)", "n"]))
    lines.append("  certify parts (ball, median ms): " + ", ".join(
        f"{k} {v:.2f}" for k, v in res["ball"]["parts_median_ms"].items()))
    for fam, tally in res["verdicts"]["families"].items():
        lines.append(f"  {fam}: " + "; ".join(f"{k}: {v}" for k, v in sorted(tally.items())))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.certify", description=__doc__.splitlines()[0])
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
    payload = {"benchmark": "certify", "quick": ns.quick, "timestamp": datetime.datetime.now().isoformat(timespec="seconds"),
               "command": "python -m benchmarks.certify" + (" --quick" if ns.quick else ""),
               "wall_seconds": time.perf_counter() - t0, "machine": machine, "results": res}
    path = write_result("certify" + ("_quick" if ns.quick else ""), payload)
    print(report(res))
    print(f"  [written to {path}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
