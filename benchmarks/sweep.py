"""Benchmark ``sweep``: throughput of a sweep of small verify cells on a local Dask cluster with 1
and 2 worker processes, against the same cells in a plain loop; per-task overhead; start-up.

    python -m benchmarks.sweep            # 1200 cells (about 1 minute on an idle 2-core machine)
    python -m benchmarks.sweep --quick    # 240 cells
    python -m benchmarks.sweep --smoke    # 24 cells: checks the script runs, numbers meaningless

Cells: ``verify`` on ``tabular`` games random:3:3:S (S = 0, 1, ...), alpha 0.4, rho 0.1,
4 starts (about 10-20 ms each, one stable class). Every measurement runs in a fresh subprocess
(``--worker``) with BLAS/OpenMP/Numba pinned to one thread; the Dask workers are spawned by
``LocalCluster(n, threads_per_worker=1)`` with the same pinning, and are warmed up (imports,
Numba cache) on other cells before timing. Measured:

* **loop**: the cell function called in a loop in one process: cells/s;
* **dask, 1 and 2 workers**: ``sweep.run`` (adaptive batches; journal, fsync and Parquet
  compaction included) on a fresh table: cells/s, speed-up of 2 over 1 worker (target >= 1.7)
  and efficiency against the loop; cluster start-up time separately. The full size runs each
  cluster 3 times, interleaved, and takes the median rates (a single 1-worker rate varied by 25%
  between idle runs);
* **overhead per task**: ``probe`` cells that do nothing, one per task (``batch_size=1``), on 2
  workers: wall time per task seen by the driver (submit, schedule, run, gather, journal).

The report ends with the time a grid of 10^5 such cells would take on N workers at the measured
per-worker rate (assuming the rate per worker holds, which it does while the scheduler is far
from its limit of some thousands of tasks per second: adaptive batches hold ~0.25 s of work).
Also run by ``python -m benchmarks.run --only sweep`` (the --quick size there).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

from ._common import emit, machine_info, run_worker, table, write_result

SIZES = {"full": 1200, "quick": 240, "smoke": 24}
#: interleaved repeats of the 1- and 2-worker runs
REPEATS = {"full": 3, "quick": 1, "smoke": 1}


def _spec(n: int, offset: int = 0):
    from expfam_nash.sweep import Sweep

    return Sweep("verify", fixed={"model": "tabular", "starts": 4, "alpha": 0.4, "rho": 0.1},
                 grid={"joint": [f"random:3:3:{offset + s}" for s in range(n)]})


def task_loop(args: dict) -> dict:
    """The cells in a plain loop in this process."""
    from expfam_nash.sweep.tasks import TaskCell, get

    verify_cell = TaskCell.of(get("verify"))                         # what a worker runs per cell
    for cell in _spec(4, offset=10 ** 6).cells():                    # warm-up: imports, Numba cache
        verify_cell(cell.values)
    cells = _spec(args["cells"]).cells()
    t0 = time.perf_counter()
    for cell in cells:
        verify_cell(cell.values)
    wall = time.perf_counter() - t0
    return {"cells": len(cells), "seconds": wall, "cells_per_s": len(cells) / wall}


def task_dask(args: dict) -> dict:
    """The cells through ``sweep.run`` on a LocalCluster of ``workers`` processes; then the
    per-task overhead with empty probe cells."""
    from distributed import Client

    from expfam_nash.sweep import Sweep, run
    from expfam_nash.sweep.cluster import local_cluster

    t0 = time.perf_counter()
    cluster = local_cluster(args["workers"])
    client = Client(cluster)
    startup = time.perf_counter() - t0
    out: dict = {"workers": args["workers"], "startup_s": startup}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            warm = _spec(4 * args["workers"], offset=10 ** 6)
            run(warm, os.path.join(tmp, "warm.parquet"), client=client, batch_size=1, progress=False)
            res = run(_spec(args["cells"]), os.path.join(tmp, "cells.parquet"), client=client, progress=False)
            out.update(cells=res.computed, seconds=res.seconds, cells_per_s=res.computed / res.seconds,
                       tasks=res.tasks, errors=res.errors)
            if args["workers"] == 2:
                probe = Sweep("probe", seeds=args["probes"])
                t1 = time.perf_counter()
                pr = run(probe, os.path.join(tmp, "probe.parquet"), client=client, batch_size=1, progress=False)
                out["overhead_per_task_s"] = (time.perf_counter() - t1) / pr.tasks
                out["probe_tasks"] = pr.tasks
        finally:
            client.close()
            cluster.close()
    return out


def run(quick: bool, run_worker, size: str | None = None) -> dict:
    """The loop once; the 1- and 2-worker clusters ``REPEATS[size]`` times, interleaved (one rate
    of a 1-worker cluster varied by 25% between runs on an idle machine): the speed-up is the
    ratio of the median rates, with the ratios of the individual pairs beside it."""
    size = size or ("quick" if quick else "full")
    n = SIZES[size]
    res = {"cells": n, "size": size, "cell": "verify tabular random:3:3:S, alpha 0.4, rho 0.1, 4 starts",
           "loop": run_worker("sweep_loop", {"cells": n}, 1, module="benchmarks.sweep")}
    runs: dict[int, list] = {1: [], 2: []}
    for _ in range(REPEATS[size]):
        for w in (1, 2):
            runs[w].append(run_worker("sweep_dask", {"cells": n, "workers": w, "probes": max(40, n // 3)}, 1,
                                      module="benchmarks.sweep"))
    for w in (1, 2):
        ordered = sorted(runs[w], key=lambda r: r["cells_per_s"])
        res[f"dask_{w}"] = ordered[len(ordered) // 2]                  # the median run
        res[f"dask_{w}_rates"] = [r["cells_per_s"] for r in runs[w]]
    res["speedup_2_over_1"] = res["dask_2"]["cells_per_s"] / res["dask_1"]["cells_per_s"]
    res["speedup_pairs"] = [b["cells_per_s"] / a["cells_per_s"] for a, b in zip(runs[1], runs[2])]
    return res


def report(res: dict) -> str:
    loop = res["loop"]["cells_per_s"]
    rows = [["plain loop (1 process)", f"{loop:.1f}", "-", "1.00"]]
    for w in (1, 2):
        d = res[f"dask_{w}"]
        rows.append([f"dask, {w} worker{'s' if w > 1 else ''}", f"{d['cells_per_s']:.1f}", f"{d['startup_s']:.1f}",
                     f"{d['cells_per_s'] / loop:.2f}"])
    lines = [f"sweep: {res['cells']} cells of {res['cell']}",
             table(rows, ["run", "cells/s", "cluster start (s)", "vs loop"]),
             f"  speed-up 2 workers / 1 worker: {res['speedup_2_over_1']:.2f} (target >= 1.7)"
             + (f"; median rates of {len(res['speedup_pairs'])} interleaved runs each, pairwise ratios "
                + ", ".join(f"{x:.2f}" for x in res["speedup_pairs"]) if len(res.get("speedup_pairs", [])) > 1 else ""),
             f"  overhead per task (empty probe cells, one per task, 2 workers): "
             f"{1e3 * res['dask_2']['overhead_per_task_s']:.2f} ms over {res['dask_2']['probe_tasks']} tasks; "
             f"adaptive batches: {res['dask_2']['tasks']} tasks for {res['dask_2']['cells']} cells"]
    foreign = max(res[k].get("foreign_cpu_cores", 0.0) for k in ("loop", "dask_1", "dask_2"))
    lines.append(f"  other processes used up to {foreign:.2f} cores during a measurement"
                 + (" -- timings are disturbed" if foreign > 0.25 else ""))
    per_worker = res["dask_2"]["cells_per_s"] / 2
    lines.append(f"  10^5 such cells at {per_worker:.1f} cells/s per worker: "
                 + ", ".join(f"{n} workers {1e5 / (per_worker * n) / 60:.1f} min" for n in (2, 16, 64, 256)))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"{SIZES['quick']} cells")
    ap.add_argument("--smoke", action="store_true", help=f"{SIZES['smoke']} cells: checks the script only")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.worker:
        emit({"sweep_loop": task_loop, "sweep_dask": task_dask}[ns.worker](json.loads(ns.args)))
        return 0
    size = "smoke" if ns.smoke else ("quick" if ns.quick else "full")
    machine = machine_info()
    t0 = time.perf_counter()
    res = run(size == "quick", run_worker, size)
    payload = {"benchmark": "sweep", "size": size, "command": "python -m benchmarks.sweep"
               + {"full": "", "quick": " --quick", "smoke": " --smoke"}[size], "wall_seconds": time.perf_counter() - t0,
               "loadavg_at_end": list(os.getloadavg()), "machine": machine, "results": res}
    print(report(res))
    if size != "smoke":
        path = write_result("sweep" + ("_quick" if size == "quick" else ""), payload)
        print(f"  [written to {path}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
