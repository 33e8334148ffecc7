"""``certify_equilibrium``: existence, uniqueness, stability and local dimension of an
equilibrium near a given point, each a three-valued :class:`~expfam_nash.core.verdict.Verdict`.

Routes (chosen from the game and the point; see docs/certify.md):

* ``full``: Krawczyk on all coordinates (:mod:`.krawczyk`), stability from J over the box
  (:mod:`.lyapunov`); an isolated zero refutes a continuum through it;
* ``fixed-subspace``: on a rotation orbit of an isotropic Gaussian latent, Krawczyk on the
  fixed-point subspace of a group of exact sign-flip symmetries (:mod:`.orbits`) and the
  spectrum transversal to the orbit (:mod:`.quotient`);
* ``coupling``: the tabular pair without labels or penalty, whose interior equilibria form the
  coupling manifold (:mod:`.continuum`): existence and the continuum certified, stability
  transversal to it;
* ``none``: too large for interval evaluation (a floating-point Newton-Kantorovich bound,
  labelled as not rigorous) or no exact model: every verdict undecided.
"""
from __future__ import annotations

import time

import numpy as np

from ..core.verdict import Verdict
from . import adapters, continuum, orbits
from . import arb as arb_backend
from .adapters import Unsupported
from .ball import grow
from .enclosure import METHODS, Enclosure, OutsideDomain
from .krawczyk import approximate_inverse, krawczyk
from .linalg import balance
from .lyapunov import InertiaOutcome, inertia
from .newton import newton_kantorovich, polish
from .quotient import transversal
from .results import EquilibriumCertificate

#: interval evaluation is attempted up to this many parameters (ball / arb)
MAX_SIZE = {"ball": 1500, "ball-numpy": 400, "arb": 120}
#: ... and up to this many (pair x parameter) products
MAX_WORK = {"ball": 5e8, "ball-numpy": 5e7, "arb": 2e6}


def _u(reason: str, **ev) -> Verdict:
    return Verdict.undecided(reason, **ev)


def _all_undecided(game, method, rigour, center, reason, timings, **ev) -> EquilibriumCertificate:
    v = _u(reason, **ev)
    return EquilibriumCertificate(game.name, method, rigour, "none", v, v, v, v, center, None, None,
                                  0.0, float("nan"), 0, timings)


def _stability_verdict(out, transversal_to: str = "") -> Verdict:
    where = f" transversally to {transversal_to}" if transversal_to else ""
    ev = {"lyapunov": out.lyapunov}
    if out.status == "stable":
        return Verdict.certified(f"every eigenvalue{where} has Re <= -{out.decay:.4g} ({out.reason})",
                                 decay=out.decay, **ev)
    if out.status == "unstable":
        return Verdict.refuted(f"an eigenvalue{where} has Re > {out.shift:.4g} ({out.reason}); floating point "
                               f"counts {out.unstable_estimate} unstable", shift=out.shift,
                               unstable_estimate=out.unstable_estimate, **ev)
    return _u(f"stability{where} not decided: {out.reason}")


def certify_equilibrium(game, params, *, method: str = "auto", polish_steps: int = 4,
                        min_radius=None, max_size: int | None = None) -> EquilibriumCertificate:
    """Certify an equilibrium of ``game`` near ``params`` (a :class:`~expfam_nash.game.Params`).

    ``method``: "auto" (= "ball"), "ball" (Numba / NumPy ball arithmetic; assumes libm exp
    within 4 ulp), "arb" (python-flint, no such assumption) or "ball-numpy". ``min_radius``:
    certify uniqueness in a box at least this large (scalar or per coordinate). Every answer is
    a Verdict; nothing is certified without a proof (see docs/certify.md)."""
    t0 = time.perf_counter()
    given = adapters.flatten(game, params)
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    try:
        enc = Enclosure(game, method)
    except Unsupported as exc:
        return _all_undecided(game, method, "", given, f"no exact model: {exc}", {})
    limit = max_size if max_size is not None else MAX_SIZE[enc.method]
    work = enc.size * getattr(enc.arrays, "pairs", 1)
    if enc.size > limit or work > MAX_WORK[enc.method]:
        nk = newton_kantorovich(game, given)
        return _all_undecided(game, enc.method, "floating-point bound, not rigorous", given,
                              f"too large for interval evaluation ({enc.size} parameters); floating-point "
                              "Newton-Kantorovich bound, not rigorous", {"total": time.perf_counter() - t0},
                              newton_kantorovich=nk)
    try:
        if enc.finite and continuum.applies(enc.arrays) is None:
            if not arb_backend.available():
                return _all_undecided(game, enc.method, enc.rigour, given, "the coupling route (tabular pair, "
                                      "alpha = rho = 0) needs python-flint", {"total": time.perf_counter() - t0})
            out = _coupling_route(game, enc, given)
        else:
            gens = adapters.rotation_generators(game)
            if gens and orbits.orbit_rank(gens, given) > 0:
                out = _orbit_route(game, enc, given, gens, polish_steps)
            else:
                out = _full_route(game, enc, given, polish_steps, min_radius)
    except OutsideDomain as exc:
        return _all_undecided(game, enc.method, enc.rigour, given, str(exc), {"total": time.perf_counter() - t0})
    timings = dict(out.pop("timings"))
    timings["total"] = time.perf_counter() - t0
    center = out.pop("center")
    offset = float(np.max(np.abs(center - given))) if center.size else 0.0
    return EquilibriumCertificate(game.name, enc.method, enc.rigour, center=center, offset=offset,
                                  timings=timings, **out)


