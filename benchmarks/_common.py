"""Shared helpers for the benchmarks: machine information, timing, fresh-subprocess workers.

Every measurement runs in a fresh ``python -m benchmarks.run --worker TASK`` subprocess, so
thread settings (which the BLAS libraries and Numba read once, at import) can be chosen per
measurement and peak memory is that of one process doing one thing.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
RESULT_MARK = "@@RESULT "

THREAD_VARS = ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_THREADING_LAYER", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")


def thread_env(n: int | None) -> dict:
    """Environment pinning Numba and the BLAS/OpenMP pools to n threads (None: all cores)."""
    n = os.cpu_count() if n is None else n
    return {v: str(n) for v in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return sorted(flags & {"avx", "avx2", "fma", "avx512f", "avx512dq", "sse4_2"})
    except OSError:
        pass
    return []


def _mem_total_gb() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal"):
                    return round(int(line.split()[1]) / 2 ** 20, 1)
    except OSError:
        pass
    return None


def machine_info() -> dict:
    """CPU, cores, memory, library versions and the parent's thread settings."""
    import numba
    import numpy
    import scipy

    blas = {}
    try:
        cfg = numpy.show_config(mode="dicts")
        b = cfg["Build Dependencies"]["blas"]
        blas = {"numpy_blas": f"{b.get('name')} {b.get('version')}"}
    except Exception:  # noqa: BLE001 -- informational only
        pass
    try:
        aff = len(os.sched_getaffinity(0))
    except AttributeError:
        aff = None
    return {
        "cpu_model": cpu_model(),
        "cpu_flags": _cpu_flags(),
        "logical_cores": os.cpu_count(),
        "cores_available": aff,
        "memory_gb": _mem_total_gb(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        **blas,
        "env_threads": {v: os.environ.get(v) for v in THREAD_VARS},
        "loadavg_at_start": list(os.getloadavg()),
    }


def worker_thread_info() -> dict:
    """Thread settings as seen inside a worker (call after the measurements: it starts Numba's
    thread pool if no parallel kernel has, to learn its threading layer)."""
    import numba
    from numba.np.ufunc import parallel

    try:
        parallel._launch_threads()
        layer = numba.threading_layer()
    except Exception:  # noqa: BLE001 -- informational only
        layer = "unknown"
    return {"numba_threads": numba.get_num_threads(), "numba_threading_layer": layer,
            "env": {v: os.environ.get(v) for v in THREAD_VARS}}


def timed(fn, repeat: int, warmup: int = 1, min_time: float = 0.0, max_repeat: int | None = None) -> dict:
    """Call ``fn`` ``warmup`` times untimed, then ``repeat`` times (more, up to ``max_repeat``,
    until ``min_time`` seconds have been spent). Wall-clock and process-CPU seconds per call."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    spent, max_repeat = 0.0, max(repeat, max_repeat or repeat)
    while len(wall) < repeat or (spent < min_time and len(wall) < max_repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        t1, c1 = time.perf_counter(), time.process_time()
        wall.append(t1 - t0)
        cpu.append(c1 - c0)
        spent += t1 - t0
    return {"median": statistics.median(wall), "min": min(wall), "max": max(wall), "n": len(wall),
            "cpu_median": statistics.median(cpu)}


def _busy_seconds() -> float | None:
    """Seconds all CPUs spent not idle since boot (/proc/stat; processes at every priority), or None."""
    from expfam_nash.core.load import parse_proc_stat

    try:
        with open("/proc/stat") as fh:
            sums = parse_proc_stat(fh.read(), set(range(os.cpu_count() or 1)))
    except (OSError, ValueError):
        return None
    return None if sums is None else sums[0] / os.sysconf("SC_CLK_TCK")


def rss_kb(field: str) -> int:
    """A memory field of /proc/self/status in kB (VmRSS, VmHWM, ...), -1 if absent."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


#: the largest CPU load (in cores) that other processes put on the machine during any worker
FOREIGN_LOAD: list[float] = []


def run_worker(task: str, args: dict, threads: int | None, timeout: float = 1200.0,
               extra_env: dict | None = None, module: str = "benchmarks.run", clear: tuple = ()) -> dict:
    """Run ``python -m MODULE --worker TASK`` in a fresh interpreter with Numba/BLAS pinned to
    ``threads`` (None: all cores); every other thread-related variable of this process and the
    variables in ``clear`` are unset, then ``extra_env`` applied. The result carries the worker's
    wall time, ``extra_env`` and other processes' average CPU use during it."""
    env = dict(os.environ)
    for v in THREAD_VARS + tuple(clear):
        env.pop(v, None)
    env.update(thread_env(threads))
    env.update(extra_env or {})
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", module, "--worker", task, "--args", json.dumps(args)]
    import resource

    busy0, t0 = _busy_seconds(), time.perf_counter()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, wall = _busy_seconds(), time.perf_counter() - t0
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            res = json.loads(line[len(RESULT_MARK):])
            res["worker_wall_s"] = wall
            res["extra_env"] = extra_env or {}
            if busy0 is not None and busy1 is not None:
                mine = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
                foreign = max(0.0, (busy1 - busy0 - mine) / wall)
                res["foreign_cpu_cores"] = foreign       # other processes' average CPU use during the worker
                FOREIGN_LOAD.append(foreign)
            return res
    raise RuntimeError(f"worker {task} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")


@contextlib.contextmanager
def foreign_load(processes: int):
    """``processes`` foreign busy processes (``while True: pass``) for the duration of the block: the
    "another process keeps a core busy" condition of the foreign-load runs. Only the processes
    started here are ended (by their own handles)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(max(0, processes))]
    try:
        time.sleep(0.2 if procs else 0.0)                 # let them reach the scheduler
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def emit(result: dict) -> None:
    print(RESULT_MARK + json.dumps(result), flush=True)


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    return path


def table(rows: list[list], header: list[str]) -> str:
    cells = [[str(c) for c in r] for r in [header] + rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    fmt = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
    lines = [fmt(cells[0]), "  ".join("-" * w for w in widths)] + [fmt(r) for r in cells[1:]]
    return "\n".join(lines)


def fresh(params):
    """A new ``Params`` object with the same values: ``Game`` keeps its last evaluation (keyed on the
    object, which is immutable), so timing repeated calls on one object would time that memo."""
    from expfam_nash import Params

    return Params(params.theta, params.phi)
