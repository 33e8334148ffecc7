"""The protocol's plan, the budgeted grid search, the cost estimate, the driver and the CLI."""
import json

import pytest

from expfam_nash.introvae import protocol
from expfam_nash.introvae.__main__ import main


def test_plan_covers_every_run_the_issue_asks_for(tmp_path):
    runs = protocol.plan(tmp_path, **protocol.PROPOSED)
    scaled = [c for _, c in runs if c.steps == 3000]
    full = [c for _, c in runs if c.steps == 30000]
    assert len(scaled) == 4 * 5 * 5 and len(full) == 2 * 5 and len(runs) == 110
    assert {(c.dataset, c.seed) for c in full} == {("8Gaussian", 0), ("checkerboard", 0)}
    c = scaled[0]
    assert (c.warmup, c.vamp_lead, c.milestones, c.mc_samples, c.gamma_r) == (200, 10, (1000, 1500), 10, 0.0)
    assert len({str(d) for d, _ in runs}) == len(runs)
    ref = protocol.deviation_check(tmp_path)
    assert all(c.mc_samples == 100 and c.gamma_r == 1e-8 and c.method == "sintro" and c.train_prior for _, c in ref)


def test_grid_points_are_the_reference_grid_with_the_recommended_point_first():
    rec = {"beta_rec": 0.2, "beta_kl": 0.3, "beta_neg": 0.9}
    pts = protocol.grid_points("sintro", 12, seed=0, recommended=rec)
    assert pts[0] == rec and len(pts) == 12 and len({json.dumps(p) for p in pts}) == 12
    assert all(p["beta_rec"] in protocol.GRID["sintro"]["beta_rec"] for p in pts)
    assert all(round(p["beta_neg"] / p["beta_kl"]) in (1, 2, 3, 4, 5) for p in pts)
    assert len(protocol.grid_points("vae", 1000)) == 81 and len(protocol.grid_points("sintro", 1000)) == 210
    assert protocol.grid_points("sintro", 5, seed=3) == protocol.grid_points("sintro", 5, seed=3)
    assert len({p["beta_rec"] for p in pts[1:]}) > 1          # a random subset, not the grid's first rows


def test_estimate_adds_warm_up_main_phase_and_evaluation(tmp_path):
    names = ["vae normal", "vae mog (VampPrior)", "sintro normal", "sintro mog (learnable player)", "symmetric mog"]
    costs = {n: {"ms_per_it": 10.0 * (i + 1)} for i, n in enumerate(names)}
    costs.update({n + (", M=10" if n.startswith("vae") else ", M=10, no gamma_r"): {"ms_per_it": 1.0}
                  for n in names if not n.startswith("sym")})
    costs["evaluation"] = {"normal": 7.0, "mog": 9.0}
    run = [(tmp_path, protocol.config_for("8Gaussian", "sintro-prior", 0, 10, mc_samples=100))]
    est = protocol.estimate(run, costs)
    assert est["core_seconds"] == pytest.approx(200 * 0.020 + 2800 * 0.040 + 9.0)
    costs["sintro mog (fixed)"] = {"ms_per_it": 30.0}
    fixed = [(tmp_path, protocol.config_for("8Gaussian", "sintro-fixed", 0, 10, mc_samples=100))]
    assert protocol.estimate(fixed, costs)["core_seconds"] == pytest.approx(200 * 0.020 + 2800 * 0.030 + 9.0)


