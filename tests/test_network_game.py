"""Network games (players holding several linear-Gaussian factors: the CVAE and HVAE of seed 003):
the exact engine against finite differences, the symbolic games, Monte Carlo estimates; validation;
the NetworkStructure hooks; the registered models; the certifier's enclosures."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import expfam_nash as en
from expfam_nash.game import NetworkStructure, Params
from expfam_nash.game.network import Factor, Network, NetworkGame, Phase, cvae_game, hvae_game, vae_game
from expfam_nash.symbolic.core import lambdify_game
from expfam_nash.symbolic.network_game import scalar_cvae, scalar_hvae, scalar_vae

H = 1e-6


def _moment(rng, d, scale=1.0):
    X = rng.standard_normal((d + 3, d)) * rng.uniform(0.3, 2.0, d)
    return scale * X.T @ X / (d + 3)


def _games(rng):
    A = _moment(rng, 3)
    C = _moment(rng, 4)
    learned = lambda: None if rng.random() < 0.5 else float(rng.uniform(0.2, 2.0))
    return [vae_game(A, 2, rng.uniform(0.5, 2), rng.uniform(0.3, 1.5), learned()),
            cvae_game(C[:2, :2], C[:2, 2:], C[2:, 2:], 2, rng.uniform(0.5, 2), rng.uniform(0.3, 1.5), learned()),
            hvae_game(A, (2, 2), rng.uniform(0.3, 1.0), learned(), rng.uniform(0.5, 2), rng.uniform(0.3, 1.5),
                      rho=float(rng.choice([0.0, 0.3])))]


def _fd_jacobian(game, v):
    cols = []
    for i in range(v.size):
        e = np.zeros(v.size)
        e[i] = H
        cols.append((game.flat_gradient(v + e) - game.flat_gradient(v - e)) / (2 * H))
    return np.array(cols).T


def _fd_gradient(game, v):
    n = game.layout.n_theta
    out = np.zeros(v.size)
    for i in range(v.size):
        e = np.zeros(v.size)
        e[i] = H
        up, down = game.utilities(game.unflatten(v + e)), game.utilities(game.unflatten(v - e))
        out[i] = (up[0] - down[0] if i < n else up[1] - down[1]) / (2 * H)
    return out


@given(st.integers(0, 2 ** 31 - 1))
@settings(max_examples=6)
def test_gradient_and_jacobian_against_finite_differences(seed):
    """Utilities -> pseudo-gradient and pseudo-gradient -> Jacobian (own Hessians and the analytic cross
    blocks dSigma = l s' + s l' + w l l') by central differences; step 1e-6 on parameters of size ~1:
    truncation and rounding ~1e-9, tolerance 1e-6 relative."""
    rng = np.random.default_rng(seed)
    for game in _games(rng):
        p = game.init(rng=rng)
        v = game.flatten(p)
        J = game.jacobian(p)
        scale = max(1.0, np.abs(J).max())
        assert np.abs(J - _fd_jacobian(game, v)).max() <= 1e-6 * scale, game.name
        assert np.abs(game.flat_gradient(v) - _fd_gradient(game, v)).max() <= 1e-6 * scale, game.name
        hp, hq = game.own_hessians(p)
        n = game.layout.n_theta
        np.testing.assert_allclose(hp, J[:n, :n], rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(hq, J[n:, n:], rtol=0, atol=1e-12 * scale)


def test_engine_matches_the_symbolic_games():
    """The sympy games (expectations by expect_quadratic, derivatives by differentiation) against the
    engine (Sigma = L Omega L^T, analytic cross blocks) at random points, all three models, both variances."""
    lam, e, s, v, a, b, c = sp.symbols("lam e s v a b c", positive=True)
    rng = np.random.default_rng(3)
    vals = {lam: 1.7, e: 0.6, s: 0.3, v: 0.45, a: 1.3, b: 0.9, c: 0.6}
    cases = [(scalar_vae(lam, e, s, None), vae_game([[1.7]], 1, np.sqrt(0.6), np.sqrt(0.3), None)),
             (scalar_vae(lam, e, s, v), vae_game([[1.7]], 1, np.sqrt(0.6), np.sqrt(0.3), 0.45)),
             (scalar_cvae(a, c, b, e, s, None), cvae_game([[1.3]], [[0.6]], [[0.9]], 1, np.sqrt(0.6), np.sqrt(0.3))),
             (scalar_hvae(lam, e, s, v, None), hvae_game([[1.7]], (1, 1), np.sqrt(0.45), None, np.sqrt(0.6), np.sqrt(0.3))),
             (scalar_hvae(lam, e, s, v, a), hvae_game([[1.7]], (1, 1), np.sqrt(0.45), np.sqrt(1.3), np.sqrt(0.6),
                                                     np.sqrt(0.3)))]
    for G, game in cases:
        num = lambdify_game(G)
        consts = [vals[k] for k in G.constants]
        for _ in range(3):
            p = game.init(rng=rng)
            x = game.flatten(p)
            np.testing.assert_allclose(num.utilities(x, *consts), game.utilities(p), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(num.gradient(x, *consts), game.flat_gradient(x), rtol=1e-11, atol=1e-11)
            np.testing.assert_allclose(num.jacobian(x, *consts), game.jacobian(p), rtol=1e-11, atol=1e-11)


def test_engine_matches_monte_carlo():
    """The sampled engine (ancestral sampling, per-sample scores) is unbiased for the closed form:
    every utility and gradient entry within 5 standard errors (fixed seed, 60000 draws); negative
    control: a 10 % error in a utility is far outside them."""
    rng = np.random.default_rng(5)
    for game in _games(rng):
        p = game.init(rng=rng)
        est = game.estimate(p, n_samples=60_000, seed=11)
        z_u = np.abs(np.array(est.utilities) - np.array(game.utilities(p))) / np.array(est.utilities_se)
        g, se = game.flatten(est.gradient), game.flatten(est.gradient_se)
        z_g = np.abs(g - game.flat_gradient(game.flatten(p))) / se
        assert z_u.max() < 5 and z_g.max() < 5, (game.name, z_u.max(), z_g.max())
        assert abs(est.utilities[0] - 1.1 * game.utilities(p)[0]) / est.utilities_se[0] > 5


def test_validation_is_one_line_and_before_any_work():
    A = np.eye(2)
    with pytest.raises(ValueError, match="cxx"):
        vae_game(np.ones((2, 3)), 1)
    with pytest.raises(ValueError, match="wake moment"):
        vae_game(np.array([[1.0, 2.0], [2.0, 1.0]]), 1)            # not PSD
    with pytest.raises(ValueError, match="eta_dec"):
        hvae_game(A, (1, 1), eta_dec=-1.0)
    with pytest.raises(ValueError, match="latent_dims"):
        hvae_game(A, (1,))
    with pytest.raises(ValueError, match="cyclic"):
        Network((("x", 1), ("z", 1), ("u", 1)), (Factor("x", ("z",), 1.0),),
                (Factor("z", ("u",), 1.0), Factor("u", ("z",), 1.0)), Phase(("x",), A[:1, :1]), Phase(("z", "u"), A))
    with pytest.raises(ValueError, match="generated blocks"):
        Network((("x", 1), ("z", 1)), (Factor("x", ("z",), 1.0),), (Factor("z", ("x",), 1.0),),
                Phase(("x",), A[:1, :1]), Phase(("x",), A[:1, :1]))
    game = vae_game(A, 1)
    p = game.init(seed=0)
    bad = np.array(p.phi)
    bad[0, -1] = 0.5                                          # a learned precision must be < 0
    with pytest.raises(ValueError, match="outside the natural domain"):
        game.utilities(Params(p.theta, bad))


def test_symmetry_tangents_lie_in_the_kernel_of_the_jacobian():
    """At an equilibrium on a rotation orbit J t = 0 for every tangent (HVAE: z1 always rotates)."""
    from expfam_nash.collapse.game_model import game_model
    from expfam_nash.collapse.problem import hvae_problem

    gm = game_model(hvae_problem(np.diag([3.0, 1.0]), (2, 1), 0.6, "learned", eta_enc=1.0, eta_dec=0.5))
    game, eq = gm.game(), gm.params(gm.stable_branches())
    assert game.residual(eq) <= 1e-12
    T = game.symmetry_tangents(eq)
    assert T.shape[1] == 1 and np.linalg.norm(T) > 0
    J = game.jacobian(eq)
    assert np.abs(J @ T).max() <= 1e-12 * np.abs(J).max() * np.abs(T).max()
    # the invariants do not see the rotation
    R = np.array([[0.6, -0.8], [0.8, 0.6]])
    th, ph = np.array(eq.theta), np.array(eq.phi)
    th[:2, :2] = th[:2, :2] @ R.T          # p(x|z1): columns of z1
    th[2:, 2:] = R @ th[2:, 2:]            # p(z1|z2): rows of z1
    ph[:2, :2] = R @ ph[:2, :2]            # q(z1|x): rows of z1
    ph[2:, 2:4] = ph[2:, 2:4] @ R.T        # q(z2|z1): columns of z1
    rotated = Params(th, ph)
    assert game.residual(rotated) <= 1e-12
    for key, val in game.invariants(eq).items():
        np.testing.assert_allclose(game.invariants(rotated)[key], val, atol=1e-9, err_msg=key)


def test_network_structure_hooks():
    game = cvae_game(np.eye(2), 0.5 * np.eye(2), np.eye(2), 1, 1.0, 0.5)
    assert isinstance(game, NetworkStructure) and not isinstance(en.models.linear_gaussian(), NetworkStructure)
    start = game.collapsed_point()
    assert game.is_collapsed(start) and not game.is_collapsed(game.init(seed=0))
    assert not game.saturated(start)
    tiny = np.array(start.phi)
    tiny[0, -1] = -1e12                                        # variance 5e-13: the domain's boundary
    assert game.saturated(Params(start.theta, tiny))
    from expfam_nash.verification.symmetry import latent_symmetries
    from expfam_nash.verification.verify import collapsed_start
    assert collapsed_start(game) is not None and game.is_collapsed(collapsed_start(game))
    assert "O(" not in latent_symmetries(game).description       # k = 1: no rotation
    assert latent_symmetries(hvae_game(np.eye(2), (2, 2), 0.5, 0.5)).continuous_dimension == 2


def test_registered_models_run_through_solve_and_the_cli(capsys):
    from expfam_nash.cli.main import main

    g = en.models.make("linear-hvae", eigenvalues=[3.0, 0.2], latent_dims=(1, 1), sigma1=0.6, sigma2="learned")
    assert isinstance(g, NetworkGame) and g.layout.size == 7
    with pytest.raises(ValueError, match="alpha"):
        en.models.make("linear-cvae", alpha=0.3)
    assert main(["solve", "linear-vae", "--eigenvalues", "3,0.1", "--latent-dim", "1", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"converged": true' in out
    assert main(["solve", "linear-cvae", "--data", "correlation:2:1"]) == 2
    assert "correlation" in capsys.readouterr().err


def test_certifier_enclosures_contain_the_engine():
    """Ball enclosures of g and of J (forward differentiation of the block-recursive formula, an
    independent route) contain the float engine's values at random points of all three models."""
    from expfam_nash.certify import Enclosure

    rng = np.random.default_rng(9)
    for game in _games(rng):
        p = game.init(rng=rng)
        v = game.flatten(p)
        enc = Enclosure(game, "ball")
        gb, Jb = enc.gradient(v), enc.jacobian(v)
        J = game.jacobian(p)
        tol = 1e-12 * max(1.0, np.abs(J).max())
        assert np.all(np.abs(gb.mid - game.flat_gradient(v)) <= gb.rad + tol), game.name
        assert np.all(np.abs(Jb.mid - J) <= Jb.rad + tol), game.name
        assert Jb.rad.max() <= 1e-9 * max(1.0, np.abs(J).max())


def test_verify_on_a_network_game_certifies_the_closed_form_classes():
    """verify (main's certified version) on the VAE game with eigenvalues 3 and 0.1, eta_dec = 0.5: the
    collapsed point (a certified saddle) and the active branch of mode 1 (certified stable), distinct up to
    symmetry; the stable class's invariants are the closed form's."""
    from expfam_nash.collapse.game_model import game_model
    from expfam_nash.collapse.problem import vae_problem

    g = en.models.make("linear-vae", eigenvalues=[3.0, 0.1], latent_dim=1, eta_dec=0.5)
    v = en.verify(g, starts=3, seed=0)
    assert len(v.classes) == 2 and v.verdicts["uniqueness"].status.value == "refuted"
    stable = [c for c in v.classes if c.representative.verdicts["stability"].holds]
    assert len(stable) == 1 and not stable[0].collapsed
    gm = game_model(vae_problem(np.diag([3.0, 0.1]), 1, 1.0, 1.0, 0.5, "learned"))
    closed = g.invariants(gm.params(gm.stable_branches()))
    for key, val in closed.items():
        np.testing.assert_allclose(stable[0].representative.invariants[key], val, atol=1e-8, err_msg=key)
