"""``certify_escape``: "diverged" only with a proof.

Certified (no finite equilibrium, every trajectory of the flow unbounded) when a player has a
recession direction D that holds for EVERY strategy of the other player: on a finite game the
player's utility is U(theta) = sum_r w_r [<T(y_r), theta psi_r> - A(theta psi_r)] - rho/2 |theta_pen|^2
over pairs r whose weights w_r are positive for every opponent (conditionals have full support).
If every observed y_r maximises <T(y), D psi_r> over the support (with a strict gap for some r)
and D vanishes on penalised coordinates, then d/ds U(theta + s D) > 0 for every theta and every
opponent: no player strategy is a best response, so there is no Nash equilibrium; along the
flow d/dt <D, theta> = <D, g_theta> > 0 is bounded below on compact sets, so no trajectory stays
bounded. D comes from the game's LP (``game/recession.py``); the inequalities are then checked
in exact rational arithmetic on a rational D.

Refuted when the run's end point lies in the certified basin of a stable equilibrium: a Newton
polish from the end point, a Krawczyk box reaching back to it, and a Lyapunov function
V = w^T P w (w balanced coordinates) that decreases on the whole box; the sublevel set of V
inside the box is invariant and attracted to the equilibrium (for the gradient flow).
Otherwise undecided, with the diagnostics.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..core.verdict import Verdict
from . import adapters
from .adapters import Unsupported
from .ball import Ball, down, grow, matmul
from .equilibrium import certify_equilibrium
from .linalg import balance
from .lyapunov import inertia
from .results import EscapeCertificate


def _rational(x: float) -> Fraction:
    return Fraction(float(x)).limit_denominator(1 << 20)


def verify_recession(code: str, y: np.ndarray, feats: np.ndarray, free: np.ndarray, D: np.ndarray):
    """(rational D, True) when D (snapped to rationals; taken as it is when it holds Fractions
    already) is an exact recession direction for the pairs (y_r, feats_r); (None, False) otherwise.
    See the module docstring for the inequalities."""
    exact = np.asarray(D).dtype == object
    Dq = [[(Fraction(v) if exact else _rational(v)) if free[i, j] else Fraction(0) for j, v in enumerate(row)]
          for i, row in enumerate(D)]
    pairs = np.unique(np.column_stack([y, feats]), axis=0)
    s = y.shape[1]
    strict = False
    for row in pairs:
        yr, fr = row[:s], [Fraction(float(v)) for v in row[s:]]
        score = [sum((Dq[c][b] * fr[b] for b in range(len(fr))), Fraction(0)) for c in range(len(Dq))]
        if code == "bernoulli":
            for c in range(s):
                val = score[c] if yr[c] > 0.5 else -score[c]
                if val < 0:
                    return None, False
                strict |= val > 0
        else:
            cls = int(np.argmax(yr)) + 1 if yr.sum() > 0 else 0
            mine = score[cls - 1] if cls > 0 else Fraction(0)
            others = [Fraction(0)] + score
            for c, val in enumerate(others):
                if c != cls:
                    if mine - val < 0:
                        return None, False
                    strict |= mine - val > 0
    if not strict:
        return None, False
    return np.array([[float(v) for v in row] for row in Dq]), True


def recession_certificate(game):
    """(player, rational direction D) of a recession direction valid for every opponent strategy
    (see the module docstring), or None. Computed once per game (it does not depend on the point)."""
    key = "_certify_recession"
    if key not in game.__dict__:
        game.__dict__[key] = _recession_verdict(game)
    return game.__dict__[key]


def _exact_nullspace(rows: np.ndarray) -> list[list[Fraction]]:
    """A basis of {D : rows D = 0} in exact rational arithmetic (float entries are exact binary
    rationals), as a list of basis vectors; sympy's fraction-exact elimination."""
    import sympy

    mat = sympy.Matrix([[sympy.Rational(Fraction(float(v))) for v in r] for r in rows])
    return [[Fraction(int(v.p), int(v.q)) for v in vec] for vec in mat.nullspace()]


