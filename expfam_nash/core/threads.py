"""Thread counts, decided in one place.

Two kinds of thread pool serve this package: the BLAS library's (OpenBLAS, behind NumPy's and
SciPy's matrix products; Numba calls SciPy's) and Numba's (its parallel kernels, on the OpenMP
threading layer). On a machine where another process holds a core, a multi-threaded BLAS call on
a *small* product waits for a worker thread that is not scheduled, and idle workers spin: the
neural learner ran 100x slower on two threads than on one under one busy process (measured:
benchmarks/README.md, "Threads under foreign load"). Hence the policy:

* BLAS runs on one thread by default (:func:`configure`, at package import), and on more only
  inside :func:`blas` for a product large enough to gain: ``MIN_FLOPS_PER_THREAD`` flops per
  thread (some 20 ms of one core's work, longer than a scheduler time slice).
* Idle OpenMP and OpenBLAS workers sleep instead of spinning (``ENVIRONMENT``, set before the
  pools start; Numba's pool starts at its first parallel kernel), so the two pools never spin
  against each other or against a foreign process.
* Numba's parallel kernels hand out their chunks dynamically (:func:`numba_parallel`), so a
  thread that shares its core with a foreign process takes fewer chunks.
* Parallel sections run on no more threads than there are free cores (:func:`workers`,
  ``core.load``): two threads lose to one when another process holds a core (measured in
  ``core.load``'s docstring). Their work is split into chunks fixed by the sizes alone
  (:func:`matmul`, ``kernels.pairs``), so the thread count changes no bit of a result. OpenBLAS's
  own threads do not have that property (its two-thread product differs in the last bits from
  its one-thread product for some shapes, e.g. 513 x 777 x 1031), so :func:`blas` stays
  load-independent.
* Sweep workers run everything on one thread (:data:`SINGLE_THREAD_ENV`, :func:`pin_process`).

A BLAS thread count set in the standard variables (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
``MKL_NUM_THREADS``; job schedulers set them routinely) is the most this policy uses: small
products still run on one thread (measured: with ``OMP_NUM_THREADS=2`` taken as a fixed count, the
d = 12 exact gradient ran 3.7x slower on two threads than on one under one busy process).
``EXPFAM_NASH_BLAS_THREADS`` overrides the policy: a number N (every product on N threads), or
``"off"`` (leave the pools alone). Only the sections whose results cannot depend on it look at
the machine's current load.
"""
from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

from . import load

#: environment defaults applied at package import (values already set are kept): idle OpenMP
#: workers (Numba's 'omp' layer, Intel's runtime) and OpenBLAS workers sleep at once
ENVIRONMENT = {"OMP_WAIT_POLICY": "PASSIVE", "KMP_BLOCKTIME": "0", "OPENBLAS_THREAD_TIMEOUT": "4"}
#: environment of a process that must run on one thread (sweep workers)
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                     "NUMBA_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}
#: a matrix product gets one more BLAS thread per this many flops (2^30: ~20 ms of one core at
#: ~50 GFLOP/s, several scheduler time slices). Smaller chunks lose to one thread when another
#: process holds a core: a BLAS worker that is descheduled for a time slice (a few ms) stalls
#: the whole product (measured at 2^25: the 784-512-512-64 learner at batch 128 ran 0.48x its
#: one-thread rate under one busy process; benchmarks.foreign_load)
MIN_FLOPS_PER_THREAD = 2 ** 30
#: :func:`matmul` splits a product into row blocks of at least this many flops (~5 ms of one core;
#: each block re-packs the right factor, so smaller blocks lose efficiency) ...
MATMUL_CHUNK_FLOPS = 2 ** 28
#: ... and at most this many blocks
MATMUL_MAX_CHUNKS = 8
#: the user's own thread settings, which this module never overrides
USER_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "EXPFAM_NASH_BLAS_THREADS")

_state = {"controller": None, "default": None, "cap": None, "configured": False, "pool": None, "blocks": False,
          "blas_raised": 0}
