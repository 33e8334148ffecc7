"""Fuzzing the command line (argv generated from the registries, with hostile values) and the
files it reads (valid files damaged at random: truncated, bytes flipped, garbage, empty, a
directory; a config.json of any JSON value; a damaged checkpoint). The contract: exit status 0,
or a non-zero status with exactly one error line, never a traceback, and a resumed run either
uses a good checkpoint (and says which) or is refused. Fast in the CI profile."""
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expfam_nash.dynamics import SOLVERS
from expfam_nash.models import MODELS
from fuzzing import CALLS, HOSTILE_TEXT, assert_clean_failure, examples, run_cli

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
#: flags whose valid values can make a command arbitrarily long: the fuzzer keeps them small
CHEAP = {"--max-steps": ["1", "3", "30", "0", "-2", "abc", "nan", "1e3"],
         "--starts": ["1", "2", "0", "-1", "x"], "--steps": ["2", "5", "0", "-1", "1.5", "x"],
         "--eval-k": ["2", "0", "-3", "x"], "--n-train": ["20", "0", "-1", "x"], "--batch": ["4", "0", "-1", "1.5"],
         "--hidden": ["3", "", "0", "1.5", "3,x", "100000000"], "--checkpoint-every": ["1", "0", "-1"],
         "--log-every": ["1", "0", "x"], "--latent-dim": ["1", "2", "0", "-1", "1.5", "100000"],
         "--eigenvalues": ["3,1", "1", "-1", "nan", "", "1e308,1e308", "3,x"], "--data": ["bars:2", "random:3:0",
         "bars:9", "random:99:0", "independent:0.5,1", "x.npz", "nonsense"], "--joint": ["random:2:2:0",
         "random:2:99999:0", "random:1:2:0", "x.npy"], "--batch-size": ["8", "0", "-1", "1e9"]}


def _flags(task_args, model_args=()) -> list[tuple[str, object]]:
    out = []
    for arg in (*task_args, *model_args):
        if arg.cli and not arg.positional and arg.name not in ("progress", "resume", "out", "no_progress"):
            out.append((arg.flag, arg))
    return out


@st.composite
def game_argv(draw):
    from expfam_nash.tasks import load

    task = draw(st.sampled_from(["solve", "verify"]))
    entry = load()[task]
    model = MODELS[draw(st.sampled_from(MODELS.names()))]
    argv = [task, model.name]
    for flag, arg in draw(st.lists(st.sampled_from(_flags(entry.args, model.args)), max_size=4, unique_by=lambda f: f[0])):
        if arg.parse is bool:
            argv.append(flag)
        elif flag == "--method":
            argv += [flag, draw(st.sampled_from([*SOLVERS.names(), "nope", ""]))]
        else:
            argv += [flag, draw(st.sampled_from(CHEAP[flag]) if flag in CHEAP else HOSTILE_TEXT)]
    if "--max-steps" not in argv:
        argv += ["--max-steps", "40"]
    if task == "verify" and "--starts" not in argv:
        argv += ["--starts", "2"]
    return argv


@settings(max_examples=examples(25), **SETTINGS)
@given(argv=game_argv())
def test_fuzz_cli_solve_and_verify(argv):
    code, out, err = run_cli(f"cli.{argv[0]}", argv)
    if code == 0:
        assert out.strip() and "Traceback" not in err
        if "--json" in argv:
            json.loads(out)
    else:
        assert_clean_failure(code, err, argv)


@st.composite
def train_argv(draw):
    from expfam_nash.tasks import load

    argv = ["train", "--no-progress", "--no-figures", "--steps", "3", "--eval-k", "2", "--n-train", "20"]
    choices = [f for f in _flags(load()["train"].args) if f[0] not in ("--no-figures",)]
    for flag, arg in draw(st.lists(st.sampled_from(choices), max_size=3, unique_by=lambda f: f[0])):
        if arg.parse is bool:
            argv.append(flag)
        elif arg.choices:
            argv += [flag, draw(st.sampled_from([*map(str, arg.choices), "nope"]))]
        elif flag in ("--dataset", "--model"):
            argv += [flag, draw(st.sampled_from(["bars:2", "rings", "bits:2", "gaussian:2", "hier:1:2", "implicit:bars:2",
                                                 "bits:0", "bars:x", "nope", "digits", "hier:1", "bits:99"]))]
        else:
            argv += [flag, draw(st.sampled_from(CHEAP[flag]) if flag in CHEAP else HOSTILE_TEXT)]
    if "--dataset" not in argv:
        argv += ["--dataset", "bars:2", "--model", "bits:2"]
    return argv


@settings(max_examples=examples(15), **SETTINGS)
@given(argv=train_argv())
def test_fuzz_cli_train(tmp_path_factory, argv):
    out = tmp_path_factory.mktemp("run")
    code, _, err = run_cli("cli.train", [*argv, "--out", str(out / "r")])
    if code != 0:
        assert_clean_failure(code, err, argv)


# -- damaged files ---------------------------------------------------------------------------------
def _damaged(draw, good: bytes) -> bytes | None:
    """``good`` truncated, with bytes flipped, replaced by garbage, emptied; None: a directory."""
    how = draw(st.sampled_from(["truncate", "flip", "garbage", "empty", "directory", "append"]))
    if how == "truncate":
        return good[:draw(st.integers(0, len(good) - 1))]
    if how == "flip":
        data = bytearray(good)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= draw(st.integers(1, 255))
        return bytes(data)
    if how == "garbage":
        return draw(st.binary(min_size=1, max_size=300))
    if how == "append":
        return good + draw(st.binary(min_size=1, max_size=50))
    return b"" if how == "empty" else None


