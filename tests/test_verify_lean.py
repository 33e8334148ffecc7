"""verify's lean mode (``lean=True``, the default) and the flat line search of the Newton method.

Lean mode skips the independent Nash gap of runs that end with no certified equilibrium
(``solve(gap_if_undecided=False)``): verify never reports it, so its whole report must be the
same as with ``lean=False`` -- the same classes, counts, verdicts, reasons and numbers. The
games include runs rescued by the continuation (tabular, weak labels), runs left undecided
(rho = 0 Bernoulli pairs that escape) and rho = 0.1."""
import importlib

import numpy as np
import pytest

from expfam_nash import models, solve, verify
from expfam_nash.dynamics import algorithms as alg

certified_module = importlib.import_module("expfam_nash.dynamics.certified")

GAMES = {
    "bernoulli-4:0-rho0": lambda: models.bernoulli("random:4:0", latent_dim=2),
    "bernoulli-6:0-rho0": lambda: models.bernoulli("random:6:0", latent_dim=3),
    "bernoulli-6:0-rho0.1": lambda: models.bernoulli("random:6:0", latent_dim=3, rho=0.1),
    "bernoulli-4:1-rho0.1": lambda: models.bernoulli("random:4:1", latent_dim=2, rho=0.1),
    "tabular-alpha0.01": lambda: models.tabular(joint="random:3:3:0", alpha=0.01),
}


def _report(v) -> dict:
    out = v.to_dict()
    out["options"] = {k: val for k, val in out["options"].items() if k != "lean"}
    return out


def _counting_gaps(monkeypatch) -> list:
    """Count the calls of the independent Nash gap made by solve's certification."""
    calls = []
    real = certified_module.independent_nash_gap

    def counted(*args, **kw):
        calls.append(1)
        return real(*args, **kw)
    monkeypatch.setattr(certified_module, "independent_nash_gap", counted)
    return calls


@pytest.mark.parametrize("name", list(GAMES))
def test_lean_verify_reports_exactly_what_the_full_one_does(name, monkeypatch):
    """Every entry of the report (classes and their certificates, run statuses, undecided reasons
    and residuals, game-level verdicts) is equal; a dropped class, a lost rescue or an undecided
    run turned certified would all show here."""
    game = GAMES[name]()
    calls = _counting_gaps(monkeypatch)
    full = verify(game, starts=8, seed=0, lean=False)
    n_full = len(calls)
    lean = verify(game, starts=8, seed=0)
    n_lean = len(calls) - n_full
    assert _report(lean) == _report(full)
    assert lean.options["lean"] is True and full.options["lean"] is False
    # lean skips exactly the gaps of runs without a certified equilibrium (none where all converge)
    assert n_full - n_lean == full.not_converged + full.escaped
    if name.endswith("rho0"):
        assert full.not_converged > 0        # the skip was exercised, not vacuous


def test_the_rescue_still_runs_in_lean_mode():
    """Lean mode keeps the continuation rescue: it can turn an undecided run into a certified one
    (tabular pair with weak labels: the flow crawls, the continuation reaches the equilibrium)."""
    game = GAMES["tabular-alpha0.01"]()
    v = verify(game, starts=8, seed=0)
    assert v.classes and v.classes[0].count >= 4 and v.unique


def test_solve_gap_if_undecided_records_the_skip_and_keeps_certified_gaps():
    game = models.bernoulli("random:6:0", latent_dim=3)
    from expfam_nash.verification.verify import _plan
    _, start, _ = _plan(game, 64, 0)[9]                 # an escaping start (undecided)
    skipped = solve(game, init=start, stop_escaping=True, gap_if_undecided=False)
    kept = solve(game, init=start, stop_escaping=True)
    assert not skipped.converged and not kept.converged
    gap = skipped.verdicts["nash_gap"]
    assert gap.status.value == "undecided" and gap.evidence["skipped"] and "gap_if_undecided=False" in gap.reason
    assert "not computed" in skipped.summary()
    assert skipped.options["gap_if_undecided"] is False and "gap_if_undecided" not in kept.options
    assert np.isfinite(kept.nash_gap) and not np.isfinite(skipped.nash_gap_bound)
    for key in ("existence", "convergence", "stability", "escape"):     # nothing else changes
        assert skipped.verdicts[key] == kept.verdicts[key]
    conv = models.bernoulli("random:6:0", latent_dim=3, rho=0.1)        # a certified run keeps its bound
    a, b = solve(conv, seed=1, gap_if_undecided=False), solve(conv, seed=1)
    assert a.converged and a.nash_gap_bound == b.nash_gap_bound and a.verdicts["nash_gap"] == b.verdicts["nash_gap"]


