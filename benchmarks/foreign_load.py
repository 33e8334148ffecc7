"""Benchmark ``foreign_load``: does any thread setting make a run slower than one thread when
another process holds a core?

    python -m benchmarks.foreign_load [--quick] [--only learner|engine|figures] [--rounds N]

Three paths, each in a fresh subprocess per (setting, load):

* ``learner``: symmetric-learning steps per second of the neural learner (Bernoulli VAEs, batch
  128): ``digits`` 64-128-16 (the ``neural_digits`` figure's networks) and ``large`` 784-512-512-64;
* ``engine``: exact pseudo-gradients per second, ``models.bernoulli(data="random:12:0:1024",
  latent_dim=8)`` (``mid``, 2^20 pairs) and ``random:16:0:4096, latent_dim=10`` (``big``, 2^26);
* ``figures``: ``expfam-nash figures --only escape neural_digits`` (``--only escape`` with --quick),
  1 / wall seconds (neural_digits needs the ``digits`` extra; without it the command skips it).

Settings: ``package`` (no thread variable set: the package's own policy, ``core.threads``: BLAS on
one thread except for large products, idle OpenMP/OpenBLAS workers asleep), ``one thread``
(``OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = NUMBA_NUM_THREADS = MKL_NUM_THREADS = 1``) and
``all cores, no policy`` (``EXPFAM_NASH_BLAS_THREADS=off``: the libraries' defaults, as before
issue 9). Loads: ``idle`` (nothing started) and ``busy`` (one foreign process spinning
``while True: pass`` for the whole measurement, started before the worker and killed after it).
Reported: rates, and ``package / one thread`` under each load; the target (issue 9) is >= 0.9
under the busy load. Timings are medians of repeats after warm-up; the machine's load average and
other processes' CPU use during each worker are recorded (``benchmarks._common``), because on a
shared machine the "idle" load is not idle.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from ._common import (FOREIGN_LOAD, RESULT_MARK, RESULTS, ROOT, THREAD_VARS, emit, machine_info, table, worker_thread_info,
                      write_result, _busy_seconds)

SETTINGS = {"package": {}, "one thread": {v: "1" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                          "NUMBA_NUM_THREADS", "MKL_NUM_THREADS")},
            "all cores, no policy": {"EXPFAM_NASH_BLAS_THREADS": "off"}}
LEARNERS = {"digits": (64, 16, (128,)), "large": (784, 64, (512, 512))}
GAMES = {"mid": ("random:12:0:1024", 8), "big": ("random:16:0:4096", 10)}
TARGET = 0.9


# -- workers (fresh subprocesses) -------------------------------------------------------------------
def _rate(fn, min_time: float, repeats: int) -> dict:
    """Calls per second: ``repeats`` timed blocks of at least ``min_time`` s each, after a warm-up."""
    fn()
    rates = []
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < min_time:
            fn()
            n += 1
        rates.append(n / (time.perf_counter() - t0))
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates), "n": len(rates)}


def task_learner(args: dict) -> dict:
    import numpy as np

    from expfam_nash import neural as nn

    d, k, hidden = LEARNERS[args["net"]]
    model = nn.VAE(d, nn.priors.UniformBits(k), hidden=hidden)
    state = [nn.learning.init(model, 0)]
    rng = np.random.default_rng(0)
    xs = [(rng.random((128, d)) < 0.5).astype(np.float32) for _ in range(8)]
    count = [0]

    def step():
        state[0], _ = nn.symmetric_step(model, state[0], xs[count[0] % 8], rng)
        count[0] += 1
    out = _rate(step, args["min_time"], args["repeats"])
    return {"rate": out, "unit": "steps/s", "threads": worker_thread_info()}


def task_engine(args: dict) -> dict:
    import expfam_nash as en

    data, k = GAMES[args["game"]]
    game = en.models.bernoulli(data=data, latent_dim=k)
    p = game.init(seed=0)
    out = _rate(lambda: game.gradient(en.Params(p.theta, p.phi)), args["min_time"], args["repeats"])
    return {"rate": out, "unit": "gradients/s", "threads": worker_thread_info()}


WORKERS = {"learner": task_learner, "engine": task_engine}


# -- driver ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def foreign_load(busy: bool):
    """One process spinning on a core for the duration of the block (killed by its pid after)."""
    if not busy:
        yield None
        return
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def _env(setting: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS + ("EXPFAM_NASH_BLAS_THREADS",)}
    env.update(SETTINGS[setting])
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _measure(cmd: list[str], env: dict, busy: bool, timeout: float) -> tuple[dict, float, float]:
    """(worker result or {}, wall seconds, other processes' CPU cores during it, our spinner included)."""
    with foreign_load(busy):
        b0, t0 = _busy_seconds(), time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        wall, b1 = time.perf_counter() - t0, _busy_seconds()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed:\n{proc.stderr[-3000:]}")
    res = next((json.loads(line[len(RESULT_MARK):]) for line in reversed(proc.stdout.splitlines())
                if line.startswith(RESULT_MARK)), {})
    load = (b1 - b0) / wall if b0 is not None and b1 is not None else float("nan")
    FOREIGN_LOAD.append(load)
    return res, wall, load


def _one(path: str, case: str, setting: str, busy: bool, quick: bool) -> tuple[float, float]:
    """(rate, CPU cores used by all processes) of one worker."""
    if path == "figures":
        names = ["escape"] if quick else ["escape", "neural_digits"]
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, "-m", "expfam_nash", "figures", "--only", *names, "--out", out]
            _, wall, load = _measure(cmd, _env(setting), busy, 3600)
        return 1.0 / wall, load
    args = {"net" if path == "learner" else "game": case, "min_time": 1.0 if quick else 3.0, "repeats": 3}
    cmd = [sys.executable, "-m", "benchmarks.foreign_load", "--worker", path, "--args", json.dumps(args)]
    res, _, load = _measure(cmd, _env(setting), busy, 1800)
    return res["rate"]["median"], load