def _block_direction(a: np.ndarray) -> list[Fraction] | None:
    """A rational D with a . D >= 0 for every row a (and > 0 where the cone allows), or None when
    the interior LP finds no strict margin. Rows whose negation is also a row (a . D = 0 forced: a
    Bernoulli bit seen at both values with the same features) are kept exactly: D = N u with N an
    exact rational basis of their null space and u rounded to rationals, so rounding cannot break
    them; the other rows get the largest margin t <= 1 with |D| <= 1."""
    from scipy.optimize import linprog

    n = a.shape[1]
    present = {tuple(r) for r in a}
    eq = np.array([tuple(-r) in present for r in a])
    if eq.any():
        basis = _exact_nullspace(a[eq])
        if not basis:
            return None
        N = np.array([[float(v) for v in vec] for vec in basis]).T           # n x p
    else:
        basis, N = None, np.eye(n)
    ineq = a[~eq]
    if ineq.shape[0] == 0:
        return None
    an = (ineq / np.abs(ineq).max(axis=1, keepdims=True)) @ N
    p = N.shape[1]
    A_ub = np.r_[np.c_[-an, np.ones(an.shape[0])], np.c_[N, np.zeros(n)], np.c_[-N, np.zeros(n)]]
    b_ub = np.r_[np.zeros(an.shape[0]), np.ones(2 * n)]
    res = linprog(np.r_[np.zeros(p), -1.0], A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * p + [(0, 1)],
                  method="highs")
    if res.status != 0 or not res.x[-1] > 1e-9:
        return None
    u = [_rational(x) for x in res.x[:-1]]
    if basis is None:
        return u
    return [sum((vec[i] * u[j] for j, vec in enumerate(basis)), Fraction(0)) for i in range(n)]


def _interior_direction(family, y: np.ndarray, feats: np.ndarray, free: np.ndarray) -> np.ndarray | None:
    """An exact rational direction (object array of Fractions, 0 off ``free``) built block by block
    (``family.recession_blocks``): each block's constraint rows a . D >= 0 with a strict margin where
    the cone has an interior (:func:`_block_direction`), the block 0 where it has none (0 satisfies
    every homogeneous row with equality). None when every block is 0. An LP vertex often has
    constraints at exactly 0 in floating point that snapping to rationals breaks; this does not."""
    m, k = free.shape
    out = np.full((m, k), Fraction(0), dtype=object)
    found = False
    for rows, a in family.recession_blocks(y, feats):
        fr = free[rows].ravel()
        a = np.unique(a[:, fr], axis=0)
        a = a[np.any(a != 0, axis=1)]
        if a.shape[0] == 0:
            continue
        d = _block_direction(a)
        if d is None:
            continue
        block = np.full(fr.size, Fraction(0), dtype=object)
        block[np.flatnonzero(fr)] = d
        out[rows] = block.reshape(len(rows), k)
        found = True
    return out if found else None


def certified_recession(game, player: str):
    """A recession direction of ``player`` valid for every opponent, verified in exact rational
    arithmetic (the LP's vertex, else an interior point of the cone), or None."""
    try:
        D, _, info = adapters.recession(game, player)
    except Unsupported:
        return None
    if D is None:
        return None
    y, feats, free, code = info[:4]
    Dr, ok = verify_recession(code, y, feats, free, D)
    if ok:
        return Dr
    me = game.decoder if player == "decoder" else game.encoder
    D2 = _interior_direction(me.family, y, feats, free)
    if D2 is None:
        return None
    Dr, ok = verify_recession(code, y, feats, free, D2)
    return Dr if ok else None


def _recession_verdict(game):
    for player in ("decoder", "encoder"):
        D = certified_recession(game, player)
        if D is not None:
            return player, D
    return None


def trajectory_diagnostics(trajectory) -> dict:
    """Norm growth per e-fold of steps and residual decay over the last half of a run (floating point)."""
    if trajectory is None:
        return {}
    steps, norms, res = (np.asarray(a, dtype=np.float64) for a in trajectory)
    if steps.size < 4:
        return {"steps": int(steps[-1]) if steps.size else 0}
    sel = steps >= 0.5 * steps[-1]
    t, nrm = np.log(np.maximum(steps[sel], 1.0)), norms[sel]
    slope = float(np.polyfit(t, nrm, 1)[0]) if np.ptp(t) > 0 else 0.0
    return {"steps": int(steps[-1]), "norm_growth_per_efold": slope, "final_norm": float(norms[-1]),
            "residual_ratio_last_half": float(res[-1] / res[sel][0]) if res[sel][0] > 0 else float("nan")}


def _newton(game, v: np.ndarray, max_iter: int) -> tuple[np.ndarray, float]:
    """Damped Newton on g (floating point): a step is halved until the residual decreases."""
    x = v.copy()
    res = float(np.linalg.norm(adapters.float_gradient(game, x)))
    for _ in range(max_iter):
        if res == 0.0:
            break
        try:
            d = np.linalg.solve(adapters.float_jacobian(game, x), -adapters.float_gradient(game, x))
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-6:
            cand = x + t * d
            if np.all(np.isfinite(cand)) and adapters.in_domain(game, cand):
                new = float(np.linalg.norm(adapters.float_gradient(game, cand)))
                if new < res:
                    x, res = cand, new
                    break
            t *= 0.5
        else:
            break
    return x, res


