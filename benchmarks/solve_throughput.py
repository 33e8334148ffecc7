"""Benchmark ``solve_throughput``: full ``expfam_nash.solve`` calls per second on one core.

Game: ``models.bernoulli(data="random:6:0", latent_dim=3, rho=0.1)`` (d = 6 visible bits,
k = 3 latent bits, 64 data points), ``solve(game, seed=s, certify=c)`` for s = 0, 1, 2, ... (a
fresh random start per call), after warm-up solves with other seeds, with ``certify=False``
(target: >= 1000 solves/s) and certified (``certify=True``, the default; target: at most +50% time
over the uncertified solve, compared on the median per-solve times: a time slice lost to the
host moves a worker's throughput by up to 30%, not its median), in 3 alternating workers each. Runs in a subprocess with
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


#: interleaved workers per mode (uncertified, certified, uncertified, ...): a single pair of 400-solve
#: runs gave certification +48% and +65% on the same idle machine minutes apart
REPEATS = 3


def run(quick: bool, run_worker) -> dict:
    """Uncertified and certified workers alternately, ``REPEATS`` each (1 with --quick); each mode's
    result is its median-throughput worker, and the certification share is taken between those."""
    args = {"n": 100 if quick else 400, "warmup": 3 if quick else 10}
    runs: dict[bool, list] = {False: [], True: []}
    for _ in range(1 if quick else REPEATS):
        for certify in (False, True):
            runs[certify].append(run_worker("solve", {**args, "certify": certify}, 1))
    res, cert = (sorted(runs[c], key=lambda r: r["solves_per_s"])[len(runs[c]) // 2] for c in (False, True))
    med = {c: float(np.median([r["median_ms"] for r in runs[c]])) for c in (False, True)}
    prof = run_worker("profile", {"n": 50, "certify": False}, 1)
    return {"game": "models.bernoulli(data='random:6:0', latent_dim=3, rho=0.1); solve(game, seed=s, certify=c)",
            "target_solves_per_s": 1000.0, "target_certified_overhead": 0.5,
            "one_thread": cert, "uncertified": res,
            # on per-solve medians: a stalled time slice moves a worker's throughput by 30%, not its median
            "certified_overhead": med[True] / med[False] - 1,
            "certified_overhead_throughput": res["solves_per_s"] / cert["solves_per_s"] - 1,
            "solves_per_s_runs": {"uncertified": [r["solves_per_s"] for r in runs[False]],
                                  "certified": [r["solves_per_s"] for r in runs[True]]},
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
                     f"{100 * res['certified_overhead']:.0f}% to the median solve (target <= "
                     f"{100 * res['target_certified_overhead']:.0f}%)"
                     + (f"; {100 * res['certified_overhead_throughput']:.0f}% on throughput"
                        if "certified_overhead_throughput" in res else ""))
        runs = res.get("solves_per_s_runs")
        if runs and len(runs["uncertified"]) > 1:
            lines.append("  solves/s of the interleaved workers (medians above): uncertified "
                         + ", ".join(f"{x:.0f}" for x in runs["uncertified"]) + "; certified "
                         + ", ".join(f"{x:.0f}" for x in runs["certified"]))
    p = res["profile_50_solves"]
    rows = [[e["function"][-70:], e["ncalls"], f"{e['tottime']:.3f}", f"{e['cumtime']:.3f}"]
            for e in p["top_tottime"][:12]]
    lines.append(f"  cProfile of {p['n']} uncertified solves ({p['profiled_total_s']:.2f} s profiled), top by own time:")
    lines.append(table(rows, ["function", "ncalls", "tottime s", "cumtime s"]))
    return "\n".join(lines)