def test_cli_train_table_and_one_line_errors(tmp_path, capsys):
    """One run and the table through the package's command line (``python -m expfam_nash.introvae``
    keeps the protocol's driver only)."""
    from expfam_nash.cli.main import main as cli

    out = tmp_path / "r"
    args = ["train", "--dataset", "ref2d:8Gaussian", "--out", str(out), "--no-progress", "--method", "vae",
            "--steps", "4", "--hidden", "8,8", "--batch", "16", "--learnable-weights", "false", "--clip", "none",
            "--mc-samples", "3", "--eval-points", "100", "--eval-grid", "8", "--eval-data", "32", "--log-every", "2"]
    assert cli(args) == 0
    assert json.loads((out / "summary.json").read_text())["config"]["hidden"] == [8, 8]
    assert cli(["introvae-table", str(tmp_path)]) == 0
    assert "| 8Gaussian | vae normal | 4 | 1 |" in capsys.readouterr().out
    assert cli(args) == 2 and "already holds a run" in capsys.readouterr().err
    assert cli(["train", "--dataset", "ref2d:8Gaussian", "--out", str(tmp_path / "x"), "--prior", "mog:0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("expfam-nash: error: prior")
    with pytest.raises(SystemExit):                                   # routed to the package's command line
        main(["train", "--out", str(tmp_path / "y")])
    assert "invalid choice: 'train'" in capsys.readouterr().err


def test_driver_runs_a_plan_in_parallel_and_a_second_call_has_nothing_to_do(tmp_path):
    small = dict(steps=4, hidden=(8, 8), batch=16, mc_samples=3, eval_points=100, eval_grid=8,
                 eval_data=32, log_every=2)
    runs = [(tmp_path / f"r{s}", protocol.config_for("rings", "vae", s, **small)) for s in (0, 1)]
    (tmp_path / "r1").mkdir()
    (tmp_path / "r1" / "worker.pid").write_text("999999999")        # stale: its process is gone
    lines = []
    assert protocol.drive(runs, jobs=2, log=lines.append, poll=0.2) == {"finished": 2}
    assert not (tmp_path / "r1" / "worker.pid").exists()
    lines.clear()
    protocol.drive(runs, jobs=2, log=lines.append, poll=0.2)
    assert "0 to run" in lines[0]


def test_registries_and_the_arg_spec_cover_the_config():
    from expfam_nash.introvae.config import IntroConfig
    from expfam_nash.introvae.registry import INTRO_DATASETS, INTRO_METHODS, INTRO_PRIORS, intro_args

    assert INTRO_METHODS.names()[:3] == ("vae", "sintro", "symmetric") and "mog" in INTRO_PRIORS
    assert set(INTRO_METHODS.names()[3:]) == (set(protocol.METHODS) | set(protocol.EXTRAS)) - {"vae", "sintro"}
    for name in INTRO_METHODS.names()[3:]:                  # a variant: a preset on one of the three steps
        preset = INTRO_METHODS[name].meta["preset"]
        assert preset == {**protocol.METHODS, **protocol.EXTRAS}[name]
        assert INTRO_METHODS[name].obj is INTRO_METHODS[preset["method"]].obj
    assert INTRO_DATASETS.names() == ("8Gaussian", "spiral", "checkerboard", "rings")
    args = {a.name: a for a in intro_args()}
    assert set(args) == set(IntroConfig.__dataclass_fields__)
    assert args["train_prior"].parse("false") is False and args["clip"].parse("none") is None
    assert args["milestones"].parse("10,20") == (10, 20) and args["beta_kl"].parse("none") is None
    assert args["decoder_variance"].parse("0.5") == 0.5 and args["decoder_variance"].parse("learned") == "learned"


def test_table_keeps_runs_with_other_settings_apart():
    """Runs are seeds of one cell only when every setting but the seed is equal: the deviation
    check (M = 100, gamma_r = 1e-8) is not averaged into the protocol's runs (M = 10, gamma_r = 0)
    of the same method, and its row names the settings that differ."""
    from expfam_nash.introvae import IntroConfig, table

    def row(seed, **kw):
        c = IntroConfig(dataset="8Gaussian", method="vae", seed=seed, **kw)
        return {"dataset": c.dataset, "method": table.method_label(c), "steps": c.steps, "seed": seed,
                "status": "finished", "run": f"r{seed}", "settings": table._settings_key(c),
                **{m: float(seed + (100 if kw.get("mc_samples") == 100 else 0)) for m in table.METRICS}}

    df = table.aggregate([row(0, mc_samples=10), row(1, mc_samples=10), row(2, mc_samples=100)])
    assert len(df) == 2
    by_label = {r.method: r for _, r in df.iterrows()}
    assert set(by_label) == {"vae normal (mc_samples=10)", "vae normal (mc_samples=100)"}
    assert by_label["vae normal (mc_samples=10)"].n == 2 and by_label["vae normal (mc_samples=10)"].grid_kl_mean == 0.5
    assert by_label["vae normal (mc_samples=100)"].grid_kl_mean == 102.0
    one = table.aggregate([row(0), row(1)])
    assert list(one.method) == ["vae normal"] and one.n.iloc[0] == 2
