"""The Soft-IntroVAE figures drawn from tiny finished runs in the protocol's layout: they draw what
is finished, list what is missing, refuse an empty root, and a cell with one seed gets no
standard-error whisker (a zero-length whisker would read as 'no spread')."""
import matplotlib
import numpy as np
import pytest

from fuzzing import run_cli
from test_fuzz_intro_sweep import INTRO_SMALL

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("introvae")
    for method, seeds in (("vae", (0, 1)), ("sintro", (0,))):
        for seed in seeds:
            out = root / "scaled10" / "8Gaussian" / method / f"seed{seed}"
            code, _, err = run_cli("cli.train.ref2d", ["train", "--dataset", "ref2d:8Gaussian", "--method", method,
                                                       *INTRO_SMALL, "--seed", str(seed), "--out", str(out)])
            assert code == 0, err
    return root


def test_figures_draw_the_finished_runs_and_list_the_missing(runs_root):
    from expfam_nash.experiments import figures

    figures.load()
    for name in ("introvae_samples", "introvae_priors", "introvae_metrics"):
        fig, data = figures.FIGURES.get(name).obj(0, runs=str(runs_root))
        assert "8Gaussian/vae seeds 2,3,4" in data["missing"] and "8Gaussian/sintro seeds 1,2,3,4" in data["missing"]
        assert fig.axes


def test_one_seed_has_no_whisker_and_two_seeds_have_one(runs_root):
    from expfam_nash.experiments import figures

    figures.load()
    fig, data = figures.FIGURES.get("introvae_metrics").obj(0, runs=str(runs_root))
    table = data["table"]
    assert table["8Gaussian/vae"]["n"] == 2 and np.isfinite(table["8Gaussian/vae"]["grid_kl_se"])
    assert table["8Gaussian/sintro"]["n"] == 1 and table["8Gaussian/sintro"]["grid_kl_se"] is None
    ax = fig.axes[0]
    whiskers = [c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]
    segments = [seg for c in whiskers for seg in c.lines[2][0].get_segments()]
    assert len(segments) == 1                       # the vae bar on 8Gaussian only
    (x0, y0), (x1, y1) = segments[0]
    assert y1 > y0


def test_an_empty_root_is_missing_inputs(tmp_path):
    from expfam_nash.experiments import figures

    figures.load()
    with pytest.raises(figures.MissingInputs):
        figures.FIGURES.get("introvae_metrics").obj(0, runs=str(tmp_path))
