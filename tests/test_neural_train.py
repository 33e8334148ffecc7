"""Training runs: checkpoints are atomic and complete, resume reproduces an uninterrupted run
bit for bit, a stopped run loses at most the steps since its last checkpoint, the CLI works."""
from __future__ import annotations

import json

import numpy as np
import pytest

from expfam_nash import neural as nn
from expfam_nash.cli.main import main
from expfam_nash.neural import checkpoint as ckpt
from expfam_nash.neural import learning
from expfam_nash.neural.train import TrainConfig, build_model, resume, train

SMALL = dict(dataset="bars:2", model="bits:4", steps=120, batch=16, hidden=(8,), log_every=10,
             checkpoint_every=40, lr=3e-3)


def _params(out):
    return ckpt.load(out / "checkpoint.npz")[0].params


def test_checkpoint_roundtrip_restores_generator(tmp_path):
    model = nn.VAE(4, nn.priors.UniformBits(3), hidden=(5,))
    state = learning.init(model, 0)
    rng = np.random.default_rng(3)
    rng.random(7)
    state.step = 11
    ckpt.save(tmp_path / "c.npz", state, rng, {"note": "x"})
    back, rng2, meta = ckpt.load(tmp_path / "c.npz", model)
    assert back.step == 11 and meta == {"note": "x"}
    for group in ("params", "m", "v"):
        for k, v in getattr(state, group).items():
            np.testing.assert_array_equal(getattr(back, group)[k], v)
            assert getattr(back, group)[k].dtype == v.dtype
    np.testing.assert_array_equal(rng.random(5), rng2.random(5))
    other = nn.VAE(4, nn.priors.UniformBits(2), hidden=(5,))
    with pytest.raises(ValueError, match="checkpoint"):
        ckpt.load(tmp_path / "c.npz", other)
    assert not list(tmp_path.glob("*.tmp"))   # the temporary file was renamed, not left behind


