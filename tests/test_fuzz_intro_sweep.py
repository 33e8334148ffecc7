"""Fuzzing the command-line paths of the seed-002 and sweep layers (the first fuzz campaign did
not reach them): ``train`` on the ref2d datasets with hostile option values, ``train --resume``
of a damaged Soft-IntroVAE run, and ``sweep`` / ``sweep --show`` on damaged spec files and
tables. The contract is the one of tests/test_fuzz_cli.py: exit status 0, or a non-zero status
with exactly one error line, never a traceback; a resumed run either uses a good checkpoint or
is refused."""
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import HOSTILE_TEXT, assert_clean_failure, examples, run_cli
from test_fuzz_cli import _damaged, _write

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

#: a valid Soft-IntroVAE run small enough for the CI profile (about a second)
INTRO_SMALL = ["--model", "gaussian:2", "--hidden", "8", "--batch", "16", "--mc-samples", "2", "--steps", "24",
               "--warmup", "12", "--vamp-lead", "6", "--milestones", "18", "--eval-points", "200",
               "--eval-grid", "16", "--eval-data", "64", "--checkpoint-every", "12", "--no-progress", "--no-figures"]
#: the ref2d options, with values that keep a valid run small
INTRO_FLAGS = {"--method": ["vae", "sintro", "sintro-fixed", "sintro-prior", "symmetric-prior", "elbo", "nope", ""],
               "--prior": ["normal", "mog:4", "mog:0", "mog:-1", "mog:x", "mog", "vamp:4", ""],
               "--steps": ["24", "13", "12", "0", "-1", "1.5", "x"], "--warmup": ["12", "0", "30", "-1", "x"],
               "--vamp-lead": ["6", "0", "12", "-1"], "--batch": ["16", "1", "0", "-4", "1e9"],
               "--mc-samples": ["2", "1", "0", "-1", "1e9"], "--hidden": ["8", "", "0", "8,x", "1.5", "100000000"],
               "--milestones": ["18", "", "18,20", "30", "-1", "x"], "--clip": ["true", "false", "x", ""],
               "--lambda-resp": ["0", "1", "-1", "nan", "inf"], "--beta-rec": ["1", "0", "-1", "nan", "1e308"],
               "--beta-kl": ["1", "0", "-1", "nan"], "--beta-neg": ["1", "0", "-1", "nan"],
               "--exp-scale": ["2", "0", "-1", "nan", "inf"], "--gamma-r": ["0", "1e-8", "-1", "nan"],
               "--lr": ["2e-4", "0", "-1", "nan", "inf", "1e308"], "--prior-lr": ["2e-4", "0", "-1", "nan"],
               "--learnable-weights": ["true", "false", "2", ""], "--train-prior": ["true", "false", "x"],
               "--eval-points": ["200", "0", "-1", "1e12"], "--eval-grid": ["16", "1", "0", "1e9"],
               "--eval-data": ["64", "0", "-1"], "--seed": ["0", "-1", "1.5", "x", "1e30"],
               "--checkpoint-every": ["12", "0", "-1"], "--dtype": ["float32", "float64", "float16", ""]}


@settings(max_examples=examples(12), **SETTINGS)
@given(data=st.data(), dataset=st.sampled_from(["8Gaussian", "spiral", "checkerboard", "rings", "nope", ""]))
def test_fuzz_cli_train_ref2d(tmp_path_factory, data, dataset):
    argv = ["train", "--dataset", f"ref2d:{dataset}", *INTRO_SMALL]
    flags = data.draw(st.lists(st.sampled_from(sorted(INTRO_FLAGS)), max_size=3, unique=True))
    for flag in flags:
        argv += [flag, data.draw(st.one_of(st.sampled_from(INTRO_FLAGS[flag]), HOSTILE_TEXT)
                                 if flag not in ("--steps", "--batch", "--hidden", "--mc-samples", "--eval-points",
                                                 "--eval-grid", "--eval-data")
                                 else st.sampled_from(INTRO_FLAGS[flag]))]
    argv += ["--out", str(tmp_path_factory.mktemp("ref2d") / "run")]
    code, _, err = run_cli("cli.train.ref2d", argv, seconds=120)
    if code != 0:
        assert_clean_failure(code, err, argv)


