"""Load-aware thread counts (core.load, core.threads.workers/matmul/numba_parallel): the foreign-load
estimate from CPU accounting, parallel sections on no more threads than free cores, and results
whose bits do not depend on the thread count."""
import subprocess
import sys
import time

import numpy as np
import pytest

from expfam_nash.core import load, threads

STAT = """cpu  900 80 300 5000 10 0 5 0 0 0
cpu0 500 50 100 2000 5 0 3 0 0 0
cpu1 300 30 150 2500 5 0 2 0 0 0
cpu2 100 0 50 500 0 0 0 7 0 0
intr 12345
ctxt 678
"""


def test_proc_stat_sums_the_busy_columns_of_this_process_cpus_only():
    # cpu0: 500 + 50 + 100 + 0 + 3 + 0 = 653 busy (idle 2000 and iowait 5 left out), 50 nice
    assert load.parse_proc_stat(STAT, {0}) == (653.0, 50.0)
    assert load.parse_proc_stat(STAT, {0, 2}) == (653.0 + 157.0, 50.0)       # steal (7) counts as busy
    assert load.parse_proc_stat(STAT, None) == (653.0 + 482.0 + 157.0, 80.0)  # the aggregate line is never used
    assert load.parse_proc_stat(STAT, {0, 5}) == load.parse_proc_stat(STAT, None)  # renumbered CPUs: every line
    assert load.parse_proc_stat("", {0}) is None
    assert load.procs_running(STAT + "procs_running 3\n") == 3 and load.procs_running(STAT) is None


def _readings(monkeypatch, *readings):
    """load.foreign() over scripted readings (wall, busy, nice, own, cpus, running), CLK_TCK 100."""
    it = iter(readings[1:])
    monkeypatch.setattr(load, "_read", lambda: next(it))
    monkeypatch.setattr(load.time, "monotonic", lambda: 1e9)        # every reading is due
    monkeypatch.setattr(load.os, "sysconf", lambda name: 100)
    monkeypatch.setattr(load, "_niced", lambda: False)
    monkeypatch.setattr(load, "_state", {"reading": readings[0], "foreign": 0.0})


def test_a_stale_interval_counts_no_more_load_than_runs_now(monkeypatch):
    cpus = frozenset({0, 1})
    # 1 s apart: one core busy all along -> 1.0; 10 s apart with that mean but only us running now -> 0
    _readings(monkeypatch, (0.0, 0.0, 0.0, 0.0, cpus, 2), (1.0, 100.0, 0.0, 0.0, cpus, 2))
    assert load.foreign() == pytest.approx(1.0)
    _readings(monkeypatch, (0.0, 0.0, 0.0, 0.0, cpus, 2), (10.0, 1000.0, 0.0, 0.0, cpus, 1))
    assert load.foreign() == 0.0
    _readings(monkeypatch, (0.0, 0.0, 0.0, 0.0, cpus, 2), (10.0, 1000.0, 0.0, 0.0, cpus, 2))
    assert load.foreign() == pytest.approx(1.0)


