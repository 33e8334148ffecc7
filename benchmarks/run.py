"""Run the benchmarks: ``python -m benchmarks.run [--quick] [--only NAME]``.

NAME is one of ``exact_gradient``, ``solve_throughput``, ``lg_engine``, ``scaling``, ``verify_time``, ``sweep``
(repeatable); ``--foreign-load N`` keeps N busy foreign processes running during the measurements. Each
benchmark prints a table and writes ``benchmarks/results/<name>.json`` (``<name>_quick.json``
with --quick) holding the machine description, the thread settings of every measurement and
all raw numbers. Measurements run in fresh subprocesses (``--worker TASK``, internal). A full
(not --quick) run ends with the issue's targets table (``benchmarks.targets``): each target met or
missed, the gap and where the time goes.
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
import time

from . import exact_gradient, jax_peer, lg_engine, scaling, solve_throughput, sweep, verify_time
from ._common import FOREIGN_LOAD, emit, foreign_load, machine_info, run_worker, write_result

BENCHMARKS = {"exact_gradient": exact_gradient, "solve_throughput": solve_throughput, "lg_engine": lg_engine,
              "scaling": scaling, "verify_time": verify_time, "sweep": sweep}
TASKS = {"gradient": exact_gradient.task_gradient, "memory": exact_gradient.task_memory,
         "interference": exact_gradient.task_interference, "peer": jax_peer.task_peer,
         "solve": solve_throughput.task_solve, "profile": solve_throughput.task_profile,
         "scale_gradient": scaling.task_scale_gradient, "scale_solve": scaling.task_scale_solve,
         "verify": verify_time.task_verify, "lg": lg_engine.task_lg, "sweep_loop": sweep.task_loop,
         "sweep_dask": sweep.task_dask}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and smaller sweeps (< 2 minutes)")
    ap.add_argument("--only", action="append", choices=sorted(BENCHMARKS), metavar="NAME",
                    help=f"run only this benchmark (one of {', '.join(BENCHMARKS)}; repeatable)")
    ap.add_argument("--foreign-load", type=int, default=0, metavar="N",
                    help="keep N foreign busy processes (while True: pass) running during every measurement; "
                         "results go to <name>[_quick]_foreign<N>.json")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.worker:
        emit(TASKS[ns.worker](json.loads(ns.args)))
        return 0
    names = ns.only or list(BENCHMARKS)
    machine = machine_info()
    print(f"machine: {machine['cpu_model']}, {machine['logical_cores']} logical cores, "
          f"numpy {machine['numpy']}, numba {machine['numba']}, load average {machine['loadavg_at_start'][0]:.2f}"
          + ("  (quick)" if ns.quick else ""), flush=True)
    load = max(0, ns.foreign_load)
    for name in names:
        mod = BENCHMARKS[name]
        t0 = time.perf_counter()
        FOREIGN_LOAD.clear()
        with foreign_load(load):
            res = mod.run(ns.quick, run_worker)
        elapsed = time.perf_counter() - t0
        foreign = max(FOREIGN_LOAD, default=float("nan"))
        command = ("python -m benchmarks.run" + (" --quick" if ns.quick else "")
                   + (f" --foreign-load {load}" if load else "") + f" --only {name}")
        payload = {"benchmark": name, "quick": ns.quick, "timestamp": datetime.datetime.now().isoformat(timespec="seconds"),
                   "command": command, "foreign_load_processes": load,
                   "wall_seconds": elapsed, "max_foreign_cpu_cores": foreign, "machine": machine, "results": res}
        path = write_result(name + ("_quick" if ns.quick else "") + (f"_foreign{load}" if load else ""), payload)
        print()
        print(mod.report(res))
        print(f"  [{elapsed:.0f} s; other processes used up to {foreign:.2f} cores during a measurement"
              + (f" ({load} of them started by --foreign-load)" if load else
                 (" -- timings are disturbed" if foreign > 0.25 else ""))
              + f"; written to {path.relative_to(path.parents[2])}]", flush=True)
    if not ns.quick:
        from . import targets

        print("\ntargets (latest full results: idle <name>.json, busy <name>_foreign1.json):")
        print(targets.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