# -- routes ------------------------------------------------------------------------------------
def _full_route(game, enc, given, polish_steps, min_radius) -> dict:
    """Krawczyk at the given point; if it fails, again after a Newton polish."""
    t = time.perf_counter()
    mr = None if min_radius is None else np.broadcast_to(np.asarray(min_radius, dtype=np.float64), given.shape)
    center = given
    kr = krawczyk(enc, center, min_radius=mr, linalg=_linalg(enc))
    t_polish = 0.0
    if not kr.success and not kr.excluded and polish_steps:
        tp = time.perf_counter()
        polished = polish(game, given, steps=polish_steps)
        t_polish = time.perf_counter() - tp
        if not np.array_equal(polished, given):
            center = polished
            kr = krawczyk(enc, center, min_radius=mr, linalg=_linalg(enc))
    t_k = time.perf_counter() - t - t_polish
    timings = {"polish": t_polish, "krawczyk": t_k}
    base = dict(center=center, route="full", orbit_dimension=0, timings=timings)
    if not kr.success:
        ev = {"excluded_radius": float(np.max(kr.box_radius))} if kr.excluded else {}
        why = ("no equilibrium in the box around the point (0 is outside the enclosure of g)" if kr.excluded
               else kr.reason)
        cont = _u(_dimension_reason(enc, center))
        return dict(base, existence=_u(f"no equilibrium certified: {why}", **ev),
                    uniqueness=_u("no equilibrium certified"), stability=_u("no equilibrium certified"),
                    continuum=cont, enclosure_radius=None, box_radius=None, decay=float("nan"))
    blocks = orbits.isotypic_blocks(center, adapters.flip_signs(game)) if not enc.finite else [np.arange(center.size)]
    stab = _blockwise_inertia(kr.jacobian, blocks, _linalg(enc), kr.balance)
    if stab.status == "undecided" and mr is None:        # a tighter box may decide it: refine the center
        kr, stab, center = _refined(enc, kr, stab, blocks, center)
        base["center"] = center
    timings["stability"] = time.perf_counter() - t - t_polish - t_k
    radius = float(np.max(kr.enclosure_radius)) if kr.enclosure_radius.size else 0.0
    return dict(base,
                existence=Verdict.certified(f"a zero of the pseudo-gradient lies within {radius:.3g} of the point "
                                            "(Krawczyk)", radius=radius, box=float(np.max(kr.box_radius))),
                uniqueness=Verdict.certified("the only zero in the box (Krawczyk)", box=float(np.max(kr.box_radius))),
                stability=_stability_verdict(stab),
                continuum=Verdict.refuted("the equilibrium is isolated: the unique zero in a box around it"),
                enclosure_radius=kr.enclosure_radius, box_radius=kr.box_radius,
                decay=stab.decay, jacobian=kr.jacobian, gradient=kr.gradient,
                lyapunov=stab if stab.scaling is not None else None)


