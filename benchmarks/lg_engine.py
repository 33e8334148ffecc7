"""Benchmark ``lg_engine``: microseconds per evaluation of the linear-Gaussian engine.

For d = 2, 4, 8 data dimensions and k = 1, d/2, d latent dimensions, with both variances fixed
and both learned (alpha = 0.3 with a labelled joint, rho = 0.5; random moments and parameters
from ``tests/test_linear_gaussian_engine.setup``): ``engine.evaluate`` (utilities and
pseudo-gradients) and ``engine.jacobian``, called from Python the way ``Game`` calls them,
compiled (the default, ``kernels/linear_gaussian.py``) and with the NumPy reference
(``compiled=False``). Best of 5 blocks of calls, one thread. Target (issue): <= 30 us per
evaluation for d <= 8.
"""
from __future__ import annotations

import os
import sys
import time

from ._common import ROOT, worker_thread_info

CASES = [(2, 1), (4, 2), (8, 1), (8, 4), (8, 8)]


def _best_us(fn, calls: int, blocks: int = 5) -> float:
    fn()
    best = float("inf")
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return 1e6 * best


def task_lg(args: dict) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_linear_gaussian_engine import setup

    rows = []
    for d, k in CASES:
        for mode, (s, t) in (("fixed", (0.5, 0.7)), ("learned", (None, None))):
            eng, theta, phi = setup(1, d, k, s, t, 0.3, 0.5)
            row = {"d": d, "k": k, "variances": mode, "parameters": int(eng.theta_mask.sum() + eng.phi_mask.sum())}
            for compiled in (True, False):
                eng.compiled = compiled
                calls = args.get("calls", 2000) if compiled else args.get("calls", 2000) // 20
                tag = "compiled" if compiled else "numpy"
                row[f"{tag}_evaluate_us"] = _best_us(lambda: eng.evaluate(theta, phi), calls)
                row[f"{tag}_jacobian_us"] = _best_us(lambda: eng.jacobian(theta, phi), calls)
            rows.append(row)
    return {"rows": rows, "threads": worker_thread_info(), "loadavg": os.getloadavg()[0]}


def run(quick: bool, run_worker) -> dict:
    return {"target_us": 30.0, "one_thread": run_worker("lg", {"calls": 500 if quick else 2000}, 1)}


def report(res: dict) -> str:
    from ._common import table

    rows = [[r["d"], r["k"], r["variances"], r["parameters"], f"{r['compiled_evaluate_us']:.1f}",
             f"{r['compiled_jacobian_us']:.1f}", f"{r['numpy_evaluate_us']:.0f}", f"{r['numpy_jacobian_us']:.0f}"]
            for r in res["one_thread"]["rows"]]
    return (f"lg_engine: microseconds per call from Python, 1 thread (target {res['target_us']:g} us for d <= 8)\n"
            + table(rows, ["d", "k", "variances", "params", "evaluate us", "jacobian us", "NumPy evaluate us",
                           "NumPy jacobian us"]))