def test_a_changed_cpu_set_starts_a_new_baseline(monkeypatch):
    _readings(monkeypatch, (0.0, 0.0, 0.0, 0.0, frozenset({0}), 1), (1.0, 500.0, 0.0, 0.0, frozenset({0, 1}), 1))
    assert load.foreign() == 0.0 and load._state["reading"][4] == frozenset({0, 1})


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork")
def test_a_forked_child_starts_its_own_readings():
    """The child's own CPU time restarts at 0: with the parent's reading kept, the parent's CPU
    time would count as foreign load (measured: 6.65 cores after 2.3 s of the parent's work)."""
    import os

    load.foreign()
    assert load._state["reading"] is not None
    pid = os.fork()
    if pid == 0:
        os._exit(0 if load._state["reading"] is None and load._state["foreign"] == 0.0 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_foreign_cores_leaves_out_own_time_and_lower_priority_time_unless_niced():
    # 2 s of wall time; 300 busy jiffies at 100/s (3 core-seconds), 100 of them at nice > 0, 0.5 s own
    prev, now = (10.0, 1000.0, 200.0, 4.0), (12.0, 1300.0, 300.0, 4.5)
    assert load.foreign_cores(prev, now, 100.0, niced=False) == pytest.approx((2.0 - 0.5) / 2)
    assert load.foreign_cores(prev, now, 100.0, niced=True) == pytest.approx((3.0 - 0.5) / 2)
    assert load.foreign_cores(prev, (12.0, 1010.0, 200.0, 5.0), 100.0, niced=False) == 0.0  # rounding: never < 0
    assert load.foreign_cores(prev, prev, 100.0, niced=False) == 0.0


@pytest.mark.parametrize("foreign, expected", [(0.0, 2), (0.4, 2), (0.6, 1), (1.0, 1), (2.0, 1), (5.0, 1)])
def test_free_cores_rounds_and_keeps_one(monkeypatch, foreign, expected):
    monkeypatch.setattr(load, "foreign", lambda: foreign)
    assert load.free_cores(2) == expected


@pytest.mark.skipif(load._read() is None, reason="no readable /proc/stat")
def test_a_busy_process_is_seen_as_foreign_load():
    """A busy loop at this process's priority shows up as at least half a core (it gets a whole
    core on a machine with two or more, or shares the only one with nobody: this test sleeps)."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        load.foreign()                                   # a reading at the start of the interval
        time.sleep(max(0.6, load.MIN_INTERVAL * 2))
        assert load.foreign() >= 0.5
    finally:
        busy.kill()
        busy.wait()


def test_workers_never_exceed_free_cores(monkeypatch):
    monkeypatch.setattr(threads, "cores", lambda: 4)
    monkeypatch.setattr(threads, "_state", {**threads._state, "cap": None})
    for foreign, expected in ((0.0, 4), (1.2, 3), (3.0, 1), (9.0, 1)):
        monkeypatch.setattr(load, "foreign", lambda f=foreign: f)
        assert threads.workers() == expected
        assert threads.workers(2) == min(2, expected)


def _with_workers(monkeypatch, n):
    monkeypatch.setattr(threads, "workers", lambda limit=None: min(n, limit or n))


@pytest.mark.parametrize("shape, chunk_flops", [((1024, 600, 900), threads.MATMUL_CHUNK_FLOPS),
                                                ((37, 300, 500), 2 ** 16), ((3, 200, 700), 2 ** 12)])
def test_matmul_is_the_product_and_its_bits_do_not_depend_on_the_thread_count(monkeypatch, shape, chunk_flops):
    if not threads._state["blocks"]:
        pytest.skip("EXPFAM_NASH_BLAS_THREADS is set: matmul is a @ b in the pools as set")
    monkeypatch.setattr(threads, "MATMUL_CHUNK_FLOPS", chunk_flops)   # small blocks: fewer rows than MAX_CHUNKS
    m, k, n = shape
    rng = np.random.default_rng(m)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    assert threads._matmul_chunks(m, 2.0 * m * k * n).size - 1 > 1          # the case under test: several blocks
    results = []
    for w in (1, 2, 3):
        _with_workers(monkeypatch, w)
        results.append(threads.matmul(a, b))
    ref = a @ b
    scale = np.abs(a) @ np.abs(b)                        # |a| |b|: the error bound's scale
    assert np.all(np.abs(results[0] - ref) <= 64 * k * np.finfo(float).eps * scale)
    assert all(r.tobytes() == results[0].tobytes() for r in results[1:])


def test_matmul_runs_blocks_on_helper_threads_and_passes_their_errors_on(monkeypatch):
    if not threads._state["blocks"]:
        pytest.skip("EXPFAM_NASH_BLAS_THREADS is set")
    import threading

    seen = set()
    real = np.matmul

    def spy(x, y, out=None):
        seen.add(threading.current_thread().name)
        time.sleep(0.01)                                 # every thread gets a block
        return real(x, y, out=out)

    monkeypatch.setattr(threads.np, "matmul", spy)
    _with_workers(monkeypatch, 2)
    a, b = np.ones((512, 1024)), np.ones((1024, 2048))
    assert np.all(threads.matmul(a, b) == 1024.0)
    assert len(seen) == 2 and any(s.startswith("expfam-nash-matmul") for s in seen)

    def broken(x, y, out=None):
        if threading.current_thread().name.startswith("expfam-nash-matmul"):
            raise FloatingPointError("from a helper")
        time.sleep(0.05)
        return real(x, y, out=out)

    monkeypatch.setattr(threads.np, "matmul", broken)
    with pytest.raises(FloatingPointError, match="from a helper"):
        threads.matmul(a, b)


def test_a_small_product_is_one_blas_call():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    assert threads._matmul_chunks(2, 2.0 * 2 * 3 * 4).size == 2
    assert threads.matmul(a, b).tobytes() == (a @ b).tobytes()


def test_numba_parallel_runs_on_free_cores_only_and_restores_the_count(monkeypatch):
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba's pool has one thread here")
    outer = numba.get_num_threads()                      # an earlier pin_process may have set 1
    numba.set_num_threads(2)
    try:
        monkeypatch.setattr(threads, "workers", lambda limit=None: 1)
        with threads.numba_parallel():
            assert numba.get_num_threads() == 1
        assert numba.get_num_threads() == 2
    finally:
        numba.set_num_threads(outer)


def test_a_pinned_process_runs_parallel_sections_on_one_thread():
    """Sweep workers call pin_process: N one-thread workers share N cores, so neither matmul's
    blocks nor Numba's kernels may start threads of their own (even on an idle machine)."""
    if threads.cores() < 2:
        pytest.skip("one core: every count is 1")
    code = ("import expfam_nash; from expfam_nash.core import threads, load; load.foreign = lambda: 0.0; "
            "before = threads.workers(); threads.pin_process(); print(before, threads.workers())")
    import os

    env = {k: v for k, v in os.environ.items() if k not in threads.USER_VARIABLES + ("NUMBA_NUM_THREADS",)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout.split()
    assert out == [str(threads.cores()), "1"]


def test_matmul_stops_handing_out_blocks_after_an_error_and_never_waits_on_its_own_pool(monkeypatch):
    if not threads._state["blocks"]:
        pytest.skip("EXPFAM_NASH_BLAS_THREADS is set")
    a, b = np.ones((512, 1024)), np.ones((1024, 2048))
    n_blocks = threads._matmul_chunks(512, 2.0 * 512 * 1024 * 2048).size - 1
    import threading

    helper_blocks, real = [], np.matmul

    def failing(x, y, out=None):                         # Ctrl-C in the calling thread's first block
        if threading.current_thread() is threading.main_thread():
            raise KeyboardInterrupt
        helper_blocks.append(1)
        time.sleep(0.05)
        return real(x, y, out=out)
    monkeypatch.setattr(threads.np, "matmul", failing)
    _with_workers(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        threads.matmul(a, b)
    assert len(helper_blocks) <= 2 < n_blocks - 1        # the helper stopped at its block in progress
    monkeypatch.setattr(threads.np, "matmul", real)
    monkeypatch.setitem(threads._state, "pool", None)   # a one-thread pool, busy with the outer call
    job = threads._helpers(1).submit(threads.matmul, a, b)
    assert np.all(job.result(timeout=60) == 1024.0)


def test_matmul_runs_alone_when_no_helper_can_start_and_inside_a_raised_blas_count(monkeypatch):
    if not threads._state["blocks"]:
        pytest.skip("EXPFAM_NASH_BLAS_THREADS is set")
    a, b = np.ones((512, 1024)), np.ones((1024, 2048))
    _with_workers(monkeypatch, 2)

    def shut(n):
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")
    monkeypatch.setattr(threads, "_helpers", shut)
    assert np.all(threads.matmul(a, b) == 1024.0)
    blocks = []
    monkeypatch.setattr(threads, "_matmul_chunks", lambda *args: blocks.append(1) or np.array([0, 256, 512]))
    monkeypatch.setitem(threads._state, "cap", None)        # an earlier pin_process in this process
    monkeypatch.setattr(threads, "cores", lambda: 2)
    assert threads.threads_for(10 ** 13) == 2
    with threads.blas(10 ** 13):
        threads.matmul(a, b)
    assert blocks == []
    threads.matmul(a, b)
    assert blocks == [1]