def _refined(enc, kr, stab, blocks, center, rounds: int = 3):
    """Up to ``rounds`` Newton steps x <- x - R g(x) with g evaluated in arb when available (the
    midpoint of the Krawczyk operator): in binary64 a zero with tiny curvature cannot be located
    more closely than rounding allows, and a box that is wide for its Lyapunov margin leaves the
    stability undecided. Each refined point is certified afresh; the tightest success is kept."""
    best = (kr, stab, center)
    for _ in range(rounds):
        R = approximate_inverse(best[0].jacobian.mid)
        if R is None:
            break
        g = enc.gradient(best[2], precise=True)
        new = best[2] - R @ g.mid
        if not np.all(np.isfinite(new)):
            break
        kr2 = krawczyk(enc, new, linalg=_linalg(enc))
        if not (kr2.success and np.max(kr2.enclosure_radius) < np.max(best[0].enclosure_radius)):
            break
        best = (kr2, _blockwise_inertia(kr2.jacobian, blocks, _linalg(enc)), new)
        if best[1].status != "undecided":
            break
    return best


def _orbit_route(game, enc, given, gens, polish_steps) -> dict:
    t = time.perf_counter()
    flips = adapters.flip_signs(game)
    aligned = orbits.align(game, given)
    fixed = orbits.fixed_coordinates(game, aligned, flips)
    timings = {}
    base = dict(route="fixed-subspace", timings=timings)
    if fixed is None:
        cont = _u("on a symmetry orbit, but the sign flips needed for the fixed-point route are not exact "
                  "symmetries of this game")
        return dict(base, center=given, orbit_dimension=orbits.orbit_rank(gens, given), existence=cont,
                    uniqueness=cont, stability=cont, continuum=cont, enclosure_radius=None, box_radius=None,
                    decay=float("nan"))
    center = np.zeros_like(aligned)
    center[fixed] = aligned[fixed]
    if polish_steps:
        center = polish(game, center, restrict=fixed, steps=polish_steps)
    timings["polish"] = time.perf_counter() - t
    kr = krawczyk(enc, center, restrict=fixed, linalg=_linalg(enc))
    timings["krawczyk"] = time.perf_counter() - t - timings["polish"]
    if not kr.success:
        v = _u(f"no equilibrium certified in the fixed-point subspace: {kr.reason}")
        return dict(base, center=center, orbit_dimension=orbits.orbit_rank(gens, center), existence=v,
                    uniqueness=v, stability=v, continuum=v, enclosure_radius=None, box_radius=None,
                    decay=float("nan"))
    T = orbits.tangent_ball(gens, center, kr.enclosure_radius)
    keep, decided = orbits.structural_nonzero(gens, fixed, T)
    J = enc.jacobian(center, kr.enclosure_radius)
    radius = float(np.max(kr.enclosure_radius))
    turn = float(np.max(np.abs(aligned - center)))
    exist = Verdict.certified(f"a zero of the pseudo-gradient in the fixed-point subspace of {len(fixed)} "
                              f"coordinates lies within {radius:.3g} of the aligned point (Krawczyk); the given point "
                              f"rotated in latent space (floating point) lies within {turn:.3g} of it",
                              radius=radius, rotated_offset=turn)
    out = dict(base, center=center, orbit_dimension=len(keep), existence=exist, enclosure_radius=kr.enclosure_radius,
               box_radius=kr.box_radius, jacobian=J)
    if not decided:
        v = _u("an orbit tangent is not certified nonzero: the orbit dimension is not certified")
        return dict(out, uniqueness=v, stability=v, continuum=v, decay=float("nan"))
    Y, why = transversal(J, T[:, keep], _linalg(enc))
    if Y is None:
        v = _u(why)
        return dict(out, uniqueness=v, stability=v, continuum=v, decay=float("nan"))
    stab = inertia(Y, _linalg(enc))
    timings["stability"] = time.perf_counter() - t - timings["polish"] - timings["krawczyk"]
    orbit = f"the {len(keep)}-dimensional rotation orbit"
    if stab.status == "undecided":
        v = _u("the transversal Jacobian is not certified nonsingular")
        uniq, cont = v, v
    else:
        uniq = Verdict.certified(f"unique up to symmetry: near the point the zeros form exactly {orbit}",
                                 orbit_dimension=len(keep))
        cont = Verdict.refuted(f"isolated up to symmetry (the zero set is locally {orbit})")
    return dict(out, uniqueness=uniq, stability=_stability_verdict(stab, orbit), continuum=cont,
                decay=stab.decay, transversal=Y)


