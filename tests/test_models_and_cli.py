"""Model constructors, data specifications, input validation, and the command line."""
import json
import subprocess
import sys

import numpy as np
import pytest

import expfam_nash as en
from expfam_nash.cli.main import main
from expfam_nash.models import bars_distribution


def test_bars_distribution_is_exact():
    dist = bars_distribution(2, 0.5)
    # 2 rows + 2 columns, each on w.p. 1/2: the blank image has probability 1/16
    blank = np.all(dist.points == 0, axis=1)
    np.testing.assert_allclose(dist.weights[blank], [1 / 16])
    np.testing.assert_allclose(dist.weights.sum(), 1.0)
    # the full image needs both rows on or both columns on: 1/4 + 1/4 - 1/16
    full = np.all(dist.points == 1, axis=1)
    np.testing.assert_allclose(dist.weights[full], [7 / 16])


def test_data_specs(tmp_path):
    g = en.models.bernoulli("independent:0.2,0.5", latent_dim=1)
    np.testing.assert_allclose(sorted(g.data.weights), sorted([0.4, 0.4, 0.1, 0.1]))
    g = en.models.bernoulli("random:5:3:10", latent_dim=2)
    assert g.data.points.shape == (10, 5)
    path = tmp_path / "d.npz"
    np.savez(path, points=np.array([[0, 1], [1, 1], [0, 1]]))
    g = en.models.bernoulli(str(path), latent_dim=1)
    np.testing.assert_allclose(sorted(g.data.weights), [1 / 3, 2 / 3])
    g = en.models.bernoulli(np.array([[0, 1], [1, 0]]), weights=[0.25, 0.75], latent_dim=1)
    np.testing.assert_allclose(sorted(g.data.weights), [0.25, 0.75])
    t = en.models.tabular("random:3:2:1")
    assert t.decoder.shape == (2, 2) and t.encoder.shape == (1, 3)


@pytest.mark.parametrize("call,needle", [
    (lambda: en.models.bernoulli("bars:9"), "bars N"),
    (lambda: en.models.bernoulli("nonsense"), "data"),
    (lambda: en.models.bernoulli(np.array([[0, 2]])), "0/1"),
    (lambda: en.models.bernoulli(np.array([[0, 1]]), weights=[-1.0]), "weights"),
    (lambda: en.models.bernoulli(np.array([[0, 1], [1, 1]]), weights=[0.5, 0.6]), "sum to 1"),
    (lambda: en.models.bernoulli(np.array([[0, np.nan]])), "NaN"),
    (lambda: en.models.bernoulli("bars:2", latent_dim=0), "latent_dim"),
    (lambda: en.models.bernoulli("bars:2", l2=-1), "rho"),
    (lambda: en.models.tabular("random:3:2:1", labeled_weight=1.5), "alpha"),
    (lambda: en.models.tabular(np.ones((2, 2))), "sum to 1"),
    (lambda: en.models.linear_gaussian(eigenvalues=[1.0, -2.0]), "eigenvalues"),
    (lambda: en.models.linear_gaussian(decoder_var=0.0), "decoder_var"),
    (lambda: en.models.linear_gaussian(encoder_var="fixed"), "encoder_var"),
    (lambda: en.solve(en.models.bernoulli("random:20:0:64", latent_dim=16)), "no exact engine"),
])
def test_bad_input_is_a_value_error_naming_the_argument(call, needle):
    with pytest.raises(ValueError, match=needle):
        call()


def test_params_validation():
    game = en.models.bernoulli("bars:2", latent_dim=2)
    p = game.init(seed=0)
    with pytest.raises(ValueError, match="theta"):
        game.params(np.zeros((3, 3)), p.phi)
    with pytest.raises(ValueError, match="NaN"):
        game.utilities(en.Params(p.theta * np.nan, p.phi))
    with pytest.raises(ValueError, match="vec"):
        game.unflatten(np.zeros(3))
    np.testing.assert_array_equal(game.flatten(game.unflatten(game.flatten(p))), game.flatten(p))


def test_cli_solve_json(capsys):
    code = main(["solve", "linear-gaussian", "--eigenvalues", "4,2.5,0.3", "--latent-dim", "2",
                 "--decoder-var", "0.7", "--encoder-var", "1.1", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("converged", "diverged", "residual", "nash_gap", "stable", "jacobian_eigenvalues",
                "iterations", "params", "invariants"):
        assert key in out
    assert out["converged"] and out["stable"] and out["residual"] < 1e-10
    gain = out["invariants"]["gain"]
    assert gain == sorted(gain, reverse=True) and len(gain) == 3
    assert all(len(e) == 2 for e in out["jacobian_eigenvalues"])


def test_cli_finite_invariants(capsys):
    assert main(["solve", "tabular", "--joint", "random:3:2:0", "--labeled-weight", "0.4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    kernel = np.array(out["invariants"]["kernel"])
    assert kernel.shape == (3, 3)
    np.testing.assert_allclose(kernel.sum(1), 1.0, rtol=1e-12)   # data support = all of X here
    np.testing.assert_allclose(sum(out["invariants"]["decoder_marginal"]), 1.0, rtol=1e-12)


def test_cli_errors_are_one_line_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "expfam_nash", "solve", "bernoulli", "--data", "bars:2:7"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "bars P" in proc.stderr


def test_cli_default_runs(capsys):
    assert main(["solve"]) == 0
    assert "CONVERGED" in capsys.readouterr().out
