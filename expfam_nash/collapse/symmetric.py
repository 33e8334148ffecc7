"""``objective="symmetric"``: the symmetric game of a collapse problem, its equilibria per mode with
certified verdicts, the full game at the closed-form stable equilibrium, and equilibria found by
``solve`` from random starts.

Per mode, every closed-form branch (``game_theory``) is certified as an equilibrium of the mode's
one-dimensional game (Krawczyk) and its stability decided by the Lyapunov test (``certify``). A mode
*collapses at the game's stable equilibrium* (certified) when its stable branch is collapsed at that
level, that branch is certified stable and every other branch certified unstable; *active* (refuted)
likewise; undecided otherwise (on a threshold a zero eigenvalue stops every certificate). The CVAE's
mode games are the VAE's on the residual moment E (proofs/collapse_game.md, section 3).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._jsonable import jsonable
from .._validation import as_rng
from ..core.verdict import Status, Verdict
from .game_model import GameModel
from .game_params import scalar_game, scalar_params
from .game_theory import Branch
from .solution import Solution

__all__ = ["ModeEquilibria", "GameAnalysis", "analyse", "global_verdict", "MAX_FULL_GAME"]

#: the full game is checked (residual, certificate) and solved from random starts up to this size
MAX_FULL_GAME = 1500
#: ... and its floating-point spectrum (a diagnostic) computed up to this size
MAX_SPECTRUM = 600


@dataclass(frozen=True, eq=False)
class ModeEquilibria:
    """Every equilibrium of one mode's game with its certified existence and stability."""

    mode: int
    eigenvalue: float
    branches: tuple[Branch, ...]
    existence: tuple[Verdict, ...]
    stability: tuple[Verdict, ...]

    def summary(self) -> str:
        parts = [f"{b.summary()} [exists {e.status.value}, stable {s.status.value}]"
                 for b, e, s in zip(self.branches, self.existence, self.stability)]
        return f"mode {self.mode + 1} (eigenvalue {self.eigenvalue:.4g}): " + "; ".join(parts)

    def to_dict(self) -> dict:
        return jsonable({"mode": self.mode + 1, "eigenvalue": self.eigenvalue,
                         "branches": [dict(b.to_dict(), existence=e.to_dict(), stability=s.to_dict())
                                      for b, e, s in zip(self.branches, self.existence, self.stability)]})


@dataclass(frozen=True, eq=False)
class GameAnalysis:
    """The game's side of a collapse result: per-mode equilibria, the full game at the closed-form
    stable equilibrium (``full``: relative residual, the beta = 1 ELBO gradient there, floating-point
    stability, certificate verdicts), and the equilibria ``solve`` reached from random starts."""

    modes: tuple[ModeEquilibria, ...]
    full: dict = field(default_factory=dict)
    runs: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        lines = [m.summary() for m in self.modes[:8]]
        if len(self.modes) > 8:
            lines.append(f"... {len(self.modes) - 8} more modes")
        f = self.full
        if f:
            lines.append(f"full game at the closed form: relative residual {f['residual']:.1e}, beta = 1 ELBO gradient "
                         f"{f['elbo_gradient']:.1e}, existence {f['existence'].status.value}, stability "
                         f"{f['stability'].status.value} ({f['stability'].reason})")
        if self.runs:
            conv = sum(r["converged"] for r in self.runs)
            same = sum(r["matches_closed_form"] for r in self.runs if r["converged"])
            lines.append(f"solve from {len(self.runs)} random starts: {conv} converged, {same} of them at the closed form")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        full = {k: (v.to_dict() if isinstance(v, Verdict) else v) for k, v in self.full.items()}
        return jsonable({"modes": [m.to_dict() for m in self.modes], "full": full, "runs": list(self.runs),
                         "notes": list(self.notes)})


