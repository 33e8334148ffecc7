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
* Sweep workers run everything on one thread (:data:`SINGLE_THREAD_ENV`, :func:`pin_process`).

A BLAS thread count set in the standard variables (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
``MKL_NUM_THREADS``; job schedulers set them routinely) is the most this policy uses: small
products still run on one thread (measured: with ``OMP_NUM_THREADS=2`` taken as a fixed count, the
d = 12 exact gradient ran 3.7x slower on two threads than on one under one busy process).
``EXPFAM_NASH_BLAS_THREADS`` overrides the policy: a number N (every product on N threads), or
``"off"`` (leave the pools alone). Thread counts never depend on the machine's current load, so
results stay reproducible.
"""
from __future__ import annotations

import contextlib
import os

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
#: the user's own thread settings, which this module never overrides
USER_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "EXPFAM_NASH_BLAS_THREADS")

_state = {"controller": None, "default": None, "cap": None, "configured": False}


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
    _state["cap"] = _user_cap()
    chosen = _user_blas_threads()
    if chosen == "off":
        return
    ctl = _controller()
    if ctl is None:
        return
    _state["default"] = 1 if chosen is None else chosen
    ctl.limit(limits=_state["default"], user_api="blas")


def threads_for(flops: float) -> int:
    """BLAS threads for a product of ``flops`` floating-point operations: one per
    ``MIN_FLOPS_PER_THREAD``, at least one, at most the cores and the user's standard variables."""
    cap = _state["cap"] or cores()
    return max(1, min(cores(), cap, int(flops // MIN_FLOPS_PER_THREAD)))


def blas(flops: float):
    """Context in which BLAS may use ``threads_for(flops)`` threads (a no-op when that is not more
    than the default: the common case costs nothing)."""
    default = _state["default"]
    n = threads_for(flops)
    if default is None or n <= default or _controller() is None:
        return contextlib.nullcontext()
    return _controller().limit(limits=n, user_api="blas")


def numba_parallel():
    """Context for launching a Numba parallel kernel: chunks handed out one at a time, so a
    thread sharing its core with another process takes fewer of them."""
    import numba

    return numba.parallel_chunksize(1)


def pin_process() -> None:
    """Everything on one thread in this process (BLAS, OpenMP, Numba): for sweep workers, where
    N single-threaded workers share N cores."""
    ctl = _controller()
    if ctl is not None:
        ctl.limit(limits=1)
    _state["default"] = 1
    import numba

    if numba.get_num_threads() != 1:
        numba.set_num_threads(1)


def info() -> dict:
    """The thread settings in force (for benchmarks and bug reports)."""
    ctl = _controller()
    pools = [] if ctl is None else [{"api": lib.internal_api, "threads": lib.num_threads, "library": lib.prefix}
                                     for lib in ctl.lib_controllers]
    return {"cores": cores(), "blas_default": _state["default"], "blas_cap": _state["cap"], "pools": pools,
            "environment": {k: os.environ.get(k) for k in (*ENVIRONMENT, *USER_VARIABLES, "NUMBA_NUM_THREADS")}}


set_environment()     # at the first import of ``core`` (which imports this module first): before NumPy loads
