"""How many of this process's cores other processes are using: the input of the package's
load-aware thread counts (``core.threads.workers``).

Why: a parallel section that splits its work over two threads waits for the slower one, and a
thread that shares its core with a busy process runs at half speed or is descheduled for whole
time slices. Measured on 2 cores with one busy process at normal priority: a 1024 x 1024 x 768
matrix product took 23 ms on one thread, 25-33 ms (median) on OpenBLAS's two threads and 24-25 ms
on two threads handing out chunks dynamically; the d = 16 exact gradient ran 0.70-0.83x its
one-thread speed. So a parallel section asks how many cores are free and runs on no more.

The estimate, from the kernel's CPU accounting (``/proc/stat``, Linux): over the interval since
the previous reading (at least ``MIN_INTERVAL`` seconds; the first reading is taken at package
import, and again in a forked child), the CPU time this process's CPUs were busy, minus this
process's own (``os.times``), divided by the interval's length:

    foreign = (busy jiffies / CLK_TCK - own CPU seconds) / wall seconds        (cores)

Busy time includes ``steal`` (time the hypervisor gave to other machines: unavailable to us too).
Time in the ``nice`` column (processes at a lower priority, which yield to this one) is left out,
unless this process is itself niced, when every other process competes with it. After a gap
longer than ``STALE_INTERVAL`` the interval's mean may describe a load that has ended, so the
estimate is then at most the number of other tasks running right now (``procs_running`` less
the calling thread). Where ``/proc/stat`` does not list this process's CPUs under their numbers
(containers that renumber them) all its CPU lines are used; where it cannot be read at all the
estimate is 0: all cores free, the policy of earlier versions.

Thread counts chosen from this estimate never change a result: the sections that use it split
their work into chunks fixed by the sizes alone (``core.threads.matmul``, ``kernels.pairs``).
"""
from __future__ import annotations

import os
import time

#: readings closer together than this reuse the previous estimate (/proc/stat counts in jiffies,
#: 10 ms at the usual CLK_TCK of 100, so shorter intervals are mostly rounding)
MIN_INTERVAL = 0.25
#: an interval longer than this is a stale mean: capped by the tasks running now
STALE_INTERVAL = 2.0

_state: dict = {"reading": None, "foreign": 0.0}


def _cpus() -> set[int]:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:
        return set(range(os.cpu_count() or 1))


def parse_proc_stat(text: str, cpus: set[int] | None) -> tuple[float, float] | None:
    """(busy jiffies, nice jiffies) summed over the lines ``cpuN`` of ``/proc/stat`` with N in
    ``cpus`` (None: every such line); busy = user + nice + system + irq + softirq + steal (idle
    and iowait excluded; guest time is already inside user). If some CPU of ``cpus`` has no line
    (a container that renumbers its CPUs), every line counts. None if there is no line."""
    rows = {}
    for line in text.splitlines():
        head, *fields = line.split() or [""]
        if head.startswith("cpu") and head[3:].isdigit() and len(fields) >= 4:
            rows[int(head[3:])] = [float(f) for f in fields[:8]] + [0.0] * (8 - len(fields[:8]))
    if cpus is not None and not cpus <= rows.keys():
        cpus = None
    chosen = [v for n, v in rows.items() if cpus is None or n in cpus]
    if not chosen:
        return None
    busy = sum(u + ni + sy + irq + sirq + st for u, ni, sy, _idle, _io, irq, sirq, st in chosen)
    return busy, sum(v[1] for v in chosen)


def procs_running(text: str) -> int | None:
    """The ``procs_running`` line of ``/proc/stat``: tasks running or runnable right now."""
    for line in text.splitlines():
        if line.startswith("procs_running"):
            return int(line.split()[1])
    return None


def foreign_cores(prev: tuple, now: tuple, clk_tck: float, niced: bool) -> float:
    """Cores' worth of CPU that other processes used between two readings, each
    ``(wall seconds, busy jiffies, nice jiffies, own CPU seconds)``; nice time counts only if this
    process is niced itself. Clipped below at 0 (jiffy rounding)."""
    wall = now[0] - prev[0]
    if wall <= 0:
        return 0.0
    busy = now[1] - prev[1]
    if not niced:
        busy -= now[2] - prev[2]
    return max(0.0, (busy / clk_tck - (now[3] - prev[3])) / wall)


def _read() -> tuple | None:
    """(wall seconds, busy jiffies, nice jiffies, own CPU seconds, CPU set, tasks running)."""
    try:
        with open("/proc/stat") as fh:
            text = fh.read()
    except OSError:
        return None
    cpus = frozenset(_cpus())
    sums = parse_proc_stat(text, cpus)
    if sums is None:
        return None
    t = os.times()
    return (time.monotonic(), sums[0], sums[1], t.user + t.system, cpus, procs_running(text))


def _niced() -> bool:
    try:
        return os.getpriority(os.PRIO_PROCESS, 0) > 0
    except (AttributeError, OSError):
        return False


def start() -> None:
    """Take the first reading (at package import), so the first estimate covers a real interval."""
    if _state["reading"] is None:
        _state["reading"] = _read()


def _forget() -> None:
    _state["reading"], _state["foreign"] = None, 0.0     # a forked child's own CPU time starts at 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget)


def foreign() -> float:
    """Cores in use by other processes (see the module docstring), refreshed at most every
    ``MIN_INTERVAL`` seconds; 0 where ``/proc/stat`` cannot be read."""
    prev = _state["reading"]
    if prev is None:
        start()
        return _state["foreign"]
    if time.monotonic() - prev[0] < MIN_INTERVAL:
        return _state["foreign"]
    now = _read()
    if now is None:
        return _state["foreign"]
    _state["reading"] = now
    if now[4] != prev[4]:                 # the CPU set changed (taskset, cpuset): a new baseline
        return _state["foreign"]
    try:
        clk = float(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        clk = 100.0
    estimate = foreign_cores(prev, now, clk, _niced())
    if now[0] - prev[0] > STALE_INTERVAL and now[5] is not None:
        estimate = min(estimate, max(0.0, now[5] - 1.0))
    _state["foreign"] = estimate
    return estimate


def free_cores(cores: int) -> int:
    """Of ``cores``, how many are free: ``cores - foreign()`` rounded to the nearest integer, at
    least 1."""
    return max(1, min(cores, int(cores - foreign() + 0.5)))