def _certify_branches(gm: GameModel, j: int, lam: float, branches: list[Branch], certify: bool):
    if not certify:
        skip = Verdict.undecided("certificates not requested (certify=False)")
        return (skip,) * len(branches), (skip,) * len(branches)
    from ..certify import certify_equilibrium

    var = gm.s1sq if gm.model == "hvae" else gm.var
    covered = gm.model != "hvae" or j < gm.dims["d2"]
    model = "hvae" if gm.model == "hvae" and covered else "vae"
    game = scalar_game(model, lam, gm.e, gm.s, var, getattr(gm, "v2", None)) if covered or gm.model != "hvae" \
        else scalar_game("vae", lam, gm.s, gm.s, gm.s1sq)
    ex, st = [], []
    for b in branches:
        if model == "vae" and gm.model == "hvae":           # a level-1 mode without a level-2 latent
            b = Branch(b.active[:1], b.decoder[:1], b.encoder[:1], b.variance[:1], b.stable)
        cert = certify_equilibrium(game, scalar_params(model, b, gm.learned if model == "hvae" or gm.model != "hvae"
                                                       else False))
        ex.append(cert.existence)
        st.append(cert.stability)
    return tuple(ex), tuple(st)


def mode_equilibria(gm: GameModel, certify: bool = True) -> tuple[ModeEquilibria, ...]:
    out = []
    for j, (lam, brs) in enumerate(zip(gm.eigenvalues, gm.branches())):
        ex, st = _certify_branches(gm, j, float(lam), brs, certify)
        out.append(ModeEquilibria(j, float(lam), tuple(brs), ex, st))
    return tuple(out)


def mode_verdicts(gm: GameModel, modes: tuple[ModeEquilibria, ...]) -> tuple[tuple[Verdict, ...], ...]:
    """Per level and mode: does the mode collapse at the game's stable equilibrium?"""
    levels = 2 if gm.model == "hvae" else 1
    out = []
    for lv in range(levels):
        row = []
        for m in modes:
            ev = dict(level=lv + 1, mode=m.mode + 1, eigenvalue=m.eigenvalue)
            if lv >= len(m.branches[0].active) or (gm.model == "hvae" and lv == 1 and m.mode >= gm.dims["d2"]):
                continue
            stable = [i for i, s in enumerate(m.stability) if s.status is Status.CERTIFIED]
            # a branch the certificate cannot decide (a zero eigenvalue: one level on its threshold) is still a
            # saddle when another level is strictly unstable (block-diagonal Jacobian, proofs/collapse_game.md)
            unstable = [s.status is Status.REFUTED or (s.status is Status.UNDECIDED and b.stable is False)
                        for b, s in zip(m.branches, m.stability)]
            others_unstable = all(u for i, u in enumerate(unstable) if i not in stable)
            if len(stable) == 1 and others_unstable and m.existence[stable[0]].holds:
                b = m.branches[stable[0]]
                why = "the only certified stable equilibrium of the mode's game (the others: certified saddles" + \
                      (", or saddles by the proved block structure" if any(
                          s.status is Status.UNDECIDED for s in m.stability) else "") + ") is "
                row.append(Verdict.refuted(why + "active at this level", **ev) if b.active[lv]
                           else Verdict.certified(why + "collapsed at this level", **ev))
            else:
                row.append(Verdict.undecided("not every branch of the mode's game was decided by the certificates "
                                             "(near a threshold a zero eigenvalue stops them)", **ev))
        out.append(tuple(row))
    if gm.model == "hvae":       # level-2 latents beyond d1 have no mode: collapsed by construction
        extra = gm.dims["d2"] - len(modes)
        out[1] = out[1] + tuple(Verdict.certified("no level-1 mode reaches this level-2 latent (collapsed)", level=2,
                                                  mode=len(modes) + i + 1) for i in range(max(0, extra)))
    return tuple(out)


