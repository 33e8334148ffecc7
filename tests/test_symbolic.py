"""The symbolic layer (expfam_nash.symbolic) against the numeric engine, and the closed forms
against the engine's gradient, stability verdict and solver."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import expfam_nash as en
from expfam_nash import models
from expfam_nash.environment import Finite
from expfam_nash.families import Affine, Bernoulli, binary_support
from expfam_nash.game import Game, Params, Player
from expfam_nash.symbolic import (bernoulli_game, collapse_rho_threshold, collapsed_jacobian, collapsed_point,
                                  collapsed_stable, compare, coupling_parameters, equal_variance_threshold,
                                  linear_gaussian_branches, linear_gaussian_game, reconstruction_gain, relative_error,
                                  tabular_game)

TOL = 1e-10
Q = sp.Rational


def _assert_agrees(sym, n_points=4, seed=0):
    res = compare(sym, n_points=n_points, seed=seed)
    assert res.worst < TOL, res


def test_relative_error_definition():
    assert relative_error([1.0, 2.0], [1.0, 2.5]) == pytest.approx(0.5 / 2.5)
    assert relative_error([1e-3], [0.0]) == pytest.approx(1e-3)


def test_bernoulli_matches_engine():
    g = bernoulli_game([[0, 1], [1, 1], [1, 0]], [Q(1, 2), Q(1, 3), Q(1, 6)], latent_dim=2,
                       prior_weights=[Q(1, 10), Q(2, 10), Q(3, 10), Q(4, 10)], rho=Q(3, 10))
    _assert_agrees(g)


def test_bernoulli_labelled_matches_engine():
    lab = [[Q(i + 2 * j + 1, 1) for j in range(2)] for i in range(4)]
    tot = sum(sum(r) for r in lab)
    lab = [[v / tot for v in r] for r in lab]
    g = bernoulli_game([[0, 0], [1, 1], [0, 1]], None, latent_dim=1, alpha=Q(2, 5), labeled=lab, rho=Q(1, 5))
    _assert_agrees(g, seed=1)


def test_tabular_matches_engine():
    P = [[Q(1, 10), Q(2, 10), Q(1, 20)], [Q(1, 10), Q(1, 20), Q(1, 10)], [Q(2, 10), Q(1, 10), Q(1, 10)]]
    _assert_agrees(tabular_game(P, alpha=Q(1, 3), rho=Q(1, 5)))


LG_MOMENTS = dict(data_mean=[Q(1, 2), -1], data_cov=[[2, Q(1, 2)], [Q(1, 2), 1]], prior_mean=[Q(1, 3), 0],
                  prior_cov=[[Q(3, 2), Q(1, 5)], [Q(1, 5), 1]])
LG_LABEL = dict(labeled_mean=[Q(1, 5), Q(1, 10), Q(-2, 5), Q(3, 5)],
                labeled_cov=[[1, Q(3, 10), Q(1, 2), 0], [Q(3, 10), Q(4, 5), Q(1, 10), Q(1, 5)],
                             [Q(1, 2), Q(1, 10), Q(9, 10), Q(1, 10)], [0, Q(1, 5), Q(1, 10), Q(7, 10)]])


@pytest.mark.parametrize("s, t", [(Q(1, 2), Q(4, 5)), (None, Q(3, 5)), (Q(9, 10), None), (None, None)],
                         ids=["fixed", "decoder-learned", "encoder-learned", "both-learned"])
def test_linear_gaussian_matches_engine(s, t):
    g = linear_gaussian_game(2, 2, s, t, alpha=Q(3, 10), rho=Q(1, 2), **LG_MOMENTS, **LG_LABEL)
    _assert_agrees(g)


def test_linear_gaussian_unlabelled_d2_k1_matches_engine():
    g = linear_gaussian_game(2, 1, None, Q(7, 10), [0, Q(1, 4)], [[3, Q(1, 3)], [Q(1, 3), 1]])
    _assert_agrees(g, seed=3)


def test_comparison_detects_a_different_game():
    """The checker must be able to fail: the same symbolic game against an engine with another rho."""
    P = [[Q(1, 4), Q(1, 8)], [Q(1, 8), Q(1, 2)]]
    sym = tabular_game(P, rho=Q(1, 5))
    other = models.tabular(np.array(P, dtype=float), l2=0.3)
    assert compare(sym, other, n_points=2).worst > 1e-3


# ---------------------------------------------------------------- linear-Gaussian closed forms

LG_CASES = [(3.0, 1.0, 1.0, False, False), (0.5, 1.0, 1.0, False, False), (2.0, 0.5, 1.5, False, False),
            (3.0, None, 0.4, True, False), (3.0, None, 1.3, True, False), (3.0, 1.0, None, False, True),
            (0.7, 1.0, None, False, True), (3.0, 1.2, None, True, True), (2.0, 0.3, None, True, True)]


def _lg_game(lam, s, t, dl, el):
    return models.linear_gaussian(eigenvalues=[lam], latent_dim=1, decoder_var="learned" if dl else s,
                                  encoder_var="learned" if el else t)


@pytest.mark.parametrize("lam, s, t, dl, el", LG_CASES)
def test_linear_gaussian_branches_are_engine_equilibria_with_the_same_stability(lam, s, t, dl, el):
    game = _lg_game(lam, s, t, dl, el)
    branches = linear_gaussian_branches(lam, s, t, dl, el)
    assert branches[0].name == "collapsed"
    for br in branches:
        prm = game.params(br.theta, br.phi)
        assert game.residual(prm) < 1e-10
        np.testing.assert_allclose(np.sort(br.eigenvalues.real), np.sort(np.linalg.eigvals(game.jacobian(prm)).real),
                                   atol=1e-10)
        assert en.stability(game, prm).stable == br.stable
        assert game.invariants(prm)["gain"][0] == pytest.approx(br.gain, abs=1e-12)


@pytest.mark.parametrize("lam, s, t, dl, el", LG_CASES)
def test_solve_reaches_a_stable_branch(lam, s, t, dl, el):
    game = _lg_game(lam, s, t, dl, el)
    res = en.solve(game, seed=0)
    gain = float(res.invariants["gain"][0])
    gains = reconstruction_gain(lam, s, t, dl, el)
    stable = [b.gain for b in linear_gaussian_branches(lam, s, t, dl, el) if b.stable]
    if stable:
        assert res.converged and res.stable
        assert min(abs(gain - g) for g in stable) < 1e-6
        return
    # both learned: the run ends on the continuum w^2 + s = lam, t = s / lam, gain 1 - s / lam, where J is
    # singular, so no equilibrium is certified there (the closed form certifies the continuum, in verify)
    assert dl and el and set(gains) == {"collapsed", "nontrivial"}
    assert not res.converged and res.verdicts["existence"].status.value == "undecided"
    s_end = game.decoder.family.noise_variances(res.params.theta)[0]
    t_end = game.encoder.family.noise_variances(res.params.phi)[0]
    w_end = game.decoder.family.location_coefficients(res.params.theta)[0, 0]
    assert abs(w_end ** 2 + s_end - lam) < 1e-6 * lam and abs(t_end - s_end / lam) < 1e-6
    assert abs(gain - (1 - s_end / lam)) < 1e-6


def test_threshold_formulas():
    """Existence switches exactly at lam = s t, t = 1, lam = s."""
    eps = 1e-3
    assert len(linear_gaussian_branches(2.0 * (1 + eps), 1.0, 2.0)) == 2
    assert len(linear_gaussian_branches(2.0 * (1 - eps), 1.0, 2.0)) == 1
    assert len(linear_gaussian_branches(5.0, None, 1 - eps, decoder_learned=True)) == 2
    assert len(linear_gaussian_branches(5.0, None, 1 + eps, decoder_learned=True)) == 1
    assert len(linear_gaussian_branches(1.5 * (1 + eps), 1.5, None, encoder_learned=True)) == 2
    assert len(linear_gaussian_branches(1.5 * (1 - eps), 1.5, None, encoder_learned=True)) == 1
    assert reconstruction_gain(4.0, 1.0, 1.0)["nontrivial"] == pytest.approx(0.5)


# ---------------------------------------------------------------- tabular equilibrium sets

@pytest.mark.parametrize("nx, nz, seed", [(2, 2, 0), (3, 3, 1), (4, 2, 2)])
def test_random_couplings_are_alpha0_equilibria(nx, nz, seed):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(nx * nz)).reshape(nx, nz)
    game = models.tabular(P)
    px, pz = P.sum(1), P.sum(0)
    for _ in range(3):
        E = rng.normal(size=(nx, nz))
        E -= E.mean(0)
        E -= E.mean(1, keepdims=True)
        C = np.outer(px, pz) + 0.9 * rng.uniform() * E * np.outer(px, pz).min() / np.abs(E).max()
        assert game.residual(game.params(*coupling_parameters(C))) < 1e-12
    # a joint that is not a coupling of these marginals is not an equilibrium
    B = rng.dirichlet(np.ones(nx * nz)).reshape(nx, nz)
    assert game.residual(game.params(*coupling_parameters(B))) > 1e-4


@pytest.mark.parametrize("alpha", [0.1, 0.5])
def test_labelled_joint_is_the_equilibrium_with_alpha(alpha):
    rng = np.random.default_rng(3)
    P = rng.dirichlet(np.ones(9)).reshape(3, 3)
    game = models.tabular(P, labeled_weight=alpha)
    star = game.params(*coupling_parameters(P))
    assert game.residual(star) < 1e-12
    assert en.stability(game, star).stable
    # another coupling of the same marginals is no longer an equilibrium once alpha > 0
    C = np.outer(P.sum(1), P.sum(0))
    assert game.residual(game.params(*coupling_parameters(C))) > 1e-4


# ---------------------------------------------------------------- collapsed point (affine Bernoulli)

def _bernoulli_instance(rng, d, k, symmetric):
    X, Z = binary_support(d), binary_support(k)
    wx = rng.dirichlet(np.ones(2 ** d))
    if symmetric:
        wx = (wx + wx[::-1]) / 2
    wz = np.full(2 ** k, 2.0 ** -k) if symmetric else rng.dirichlet(np.ones(2 ** k))
    return X, wx, Z, wz


@pytest.mark.parametrize("seed", range(6))
def test_collapsed_point_gradient_jacobian_and_stability(seed):
    rng = np.random.default_rng(seed)
    d, k = 1 + seed % 3, 1 + seed % 2
    X, wx, Z, wz = _bernoulli_instance(rng, d, k, symmetric=seed % 2 == 0)
    r0 = collapse_rho_threshold(X, wx, Z, wz)
    for rho in (0.0, 0.8 * r0, 1.2 * r0 + 1e-3):
        game = Game(Player(Bernoulli(d), Affine(k)), Player(Bernoulli(k), Affine(d)), Finite(X, wx), Finite(Z, wz), rho=rho)
        prm = Params(*collapsed_point(X, wx, Z, wz))
        assert game.residual(prm) < 1e-13
        np.testing.assert_allclose(collapsed_jacobian(X, wx, Z, wz, rho), game.jacobian(prm), atol=1e-13)
        assert en.stability(game, prm).stable == collapsed_stable(X, wx, Z, wz, rho)
    assert not collapsed_stable(X, wx, Z, wz, 0.0)          # never strictly stable at rho = 0
    assert collapsed_stable(X, wx, Z, wz, r0 + 1e-3)


def test_equal_variance_threshold_formula():
    rng = np.random.default_rng(11)
    X, wx, Z, wz = _bernoulli_instance(rng, 3, 2, symmetric=True)
    xm = wx @ X
    Sx = (X - xm).T @ ((X - xm) * wx[:, None])
    assert equal_variance_threshold(Sx, [0.25, 0.25]) == pytest.approx(collapse_rho_threshold(X, wx, Z, wz), abs=1e-12)