def test_resume_reproduces_uninterrupted_run(tmp_path):
    """Extending a finished run (constant learning rate: a cosine schedule depends on the total)."""
    const = {**SMALL, "schedule": "constant"}
    full = train(TrainConfig(**const), tmp_path / "full", progress=False, evaluate=False)
    assert full.steps == 120 and not full.interrupted
    half = train(TrainConfig(**{**const, "steps": 80}), tmp_path / "split", progress=False, evaluate=False)
    assert half.steps == 80
    resumed = resume(tmp_path / "split", steps=120, progress=False, evaluate=False)
    assert resumed.steps == 120
    a, b = _params(tmp_path / "full"), _params(tmp_path / "split")
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    rows_full = (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()
    rows_split = (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
    strip = lambda rows: [{k: v for k, v in json.loads(r).items() if k != "time"} for r in rows]  # noqa: E731
    assert strip(rows_full) == strip(rows_split)


def test_stopped_run_loses_at_most_the_steps_since_its_checkpoint(tmp_path, monkeypatch):
    full = train(TrainConfig(**SMALL), tmp_path / "full", progress=False, evaluate=False)
    real = learning.symmetric_step
    calls = {"n": 0}

    def stop_at_95(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 95:
            raise KeyboardInterrupt
        return real(*args, **kw)

    with learning.LEARNING_METHODS.override("symmetric", stop_at_95):
        stopped = train(TrainConfig(**SMALL), tmp_path / "cut", progress=False, evaluate=False)
    assert stopped.interrupted and stopped.steps == 94
    assert ckpt.load(tmp_path / "cut" / "checkpoint.npz")[0].step == 80   # the last checkpoint
    done = resume(tmp_path / "cut", progress=False, evaluate=False)
    assert done.steps == full.steps
    a, b = _params(tmp_path / "full"), _params(tmp_path / "cut")
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_refuses_to_overwrite_and_to_resume_nothing(tmp_path):
    train(TrainConfig(**{**SMALL, "steps": 40}), tmp_path / "r", progress=False, evaluate=False)
    with pytest.raises(ValueError, match="already holds a run"):
        train(TrainConfig(**SMALL), tmp_path / "r", progress=False, evaluate=False)
    with pytest.raises(ValueError, match="no run"):
        resume(tmp_path / "empty", progress=False, evaluate=False)


@pytest.mark.parametrize("kw, match", [
    ({"model": "bits"}, "model"), ({"model": "cubes:3"}, "model"), ({"model": "hier:2"}, "model"),
    ({"model": "hier:2:3:sideways"}, "model"), ({"labelled": 0.1, "alpha": 0.5}, "labelled"),
    ({"method": "elbo", "model": "implicit:bars:2"}, "implicit prior"),
])
def test_bad_specs_are_rejected(tmp_path, kw, match):
    with pytest.raises(ValueError, match=match):
        train(TrainConfig(**{**SMALL, **kw}), tmp_path / "bad", progress=False, evaluate=False)


def test_config_validation():
    with pytest.raises(ValueError, match="method"):
        TrainConfig(method="wake-sleep")
    with pytest.raises(ValueError, match="alpha"):
        TrainConfig(alpha=0.5)
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=0)


@pytest.mark.parametrize("model_spec, method", [("hier:2:3", "symmetric"), ("hier:2:3:reverse", "elbo"),
                                                ("implicit:bars:2", "symmetric"), ("bits:4", "elbo")])
def test_every_model_kind_trains(tmp_path, model_spec, method):
    cfg = TrainConfig(**{**SMALL, "model": model_spec, "method": method, "steps": 40})
    res = train(cfg, tmp_path / "m", progress=False, evaluate=False)
    assert res.steps == 40
    assert all(np.all(np.isfinite(v)) for v in _params(tmp_path / "m").values())


def test_gaussian_latents_on_2d_data(tmp_path):
    for method in ("symmetric", "elbo"):
        cfg = TrainConfig(dataset="eight-gaussians", model="gaussian:2", method=method, steps=40, batch=32,
                          hidden=(16,), n_train=500)
        res = train(cfg, tmp_path / method, progress=False, evaluate=False)
        assert res.steps == 40


def test_labelled_learning_uses_the_labels(tmp_path):
    """Semi-supervised symmetric learning on data whose label is the first pixel: with alpha > 0
    the encoder's class head learns to read it (checked on the test set)."""
    rng = np.random.default_rng(0)
    x = (rng.random((600, 5)) < 0.5).astype(float)
    y = x[:, 0].astype(int)
    np.savez(tmp_path / "d.npz", x_train=x[:500], x_test=x[500:], y_train=y[:500], y_test=y[500:])
    cfg = TrainConfig(dataset=str(tmp_path / "d.npz"), model="bits:2", steps=600, batch=32, hidden=(16,),
                      labelled=0.2, alpha=0.5, lr=1e-2)
    train(cfg, tmp_path / "run", progress=False, evaluate=False)
    data = nn.datasets.load(str(tmp_path / "d.npz"))
    model = build_model(cfg, data)
    params = _params(tmp_path / "run")
    probs = model.q_head.parts[0].mean(model.encoder_out(params, data.x_test)[:, :2])
    accuracy = np.mean(probs.argmax(1) == data.y_test)
    assert accuracy > 0.95


def test_cli_train_and_resume(tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["train", "--dataset", "bars:2", "--model", "bits:4", "--steps", "60", "--batch", "16", "--hidden", "8",
            "--checkpoint-every", "20", "--out", str(out), "--no-progress", "--no-figures", "--eval-k", "50"]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 60
    assert main(["train", "--resume", str(out), "--steps", "80", "--no-progress", "--no-figures"]) == 0
    assert json.loads((out / "summary.json").read_text())["steps"] == 80
    assert main(["train", "--model", "nonsense", "--out", str(tmp_path / "x"), "--no-progress"]) == 2
    assert "model" in capsys.readouterr().err


def test_cli_reports_a_missing_optional_extra_in_one_line(tmp_path, monkeypatch, capsys):
    from expfam_nash.neural import datasets

    def no_sklearn(**kw):
        raise ImportError("digits needs scikit-learn: pip install 'expfam-nash[digits]'")

    with datasets.DATASETS.override("digits", no_sklearn):
        code = main(["train", "--dataset", "digits", "--out", str(tmp_path / "d"), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "scikit-learn" in err and "Traceback" not in err


def test_step_functions_reject_bad_input_before_any_work():
    model = nn.VAE(4, nn.priors.UniformBits(3), hidden=(5,))
    state = learning.init(model, 0)
    rng = np.random.default_rng(0)
    x = np.zeros((8, 4))
    before = {k: v.copy() for k, v in state.params.items()}
    bad = [((np.full((8, 4), np.nan), rng), {}, "NaN"), ((np.zeros((8, 3)), rng), {}, "shape"),
           ((x, 0), {}, "rng"), ((x, rng), {"alpha": 0.5, "labelled": (x, np.eye(2)[[0] * 8])}, "no class-label"),
           ((x, rng), {"alpha": 0.5}, "labelled")]
    for (xb, r), kw, match in bad:
        with pytest.raises(ValueError, match=match):
            nn.symmetric_step(model, state, xb, r, **kw)
    labelled_model = nn.VAE(4, nn.priors.Product((nn.priors.UniformClasses(2), nn.priors.UniformBits(2))))
    lstate = learning.init(labelled_model, 0)
    with pytest.raises(ValueError, match="one-hot"):
        nn.symmetric_step(labelled_model, lstate, x, rng, alpha=0.5, labelled=(x, np.eye(3)[[0] * 8]))
    with pytest.raises(ValueError, match="NaN"):
        nn.elbo_step(model, state, np.full((8, 4), np.inf), rng)
    for k in before:
        np.testing.assert_array_equal(state.params[k], before[k])


def test_config_rejects_elbo_with_labels_and_late_failing_settings():
    with pytest.raises(ValueError, match="symmetric"):
        TrainConfig(method="elbo", labelled=0.5, alpha=0.5)
    with pytest.raises(ValueError, match="eval_K"):
        TrainConfig(eval_K=0)
    with pytest.raises(ValueError, match="elbo_samples"):
        TrainConfig(elbo_samples=1)


def test_nan_parameters_are_never_checkpointed(tmp_path, monkeypatch):
    real = learning.symmetric_step

    def poison_at_30(model, state, x, rng, **kw):
        state, info = real(model, state, x, rng, **kw)
        if state.step == 30:
            state.params["decoder"][0] = np.nan
        return state, info

    cfg = TrainConfig(**{**SMALL, "checkpoint_every": 10, "log_every": 100})
    with learning.LEARNING_METHODS.override("symmetric", poison_at_30), \
            pytest.raises(FloatingPointError, match="not saved"):
        train(cfg, tmp_path / "nan", progress=False, evaluate=False)
    saved = ckpt.load(tmp_path / "nan" / "checkpoint.npz")[0]
    assert saved.step == 20 and all(np.all(np.isfinite(v)) for v in saved.params.values())
