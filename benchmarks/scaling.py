"""Benchmark ``scaling``: how the exact gradient and ``solve`` scale with the problem size.

Exact gradient (all cores), Bernoulli pairs ``models.bernoulli(data="random:d:0:N", latent_dim=k)``:
  vs d  d = 8..16, k = 8, N = min(2^d, 1024)
  vs k  k = 4..12, d = 12, N = 1024
  vs N  N = 64..4096, d = 14, k = 8
Solve (one thread), ``models.bernoulli(data="random:d:0", latent_dim=k, rho=0.1)``, median over seeds:
  vs d  d = 4..8 with k = 3;  vs k  k = 2..5 with d = 6.
Exponents are least-squares slopes of log(time) against log(|X| |Z|) (d and k sweeps, blocked
engine only: games with |X| |Z| <= 2^16 take the fused kernel, a different code path) and
against log(N). They describe this range of sizes, not an asymptote. The N sweep is also fitted
by time = a + b N (the decoder term is linear in N on top of the fixed encoder term).
"""
from __future__ import annotations

import os
import time

import numpy as np

from ._common import fresh, timed, worker_thread_info


def _grad_point(d, k, n, quick):
    from expfam_nash import models

    game = models.bernoulli(data=f"random:{d}:0:{n}", latent_dim=k)
    params = game.init(seed=0)
    t = timed(lambda: game.gradient(fresh(params)), repeat=3 if quick else 5, warmup=2, min_time=0.3 if quick else 1.0,
              max_repeat=50)
    return {"d": d, "k": k, "N": n, "pairs": 2 ** (d + k), "path": "fused" if getattr(game.engine, "fused", False)
            else "blocked", "median_s": t["median"], "min_s": t["min"], "n": t["n"]}


def task_scale_gradient(args: dict) -> dict:
    quick = args["quick"]
    out = {"vs_d": [], "vs_k": [], "vs_N": []}
    for d in args["d_values"]:
        out["vs_d"].append(_grad_point(d, 8, min(2 ** d, 1024), quick))
    for k in args["k_values"]:
        out["vs_k"].append(_grad_point(12, k, 1024, quick))
    for n in args["n_values"]:
        out["vs_N"].append(_grad_point(14, 8, n, quick))
    out["threads"] = worker_thread_info()
    out["loadavg"] = os.getloadavg()[0]
    return out


def _solve_point(d, k, n_solves):
    from expfam_nash import models, solve

    game = models.bernoulli(data=f"random:{d}:0", latent_dim=k, rho=0.1)
    for s in range(1000, 1002):
        solve(game, seed=s)
    times, conv = [], 0
    for s in range(n_solves):
        t0 = time.perf_counter()
        r = solve(game, seed=s)
        times.append(time.perf_counter() - t0)
        conv += r.converged
    return {"d": d, "k": k, "pairs": 2 ** (d + k), "N": int(game.data.points.shape[0]),
            "median_s": float(np.median(times)), "mean_s": float(np.mean(times)), "converged": conv / n_solves,
            "n": n_solves}


def task_scale_solve(args: dict) -> dict:
    n = args["n_solves"]
    out = {"vs_d": [_solve_point(d, 3, n) for d in args["d_values"]],
           "vs_k": [_solve_point(6, k, n) for k in args["k_values"]]}
    out["threads"] = worker_thread_info()
    return out


def _slope(x, y):
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    if x.size < 2:
        return float("nan")
    return float(np.polyfit(x, y, 1)[0])


def run(quick: bool, run_worker) -> dict:
    g_args = {"quick": quick, "d_values": [8, 10, 12, 14, 16] if quick else list(range(8, 17)),
              "k_values": [4, 6, 8, 10, 12] if quick else list(range(4, 13)),
              "n_values": [64, 256, 1024, 4096] if quick else [64, 128, 256, 512, 1024, 2048, 4096]}
    s_args = {"n_solves": 5 if quick else 20, "d_values": [4, 6, 8] if quick else [4, 5, 6, 7, 8],
              "k_values": [2, 3, 5] if quick else [2, 3, 4, 5]}
    g = run_worker("scale_gradient", g_args, None)
    s = run_worker("scale_solve", s_args, 1)
    blocked = [p for p in g["vs_d"] + g["vs_k"] if p["path"] == "blocked"]
    big = [p for p in blocked if p["pairs"] >= 2 ** 20]
    fits = {
        "gradient_vs_pairs_blocked": _slope([p["pairs"] for p in blocked], [p["median_s"] for p in blocked]),
        "gradient_vs_pairs_blocked_ge_2^20": _slope([p["pairs"] for p in big], [p["median_s"] for p in big]),
        "gradient_vs_pairs_d_sweep": _slope(*zip(*[(p["pairs"], p["median_s"]) for p in g["vs_d"]
                                                   if p["path"] == "blocked"])),
        "gradient_vs_pairs_k_sweep": _slope(*zip(*[(p["pairs"], p["median_s"]) for p in g["vs_k"]
                                                   if p["path"] == "blocked"])),
        "gradient_vs_N": _slope([p["N"] for p in g["vs_N"]], [p["median_s"] for p in g["vs_N"]]),
        "solve_vs_pairs": _slope([p["pairs"] for p in s["vs_d"] + s["vs_k"]],
                                 [p["median_s"] for p in s["vs_d"] + s["vs_k"]]),
        "solve_vs_pairs_d_sweep": _slope([p["pairs"] for p in s["vs_d"]], [p["median_s"] for p in s["vs_d"]]),
        "solve_vs_pairs_k_sweep": _slope([p["pairs"] for p in s["vs_k"]], [p["median_s"] for p in s["vs_k"]]),
    }
    n_vals = np.array([p["N"] for p in g["vs_N"]], float)
    t_vals = np.array([p["median_s"] for p in g["vs_N"]])
    slope, intercept = np.polyfit(n_vals, t_vals, 1)
    affine = {"intercept_ms": 1e3 * float(intercept), "per_data_point_us": 1e6 * float(slope),
              "per_pair_ns": 1e9 * float(slope) / 2 ** 8}
    return {"gradient": g, "solve": s, "exponents": fits, "gradient_vs_N_affine": affine}


def report(res: dict) -> str:
    from ._common import table

    g, s, f = res["gradient"], res["solve"], res["exponents"]
    rows = []
    for sweep in ("vs_d", "vs_k", "vs_N"):
        for p in g[sweep]:
            rows.append([f"gradient {sweep}", p["d"], p["k"], p["N"], f"2^{p['d'] + p['k']}", p["path"],
                         f"{p['median_s'] * 1e3:.2f}"])
    for sweep in ("vs_d", "vs_k"):
        for p in s[sweep]:
            rows.append([f"solve {sweep}", p["d"], p["k"], p["N"], f"2^{p['d'] + p['k']}",
                         f"conv {100 * p['converged']:.0f}%", f"{p['median_s'] * 1e3:.2f}"])
    lines = ["scaling (gradient: all cores; solve: 1 thread; times are medians)",
             table(rows, ["sweep", "d", "k", "N", "|X||Z|", "path", "ms"]),
             "  log-log slopes: " + ", ".join(f"{k} {v:.2f}" for k, v in f.items())]
    a = res.get("gradient_vs_N_affine")
    if a:
        lines.append(f"  vs N (d=14, k=8) is affine: {a['intercept_ms']:.2f} ms + {a['per_data_point_us']:.2f} us per data point "
                     f"({a['per_pair_ns']:.1f} ns per (x, z) pair of the decoder term)")
    return "\n".join(lines)
