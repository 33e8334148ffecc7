"""Plotting functions return Figures with labelled axes; the gallery is deterministic; the
``figures`` command writes NAME.png and NAME.json."""
import json

import numpy as np
import pytest
from matplotlib.figure import Figure

import expfam_nash as en
from expfam_nash.cli.main import main
from expfam_nash.dynamics import algorithms as alg
from expfam_nash.plot import (plot_bifurcation, plot_consistency, plot_convergence, plot_escape, plot_phase_portrait,
                              plot_spectra, plot_stochastic_vs_exact, plot_uniqueness_map, verdict_category)
from expfam_nash.experiments import FIGURES, make
from expfam_nash.verification import verify


def _labelled(fig: Figure):
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert axes
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel(), ax
    fig.canvas.draw()          # renders without error


@pytest.fixture(scope="module")
def bern_runs():
    game = en.models.bernoulli("bars:2", latent_dim=2, l2=0.1)
    start = game.init(seed=0)
    runs = {}
    for name, a, n in [("simultaneous", alg.simultaneous(game, 0.5), 200), ("Newton", alg.newton(game), 8)]:
        _, runs[name] = alg.run(game, a, start, n, gap_every=max(1, n // 4))
    return game, runs


def test_convergence_and_escape_plots(bern_runs):
    _, runs = bern_runs
    _labelled(plot_convergence(runs))
    _labelled(plot_escape(runs))


def test_stochastic_plot(bern_runs):
    _, runs = bern_runs
    tr = runs["simultaneous"]
    _labelled(plot_stochastic_vs_exact(tr, tr.steps, np.vstack([tr.residual, 2 * tr.residual])))


def test_spectra_and_uniqueness_and_consistency_plots(bern_runs):
    from expfam_nash.verification.consistency import consistency

    game, runs = bern_runs
    v = verify(en.models.linear_gaussian(eigenvalues=[2.0], latent_dim=1), starts=4, seed=0)
    _labelled(plot_spectra({"lg": [(f"class {i}", c.representative.jacobian_eigenvalues, c.representative.stable)
                                    for i, c in enumerate(v.classes)]}))
    cat = verdict_category(v)
    assert cat == "not unique"                 # lam = 2 > s t = 0.4: the collapsed saddle and the stable branch

    _labelled(plot_uniqueness_map({"g": {"alphas": [0, 1], "rhos": [0, 1], "category": [[cat, "unique"],
                                                                                          ["escape", "continuum"]],
                                         "text": [["a", "b"], ["c", "d"]]}}))
    c = consistency(game, game.init(seed=0)).to_dict()
    along = {"g": {"steps": [0, 10], **{k: [c[k], c[k] / 2] for k in ("joint_gap", "stationary_gap", "bound")}}}
    _labelled(plot_consistency(along, [{"label": "x", **c}]))


def test_phase_and_bifurcation_plots():
    w = v = np.linspace(-1, 1, 5)
    W, V = np.meshgrid(w, v)
    _labelled(plot_phase_portrait(w, v, -W, -V, [{"w": 0, "v": 0, "stable": True}]))
    x = np.linspace(0, 1, 5)
    _labelled(plot_bifurcation([{"x": x, "xlabel": "lam", "branches": {"collapsed": {"gain": 0 * x,
                                                                                      "stable": x < 0.5}},
                                 "points": [(0.2, 0.0, True)], "threshold": 0.5}]))


def test_gallery_is_deterministic():
    a, b = make("phase_portrait", seed=3)[1], make("phase_portrait", seed=3)[1]
    assert a == b
    assert json.dumps(a)          # JSON-ready


def test_figures_command_writes_png_and_data(tmp_path, capsys):
    assert main(["figures", "--only", "phase_portrait", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "phase_portrait.png").stat().st_size > 1000
    data = json.loads((tmp_path / "phase_portrait.json").read_text())
    assert data["figure"] == "phase_portrait" and data["seed"] == 0
    assert "phase_portrait" in capsys.readouterr().err
    assert main(["figures", "--only", "nope", "--out", str(tmp_path)]) == 2
    assert set(FIGURES) >= {"convergence", "escape", "bifurcation", "phase_portrait"}