def in_basin(cert, point: np.ndarray, method: str = "ball") -> tuple[bool, str]:
    """Is ``point`` in the certified basin (Lyapunov sublevel set inside the Krawczyk box)?"""
    if not (cert.existence.holds and cert.stability.holds and cert.route == "full" and cert.jacobian is not None):
        return False, "no certified stable equilibrium with a full-coordinate box"
    out = cert.lyapunov if cert.lyapunov is not None else inertia(cert.jacobian, "arb" if method == "arb" else "ball")
    if out.status != "stable" or not out.p_min > 0:
        return False, "no Lyapunov function over the box"
    d = out.scaling                                                   # V(v) = w^T P w, w = diag(d)^-1 (v - v*)
    slack = down(down(cert.box_radius - cert.enclosure_radius) / d)   # room around v* in those units
    if not np.all(slack > 0):
        return False, "enclosure touches the box"
    c = out.p_min * float(np.min(slack)) ** 2 * (1.0 - 1e-9)         # E_c = {V <= c} lies in the box
    w = (Ball.exact(point) - Ball(cert.center, cert.enclosure_radius)) / Ball.exact(d)
    P = np.eye(d.size) if out.P is None else out.P
    v = quadratic_form_ball(w, P)
    if float(grow(v.mid + v.rad, 1)) <= c:
        return True, f"V(end point) <= {c:.3g}: inside the certified basin"
    return False, f"V(end point) ~ {float(v.mid):.3g} > {c:.3g}: outside the certified basin"


def basin_attempts(game, center: np.ndarray, point: np.ndarray, method: str) -> tuple[bool, str]:
    """Krawczyk boxes around the equilibrium that reach the point, roughly round in balanced
    coordinates (radius_i = f ||diag(d)^-1 (point - center)||_inf d_i), for growing f."""
    d = balance(adapters.float_jacobian(game, center))
    reach = float(np.max(np.abs(point - center) / d))
    why = "no Krawczyk box reaches the end point"
    for f in (8.0, 64.0):
        big = certify_equilibrium(game, adapters.unflatten(game, center), method=method, polish_steps=0,
                                  min_radius=f * reach * d)
        if not big.existence.holds:
            break
        ok, why = in_basin(big, point, method)
        if ok:
            return ok, why
    return False, why


def quadratic_form_ball(w: Ball, P: np.ndarray) -> Ball:
    """w^T P w for a ball vector w and an exact matrix P."""
    col = w.reshape(-1, 1)
    return matmul(w.reshape(1, -1), matmul(P, col)).reshape(())


def certify_escape(game, params=None, *, trajectory=None, method: str = "auto",
                   newton_steps: int = 40) -> EscapeCertificate:
    """Is escape to infinity proved (certified), disproved (refuted) or open (undecided)?

    ``params``: the run's end point (optional); ``trajectory``: (steps, norms, residuals) arrays
    of the run (optional, for the diagnostics)."""
    found = recession_certificate(game)
    diagnostics = trajectory_diagnostics(trajectory)
    if found is not None:
        player, D = found
        return EscapeCertificate(game.name, Verdict.certified(
            f"the {player} has a recession direction valid for every opponent strategy: no finite equilibrium "
            "exists and every flow trajectory is unbounded", player=player), player, D, diagnostics)
    diagnostics["recession"] = "no recession direction valid for every opponent (or not decidable)"
    if params is None:
        return EscapeCertificate(game.name, Verdict.undecided("no recession certificate and no end point to test",
                                                              **diagnostics), None, None, diagnostics)
    v = adapters.flatten(game, params)
    polished, res = _newton(game, v, newton_steps)
    dist = float(np.max(np.abs(polished - v))) if v.size else 0.0
    diagnostics.update(newton_residual=res, newton_distance=dist)
    cert = certify_equilibrium(game, adapters.unflatten(game, polished), method=method)
    diagnostics["equilibrium_near_end"] = f"existence {cert.existence.status.value}, stability " \
                                          f"{cert.stability.status.value}"
    if cert.existence.holds and cert.stability.holds:
        ok, why = basin_attempts(game, cert.center, v, method)
        diagnostics["basin"] = why
        if ok:
            return EscapeCertificate(game.name, Verdict.refuted(
                f"the end point lies in the certified basin of a stable equilibrium at distance {dist:.3g}: "
                "the gradient flow from it converges", distance=dist), None, None, diagnostics)
        reason = f"a certified stable equilibrium lies at distance {dist:.3g}, but the end point is not in its " \
                 "certified basin"
    else:
        reason = "no recession certificate, and no certified equilibrium near the end point"
    return EscapeCertificate(game.name, Verdict.undecided(reason, **diagnostics), None, None, diagnostics)
