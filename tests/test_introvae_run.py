"""Runs of the Soft-IntroVAE learner on a shortened schedule: the stages (VampPrior -> mixture with
its weights carried over as probabilities, clipping bounds recorded when warm-up ends and respected
after), exact resume after a kill, the stop on NaN, the summary's names, the table."""
import json

import numpy as np
import pytest
from scipy.special import softmax

from expfam_nash.introvae import methods as Mth
from expfam_nash.introvae import priors as P
from expfam_nash.introvae import run, table
from expfam_nash.introvae.config import IntroConfig
from expfam_nash.neural import checkpoint as ckpt


def tiny(**kw):
    base = dict(dataset="8Gaussian", method="sintro", prior="mog:8", learnable_weights=True, steps=24, warmup=10,
                vamp_lead=4, milestones=(16, 20), hidden=(16, 16), batch=32, mc_samples=6, log_every=3,
                checkpoint_every=6, eval_points=400, eval_grid=32, eval_data=128)
    base.update(kw)
    return IntroConfig(**base)


def test_vamp_to_mixture_keeps_components_and_weights_and_restarts_the_optimisers():
    config = tiny()
    rng = np.random.default_rng(0)
    state, nets = Mth.init(config, rng)
    for _ in range(config.warmup - config.vamp_lead):
        state, info = Mth.step(config, state, nets, Mth.data_batch(config, rng), rng)
    assert state.stage == "vamp" and state.adam_t["prior"] == config.warmup - config.vamp_lead
    state.params["prior.logits"][:] = rng.standard_normal(8)          # non-uniform weights
    before = P.view("vamp", state.params, nets, 2)
    Mth.vamp_to_mog(config, state, nets)
    after = P.view("mog", state.params, nets, 2)
    assert np.array_equal(after.means, before.means.astype(np.float32).astype(np.float64))
    assert np.allclose(after.logvars, before.logvars, rtol=1e-6)
    assert np.allclose(after.weights, softmax(before.log_weights), rtol=1e-6)   # probabilities, not logits
    assert not np.allclose(after.weights, softmax(softmax(before.log_weights)))  # the reference's slip differs
    assert state.adam_t == {"encoder": 0, "decoder": 0, "prior": 0}
    assert all(not np.any(m) for m in state.m.values())


def test_clipping_bounds_are_recorded_at_the_end_of_warm_up_and_hold_after():
    config = tiny(steps=16, warmup=8, vamp_lead=3, lr=3e-3)
    rng = np.random.default_rng(1)
    state, nets = Mth.init(config, rng)
    for it in range(config.steps):
        if it == config.warmup:
            expected = P.clip_bounds_of(state.params)
        state, _ = Mth.step(config, state, nets, Mth.data_batch(config, rng), rng)
        if it < config.warmup:
            assert state.clip_bounds is None
    assert all(np.array_equal(a, b) for a, b in zip(state.clip_bounds, expected, strict=True))
    lo, hi = state.clip_bounds
    state.params["prior.logvars"][:4] = lo - 5.0                        # raw parameters far outside
    state.params["prior.logvars"][4:] = hi + 5.0
    seen = P.view(state.stage, state.params, nets, 2, state.clip_bounds).logvars
    assert (seen >= lo).all() and (seen <= hi).all()
    state, _ = Mth.step(config, state, nets, Mth.data_batch(config, rng), rng)   # and the step runs there
    assert np.isfinite(state.params["prior.logvars"]).all()


def run_dir_values(path):
    s, _, _ = ckpt.load(path / "checkpoint.npz")
    return s


def test_a_killed_run_resumes_bit_for_bit(tmp_path, monkeypatch):
    config = tiny()
    full = run.train(config, tmp_path / "full", progress=False)
    assert full.status == "finished"
    real_step = Mth.step

    def killed(cfg, state, *a, **k):
        if state.step == 15:                        # after the checkpoint at 12: loses steps 13..15
            raise KeyboardInterrupt
        return real_step(cfg, state, *a, **k)

    monkeypatch.setattr(Mth, "step", killed)
    stopped = run.train(config, tmp_path / "part", progress=False)
    assert stopped.status == "interrupted" and stopped.summary_values["checkpoint_step"] == 12
    monkeypatch.setattr(Mth, "step", real_step)
    resumed = run.resume(tmp_path / "part", progress=False)
    a, b = run_dir_values(tmp_path / "full"), run_dir_values(tmp_path / "part")
    for group in ("params", "m", "v"):
        ga, gb = getattr(a, group), getattr(b, group)
        assert sorted(ga) == sorted(gb)
        assert all(ga[k].tobytes() == gb[k].tobytes() for k in ga)
    strip = lambda p: [{k: v for k, v in json.loads(ln).items() if k != "time"} for ln in p.read_text().splitlines()]  # noqa: E731
    assert strip(tmp_path / "full" / "metrics.jsonl") == strip(tmp_path / "part" / "metrics.jsonl")
    for key in ("grid_kl", "grid_jsd", "gnelbo", "kl_nats", "js_nats"):
        assert full.summary_values[key] == resumed.summary_values[key]
    with pytest.raises(ValueError, match="final"):
        run.resume(tmp_path / "full", progress=False)
    with pytest.raises(ValueError, match="already holds a run"):
        run.train(config, tmp_path / "full", progress=False)


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    config = tiny(method="vae", prior="normal", learnable_weights=False)
    real = Mth.step

    def poisoned(cfg, state, *a, **k):
        if state.step == 8:
            state.params["decoder"][:5] = np.nan           # the decoder's output becomes NaN
        return real(cfg, state, *a, **k)

    monkeypatch.setattr(Mth, "step", poisoned)
    result = run.train(config, tmp_path / "r", progress=False)
    assert result.status == "nan" and "at step 8" in result.summary_values["message"]
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["status"] == "nan" and summary["checkpoint_step"] == 6 and "grid_kl" not in summary
    saved = run_dir_values(tmp_path / "r")
    assert saved.step == 6 and all(np.isfinite(a).all() for a in saved.params.values())
    assert "stopped" in result.summary()


def test_summary_names_and_the_table(tmp_path):
    for seed in (0, 1):
        run.train(tiny(method="vae", prior="normal", learnable_weights=False, steps=6, seed=seed),
                  tmp_path / f"vae{seed}", progress=False)
    summary = json.loads((tmp_path / "vae0" / "summary.json").read_text())
    for key in ("grid_kl", "grid_jsd", "gnelbo", "gnelbo_raw", "kl_nats", "js_nats"):
        assert isinstance(summary[key], float)
    assert summary["gnelbo"] == pytest.approx(summary["gnelbo_raw"] * 1e7)
    assert 0 <= summary["js_nats"] <= np.log(2) + 1e-12
    df = table.collect([tmp_path])
    row = df[(df.dataset == "8Gaussian")].iloc[0]
    vals = [json.loads((tmp_path / f"vae{s}" / "summary.json").read_text())["grid_kl"] for s in (0, 1)]
    assert row["n"] == 2 and row["grid_kl_mean"] == pytest.approx(np.mean(vals))
    assert row["grid_kl_se"] == pytest.approx(np.std(vals, ddof=1) / np.sqrt(2))
    assert "8Gaussian" in table.markdown(df)