def _write(path: Path, content: bytes | None) -> Path:
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    return path


@pytest.fixture(scope="module")
def good_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    np.savez(d / "data.npz", points=np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]))
    np.save(d / "joint.npy", np.array([[0.1, 0.2], [0.3, 0.4]]))
    np.savez(d / "moments.npz", cxx=np.array([[2.0, 0.5], [0.5, 1.0]]))
    np.savez(d / "dataset.npz", x_train=np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0]] * 4),
             x_test=np.array([[0.0, 1.0], [1.0, 0.0]]))
    return {p.name: p.read_bytes() for p in d.iterdir()}


@settings(max_examples=examples(25), **SETTINGS)
@given(data=st.data(), which=st.sampled_from(["data.npz", "joint.npy", "dataset.npz", "moments.npz"]))
def test_fuzz_cli_damaged_input_files(tmp_path_factory, good_files, data, which):
    path = _write(tmp_path_factory.mktemp("f") / which, _damaged(data.draw, good_files[which]))
    argv = {"data.npz": ["solve", "bernoulli", "--data", str(path), "--latent-dim", "1", "--max-steps", "30"],
            "joint.npy": ["solve", "tabular", "--joint", str(path), "--max-steps", "30"],
            "dataset.npz": ["train", "--dataset", str(path), "--model", "bits:1", "--steps", "2", "--eval-k", "2",
                            "--no-progress", "--no-figures", "--out", str(path.parent / "run")],
            "moments.npz": ["collapse", "--moments", str(path), "--starts", "0", "vae"]}[which]
    code, _, err = run_cli(f"file.{which}", argv)
    if code != 0:
        assert_clean_failure(code, err, argv)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A run of 20 steps with checkpoints at 10 and 20 (checkpoint.prev.npz is the one at 10)."""
    out = tmp_path_factory.mktemp("runs") / "run"
    code, _, err = run_cli("cli.train", ["train", "--dataset", "bars:2", "--model", "bits:2", "--hidden", "4",
                                         "--steps", "20", "--checkpoint-every", "10", "--eval-k", "2", "--n-train", "50",
                                         "--no-progress", "--no-figures", "--out", str(out)])
    assert code == 0, err
    return out


CONFIG_VALUES = st.one_of(st.just("[]"), st.just("5"), st.just('"x"'), st.just("null"), st.just("{"),
                          st.just('{"steps": "a"}'), st.just('{"hidden": [1.5]}'), st.just('{"dataset": "bars:3"}'),
                          st.binary(max_size=40).map(lambda b: b.decode("latin-1")))


@settings(max_examples=examples(20), **SETTINGS)
@given(data=st.data(), target=st.sampled_from(["checkpoint.npz", "checkpoint.prev.npz", "both", "config.json",
                                               "metrics.jsonl"]))
def test_fuzz_cli_resume_damaged_runs(tmp_path_factory, finished_run, data, target):
    run = tmp_path_factory.mktemp("resume") / "run"
    shutil.copytree(finished_run, run)
    if target == "config.json":
        (run / target).write_text(data.draw(CONFIG_VALUES))
    else:
        for name in (["checkpoint.npz", "checkpoint.prev.npz"] if target == "both" else [target]):
            good = (run / name).read_bytes()
            (run / name).unlink()
            _write(run / name, _damaged(data.draw, good))
    code, out, err = run_cli("file.resume", ["train", "--resume", str(run), "--steps", "24", "--no-progress",
                                             "--no-figures"])
    if code != 0:
        assert_clean_failure(code, err, target)
        return
    damaged_newest = target in ("checkpoint.npz", "both")
    if damaged_newest and (run / "checkpoint.prev.npz").is_file():
        assert "previous checkpoint" in out or _still_good(finished_run, run), out
    assert json.loads((run / "summary.json").read_text())["steps"] == 24


def _still_good(original: Path, run: Path) -> bool:
    """True when a 'damaged' checkpoint was left loadable (e.g. bytes appended after the archive)."""
    from expfam_nash.neural import checkpoint as ckpt

    try:
        ckpt.load(original / "checkpoint.npz")
        return True
    except ValueError:
        return False


@settings(max_examples=examples(10), **SETTINGS)
@given(where=st.sampled_from(["file", "file/sub", "", ".", "dir/new/deeper", "file/x/y", "/dev/null/x"]),
       task=st.sampled_from(["train", "figures", "docs"]))
def test_fuzz_cli_output_paths(tmp_path_factory, where, task):
    base = tmp_path_factory.mktemp("out")
    (base / "file").write_text("x")
    (base / "dir").mkdir()
    out = where if where.startswith("/") else str(base / where) if where else ""
    argv = {"train": [*TRAIN_SMALL, "--out", out], "figures": ["figures", "--only", "nope", "--out", out],
            "docs": ["docs", "--out", out + "/REGISTRIES.md" if where == "dir/new/deeper" else out]}[task]
    code, _, err = run_cli(f"cli.{task}.out", argv)
    if code != 0:
        assert_clean_failure(code, err, argv)


TRAIN_SMALL = ["train", "--dataset", "bars:2", "--model", "bits:1", "--hidden", "2", "--steps", "2", "--eval-k", "2",
               "--n-train", "10", "--no-progress", "--no-figures"]


def test_fuzz_call_counts_are_reported():
    """The session summary lists the calls per kind (conftest.py); here: the counter exists and counts."""
    before = sum(CALLS.values())
    run_cli("cli.solve", ["solve", "--max-steps", "5"])
    assert sum(CALLS.values()) == before + 1 and os.environ.get("EXPFAM_NASH_PROFILE", "ci") in ("ci", "thorough")
