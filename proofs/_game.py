"""Numerical steps of proofs/collapse_game.md: every closed-form branch of a mode's game is an engine
equilibrium with the predicted stability, and the stable branch is the beta = 1 ELBO minimiser's."""
from __future__ import annotations

import numpy as np

from expfam_nash.collapse.game_params import scalar_game, scalar_params
from expfam_nash.collapse.game_theory import hvae_branches, vae_branches
from expfam_nash.collapse.theory import hvae_theory, vae_theory


def _case(model: str, rng):
    lam, e, s = 10 ** rng.uniform(-2, 1.5), 10 ** rng.uniform(-1, 1), 10 ** rng.uniform(-1.5, 0.5)
    var = 10 ** rng.uniform(-1, 0.5)
    v2 = None if rng.random() < 0.5 else 10 ** rng.uniform(-1.5, 1)
    if model == "vae":
        v = None if rng.random() < 0.5 else var
        th = vae_theory(np.array([lam]), 1, 1.0, np.sqrt(e), np.sqrt(s), v)
        return lam, e, s, v, None, vae_branches(lam, e, s, v), (bool(th.collapsed[0]),), th.margins()
    th = hvae_theory(np.array([lam]), (1, 1), 1.0, 1.0, np.sqrt(e), np.sqrt(s), np.sqrt(var),
                     None if v2 is None else np.sqrt(v2))
    want = (bool(th.collapsed[0][0]), bool(th.collapsed[1][0]))
    return lam, e, s, var, v2, hvae_branches(lam, e, s, var, v2), want, th.margins()


def branch_agreement(rng, hvae_cases: int = 300, vae_cases: int = 200) -> dict:
    """Worst residual, stability mismatches, non-unique stable branches, and disagreements with the
    ELBO's collapse pattern (cases within 1e-6 of an ELBO threshold are skipped)."""
    out = {"residual": 0.0, "stability_mismatch": 0, "unique_failures": 0, "elbo_mismatch": 0, "cases": 0}
    for model, cases in (("vae", vae_cases), ("hvae", hvae_cases)):
        for _ in range(cases):
            lam, e, s, var, v2, branches, want, margins = _case(model, rng)
            if any(np.isfinite(m[0]) and abs(m[0]) <= 1e-6 * max(lam, 1.0) for m in margins):
                continue
            out["cases"] += 1
            learned = (v2 is None) if model == "hvae" else (var is None)
            game = scalar_game(model, lam, e, s, var, v2)
            for b in branches:
                p = scalar_params(model, b, learned)
                scale = max(1.0, float(np.abs(game.flatten(p)).max()))
                out["residual"] = max(out["residual"], game.residual(p) / scale)
                ev = np.linalg.eigvals(game.jacobian(p))
                if b.stable is not None and bool(ev.real.max() < 0) != b.stable:
                    out["stability_mismatch"] += 1
            stable = [b for b in branches if b.stable]
            if len(stable) != 1:
                out["unique_failures"] += 1
            elif tuple(not a for a in stable[0].active) != want:
                out["elbo_mismatch"] += 1
    return out