_pool_lock = threading.Lock()
#: name prefix of :func:`matmul`'s helper threads (a call from one of them runs its blocks itself)
HELPER_PREFIX = "expfam-nash-matmul"


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def set_environment() -> None:
    """Apply ``ENVIRONMENT`` defaults (before the thread pools start; a user's value is kept)."""
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def _user_blas_threads() -> int | str | None:
    """The BLAS thread count forced by ``EXPFAM_NASH_BLAS_THREADS``: an int, "off" (leave the pools
    alone) or None (the policy decides)."""
    own = os.environ.get("EXPFAM_NASH_BLAS_THREADS", "").strip().lower()
    if own == "off":
        return "off"
    if own.isdigit() and int(own) >= 1:
        return int(own)
    return None


def _user_cap() -> int | None:
    """The smallest positive count in the standard variables (the most BLAS may use), or None."""
    counts = [int(v) for v in (os.environ.get(k, "").strip() for k in USER_VARIABLES[:3]) if v.isdigit() and int(v) >= 1]
    return min(counts) if counts else None


def _controller():
    """A threadpoolctl controller of the loaded BLAS libraries (None without threadpoolctl)."""
    if _state["controller"] is None:
        try:
            import scipy.linalg  # noqa: F401  (loads SciPy's OpenBLAS, the one Numba calls)
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return None
        _state["controller"] = ThreadpoolController()
    return _state["controller"]


def configure() -> None:
    """The package's default: BLAS on one thread (or EXPFAM_NASH_BLAS_THREADS's count), at most the
    standard variables' count inside :func:`blas`, idle workers asleep. Called once at import;
    calling again does nothing."""
    if _state["configured"]:
        return
    _state["configured"] = True
    set_environment()
    load.start()                      # the first CPU-accounting reading (core.load)
    _state["cap"] = _user_cap()
    chosen = _user_blas_threads()
    if chosen == "off":
        return
    ctl = _controller()
    if ctl is None:
        return
    _state["default"] = 1 if chosen is None else chosen
    _state["blocks"] = chosen is None                # the package's policy: matmul in row blocks
    ctl.limit(limits=_state["default"], user_api="blas")


