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
import), the CPU time all processes spent on this process's CPUs, minus this process's own
(``os.times``), divided by the interval's length:

    foreign = (busy jiffies / CLK_TCK - own CPU seconds) / wall seconds        (cores)

Time in the ``nice`` column (processes at a lower priority, which yield to this one) is left out,
unless this process is itself niced, when every other process competes with it. Elsewhere (no
``/proc/stat``) the estimate is 0: all cores free, the policy of earlier versions.

Thread counts chosen from this estimate never change a result: the sections that use it split
their work into chunks fixed by the sizes alone (``core.threads.matmul``, ``kernels.pairs``).
"""
from __future__ import annotations

import os
import time

#: readings closer together than this reuse the previous estimate (/proc/stat counts in jiffies,
#: 10 ms at the usual CLK_TCK of 100, so shorter intervals are mostly rounding)
MIN_INTERVAL = 0.25

_state: dict = {"reading": None, "foreign": 0.0}


def _cpus() -> set[int]:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:
        return set(range(os.cpu_count() or 1))


def parse_proc_stat(text: str, cpus: set[int]) -> tuple[float, float] | None:
    """(busy jiffies, nice jiffies) summed over the lines ``cpuN`` of ``/proc/stat`` with N in
    ``cpus``; busy = user + nice + system + irq + softirq + steal (idle and iowait excluded;
    guest time is already inside user). None if no such line is found."""
    busy = nice = 0.0
    found = False
    for line in text.splitlines():
        if not line.startswith("cpu") or line.startswith("cpu "):
            continue
        head, *fields = line.split()
        if not head[3:].isdigit() or int(head[3:]) not in cpus or len(fields) < 4:
            continue
        v = [float(f) for f in fields[:8]] + [0.0] * (8 - len(fields[:8]))
        user, nic, system, _idle, _iowait, irq, softirq, steal = v
        busy += user + nic + system + irq + softirq + steal
        nice += nic
        found = True
    return (busy, nice) if found else None


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
    try:
        with open("/proc/stat") as fh:
            text = fh.read()
    except OSError:
        return None
    sums = parse_proc_stat(text, _cpus())
    if sums is None:
        return None
    t = os.times()
    return (time.monotonic(), sums[0], sums[1], t.user + t.system)


def _niced() -> bool:
    try:
        return os.getpriority(os.PRIO_PROCESS, 0) > 0
    except (AttributeError, OSError):
        return False


def start() -> None:
    """Take the first reading (at package import), so the first estimate covers a real interval."""
    if _state["reading"] is None:
        _state["reading"] = _read()


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
    try:
        clk = float(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        clk = 100.0
    _state["foreign"] = foreign_cores(prev, now, clk, _niced())
    _state["reading"] = now
    return _state["foreign"]


def free_cores(cores: int) -> int:
    """Of ``cores``, how many are free: ``cores - foreign()`` rounded to the nearest integer, at
    least 1."""
    return max(1, min(cores, int(cores - foreign() + 0.5)))
