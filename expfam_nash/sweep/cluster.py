"""Connecting to Dask: a LocalCluster of worker processes (one thread each, thread pools pinned
to 1 before the workers import anything, Ctrl-C left to the driver) or an existing cluster's
scheduler."""
from __future__ import annotations

import contextlib
import logging
import signal
import threading

from ..core import threads

#: environment of local worker processes: BLAS, OpenMP and Numba pools of one thread, so that
#: N workers on N cores never fight over them
THREAD_ENV = dict(threads.SINGLE_THREAD_ENV)
CONNECT_TIMEOUT = 10.0


def available_cores() -> int:
    return threads.cores()


def local_cluster(workers: int | None = None):
    """A LocalCluster of ``workers`` processes (default: the cores available), one thread each."""
    from distributed import LocalCluster

    n = available_cores() if workers is None else workers
    with children_ignore_interrupt(), environment_kept():
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                            silence_logs=logging.ERROR, env=dict(THREAD_ENV))


@contextlib.contextmanager
def environment_kept():
    """This process's environment as it was before the block: Dask's nanny writes its pre-spawn
    variables (OMP_NUM_THREADS=1, ...) into the *parent's* ``os.environ`` before spawning a worker,
    which would leave every later child of a notebook or script on one thread."""
    import os

    before = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(before):
            del os.environ[key]
        for key, value in before.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


@contextlib.contextmanager
def children_ignore_interrupt():
    """SIGINT ignored while the block runs (main thread only). Processes spawned meanwhile inherit
    the ignored disposition (Python keeps an ignored SIGINT ignored), so a terminal's Ctrl-C, sent
    to the whole process group, reaches only the driver, which then shuts the cluster down."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def interrupt_latch():
    """The driver's SIGINT handler while a sweep runs (main thread only): it records the interrupt
    in the yielded latch {"hit": bool} and then raises KeyboardInterrupt as usual, so an interrupt
    caught by library code on its way up still stops the sweep at its next result. An ignored
    SIGINT (a process started under nohup) stays ignored."""
    latch = {"hit": False}
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield latch
        return

    def handler(signum, frame):
        latch["hit"] = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield latch
    finally:
        signal.signal(signal.SIGINT, previous)


def check_workers(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"workers: expected an integer >= 1, got {value!r}")
    return value


def connect(scheduler: str | None = None, workers: int | None = None):
    """(client, cluster we own or None). ``scheduler``: an address such as tcp://host:8786."""
    from distributed import Client

    workers = check_workers(workers)
    if scheduler is None:
        try:
            cluster = local_cluster(workers)
        except (OSError, RuntimeError, TimeoutError) as exc:
            raise ValueError(f"workers: the local Dask cluster did not start ({type(exc).__name__}: {exc})") from None
        return Client(cluster), cluster
    if workers is not None:
        raise ValueError("workers: applies to the local cluster only; an existing cluster brings its own workers")
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(f"scheduler: cannot connect to {scheduler!r} ({type(exc).__name__}: {exc})") from None
    return client, None


def check_versions(client, version: str, timeout: float = 60.0) -> int:
    """Wait for a worker, then check every worker runs this version of expfam-nash (cell keys and
    results depend on it). Returns the number of workers."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise ValueError(f"scheduler: no worker joined within {timeout:g} s") from None
    try:
        found = client.run(_worker_version)
    except ImportError as exc:
        raise ValueError(f"scheduler: a worker cannot import expfam_nash ({exc})") from None
    wrong = {addr: v for addr, v in found.items() if v != version}
    if wrong:
        addr, v = next(iter(wrong.items()))
        raise ValueError(f"scheduler: worker {addr} runs expfam-nash {v}, this process {version}")
    return len(found)


def _worker_version() -> str:
    from ..core.version import __version__
    return __version__
