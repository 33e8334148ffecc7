"""Benchmark ``solve_throughput``: full ``expfam_nash.solve`` calls per second on one core.

Game: ``models.bernoulli(data="random:6:0", latent_dim=3, rho=0.1)`` (d = 6 visible bits,
k = 3 latent bits, 64 data points), ``solve(game, seed=s, certify=c)`` for s = 0, 1, 2, ... (a
fresh random start per call), after warm-up solves with other seeds, once with ``certify=False``
(target: >= 1000 solves/s) and once certified (``certify=True``, the default; target: at most
+50% time over the uncertified solve). Runs in a subprocess with
NUMBA_NUM_THREADS = OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = 1. Also reports how many solves
converged and were stable, and a cProfile of 50 uncertified solves (a separate run: profiling
slows it).
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import time

import numpy as np

from ._common import emit, worker_thread_info  # noqa: F401

SPEC = {"data": "random:6:0", "latent_dim": 3, "rho": 0.1}


def build(**kw):
    from expfam_nash import models

    return models.bernoulli(**{**SPEC, **kw})


def _solve_many(game, seeds, certify: bool = True):
    from expfam_nash import solve

    conv = stab = div = 0
    times, iters = [], []
    for s in seeds:
        t0 = time.perf_counter()
        r = solve(game, seed=int(s), certify=certify)
        times.append(time.perf_counter() - t0)
        conv += r.converged
        stab += r.converged and r.stable
        div += r.diverged
        iters.append(r.iterations)
    return np.array(times), conv, stab, div, iters


def task_solve(args: dict) -> dict:
    game = build()
    certify = args.get("certify", True)
    _solve_many(game, range(10_000, 10_000 + args.get("warmup", 5)), certify)
    n = args.get("n", 200)
    load0 = os.getloadavg()[0]
    c0, t0 = time.process_time(), time.perf_counter()
    times, conv, stab, div, iters = _solve_many(game, range(n), certify)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"certify": certify, "n": n, "total_s": total, "cpu_s": cpu, "solves_per_s": n / total, "solves_per_cpu_s": n / cpu,
            "median_ms": 1e3 * float(np.median(times)), "p90_ms": 1e3 * float(np.percentile(times, 90)),
            "max_ms": 1e3 * float(times.max()), "converged": conv / n, "converged_and_stable": stab / n,
            "diverged": div / n, "median_iterations": float(np.median(iters)),
            "threads": worker_thread_info(), "loadavg": [load0, os.getloadavg()[0]]}


def _short(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    return os.path.relpath(path) if path.startswith("/") else path


def task_profile(args: dict) -> dict:
    game = build()
    certify = args.get("certify", False)
    _solve_many(game, range(10_000, 10_005), certify)
    n = args.get("n", 50)
    prof = cProfile.Profile()
    prof.enable()
    _solve_many(game, range(n), certify)
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt
    rows = []
    for (fn, line, name), (_, nc, tt, ct, _) in st.stats.items():
        rows.append({"function": f"{_short(fn)}:{line}({name})", "ncalls": nc, "tottime": tt, "cumtime": ct})
    top_tot = sorted(rows, key=lambda r: -r["tottime"])[: args.get("top", 20)]
    top_cum = sorted(rows, key=lambda r: -r["cumtime"])[: args.get("top", 20)]
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
    return {"n": n, "profiled_total_s": total, "top_tottime": top_tot, "top_cumtime": top_cum,
            "text": buf.getvalue()}


def run(quick: bool, run_worker) -> dict:
    args = {"n": 100 if quick else 400, "warmup": 3 if quick else 10}
    res = run_worker("solve", {**args, "certify": False}, 1)
    cert = run_worker("solve", {**args, "certify": True}, 1)
    prof = run_worker("profile", {"n": 50, "certify": False}, 1)
    return {"game": "models.bernoulli(data='random:6:0', latent_dim=3, rho=0.1); solve(game, seed=s, certify=c)",
            "target_solves_per_s": 1000.0, "target_certified_overhead": 0.5,
            "one_thread": cert, "uncertified": res, "certified_overhead": res["solves_per_s"] / cert["solves_per_s"] - 1,
            "profile_50_solves": prof}


def report(res: dict) -> str:
    from ._common import table

    lines = [f"solve_throughput: {res['game']} (1 thread)"]
    for label, r in (("certify=False", res.get("uncertified")), ("certify=True", res["one_thread"])):
        if r is None:
            continue
        lines += [f"  {label}: {r['solves_per_s']:.1f} solves/s wall ({r['solves_per_cpu_s']:.1f} per CPU-second) over "
                  f"{r['n']} solves; per solve median {r['median_ms']:.2f} ms, p90 {r['p90_ms']:.2f} ms, max "
                  f"{r['max_ms']:.1f} ms; converged {100 * r['converged']:.1f}%, converged and stable "
                  f"{100 * r['converged_and_stable']:.1f}%, diverged {100 * r['diverged']:.1f}%, median iterations "
                  f"{r['median_iterations']:.0f}"]
    if "certified_overhead" in res:
        lines.append(f"  targets: {res['target_solves_per_s']:.0f} uncertified solves/s; certification adds "
                     f"{100 * res['certified_overhead']:.0f}% (target <= {100 * res['target_certified_overhead']:.0f}%)")
    p = res["profile_50_solves"]
    rows = [[e["function"][-70:], e["ncalls"], f"{e['tottime']:.3f}", f"{e['cumtime']:.3f}"]
            for e in p["top_tottime"][:12]]
    lines.append(f"  cProfile of {p['n']} uncertified solves ({p['profiled_total_s']:.2f} s profiled), top by own time:")
    lines.append(table(rows, ["function", "ncalls", "tottime s", "cumtime s"]))
    return "\n".join(lines)
