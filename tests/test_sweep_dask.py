"""Sweeps on an in-process Dask LocalCluster (worker processes): a grid of verify cells, resume
after an interrupted run and after a killed driver, a failing cell, rows in grid order whatever
the completion order, identical tables from 1 and 2 workers, a worker killed mid-sweep, a cell
that keeps killing its worker, thread pinning, and the CLI."""
import os
import signal

import numpy as np
import pytest

pytest.importorskip("distributed")

import dask  # noqa: E402
from distributed import Client  # noqa: E402

from expfam_nash import models  # noqa: E402
from expfam_nash.sweep import Sweep, load_table, run  # noqa: E402
from expfam_nash.sweep.cluster import local_cluster  # noqa: E402
from expfam_nash.sweep.store import NONDETERMINISTIC, Store, read_rows  # noqa: E402
from expfam_nash.verification import verify  # noqa: E402

VERIFY = Sweep("verify", fixed={"model": "tabular", "starts": 2, "max_steps": 2000},
               grid={"joint": ["random:2:2:0", "random:3:2:1"], "alpha": [0.0, 0.5], "rho": [0.0, 0.1]})


def _cluster(n, **config):
    """The LocalCluster ``sweep.run`` starts by default (``config``: Dask settings for its scheduler)."""
    with dask.config.set(config):
        return local_cluster(n)


@pytest.fixture(scope="module")
def client():
    cluster = _cluster(2)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def _frame(path):
    return load_table(path).drop(columns=list(NONDETERMINISTIC))


def test_verify_grid_rows_match_verify_in_this_process(client, tmp_path):
    out = tmp_path / "v.parquet"
    res = run(VERIFY, out, client=client, progress=False)
    assert res.complete and res.computed == 8 and res.errors == 0 and not res.interrupted
    table = load_table(out)
    assert list(table["key"]) == [c.key for c in VERIFY.cells()]
    assert list(table.columns[:5]) == ["key", "task", "joint", "alpha", "rho"]
    for row in table.itertuples():
        game = models.tabular(row.joint, labeled_weight=row.alpha, l2=row.rho)
        v = verify(game, starts=2, seed=0, max_steps=2000)
        assert (row.unique, row.continuum, row.classes, row.escaped) == (v.unique, v.continuum, len(v.classes),
                                                                         v.escaped)
    # certified unique: exactly the anchored cells without penalty (alpha = 0.5, rho = 0: the anchored-tabular
    # theorem); alpha = rho = 0: a certified continuum; rho = 0.1 is below the Rosen level: undecided
    anchored = (table["alpha"] == 0.5) & (table["rho"] == 0.0)
    assert list(table["unique"]) == list(anchored) and list(table["uniqueness_status"][anchored]) == ["certified"] * 2
    assert list(table["continuum"]) == list((table["alpha"] == 0.0) & (table["rho"] == 0.0))
    again = run(VERIFY, out, client=client, progress=False)            # everything done: nothing recomputed
    assert again.skipped == 8 and again.computed == 0 and again.tasks == 0


def test_interrupted_sweep_keeps_finished_cells_and_resumes(client, tmp_path):
    spec = Sweep("probe", fixed={"sleep": 0.05}, seeds=10)
    out = tmp_path / "p.parquet"

    def stop(computed, rows):
        raise KeyboardInterrupt

    first = run(spec, out, client=client, batch_size=2, on_batch=stop, progress=False)
    assert first.interrupted and first.computed == 2 and not first.complete
    kept = read_rows(out)
    assert len(kept) == 2 and not (out.parent / "p.parquet.journal").exists()
    second = run(spec, out, client=client, progress=False)
    assert second.skipped == 2 and second.computed == 8 and second.complete
    rows = {r["key"]: r for r in read_rows(out)}
    for r in kept:                                         # finished cells were not recomputed
        assert rows[r["key"]]["elapsed_s"] == r["elapsed_s"]
    fresh = tmp_path / "fresh.parquet"
    run(spec, fresh, client=client, progress=False)
    assert _frame(out).equals(_frame(fresh))


def test_a_ctrl_c_swallowed_inside_a_library_still_stops_the_sweep(client, tmp_path):
    """The driver's SIGINT handler latches the interrupt, so even a KeyboardInterrupt that library
    code catches on its way up stops the sweep at its next result, with the finished cells kept."""
    import signal

    spec = Sweep("probe", fixed={"sleep": 0.05}, seeds=10)
    out = tmp_path / "p.parquet"

    def swallowed(computed, rows):
        try:
            signal.raise_signal(signal.SIGINT)        # what a terminal's Ctrl-C delivers
        except KeyboardInterrupt:
            pass                                      # ... caught by some library on the way up

    before = signal.signal(signal.SIGINT, signal.default_int_handler)   # as in a terminal (not under nohup)
    try:
        res = run(spec, out, client=client, batch_size=2, on_batch=swallowed, progress=False)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler     # the handler is put back
    finally:
        signal.signal(signal.SIGINT, before)
    assert res.interrupted and 2 <= res.computed < 10 and not res.complete
    assert len(read_rows(out)) == res.computed