def test_lean_and_gap_flags_are_validated():
    game = models.bernoulli("random:3:0", latent_dim=1, rho=0.1)
    with pytest.raises(ValueError, match="lean"):
        verify(game, starts=2, lean="yes")
    with pytest.raises(ValueError, match="gap_if_undecided"):
        solve(game, gap_if_undecided=1)


def _reference_newton_step(game, p):
    """The Newton step as written before the flat line search (Params and game.residual)."""
    _, g = game.evaluate(p)
    res = game.residual(p)
    v, gv = game.flatten(p), game.flatten(g)
    jac = game.jacobian(p)
    try:
        d = np.linalg.solve(jac, -gv)
    except np.linalg.LinAlgError:
        d = np.linalg.lstsq(jac, -gv, rcond=None)[0]
    radius = 10.0 * (1.0 + float(np.linalg.norm(v)))
    with np.errstate(over="ignore", invalid="ignore"):
        step_norm = float(np.linalg.norm(d))
    if not np.isfinite(step_norm):
        d, step_norm = np.zeros_like(d), 0.0
    if step_norm > radius:
        d *= radius / step_norm
    s = 1.0
    while s >= 1.0 / 1024:
        cand = game.unflatten(v + s * d)
        try:
            if game.residual(cand) < res:
                return cand
        except ValueError:
            pass
        s *= 0.5
    cand = game.unflatten(v + d / 1024)
    try:
        game.residual(cand)
    except ValueError:
        cand = p
    return cand


@pytest.mark.parametrize("name", ["bernoulli-6:0-rho0", "tabular-alpha0.01"])
def test_newton_flat_line_search_takes_the_reference_steps(name):
    """Same iterates, bit for bit (both paths call the same engine on the same numbers), along
    runs that converge, stall and saturate (verify's Newton starts on random:6:0 at rho = 0)."""
    from expfam_nash.verification.verify import _plan
    game = GAMES[name]()
    algo = alg.newton(game)
    for label, start, method in _plan(game, 16, 0)[1:4]:
        state, p = algo.init(start), start
        with np.errstate(all="ignore"):
            for _ in range(40):
                state, _ = algo.step(state)
                p = _reference_newton_step(game, p)
                np.testing.assert_array_equal(game.flatten(state.params), game.flatten(p), err_msg=label)


def test_trial_residual_refuses_what_game_residual_refuses(monkeypatch):
    """None (a rejected trial step) exactly where game.residual raises: outside the natural domain,
    or an evaluation that is not finite."""
    game = models.linear_gaussian(eigenvalues=[3.0, 1.0], latent_dim=1, decoder_var="learned", encoder_var=0.8)
    p = game.init(seed=0)
    assert alg._trial_residual(game, game.flatten(p)) == game.residual(p)
    theta = p.theta.copy()
    theta[-1, -1] = 0.5                                   # a learned precision must stay negative
    bad = game.params(theta, p.phi)
    with pytest.raises(ValueError):
        game.residual(bad)
    assert alg._trial_residual(game, game.flatten(bad)) is None
    vec = game.flatten(p)
    for utils, grad in (((np.inf, 0.0), np.zeros(vec.size)), ((0.0, 0.0), np.full(vec.size, np.nan))):
        monkeypatch.setattr(game, "flat_evaluate", lambda v, u=utils, g=grad: (u, g))
        assert alg._trial_residual(game, vec) is None
