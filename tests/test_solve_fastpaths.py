"""The flat evaluation paths behind solve's Newton polish, and solve/verify's stop_escaping."""
import numpy as np
import pytest

from expfam_nash import models, solve, verify
from expfam_nash.game import DomainError, NonFiniteError


@pytest.mark.parametrize("game", [models.bernoulli(data="random:4:1", latent_dim=2, rho=0.1),
                                  models.tabular(joint="random:3:3:0", alpha=0.3),
                                  models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var="learned",
                                                         encoder_var=0.8)],
                         ids=["bernoulli", "tabular", "lg-learned"])
def test_flat_paths_give_the_params_paths_numbers(game):
    """flat_evaluate / flat_jacobian compute exactly what evaluate / jacobian do (one engine call)."""
    params = game.init(seed=5)
    vec = game.flatten(params)
    (lp, lq), grad = game.flat_evaluate(vec)
    assert (lp, lq) == game.utilities(params)
    np.testing.assert_array_equal(grad, game.flatten(game.gradient(params)))
    np.testing.assert_array_equal(game.flat_jacobian(vec), game.jacobian(params))


def test_flat_paths_check_the_point():
    game = models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var="learned", encoder_var=0.8)
    vec = game.flatten(game.init(seed=0))
    bad = vec.copy()
    bad[0] = np.nan
    with pytest.raises(NonFiniteError):
        game.flat_evaluate(bad)
    theta = game.init(seed=0).theta.copy()
    theta[-1, -1] = 0.5                                   # a learned precision must stay negative
    with pytest.raises(DomainError):
        game.flat_jacobian(game.flatten(game.params(theta, game.init(seed=0).phi)))


def test_stop_escaping_ends_an_escaping_flow_early_and_claims_nothing():
    """random:6:0 at rho = 0 has no recession certificate; start 'random:8' of verify's plan grows
    like log t from step ~500 on: with stop_escaping it stops after a tenth of the budget and is
    undecided (never 'diverged' without a certificate)."""
    from expfam_nash.verification.verify import _plan

    game = models.bernoulli(data="random:6:0", latent_dim=3, rho=0.0)
    _, start, _ = _plan(game, 64, 0)[9]
    full = solve(game, init=start, max_steps=6000, certify=False)
    early = solve(game, init=start, max_steps=6000, certify=False, stop_escaping=True)
    assert full.iterations == 6000 and 600 <= early.iterations < 1500
    assert "stop_escaping" in early.reason and early.escape.escaping
    assert not early.diverged and not early.converged
    assert early.options["stop_escaping"] is True and "stop_escaping" not in full.options


def test_verify_records_stop_escaping_and_validates_it():
    game = models.bernoulli(data="random:3:0", latent_dim=1, rho=0.1)
    assert verify(game, starts=2, seed=0).options["stop_escaping"] is True
    with pytest.raises(ValueError, match="stop_escaping"):
        verify(game, starts=2, stop_escaping="yes")