@pytest.fixture(scope="module")
def intro_run(tmp_path_factory):
    """A finished S-IntroVAE run with checkpoints at 12 and 24."""
    out = tmp_path_factory.mktemp("intro") / "run"
    code, _, err = run_cli("cli.train.ref2d", ["train", "--dataset", "ref2d:8Gaussian", "--method", "sintro-prior",
                                               "--prior", "mog:4", *INTRO_SMALL, "--out", str(out)])
    assert code == 0, err
    assert (out / "checkpoint.npz").is_file() and (out / "summary.json").is_file()
    return out


@settings(max_examples=examples(10), **SETTINGS)
@given(data=st.data(), target=st.sampled_from(["checkpoint.npz", "checkpoint.prev.npz", "both", "config.json",
                                               "metrics.jsonl", "summary.json"]))
def test_fuzz_cli_resume_damaged_introvae_run(tmp_path_factory, intro_run, data, target):
    run = tmp_path_factory.mktemp("iresume") / "run"
    shutil.copytree(intro_run, run)
    names = ["checkpoint.npz", "checkpoint.prev.npz"] if target == "both" else [target]
    for name in names:
        if (run / name).is_file():
            good = (run / name).read_bytes()
            (run / name).unlink()
            _write(run / name, _damaged(data.draw, good))
    code, _, err = run_cli("file.resume.ref2d", ["train", "--resume", str(run), "--no-progress", "--no-figures"],
                           seconds=120)
    if code != 0:
        assert_clean_failure(code, err, target)


GOOD_SWEEP = b'task = "probe"\nseeds = 2\n[fixed]\nsleep = 0.0\n[grid]\nfail = [false]\n'


@settings(max_examples=examples(10), **SETTINGS)
@given(data=st.data())
def test_fuzz_cli_damaged_sweep_files(tmp_path_factory, data):
    """A damaged sweep file is refused in one line before any cluster starts, or (when the damage
    left it valid) runs; either way no traceback."""
    path = _write(tmp_path_factory.mktemp("sweep") / "grid.toml", _damaged(data.draw, GOOD_SWEEP))
    argv = ["sweep", str(path), "--workers", "1", "--no-progress", "--out", str(path.parent / "t.csv")]
    code, _, err = run_cli("file.sweep.toml", argv, seconds=120)
    if code != 0:
        assert_clean_failure(code, err, argv)


@pytest.fixture(scope="module")
def sweep_table(tmp_path_factory):
    base = tmp_path_factory.mktemp("table")
    (base / "grid.toml").write_bytes(GOOD_SWEEP)
    code, _, err = run_cli("file.sweep.toml", ["sweep", str(base / "grid.toml"), "--workers", "1", "--no-progress",
                                               "--out", str(base / "t.parquet")], seconds=120)
    assert code == 0, err
    return base / "t.parquet"


@settings(max_examples=examples(10), **SETTINGS)
@given(data=st.data())
def test_fuzz_cli_show_damaged_sweep_tables(tmp_path_factory, sweep_table, data):
    path = _write(tmp_path_factory.mktemp("show") / "t.parquet", _damaged(data.draw, sweep_table.read_bytes()))
    code, _, err = run_cli("file.sweep.table", ["sweep", "--show", str(path)])
    if code != 0:
        assert_clean_failure(code, err, path)


@pytest.mark.parametrize("field, value", [("batch", 10 ** 9), ("mc_samples", 10 ** 9), ("prior", "mog:100000000"),
                                          ("hidden", (10 ** 8,)), ("eval_points", 10 ** 12), ("eval_grid", 10 ** 9),
                                          ("eval_data", 10 ** 11)])
def test_sizes_that_cannot_fit_are_refused_before_any_work(field, value):
    """Found by the thorough run of this file: such sizes were allocated (the OS killed the
    process) instead of refused; now a one-line ValueError naming the field."""
    from expfam_nash.introvae import IntroConfig

    kw = {"prior": "mog:4"} if field != "prior" else {}
    with pytest.raises(ValueError, match=rf"^{field}: .* would need .*choose a smaller size"):
        IntroConfig(method="vae", **kw, **{field: value})