def test_killed_driver_resumes_from_the_journal(client, tmp_path):
    spec = Sweep("probe", seeds=6)
    full = tmp_path / "full.parquet"
    run(spec, full, client=client, progress=False)
    rows = read_rows(full)
    out = tmp_path / "killed.parquet"
    with Store(out) as store:                            # what a driver killed after 3 cells leaves
        store.append(rows[:3])
        with open(store.journal, "a") as fh:
            fh.write('{"key": "')
    res = run(spec, out, client=client, progress=False)
    assert res.skipped == 3 and res.computed == 3
    assert _frame(out).equals(_frame(full))


def test_failing_cell_records_its_error_and_the_sweep_goes_on(client, tmp_path):
    spec = Sweep("probe", grid={"fail": [False, True]}, seeds=3)
    out = tmp_path / "f.csv"
    res = run(spec, out, client=client, batch_size=3, progress=False)
    assert res.complete and res.errors == 3
    table = load_table(out)
    failed = table[table["fail"]]
    assert failed["error"].str.startswith("ValueError: fail: probe cell with seed").all()
    assert failed["value"].isna().all()
    good = table[~table["fail"]]
    assert good["error"].isna().all()
    assert list(good["value"]) == [np.random.default_rng(s).random() for s in range(3)]
    rerun = run(spec, out, client=client, progress=False)
    assert rerun.computed == 0                                       # an error row is a finished cell
    retried = run(spec, out, client=client, retry_errors=True, progress=False)
    assert retried.computed == 3 and retried.errors == 3


def test_rows_follow_grid_order_not_completion_order(client, tmp_path):
    spec = Sweep("probe", grid={"sleep": [0.3, 0.0]}, seeds=3)      # the first cells finish last
    out = tmp_path / "o.parquet"
    order = []
    run(spec, out, client=client, batch_size=1, progress=False, on_batch=lambda n, rows: order.extend(rows))
    keys = [c.key for c in spec.cells()]
    assert [r["key"] for r in order] != keys                          # completion order differs...
    assert list(load_table(out)["key"]) == keys                       # ...the table's does not


def test_one_and_two_workers_give_identical_tables(client, tmp_path):
    spec = Sweep("verify", fixed={"starts": 3, "max_steps": 3000},
                 cases=[{"model": "tabular", "joint": "random:3:3:0"}, {"model": "bernoulli-anchored"}],
                 grid={"alpha": [0.0, 0.4], "rho": [0.0, 0.1]}, seeds=[0, 1])
    two = tmp_path / "two.parquet"
    run(spec, two, client=client, progress=False)
    cluster = _cluster(1)
    try:
        with Client(cluster) as one_client:
            one = tmp_path / "one.parquet"
            run(spec, one, client=one_client, batch_size=3, progress=False)
    finally:
        cluster.close()
    a, b = _frame(one), _frame(two)
    assert a.equals(b) and len(a) == 16 and a["error"].isna().all()
    assert (tmp_path / "one.parquet").read_bytes() != b""


def test_workers_run_with_one_thread(client):
    from expfam_nash.sweep.worker import pin_threads

    def threads():
        import numba
        from threadpoolctl import threadpool_info
        pin_threads()
        return os.environ.get("OMP_NUM_THREADS"), numba.get_num_threads(), {i["num_threads"] for i in threadpool_info()}

    for omp, numba_threads, pools in client.run(threads).values():
        assert omp == "1" and numba_threads == 1 and pools <= {1}
    assert client.submit(threads, pure=False).result()[1] == 1       # in the task thread as well


def test_starting_a_local_cluster_leaves_this_process_environment_alone(monkeypatch):
    """Dask's nanny writes OMP_NUM_THREADS=1 (and its other pre-spawn variables) into the parent's
    os.environ; a notebook's later children would all run on one thread."""
    for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("EXPFAM_NASH_TEST_MARK", "kept")
    before = dict(os.environ)
    cluster = _cluster(1)
    try:
        with Client(cluster) as c:
            assert c.run(lambda: os.environ.get("OMP_NUM_THREADS")) and set(
                c.run(lambda: os.environ.get("OMP_NUM_THREADS")).values()) == {"1"}
        assert dict(os.environ) == before
    finally:
        cluster.close()


def test_killed_worker_loses_nothing_and_its_cells_are_retried(tmp_path):
    cluster = _cluster(2)
    client = Client(cluster)
    killed = []

    def kill_a_busy_worker(computed, rows):
        if killed:
            return
        busy = [addr for addr, keys in client.processing().items() if keys]
        pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
        os.kill(pid, signal.SIGKILL)
        killed.append({r["key"]: r["elapsed_s"] for r in rows})

    try:
        spec = Sweep("probe", fixed={"sleep": 0.3}, seeds=8)
        out = tmp_path / "k.parquet"
        res = run(spec, out, client=client, batch_size=1, on_batch=kill_a_busy_worker, progress=False)
    finally:
        client.close()
        cluster.close()
    assert killed and res.complete and res.errors == 0
    rows = {r["key"]: r for r in read_rows(out)}
    assert set(rows) == {c.key for c in spec.cells()}
    for key, elapsed in killed[0].items():                            # finished before the kill: kept as is
        assert rows[key]["elapsed_s"] == elapsed
    assert [rows[c.key]["value"] for c in spec.cells()] == [np.random.default_rng(s).random() for s in range(8)]


