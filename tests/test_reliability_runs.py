"""Issue 9, defect classes of files, runs and processes: damaged files and odd paths on the command
line, checkpoints verified on load (integrity, owner, the previous one as fallback), a full disk,
same seed same bytes for every JSON the CLI writes, figures without an optional extra, and the
thread policy (core.threads)."""
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from expfam_nash.neural import checkpoint as ckpt
from fuzzing import assert_clean_failure, run_cli

TRAIN = ["train", "--dataset", "bars:2", "--model", "bits:2", "--hidden", "4", "--eval-k", "2", "--n-train", "50",
         "--no-progress", "--no-figures"]


def _train(out, steps=20, every=10, extra=()):
    return run_cli("cli.train", [*TRAIN, "--steps", str(steps), "--checkpoint-every", str(every), "--out", str(out),
                                 *extra])


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    np.savez(d / "good.npz", points=np.array([[0.0, 1.0]]))
    good = (d / "good.npz").read_bytes()
    (d / "dir.npz").mkdir()
    (d / "dir.npy").mkdir()
    for suffix in (".npz", ".npy"):
        (d / f"zero{suffix}").write_bytes(b"")
        (d / f"garbage{suffix}").write_bytes(bytes(range(256)) * 3)
    (d / "truncated.npz").write_bytes(good[: len(good) // 2])
    np.save(d / "joint.npy", np.full((2, 2), 0.25))
    (d / "truncated.npy").write_bytes((d / "joint.npy").read_bytes()[:-9])
    (d / "file.txt").write_text("x")
    return d


@pytest.mark.parametrize("kind", ["dir", "zero", "garbage", "truncated", "missing"])
@pytest.mark.parametrize("flag", ["--data", "--joint", "--dataset", "--moments"])
def test_damaged_or_odd_input_files_are_one_line_errors(bad_files, kind, flag):
    suffix = ".npy" if flag == "--joint" else ".npz"
    path = str(bad_files / f"{kind}{suffix}")
    argv = {"--data": ["solve", "bernoulli", "--data", path], "--joint": ["solve", "tabular", "--joint", path],
            "--dataset": [*TRAIN, "--dataset", path, "--out", str(bad_files / "never")],
            "--moments": ["collapse", "--moments", path, "--starts", "0", "vae"]}[flag]
    code, _, err = run_cli("file.cli", argv)
    assert code == 2
    assert_clean_failure(code, err, argv)
    assert ("spec:" if flag == "--dataset" else flag[2:] + ":") in err


@pytest.mark.parametrize("argv", [
    ["train", "--resume", "{d}/file.txt"], ["train", "--resume", "{d}/dir.npz"], ["train", "--resume", "{d}/nothing"],
    [*TRAIN, "--steps", "2", "--out", "{d}/file.txt"], [*TRAIN, "--steps", "2", "--out", "{d}/file.txt/run"],
    ["figures", "--only", "escape", "--out", "{d}/file.txt"], ["docs", "--out", "{d}/dir.npz"]])
def test_odd_paths_are_one_line_errors(bad_files, argv):
    argv = [a.format(d=bad_files) for a in argv]
    code, _, err = run_cli("file.cli", argv)
    assert_clean_failure(code, err, argv)


@pytest.mark.parametrize("content", ["[]", "5", "{", "", '{"hidden": [1.5]}', '{"steps": "x"}'])
def test_damaged_config_json_is_refused_in_one_line(tmp_path, content):
    run = tmp_path / "run"
    assert _train(run, steps=4, every=2)[0] == 0
    (run / "config.json").write_text(content)
    code, _, err = run_cli("file.resume", ["train", "--resume", str(run), "--no-progress", "--no-figures"])
    assert_clean_failure(code, err, content)
    assert "resume:" in err or "hidden:" in err or "steps:" in err


def test_a_damaged_metrics_line_does_not_stop_a_resume(tmp_path):
    """A crash can cut the last line of metrics.jsonl; resume drops damaged lines."""
    run = tmp_path / "run"
    assert _train(run, steps=20)[0] == 0
    with open(run / "metrics.jsonl", "a") as fh:
        fh.write('{"step": 2')
    code, _, err = run_cli("file.resume", ["train", "--resume", str(run), "--steps", "24", "--no-progress",
                                           "--no-figures"])
    assert code == 0, err
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps)) and steps[-1] == 24