def threads_for(flops: float) -> int:
    """BLAS threads for a product of ``flops`` floating-point operations: one per
    ``MIN_FLOPS_PER_THREAD``, at least one, at most the cores and the user's standard variables."""
    cap = _state["cap"] or cores()
    return max(1, min(cores(), cap, int(flops // MIN_FLOPS_PER_THREAD)))


def blas(flops: float):
    """Context in which BLAS may use ``threads_for(flops)`` threads (a no-op when that is not more
    than the default: the common case costs nothing). Inside it :func:`matmul` is one BLAS call."""
    default = _state["default"]
    n = threads_for(flops)
    if default is None or n <= default or _controller() is None:
        return contextlib.nullcontext()
    return _raised(_controller().limit(limits=n, user_api="blas"))


@contextlib.contextmanager
def _raised(limiter):
    _state["blas_raised"] += 1
    try:
        with limiter:
            yield
    finally:
        _state["blas_raised"] -= 1


def workers(limit: int | None = None) -> int:
    """Threads for a parallel section whose result does not depend on its thread count: the free
    cores (``core.load.free_cores``), at most ``limit`` and the user's standard variables."""
    n = min(cores(), _state["cap"] or cores(), limit or cores())
    return 1 if n <= 1 else min(n, load.free_cores(cores()))


@contextlib.contextmanager
def numba_parallel():
    """Context for launching a Numba parallel kernel: chunks handed out one at a time, so a
    thread sharing its core with another process takes fewer of them, on at most
    :func:`workers` threads (the kernels' chunks are fixed by the sizes: no result changes)."""
    import numba

    before = numba.get_num_threads()
    n = workers(before)
    if n != before:
        numba.set_num_threads(n)
    try:
        with numba.parallel_chunksize(1):
            yield
    finally:
        if n != before:
            numba.set_num_threads(before)


def _matmul_chunks(rows: int, flops: float) -> np.ndarray:
    """Row edges of :func:`matmul`'s blocks: a function of the sizes only."""
    n = int(max(1, min(MATMUL_MAX_CHUNKS, rows, flops // MATMUL_CHUNK_FLOPS)))
    return np.linspace(0, rows, n + 1).round().astype(np.int64)


def _helpers(n: int) -> ThreadPoolExecutor:
    """A pool of at least ``n`` helper threads. A smaller pool is replaced, not shut down (a call
    may still be submitting to it; its idle threads end when it is collected)."""
    with _pool_lock:
        pool = _state["pool"]
        if pool is None or pool._max_workers < n:
            pool = _state["pool"] = ThreadPoolExecutor(max_workers=n, thread_name_prefix=HELPER_PREFIX)
        return pool


def _after_fork_in_child() -> None:
    global _pool_lock
    _state["pool"] = None            # a forked child has none of its parent's threads ...
    _pool_lock = threading.Lock()    # ... and no thread that could release a lock held at the fork


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _submit_helpers(n: int, drain) -> list:
    """``n`` helper drains, or as many as the pool accepts (none at interpreter shutdown)."""
    futures = []
    for _ in range(n):
        try:
            futures.append(_helpers(n).submit(drain))
        except RuntimeError:         # interpreter shutting down: the calling thread does it all
            break
    return futures


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-D arrays, parallel over blocks of rows of ``a``: the blocks are fixed by the
    sizes (``MATMUL_CHUNK_FLOPS``, ``MATMUL_MAX_CHUNKS``), each is one BLAS call on one thread,
    and :func:`workers` threads take them one at a time (the calling thread too). So the result's
    bits do not depend on the thread count or the load, and a thread that shares its core with
    another process takes fewer blocks. It is plain ``a @ b`` under ``EXPFAM_NASH_BLAS_THREADS``
    (a forced count or ``off``), inside :func:`blas`'s raised count, and for other inputs than
    2-D arrays. An error (or Ctrl-C) in any thread stops the others taking new blocks."""
    if (not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.ndim == b.ndim == 2)
            or not _state["blocks"] or _state["blas_raised"]):
        return a @ b
    rows = a.shape[0]
    edges = _matmul_chunks(rows, 2.0 * rows * a.shape[1] * b.shape[1])
    n_chunks = edges.size - 1
    if n_chunks == 1:
        return a @ b
    out = np.empty((rows, b.shape[1]), dtype=np.result_type(a, b))
    nxt = iter(range(n_chunks)).__next__        # one shared iterator: each block is taken once
    stop = []                                   # set when any thread fails: the others stop

    def drain():
        try:
            while not stop:
                try:
                    i = nxt()
                except StopIteration:
                    return
                lo, hi = edges[i], edges[i + 1]
                np.matmul(a[lo:hi], b, out=out[lo:hi])
        except BaseException:
            stop.append(True)
            raise

    nested = threading.current_thread().name.startswith(HELPER_PREFIX)   # never wait on our own pool
    n = 1 if nested else workers(n_chunks)
    futures = _submit_helpers(n - 1, drain) if n > 1 else []
    try:
        drain()
    except BaseException:
        wait(futures)                           # the caller's error wins; helpers stop at their block
        raise
    for f in futures:
        f.result()                              # a helper's error
    return out


def pin_process() -> None:
    """Everything on one thread in this process (BLAS, OpenMP, Numba): for sweep workers, where
    N single-threaded workers share N cores."""
    ctl = _controller()
    if ctl is not None:
        ctl.limit(limits=1)
    _state["default"] = _state["cap"] = 1            # also :func:`workers` (matmul's blocks stay as they were)
    import numba

    if numba.get_num_threads() != 1:
        numba.set_num_threads(1)


def info() -> dict:
    """The thread settings in force (for benchmarks and bug reports)."""
    ctl = _controller()
    pools = [] if ctl is None else [{"api": lib.internal_api, "threads": lib.num_threads, "library": lib.prefix}
                                     for lib in ctl.lib_controllers]
    return {"cores": cores(), "blas_default": _state["default"], "blas_cap": _state["cap"], "pools": pools,
            "foreign_cores": load.foreign(),
            "environment": {k: os.environ.get(k) for k in (*ENVIRONMENT, *USER_VARIABLES, "NUMBA_NUM_THREADS")}}


set_environment()     # at the first import of ``core`` (which imports this module first): before NumPy loads