def full_game_check(gm: GameModel, certify: bool = True) -> dict:
    """The full game at the closed-form stable equilibrium (games up to MAX_FULL_GAME parameters):
    relative residual, part 1's beta = 1 gradient there, the certificate, and (up to MAX_SPECTRUM
    parameters) the floating-point spectrum's largest real part and the orbit's dimension (diagnostics)."""
    from ..dynamics.stability import orbit_rank

    game = gm.game()
    params = gm.params(gm.stable_branches())
    scale = max(1.0, float(np.abs(game.flatten(params)).max()))
    obj, vec = gm.elbo_objective(), gm.elbo_vector(game, params)
    grad = obj.loss_grad(vec, gm.problem.moment)[1]
    out = {"size": game.layout.size, "residual": game.residual(params) / scale,
           "elbo_gradient": float(np.abs(grad).max() / max(1.0, float(np.abs(vec).max())))}
    if game.layout.size <= MAX_SPECTRUM:
        out["largest_real_part"] = float(game.spectrum(params).real.max())
        out["orbit_dimension"] = orbit_rank(game.symmetry_tangents(params))
    if certify:
        from ..certify import certify_equilibrium
        cert = certify_equilibrium(game, params)
        out["existence"], out["stability"], out["route"] = cert.existence, cert.stability, cert.route
    else:
        out["existence"] = out["stability"] = Verdict.undecided("certificates not requested (certify=False)")
    return out


def solve_runs(gm: GameModel, starts: int, seed, max_steps: int, theory) -> tuple[dict, ...]:
    """``dynamics.solve`` from ``starts`` random starts; each run's per-mode values against the closed form."""
    from ..dynamics import solve
    from .verdicts import agreement

    game = gm.game()
    rng = as_rng(seed)
    runs = []
    for _ in range(starts):
        start = game.init(seed=int(rng.integers(2 ** 31)), scale=float(rng.choice((0.5, 1.0, 2.0))))
        res = solve(game, init=start, max_steps=max_steps)
        sol: Solution = gm.solution(game, res.params, "equilibrium")
        agree = agreement(theory, sol, gm.problem.units)
        match = max(agree["singular_value_error"]) <= 1e-4
        runs.append({"converged": bool(res.converged), "stable": bool(res.stable), "residual": res.residual,
                     "iterations": res.iterations, "reason": res.reason, "active": sol.active_modes,
                     "singular_value_error": agree["singular_value_error"], "matches_closed_form": bool(match),
                     "solution": sol})
    return tuple(runs)


def analyse(problem, starts: int = 0, seed=0, max_steps: int = 20000, certify: bool = True):
    """(game theory, GameAnalysis, per-mode verdicts, best numerical equilibrium or None)."""
    gm = GameModel(problem)
    theory = gm.theory()
    modes = mode_equilibria(gm, certify)
    verdicts = mode_verdicts(gm, modes)
    size = gm.game().layout.size
    notes = []
    full, runs = {}, ()
    if size <= MAX_FULL_GAME:
        full = full_game_check(gm, certify)
        if starts:
            runs = solve_runs(gm, starts, seed, max_steps, theory)
    else:
        notes.append(f"the full game has {size} parameters (> {MAX_FULL_GAME}): checked per mode only")
    best = None
    conv = [r for r in runs if r["converged"]]
    if conv:
        best = min(conv, key=lambda r: max(r["singular_value_error"]))["solution"]
    runs = tuple({k: v for k, v in r.items() if k != "solution"} for r in runs)
    return theory, GameAnalysis(modes, full, runs, tuple(notes)), verdicts, best


def global_verdict(game: GameAnalysis, verdicts) -> Verdict:
    """Is the closed form the game's stable equilibrium? Certified when the full game's certificate
    certifies it (existence and stability); refuted when that certificate refutes it; undecided
    otherwise (per-mode certificates alone leave the couplings between modes unchecked)."""
    f = game.full
    decided = sum(v.status is not Status.UNDECIDED for row in verdicts for v in row)
    total = sum(len(row) for row in verdicts)
    ev = dict(modes_decided=decided, modes=total)
    if f and f["existence"].status is Status.REFUTED or (f and f["stability"].status is Status.REFUTED):
        return Verdict.refuted("the full game's certificate contradicts the closed form: "
                               f"{(f['stability'] if f['stability'].status is Status.REFUTED else f['existence']).reason}",
                               **ev)
    if f and f["existence"].holds and f["stability"].holds:
        return Verdict.certified(f"the full game ({f['size']} parameters) has a certified stable equilibrium at the "
                                 f"closed form ({f['existence'].reason}; {f['stability'].reason})", **ev)
    why = f["stability"].reason if f else game.notes[0] if game.notes else "no full-game check"
    return Verdict.undecided(f"{decided} of {total} mode verdicts certified by the per-mode games; the full game is "
                             f"not certified ({why})", **ev)
