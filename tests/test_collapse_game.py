"""The symmetric game on the linear VAE, CVAE and HVAE (issue 12, item 5; claims 13-16): closed-form
branches against the engine and the certificates, the comparison with the ELBO at beta = 1, the CVAE's
reduction, the API and the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expfam_nash import collapse
from expfam_nash.certify import certify_equilibrium
from expfam_nash.collapse.game_model import game_model
from expfam_nash.collapse.game_params import scalar_game, scalar_params
from expfam_nash.collapse.game_theory import hvae_branches, vae_branches
from expfam_nash.collapse.problem import cvae_problem, hvae_problem, vae_problem
from expfam_nash.core.verdict import Status

@st.composite
def modes(draw):
    """One mode: model, eigenvalue, e, s, encoder variance (HVAE: sigma1^2), level-2 variance or None;
    the values come from a drawn seed (spread over their decades, not hypothesis' edge values)."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 31 - 1)))
    model = draw(st.sampled_from(["vae", "hvae"]))
    lam, e, s, var, v2 = 10 ** rng.uniform([-2, -1, -1.5, -1, -1.5], [1.5, 1, 0.5, 0.5, 1])
    learned = draw(st.booleans())
    if model == "vae":
        return model, lam, e, s, None if learned else var, None
    return model, lam, e, s, var, None if learned else v2


def _branches(model, lam, e, s, var, v2):
    return hvae_branches(lam, e, s, var, v2) if model == "hvae" else vae_branches(lam, e, s, var)


@given(modes())
@settings(max_examples=40)
def test_every_branch_is_an_engine_equilibrium_with_the_predicted_stability(case):
    """Claims 13 and 15: each closed-form branch has residual <= 1e-9 (relative) in the exact engine,
    the predicted stability is the sign of the engine Jacobian's spectrum, and off a threshold exactly one
    branch is stable."""
    model, lam, e, s, var, v2 = case
    learned = (v2 is None) if model == "hvae" else (var is None)
    game = scalar_game(model, lam, e, s, var, v2)
    branches = _branches(*case)
    for b in branches:
        p = scalar_params(model, b, learned)
        assert game.residual(p) <= 1e-9 * max(1.0, np.abs(game.flatten(p)).max())
        if b.stable is not None:
            ev = np.linalg.eigvals(game.jacobian(p))
            assert bool(ev.real.max() < 0) == b.stable, (b.summary(), ev)
    if all(b.stable is not None for b in branches):
        assert sum(b.stable for b in branches) == 1


def test_the_joint_hvae_branch_is_certified_stable_and_the_others_certified_saddles():
    """Claim 15 ((1,1), verified): on 40 generated modes (both Sigma2 variants, parameters over three
    decades, stiff ones with Sigma2 ~ 1e-4 included) the Lyapunov certificate proves the (1,1) branch
    stable and every other existing branch unstable, whenever no branch sits on a threshold."""
    rng = np.random.default_rng(2026)
    decided = 0
    for _ in range(40):
        lam, e, s, s1sq = 10 ** rng.uniform(-2, 1.5), 10 ** rng.uniform(-1, 1), 10 ** rng.uniform(-1.5, 0.5), \
            10 ** rng.uniform(-1, 0.5)
        v2 = None if rng.random() < 0.5 else 10 ** rng.uniform(-1.5, 1)
        branches = hvae_branches(lam, e, s, s1sq, v2)
        if any(b.stable is None for b in branches):
            continue
        game = scalar_game("hvae", lam, e, s, s1sq, v2)
        for b in branches:
            cert = certify_equilibrium(game, scalar_params("hvae", b, v2 is None))
            assert cert.existence.holds
            assert cert.stability.status is (Status.CERTIFIED if b.stable else Status.REFUTED), (b.summary(),
                                                                                                 cert.stability.reason)
        decided += 1
    assert decided >= 35


def _problems(rng):
    """Random problems of the three models, both variances, several shapes."""
    X = rng.standard_normal((30, 4)) * rng.uniform(0.1, 2.5, 4)
    A = X.T @ X / 30
    Y = rng.standard_normal((30, 3)) @ rng.standard_normal((3, 3)) + X[:, :3] * rng.uniform(0, 2)
    Z = np.hstack([X[:, :2], Y])
    C = Z.T @ Z / 30
    e, s = rng.uniform(0.4, 1.5), rng.uniform(0.2, 1.0)
    var, sig = float(rng.uniform(0.2, 1.5)), float(rng.uniform(0.3, 1.0))
    return [vae_problem(A, 3, 1.0, e, s, "learned"), vae_problem(A, 2, 1.0, e, s, var),
            cvae_problem(C[:2, :2], C[:2, 2:], C[2:, 2:], 2, 1.0, e, s, "learned"),
            cvae_problem(C[:2, :2], C[:2, 2:], C[2:, 2:], 1, 1.0, e, s, var),
            hvae_problem(A, (3, 2), sig, "learned", 1.0, 1.0, e, s), hvae_problem(A, (2, 3), sig, var, 1.0, 1.0, e, s)]


def test_the_games_stable_equilibrium_is_the_elbo_minimiser_at_beta_one():
    """Claims 13 and 16: the game's closed-form stable equilibrium has the collapse pattern, the
    singular values, the encoder std and the loss of part 1's ELBO minimiser at beta = 1 (beta1 =
    beta2 = 1), and its thresholds are the ELBO's; it is an exact equilibrium of the full game, where
    part 1's beta = 1 gradient vanishes."""
    rng = np.random.default_rng(7)
    for _ in range(4):
        for prob in _problems(rng):
            gm = game_model(prob)
            th, elbo = gm.theory(), prob.theory
            for a, b in zip(collapse.solution.as_pair(th.collapsed), collapse.solution.as_pair(elbo.collapsed)):
                np.testing.assert_array_equal(a, b)
            for a, b in zip(collapse.solution.as_pair(th.thresholds), collapse.solution.as_pair(elbo.thresholds)):
                np.testing.assert_allclose(a, b, rtol=1e-12)
            for a, b in zip(collapse.solution.as_pair(th.decoder_singular_values),
                            collapse.solution.as_pair(elbo.decoder_singular_values)):
                np.testing.assert_allclose(np.sort(a), np.sort(b), rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(th.loss, elbo.loss, rtol=1e-10)
            game, eq = gm.game(), gm.params(gm.stable_branches())
            assert game.residual(eq) <= 1e-10 * max(1.0, np.abs(game.flatten(eq)).max())


def test_every_game_equilibrium_is_an_elbo_stationary_point_and_back():
    """Claim 14: at every branch combination (saddles included) part 1's beta = 1 gradient vanishes; and
    the numerical beta = 1 ELBO optimum of part 1 is an equilibrium of the game (engine residual)."""
    rng = np.random.default_rng(11)
    for prob in _problems(rng):
        gm = game_model(prob)
        game, obj = gm.game(), gm.elbo_objective()
        for trial in range(3):
            pick = [brs[int(rng.integers(len(brs)))] for brs in gm.branches()]
            eq = gm.params(pick)
            assert game.residual(eq) <= 1e-10 * max(1.0, np.abs(game.flatten(eq)).max())
            vec = gm.elbo_vector(game, eq)
            assert np.abs(obj.loss_grad(vec, prob.moment)[1]).max() <= 1e-9 * max(1.0, np.abs(vec).max())
    from expfam_nash.collapse.optimum import minimise
    prob = vae_problem(np.diag([3.0, 1.0, 0.1]), 2, 1.0, 1.0, 0.5, "learned")
    gm = game_model(prob)
    vec = minimise(gm.elbo_objective(), prob.moment, starts=2, seed=0)[0]
    game = gm.game()
    assert game.residual(gm.params_from_elbo(game, vec)) <= 1e-6


def _cvae_instances(rng, n):
    for _ in range(n):
        dx, dy = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        y = rng.standard_normal((60, dy)) * rng.uniform(0.3, 3.0, dy)
        x = (y @ rng.standard_normal((dy, dx)) + rng.uniform(0.05, 1.0) * rng.standard_normal((60, dx)))
        x *= 10 ** rng.uniform(-1, 1)                       # correlated, x in other units
        var = None if rng.random() < 0.5 else float(rng.uniform(0.2, 2.0))
        yield x.T @ x / 60, x.T @ y / 60, y.T @ y / 60, var, float(rng.uniform(0.5, 1.5)), float(rng.uniform(0.2, 0.9))


def test_cvae_equilibria_are_the_vae_on_the_residual_with_the_same_certified_stability():
    """Claim 15 (CVAE, verified): every equilibrium (U2 = B, W1 = -W2 B, VAE-on-E branch per mode) is
    exact, and its certified stability equals that of the VAE game on E's eigenvalues (strong x-y
    correlation, x in other units); 25 generated instances, every one-latent branch."""
    rng = np.random.default_rng(3)
    compared = 0
    for cxx, cxy, cyy, var, ee, ed in _cvae_instances(rng, 25):
        prob = cvae_problem(cxx, cxy, cyy, 1, 1.0, ee, ed, "learned" if var is None else var)
        gm = game_model(prob)
        game = gm.game()
        for j, brs in enumerate(gm.branches()[:1]):
            for b in brs:
                eq = gm.params([b])
                assert game.residual(eq) <= 1e-9 * max(1.0, np.abs(game.flatten(eq)).max())
                full = certify_equilibrium(game, eq).stability
                mode = certify_equilibrium(scalar_game("vae", prob.spectrum.eigenvalues[0], ee ** 2, ed ** 2, var),
                                           scalar_params("vae", b, var is None)).stability
                if Status.UNDECIDED not in (full.status, mode.status):
                    assert full.status is mode.status, (full.reason, mode.reason)
                    compared += 1
    assert compared >= 30


def test_multi_mode_stable_equilibria_are_certified_and_misassigned_latents_are_saddles():
    """Claim 15 (modes coupled in the full game, verified): the closed-form stable equilibrium of small full
    games is certified stable - on a latent rotation orbit by the fixed-point route (HVAE: z1 always rotates;
    fixed variances: every latent block) - and putting a latent on a smaller eigenvalue gives a certified saddle."""
    from expfam_nash.collapse.game_params import equilibrium_params
    from expfam_nash.collapse.game_theory import stable_branch

    A = np.diag([3.0, 1.2, 0.3, 0.05])
    for prob, route in ((vae_problem(A, 2, 1.0, 1.0, 0.5, "learned"), "full"),
                        (vae_problem(A, 3, 1.0, 1.0, 0.5, 0.5), "fixed-subspace"),
                        (hvae_problem(A, (1, 1), 0.6, 0.4, eta_dec=0.5), "full"),
                        (hvae_problem(A, (2, 2), 0.6, "learned", eta_dec=0.5), "fixed-subspace"),
                        (hvae_problem(A, (3, 2), 0.6, 0.4, eta_dec=0.5), "fixed-subspace")):
        gm = game_model(prob)
        cert = certify_equilibrium(gm.game(), gm.params(gm.stable_branches()))
        assert cert.route == route and cert.stability.holds, (prob.model, cert.stability.reason)
    gm = game_model(hvae_problem(A, (2, 2), 0.6, "learned", eta_dec=0.5))
    branches = [stable_branch(hvae_branches(lam, gm.e, gm.s, gm.s1sq, None)) for lam in (3.0, 0.3)]
    wrong = equilibrium_params("hvae", np.eye(4)[:, [0, 2, 1, 3]], branches, gm.dims, True)   # latent 2 on mode 3
    cert = certify_equilibrium(gm.game(), wrong)
    assert cert.existence.holds and cert.stability.status is Status.REFUTED


def test_symmetric_results_follow_the_contract_and_agree_with_the_elbo_at_beta_one():
    r = collapse.hvae(np.diag([2.0, 0.3]), (1, 1), sigma1=0.6, sigma2="learned", eta_enc=1.0, eta_dec=0.5,
                      objective="symmetric", starts=0, beta2=2.0)
    e = collapse.hvae(np.diag([2.0, 0.3]), (1, 1), sigma1=0.6, sigma2="learned", eta_enc=1.0, eta_dec=0.5, starts=0)
    assert r.objective == "symmetric" and r.game is not None and r.trained is None
    assert [[v.status for v in row] for row in r.verdicts] == [[v.status for v in row] for row in e.verdicts]
    assert all(v.status is not Status.UNDECIDED for row in r.verdicts for v in row)
    assert r.global_minimum.holds                              # the full game (7 parameters) certified stable
    assert any("no beta" in n for n in r.notes)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["objective"] == "symmetric" and len(d["game"]["modes"]) == 1 and len(d["game"]["modes"][0]["branches"]) == 4
    assert "stable equilibrium" in r.summary() and "(active, active)" in r.summary()
    with pytest.raises(ValueError, match="train"):
        collapse.vae(np.eye(2), 1, objective="symmetric", train=True)
    with pytest.raises(ValueError, match="objective"):
        collapse.vae(np.eye(2), 1, objective="nash")


def test_solve_from_random_starts_reaches_the_closed_form():
    r = collapse.vae(np.diag([3.0, 0.8, 0.1]), 2, eta_dec=0.5, objective="symmetric", starts=2, seed=1, maxiter=6000)
    assert len(r.game.runs) == 2 and all(run["converged"] and run["matches_closed_form"] for run in r.game.runs)
    assert max(r.agreement["singular_value_error"]) <= 1e-6


def test_cli_objective_symmetric(capsys):
    from expfam_nash.cli.main import main

    assert main(["collapse", "cvae", "--synthetic", "correlation:0.5:2", "--eta-dec", "0.5", "--latent-dim", "1",
                 "--objective", "symmetric", "--starts", "0", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["objective"] == "symmetric" and d["game"]["modes"][0]["branches"][1]["stability"]["status"] == "certified"
    assert main(["collapse", "vae", "--objective", "symmetric", "--train"]) == 2
    assert "train" in capsys.readouterr().err


HV = dict(latent_dims=(1, 1), sigma1=0.6, eta_enc=0.5, eta_dec=0.5, objective="symmetric", starts=0)


def test_counterexample_learned_sigma2_collapses_fewer_level1_modes_in_the_game():
    """Claim 16: at sigma2 = eta_enc the learnable Sigma2 does not cause collapse in the game: with
    lam = 0.27 between s = 0.25 and sigma1 sqrt(s) = 0.3, level 1 is certified active with Sigma2 learned
    and certified collapsed with sigma2 = eta_enc = 0.5."""
    learned = collapse.hvae(np.array([[0.27]]), sigma2="learned", **HV)
    fixed = collapse.hvae(np.array([[0.27]]), sigma2=0.5, **HV)
    assert learned.verdicts[0][0].status is Status.REFUTED
    assert fixed.verdicts[0][0].status is Status.CERTIFIED
    # against a small fixed sigma2 the learnable Sigma2 collapses level 2 (threshold (eta_enc/sigma2)^4 higher)
    small = collapse.hvae(np.array([[0.3]]), sigma2=0.2, **dict(HV, sigma1=0.4))
    learned2 = collapse.hvae(np.array([[0.3]]), sigma2="learned", **dict(HV, sigma1=0.4))
    assert small.verdicts[1][0].status is Status.REFUTED and learned2.verdicts[1][0].status is Status.CERTIFIED


def test_threshold_figure_data_and_drawing():
    """The figure's data: the ELBO threshold at beta = 1 is the game's, and every certified game verdict on the
    grid lies on the side of the game's threshold it says (active above, collapsed below)."""
    from matplotlib.figure import Figure

    from expfam_nash.collapse.game_experiments import threshold_comparison
    from expfam_nash.experiments import FIGURES
    from expfam_nash.plot.collapse import plot_threshold_comparison

    data = threshold_comparison(points=4)
    for panel in data["vae"]:
        at_one = int(np.argmin(np.abs(np.log(panel["betas"]))))
        assert panel["elbo_threshold"][at_one] == pytest.approx(panel["game_threshold"], rel=1e-12)
        for lam, v in zip(panel["grid"], panel["game_verdicts"]):
            assert v == ("active" if lam > panel["game_threshold"] else "collapsed")
    for panel in data["hvae"]:
        at_one = int(np.argmin(np.abs(np.log(panel["beta2s"]))))
        assert panel["elbo_threshold"][at_one] == pytest.approx(panel["game_threshold"], rel=1e-12)
        for lam, v in zip(panel["grid"], panel["game_verdicts"]):
            assert v[0] == ("active" if lam > panel["game_threshold"][0] else "collapsed")
    assert isinstance(plot_threshold_comparison(data), Figure) and "collapse_thresholds" in FIGURES


def test_a_branch_on_a_threshold_is_a_saddle_when_another_level_is_unstable():
    """sigma1 = eta_dec (the paper's HVAE setting): the (0,0) branch has a zero eigenvalue (level 2 on its
    threshold), so no certificate decides it; above sigma1^2 level 1 is strictly unstable there, which the
    block structure makes a saddle: the mode is decided (active). Below, the stable branch itself is the
    neutral one: undecided."""
    args = dict(latent_dims=(1, 1), sigma1=0.5, sigma2="learned", eta_enc=0.5, eta_dec=0.5, objective="symmetric",
                starts=0)
    high, low = collapse.hvae(np.array([[2.0]]), **args), collapse.hvae(np.array([[0.1]]), **args)
    assert [row[0].status for row in high.verdicts] == [Status.REFUTED, Status.REFUTED]
    assert high.game.modes[0].stability[0].status is Status.UNDECIDED
    assert [row[0].status for row in low.verdicts] == [Status.UNDECIDED, Status.UNDECIDED]