def run_path(path: str, case: str, quick: bool, rounds: int) -> dict:
    """Every (setting, load) of one path and case, in interleaved rounds (the settings alternate, so
    a change in the machine's other load hits all of them alike): median rates over the rounds and
    the package / one-thread ratios."""
    rates: dict = {}
    for busy in (False, True):
        for _ in range(rounds):
            for setting in SETTINGS:
                rate, load = _one(path, case, setting, busy, quick)
                rates.setdefault(f"{'busy' if busy else 'idle'}/{setting}", []).append((rate, load))
    out = {key: {"rate": {"median": statistics.median(r for r, _ in v), "rounds": [r for r, _ in v]},
                 "cpu_cores_used_by_all": [c for _, c in v]} for key, v in rates.items()}
    for load in ("idle", "busy"):
        out[f"ratio/{load}"] = out[f"{load}/package"]["rate"]["median"] / out[f"{load}/one thread"]["rate"]["median"]
    return out


def report(res: dict) -> str:
    rows = []
    for key, r in res["cases"].items():
        rows.append([key, *(f"{r[f'{load}/{s}']['rate']['median']:.4g}" for load in ("idle", "busy") for s in SETTINGS),
                     f"{r['ratio/idle']:.2f}", f"{r['ratio/busy']:.2f}" + ("" if r["ratio/busy"] >= TARGET else " (!)")])
    header = ["path", *(f"{load}: {s}" for load in ("idle", "busy") for s in SETTINGS), "package/1thr idle",
              "package/1thr busy"]
    return "foreign_load (rates: higher is better)\n" + table(rows, header)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.foreign_load", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter timings, one case per path (a smoke run)")
    ap.add_argument("--only", action="append", choices=("learner", "engine", "figures"))
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds per setting (default 3, quick 2)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.worker:
        emit(WORKERS[ns.worker](json.loads(ns.args)))
        return 0
    cases = {"learner": ["digits"] if ns.quick else ["digits", "large"], "engine": ["mid"] if ns.quick else ["mid", "big"],
             "figures": ["figures"]}
    machine, t0 = machine_info(), time.perf_counter()
    name = "foreign_load" + ("_quick" if ns.quick else "")
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    res = {"cases": {}}
    if ns.only and (RESULTS / f"{name}.json").exists():      # --only: replace those paths' cases, keep the rest
        res = json.loads((RESULTS / f"{name}.json").read_text())["results"]
    for path in ns.only or list(cases):
        for case in cases[path]:
            res["cases"][f"{path}:{case}"] = {**run_path(path, case, ns.quick, ns.rounds or (2 if ns.quick else 3)),
                                              "timestamp": stamp}
            print(f"  {path}:{case} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    payload = {"benchmark": "foreign_load", "quick": ns.quick, "target": TARGET, "timestamp": stamp,
               "command": "python -m benchmarks.foreign_load" + (" --quick" if ns.quick else "")
               + "".join(f" --only {o}" for o in ns.only or ()),
               "wall_seconds": time.perf_counter() - t0, "machine": machine, "results": res}
    path = write_result(name, payload)
    print(report(res))
    print(f"  [written to {path.relative_to(ROOT)}; machine load average at start {machine['loadavg_at_start'][0]:.2f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