def _coupling_route(game, enc, given) -> dict:
    t = time.perf_counter()
    th, ph = adapters.split(game, given)
    vstar, T, dim = continuum.coupling_point(enc.arrays, th, ph)
    timings = {"coupling": time.perf_counter() - t}
    base = dict(route="coupling", timings=timings, orbit_dimension=0)
    if vstar is None:
        v = _u(f"coupling route: {dim}")
        return dict(base, center=given, existence=v, uniqueness=v, stability=v, continuum=v,
                    enclosure_radius=None, box_radius=None, decay=float("nan"))
    g = enc.gradient(vstar.mid)
    J = enc.jacobian(vstar.mid, vstar.rad)
    # 0 = g(v*) lies in g(mid) +- |J(X)| rad: a consistency check of the engine against the theorem
    slack = grow(g.rad + grow(J.upper_abs() @ vstar.rad, vstar.size + 2), 1)
    if not (np.all(np.isfinite(slack)) and np.all(np.abs(g.mid) <= slack)):
        v = _u("coupling route: the gradient enclosure at the coupling point excludes 0 (engine inconsistency)")
        return dict(base, center=vstar.mid, existence=v, uniqueness=v, stability=v, continuum=v,
                    enclosure_radius=None, box_radius=None, decay=float("nan"))
    radius = grow(np.abs(vstar.mid - given) + vstar.rad, 2)
    Y, why = transversal(J, T, _linalg(enc))
    stab = inertia(Y, _linalg(enc)) if Y is not None else None
    timings["stability"] = time.perf_counter() - t - timings["coupling"]
    manifold = f"the {dim}-dimensional coupling manifold"
    return dict(base, center=vstar.mid, enclosure_radius=vstar.rad, box_radius=vstar.rad, jacobian=J,
                existence=Verdict.certified(f"an exact coupling equilibrium lies within {float(np.max(radius)):.3g} "
                                            "of the given point (coupling theorem)", radius=float(np.max(radius))),
                uniqueness=Verdict.refuted(f"not unique: {manifold} of equilibria passes through the point",
                                           dimension=dim),
                continuum=Verdict.certified(f"{manifold} (tabular pair, alpha = 0, rho = 0: every coupling of "
                                            "the marginals with full support is an equilibrium)", dimension=dim),
                stability=_stability_verdict(stab, manifold) if stab is not None else _u(why),
                decay=stab.decay if stab is not None else float("nan"), transversal=Y)


def _dimension_reason(enc, center) -> str:
    """Why the local dimension stays undecided (floating point only chooses the wording)."""
    try:
        J = enc.float_jacobian(center)
        d = balance(J)
        with np.errstate(over="ignore", invalid="ignore"):
            s = np.linalg.svd(J * (d[None, :] / d[:, None]), compute_uv=False)
    except (ValueError, np.linalg.LinAlgError):
        return "no equilibrium certified"
    if not (s.size and np.all(np.isfinite(s)) and s[0] > 0):
        return "no equilibrium certified, so its local dimension is not either"
    if s[-1] <= 1e-10 * s[0]:
        return ("a zero eigenvalue no symmetry explains (floating point: smallest singular value "
                f"{s[-1] / s[0]:.1e} of the largest); local dimension not certified")
    return "no equilibrium certified, so its local dimension is not either"


def _blockwise_inertia(J, blocks, method, scaling=None):
    """Inertia of every diagonal block (eig J = union of the blocks' eigenvalues when J is block
    diagonal, see :func:`.orbits.isotypic_blocks`): stable iff every block is, unstable if any is."""
    if len(blocks) == 1:
        return inertia(J, method, scaling=scaling)
    outs = [inertia(J[np.ix_(b, b)], method) for b in blocks]
    bad = [o for o in outs if o.status == "unstable"]
    if bad:
        return max(bad, key=lambda o: o.shift)
    if all(o.status == "stable" for o in outs):
        return InertiaOutcome("stable", f"every one of {len(blocks)} symmetry blocks verified ("
                              + ", ".join(sorted({o.lyapunov for o in outs})) + ")",
                              decay=min(o.decay for o in outs), lyapunov="blockwise")
    return next(o for o in outs if o.status == "undecided")


def _linalg(enc) -> str:
    return "arb" if enc.method == "arb" else "ball"