# -- checkpoints -----------------------------------------------------------------------------------
def _flip(path: Path, where: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0xFF
    path.write_bytes(bytes(data))


def test_checkpoint_checksum_catches_silently_changed_arrays(tmp_path):
    run = tmp_path / "run"
    assert _train(run)[0] == 0
    state, _, _ = ckpt.load(run / "checkpoint.npz")
    assert state.step == 20 and ckpt.load(run / "checkpoint.prev.npz")[0].step == 10
    with np.load(run / "checkpoint.npz") as f:         # a valid archive whose numbers changed
        entries = {k: f[k] for k in f.files}
    entries["params/decoder"] = entries["params/decoder"] + np.float32(1e-3)
    np.savez(run / "checkpoint.npz", **entries)
    with pytest.raises(ckpt.DamagedCheckpoint, match="checksum"):
        ckpt.load(run / "checkpoint.npz")


def test_resume_uses_the_previous_checkpoint_when_the_newest_is_damaged_and_says_so(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    assert _train(whole, steps=30, extra=("--schedule", "constant"))[0] == 0
    assert _train(broken, steps=20, extra=("--schedule", "constant"))[0] == 0
    _flip(broken / "checkpoint.npz")
    code, out, err = run_cli("file.resume", ["train", "--resume", str(broken), "--steps", "30", "--no-progress",
                                             "--no-figures"])
    assert code == 0, err
    assert "resumed from the previous checkpoint" in out and "step 10" in out
    assert (broken / "checkpoint.damaged.npz").exists()        # kept aside, out of the rotation
    assert (broken / "summary.json").read_bytes() == (whole / "summary.json").read_bytes()   # bit-exact from step 10


def test_resume_refuses_when_both_checkpoints_are_damaged(tmp_path):
    run = tmp_path / "run"
    assert _train(run)[0] == 0
    for name in ("checkpoint.npz", "checkpoint.prev.npz"):
        (run / name).write_bytes((run / name).read_bytes()[:100])
    code, _, err = run_cli("file.resume", ["train", "--resume", str(run), "--no-progress", "--no-figures"])
    assert code == 2 and "cannot be used either" in err
    assert_clean_failure(code, err, "both damaged")


def test_resume_refuses_another_runs_checkpoint(tmp_path):
    mine, other = tmp_path / "mine", tmp_path / "other"
    assert _train(mine)[0] == 0
    assert _train(other, extra=("--lr", "0.01"))[0] == 0
    os.replace(other / "checkpoint.npz", mine / "checkpoint.npz")
    code, _, err = run_cli("file.resume", ["train", "--resume", str(mine), "--no-progress", "--no-figures"])
    assert code == 2 and "another run" in err and "lr" in err


def test_a_full_disk_keeps_the_last_good_checkpoint_and_exits_with_one_line(tmp_path, monkeypatch):
    """A fake writer raises ENOSPC at the second checkpoint, after writing part of the file."""
    writes = []

    def full_disk(fh, arrays):
        writes.append(1)
        if len(writes) == 2:
            fh.write(b"PK\x03\x04 half a checkpoint")
            raise OSError(errno.ENOSPC, "No space left on device")
        np.savez(fh, **arrays)

    monkeypatch.setattr(ckpt, "_write_npz", full_disk)
    run = tmp_path / "run"
    code, _, err = _train(run, steps=30)
    assert code == 1 and "no space left on device" in err
    assert_clean_failure(code, err, "ENOSPC")
    assert ckpt.load(run / "checkpoint.npz")[0].step == 10            # the last good one, intact
    assert sorted(p.name for p in run.iterdir() if p.suffix == ".tmp") == []


# -- same seed, same bytes ---------------------------------------------------------------------------
def test_every_json_the_cli_writes_is_the_same_for_the_same_seed(tmp_path):
    """bars:3 has 2^9 = 512 images, so the chain's second eigenvalue comes from ARPACK (fixed start)."""
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert run_cli("cli.train", ["train", "--dataset", "bars:3", "--model", "bits:3", "--hidden", "4", "--steps",
                                     "30", "--eval-k", "2", "--n-train", "60", "--no-progress", "--no-figures",
                                     "--out", str(out)])[0] == 0
        code, solved, _ = run_cli("cli.solve", ["solve", "bernoulli", "--data", "random:4:0", "--latent-dim", "2",
                                                "--json", "--max-steps", "300"])
        runs.append((out, solved))
    (a, solved_a), (b, solved_b) = runs
    assert solved_a == solved_b
    for name in ("config.json", "metrics.jsonl", "summary.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert "wall_time" not in json.loads((a / "summary.json").read_text())
    assert json.loads((a / "timing.json").read_text())["steps"] == 30


def test_the_chains_second_eigenvalue_is_reproducible_and_right():
    from expfam_nash.stats import stationary

    rng = np.random.default_rng(3)
    T = rng.random((100, 100)) ** 8
    T /= T.sum(1, keepdims=True)
    first, again = stationary(T), stationary(T)
    assert first.second_eigenvalue == again.second_eigenvalue
    dense = np.sort(np.abs(np.linalg.eigvals(T)))[::-1][1]
    assert abs(first.second_eigenvalue - dense) <= 1e-9


# -- figures without an optional extra -------------------------------------------------------------------
@pytest.fixture
def two_figures():
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from expfam_nash.experiments import FIGURES

    def cheap(seed):
        return Figure(), {"seed": seed}

    FIGURES.register("tmp_ok", cheap, help="test")
    FIGURES.register("tmp_needs", cheap, help="test", extras=("reliab-missing-extra",))
    yield
    FIGURES.unregister("tmp_ok")
    FIGURES.unregister("tmp_needs")


def test_figures_makes_what_it_can_and_lists_what_needs_an_extra(tmp_path, two_figures):
    code, _, err = run_cli("cli.figures", ["figures", "--only", "tmp_needs", "tmp_ok", "--out", str(tmp_path)])
    assert code == 0 and (tmp_path / "tmp_ok.json").exists() and not (tmp_path / "tmp_needs.json").exists()
    assert err.strip().splitlines()[-1].startswith("skipped 1: tmp_needs needs the extra 'reliab-missing-extra'")
    code, _, err = run_cli("cli.figures", ["figures", "--only", "tmp_needs", "--out", str(tmp_path / "none")])
    assert code == 2 and "needs a missing extra" in err and not (tmp_path / "none").exists()


# -- threads -------------------------------------------------------------------------------------------
def test_blas_runs_on_one_thread_unless_a_product_is_large():
    pytest.importorskip("threadpoolctl")
    from threadpoolctl import threadpool_info

    from expfam_nash.core import threads

    blas = lambda: {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}  # noqa: E731
    assert blas() == {1} and os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    with threads.blas(10 ** 6):                    # a small product: no change (and no cost)
        assert blas() == {1}
    with threads.blas(10 ** 12):
        assert blas() == {threads.cores()}
    assert blas() == {1}
    assert threads.threads_for(2 * 128 * 128 * 65) == 1     # the digits learner's largest product


_BLAS_THREADS = ("import expfam_nash; from expfam_nash.core import threads; from threadpoolctl import threadpool_info; "
                 "n = lambda: sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}); "
                 "small = n()\nwith threads.blas(10 ** 13): large = n()\nprint(small, large)")


def _blas_threads_with(**env_vars) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                            "MKL_NUM_THREADS", "EXPFAM_NASH_BLAS_THREADS")}
    env.update(env_vars)
    return subprocess.run([sys.executable, "-c", _BLAS_THREADS], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_a_standard_thread_variable_caps_blas_but_small_products_stay_on_one_thread():
    """OMP_NUM_THREADS / OPENBLAS_NUM_THREADS (often set by job schedulers) is the most BLAS may
    use, not a fixed count: taken as a fixed count, two threads ran the d = 12 exact gradient 3.7x
    slower than one under one busy process. A user's value is also never exceeded."""
    pytest.importorskip("threadpoolctl")
    from expfam_nash.core import threads

    assert _blas_threads_with(OPENBLAS_NUM_THREADS="2", OMP_WAIT_POLICY="ACTIVE") == f"[1] [{min(2, threads.cores())}]"
    assert _blas_threads_with(OMP_NUM_THREADS="1") == "[1] [1]"


def test_expfam_nash_blas_threads_forces_a_count_and_off_leaves_the_pools_alone():
    pytest.importorskip("threadpoolctl")
    assert _blas_threads_with(EXPFAM_NASH_BLAS_THREADS="2", OPENBLAS_NUM_THREADS="2") == "[2] [2]"
    assert _blas_threads_with(EXPFAM_NASH_BLAS_THREADS="off", OPENBLAS_NUM_THREADS="2") == "[2] [2]"


def test_an_unstable_run_on_the_command_line_prints_no_warnings():
    proc = subprocess.run([sys.executable, "-m", "expfam_nash", "solve", "--method", "stochastic", "--max-steps", "200"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "" and "unstable" in proc.stdout
