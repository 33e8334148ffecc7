"""Benchmark ``verify_time``: wall time of ``verify(game, starts=64, seed=s)`` on one core.

Games: ``models.bernoulli(data="random:6:0", latent_dim=3, rho=L)`` (d = 6 visible bits, k = 3
latent bits, 64 weighted data points) with L = 0.1 (the headline: every start converges) and
L = 0 (no start converges to a stable equilibrium and most show escape evidence; ``verify`` stops
such a start after a tenth of its 20000-step budget (``stop_escaping``) and certifies it there,
instead of following it to the end of the budget), in lean mode (``verify(lean=True)``, the
default: no independent Nash gap for runs it leaves unclassified). Subprocess with
NUMBA_NUM_THREADS = OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = 1; one warm-up verify (other
seed) first. Target (issue): < 2 s for 64 starts.
"""
from __future__ import annotations

import os
import time

from ._common import worker_thread_info


def task_verify(args: dict) -> dict:
    from expfam_nash import models
    from expfam_nash.verification import verify

    game = models.bernoulli(data="random:6:0", latent_dim=3, rho=args["rho"])
    verify(game, starts=8, seed=1000)                               # warm-up (kernels, caches)
    load0 = os.getloadavg()[0]
    times, verdicts = [], []
    for rep in range(args.get("repeat", 3)):
        t0 = time.perf_counter()
        v = verify(game, starts=args.get("starts", 64), seed=rep)
        times.append(time.perf_counter() - t0)
        verdicts.append({"unique": v.unique, "continuum": v.continuum, "classes": len(v.classes),
                         "escaped": v.escaped, "not_converged": v.not_converged})
    times.sort()
    out = {"rho": args["rho"], "starts": args.get("starts", 64), "seconds": times, "median_s": times[len(times) // 2],
           "verdicts": verdicts, "threads": worker_thread_info(), "loadavg": [load0, os.getloadavg()[0]]}
    if args.get("breakdown"):
        out["breakdown"] = _breakdown(game, args.get("starts", 64))
    return out


#: where verify's time goes: (label, the function whose cumulative time is taken)
PARTS = (("flow kernel (simultaneous_ascent)", "finite_game.py", "simultaneous_ascent"),
         ("Newton starts (damped Newton, 100 steps)", "algorithms.py", "run"),
         ("rescue: continuation of unclassified runs", "continuation.py", "continuation"),
         ("rescue: certificate at the continuation's point", "certified.py", "_rescue"),
         ("certificates (all, incl. the rescue's)", "equilibrium.py", "certify_equilibrium"))


def _breakdown(game, starts: int) -> dict:
    """One profiled ``verify`` (seed 0): cumulative seconds of the parts in PARTS, as fractions of the
    profiled total (cProfile slows Python code more than compiled code: fractions, not times)."""
    import cProfile
    import pstats

    from expfam_nash.verification import verify

    prof = cProfile.Profile()
    prof.enable()
    verify(game, starts=starts, seed=0)
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = max(ct for (_, _, _, ct, _) in stats.values())
    cum = {}
    for (fname, _, func), (_, _, _, ct, _) in stats.items():
        for label, file, name in PARTS:
            if func == name and fname.endswith(file):
                cum[label] = cum.get(label, 0.0) + ct
    rescue = cum.get(PARTS[3][0], 0.0) - cum.get(PARTS[2][0], 0.0)
    if PARTS[3][0] in cum:
        cum[PARTS[3][0]] = rescue
    return {"profiled_total_s": total, "fractions": {k: v / total for k, v in cum.items()}}


def run(quick: bool, run_worker) -> dict:
    out = {"game": "models.bernoulli(data='random:6:0', latent_dim=3, rho=L); verify(game, starts=64, seed=s)",
           "target_s": 2.0}
    for rho, repeat in ((0.1, 2 if quick else 5), (0.0, 1)):
        out[f"rho={rho:g}"] = run_worker("verify", {"rho": rho, "repeat": repeat, "breakdown": rho == 0.0}, 1)
    return out


def report(res: dict) -> str:
    lines = [f"verify_time: {res['game']} (1 thread; target {res['target_s']:g} s)"]
    for key in ("rho=0.1", "rho=0"):
        r = res[key]
        v = r["verdicts"][0]
        lines.append(f"  {key}: median {r['median_s']:.3f} s over {len(r['seconds'])} runs "
                     f"(min {r['seconds'][0]:.3f} s); verdict: unique {v['unique']}, {v['classes']} classes, "
                     f"escaped {v['escaped']}, not converged {v['not_converged']}")
        b = r.get("breakdown")
        if b:
            lines.append(f"    where the time goes ({key}, cProfile, {b['profiled_total_s']:.2f} s profiled): " + "; ".join(
                f"{k} {100 * f:.0f}%" for k, f in b["fractions"].items()))
    return "\n".join(lines)