def test_cell_that_keeps_killing_its_worker_gets_an_error_row(tmp_path):
    """Dask blames every task on a dying worker; only the culprit may get an error row."""
    cluster = _cluster(1, **{"distributed.scheduler.allowed-failures": 0})     # no retries: fail at once
    client = Client(cluster)
    try:
        spec = Sweep("probe", fixed={"sleep": 0.05}, zipped={"crash": [False, True, False, False], "seed": [0, 1, 2, 3]})
        first = run(spec, tmp_path / "c1.parquet", client=client, batch_size=1, progress=False)  # queued behind it
        second = run(spec, tmp_path / "c2.parquet", client=client, batch_size=2, progress=False)  # batched with it
    finally:
        client.close()
        cluster.close()
    for res, name in ((first, "c1.parquet"), (second, "c2.parquet")):
        table = load_table(tmp_path / name)
        assert res.complete and res.errors == 1
        assert table["error"].isna().tolist() == [True, False, True, True]
        assert table["error"].iloc[1].startswith("KilledWorker")
        assert table["value"].iloc[[0, 2, 3]].tolist() == [np.random.default_rng(s).random() for s in (0, 2, 3)]


def test_cli_runs_resumes_and_shows(client, tmp_path, capsys):
    from expfam_nash.cli.main import main

    spec = tmp_path / "s.toml"
    spec.write_text('task = "probe"\nseeds = 4\n[grid]\nfail = [false, true]\n')
    addr = client.scheduler.address
    assert main(["sweep", str(spec), "--scheduler", addr, "--no-progress"]) == 0
    assert "8 of 8 cells in the table" in capsys.readouterr().out
    assert (tmp_path / "s.parquet").exists()                          # default --out: FILE.parquet
    assert main(["sweep", str(spec), "--scheduler", addr, "--no-progress"]) == 0
    assert "8 already there" in capsys.readouterr().out
    assert main(["sweep", "--show", str(tmp_path / "s.parquet")]) == 0
    shown = capsys.readouterr().out
    assert "8 rows, task probe, 4 with an error" in shown and "varied   seed: 4 values: 0, 1, 2, 3" in shown
    assert main(["sweep", str(spec), "--scheduler", addr, "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("expfam-nash: error: workers: applies to the local cluster only") and err.count("\n") == 1
    assert main(["sweep"]) == 2
    assert "file: expected a sweep file" in capsys.readouterr().err


def test_ctrl_c_in_a_terminal_stops_cleanly_and_keeps_finished_cells(tmp_path):
    """SIGINT to the whole process group (what a terminal's Ctrl-C does): exit 130, one line on
    stderr, the finished cells in the table, no worker left behind, no traceback from a worker."""
    import subprocess
    import sys
    import time

    spec = tmp_path / "slow.toml"
    spec.write_text('task = "probe"\nseeds = 200\n[fixed]\nsleep = 0.2\n')
    out = tmp_path / "slow.parquet"
    proc = subprocess.Popen([sys.executable, "-m", "expfam_nash", "sweep", str(spec), "--workers", "2",
                             "--no-progress", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            # a terminal's child: SIGINT handled, even when this test runs under nohup
                            # (which starts it ignored; the test once saw exit 0 there)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    journal = tmp_path / "slow.parquet.journal"
    deadline = time.monotonic() + 120
    while not (journal.exists() and journal.stat().st_size) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "INTERRUPTED" in stdout and "Traceback" not in stderr
    assert stderr.strip().splitlines() == [stderr.strip()] and "rerun the same command to resume" in stderr
    rows = read_rows(out)
    assert 0 < len(rows) < 200 and all(r["error"] is None for r in rows)
    deadline = time.monotonic() + 15                     # the workers are gone with the driver
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        left = subprocess.run(["ps", "-o", "pid,etime,cmd", "-g", str(proc.pid)], capture_output=True, text=True).stdout
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"processes left in the sweep's group:\n{left}")


def test_gallery_uniqueness_map_from_a_sweep_equals_the_committed_figure_data(client, tmp_path):
    import dataclasses
    import json
    from pathlib import Path

    from expfam_nash.sweep.figures import UNIQUENESS_MAP, uniqueness_map

    fig, data = uniqueness_map(seed=0, table=tmp_path / "u.parquet", client=client)
    committed = json.loads((Path(__file__).resolve().parents[1] / "figures" / "uniqueness_map.json").read_text())
    assert committed["seed"] == 0 and data == committed["data"]
    assert len(fig.axes) == 2
    example = Sweep.load(Path(__file__).resolve().parents[1] / "examples" / "uniqueness_sweep.toml")
    assert dataclasses.replace(example, seeds=[0]).cells() == dataclasses.replace(UNIQUENESS_MAP, seeds=[0]).cells()
